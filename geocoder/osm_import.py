"""Named streets from an OpenStreetMap extract, kept as lines: one place per street and kelurahan it runs through.

``jemput gazetteer build --osm FILE`` (repeatable). A street is a line, often kilometres long and through several
kelurahan and kecamatan; a single point for it (as a ``--places`` CSV row gives) puts every message naming it in
one kelurahan. Here every named road is cut at the kelurahan boundaries: each kelurahan it runs through gets its
own place (kind ``street``, the street's name, a point on the street inside that kelurahan), unless the street only
reaches into it (no way of the street runs :data:`MIN_PIECE_M` metres there or lies wholly inside it: a junction at
the edge). A message naming the street alone then gets only the area all its pieces share (its kecamatan, or
its kota, or nothing), and "Jl. X, Kel. Y" the piece in Y -- the matcher's rule for names shared by several places.

Input formats (by file name):

- ``.osm``, ``.osm.gz``, ``.osm.bz2``: OSM XML, as written by ``osmium cat``, JOSM or the Overpass API. Read twice,
  streaming (first the ways, then only the nodes they use), so a whole city's extract needs little memory.
- ``.geojson`` / ``.json`` (a FeatureCollection) and ``.geojsonl`` / ``.geojsonseq`` (one feature per line), as
  written by ``osmium export``, ``ogr2ogr`` or overpass-turbo: LineString and MultiLineString features.
- ``.pbf`` is not read: convert it first (``osmium cat jakarta.osm.pbf -o jakarta.osm``).

Which ways count: tag ``highway`` one of :data:`HIGHWAYS` (roads people live and complain on; not footpaths,
tracks or construction) and a ``name``. ``alt_name``, ``old_name``, ``short_name``, ``official_name`` and
``loc_name`` (``;``-separated lists allowed) become aliases. Ways of one name (compared by
:func:`geocoder.text.name_key`) are one street per kelurahan: the pieces of "Jalan Kemang Raya" in Bangka are one
place whatever the number of OSM ways. Each way is walked in steps of :data:`SAMPLE_M` metres; each step point is
placed by point-in-polygon; a piece's point is the step point nearest the middle of the piece's step points.

OSM data is © OpenStreetMap contributors, ODbL: keep the attribution with the pack.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import math
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

from geocoder.errors import GazetteerError
from geocoder.places_import import RawPlace, finite_number
from geocoder.spatial import METRES_PER_DEGREE
from geocoder.text import name_key

if TYPE_CHECKING:
    from geocoder.gazetteer import Gazetteer

__all__ = ["HIGHWAYS", "MIN_PIECE_M", "SAMPLE_M", "StreetLine", "read_osm_streets", "street_places"]

#: ``highway`` values of the ways read as streets.
HIGHWAYS: Final[frozenset[str]] = frozenset(
    {
        "motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential", "living_street",
        "service", "pedestrian", "road", "motorway_link", "trunk_link", "primary_link", "secondary_link",
        "tertiary_link",
    }
)
#: Tags whose values are other names of the street.
ALIAS_TAGS: Final[tuple[str, ...]] = ("alt_name", "old_name", "short_name", "official_name", "loc_name")
#: Step along a way, in metres.
SAMPLE_M: Final = 50.0
#: One of a street's ways must run this far through a kelurahan, or lie wholly inside it, for the street to be a
#: place there (not a junction at its edge).
MIN_PIECE_M: Final = 100.0

Warn = Callable[[str], None]


@dataclass
class StreetLine:
    """One named OSM way (or GeoJSON line): its name, other names, id and coordinates as (lat, lon) runs."""

    name: str
    aliases: list[str]
    way_id: str
    runs: list[list[tuple[float, float]]]


@dataclass
class _Piece:
    name_counts: dict[str, int] = field(default_factory=dict)
    way_ids: set[str] = field(default_factory=set)
    points: list[tuple[float, float]] = field(default_factory=list)
    substantial: bool = False


# -- reading -------------------------------------------------------------------------------------------------------


def read_osm_streets(path: Path, warn: Warn) -> list[StreetLine]:
    """The named streets of an OSM XML or GeoJSON file (see the module docstring); raises GazetteerError."""
    path = Path(path)
    name = path.name.lower()
    if not path.is_file():
        raise GazetteerError(f"{path}: no such file (expected an OpenStreetMap extract: .osm or .geojson)")
    if name.endswith(".pbf"):
        raise GazetteerError(
            f"{path}: OSM PBF is not read here; convert it first, e.g. 'osmium cat {path.name} -o streets.osm' "
            "(or 'osmium export ... -o streets.geojson')"
        )
    if name.endswith((".osm", ".osm.gz", ".osm.bz2", ".xml")):
        return _read_xml(path, warn)
    if name.endswith((".geojson", ".json", ".geojsonl", ".geojsonseq", ".jsonl")):
        return _read_geojson(path, warn)
    raise GazetteerError(f"{path}: unknown OSM file type (expected .osm, .osm.gz, .osm.bz2, .geojson or .geojsonl)")


def _open(path: Path) -> IO[bytes]:
    name = path.name.lower()
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    if name.endswith(".bz2"):
        return bz2.open(path, "rb")
    return path.open("rb")


def _aliases(tags: dict[str, Any], name: str) -> list[str]:
    out: list[str] = []
    for tag in ALIAS_TAGS:
        value = tags.get(tag)
        if not isinstance(value, str):
            continue
        for alias in value.split(";"):
            alias = alias.strip()
            if alias and alias != name and alias not in out:
                out.append(alias)
    return out


def _wanted(tags: dict[str, Any]) -> str | None:
    """The street's name when the tags make it one of the streets read, else None."""
    name = tags.get("name")
    if not isinstance(name, str) or not name.strip() or tags.get("highway") not in HIGHWAYS:
        return None
    return name.strip()


