"""The sink's errors, and how database errors map onto the pipeline's classification.

- :class:`StoreUnavailable` (an :class:`~pipeline.errors.UnavailableError`): the database cannot be reached or
  cannot take the write right now (connection refused or lost, lock or busy timeout, deadlock, disk full, schema
  missing). The runner retries the whole batch without bound: an outage stalls the sink, it never dead-letters
  good messages.
- :class:`BadTicket` (a :class:`~pipeline.errors.PermanentError`): this input cannot be stored (a value the
  database rejects: too long, NUL character, not representable as JSON, a constraint violated). The message is
  dead-lettered with the reason.
"""

from __future__ import annotations

from sqlalchemy import exc as sa_exc

from pipeline.errors import JemputError, PermanentError, UnavailableError


class SinkError(JemputError):
    """Base of the sink's own errors that are neither transient nor about one message."""


class StoreUnavailable(UnavailableError):
    """The ticket store cannot be reached or cannot take the write now; retry later."""


class BadTicket(PermanentError):
    """The database rejected this input; retrying cannot help."""


# SQLSTATE classes (PostgreSQL): the first two characters of the code.
_UNAVAILABLE_CLASSES = frozenset(
    {
        "08",  # connection exception
        "25",  # invalid transaction state (e.g. read-only transaction on a standby)
        "40",  # transaction rollback: serialization failure, deadlock
        "42",  # syntax error or access rule violation: schema missing, no privilege (the whole stage, not a message)
        "53",  # insufficient resources: disk full, out of memory, too many connections
        "55",  # object not in prerequisite state: lock not available (lock_timeout)
        "57",  # operator intervention: shutdown, cannot connect now, query canceled (statement_timeout)
        "58",  # system error: I/O
        "F0",  # configuration file error
        "XX",  # internal error
    }
)
_PERMANENT_CLASSES = frozenset(
    {
        "22",  # data exception: value too long, invalid text representation, invalid JSON, NUL character
        "23",  # integrity constraint violation: CHECK, NOT NULL
        "54",  # program limit exceeded: value too large to index
    }
)


def _sqlstate(exc: sa_exc.DBAPIError) -> str | None:
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return code if isinstance(code, str) and len(code) == 5 else None


def classify(exc: BaseException, doing: str) -> JemputError:
    """Turn an exception raised by SQLAlchemy while ``doing`` something into the error the runner understands."""
    what = f"{doing}: {_first_line(exc)}"
    if isinstance(exc, JemputError):
        return exc
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return StoreUnavailable(what)
        state = _sqlstate(exc)
        if state is not None:
            if state[:2] in _PERMANENT_CLASSES:
                return BadTicket(what)
            if state[:2] in _UNAVAILABLE_CLASSES:
                return StoreUnavailable(what)
        if isinstance(exc, sa_exc.DataError | sa_exc.IntegrityError):
            return BadTicket(what)
        # OperationalError (SQLite: database is locked, unable to open, disk full, no such table; PostgreSQL:
        # connection refused or lost), InterfaceError, InternalError, ProgrammingError, NotSupportedError: none of
        # these is about one message. Stall and let an operator look rather than dead-letter every message.
        return StoreUnavailable(what)
    if isinstance(exc, sa_exc.StatementError):
        # Raised while binding this input before the database saw it (a value that cannot be serialised or
        # encoded, e.g. NaN in a JSON column): about the message.
        return BadTicket(what)
    if isinstance(exc, sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return StoreUnavailable(what)  # connection pool exhausted, connection lost
    if isinstance(exc, sa_exc.SQLAlchemyError):
        return SinkError(what)
    if isinstance(exc, OSError):
        return StoreUnavailable(what)
    return SinkError(what)


def _first_line(exc: BaseException) -> str:
    """``Type: first line of the message``, of the driver's exception when there is one. Never the SQL nor its
    parameters: those would copy message text into logs and dead-letter headers."""
    cause = exc.orig if isinstance(exc, sa_exc.StatementError) and exc.orig is not None else exc
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0][:500] if lines else ''}"
