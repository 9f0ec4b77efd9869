"""A read-only PostgreSQL role for analysts: it may read the analyst views and the event history, nothing else.

Creating a role needs the CREATEROLE privilege, which jemput's own database user usually does not have: then
:func:`create_readonly_role` refuses with a clear error and ``jemput desk readonly-role --print-sql`` prints the
statements for a DBA to run.
"""

from __future__ import annotations

import re

from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from sink.errors import SinkError
from sink.store import TicketStore

#: What the role may read (views created by migration 0003, plus the history).
READABLE = ("analyst_tickets", "analyst_daily_counts", "analyst_response_times", "ticket_events")
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class RoleError(SinkError):
    """The role cannot be created: not PostgreSQL, an invalid name, or not permitted."""


def _quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def readonly_role_sql(role: str, database: str, password: str | None = None,
                      statement_timeout_s: float = 30.0) -> list[str]:
    """The statements that create (or update) ``role``: LOGIN, read-only transactions, a statement time limit,
    SELECT on :data:`READABLE` only. Idempotent."""
    if not _NAME.match(role):
        raise RoleError(f"role name {role!r}: use lower-case letters, digits and '_' (at most 63)")
    if password is not None and ("$" in password or "\x00" in password or not password):
        raise RoleError("the password must be non-empty and contain no '$' or NUL")
    pw = f" PASSWORD {_quote_literal(password)}" if password else ""
    timeout_ms = max(1, int(statement_timeout_s * 1000))
    return [
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {_quote_literal(role)}) THEN "
        f'CREATE ROLE "{role}" LOGIN{pw}; END IF; END $$',
        *([f'ALTER ROLE "{role}"{pw}'] if pw else []),
        f'ALTER ROLE "{role}" SET default_transaction_read_only = on',
        f"ALTER ROLE \"{role}\" SET statement_timeout = '{timeout_ms}ms'",
        f'GRANT CONNECT ON DATABASE "{database.replace(chr(34), "")}" TO "{role}"',
        f'GRANT USAGE ON SCHEMA public TO "{role}"',
        f'GRANT SELECT ON {", ".join(READABLE)} TO "{role}"',
    ]


def create_readonly_role(store: TicketStore, role: str, password: str | None = None,
                         statement_timeout_s: float = 30.0) -> list[str]:
    """Create ``role`` on the store's PostgreSQL database (migrated first). Returns the statements run."""
    if store.backend != "postgresql":
        raise RoleError("database roles exist on PostgreSQL only; on SQLite give analysts a copy of the file")
    database = store.engine.url.database or ""
    stmts = readonly_role_sql(role, database, password, statement_timeout_s)
    try:
        with store.engine.begin() as conn:
            allowed = conn.execute(text(
                "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")).scalar()
            if not allowed:
                user = conn.execute(text("SELECT current_user")).scalar()
                raise RoleError(
                    f"not permitted: database user {user!r} has no CREATEROLE privilege; ask a DBA to run the "
                    "statements of 'jemput desk readonly-role --print-sql'")
            for s in stmts:
                conn.exec_driver_sql(s)
    except sa_exc.SQLAlchemyError as exc:
        raise RoleError(f"creating role {role!r} failed: {str(exc.orig or exc).splitlines()[0]}") from None
    return stmts