def _read_xml(path: Path, warn: Warn) -> list[StreetLine]:
    ways: list[tuple[str, str, list[str], list[str]]] = []  # (id, name, aliases, node refs)
    needed: set[str] = set()
    try:
        for elem in _elements(path):
            if elem.tag == "way":
                tags = {t.get("k"): t.get("v") for t in elem.iter("tag")}
                name = _wanted(tags)
                if name is not None:
                    refs = [ref for nd in elem.iter("nd") if (ref := nd.get("ref"))]
                    if len(refs) >= 2:
                        ways.append((str(elem.get("id")), name, _aliases(tags, name), refs))
                        needed.update(refs)
        coords: dict[str, tuple[float, float]] = {}
        for elem in _elements(path):
            if elem.tag == "node" and (node_id := elem.get("id")) in needed:
                lat, lon = finite_number(elem.get("lat")), finite_number(elem.get("lon"))
                if lat is not None and lon is not None:
                    coords[node_id] = (lat, lon)
    except ET.ParseError as exc:
        raise GazetteerError(f"{path}: not readable as OSM XML: {exc}") from None
    except (OSError, EOFError) as exc:
        raise GazetteerError(f"{path}: cannot read: {exc}") from None
    out: list[StreetLine] = []
    missing = 0
    for way_id, name, aliases, refs in ways:
        runs: list[list[tuple[float, float]]] = [[]]
        for ref in refs:
            point = coords.get(ref)
            if point is None:  # a node outside the extract: the way goes on beyond it, in another run
                missing += 1
                if runs[-1]:
                    runs.append([])
                continue
            runs[-1].append(point)
        runs = [r for r in runs if len(r) >= 2]
        if runs:
            out.append(StreetLine(name, aliases, f"w{way_id}", runs))
    if missing:
        warn(f"{path.name}: {missing} node references of named streets are not in the file (cut at the extract's edge)")
    return out


def _elements(path: Path) -> Iterator[ET.Element]:
    """The top-level elements of an OSM XML file (node, way, relation), each complete, then dropped: memory stays
    flat however large the extract."""
    with _open(path) as fh:
        root: ET.Element | None = None
        for event, elem in ET.iterparse(fh, events=("start", "end")):
            if root is None:
                root = elem  # <osm>
            elif event == "end" and elem.tag in {"node", "way", "relation"}:
                yield elem
                root.clear()  # (the element and everything read before it)


