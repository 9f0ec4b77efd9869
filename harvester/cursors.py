"""Where every polling source keeps its cursor and its health: one row per source in the ticket database.

The table ``harvest_sources`` lives in the database of ``settings.database_url`` (SQLite by default, PostgreSQL in
production) next to the ticket store, with its own Alembic history (``harvester/migrations``, version table
``alembic_version_harvester``) so the sink's migrations and these never mix.

The order that makes harvesting at-least-once is the runner's, not this module's: the runner calls
:meth:`CursorStore.save_page` only after the producer flushed the page's messages. ``save_page`` writes the new
cursor and the success counters in one transaction; :meth:`CursorStore.record_failure` never touches the cursor.

Database failures raise :class:`~pipeline.errors.UnavailableError`: without its cursor store a source must not
poll (it could not save what it fetched).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    select,
    update,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import StaticPool

from pipeline.errors import UnavailableError
from pipeline.migrations import MIGRATION_LOCK, alembic_config, upgrade_head

log = logging.getLogger("jemput.harvester.cursors")

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version_harvester"

metadata = MetaData()

#: Mirrors migration h0001 (kept for queries and autogenerate; the migrations are the schema's truth).
sources_table = Table(
    "harvest_sources",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("channel", String(64), nullable=False),
    Column("cursor", Text, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=True),
    Column("last_success_at", DateTime(timezone=True), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("last_error_at", DateTime(timezone=True), nullable=True),
    Column("consecutive_failures", Integer, nullable=False, server_default="0"),
    Column("messages_total", BigInteger, nullable=False, server_default="0"),
    Column("rejected_total", BigInteger, nullable=False, server_default="0"),
    Column("errors_total", BigInteger, nullable=False, server_default="0"),
)

#: Longest error text kept in the table.
MAX_ERROR_CHARS = 2000


class CursorStoreUnavailable(UnavailableError):
    """The cursor store's database cannot be reached or used."""


@dataclass(frozen=True)
class SourceState:
    """One row of ``harvest_sources``: a source's cursor and health."""

    source: str
    channel: str
    cursor: str | None = None
    updated_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    consecutive_failures: int = 0
    messages_total: int = 0
    rejected_total: int = 0
    errors_total: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything here is UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _now() -> datetime:
    return datetime.now(UTC)


