"""The Gammu SMSD inbox poller: SMS received by a GSM modem gateway, read from its database.

Gammu's SMS daemon (``gammu-smsd`` with the sql service, the gateway most Indonesian SMS centres run) writes each
received SMS as one row of its ``inbox`` table: ``ID`` (auto-increment), ``ReceivingDateTime`` (the modem host's
local time, no zone), ``Text`` (hex PDU data), ``TextDecoded`` (the text), ``SenderNumber``, ``Coding``, ``UDH``
(hex user-data header, set for the parts of a concatenated SMS), ``SMSCNumber``, ``Class``, ``RecipientID`` (the
smsd instance), ``Processed`` (``'false'``/``'true'`` on MySQL and SQLite, a boolean on PostgreSQL) and
``Status``. The table is read through SQLAlchemy Core with the columns declared here; the type of ``Processed``
is found by reflection.

One poll reads up to ``batch_size`` unprocessed rows in ID order and yields a RawMessage per SMS; the runner
produces and flushes them, saves the cursor, then calls :meth:`GammuPoller.acknowledge`, which sets
``Processed`` to true for exactly those rows. A crash before that leaves the rows unprocessed: the next poll
reads them again and gives them the same message ids (the sink keeps one ticket). The cursor (the highest ID
handled) is informational in this mode; the ``Processed`` flag is the truth. With ``mark_processed = false``
(for an inbox another application also marks) the table is never written: rows after the cursor's ID are read
instead.

Message id: ``sms:gammu-<ID>-<h>`` where ``h`` is 8 hex digits of a hash of the receiving time and the sender:
stable for the row, and a recreated database that reuses IDs does not make new SMS look like old ones.

Concatenated SMS: parts are recognised by their UDH (IEI 0x00, 8-bit reference, and IEI 0x08, 16-bit reference),
grouped by sender and reference, and joined in sequence order into one message whose id is that of its lowest
row ID. When parts are missing the group is held back (neither produced nor acknowledged) for
``multipart_wait_s`` from when this poller first saw it, then passed on with the parts that arrived and
``raw.incomplete = true``. A group split by the batch limit is completed on a later poll. Parts are matched only
within one poll's batch, so a batch filled entirely with held parts waits for the timeout.

Rows without text (8-bit binary SMS, empty messages) are rejected with the reason and acknowledged, so they are
not read forever. The sender's number becomes ``author_ref``; in ``raw`` it is masked.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from config.settings import GammuSettings, Settings
from harvester.pollers.base import Poller, PollResult, Rejected
from harvester.privacy import mask_phone, mask_phones
from pipeline.contract import MAX_TEXT_CHARS, RawMessage
from pipeline.errors import PermanentError, TransientError
from pipeline.privacy import author_ref

log = logging.getLogger("jemput.harvester.gammu")

CHANNEL = "sms"
#: Columns the poller reads; all are in every Gammu SMSD schema since version 1.x.
COLUMNS = ("ID", "ReceivingDateTime", "Text", "SenderNumber", "Coding", "UDH", "SMSCNumber", "Class",
           "TextDecoded", "RecipientID", "Processed")
_ACK_CHUNK = 500


@dataclass(frozen=True)
class Concat:
    """Concatenation info of one part: reference, total parts, this part's sequence number (1-based)."""

    ref: int
    total: int
    seq: int


def parse_udh(udh: str | None) -> Concat | None:
    """Concatenation info from a hex UDH (``050003A70201``: ref 0xA7, 2 parts, part 1); None when it has none."""
    if not udh:
        return None
    try:
        data = bytes.fromhex(udh.strip())
    except ValueError:
        return None
    if len(data) < 2 or data[0] + 1 > len(data):
        return None
    i, end = 1, 1 + data[0]
    while i + 2 <= end:
        iei, length = data[i], data[i + 1]
        ie = data[i + 2 : i + 2 + length]
        if len(ie) < length:
            return None
        if iei == 0x00 and length == 3:
            ref, total, seq = ie[0], ie[1], ie[2]
        elif iei == 0x08 and length == 4:
            ref, total, seq = (ie[0] << 8) | ie[1], ie[2], ie[3]
        else:
            i += 2 + length
            continue
        if total >= 1 and 1 <= seq <= total:
            return Concat(ref, total, seq)
        return None
    return None


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


@dataclass
class _Row:
    id: int
    received: datetime | None
    received_raw: str
    sender: str
    text: str
    coding: str
    udh: str
    smsc: str
    sms_class: Any
    recipient: str
    concat: Concat | None


