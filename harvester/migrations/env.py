"""Alembic environment of the harvester's cursor store.

It shares the ticket store's database but keeps its own history in ``alembic_version_harvester``, so the sink's
migrations and these never see each other's revisions. The caller passes an open connection in
``config.attributes["connection"]``; :meth:`harvester.cursors.CursorStore.migrate` does.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from harvester.cursors import VERSION_TABLE, metadata

config = context.config


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        # Autogenerate must not propose dropping the sink's tables: look only at ours.
        include_name=lambda name, type_, _parent: type_ != "table" or name in metadata.tables,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_offline() -> None:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("offline migrations need the 'sqlalchemy.url' option")
    context.configure(url=url, target_metadata=metadata, version_table=VERSION_TABLE, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection: Connection | None = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("harvester migrations need a connection in config.attributes; use CursorStore.migrate()")
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
