"""The geocoder's settings: its section of :mod:`config.settings` and the values derived from it."""

from __future__ import annotations

from pathlib import Path

from config.settings import GeocoderSettings, Settings

__all__ = ["MAX_LOCATE_CHARS", "GeocoderSettings", "Settings", "gazetteer_path", "section", "service_cache_path"]

#: Only this many leading characters of a message are searched for place names.
MAX_LOCATE_CHARS = 5_000


def section(settings: Settings) -> GeocoderSettings:
    """The geocoder section of the full settings."""
    return settings.geocoder


def gazetteer_path(settings: Settings) -> Path:
    """Where the gazetteer pack is read from (``geocoder.gazetteer`` or ``<data_dir>/gazetteer.json``)."""
    return settings.gazetteer_path


def service_cache_path(settings: Settings) -> Path:
    """Where the geocoding service's answers are cached (``geocoder.service.cache`` or
    ``<data_dir>/geocode_cache.sqlite3``)."""
    return settings.geocoder.service.cache or (settings.data_dir / "geocode_cache.sqlite3")