class GammuPoller(Poller):
    channel = CHANNEL

    def __init__(self, name: str, settings: GammuSettings, hash_key: str, *,
                 engine: sa.Engine | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(name)
        self.settings = settings
        self._hash_key = hash_key
        if engine is None:
            if settings.database_url is None:
                raise PermanentError(f"{name}: harvester.{name}.database_url is not set")
            try:
                url = sa.engine.make_url(settings.database_url.get_secret_value())
            except sa_exc.ArgumentError:
                raise PermanentError(f"{name}: database_url is not a SQLAlchemy URL") from None
            # timeout_s bounds connecting (and, on SQLite, waiting for gammu-smsd's write lock).
            connect_args: dict[str, Any] = {}
            if url.get_backend_name() == "postgresql":
                connect_args["connect_timeout"] = max(1, int(settings.timeout_s))
            elif url.get_backend_name() == "sqlite":
                connect_args["timeout"] = settings.timeout_s
            try:
                engine = sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args)
            except (sa_exc.ArgumentError, ModuleNotFoundError) as exc:
                raise PermanentError(f"{name}: bad database_url: {exc}") from None
        self.engine = engine
        try:
            self._zone = ZoneInfo(settings.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise PermanentError(f"{name}: unknown timezone {settings.timezone!r}") from None
        self._clock = clock
        self._table: sa.Table | None = None
        self._processed_bool = False
        #: (sender, ref, total) of held multipart groups -> when this poller first saw them.
        self._waiting: dict[tuple[str, int, int], float] = {}

    # -- schema ------------------------------------------------------------------------------------------
    def _inbox(self) -> sa.Table:
        if self._table is not None:
            return self._table
        try:
            found = {c["name"]: c for c in sa.inspect(self.engine).get_columns("inbox")}
        except sa_exc.NoSuchTableError:
            raise PermanentError(f"{self.name}: no 'inbox' table in the Gammu database "
                                 f"({self.engine.url.render_as_string(hide_password=True)})") from None
        except sa_exc.SQLAlchemyError as exc:
            raise self._error(exc, "reading the inbox schema") from exc
        missing = [c for c in COLUMNS if c not in found]
        if missing:
            raise PermanentError(f"{self.name}: the 'inbox' table lacks Gammu column(s) {', '.join(missing)}")
        self._processed_bool = isinstance(found["Processed"]["type"], sa.Boolean)
        # Types are declared loosely on purpose: SQLite stores ReceivingDateTime as NUMERIC text, PostgreSQL as a
        # timestamp; both are parsed by hand.
        cols = [sa.Column("ID", sa.Integer, primary_key=True)]
        cols += [sa.Column(c) for c in COLUMNS if c not in ("ID", "Processed")]
        cols.append(sa.Column("Processed", sa.Boolean if self._processed_bool else sa.String))
        self._table = sa.Table("inbox", sa.MetaData(), *cols)
        return self._table

    def _flag(self, value: bool) -> Any:
        if self._processed_bool:
            return value
        return "true" if value else "false"

    def _error(self, exc: Exception, doing: str) -> Exception:
        msg = f"{self.name}: {doing}: {exc.__class__.__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"
        if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError):
            return TransientError(msg)
        return PermanentError(msg)

    # -- polling ------------------------------------------------------------------------------------------
    def poll(self, cursor: str | None) -> PollResult:
        inbox = self._inbox()
        last = int(cursor) if cursor and cursor.isdigit() else 0
        q = sa.select(*[inbox.c[c] for c in COLUMNS if c != "Processed"])
        if self.settings.mark_processed:
            q = q.where(inbox.c.Processed == self._flag(False))
        else:
            q = q.where(inbox.c["ID"] > last)
        q = q.order_by(inbox.c.ID).limit(self.settings.batch_size)
        try:
            with self.engine.connect() as conn:
                rows = [self._row(r) for r in conn.execute(q).mappings()]
        except sa_exc.SQLAlchemyError as exc:
            raise self._error(exc, "reading the inbox") from exc
        result = PollResult()
        held_ids: list[int] = []
        handled: list[int] = []
        now = self._clock()

        singles: list[list[_Row]] = []
        groups: dict[tuple[str, int, int], list[_Row]] = {}
        order: list[tuple[str, int, int] | int] = []
        for row in rows:
            if row.concat is None or row.concat.total == 1:
                singles.append([row])
                order.append(len(singles) - 1)
                continue
            key = (row.sender, row.concat.ref, row.concat.total)
            if key not in groups:
                groups[key] = []
                order.append(key)
            groups[key].append(row)

        for item in order:
            if isinstance(item, int):
                parts = singles[item]
            else:
                parts = groups[item]
                seqs = {p.concat.seq for p in parts if p.concat}
                if len(seqs) < item[2]:
                    first = self._waiting.setdefault(item, now)
                    if now - first < self.settings.multipart_wait_s:
                        held_ids.extend(p.id for p in parts)
                        continue
                self._waiting.pop(item, None)
            handled.extend(p.id for p in parts)
            result.to_acknowledge.extend(str(p.id) for p in parts)
            made = self._message(parts)
            if isinstance(made, Rejected):
                result.rejected.append(made)
            else:
                result.messages.append(made)

        if self.settings.mark_processed:
            top = max(handled, default=0)
            result.cursor = str(max(top, last)) if (handled or cursor) else None
        else:
            # Never move past a held part: its row must be read again.
            limit = min(held_ids) - 1 if held_ids else None
            ok = [i for i in handled if limit is None or i <= limit]
            top = max(ok, default=last)
            result.cursor = str(max(top, last)) if top else cursor
        result.more = len(rows) >= self.settings.batch_size and bool(handled)
        if held_ids and not self.settings.mark_processed:
            result.more = False  # the cursor stops before the held part: polling again now reads the same rows
        if held_ids:
            log.info("%s: holding %d part(s) of concatenated SMS until the rest arrive", self.name, len(held_ids))
        return result

    def _row(self, r: Any) -> _Row:
        received = _as_datetime(r["ReceivingDateTime"])
        return _Row(
            id=int(r["ID"]),
            received=received,
            received_raw=str(r["ReceivingDateTime"]),
            sender=(r["SenderNumber"] or "").strip(),
            text=r["TextDecoded"] or "",
            coding=r["Coding"] or "",
            udh=(r["UDH"] or "").strip(),
            smsc=(r["SMSCNumber"] or "").strip(),
            sms_class=r["Class"],
            recipient=(r["RecipientID"] or "").strip(),
            concat=parse_udh(r["UDH"]),
        )

    def _message(self, parts: Sequence[_Row]) -> RawMessage | Rejected:
        by_seq: dict[int, _Row] = {}
        for p in sorted(parts, key=lambda p: p.id):
            by_seq.setdefault(p.concat.seq if p.concat else 1, p)
        ordered = [by_seq[s] for s in sorted(by_seq)]
        first = min(parts, key=lambda p: p.id)
        ref = f"inbox ID {first.id}" + (f" (+{len(parts) - 1} part(s))" if len(parts) > 1 else "")
        if any(p.coding == "8bit" for p in ordered):
            return Rejected(ref, "8-bit (binary) SMS: no text to read")
        text = "".join(p.text for p in ordered)
        if not text.replace("\x00", "").strip():
            return Rejected(ref, "empty SMS")
        text = text[:MAX_TEXT_CHARS]
        received = first.received
        posted_at = None
        if received is not None:
            posted_at = (received.replace(tzinfo=self._zone) if received.tzinfo is None else received).astimezone(UTC)
        stamp = received.strftime("%Y-%m-%d %H:%M:%S") if received else first.received_raw
        digest = hashlib.sha256(f"{stamp}|{first.sender}".encode("utf-8", "surrogatepass")).hexdigest()[:8]
        raw: dict[str, Any] = mask_phones({
            "source": "gammu",
            "inbox_ids": [p.id for p in sorted(parts, key=lambda p: p.id)],
            "received_local": stamp,
            "smsc": first.smsc or None,
            "recipient_id": first.recipient or None,
            "coding": first.coding or None,
            "class": first.sms_class,
        })
        raw["sender"] = mask_phone(first.sender) if first.sender else None
        if first.concat is not None and first.concat.total > 1:
            raw["parts"] = {"total": first.concat.total, "received": sorted(by_seq),
                            "reference": first.concat.ref}
            raw["incomplete"] = len(by_seq) < first.concat.total
        return RawMessage(
            message_id=f"{CHANNEL}:gammu-{first.id}-{digest}",
            channel=CHANNEL,
            posted_at=posted_at,
            text=text,
            author_ref=author_ref(self._hash_key, CHANNEL, first.sender) if first.sender else None,
            raw=raw,
        )

    def acknowledge(self, result: PollResult) -> None:
        if not self.settings.mark_processed or not result.to_acknowledge:
            return
        inbox = self._inbox()
        ids = sorted({int(i) for i in result.to_acknowledge})
        try:
            with self.engine.begin() as conn:
                for start in range(0, len(ids), _ACK_CHUNK):
                    chunk = ids[start : start + _ACK_CHUNK]
                    conn.execute(sa.update(inbox).where(inbox.c.ID.in_(chunk)).values(Processed=self._flag(True)))
        except sa_exc.SQLAlchemyError as exc:
            raise self._error(exc, f"marking {len(ids)} inbox row(s) processed") from exc

    def check(self) -> str:
        inbox = self._inbox()
        try:
            with self.engine.connect() as conn:
                n = conn.execute(sa.select(sa.func.count()).select_from(inbox)
                                 .where(inbox.c.Processed == self._flag(False))).scalar_one()
        except sa_exc.SQLAlchemyError as exc:
            raise self._error(exc, "counting unprocessed rows") from exc
        return f"gammu inbox at {self.engine.url.render_as_string(hide_password=True)}: {n} unprocessed row(s)"

    def close(self) -> None:
        self.engine.dispose()


def build(settings: Settings) -> Poller:
    """The poller of ``settings.harvester.gammu``."""
    return GammuPoller("gammu", settings.harvester.gammu, settings.privacy.author_hash_key.get_secret_value())
