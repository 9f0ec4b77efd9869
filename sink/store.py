"""The ticket store: one row per message id, written idempotently, with an append-only event history.

SQLite (the default, one process on one machine) and PostgreSQL (production and integration tests, through
psycopg 3) behind the same code. The schema is created and changed by Alembic (:meth:`TicketStore.migrate`).

Delivery is at-least-once upstream, so :meth:`TicketStore.write_batch` must make a redelivered message change
nothing: tickets are inserted with ``ON CONFLICT (message_id) DO NOTHING`` and a ``created`` event is written
only for the rows that insert really created, all in one transaction.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Insert, create_engine, event, func, insert, select, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.pool import StaticPool

from config.categories import NOT_COMPLAINT
from pipeline.contract import LocatedMessage
from pipeline.migrations import MIGRATION_LOCK, alembic_config, upgrade_head
from sink.errors import BadTicket, SinkError, StoreUnavailable, classify
from sink.models import DISMISSED, EV_CREATED, NEW, SINK_ACTOR, Ticket, TicketEvent
from sink.routing import Router
from sink.settings import sqlite_path

log = logging.getLogger("jemput.sink.store")

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: Key of the PostgreSQL advisory lock that serialises concurrent migrate() calls ("jemput" in ASCII).

_tickets = Ticket.__table__
_events = TicketEvent.__table__


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What one :meth:`TicketStore.write_batch` did."""

    #: Tickets created by this call.
    inserted: int
    #: Messages that created nothing: already stored, or repeated within the batch.
    duplicates: int
    #: Message ids of the tickets created by this call.
    inserted_ids: tuple[str, ...] = field(default=(), compare=False)


def _json_rows(rows: list[dict[str, Any]]) -> str:
    """Rows as one JSON array for jsonb_to_recordset: datetimes as ISO 8601, nested values as JSON."""

    def default(v: Any) -> Any:
        if isinstance(v, datetime):
            return v.isoformat()
        raise TypeError(f"cannot store {type(v).__name__} as JSON")

    return json.dumps(rows, allow_nan=False, ensure_ascii=False, separators=(",", ":"), default=default)


