"""The inbound-SMS webhook receiver: SMS gateways post each message they receive, we put it on the raw topic.

Endpoints (the receiver's root is what ``harvester.sms.public_url`` points at):

``POST /sms/twilio``
    Twilio's form post (``application/x-www-form-urlencoded``: ``MessageSid``, ``From``, ``To``, ``Body``,
    ``NumMedia``, ``MediaUrl0``...). Verified with ``X-Twilio-Signature``: base64 of HMAC-SHA1, keyed by the auth
    token, over the full URL Twilio posted to followed by every POST parameter sorted by name, each as name + value.
    Answers an empty TwiML ``<Response/>`` (no reply SMS is sent).

``POST /sms/json``
    A generic JSON format for other gateways::

        {"id": "gw-0001", "from": "+62 800-0000-0001", "to": "1708", "text": "banjir di ...",
         "received_at": "2026-11-20T08:30:00+07:00", "media": ["https://gw.example/m/1.jpg"]}

    ``id``, ``from`` and ``text`` are required (``text`` may be empty only when ``media`` is not); ``to``,
    ``received_at`` (ISO 8601, or Unix seconds) and ``media`` (a list of http(s) URLs) are optional; other fields
    are ignored (their names are kept in ``raw``). Signed with ``X-Jemput-Signature: sha256=<hex>``: HMAC-SHA256
    of the raw request body keyed by ``harvester.sms.hmac_secret``. A gateway may also send
    ``X-Jemput-Timestamp: <Unix seconds>``; the signature then covers ``<timestamp> + "." + body`` and a request
    whose timestamp is more than ``harvester.sms.max_clock_skew_s`` away from our clock is refused, which bounds
    how long a captured request can be replayed (``require_timestamp`` makes the header mandatory). Replays are
    harmless to the ticket store anyway (same id, one ticket); the window only limits what an eavesdropper can do.
    Answers ``{"status": "accepted", "message_id": ...}`` (or ``"duplicate"``).

``GET /healthz``
    ``{"status": "ok", ...}`` with the counters of :meth:`SmsReceiver.status`.

Errors are JSON ``{"error": ..., "field": ...}``: 400 malformed (which field and why), 401 bad or missing
signature, 404 unknown path, 405 wrong method, 411 no Content-Length, 413 body over ``max_body_bytes``, 415 wrong
content type, 503 the transport did not take the message (the gateway retries).

Never losing an acknowledged message: the RawMessage is produced and the producer flushed *before* the 2xx answer.
Concurrent requests share one producer; sends are serialised and flushes are grouped (one flush covers every
message sent before it), and each request answers only from the outcome of a flush that covered its own message.
When a flush fails, every request it covered answers 503 and the producer is replaced, so nothing is acknowledged
that was not flushed. Message ids are ``sms:twilio-<MessageSid>`` and ``sms:<json_gateway>-<id>``: a replayed
delivery gives the same id, and the sink keeps one ticket.

The sender's number becomes ``author_ref`` (keyed hash); in ``raw`` it is masked, as is any other phone-like
number there (:mod:`harvester.privacy`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import math
import re
import threading
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pydantic import ValidationError

from config.settings import Settings, SmsReceiverSettings
from harvester.errors import SourceError
from harvester.privacy import mask_phone, mask_phones
from pipeline import topics
from pipeline.contract import MAX_ID_CHARS, MAX_TEXT_CHARS, SCHEMA_VERSION, RawMessage, encode
from pipeline.privacy import author_ref
from pipeline.transport.base import Producer, Transport

log = logging.getLogger("jemput.harvester.sms")

CHANNEL = "sms"
TWIML_EMPTY = b'<?xml version="1.0" encoding="UTF-8"?><Response/>'
#: Longest provider id we accept (the message id must stay under MAX_ID_CHARS).
MAX_PROVIDER_ID = 200
#: Most media URLs one message may carry.
MAX_MEDIA = 20
#: A refused over-size body up to this size is read and dropped before the 413 (larger: the connection is closed).
_DRAIN_LIMIT = 1 << 20
#: Recently acknowledged message ids remembered to count (and skip) replays without producing them again.
RECENT_IDS = 10_000

_PROVIDER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@+=/-]*$")
_JSON_KNOWN = {"id", "from", "to", "text", "received_at", "media"}


class WebhookRejected(ValueError):
    """A request the receiver refuses: HTTP ``status``, the ``field`` at fault (if any) and ``reason``."""

    def __init__(self, status: int, reason: str, field: str | None = None, kind: str = "malformed") -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.status = status
        self.reason = reason
        self.field = field
        #: Counter name in status()["rejected"].
        self.kind = kind

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": str(self)}
        if self.field:
            out["field"] = self.field
        return out


def _bad(field: str, reason: str) -> WebhookRejected:
    return WebhookRejected(400, reason, field)


@dataclass(frozen=True)
class InboundSms:
    """One inbound SMS as a gateway described it, before it becomes a RawMessage."""

    gateway: str  # twilio | the JSON gateway's name
    provider_id: str
    sender: str
    recipient: str | None
    text: str
    posted_at: datetime | None
    media: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def message_id(self) -> str:
        return f"{CHANNEL}:{self.gateway}-{self.provider_id}"


# -- signatures -----------------------------------------------------------------------------------------


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """X-Twilio-Signature for a form post: base64(HMAC-SHA1(token, url + name1 + value1 + name2 + ...)).

    Parameters are sorted by name; a repeated name contributes each of its distinct values once, in sorted order
    (as Twilio's own validators do).
    """
    data = url + "".join(k + v for k, v in sorted(set(params)))
    digest = hmac.new(auth_token.encode("utf-8"), data.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _url_variants(url: str) -> list[str]:
    """The URL as given plus with/without its default port: Twilio may sign either form (its own SDK checks both)."""
    parts = urllib.parse.urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    out = [url]
    if default is None or not parts.hostname:
        return out
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    userinfo = parts.netloc.rpartition("@")[0]
    prefix = userinfo + "@" if userinfo else ""
    if parts.port is None:
        out.append(urllib.parse.urlunsplit(parts._replace(netloc=f"{prefix}{host}:{default}")))
    elif parts.port == default:
        out.append(urllib.parse.urlunsplit(parts._replace(netloc=f"{prefix}{host}")))
    return out


def verify_twilio(auth_token: str, url: str, params: Sequence[tuple[str, str]], signature: str | None) -> None:
    if not signature:
        raise WebhookRejected(401, "missing X-Twilio-Signature header", kind="bad_signature")
    given = signature.strip().encode("ascii", "replace")
    for candidate in _url_variants(url):
        if hmac.compare_digest(twilio_signature(auth_token, candidate, params).encode("ascii"), given):
            return
    raise WebhookRejected(401, "X-Twilio-Signature does not match (check the auth token and public_url)",
                          kind="bad_signature")


def json_signature(secret: str, body: bytes, timestamp: str | None = None) -> str:
    """The X-Jemput-Signature value: ``sha256=`` + hex HMAC-SHA256 of the body (or of ``timestamp.body``)."""
    signed = body if timestamp is None else timestamp.encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def verify_json(secret: str, body: bytes, signature: str | None, timestamp: str | None, *,
                now: float, max_skew_s: float, require_timestamp: bool) -> None:
    if not signature:
        raise WebhookRejected(401, "missing X-Jemput-Signature header", kind="bad_signature")
    if timestamp is None:
        if require_timestamp:
            raise WebhookRejected(401, "missing X-Jemput-Timestamp header (required by this receiver)",
                                  kind="bad_signature")
    else:
        try:
            ts = float(timestamp)
            if not math.isfinite(ts) or not timestamp.isascii():
                raise ValueError
        except ValueError:
            raise WebhookRejected(401, "X-Jemput-Timestamp is not Unix seconds", kind="bad_signature") from None
        if abs(now - ts) > max_skew_s:
            raise WebhookRejected(401, f"X-Jemput-Timestamp is more than {max_skew_s:g}s away from the receiver's "
                                  "clock (replayed, or the gateway's clock is wrong)", kind="stale")
    expected = json_signature(secret, body, timestamp)
    if not hmac.compare_digest(expected.encode("ascii"), signature.strip().encode("ascii", "replace")):
        raise WebhookRejected(401, "X-Jemput-Signature does not match (expected sha256=<hex HMAC-SHA256 of the "
                              "body with the shared secret>)", kind="bad_signature")


# -- parsers (pure: tested with hypothesis) ---------------------------------------------------------------


def _unicode(value: str, name: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _bad(name, "is not valid Unicode (a lone surrogate escape such as \\ud800)") from None
    return value


def _provider_id(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise _bad(name, "missing" if value is None else f"must be a string, got {type(value).__name__}")
    value = value.strip()
    if not value:
        raise _bad(name, "is empty")
    if len(value) > MAX_PROVIDER_ID:
        raise _bad(name, f"longer than {MAX_PROVIDER_ID} characters")
    if not _PROVIDER_ID.match(value):
        raise _bad(name, "may hold only letters, digits and . _ : @ + = / - (and must start with a letter or digit)")
    return value


def _sender(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise _bad(name, "missing" if value is None else f"must be a string, got {type(value).__name__}")
    value = _unicode(value, name).strip()
    if not value:
        raise _bad(name, "is empty")
    if len(value) > 64:
        raise _bad(name, "longer than 64 characters")
    if any(not c.isprintable() for c in value):
        raise _bad(name, "contains control characters")
    return _unicode(value, name)


def _text(value: Any, name: str, has_media: bool) -> str:
    if not isinstance(value, str):
        raise _bad(name, "missing" if value is None else f"must be a string, got {type(value).__name__}")
    if len(value) > MAX_TEXT_CHARS:
        raise _bad(name, f"has {len(value)} characters; the limit is {MAX_TEXT_CHARS}")
    if not value.replace("\x00", "").strip() and not has_media:  # the contract drops NUL
        raise _bad(name, "is empty and the message has no media")
    return _unicode(value, name)


def _media_url(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise _bad(name, f"must be a URL string, got {type(value).__name__}")
    parts = urllib.parse.urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or len(value) > 2048:
        raise _bad(name, "must be an http(s) URL of at most 2048 characters")
    return _unicode(value.strip(), name)


def _parse_time(value: Any, name: str) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _bad(name, "must be ISO 8601 or Unix seconds")
    if isinstance(value, int | float):
        try:
            if not math.isfinite(value):
                raise ValueError
            return datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            raise _bad(name, "Unix time out of range") from None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise _bad(name, f"not ISO 8601: {value[:40]!r}") from None
        # In UTC: an offset with seconds (historic zones) would not survive the contract's JSON.
        try:
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
        except OverflowError:
            raise _bad(name, "out of range") from None
    raise _bad(name, f"must be ISO 8601 or Unix seconds, got {type(value).__name__}")


def decode_form(body: bytes) -> list[tuple[str, str]]:
    """The name/value pairs of a form body, in order; 400 when it is not UTF-8 form encoding."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _bad("(body)", f"not UTF-8: {exc.reason} at byte {exc.start}") from None
    try:
        return urllib.parse.parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text),
                                      errors="strict", max_num_fields=1000)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _bad("(body)", f"not form encoding: {exc}") from None


