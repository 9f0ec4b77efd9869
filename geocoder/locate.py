"""The geocoder's pure core: place one message by its GPS point or, failing that, by the names in its text.

- GPS and a gazetteer with polygons: the most specific area containing the point (point-in-polygon) gives the
  admin codes; precision "point", method "gps", the message's own coordinates. A point outside every polygon
  (outside DKI) falls through to the text; if the text names no place either, the bare point is kept (precision
  "point", method "gps", no admin codes) -- the coordinates are still the best location there is.
- GPS and no polygons (the built-in gazetteer): the bare point, without admin codes.
- No GPS: :meth:`geocoder.matcher.Matcher.match` on the text.
"""

from __future__ import annotations

from geocoder.gazetteer import Gazetteer
from geocoder.matcher import Matcher, location_for
from geocoder.settings import MAX_LOCATE_CHARS
from pipeline.contract import GPS, Location

__all__ = ["GEOCODER_VERSION", "Locator"]

GEOCODER_VERSION = "names-0.1"


class Locator:
    """Places texts and points against one gazetteer."""

    def __init__(self, gazetteer: Gazetteer, max_chars: int = MAX_LOCATE_CHARS) -> None:
        self.gazetteer = gazetteer
        self.matcher = Matcher(gazetteer, max_chars=max_chars)

    @property
    def version(self) -> str:
        """``names-0.1+<pack build id>`` (``+builtin`` for the built-in gazetteer)."""
        return f"{GEOCODER_VERSION}+{self.gazetteer.build_id}"

    def locate(self, text: str, gps: GPS | None = None) -> Location:
        if gps is None:
            return self.matcher.match(text)
        point = {"precision": "point", "lat": gps.lat, "lon": gps.lon, "method": "gps"}
        if not self.gazetteer.has_polygons:
            return Location.model_validate(point)
        area = self.gazetteer.area_at(gps.lat, gps.lon)
        if area is not None:
            return location_for(self.gazetteer, area, **point)
        from_text = self.matcher.match(text)
        if from_text.precision != "none":
            return from_text
        return Location.model_validate(point)
