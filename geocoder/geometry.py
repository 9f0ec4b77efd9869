"""Polygons and point-in-polygon, in pure Python (ray casting with a bounding-box prefilter).

A geometry is held as a tuple of polygons; a polygon is a tuple of rings (the first is the outer boundary, the
others are holes); a ring is a tuple of ``(lon, lat)`` pairs, GeoJSON order. Good enough for a few hundred
simplified admin polygons; a later version may use shapely.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

Ring = tuple[tuple[float, float], ...]
Polygon = tuple[Ring, ...]
Geometry = tuple[Polygon, ...]
BBox = tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat


class GeometryError(ValueError):
    """The geometry is not a valid GeoJSON Polygon or MultiPolygon."""


def _ring(raw: Any, where: str) -> Ring:
    if not isinstance(raw, Sequence) or isinstance(raw, str) or len(raw) < 3:
        raise GeometryError(f"{where}: a ring needs at least 3 positions")
    points: list[tuple[float, float]] = []
    for pos in raw:
        if (
            not isinstance(pos, Sequence)
            or isinstance(pos, str)
            or len(pos) < 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in pos[:2])
        ):
            raise GeometryError(f"{where}: a position must be [lon, lat]")
        lon, lat = float(pos[0]), float(pos[1])
        if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
            raise GeometryError(f"{where}: position {pos!r} is out of range")
        points.append((lon, lat))
    return tuple(points)


def _polygon(raw: Any, where: str) -> Polygon:
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
        raise GeometryError(f"{where}: a polygon needs at least its outer ring")
    return tuple(_ring(r, f"{where} ring {i}") for i, r in enumerate(raw))


def _depth(raw: Any) -> int:
    depth = 0
    while isinstance(raw, Sequence) and not isinstance(raw, str) and raw:
        raw = raw[0]
        depth += 1
    return depth


def parse_geometry(raw: Any, where: str = "geometry") -> Geometry:
    """Parse a GeoJSON geometry object (``Polygon`` / ``MultiPolygon``) or bare coordinates of either.

    Bare coordinates are told apart by nesting depth (3 = Polygon, 4 = MultiPolygon).
    """
    if isinstance(raw, dict):
        kind = raw.get("type")
        coords = raw.get("coordinates")
        if kind == "Polygon":
            return (_polygon(coords, where),)
        if kind == "MultiPolygon":
            if not isinstance(coords, Sequence) or isinstance(coords, str) or not coords:
                raise GeometryError(f"{where}: a MultiPolygon needs polygons")
            return tuple(_polygon(p, f"{where} polygon {i}") for i, p in enumerate(coords))
        raise GeometryError(f"{where}: unsupported geometry type {kind!r} (Polygon or MultiPolygon)")
    depth = _depth(raw)
    if depth == 3:
        return (_polygon(raw, where),)
    if depth == 4:
        return tuple(_polygon(p, f"{where} polygon {i}") for i, p in enumerate(raw))
    raise GeometryError(f"{where}: expected Polygon or MultiPolygon coordinates")


def to_geojson(geometry: Geometry, digits: int = 6) -> dict[str, Any]:
    """``geometry`` as a GeoJSON MultiPolygon object, coordinates rounded to ``digits`` decimals."""
    return {
        "type": "MultiPolygon",
        "coordinates": [
            [[[round(lon, digits), round(lat, digits)] for lon, lat in ring] for ring in polygon]
            for polygon in geometry
        ],
    }


def bbox(geometry: Geometry) -> BBox:
    lons = [lon for polygon in geometry for lon, _ in polygon[0]]
    lats = [lat for polygon in geometry for _, lat in polygon[0]]
    return min(lons), min(lats), max(lons), max(lats)


def in_bbox(lon: float, lat: float, box: BBox) -> bool:
    return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


def point_in_ring(lon: float, lat: float, ring: Ring) -> bool:
    """Ray casting (even-odd rule); the ring may be closed or not."""
    inside = False
    n = len(ring)
    j = n - 1
    for i in range(n):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > lat) != (yj > lat):
            x_cross = xi + (lat - yi) * (xj - xi) / (yj - yi)
            if lon < x_cross:
                inside = not inside
        j = i
    return inside


def contains(geometry: Geometry, lon: float, lat: float) -> bool:
    """Whether the point lies inside one of the polygons (inside its outer ring, outside its holes)."""
    for polygon in geometry:
        if point_in_ring(lon, lat, polygon[0]) and not any(point_in_ring(lon, lat, h) for h in polygon[1:]):
            return True
    return False


def centroid(geometry: Geometry) -> tuple[float, float]:
    """Area-weighted centroid ``(lat, lon)`` of the outer rings (holes ignored); falls back to the vertex mean."""
    weight = cx = cy = 0.0
    for polygon in geometry:
        ring = polygon[0]
        n = len(ring)
        area2 = px = py = 0.0
        for i in range(n):
            x0, y0 = ring[i]
            x1, y1 = ring[(i + 1) % n]
            cross = x0 * y1 - x1 * y0
            area2 += cross
            px += (x0 + x1) * cross
            py += (y0 + y1) * cross
        if abs(area2) < 1e-15:
            continue
        w = abs(area2)
        weight += w
        cx += px / (3 * area2) * w
        cy += py / (3 * area2) * w
    if weight == 0.0:
        points = [p for polygon in geometry for p in polygon[0]]
        return sum(p[1] for p in points) / len(points), sum(p[0] for p in points) / len(points)
    return cy / weight, cx / weight