class CursorStore:
    """Cursors and health of the harvester's sources at ``url`` (a SQLAlchemy URL). Thread-safe."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 5, connect_timeout_s: float = 10.0) -> None:
        u = make_url(url)
        if u.drivername in ("postgresql", "postgres"):
            u = u.set(drivername="postgresql+psycopg")
        self._url = u
        self.backend = u.get_backend_name()
        if self.backend not in ("sqlite", "postgresql"):
            raise ValueError(f"unsupported cursor store {self.backend!r}: use sqlite:/// or postgresql+psycopg://")
        if self.backend == "sqlite":
            self.engine = self._sqlite_engine(echo, pool_size, connect_timeout_s)
        else:
            self.engine = create_engine(
                u, echo=echo, pool_size=pool_size, pool_pre_ping=True,
                connect_args={"connect_timeout": max(2, int(connect_timeout_s + 0.999)),
                              "application_name": "jemput-harvester"},
            )

    def _sqlite_engine(self, echo: bool, pool_size: int, connect_timeout_s: float) -> Engine:
        database = self._url.database
        in_memory = not database or database == ":memory:" or database.startswith("file::memory:")
        kwargs: dict[str, Any] = {"poolclass": StaticPool} if in_memory else {"pool_size": pool_size}
        engine = create_engine(self._url, echo=echo, connect_args={"check_same_thread": False,
                                                                   "timeout": connect_timeout_s}, **kwargs)
        busy_ms = max(1, int(connect_timeout_s * 1000))

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # transactions are begun by the listener below
            cur = dbapi_conn.cursor()
            try:
                cur.execute(f"PRAGMA busy_timeout = {busy_ms}")
                if not in_memory:
                    cur.execute("PRAGMA journal_mode = WAL")
            finally:
                cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            # Every transaction here writes: take the write lock up front and wait for it (busy_timeout).
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine

    def describe(self) -> str:
        if self.backend == "sqlite":
            return f"sqlite {self._url.database or ':memory:'}"
        return f"postgresql {self._url.host or 'localhost'}:{self._url.port or 5432}/{self._url.database or ''}"

    def __repr__(self) -> str:
        return f"CursorStore({self.describe()})"

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _tx(self, doing: str) -> Iterator[Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except sa_exc.SQLAlchemyError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CursorStoreUnavailable(f"cursor store ({self.describe()}): {doing}: {first}") from exc

    # -- schema -------------------------------------------------------------------------------------
    def alembic_config(self) -> Any:
        return alembic_config(MIGRATIONS_DIR)

    def migrate(self) -> None:
        """Bring ``harvest_sources`` to the latest revision. Idempotent; safe when several processes start at once."""
        with MIGRATION_LOCK, self._tx("migrating") as conn:
            upgrade_head(conn, MIGRATIONS_DIR, self.backend)

    def schema_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        try:
            with self.engine.connect() as conn:
                return MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision()
        except sa_exc.SQLAlchemyError as exc:
            raise CursorStoreUnavailable(f"cursor store ({self.describe()}): {exc}") from exc

    # -- reading ------------------------------------------------------------------------------------
    def get(self, source: str) -> str | None:
        """The saved cursor of ``source`` (None before its first successful poll)."""
        state = self.state(source)
        return state.cursor if state else None

    def state(self, source: str) -> SourceState | None:
        with self._tx("reading a source") as conn:
            row = conn.execute(select(sources_table).where(sources_table.c.source == source)).mappings().first()
        return _to_state(row) if row else None

    def states(self) -> list[SourceState]:
        with self._tx("reading the sources") as conn:
            rows = conn.execute(select(sources_table).order_by(sources_table.c.source)).mappings().all()
        return [_to_state(r) for r in rows]

    # -- writing ------------------------------------------------------------------------------------
    def _ensure_row(self, conn: Connection, source: str, channel: str) -> None:
        if self.backend == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
        # Two threads or processes may create the same row at once: the second insert is a no-op.
        conn.execute(dialect_insert(sources_table).values(
            source=source, channel=channel, consecutive_failures=0, messages_total=0, rejected_total=0,
            errors_total=0).on_conflict_do_nothing(index_elements=[sources_table.c.source]))

    def save_page(self, source: str, channel: str, cursor: str | None, *, messages: int, rejected: int = 0,
                  at: datetime | None = None) -> None:
        """Record a page whose messages are durable: the new cursor (None keeps the old one) and the counters.

        Call it only after the producer flushed. The source counts as healthy again afterwards.
        """
        at = at or _now()
        values: dict[str, Any] = {
            "channel": channel,
            "last_success_at": at,
            "consecutive_failures": 0,
            "messages_total": sources_table.c.messages_total + messages,
            "rejected_total": sources_table.c.rejected_total + rejected,
        }
        if cursor is not None:
            values["cursor"] = cursor
            values["updated_at"] = at
        with self._tx("saving a cursor") as conn:
            self._ensure_row(conn, source, channel)
            conn.execute(update(sources_table).where(sources_table.c.source == source).values(**values))

    def record_failure(self, source: str, channel: str, error: str, *, at: datetime | None = None) -> int:
        """Count a failed poll; the cursor is untouched. Returns the consecutive failures so far."""
        at = at or _now()
        with self._tx("recording a failure") as conn:
            self._ensure_row(conn, source, channel)
            conn.execute(update(sources_table).where(sources_table.c.source == source).values(
                channel=channel,
                last_error=error[:MAX_ERROR_CHARS],
                last_error_at=at,
                consecutive_failures=sources_table.c.consecutive_failures + 1,
                errors_total=sources_table.c.errors_total + 1,
            ))
            (count,) = conn.execute(select(sources_table.c.consecutive_failures)
                                    .where(sources_table.c.source == source)).one()
        return int(count)

    def reset(self, source: str) -> bool:
        """Forget a source's cursor (its next poll starts afresh, e.g. after the provider account changed)."""
        with self._tx("resetting a cursor") as conn:
            result = conn.execute(update(sources_table).where(sources_table.c.source == source)
                                  .values(cursor=None, updated_at=_now()))
        return bool(result.rowcount)


def _to_state(row: Any) -> SourceState:
    return SourceState(
        source=row["source"],
        channel=row["channel"],
        cursor=row["cursor"],
        updated_at=_aware(row["updated_at"]),
        last_success_at=_aware(row["last_success_at"]),
        last_error=row["last_error"],
        last_error_at=_aware(row["last_error_at"]),
        consecutive_failures=int(row["consecutive_failures"] or 0),
        messages_total=int(row["messages_total"] or 0),
        rejected_total=int(row["rejected_total"] or 0),
        errors_total=int(row["errors_total"] or 0),
    )


def open_cursor_store(settings: Any) -> CursorStore:
    """The cursor store of ``settings`` (the ticket database), migrated. Creates the data directory for SQLite."""
    db = settings.database
    if db.url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = CursorStore(settings.database_url, echo=db.echo, pool_size=db.pool_size,
                        connect_timeout_s=db.connect_timeout_s)
    store.migrate()
    return store