def _features(path: Path) -> Iterator[Any]:
    name = path.name.lower()
    with _open(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig")
        if name.endswith((".geojsonl", ".geojsonseq", ".jsonl")):
            for n, line in enumerate(text, start=1):
                line = line.strip().lstrip("\x1e")  # GeoJSON text sequences start each record with RS
                if line:
                    try:
                        yield json.loads(line)
                    except ValueError as exc:
                        raise GazetteerError(f"{path} line {n}: not JSON: {exc}") from None
            return
        try:
            data = json.load(text)
        except ValueError as exc:
            raise GazetteerError(f"{path}: not JSON: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("features"), list):
            raise GazetteerError(f"{path}: expected a GeoJSON FeatureCollection")
        yield from data["features"]


def _read_geojson(path: Path, warn: Warn) -> list[StreetLine]:
    out: list[StreetLine] = []
    skipped = 0
    try:
        for n, feature in enumerate(_features(path)):
            if not isinstance(feature, dict):
                skipped += 1
                continue
            tags = feature.get("properties") or {}
            geometry = feature.get("geometry") or {}
            if not isinstance(tags, dict) or not isinstance(geometry, dict):
                skipped += 1
                continue
            name = _wanted(tags) if "highway" in tags else _named(tags)
            if name is None:
                continue
            runs = _runs(geometry)
            if not runs:
                skipped += 1
                continue
            way_id = str(tags.get("@id") or tags.get("osm_id") or feature.get("id") or f"f{n}")
            out.append(StreetLine(name, _aliases(tags, name), way_id.replace("way/", "w"), runs))
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise GazetteerError(f"{path}: cannot read: {exc}") from None
    if skipped:
        warn(f"{path.name}: {skipped} features without a usable line geometry were skipped")
    return out


def _named(tags: dict[str, Any]) -> str | None:
    """A feature without a ``highway`` property (an export of named streets only): its name."""
    name = tags.get("name")
    return name.strip() if isinstance(name, str) and name.strip() else None


def _runs(geometry: dict[str, Any]) -> list[list[tuple[float, float]]]:
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    lines = [coordinates] if kind == "LineString" else coordinates if kind == "MultiLineString" else None
    if not isinstance(lines, list):
        return []
    runs: list[list[tuple[float, float]]] = []
    for line in lines:
        if not isinstance(line, list):
            continue
        run: list[tuple[float, float]] = []
        for position in line:
            if isinstance(position, list) and len(position) >= 2:
                lon, lat = finite_number(position[0]), finite_number(position[1])
                if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180:
                    run.append((lat, lon))
        if len(run) >= 2:
            runs.append(run)
    return runs


# -- cutting streets at kelurahan boundaries ---------------------------------------------------------------------


def _steps(run: list[tuple[float, float]]) -> Iterator[tuple[float, float]]:
    """Points along a run every SAMPLE_M metres (its vertices included)."""
    yield run[0]
    for (lat1, lon1), (lat2, lon2) in zip(run, run[1:], strict=False):
        dlat = (lat2 - lat1) * METRES_PER_DEGREE
        dlon = (lon2 - lon1) * METRES_PER_DEGREE * math.cos(math.radians((lat1 + lat2) / 2))
        n = max(1, math.ceil(math.hypot(dlat, dlon) / SAMPLE_M))
        for k in range(1, n + 1):
            t = k / n
            yield (lat1 + t * (lat2 - lat1), lon1 + t * (lon2 - lon1))


def street_places(lines: list[StreetLine], gazetteer: Gazetteer, source: str) -> tuple[list[RawPlace], int]:
    """One place per street name and kelurahan it runs through (see the module docstring), and the number of
    streets that lie wholly outside the pack's kelurahan polygons."""
    pieces: dict[tuple[str, str], _Piece] = {}
    aliases_of: dict[str, list[str]] = {}  # other names belong to the street, whichever of its ways carries them
    min_steps = int(MIN_PIECE_M // SAMPLE_M) + 1  # step points spanning about MIN_PIECE_M
    outside = 0
    for line in lines:
        key = name_key(line.name)
        if not key:
            continue
        known = aliases_of.setdefault(key, [])
        known.extend(a for a in line.aliases if a not in known)
        steps = 0
        here: dict[str, list[tuple[float, float]]] = {}  # this way's step points per kelurahan
        for run in line.runs:
            for lat, lon in _steps(run):
                steps += 1
                area = gazetteer.area_at(lat, lon)
                if area is not None and area.level == "kelurahan":
                    here.setdefault(area.code, []).append((lat, lon))
        if not here:
            outside += 1
        for code, points in here.items():
            piece = pieces.setdefault((key, code), _Piece())
            piece.points.extend(points)
            piece.name_counts[line.name] = piece.name_counts.get(line.name, 0) + len(points)
            piece.way_ids.add(line.way_id)
            # a way that only reaches into a kelurahan (a junction at its edge) makes no place there; a short way
            # wholly inside one does (OSM splits streets into short ways at junctions)
            piece.substantial = piece.substantial or len(points) >= min_steps or len(points) == steps
    out: list[RawPlace] = []
    for (key, code), piece in sorted(pieces.items()):
        if not piece.substantial:
            continue
        mid_lat = sum(p[0] for p in piece.points) / len(piece.points)
        mid_lon = sum(p[1] for p in piece.points) / len(piece.points)
        lat, lon = min(piece.points, key=lambda p: (p[0] - mid_lat) ** 2 + (p[1] - mid_lon) ** 2)
        name = max(piece.name_counts.items(), key=lambda kv: (kv[1], kv[0]))[0]
        out.append(
            RawPlace(
                id=f"osm:{min(piece.way_ids)}:{code}",
                kind="street",
                name=name,
                lat=round(lat, 6),
                lon=round(lon, 6),
                aliases=[a for a in aliases_of[key] if a != name],
                source=source,
                members=sorted(piece.way_ids),
            )
        )
    return out, outside
