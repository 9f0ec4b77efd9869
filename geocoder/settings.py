"""The geocoder's settings: its section of :mod:`config.settings` and the values derived from it."""

from __future__ import annotations

from pathlib import Path

from config.settings import GeocoderSettings, Settings

__all__ = ["MAX_LOCATE_CHARS", "GeocoderSettings", "Settings", "gazetteer_path", "section"]

#: Only this many leading characters of a message are searched for place names.
MAX_LOCATE_CHARS = 5_000


def section(settings: Settings) -> GeocoderSettings:
    """The geocoder section of the full settings."""
    return settings.geocoder


def gazetteer_path(settings: Settings) -> Path:
    """Where the gazetteer pack is read from (``geocoder.gazetteer`` or ``<data_dir>/gazetteer.json``)."""
    return settings.gazetteer_path
