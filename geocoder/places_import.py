"""Read places for a gazetteer pack: a GTFS feed (Transjakarta halte and corridors) and CSVs of extra places.

GTFS (``--gtfs DIR_OR_ZIP``)
----------------------------
``stops.txt`` (required): every stop that is a station (``location_type`` 1) or a stop without a parent station
becomes a place; entrances, platforms of a station and generic nodes are left out (their station stands for them).
Stops of one name (compared by :func:`geocoder.text.name_key`) lying within :data:`MERGE_METRES` of each other are one
place at their mean position (the two platforms of a halte); the same name further away is another place. A name
starting with "Stasiun" is a ``station`` (Transjakarta names halte at rail stations so), the rest are ``halte``.
``routes.txt``, ``trips.txt`` and ``stop_times.txt`` (optional) give the *corridors*: per route its short and long
name and the places its longest trip serves (those inside DKI), stored in the pack's ``corridors`` list for reference (a corridor is a
line across many kelurahan, so the matcher does not place a message by it).

Extra places (``--places CSV``, repeatable)
-------------------------------------------
A UTF-8 CSV with a header. Columns:

========  ========  ===============================================================================================
column    required  meaning
========  ========  ===============================================================================================
name      yes       the place's name as people write it ("Jl. Kemang Raya", "Pasar Minggu", "RSUD Tarakan")
lat       yes       latitude, WGS84 decimal degrees
lon       yes       longitude, WGS84 decimal degrees
kind      no        street, station, halte, landmark, rw or place; when absent, guessed from the name ("Jl."/
                    "Jalan"/"Jln" -> street, "Stasiun" -> station, "Halte" -> halte, else landmark)
aliases   no        other names, separated by ``|``
id        no        a stable id; default: ``<file stem>:<line>``
========  ========  ===============================================================================================

Other columns are ignored. Rows with a missing name or coordinates outside WGS84 are skipped with a warning. Names
from traffic reports such as "Semanggi arah Slipi" or "Jl Medan Merdeka Utara (depan Istana Negara)" also get the
part before "arah" / the bracket as an alias.

Every place is assigned the kelurahan it lies in by point-in-polygon (:class:`geocoder.spatial.SpatialIndex`, with
a tolerance of :data:`ASSIGN_TOLERANCE_M`); places outside DKI are left out and counted.
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from geocoder.errors import GazetteerError
from geocoder.gazetteer import PLACE_KINDS, Gazetteer
from geocoder.spatial import METRES_PER_DEGREE
from geocoder.text import name_key

__all__ = [
    "ASSIGN_TOLERANCE_M",
    "MERGE_METRES",
    "RawPlace",
    "assign_areas",
    "finite_number",
    "read_gtfs",
    "read_places_csv",
    "read_rw",
]

MERGE_METRES: Final = 1_000.0
ASSIGN_TOLERANCE_M: Final = 150.0

Warn = Callable[[str], None]

_STREET_PREFIX = re.compile(r"^(?:jl|jln|jlnt|jalan)\b\.?\s*", re.IGNORECASE)
_STATION_PREFIX = re.compile(r"^(?:stasiun|st)\b\.?\s*", re.IGNORECASE)
_HALTE_PREFIX = re.compile(r"^halte\b\.?\s*", re.IGNORECASE)
_ARAH = re.compile(r"\s+arah\s+.*$", re.IGNORECASE)
_BRACKET = re.compile(r"\s*\(.*?\)\s*")


@dataclass
class RawPlace:
    id: str
    kind: str
    name: str
    lat: float
    lon: float
    aliases: list[str] = field(default_factory=list)
    source: str = ""
    members: list[str] = field(default_factory=list)


def _distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    dlat = (a[0] - b[0]) * METRES_PER_DEGREE
    dlon = (a[1] - b[1]) * METRES_PER_DEGREE * math.cos(math.radians((a[0] + b[0]) / 2))
    return math.hypot(dlat, dlon)


def finite_number(value: Any) -> float | None:
    """``value`` as a finite float, or None (a missing, empty or non-numeric field, NaN, infinity)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _merge(places: list[RawPlace]) -> list[RawPlace]:
    """Merge places of one name key and kind within MERGE_METRES of each other (single link, in input order)."""
    groups: dict[tuple[str, str], list[list[RawPlace]]] = {}
    for place in places:
        clusters = groups.setdefault((place.kind, name_key(place.name)), [])
        for cluster in clusters:
            if any(_distance_m((p.lat, p.lon), (place.lat, place.lon)) <= MERGE_METRES for p in cluster):
                cluster.append(place)
                break
        else:
            clusters.append([place])
    out: list[RawPlace] = []
    for clusters in groups.values():
        for cluster in clusters:
            first = cluster[0]
            aliases: list[str] = []
            for p in cluster:
                for alias in p.aliases:
                    if alias not in aliases:
                        aliases.append(alias)
            out.append(
                RawPlace(
                    id=first.id,
                    kind=first.kind,
                    name=first.name,
                    lat=round(sum(p.lat for p in cluster) / len(cluster), 6),
                    lon=round(sum(p.lon for p in cluster) / len(cluster), 6),
                    aliases=aliases,
                    source=first.source,
                    members=[m for p in cluster for m in p.members],
                )
            )
    return sorted(out, key=lambda p: p.id)


