"""A JSON feed over REST with a configurable field map: the core of the citizen-app feed and the SMS REST inbox.

``GET <url>?<cursor_param>=<cursor>&<limit_param>=<page_size>`` (``Authorization: Bearer <token>`` when a token
is set) answers JSON with a list of items at ``items_path`` (dotted, e.g. ``data`` or ``result.messages``). Each
item is read through ``field_map`` (our field -> the provider's dotted path):

- ``id`` (required): the provider's id; the message id is ``<channel>:<id_prefix><id>``;
- ``text`` (required); ``posted_at`` (ISO 8601 or Unix seconds/milliseconds; a time without zone is UTC);
- ``lat``, ``lon``, ``accuracy`` (metres) -> gps; ``photo`` (a URL or a list of URLs) -> media; ``lang``;
- ``author`` or ``from``: hashed into author_ref; in ``raw`` it is masked (a phone number) or dropped.

``raw`` is the item with every phone-like number masked (:mod:`harvester.privacy`).

The cursor is what the provider returns at ``next_cursor_path`` when set, else the highest ``cursor_field`` value
of the page (numbers compared as numbers, times as times); it never moves backwards. A full page (``page_size``
items) means more are waiting. Providers whose ``since`` is inclusive send the boundary item again: same id, same
message id, one ticket.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

import requests
from pydantic import ValidationError

from harvester.errors import SourceError
from harvester.pollers.base import Poller, PollResult, Rejected
from harvester.pollers.http import dotted, get_json, keep_out_of_logs, parse_time
from harvester.privacy import mask_phone, mask_phones
from pipeline.contract import MAX_ID_CHARS, MAX_TEXT_CHARS, RawMessage
from pipeline.errors import PermanentError, TransientError
from pipeline.privacy import author_ref

log = logging.getLogger("jemput.harvester.jsonfeed")

_MISSING = object()


class JsonFeedPoller(Poller):
    """One JSON feed; ``channel`` is set per instance (``app``, ``sms``)."""

    channel = "app"

    def __init__(
        self,
        name: str,
        *,
        channel: str,
        url: str,
        hash_key: str,
        field_map: Mapping[str, str],
        items_path: str = "data",
        token: str | None = None,
        cursor_param: str = "since",
        cursor_field: str = "id",
        next_cursor_path: str | None = None,
        limit_param: str | None = "limit",
        page_size: int = 100,
        id_prefix: str = "",
        author_field: str = "author",
        author_in_raw: str = "drop",
        timeout_s: float = 20.0,
        session: requests.Session | None = None,
    ) -> None:
        super().__init__(name)
        self.channel = channel  # type: ignore[misc] - per instance for the generic feed
        for required in ("id", "text"):
            if not field_map.get(required):
                raise SourceError(f"{name}: field_map needs {required!r}")
        if not next_cursor_path and cursor_field not in field_map:
            raise SourceError(f"{name}: cursor_field {cursor_field!r} is not a key of field_map")
        if author_in_raw not in ("mask", "drop"):
            raise SourceError(f"{name}: author_in_raw must be 'mask' or 'drop'")
        self.url = url
        self.hash_key = hash_key
        self.field_map = dict(field_map)
        self.items_path = items_path
        self._token = token
        keep_out_of_logs(token)
        self.cursor_param = cursor_param
        self.cursor_field = cursor_field
        self.next_cursor_path = next_cursor_path
        self.limit_param = limit_param
        self.page_size = page_size
        self.id_prefix = id_prefix
        self.author_field = author_field
        self.author_in_raw = author_in_raw
        self.timeout_s = timeout_s
        self.session = session or requests.Session()

    def _get(self, params: dict[str, Any]) -> Any:
        headers = {"Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return get_json(self.session, self.url, params=params, headers=headers, timeout_s=self.timeout_s,
                        what=self.name, secrets=(self._token,)).body

    def poll(self, cursor: str | None) -> PollResult:
        params: dict[str, Any] = {}
        if cursor is not None:
            params[self.cursor_param] = cursor
        if self.limit_param:
            params[self.limit_param] = self.page_size
        body = self._get(params)
        items = dotted(body, self.items_path, _MISSING)
        if items is _MISSING:
            raise PermanentError(f"{self.name}: no {self.items_path!r} in the answer (check items_path); "
                                 f"keys: {', '.join(list(body)[:8]) if isinstance(body, dict) else type(body).__name__}")
        if items is None:
            items = []
        if not isinstance(items, list):
            raise TransientError(f"{self.name}: {self.items_path!r} is a {type(items).__name__}, not a list")
        messages: list[RawMessage] = []
        rejected: list[Rejected] = []
        best: tuple[Any, str] | None = _cursor_key(cursor) if cursor is not None else None
        for n, item in enumerate(items):
            ref = f"item {n}"
            if isinstance(item, dict):
                pid = dotted(item, self.field_map["id"])
                if isinstance(pid, str | int) and not isinstance(pid, bool):
                    ref = f"id {pid}"
                if not self.next_cursor_path:
                    value = dotted(item, self.field_map[self.cursor_field])
                    if isinstance(value, str | int | float) and not isinstance(value, bool):
                        key = _cursor_key(str(value))
                        if best is None or _later(key, best):
                            best = key
            try:
                messages.append(self._message(item))
            except (ValueError, TypeError, OverflowError, OSError, ValidationError) as exc:
                rejected.append(Rejected(ref, _short(exc)))
        if self.next_cursor_path:
            nxt = dotted(body, self.next_cursor_path)
            new_cursor = str(nxt) if isinstance(nxt, str | int | float) and not isinstance(nxt, bool) else None
        else:
            new_cursor = best[1] if best is not None and best[1] != cursor else None
        more = bool(self.limit_param) and len(items) >= self.page_size and new_cursor is not None
        return PollResult(messages=messages, cursor=new_cursor, more=more, rejected=rejected)

    def _field(self, item: dict[str, Any], ours: str) -> Any:
        path = self.field_map.get(ours)
        return dotted(item, path) if path else None

    def _message(self, item: Any) -> RawMessage:
        if not isinstance(item, dict):
            raise ValueError(f"expected an object, got {type(item).__name__}")
        pid = self._field(item, "id")
        if pid is None or pid == "" or isinstance(pid, bool) or not isinstance(pid, str | int):
            raise ValueError(f"missing or bad id at {self.field_map['id']!r}")
        pid = str(pid).strip()
        if not pid or len(pid) + len(self.id_prefix) > MAX_ID_CHARS - len(self.channel) - 1:
            raise ValueError("id is blank or too long")
        text = self._field(item, "text")
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"missing or empty text at {self.field_map['text']!r}")
        posted_at = parse_time(self._field(item, "posted_at"))
        gps = None
        lat, lon = _num(self._field(item, "lat"), "lat"), _num(self._field(item, "lon"), "lon")
        if (lat is None) != (lon is None):
            raise ValueError("only one of lat and lon")
        if lat is not None and lon is not None and not (lat == 0 and lon == 0):  # 0,0: an app's "no fix"
            gps = {"lat": lat, "lon": lon}
            acc = _num(self._field(item, "accuracy"), "accuracy")
            if acc is not None and acc >= 0:
                gps["accuracy_m"] = acc
        photo = self._field(item, "photo")
        if photo is None or photo == "":
            media: tuple[str, ...] = ()
        elif isinstance(photo, str):
            media = (photo,)
        elif isinstance(photo, list) and all(isinstance(p, str) for p in photo):
            media = tuple(p for p in photo if p)
        else:
            raise ValueError("photo must be a URL or a list of URLs")
        who = self._field(item, self.author_field)
        ref = None
        if isinstance(who, str | int) and not isinstance(who, bool) and str(who).strip():
            ref = author_ref(self.hash_key, self.channel, str(who))
        lang = self._field(item, "lang")
        raw = mask_phones(item)
        path = self.field_map.get(self.author_field)
        if path and who is not None:
            _replace(raw, path, mask_phone(str(who)) if self.author_in_raw == "mask" else _DROP)
        return RawMessage(
            message_id=f"{self.channel}:{self.id_prefix}{pid}",
            channel=self.channel,
            posted_at=posted_at,
            text=text[:MAX_TEXT_CHARS],
            author_ref=ref,
            gps=gps,
            media=media,
            lang=lang if isinstance(lang, str) and len(lang) <= 16 else None,
            raw={"source": self.name, "item": raw},
        )

    def check(self) -> str:
        """One request for a single item (no cursor saved): the URL, the token and items_path work."""
        body = self._get({self.limit_param: 1} if self.limit_param else {})
        items = dotted(body, self.items_path, _MISSING)
        if items is _MISSING:
            raise PermanentError(f"{self.name}: no {self.items_path!r} in the answer (check items_path)")
        return f"{self.url} answers; {len(items) if isinstance(items, list) else 0} item(s) in a one-item page"

    def close(self) -> None:
        self.session.close()


_DROP = object()


def _replace(obj: Any, path: str, value: Any) -> None:
    parts = path.split(".")
    for p in parts[:-1]:
        if not isinstance(obj, dict):
            return
        obj = obj.get(p)
    if isinstance(obj, dict) and parts[-1] in obj:
        if value is _DROP:
            del obj[parts[-1]]
        else:
            obj[parts[-1]] = value


def _num(value: Any, name: str) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"{name}: not a number")
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: not a number: {str(value)[:30]!r}") from None
    if not math.isfinite(f):
        raise ValueError(f"{name}: not finite")
    return f


def _cursor_key(value: str) -> tuple[Any, str]:
    """An ordering key for a cursor value: (0, number) for numbers, (1, timestamp) for times, (2, text)."""
    text = value.strip()
    try:
        return (0, int(text)), value
    except ValueError:
        pass
    try:
        return (0, float(text)), value
    except ValueError:
        pass
    try:
        t = parse_time(text)
        if t is not None:
            return (1, t.timestamp()), value
    except ValueError:
        pass
    return (2, text), value


def _later(a: tuple[Any, str], b: tuple[Any, str]) -> bool:
    ka, kb = a[0], b[0]
    if ka[0] != kb[0]:
        return False  # a number against a time: not comparable, keep the cursor we have
    return ka[1] > kb[1]


def _short(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
    return str(exc)[:300]


def build_from_section(name: str, channel: str, section: Any, settings: Any, *, author_field: str,
                       author_in_raw: str) -> JsonFeedPoller:
    """A JSON-feed poller from one ``harvester.<name>`` settings section (the app feed and the REST inbox)."""
    from harvester.errors import SourceError
    from harvester.settings import author_hash_key

    if not section.url:
        raise SourceError(f"{name}: harvester.{name}.url is not set (JEMPUT_HARVESTER__{name.upper()}__URL)")
    return JsonFeedPoller(
        name, channel=channel, url=section.url, hash_key=author_hash_key(settings), field_map=section.field_map,
        items_path=section.items_path, token=section.token.get_secret_value() if section.token else None,
        cursor_param=section.cursor_param, cursor_field=section.cursor_field,
        next_cursor_path=section.next_cursor_path, limit_param=section.limit_param, page_size=section.page_size,
        id_prefix=section.id_prefix, author_field=author_field, author_in_raw=author_in_raw,
        timeout_s=section.timeout_s,
    )
