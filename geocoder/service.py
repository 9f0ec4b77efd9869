"""Wiring of the geocoder stage: load the gazetteer (and the optional geocoding service) from the settings."""

from __future__ import annotations

import logging

from geocoder.gazetteer import Gazetteer
from geocoder.locate import Locator
from geocoder.processor import GeocoderProcessor
from geocoder.settings import MAX_LOCATE_CHARS, Settings, gazetteer_path, service_cache_path
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
        log.info(
            "gazetteer %s loaded: %d areas, %d places, build %s",
            path,
            len(gazetteer),
            len(gazetteer.places),
            gazetteer.build_id,
        )
        return gazetteer
    log.warning(
        "no gazetteer pack at %s; the geocoder only recognises the six kota by name "
        "(build one with 'jemput gazetteer build')",
        path,
    )
    return Gazetteer.builtin()


def build_locator(settings: Settings) -> Locator:
    """The Locator for ``settings``: the pack, the boundary tolerance and, when enabled, the geocoding service."""
    gazetteer = load_gazetteer(settings)
    section = settings.geocoder
    service = None
    if section.service.enabled:
        if not gazetteer.has_polygons:
            log.warning("geocoding service enabled but the gazetteer has no polygons to snap answers to; not used")
        else:
            from geocoder.fallback import GeocodingService, ResultCache

            cfg = section.service
            cache = ResultCache(service_cache_path(settings), max_age_s=cfg.cache_days * 86_400)
            service = GeocodingService(
                gazetteer,
                provider=cfg.provider,
                url=cfg.url,
                user_agent=cfg.user_agent,
                timeout_s=cfg.timeout_s,
                min_delay_s=cfg.min_delay_s,
                max_retries=cfg.max_retries,
                cache=cache,
                tolerance_m=section.boundary_tolerance_m,
            )
            log.info("geocoding service fallback: %s at %s (cache %s)", cfg.provider, cfg.url, cache.path)
    return Locator(
        gazetteer,
        max_chars=MAX_LOCATE_CHARS,
        tolerance_m=section.boundary_tolerance_m,
        service=service,
        min_evidence=section.min_evidence,
    )


def build_processor(settings: Settings) -> Processor:
    """The geocoder processor for ``settings``."""
    return GeocoderProcessor(build_locator(settings))
