"""Errors of the geocoder stage."""

from __future__ import annotations

from pipeline.errors import JemputError, PermanentError


class GeocoderError(JemputError):
    """Base of the geocoder's own errors."""


class GazetteerError(GeocoderError):
    """A gazetteer pack or importer input is missing or invalid; the message names the file and the problem.

    A data problem of the whole stage (exit code DATA), not of one message.
    """


class UnsupportedMessageError(GeocoderError, PermanentError):
    """The processor was handed something that is not a ClassifiedMessage. Permanent: dead-lettered."""
