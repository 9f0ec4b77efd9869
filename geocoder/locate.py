"""The geocoder's core: place one message by its GPS point or, failing that, by the names in its text.

- GPS and a gazetteer with polygons: the most specific area covering the point (point-in-polygon, tolerant by
  ``tolerance_m`` near boundaries) gives the admin codes; precision "point", method "gps", the message's own
  coordinates. A point outside every polygon (outside DKI) falls through to the text; if the text names no place
  either, the bare point is kept (precision "point", method "gps", no admin codes) -- the coordinates are still the
  best location there is. Coordinates that are not finite or out of range are ignored.
- GPS and no polygons (the built-in gazetteer): the bare point, without admin codes.
- No GPS: :meth:`geocoder.matcher.Matcher.read` on the text (admin names and the pack's places).
- A text reading below the kota whose evidence is weaker than ``min_evidence`` (setting ``geocoder.min_evidence``;
  :class:`geocoder.matcher.Evidence`) is coarsened to its kota, or to no place when even the kota is doubtful.
- When the text gives no place or only a kota and a geocoding service is configured
  (:class:`geocoder.fallback.GeocodingService`), its answer is used if it lies in DKI (and in the same kota as the
  text's kota reading, when there is one); not when the text's reading was coarsened.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from geocoder.gazetteer import Gazetteer
from geocoder.matcher import Matcher, location_for
from geocoder.settings import MAX_LOCATE_CHARS
from pipeline.contract import GPS, Location

if TYPE_CHECKING:
    from geocoder.fallback import GeocodingService

__all__ = ["DEFAULT_TOLERANCE_M", "GEOCODER_VERSION", "Locator"]

GEOCODER_VERSION = "gazetteer-0.2"
DEFAULT_TOLERANCE_M = 100.0


def _usable(gps: GPS | None) -> bool:
    return (
        gps is not None
        and math.isfinite(gps.lat)
        and math.isfinite(gps.lon)
        and -90 <= gps.lat <= 90
        and -180 <= gps.lon <= 180
    )


class Locator:
    """Places texts and points against one gazetteer (and optionally a geocoding service)."""

    def __init__(
        self,
        gazetteer: Gazetteer,
        max_chars: int = MAX_LOCATE_CHARS,
        *,
        tolerance_m: float = DEFAULT_TOLERANCE_M,
        service: GeocodingService | None = None,
        min_evidence: int = 0,
    ) -> None:
        self.gazetteer = gazetteer
        self.max_chars = max_chars
        self.tolerance_m = tolerance_m
        self.service = service
        self.matcher = Matcher(gazetteer, max_chars=max_chars, min_evidence=min_evidence)

    @property
    def version(self) -> str:
        """``gazetteer-0.2+<pack build id>`` (``+builtin`` for the built-in gazetteer), ``+<provider>`` with a service."""
        version = f"{GEOCODER_VERSION}+{self.gazetteer.build_id}"
        if self.service is not None:
            version += f"+{self.service.provider}"
        return version

    def locate(self, text: str, gps: GPS | None = None) -> Location:
        text = text if isinstance(text, str) else ""
        if gps is not None and _usable(gps):
            point = {"precision": "point", "lat": gps.lat, "lon": gps.lon, "method": "gps"}
            if not self.gazetteer.has_polygons:
                return Location.model_validate(point)
            area = self.gazetteer.area_at(gps.lat, gps.lon, self.tolerance_m)
            if area is not None:
                return location_for(self.gazetteer, area, **point)
            from_text = self._from_text(text)
            if from_text.precision != "none":
                return from_text
            return Location.model_validate(point)
        return self._from_text(text)

    def _from_text(self, text: str) -> Location:
        reading = self.matcher.read(text)
        found = reading.location
        if self.service is None or found.precision not in {"none", "kota"} or reading.coarsened:
            # a reading coarsened for want of evidence is not handed to the service: it would only find the same
            # doubtful name again, more precisely
            return found
        asked = self.service.locate(text, self.max_chars)
        if asked is not None and (found.precision == "none" or asked.kota_code == found.kota_code):
            return asked
        return found
