"""Alembic environment of the ticket store.

The caller passes an open SQLAlchemy connection in ``config.attributes["connection"]`` (or an engine in
``config.attributes["engine"]``); :meth:`sink.store.TicketStore.migrate` does. When the connection is already in
a transaction, the migrations run inside it, so the caller decides when it commits.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection, Engine

from sink.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: Alembic's batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_offline() -> None:
    """``--sql`` mode: print the DDL for a DBA instead of running it (needs ``sqlalchemy.url`` set)."""
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("offline migrations need the 'sqlalchemy.url' option")
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection: Connection | None = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine: Engine | None = config.attributes.get("engine")
    if engine is None:
        raise RuntimeError(
            "sink migrations need a connection or engine in config.attributes; run them with TicketStore.migrate()"
        )
    with engine.begin() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