class _PgWrite:
    """PostgreSQL: a batch of new tickets AND their ``created`` events in ONE statement and one round trip.

    The rows travel as one jsonb parameter unpacked by jsonb_to_recordset (a multi-row VALUES list with a
    placeholder per cell costs the driver more time to parse than the server to insert). To keep that parameter
    small -- parsing it is most of the server's work -- each row's keys are short aliases of the column names,
    NULL values are left out (a missing key reads as NULL), and the columns that are the same for the whole batch
    (``created_at`` / ``updated_at``: the batch's time) or always NULL at creation (``incident_id``,
    ``resolved_at``) are not in the rows at all.

    The tickets are inserted in the rows' order (sorted by message id) with ``ON CONFLICT (message_id) DO
    NOTHING``; a data-modifying CTE then writes one ``created`` event per ticket really created, in ticket id
    order, built from the same row as :func:`_created_event` builds it: the event's ``data`` has the same keys and
    values (``confidence`` is read as numeric, so the event keeps the float's exact digits; the ticket's column
    gets the same float8 either way). The statement returns (id, message_id) of the tickets created.
    """

    #: Columns set from one parameter for the whole batch, and the parameter.
    PER_BATCH: dict[str, str] = {"created_at": "now", "updated_at": "now"}
    #: Columns NULL in every new ticket (left out of the insert: NULL is their default).
    NULL: frozenset[str] = frozenset({"incident_id", "resolved_at"})

    def __init__(self, columns: tuple[str, ...]) -> None:
        from sqlalchemy.dialects import postgresql

        dialect = postgresql.dialect()
        self.columns = columns
        carried = [c for c in columns if c not in self.PER_BATCH and c not in self.NULL]
        #: (column, alias) of every column carried in the rows
        self.keys = tuple((c, _alias(i)) for i, c in enumerate(carried))
        alias = dict(self.keys)
        types = {c: ("numeric" if c == "confidence" else _tickets.c[c].type.compile(dialect=dialect)) for c in carried}
        defs = ", ".join(f'"{alias[c]}" {types[c]}' for c in carried)
        short = ", ".join(f'"{alias[c]}"' for c in carried)
        batch = [c for c in columns if c in self.PER_BATCH]
        names = ", ".join(f'"{c}"' for c in [*carried, *batch])
        values = ", ".join([short, *(f":{self.PER_BATCH[c]}" for c in batch)])
        data = ", ".join(f"'{k}', r.\"{alias[c]}\"" for k, c in _EVENT_DATA)
        mid = alias["message_id"]
        self.statement = text(
            f"WITH r AS (SELECT * FROM ROWS FROM (jsonb_to_recordset(CAST(:rows AS jsonb)) AS ({defs})) "
            f"WITH ORDINALITY AS r({short}, _ord)), "
            f'created AS (INSERT INTO "tickets" ({names}) SELECT {values} FROM r ORDER BY _ord '
            "ON CONFLICT (message_id) DO NOTHING RETURNING id, message_id, status), "
            'events AS (INSERT INTO "ticket_events" '
            "(ticket_id, message_id, at, actor, kind, from_status, to_status, note, data) "
            "SELECT created.id, created.message_id, :now, :actor, :kind, NULL, created.status, "
            "CASE WHEN created.status = :dismissed THEN :dismissed_note END, "
            f'jsonb_build_object({data}) FROM created JOIN r ON r."{mid}" = created.message_id ORDER BY created.id) '
            "SELECT id, message_id FROM created"
        )

    def params(self, rows: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
        keys = self.keys
        packed = [{a: v for c, a in keys if (v := row[c]) is not None} for row in rows]
        return {"rows": _json_rows(packed), "now": now, "actor": SINK_ACTOR, "kind": EV_CREATED,
                "dismissed": DISMISSED, "dismissed_note": _DISMISSED_NOTE}


def _alias(i: int) -> str:
    """A short column alias: a .. z, then aa, ab, ..."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    return letters[i] if i < 26 else letters[i // 26 - 1] + letters[i % 26]


def _json_dumps(value: Any) -> str:
    # Strict JSON: NaN and Infinity are not JSON; PostgreSQL's jsonb and SQLite's json functions reject them.
    return json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))


def normalise_url(url: str | URL) -> URL:
    """Parse ``url``; a PostgreSQL URL without a driver gets psycopg 3 (the only PostgreSQL driver jemput ships)."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u


class TicketStore:
    """The ticket store at ``url`` (a SQLAlchemy URL: ``sqlite:///path`` or ``postgresql+psycopg://...``).

    Creating it connects to nothing; the first query does. Every public method maps database failures to
    :class:`~pipeline.errors.UnavailableError` (the database is down or busy: retry) or
    :class:`~pipeline.errors.PermanentError` (the database rejects this input). Thread-safe: each call takes
    its own connection from the pool.
    """

    def __init__(
        self,
        url: str | URL,
        *,
        echo: bool = False,
        pool_size: int = 5,
        connect_timeout_s: float = 10.0,
        router: Router | None = None,
    ) -> None:
        #: Routing applied to every new ticket (the default table shipped with jemput unless given).
        self.router = router if router is not None else Router.load()
        self._url = normalise_url(url)
        self.backend = self._url.get_backend_name()
        if self.backend not in ("sqlite", "postgresql"):
            raise ValueError(
                f"unsupported ticket store {self.backend!r}: use sqlite:/// or postgresql+psycopg://"
            )
        if self.backend == "postgresql" and self._url.get_driver_name() != "psycopg":
            raise ValueError(f"PostgreSQL needs the psycopg (3) driver, got {self._url.drivername!r}")
        self.connect_timeout_s = connect_timeout_s
        if self.backend == "sqlite":
            self.engine = self._sqlite_engine(echo=echo, pool_size=pool_size)
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        else:
            self.engine = self._postgresql_engine(echo=echo, pool_size=pool_size)
            from sqlalchemy.dialects.postgresql import insert as dialect_insert  # type: ignore[assignment]
        # Rows sharing a message id with a stored ticket are skipped; RETURNING names the rows really created.
        self._insert_tickets: Insert = (
            dialect_insert(_tickets)
            .on_conflict_do_nothing(index_elements=[_tickets.c.message_id])
            .returning(_tickets.c.id, _tickets.c.message_id)
        )
        # PostgreSQL: one statement per batch (see _PgWrite).
        self._pg_write: _PgWrite | None = None

    # -- engine -----------------------------------------------------------------------------------
    def _sqlite_engine(self, *, echo: bool, pool_size: int) -> Engine:
        path = sqlite_path(self._url.render_as_string(hide_password=False))
        kwargs: dict[str, Any] = {}
        if path is None:
            # In-memory: every connection must be the same one, or each would see its own empty database.
            kwargs["poolclass"] = StaticPool
        else:
            kwargs["pool_size"] = pool_size
        engine = create_engine(
            self._url,
            echo=echo,
            json_serializer=_json_dumps,
            connect_args={"check_same_thread": False, "timeout": self.connect_timeout_s},
            **kwargs,
        )
        busy_ms = max(1, int(self.connect_timeout_s * 1000))

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Take transactions out of the sqlite3 module's hands (it would not BEGIN before DDL, so a failed
            # migration could leave half a schema); the "begin" listener below starts them instead.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            try:
                cur.execute(f"PRAGMA busy_timeout = {busy_ms}")
                cur.execute("PRAGMA foreign_keys = ON")
                if path is not None:
                    # WAL: readers (analysts, the API) do not block the writer. synchronous stays FULL (the
                    # default): a ticket must survive a power cut once its offset is committed upstream.
                    cur.execute("PRAGMA journal_mode = WAL")
            finally:
                cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            # Writers use BEGIN IMMEDIATE: they take the write lock up front and wait for it (busy_timeout)
            # instead of failing when a read transaction would have to be upgraded.
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine

    def _postgresql_engine(self, *, echo: bool, pool_size: int) -> Engine:
        return create_engine(
            self._url,
            echo=echo,
            pool_size=pool_size,
            pool_pre_ping=True,
            json_serializer=_json_dumps,
            connect_args={
                # libpq counts whole seconds (and at least 2).
                "connect_timeout": max(2, math.ceil(self.connect_timeout_s)),
                "application_name": "jemput-sink",
            },
        )

    @contextmanager
    def _write_tx(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            if self.backend == "sqlite":
                conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                yield conn

    def describe(self) -> str:
        """Where the store is, without credentials: ``sqlite /path`` or ``postgresql host:port/db``."""
        if self.backend == "sqlite":
            path = sqlite_path(self._url.render_as_string(hide_password=False))
            return f"sqlite {path if path is not None else ':memory:'}"
        port = self._url.port or 5432
        return f"postgresql {self._url.host or 'localhost'}:{port}/{self._url.database or ''}"

    def __repr__(self) -> str:
        return f"TicketStore({self.describe()})"

    # -- schema ---------------------------------------------------------------------------------
    def alembic_config(self) -> Any:
        """An Alembic config for this package's migrations (no alembic.ini needed)."""
        return alembic_config(MIGRATIONS_DIR)

    def migrate(self) -> None:
        """Bring the schema to the latest revision (Alembic ``upgrade head``). Idempotent, and safe when several
        processes start at once (SQLite: one write transaction; PostgreSQL: an advisory lock)."""
        try:
            with MIGRATION_LOCK, self._write_tx() as conn:
                upgrade_head(conn, MIGRATIONS_DIR, self.backend)
        except sa_exc.SQLAlchemyError as exc:
            raise self._stage_error(exc, "migrating the ticket store") from exc

    def schema_revision(self) -> str | None:
        """The schema revision the database is at (None before the first :meth:`migrate`)."""
        from alembic.runtime.migration import MigrationContext

        try:
            with self.engine.connect() as conn:
                return MigrationContext.configure(conn).get_current_revision()
        except sa_exc.SQLAlchemyError as exc:
            raise self._stage_error(exc, "reading the schema revision") from exc

    def head_revision(self) -> str | None:
        """The latest revision this code knows."""
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(self.alembic_config()).get_current_head()

    def check(self) -> str:
        """Connect and report where the store is and its schema, e.g. ``postgresql 127.0.0.1:5432/jemput (schema
        0001)``. Raises :class:`~pipeline.errors.UnavailableError` when the database cannot be reached."""
        revision = self.schema_revision()
        head = self.head_revision()
        if revision is None:
            schema = "schema none: not migrated"
        elif revision != head:
            schema = f"schema {revision}, code expects {head}"
        else:
            schema = f"schema {revision}"
        return f"{self.describe()} ({schema})"

    def _stage_error(self, exc: BaseException, doing: str) -> Exception:
        """Errors that are about the store, not about a message: unavailable, or a plain failure."""
        err = classify(exc, f"{doing} ({self.describe()})")
        return err if isinstance(err, StoreUnavailable) else SinkError(str(err))

    # -- writing --------------------------------------------------------------------------------
    def write_batch(self, messages: Sequence[LocatedMessage]) -> WriteResult:
        """Store ``messages`` as tickets in ONE transaction; idempotent on the message id.

        A message whose id is already stored (or repeated earlier in the batch) changes nothing, not even the
        event history. Each new ticket gets one ``created`` event. Status: ``dismissed`` for ``not_complaint``,
        else ``new``. Raises :class:`~pipeline.errors.UnavailableError` when the database is down or busy and
        :class:`~pipeline.errors.PermanentError` when it rejects a value (then nothing of the batch is written).
        """
        if not messages:
            return WriteResult(0, 0)
        first: dict[str, LocatedMessage] = {}
        for m in messages:
            first.setdefault(m.message_id, m)
        now = datetime.now(UTC)
        # Sorted by message id: concurrent writers with overlapping batches then take the unique-index locks in
        # the same order, so they wait for each other instead of deadlocking.
        rows = [_ticket_row(first[mid], now, self.router) for mid in sorted(first)]
        try:
            with self._write_tx() as conn:
                if self.backend == "postgresql":
                    pg = self._pg_write
                    if pg is None or pg.columns != tuple(rows[0]):
                        pg = self._pg_write = _PgWrite(tuple(rows[0]))
                    created = conn.execute(pg.statement, pg.params(rows, now)).all()
                else:
                    created = conn.execute(self._insert_tickets, rows).all()
                    if created:
                        row_of = {r["message_id"]: r for r in rows}
                        events = [_created_event(ticket_id, mid, row_of[mid], now)
                                  for ticket_id, mid in created]
                        conn.execute(insert(_events), events)
        except sa_exc.SQLAlchemyError as exc:
            raise classify(exc, f"writing {len(rows)} ticket(s) to {self.describe()}") from exc
        inserted_ids = tuple(sorted(mid for _, mid in created))
        return WriteResult(
            inserted=len(inserted_ids),
            duplicates=len(messages) - len(inserted_ids),
            inserted_ids=inserted_ids,
        )

    # -- reading --------------------------------------------------------------------------------
    def list_tickets(
        self, status: Sequence[str] | str | None = None, limit: int | None = None, offset: int = 0
    ) -> list[dict[str, Any]]:
        """Tickets as plain dicts (column name -> value), ordered by id; optionally only those in ``status``."""
        q = select(_tickets).order_by(_tickets.c.id)
        if status is not None:
            q = q.where(_tickets.c.status.in_(_as_list(status)))
        if offset:
            q = q.offset(offset)
        if limit is not None:
            q = q.limit(limit)
        return self._fetch(q, "listing tickets")

    def get(self, message_id: str) -> dict[str, Any] | None:
        """The ticket of ``message_id``, or None."""
        rows = self._fetch(select(_tickets).where(_tickets.c.message_id == message_id), "reading a ticket")
        return rows[0] if rows else None

    def count(self, status: Sequence[str] | str | None = None) -> int:
        """Number of tickets, optionally only those in ``status``."""
        q = select(func.count()).select_from(_tickets)
        if status is not None:
            q = q.where(_tickets.c.status.in_(_as_list(status)))
        try:
            with self.engine.connect() as conn:
                return int(conn.execute(q).scalar_one())
        except sa_exc.SQLAlchemyError as exc:
            raise self._stage_error(exc, "counting tickets") from exc

    def count_events(self, kind: str | None = None) -> int:
        """Number of ticket events, optionally only of ``kind``."""
        q = select(func.count()).select_from(_events)
        if kind is not None:
            q = q.where(_events.c.kind == kind)
        try:
            with self.engine.connect() as conn:
                return int(conn.execute(q).scalar_one())
        except sa_exc.SQLAlchemyError as exc:
            raise self._stage_error(exc, "counting events") from exc

    def events(self, ticket_id: int) -> list[dict[str, Any]]:
        """The history of one ticket, oldest first."""
        q = select(_events).where(_events.c.ticket_id == ticket_id).order_by(_events.c.id)
        return self._fetch(q, "reading ticket events")

    def _fetch(self, q: Any, doing: str) -> list[dict[str, Any]]:
        try:
            with self.engine.connect() as conn:
                return [dict(row) for row in conn.execute(q).mappings()]
        except sa_exc.SQLAlchemyError as exc:
            raise self._stage_error(exc, doing) from exc

    # -- lifecycle ------------------------------------------------------------------------------
    def close(self) -> None:
        """Close every pooled connection. The store can still be used afterwards (it reconnects)."""
        self.engine.dispose()

    def __enter__(self) -> TicketStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _as_list(status: Sequence[str] | str) -> list[str]:
    return [status] if isinstance(status, str) else list(status)


def initial_status(message: LocatedMessage) -> str:
    """``dismissed`` for what the classifier calls ``not_complaint`` (kept, out of the queue), else ``new``."""
    return DISMISSED if message.category == NOT_COMPLAINT else NEW


#: Message fields kept in JSON columns.
_JSON_FIELDS = ("media", "raw", "scores")


def _plainly_json(value: Any) -> bool:
    """True for the values the JSON fields usually hold and that always serialise: None, a tuple of strings, a
    dict of finite floats by string (a quick check; anything else is tried with :func:`_json_dumps`)."""
    if value is None:
        return True
    if type(value) is tuple:
        return all(type(v) is str for v in value)
    if type(value) is dict:
        return all(type(k) is str and type(v) is float and math.isfinite(v) for k, v in value.items())
    return False


def _ticket_row(m: LocatedMessage, now: datetime, router: Router) -> dict[str, Any]:
    """The ``tickets`` row of ``m``. Raises :class:`BadTicket` for a value the store cannot hold as JSON (NaN or
    Infinity, which json.loads accepts upstream but no JSON column should keep): checked here so that both
    backends reject it alike, before the database is involved."""
    for name in _JSON_FIELDS:
        value = getattr(m, name)
        if _plainly_json(value):
            continue
        try:
            _json_dumps(value)
        except (TypeError, ValueError) as exc:
            raise BadTicket(f"{m.message_id}: {name} cannot be stored as JSON: {exc}") from None
    loc = m.location
    return {
        "message_id": m.message_id,
        "channel": m.channel,
        "text": m.text,
        "author_ref": m.author_ref,
        "reply_to": m.reply_to,
        "media": list(m.media),
        "raw": m.raw,
        "lang": m.lang,
        "category": m.category,
        "scores": dict(m.scores),
        "confidence": m.confidence,
        "needs_review": m.needs_review,
        "runner_up": m.runner_up,
        "status": initial_status(m),
        # The kelurahan comes from the geocoder; the agency from routing (category x area x sub-topic).
        "assignee_kelurahan_code": loc.kelurahan_code,
        "assignee_agency": router.route(m.category, kota_code=loc.kota_code, kecamatan_code=loc.kecamatan_code,
                                        kelurahan_name=loc.kelurahan_name, text=m.text),
        "incident_id": None,
        "precision": loc.precision,
        "lat": loc.lat,
        "lon": loc.lon,
        "kota_code": loc.kota_code,
        "kota_name": loc.kota_name,
        "kecamatan_code": loc.kecamatan_code,
        "kecamatan_name": loc.kecamatan_name,
        "kelurahan_code": loc.kelurahan_code,
        "kelurahan_name": loc.kelurahan_name,
        "matched_text": loc.matched_text,
        "location_method": loc.method,
        "model_version": m.model_version,
        "geocoder_version": m.geocoder_version,
        "trace_id": m.trace_id,
        "posted_at": m.posted_at,
        "received_at": m.received_at,
        "created_at": now,
        "updated_at": now,
        "resolved_at": None,
    }


_DISMISSED_NOTE = "classified not_complaint"
#: The ``data`` of a ``created`` event: (key, column of the ticket's row it is taken from). PostgreSQL builds it in
#: SQL (:class:`_PgWrite`), SQLite in :func:`_created_event`; both from this list.
_EVENT_DATA: tuple[tuple[str, str], ...] = (
    ("category", "category"),
    ("confidence", "confidence"),
    ("model_version", "model_version"),
    ("geocoder_version", "geocoder_version"),
    ("kelurahan_code", "kelurahan_code"),
    ("agency", "assignee_agency"),
    ("trace_id", "trace_id"),
)


def _created_event(ticket_id: int, message_id: str, row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The ``created`` event of a new ticket whose ``tickets`` row is ``row``."""
    status = row["status"]
    return {
        "ticket_id": ticket_id,
        "message_id": message_id,
        "at": now,
        "actor": SINK_ACTOR,
        "kind": EV_CREATED,
        "from_status": None,
        "to_status": status,
        "note": _DISMISSED_NOTE if status == DISMISSED else None,
        "data": {key: row[column] for key, column in _EVENT_DATA},
    }
