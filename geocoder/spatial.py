"""Point-in-polygon over the admin areas with shapely and an STRtree per level.

:class:`SpatialIndex` answers "which kelurahan (else kecamatan, else kota) covers this point", tolerant near
boundaries: a point on a shared edge goes to the area with the lower code, and a point outside every polygon of a
level but within ``tolerance_m`` metres of one goes to the nearest (the upstream polygons are simplified, so real
addresses on the coast or at the edge of DKI fall a few tens of metres outside).

Distances are in degrees converted at Jakarta's latitude (1 degree ~ 111.3 km; at 6 degrees south a degree of
longitude is 0.5 % shorter, well within the tolerance's own precision).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import shapely
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.strtree import STRtree

if TYPE_CHECKING:
    from geocoder.gazetteer import Area
    from geocoder.geometry import Geometry

__all__ = ["METRES_PER_DEGREE", "SpatialIndex", "to_shapely"]

METRES_PER_DEGREE = 111_320.0


def to_shapely(geometry: Geometry) -> Any:
    """A shapely (Multi)Polygon of a :mod:`geocoder.geometry` geometry, made valid when it is not."""
    polygons = [Polygon(poly[0], poly[1:]) for poly in geometry]
    shape: Any = polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)
    if not shape.is_valid:
        shape = shapely.make_valid(shape)
    return shape


class _Level:
    def __init__(self, areas: Sequence[Area]) -> None:
        self.areas = list(areas)
        self.shapes = [to_shapely(a.geometry) for a in self.areas]  # type: ignore[arg-type]
        self.tree = STRtree(self.shapes)

    def covering(self, point: Point) -> Area | None:
        hits = self.tree.query(point, predicate="intersects")
        if len(hits) == 0:
            return None
        return min((self.areas[int(i)] for i in hits), key=lambda a: a.code)

    def nearest(self, point: Point, max_degrees: float) -> Area | None:
        hits = self.tree.query_nearest(point, max_distance=max_degrees, all_matches=True)
        if len(hits) == 0:
            return None
        return min((self.areas[int(i)] for i in hits), key=lambda a: a.code)


class SpatialIndex:
    """STRtrees over the areas with a polygon, one per level. Immutable and thread-safe after construction."""

    def __init__(self, areas: Sequence[Area]) -> None:
        self._levels: list[_Level] = []
        self._shapes: dict[str, Any] = {}
        for level in ("kelurahan", "kecamatan", "kota"):
            at_level = [a for a in areas if a.level == level and a.geometry is not None]
            if at_level:
                index = _Level(at_level)
                self._levels.append(index)
                self._shapes.update((a.code, shape) for a, shape in zip(index.areas, index.shapes, strict=True))

    def distance_m(self, code: str, lat: float, lon: float) -> float | None:
        """Metres from the point to the polygon of area ``code`` (0 inside it); None when it has no polygon."""
        shape = self._shapes.get(code)
        if shape is None:
            return None
        return float(shape.distance(Point(lon, lat))) * METRES_PER_DEGREE

    def area_at(self, lat: float, lon: float, tolerance_m: float = 0.0) -> Area | None:
        point = Point(lon, lat)
        max_degrees = max(0.0, tolerance_m) / METRES_PER_DEGREE
        for level in self._levels:
            area = level.covering(point)
            if area is None and max_degrees > 0:
                area = level.nearest(point, max_degrees)
            if area is not None:
                return area
        return None
