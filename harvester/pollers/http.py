"""What the HTTP pollers share: one JSON GET with failures classified, secrets kept out of errors, dotted paths,
provider times.

Failures: a connection error, a timeout, 5xx, 408 and 429 are transient (429 and 503 with ``Retry-After`` set
``retry_after``); 401 and 403 (credentials) and other 4xx are permanent; a body that is not JSON is transient
(usually a proxy's error page). Every message passes through :func:`redact` so a token that is part of a URL
(Telegram's ``/bot<token>/``) never reaches a log, the cursor store or the status.
"""

from __future__ import annotations

import email.utils
import logging
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from harvester.errors import SourceError
from pipeline.errors import PermanentError, TransientError


def redact(text: str, secrets: Iterable[str | None]) -> str:
    for s in secrets:
        if s and len(s) >= 4:
            text = text.replace(s, "***")
    return text


class _Redactor(logging.Filter):
    """Rewrites log records that contain a registered secret (urllib3 logs request paths at DEBUG, and
    Telegram's path carries the bot token)."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            try:
                msg = record.getMessage()
            except Exception:  # noqa: BLE001 - a broken record is not ours to fix
                return True
            if any(s in msg for s in self.secrets):
                record.msg, record.args = redact(msg, self.secrets), None
        return True


_REDACTOR = _Redactor()
#: Loggers of the HTTP libraries that may print a URL or headers.
_HTTP_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry", "requests", "tweepy.client")


def keep_out_of_logs(secret: str | None) -> None:
    """Make sure ``secret`` never reaches a log through the HTTP libraries' own records."""
    if not secret or len(secret) < 4:
        return
    if not _REDACTOR.secrets:
        for name in _HTTP_LOGGERS:
            logging.getLogger(name).addFilter(_REDACTOR)
    _REDACTOR.secrets.add(secret)


def retry_after_header(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


@dataclass
class JsonResponse:
    status: int
    headers: Mapping[str, str]
    body: Any


def get_json(
    session: requests.Session,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout_s: float,
    what: str,
    secrets: Iterable[str | None] = (),
    accept_status: Iterable[int] = (),
) -> JsonResponse:
    """GET ``url`` and parse JSON. ``accept_status``: non-2xx statuses the caller interprets itself."""
    secrets = tuple(secrets)
    try:
        resp = session.get(url, params=params, headers=dict(headers or {}), timeout=timeout_s)
    except requests.Timeout:
        raise TransientError(f"{what}: no answer within {timeout_s:g}s") from None
    except requests.RequestException as exc:
        raise TransientError(redact(f"{what}: cannot connect: {exc}", secrets)) from None
    with resp:
        status = resp.status_code
        text = resp.text
        if not (200 <= status < 300) and status not in set(accept_status):
            detail = redact(" ".join(text.split())[:200], secrets)
            if status == 429 or (status == 503 and resp.headers.get("Retry-After")):
                raise TransientError(f"{what}: HTTP {status} (rate limited) {detail}".rstrip(),
                                     retry_after=retry_after_header(resp.headers.get("Retry-After")))
            if status >= 500 or status == 408:
                raise TransientError(f"{what}: HTTP {status} {detail}".rstrip())
            if status in (401, 403):
                raise SourceError(f"{what}: HTTP {status}: credentials refused; check the token in the settings")
            raise PermanentError(f"{what}: HTTP {status} {detail}".rstrip())
        try:
            body = resp.json()
        except ValueError:
            raise TransientError(redact(f"{what}: HTTP {status} but the body is not JSON: "
                                        f"{' '.join(text.split())[:120]!r}", secrets)) from None
        return JsonResponse(status, resp.headers, body)


_MISSING = object()


def dotted(obj: Any, path: str, default: Any = None) -> Any:
    """``obj["a"]["b"][0]`` for the path ``a.b.0``; ``default`` when any step is missing. Empty path: obj."""
    if not path:
        return obj
    cur = obj
    for part in path.split("."):
        if isinstance(cur, Mapping):
            cur = cur.get(part, _MISSING)
        elif isinstance(cur, list) and part.lstrip("-").isdigit():
            i = int(part)
            cur = cur[i] if -len(cur) <= i < len(cur) else _MISSING
        else:
            return default
        if cur is _MISSING:
            return default
    return cur


def parse_time(value: Any) -> datetime | None:
    """ISO 8601 (``Z`` allowed) or Unix seconds (milliseconds when the number is that large); None when absent.
    Raises ValueError when present but unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a time: {value!r}")
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().replace(".", "", 1).isdigit()):
        f = float(value)
        if not math.isfinite(f):
            raise ValueError(f"not a time: {value!r}")
        if f > 1e11:  # milliseconds
            f /= 1000.0
        return datetime.fromtimestamp(f, UTC)
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"not ISO 8601 or Unix seconds: {text[:40]!r}") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise ValueError(f"not a time: {type(value).__name__}")