def parse_twilio(params: Sequence[tuple[str, str]]) -> InboundSms:
    """An InboundSms from Twilio's form parameters; :class:`WebhookRejected` (400) saying which field and why."""
    form: dict[str, str] = {}
    for k, v in params:
        if k in form and k in ("MessageSid", "From", "Body", "To", "NumMedia"):
            raise _bad(k, "given more than once")
        form.setdefault(k, v)
    sid = _provider_id(form.get("MessageSid") or form.get("SmsSid"), "MessageSid")
    sender = _sender(form.get("From"), "From")
    num_raw = form.get("NumMedia", "0") or "0"
    if not num_raw.isascii() or not num_raw.isdigit() or int(num_raw) > MAX_MEDIA:
        raise _bad("NumMedia", f"must be a whole number from 0 to {MAX_MEDIA}")
    num = int(num_raw)
    media = []
    for i in range(num):
        url = form.get(f"MediaUrl{i}")
        if url is None:
            raise _bad(f"MediaUrl{i}", f"missing although NumMedia is {num}")
        media.append(_media_url(url, f"MediaUrl{i}"))
    text = _text(form.get("Body"), "Body", bool(media))
    recipient = form.get("To") or None
    extra: dict[str, Any] = {}
    for key in ("AccountSid", "MessagingServiceSid", "FromCity", "FromState", "FromCountry", "ToCountry",
                "NumSegments", "ApiVersion", "SmsStatus"):
        if form.get(key):
            extra[key] = form[key][:200]
    types = [form[f"MediaContentType{i}"][:100] for i in range(num) if form.get(f"MediaContentType{i}")]
    if types:
        extra["MediaContentTypes"] = types
    return InboundSms("twilio", sid, sender, recipient, text, None, tuple(media), extra)


