"""Alembic, run from code, for every package that owns tables (the sink's ticket store, the harvester's cursors).

Each package keeps its own migration directory and version table; they share the ticket database. Alembic's
``context`` and ``op`` are process-global, so two upgrades must never run at once in one process
(:data:`MIGRATION_LOCK`), and on PostgreSQL several processes starting together take one advisory lock.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

#: Hold this around the whole migration transaction (take it before opening the transaction).
MIGRATION_LOCK = threading.Lock()
#: pg_advisory_xact_lock key shared by every jemput migration ("jemput" in ASCII).
ADVISORY_LOCK_KEY = 0x6A656D707574


def alembic_config(directory: Path) -> Any:
    """An Alembic config for the migrations in ``directory`` (no alembic.ini needed)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(directory).replace("%", "%%"))
    cfg.set_main_option("path_separator", "os")
    return cfg


def upgrade_head(conn: Any, directory: Path, backend: str) -> None:
    """``alembic upgrade head`` on ``conn`` (inside the caller's transaction, with :data:`MIGRATION_LOCK` held)."""
    from alembic import command
    from sqlalchemy import text

    if backend == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
    cfg = alembic_config(directory)
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")
