"""Wiring of the geocoder stage: load the gazetteer and build the processor from the settings."""

from __future__ import annotations

import logging

from geocoder.gazetteer import Gazetteer
from geocoder.locate import Locator
from geocoder.processor import GeocoderProcessor
from geocoder.settings import MAX_LOCATE_CHARS, Settings, gazetteer_path
from pipeline.stage import Processor

log = logging.getLogger(__name__)


def load_gazetteer(settings: Settings) -> Gazetteer:
    """The pack at ``settings.gazetteer_path``, or the built-in six kota (with a warning) when there is none.

    An existing but invalid pack raises :class:`~geocoder.errors.GazetteerError`: a broken pack is an operator's
    mistake to fix, not something to paper over.
    """
    path = gazetteer_path(settings)
    if path.exists():
        gazetteer = Gazetteer.load(path)
        log.info("gazetteer %s loaded: %d areas, build %s", path, len(gazetteer), gazetteer.build_id)
        return gazetteer
    log.warning(
        "no gazetteer pack at %s; the geocoder only recognises the six kota by name "
        "(build one with 'jemput gazetteer build')",
        path,
    )
    return Gazetteer.builtin()


def build_processor(settings: Settings) -> Processor:
    """The geocoder processor for ``settings``."""
    return GeocoderProcessor(Locator(load_gazetteer(settings), max_chars=MAX_LOCATE_CHARS))