def parse_json(body: bytes, gateway: str) -> InboundSms:
    """An InboundSms from the generic JSON format; :class:`WebhookRejected` (400) saying which field and why."""
    try:
        obj = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise _bad("(body)", f"not UTF-8: {exc.reason} at byte {exc.start}") from None
    except json.JSONDecodeError as exc:
        raise _bad("(body)", f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise _bad("(body)", "not JSON: nested too deeply") from None
    if not isinstance(obj, dict):
        raise _bad("(body)", f"expected a JSON object, got {type(obj).__name__}")
    raw_id = obj.get("id")
    if isinstance(raw_id, int) and not isinstance(raw_id, bool):
        raw_id = str(raw_id)
    provider_id = _provider_id(raw_id, "id")
    sender = _sender(obj.get("from"), "from")
    recipient = obj.get("to")
    if recipient is not None:
        if not isinstance(recipient, str) or len(recipient) > 64:
            raise _bad("to", "must be a string of at most 64 characters")
        recipient = _unicode(recipient.strip(), "to") or None
    media_in = obj.get("media")
    if media_in is None:
        media_in = []
    if not isinstance(media_in, list):
        raise _bad("media", f"must be a list of URLs, got {type(media_in).__name__}")
    if len(media_in) > MAX_MEDIA:
        raise _bad("media", f"more than {MAX_MEDIA} URLs")
    media = tuple(_media_url(u, f"media[{i}]") for i, u in enumerate(media_in))
    text = _text(obj.get("text"), "text", bool(media))
    posted_at = _parse_time(obj.get("received_at"), "received_at")
    ignored = sorted(str(k)[:64] for k in obj if k not in _JSON_KNOWN)[:50]
    return InboundSms(gateway, provider_id, sender, recipient, text, posted_at, media,
                      {"ignored_fields": ignored} if ignored else {})


def to_message(sms: InboundSms, hash_key: str) -> RawMessage:
    """The RawMessage of an inbound SMS: the number hashed into author_ref and masked in raw."""
    if len(sms.message_id) > MAX_ID_CHARS:  # pragma: no cover - bounded by MAX_PROVIDER_ID
        raise _bad("id", "too long")
    raw: dict[str, Any] = mask_phones({
        "source": f"sms-{sms.gateway}",
        "provider_id": sms.provider_id,
        "to": sms.recipient,
        **sms.extra,
    })
    raw["from"] = mask_phone(sms.sender)
    try:
        return RawMessage(
            message_id=sms.message_id,
            channel=CHANNEL,
            posted_at=sms.posted_at,
            text=sms.text,
            author_ref=author_ref(hash_key, CHANNEL, sms.sender),
            media=sms.media,
            raw=raw,
        )
    except ValidationError as exc:  # a value the contract refuses that the parser let through: still a 400
        err = exc.errors()[0]
        raise _bad(".".join(str(p) for p in err["loc"]) or "(message)", err["msg"]) from None


# -- producing with ack-after-flush -------------------------------------------------------------------------


class _Pending:
    __slots__ = ("done", "ok", "error")

    def __init__(self) -> None:
        self.done = False
        self.ok = False
        self.error: str | None = None


class GroupCommitProducer:
    """One producer shared by request threads; :meth:`publish` returns only once the message was flushed.

    Sends are serialised. A flush takes every message sent so far; a request whose message a flush already covered
    returns that flush's outcome without flushing again. A failed flush fails every request it covered and the
    producer is replaced, so a later flush can never be mistaken for the one that lost them.
    """

    def __init__(self, transport: Transport, flush_timeout_s: float) -> None:
        self._transport = transport
        self._flush_timeout_s = flush_timeout_s
        self._send_lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._producer: Producer = transport.producer()
        self._pending: list[_Pending] = []
        self.flushes = 0

    def publish(self, message: RawMessage) -> None:
        """Send and flush ``message``; raise :class:`FlushFailed` when it may not be durable."""
        headers = [(topics.H_SCHEMA, str(SCHEMA_VERSION).encode()),
                   (topics.H_TRACE, (message.trace_id or message.message_id).encode())]
        value = encode(message)
        mine = _Pending()
        with self._send_lock:
            try:
                self._producer.send(topics.RAW, value, key=message.message_id.encode(), headers=headers)
            except Exception as exc:
                raise FlushFailed(f"the transport refused the message: {exc}") from exc
            self._pending.append(mine)
        with self._flush_lock:
            if not mine.done:
                with self._send_lock:
                    batch, self._pending = self._pending, []
                    try:
                        self._producer.flush(self._flush_timeout_s)
                        ok, error = True, None
                        self.flushes += 1
                    except Exception as exc:  # TransportError and anything a producer may raise
                        ok, error = False, str(exc) or type(exc).__name__
                        log.warning("flush of %d SMS failed: %s; answering 503 so the gateways retry",
                                    len(batch), error)
                        self._replace_producer()
                for p in batch:
                    p.ok, p.error, p.done = ok, error, True
        if not mine.ok:
            raise FlushFailed(mine.error or "flush failed")

    def _replace_producer(self) -> None:
        old = self._producer
        try:
            old.close()
        except Exception:  # noqa: BLE001 - a broken producer may fail to close; it is dropped either way
            pass
        self._producer = self._transport.producer()

    def close(self) -> None:
        with self._flush_lock, self._send_lock:
            try:
                self._producer.flush(self._flush_timeout_s)
            finally:
                self._producer.close()


class FlushFailed(Exception):
    """The message was not (or may not have been) made durable: answer 503."""


# -- HTTP ---------------------------------------------------------------------------------------------------


class _Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.accepted = 0
        self.duplicates = 0
        self.unavailable = 0
        self.rejected: dict[str, int] = {}
        self.last_message_at: datetime | None = None
        self.recent: OrderedDict[str, None] = OrderedDict()

    def seen(self, message_id: str) -> bool:
        with self.lock:
            return message_id in self.recent

    def acknowledged(self, message_id: str) -> None:
        with self.lock:
            self.accepted += 1
            self.last_message_at = datetime.now(UTC)
            self.recent[message_id] = None
            while len(self.recent) > RECENT_IDS:
                self.recent.popitem(last=False)

    def duplicate(self) -> None:
        with self.lock:
            self.duplicates += 1
            self.last_message_at = datetime.now(UTC)

    def reject(self, kind: str) -> None:
        with self.lock:
            self.rejected[kind] = self.rejected.get(kind, 0) + 1


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins the request threads: in-flight requests finish
    block_on_close = True
    allow_reuse_address = True
    receiver: SmsReceiver

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up or stalled is routine on the internet; anything else is logged with its traceback.
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, TimeoutError | ConnectionError):
            log.debug("connection from %s dropped: %s", client_address[0], exc)
        else:
            log.exception("error serving %s", client_address[0])


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "jemput-sms"
    sys_version = ""
    protocol_version = "HTTP/1.0"  # one request per connection: a stop never waits on idle keep-alives

    def setup(self) -> None:
        self.timeout = self.server.receiver.settings.request_timeout_s
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - BaseHTTPRequestHandler's name
        log.debug("%s " + format, self.client_address[0], *args)

    # -- answers
    def _answer(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, obj: dict[str, Any], extra: dict[str, str] | None = None) -> None:
        self._answer(status, json.dumps(obj, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8",
                     extra)

    def _reject(self, rej: WebhookRejected) -> None:
        self.server.receiver._stats.reject(rej.kind)
        log.info("refused %s %s: %d %s", self.command, self.path, rej.status, rej)
        self._json(rej.status, rej.body())

    # -- routing
    def do_GET(self) -> None:  # noqa: N802 - BaseHTTPRequestHandler's naming
        path = urllib.parse.urlsplit(self.path).path
        if path == "/healthz":
            self._json(200, {"status": "ok", **self.server.receiver.status()})
        elif path in self.server.receiver.routes:
            self._reject(WebhookRejected(405, "use POST", kind="method"))
        else:
            self._reject(WebhookRejected(404, f"no such endpoint: {path[:100]}", kind="not_found"))

    do_HEAD = do_GET

    def do_POST(self) -> None:  # noqa: N802
        receiver = self.server.receiver
        path = urllib.parse.urlsplit(self.path).path
        route = receiver.routes.get(path)
        if route is None:
            self._reject(WebhookRejected(404, f"no such endpoint: {path[:100]}", kind="not_found"))
            return
        try:
            body = self._read_body(receiver.settings.max_body_bytes)
            sms = route(self, body)
            message = to_message(sms, receiver.hash_key)
        except WebhookRejected as rej:
            if rej.status == 413:
                self.close_connection = True
            self._reject(rej)
            return
        except (TimeoutError, ConnectionError):
            raise  # the client went away or stalled: nothing to answer
        except Exception:
            # A bug, not the gateway's fault: 500 makes it retry, and nothing was acknowledged.
            log.exception("unexpected error handling %s", path)
            receiver._stats.reject("internal_error")
            self._json(500, {"error": "internal error; the message was not stored, retry later"})
            return
        if receiver._stats.seen(message.message_id):
            # Acknowledged (flushed) before: the gateway retried because our answer was lost. Nothing to produce.
            receiver._stats.duplicate()
            self._ok(path, message.message_id, "duplicate")
            return
        try:
            receiver._producer.publish(message)
        except FlushFailed as exc:
            with receiver._stats.lock:
                receiver._stats.unavailable += 1
            self._json(503, {"error": f"message not stored, retry later: {exc}"}, {"Retry-After": "5"})
            return
        receiver._stats.acknowledged(message.message_id)
        self._ok(path, message.message_id, "accepted")

    def _ok(self, path: str, message_id: str, status: str) -> None:
        if path == "/sms/twilio":
            self._answer(200, TWIML_EMPTY, "text/xml; charset=utf-8")
        else:
            self._json(200, {"status": status, "message_id": message_id})

    def _read_body(self, limit: int) -> bytes:
        if self.headers.get("Transfer-Encoding"):
            raise WebhookRejected(411, "send the body with a Content-Length (chunked encoding is not accepted)",
                                  "Content-Length", kind="malformed")
        length_raw = self.headers.get("Content-Length")
        if length_raw is None:
            raise WebhookRejected(411, "missing", "Content-Length", kind="malformed")
        if not length_raw.strip().isdigit():
            raise _bad("Content-Length", "not a number")
        length = int(length_raw)
        if length > limit:
            if length <= _DRAIN_LIMIT:
                # Read and drop the body so the client, still sending it, gets the 413 rather than a reset.
                remaining = length
                while remaining > 0:
                    chunk = self.rfile.read(min(65536, remaining))
                    if not chunk:
                        break
                    remaining -= len(chunk)
            raise WebhookRejected(413, f"body of {length} bytes is over the limit of {limit}", kind="too_large")
        body = self.rfile.read(length)
        if len(body) != length:
            raise _bad("(body)", f"ended after {len(body)} of {length} bytes")
        return body

    def _content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()

    def _public_url(self) -> str:
        base = self.server.receiver.settings.public_url
        if base:
            return base.rstrip("/") + self.path
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        return f"http://{host}{self.path}"

    # -- endpoints
    def route_twilio(self, body: bytes) -> InboundSms:
        receiver = self.server.receiver
        if self._content_type() != "application/x-www-form-urlencoded":
            raise WebhookRejected(415, "expected application/x-www-form-urlencoded", "Content-Type",
                                  kind="malformed")
        params = decode_form(body)
        token = receiver.settings.twilio_auth_token
        assert token is not None  # the route exists only with a token
        verify_twilio(token.get_secret_value(), self._public_url(), params, self.headers.get("X-Twilio-Signature"))
        return parse_twilio(params)

    def route_json(self, body: bytes) -> InboundSms:
        receiver = self.server.receiver
        secret = receiver.settings.hmac_secret
        assert secret is not None
        verify_json(secret.get_secret_value(), body, self.headers.get("X-Jemput-Signature"),
                    self.headers.get("X-Jemput-Timestamp"), now=time.time(),
                    max_skew_s=receiver.settings.max_clock_skew_s,
                    require_timestamp=receiver.settings.require_timestamp)
        ctype = self._content_type()
        if ctype and ctype != "application/json":
            raise WebhookRejected(415, "expected application/json", "Content-Type", kind="malformed")
        return parse_json(body, receiver.settings.json_gateway)


class SmsReceiver:
    """The webhook receiver: :meth:`start`, :meth:`stop`, :attr:`address`, :meth:`status`."""

    def __init__(self, settings: SmsReceiverSettings, hash_key: str, transport: Transport) -> None:
        self.settings = settings
        self.hash_key = hash_key
        self._transport = transport
        self.routes: dict[str, Any] = {}
        if settings.twilio_auth_token is not None:
            self.routes["/sms/twilio"] = _Handler.route_twilio
        if settings.hmac_secret is not None:
            self.routes["/sms/json"] = _Handler.route_json
        if not self.routes:
            raise SourceError("the SMS receiver has no endpoint: set harvester.sms.twilio_auth_token and/or "
                              "harvester.sms.hmac_secret")
        self._stats = _Stats()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._producer: GroupCommitProducer
        self.started_at: datetime | None = None

    @property
    def address(self) -> tuple[str, int]:
        if self._server is None:
            raise RuntimeError("the SMS receiver is not started")
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("the SMS receiver is already started")
        self._transport.ensure_topics([topics.RAW])
        self._producer = GroupCommitProducer(self._transport, self.settings.flush_timeout_s)
        try:
            server = _Server((self.settings.host, self.settings.port), _Handler)
        except OSError as exc:
            self._producer.close()
            raise SourceError(f"SMS receiver cannot listen on {self.settings.host}:{self.settings.port}: "
                              f"{exc.strerror or exc}") from None
        server.receiver = self
        self._server = server
        self.started_at = datetime.now(UTC)
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="sms-receiver", daemon=True)
        self._thread.start()
        log.info("SMS receiver listening on %s:%d (%s)", *self.address, ", ".join(sorted(self.routes)))

    def stop(self) -> None:
        """Stop accepting, let in-flight requests finish (each flushes before it answers), close the producer."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()  # serve_forever returns; no new connections are accepted
        server.server_close()  # joins the request threads
        if self._thread is not None:
            self._thread.join()
        self._producer.close()
        log.info("SMS receiver stopped: %s", self.status())

    def status(self) -> dict[str, Any]:
        s = self._stats
        with s.lock:
            return {
                "accepted": s.accepted,
                "duplicates": s.duplicates,
                "unavailable": s.unavailable,
                "rejected": dict(sorted(s.rejected.items())),
                "last_message_at": s.last_message_at.isoformat() if s.last_message_at else None,
                "started_at": self.started_at.isoformat() if self.started_at else None,
                "endpoints": sorted(self.routes),
                "listening": "{}:{}".format(*self.address) if self._server is not None else None,
            }

    def __enter__(self) -> SmsReceiver:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def build_receiver(settings: Settings, transport: Transport) -> SmsReceiver:
    """The receiver configured by ``settings.harvester.sms``, producing onto ``transport``'s raw topic."""
    return SmsReceiver(settings.harvester.sms, settings.privacy.author_hash_key.get_secret_value(), transport)
