"""The file source: JSON Lines or CSV exports become RawMessages.

JSON Lines: one object per line with at least ``text``; optional ``id``, ``posted_at`` (ISO 8601 or Unix
seconds), ``lat``/``lon``, ``author`` (a handle or phone number: hashed into ``author_ref``, never kept),
``media`` (a URL or a list of URLs), ``lang``. Other fields are kept in ``raw`` for audit.

CSV: a header row; the text column is chosen (``text`` by default) and the other columns are read by the same
names as above.

The message id is ``{channel}:{id}`` when the record has an id, else ``{channel}:h-`` plus a hash of the text,
author and posting time: reading the same file twice gives the same ids, so the ticket store keeps one ticket per
message. Bad records are yielded as :class:`~harvester.errors.RecordRejected` (with the line or row number and the
reason) so the caller can report them; they never stop the file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from harvester.errors import RecordRejected, SourceError
from pipeline.contract import MAX_ID_CHARS, MAX_TEXT_CHARS, RawMessage
from pipeline.privacy import author_ref

FORMATS = ("jsonl", "csv")
_KNOWN = {"id", "text", "posted_at", "lat", "lon", "author", "media", "lang"}


@dataclass(frozen=True)
class FileSourceOptions:
    channel: str = "file"
    fmt: str | None = None  # jsonl | csv; None: from the suffix
    text_column: str = "text"
    id_column: str = "id"
    encoding: str = "utf-8"


def detect_format(path: Path, fmt: str | None) -> str:
    if fmt:
        if fmt not in FORMATS:
            raise SourceError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
        return fmt
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".tsv"):
        return "csv"
    raise SourceError(f"cannot tell the format of {path.name!r} from its suffix; pass --format jsonl or csv")


def read_file(path: Path, hash_key: str, options: FileSourceOptions | None = None) -> Iterator[RawMessage | RecordRejected]:
    """Yield a RawMessage or a RecordRejected for every record of ``path``, in file order."""
    opts = options or FileSourceOptions()
    fmt = detect_format(path, opts.fmt)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise SourceError(f"cannot open {path}: {exc.strerror or exc}") from None
    with handle:
        if fmt == "jsonl":
            rows = _jsonl_rows(handle, opts.encoding)
        else:
            text = io.TextIOWrapper(handle, encoding=opts.encoding, errors="strict", newline="")
            rows = _csv_rows(text, path, opts)
        for where, row in rows:
            if isinstance(row, RecordRejected):
                yield row
                continue
            try:
                yield to_message(row, where, hash_key, opts)
            except RecordRejected as rej:
                yield rej


def _jsonl_rows(handle: io.BufferedIOBase, encoding: str) -> Iterator[tuple[str, dict[str, Any] | RecordRejected]]:
    for lineno, raw_line in enumerate(handle, start=1):
        where = f"line {lineno}"
        try:
            line = raw_line.decode(encoding)
        except UnicodeDecodeError as exc:
            yield where, RecordRejected(where, f"not valid {encoding.upper()}: {exc.reason} at byte {exc.start}")
            continue
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield where, RecordRejected(where, f"not JSON: {exc.msg} at column {exc.colno}")
            continue
        except RecursionError:
            yield where, RecordRejected(where, "not JSON: nested too deeply")
            continue
        if not isinstance(obj, dict):
            yield where, RecordRejected(where, f"expected a JSON object, got {type(obj).__name__}")
            continue
        yield where, obj


def _csv_rows(handle: io.TextIOWrapper, path: Path, opts: FileSourceOptions) -> Iterator[tuple[str, dict[str, Any] | RecordRejected]]:
    try:
        sample = handle.read(65536)
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path}: not valid UTF-8 ({exc.reason})") from None
    handle.seek(0)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    if delimiter == "," and sample:
        try:
            delimiter = csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    reader = csv.DictReader(handle, delimiter=delimiter)
    fields = reader.fieldnames or []
    if opts.text_column not in fields:
        raise SourceError(f"{path}: no column {opts.text_column!r} (columns: {', '.join(fields) or 'none'}); "
                          f"choose one with --text-column")
    rowno = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            yield f"row {rowno + 1}", RecordRejected(f"row {rowno + 1}", f"not valid UTF-8 ({exc.reason}); the rest "
                                                     "of the file was not read")
            return
        except csv.Error as exc:
            rowno += 1
            yield f"row {rowno}", RecordRejected(f"row {rowno}", f"bad CSV: {exc}")
            continue
        rowno += 1
        mapped = {k: v for k, v in row.items() if k is not None}
        mapped["text"] = row.get(opts.text_column)
        if opts.id_column != "id":
            mapped["id"] = row.get(opts.id_column)
        yield f"row {rowno}", {k: (None if v == "" else v) for k, v in mapped.items()}


def _parse_time(value: Any, where: str) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise RecordRejected(where, f"posted_at: not a time: {value!r}")
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            raise RecordRejected(where, f"posted_at: Unix time out of range: {value!r}") from None
    if isinstance(value, str):
        text = value.strip()
        try:
            return datetime.fromtimestamp(float(text), UTC)
        except ValueError:
            pass
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise RecordRejected(where, f"posted_at: not ISO 8601 or Unix seconds: {text[:40]!r}") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise RecordRejected(where, f"posted_at: not a time: {type(value).__name__}")


def _parse_coord(value: Any, name: str, where: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise RecordRejected(where, f"{name}: not a number: {str(value)[:40]!r}") from None
    if not math.isfinite(f):
        raise RecordRejected(where, f"{name}: not a finite number")
    return f


def content_id(text: str, author: str | None, posted_at: datetime | None) -> str:
    h = hashlib.sha256()
    for part in (text, author or "", posted_at.isoformat() if posted_at else ""):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return "h-" + h.hexdigest()[:32]


def to_message(row: dict[str, Any], where: str, hash_key: str, opts: FileSourceOptions) -> RawMessage:
    text = row.get("text")
    if not isinstance(text, str):
        raise RecordRejected(where, "missing 'text'" if text is None else f"'text' must be a string, got {type(text).__name__}")
    if not text.strip():
        raise RecordRejected(where, "empty 'text'")
    if len(text) > MAX_TEXT_CHARS:
        raise RecordRejected(where, f"'text' has {len(text)} characters; the limit is {MAX_TEXT_CHARS}")
    posted_at = _parse_time(row.get("posted_at"), where)
    author = row.get("author")
    if author is not None and not isinstance(author, str | int):
        raise RecordRejected(where, "'author' must be a string")
    author = None if author is None else str(author)
    lat, lon = _parse_coord(row.get("lat"), "lat", where), _parse_coord(row.get("lon"), "lon", where)
    if (lat is None) != (lon is None):
        raise RecordRejected(where, "give both 'lat' and 'lon' or neither")
    provider_id = row.get("id")
    if provider_id is None or provider_id == "":
        provider_id = content_id(text, author, posted_at)
    elif isinstance(provider_id, bool) or not isinstance(provider_id, str | int):
        raise RecordRejected(where, "'id' must be a string or an integer")
    provider_id = str(provider_id).strip()
    if not provider_id or any(c.isspace() for c in provider_id[:1]):
        raise RecordRejected(where, "'id' is blank")
    if len(provider_id) > MAX_ID_CHARS - len(opts.channel) - 1:
        raise RecordRejected(where, "'id' is too long")
    media = row.get("media") or ()
    if isinstance(media, str):
        media = (media,)
    if not isinstance(media, list | tuple) or not all(isinstance(m, str) for m in media):
        raise RecordRejected(where, "'media' must be a URL or a list of URLs")
    ref = author_ref(hash_key, opts.channel, author) if author else None
    raw = {k: v for k, v in row.items() if k not in _KNOWN}
    try:
        return RawMessage(
            message_id=f"{opts.channel}:{provider_id}",
            channel=opts.channel,
            posted_at=posted_at,
            text=text,
            author_ref=ref,
            gps={"lat": lat, "lon": lon} if lat is not None else None,
            media=tuple(media),
            lang=row.get("lang") if isinstance(row.get("lang"), str) else None,
            raw={"source": "file", **raw} if raw else {"source": "file"},
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise RecordRejected(where, f"{loc}: {err['msg']}") from None
