"""Errors of the classifier stage."""

from __future__ import annotations

from pipeline.errors import JemputError, PermanentError


class ClassifierError(JemputError):
    """Base of the classifier's own errors."""


class UnsupportedMessageError(ClassifierError, PermanentError):
    """The processor was handed something that is not a RawMessage. Permanent: dead-lettered."""
