"""Telegram bot: getUpdates long polling with an offset cursor (Bot API).

``GET {api_base_url}/bot<token>/getUpdates?offset=<cursor>&timeout=<long_poll_s>&limit=<page_size>
&allowed_updates=[...]`` answers ``{"ok": true, "result": [Update, ...]}``. The cursor is the next offset
(last ``update_id`` + 1). Telegram forgets the updates below the offset of the *next* call, so saving the cursor
after the flush and using it next time is the acknowledgement: a crash before the save gets the same updates
again (and the same message ids).

Update -> RawMessage (``message`` or ``channel_post``): id ``telegram:<chat id>:<message id>`` (a message id is
unique within its chat); text or the media caption; the largest photo referenced as ``telegram-file:<file_id>``
(download URLs contain the bot token, so none is stored: a consumer resolves the file id with getFile);
``location`` -> gps (with ``horizontal_accuracy``); ``from.id`` (or the chat id for a channel post) -> author_ref;
``reply_to_message`` -> reply_to. ``raw`` keeps the message without ``from`` and with the chat reduced to its id
and type, so no names or usernames travel. An update without text or caption (a sticker, a bare location) is
rejected with the reason; edits are not asked for.

Errors: 401/404 (token refused) permanent; 409 (a webhook is set, or another poller is running) permanent with
the fix; 429 ``parameters.retry_after`` honoured; 5xx and network failures transient.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import requests
from pydantic import ValidationError

from harvester.errors import SourceError
from harvester.pollers.base import Poller, PollResult, Rejected
from harvester.pollers.http import get_json, keep_out_of_logs, redact
from harvester.settings import Settings, author_hash_key
from pipeline.contract import MAX_TEXT_CHARS, RawMessage
from pipeline.errors import PermanentError, TransientError
from pipeline.privacy import author_ref

log = logging.getLogger("jemput.harvester.telegram")


class TelegramPoller(Poller):
    channel = "telegram"

    def __init__(
        self,
        name: str,
        *,
        bot_token: str,
        hash_key: str,
        api_base_url: str = "https://api.telegram.org",
        long_poll_s: int = 25,
        page_size: int = 100,
        allowed_updates: list[str] | tuple[str, ...] = ("message", "channel_post"),
        timeout_s: float = 20.0,
        session: requests.Session | None = None,
    ) -> None:
        super().__init__(name)
        self._token = bot_token
        keep_out_of_logs(bot_token)  # it is part of every request path
        self.hash_key = hash_key
        self.base = f"{api_base_url.rstrip('/')}/bot{bot_token}"
        self.long_poll_s = long_poll_s
        self.page_size = page_size
        self.allowed_updates = list(allowed_updates)
        self.timeout_s = timeout_s
        self.session = session or requests.Session()

    def _call(self, method: str, params: dict[str, Any], timeout_s: float) -> Any:
        resp = get_json(self.session, f"{self.base}/{method}", params=params, timeout_s=timeout_s,
                        what=f"{self.name}: {method}", secrets=(self._token,),
                        accept_status=(400, 401, 403, 404, 409, 429))
        body = resp.body
        if not isinstance(body, dict):
            raise TransientError(f"{self.name}: {method}: expected a JSON object")
        if body.get("ok") is True:
            return body.get("result")
        code = body.get("error_code", resp.status)
        desc = redact(str(body.get("description", ""))[:200], (self._token,))
        params_ = body.get("parameters") or {}
        if code == 429:
            retry = params_.get("retry_after")
            raise TransientError(f"{self.name}: {method}: rate limited: {desc}",
                                 retry_after=float(retry) if isinstance(retry, int | float) else None)
        if code in (401, 404):
            raise SourceError(f"{self.name}: {method}: the bot token was refused ({code} {desc}); check "
                              "harvester.telegram.bot_token")
        if code == 409:
            raise SourceError(f"{self.name}: {method}: {desc} (a webhook is set for this bot or another process "
                              "polls it; call deleteWebhook or stop the other poller)")
        if isinstance(code, int) and code >= 500:
            raise TransientError(f"{self.name}: {method}: {code} {desc}")
        raise PermanentError(f"{self.name}: {method}: {code} {desc}")

    def poll(self, cursor: str | None) -> PollResult:
        params: dict[str, Any] = {"timeout": self.long_poll_s, "limit": self.page_size,
                                  "allowed_updates": json.dumps(self.allowed_updates)}
        offset: int | None = None
        if cursor:
            try:
                offset = int(cursor)
            except ValueError:
                raise SourceError(f"{self.name}: unreadable cursor {cursor[:40]!r}") from None
            params["offset"] = offset
        updates = self._call("getUpdates", params, self.long_poll_s + self.timeout_s)
        if not isinstance(updates, list):
            raise TransientError(f"{self.name}: getUpdates: 'result' is not a list")
        messages: list[RawMessage] = []
        rejected: list[Rejected] = []
        last_id: int | None = None
        for upd in updates:
            uid = upd.get("update_id") if isinstance(upd, dict) else None
            if not isinstance(uid, int):
                rejected.append(Rejected("update ?", "no update_id"))
                continue
            last_id = uid if last_id is None else max(last_id, uid)
            try:
                msg = self._message(upd)
            except (ValueError, TypeError, OverflowError, OSError, ValidationError) as exc:
                rejected.append(Rejected(f"update {uid}", _short(exc)))
                continue
            messages.append(msg)
        new_cursor = str(last_id + 1) if last_id is not None else None
        if new_cursor is not None and offset is not None and last_id is not None and last_id + 1 < offset:
            new_cursor = None  # never move backwards
        return PollResult(messages=messages, cursor=new_cursor, more=len(updates) >= self.page_size,
                          rejected=rejected)

    def _message(self, upd: dict[str, Any]) -> RawMessage:
        kind = next((k for k in ("message", "channel_post") if isinstance(upd.get(k), dict)), None)
        if kind is None:
            raise ValueError(f"no message or channel_post (keys: {', '.join(sorted(upd)[:5])})")
        m = upd[kind]
        chat = m.get("chat") if isinstance(m.get("chat"), dict) else {}
        chat_id, message_id = chat.get("id"), m.get("message_id")
        if not isinstance(chat_id, int) or not isinstance(message_id, int):
            raise ValueError("message without chat.id or message_id")
        text = m.get("text") if isinstance(m.get("text"), str) else m.get("caption")
        if not isinstance(text, str) or not text.strip():
            raise ValueError("no text or caption")
        sender = m.get("from") if isinstance(m.get("from"), dict) else {}
        ident = sender.get("id") if isinstance(sender.get("id"), int) else None
        who = str(ident) if ident is not None else (f"chat{chat_id}" if kind == "channel_post" else None)
        gps = None
        loc = m.get("location")
        if isinstance(loc, dict) and isinstance(loc.get("latitude"), int | float) and isinstance(
                loc.get("longitude"), int | float):
            gps = {"lat": float(loc["latitude"]), "lon": float(loc["longitude"])}
            if isinstance(loc.get("horizontal_accuracy"), int | float):
                gps["accuracy_m"] = float(loc["horizontal_accuracy"])
        media: list[str] = []
        photos = [p for p in m.get("photo") or [] if isinstance(p, dict) and isinstance(p.get("file_id"), str)
                  and p["file_id"]]
        if photos:
            best = max(photos, key=lambda p: (p.get("width", 0) * p.get("height", 0), p.get("file_size", 0)))
            media.append(f"telegram-file:{best['file_id']}")
        doc = m.get("document")
        if isinstance(doc, dict) and isinstance(doc.get("file_id"), str) and doc["file_id"]:
            media.append(f"telegram-file:{doc['file_id']}")
        reply = m.get("reply_to_message")
        reply_to = None
        if isinstance(reply, dict) and isinstance(reply.get("message_id"), int):
            reply_to = f"telegram:{chat_id}:{reply['message_id']}"
        raw = {k: v for k, v in m.items() if k not in ("from", "chat", "reply_to_message", "sender_chat")}
        raw = {"source": self.name, "update_id": upd["update_id"], "kind": kind,
               "chat": {"id": chat_id, "type": chat.get("type")}, "message": raw}
        date = m.get("date")
        return RawMessage(
            message_id=f"telegram:{chat_id}:{message_id}",
            channel="telegram",
            posted_at=datetime.fromtimestamp(date, UTC) if isinstance(date, int) else None,
            text=text[:MAX_TEXT_CHARS],
            author_ref=author_ref(self.hash_key, "telegram", who) if who else None,
            reply_to=reply_to,
            gps=gps,
            media=tuple(media),
            raw=raw,
        )

    def check(self) -> str:
        me = self._call("getMe", {}, self.timeout_s)
        return f"bot @{(me or {}).get('username', '?')} reachable"

    def close(self) -> None:
        self.session.close()


def _short(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
    return str(exc)[:300]


def build(settings: Settings) -> TelegramPoller:
    tg = settings.harvester.telegram
    if tg.bot_token is None or not tg.bot_token.get_secret_value():
        raise SourceError("telegram: harvester.telegram.bot_token is not set (JEMPUT_HARVESTER__TELEGRAM__BOT_TOKEN)")
    return TelegramPoller("telegram", bot_token=tg.bot_token.get_secret_value(), hash_key=author_hash_key(settings),
                          api_base_url=tg.api_base_url, long_poll_s=tg.long_poll_s, page_size=tg.page_size,
                          allowed_updates=tg.allowed_updates, timeout_s=tg.timeout_s)