# -- GTFS ------------------------------------------------------------------------------------------------------------


class _Feed:
    """The text files of a GTFS feed, from a directory or a zip."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        if path.is_file():
            try:
                self._zip = zipfile.ZipFile(path)
            except (zipfile.BadZipFile, OSError) as exc:
                raise GazetteerError(f"{path}: not a GTFS zip: {exc}") from None
        elif not path.is_dir():
            raise GazetteerError(f"{path}: no GTFS feed (a directory or a zip of GTFS .txt files)")

    def _zip_name(self, name: str) -> str | None:
        assert self._zip is not None
        for member in self._zip.namelist():
            if member == name or member.endswith("/" + name):
                return member
        return None

    def has(self, name: str) -> bool:
        if self._zip is not None:
            return self._zip_name(name) is not None
        return (self.path / name).is_file()

    def rows(self, name: str) -> Iterator[dict[str, str]]:
        try:
            if self._zip is not None:
                member = self._zip_name(name)
                if member is None:
                    raise GazetteerError(f"{self.path}: {name} missing from the GTFS zip")
                with self._zip.open(member) as raw:
                    yield from csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))
            else:
                with (self.path / name).open(encoding="utf-8-sig", newline="") as fh:
                    yield from csv.DictReader(fh)
        except (OSError, UnicodeDecodeError, csv.Error, zipfile.BadZipFile) as exc:
            raise GazetteerError(f"{self.path}: cannot read {name}: {exc}") from None


def read_gtfs(path: Path, warn: Warn) -> tuple[list[RawPlace], list[dict[str, Any]]]:
    """Places (halte and stations) and corridors of a GTFS feed."""
    feed = _Feed(Path(path))
    if not feed.has("stops.txt"):
        raise GazetteerError(f"{path}: stops.txt not found in the GTFS feed")
    places: list[RawPlace] = []
    for line, row in enumerate(feed.rows("stops.txt"), start=2):
        location_type = (row.get("location_type") or "0").strip() or "0"
        parent = (row.get("parent_station") or "").strip()
        if location_type not in {"0", "1"} or (location_type == "0" and parent):
            continue
        name = (row.get("stop_name") or "").strip()
        lat, lon = finite_number(row.get("stop_lat")), finite_number(row.get("stop_lon"))
        if not name or lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            warn(f"stops.txt line {line}: no usable name or coordinates, skipped")
            continue
        stop_id = (row.get("stop_id") or f"line{line}").strip()
        kind = "station" if _STATION_PREFIX.match(name) else "halte"
        places.append(RawPlace(f"gtfs:{stop_id}", kind, name, lat, lon, [], "gtfs", [stop_id]))
    merged = _merge(places)
    stop_to_place = {member: p.id for p in merged for member in p.members}
    corridors: list[dict[str, Any]] = []
    if feed.has("routes.txt") and feed.has("trips.txt") and feed.has("stop_times.txt"):
        trips_of: dict[str, list[str]] = {}
        for row in feed.rows("trips.txt"):
            route, trip = (row.get("route_id") or "").strip(), (row.get("trip_id") or "").strip()
            if route and trip:
                trips_of.setdefault(route, []).append(trip)
        wanted = {trip for trips in trips_of.values() for trip in trips}
        stops_of: dict[str, list[tuple[int, str]]] = {}
        for row in feed.rows("stop_times.txt"):
            trip = (row.get("trip_id") or "").strip()
            if trip in wanted:
                try:
                    seq = int(row.get("stop_sequence") or 0)
                except ValueError:
                    seq = 0
                stops_of.setdefault(trip, []).append((seq, (row.get("stop_id") or "").strip()))
        # a route's places are those of its longest trip (the full corridor, not a short turn)
        first_trip = {
            route: max(trips, key=lambda t: (len(stops_of.get(t, ())), t)) for route, trips in trips_of.items()
        }
        parents = {}
        for row in feed.rows("stops.txt"):
            parent = (row.get("parent_station") or "").strip()
            if parent:
                parents[(row.get("stop_id") or "").strip()] = parent
        for row in feed.rows("routes.txt"):
            route = (row.get("route_id") or "").strip()
            trip = first_trip.get(route)
            served: list[str] = []
            for _, stop in sorted(stops_of.get(trip or "", [])):
                place = stop_to_place.get(stop) or stop_to_place.get(parents.get(stop, ""))
                if place and place not in served:
                    served.append(place)
            corridors.append(
                {
                    "id": f"gtfs:{route}",
                    "short_name": (row.get("route_short_name") or "").strip(),
                    "long_name": (row.get("route_long_name") or "").strip(),
                    "places": served,
                }
            )
    return merged, corridors


# -- extra places CSV ------------------------------------------------------------------------------------------------


def _guess_kind(name: str) -> str:
    if _STREET_PREFIX.match(name):
        return "street"
    if name.lower().startswith("stasiun"):
        return "station"
    if _HALTE_PREFIX.match(name):
        return "halte"
    return "landmark"


def read_places_csv(path: Path, warn: Warn) -> list[RawPlace]:
    """The places of one extra-places CSV (see the module docstring for its columns)."""
    path = Path(path)
    places: list[RawPlace] = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            fields = {f.strip().lower() for f in reader.fieldnames or ()}
            missing = {"name", "lat", "lon"} - fields
            if missing:
                raise GazetteerError(f"{path}: missing columns {', '.join(sorted(missing))}")
            for line, raw in enumerate(reader, start=2):
                row = {(k or "").strip().lower(): (v or "") for k, v in raw.items() if isinstance(v, str)}
                name = " ".join(row.get("name", "").split())
                lat, lon = finite_number(row.get("lat")), finite_number(row.get("lon"))
                if not name or lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
                    warn(f"{path.name} line {line}: no usable name or coordinates, skipped")
                    continue
                kind = row.get("kind", "").strip().lower() or _guess_kind(name)
                if kind not in PLACE_KINDS:
                    warn(f"{path.name} line {line}: unknown kind {kind!r}, read as landmark")
                    kind = "landmark"
                aliases = [a.strip() for a in row.get("aliases", "").split("|") if a.strip()]
                for short in (_ARAH.sub("", name), _BRACKET.sub(" ", name).strip()):
                    if short and short != name and short not in aliases:
                        aliases.append(short)
                pid = row.get("id", "").strip() or f"{path.stem}:{line}"
                places.append(RawPlace(pid, kind, name, lat, lon, aliases, path.name, [pid]))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise GazetteerError(f"{path}: cannot read CSV: {exc}") from None
    return _merge(places)


def assign_areas(places: list[RawPlace], gazetteer: Gazetteer, warn: Warn) -> tuple[list[dict[str, Any]], int]:
    """Pack entries for the places inside DKI (kelurahan by point-in-polygon); and how many fell outside."""
    out: list[dict[str, Any]] = []
    outside = 0
    seen: set[str] = set()
    for place in places:
        if place.id in seen:
            warn(f"place id {place.id} ({place.name}) is used twice, kept the first")
            continue
        area = gazetteer.area_at(place.lat, place.lon, ASSIGN_TOLERANCE_M)
        if area is None:
            outside += 1
            continue
        seen.add(place.id)
        kelurahan = area.code if area.level == "kelurahan" else None
        out.append(
            {
                "id": place.id,
                "kind": place.kind,
                "name": place.name,
                "aliases": place.aliases,
                "lat": place.lat,
                "lon": place.lon,
                "kota_code": area.kota_code,
                "kecamatan_code": area.kecamatan_code,
                "kelurahan_code": kelurahan,
                "source": place.source,
            }
        )
    return out, outside


# -- RW boundaries -----------------------------------------------------------------------------------------------

_RW_NUMBER = re.compile(r"(\d{1,3})")


def read_rw(path: Path, warn: Warn) -> list[RawPlace]:
    """RW (rukun warga) places from a polygon shapefile with ``KEL_NAME`` and ``RW`` ("RW 01") attributes.

    ``path`` is the ``.shp`` file or a directory holding one. Each RW becomes a place of kind ``rw`` named
    "RW 05 <kelurahan name>" at a point inside its polygon (shapely's representative point); its kelurahan is then
    found by point-in-polygon like every place. Records without a readable RW number are skipped with a warning.
    """
    from shapely.geometry import Polygon

    from geocoder.shapefile import read_shapefile

    path = Path(path)
    if path.is_dir():
        found = sorted(path.glob("*.shp"))
        if not found:
            raise GazetteerError(f"{path}: no .shp file (expected the RW boundary shapefile)")
        path = found[0]
    places: list[RawPlace] = []
    for n, (attributes, rings) in enumerate(read_shapefile(path)):
        number = _RW_NUMBER.search(str(attributes.get("RW") or ""))
        kelurahan = " ".join(str(attributes.get("KEL_NAME") or "").split()).title()
        if number is None:
            warn(f"{path.name} record {n}: no RW number in {attributes.get('RW')!r}, skipped")
            continue
        shape = Polygon(rings[0], rings[1:])
        if not shape.is_valid:
            shape = shape.buffer(0)
        if shape.is_empty:
            warn(f"{path.name} record {n}: empty polygon, skipped")
            continue
        point = shape.representative_point()
        rw = int(number.group(1))
        pid = f"rw:{n + 1}"  # the record number: OBJECTID repeats in the 2014 layer
        name = f"RW {rw:02d} {kelurahan}".strip()
        places.append(RawPlace(pid, "rw", name, round(point.y, 6), round(point.x, 6), [], path.name, [pid]))
    return places
