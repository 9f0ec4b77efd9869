"""Errors of the harvester's sources."""

from __future__ import annotations

from pipeline.errors import PermanentError


class SourceError(PermanentError):
    """A source cannot be read at all (missing file, unknown format, missing column)."""


class RecordRejected(PermanentError):
    """One input record is not a usable message; ``where`` says which (line number, row)."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason
