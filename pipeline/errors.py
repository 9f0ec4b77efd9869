"""Errors and exit codes shared by every stage.

Failures are classified: a :class:`TransientError` (network, broker, database down, 429/5xx) is retried with
backoff; a :class:`PermanentError` (undecodable, invalid, a bug on this input) goes straight to the dead-letter
topic. Anything else raised by a processor is treated as permanent for that message: the stage keeps going.
"""

from __future__ import annotations

import enum


class JemputError(Exception):
    """Base of jemput's own errors."""


class TransientError(JemputError):
    """Retrying later may succeed. ``retry_after`` (seconds) overrides the backoff when the cause says so."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(JemputError):
    """Retrying cannot help: the input is bad. The message is dead-lettered with this reason."""


class UnavailableError(TransientError):
    """A dependency of the whole stage is down (broker, database). Retried without bound, with capped backoff:
    an outage must stall the stage, never dead-letter good messages."""


class TransportError(UnavailableError):
    """The transport (broker, embedded log) failed; the batch will be retried or redelivered."""


class ExitCode(enum.IntEnum):
    """Named process exit codes (documented in the README)."""

    OK = 0
    FAILURE = 1
    USAGE = 2
    CONFIG = 3
    UNAVAILABLE = 4  # a service jemput needs (Kafka, database) cannot be reached
    DATA = 5  # input data is invalid (file to ingest, gazetteer)
    INTERRUPTED = 130
