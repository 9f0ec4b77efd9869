"""The gazetteer: DKI Jakarta's administrative areas, their names and shapes.

The pack format
---------------
A gazetteer *pack* is one UTF-8 JSON file, written by ``jemput gazetteer build`` (:func:`geocoder.importer.build_pack`)
and read by :meth:`Gazetteer.load`::

    {
      "format": "jemput-gazetteer",          # always this string
      "version": 1,                          # this module reads version 1
      "built_at": "2026-11-28T05:00:00Z",    # ISO 8601, UTC; informational
      "sources": [                           # informational: what the pack was built from
        {"file": "dki_kelurahan.geojson", "sha256": "...", "areas": 267}
      ],
      "areas": [
        {
          "code": "31.71.01.1001",           # Kemendagri code: NN.NN (kota/kabupaten), NN.NN.NN (kecamatan),
                                             #   NN.NN.NN.NNNN (kelurahan); unique in the pack
          "level": "kelurahan",              # "kota" | "kecamatan" | "kelurahan"; must fit the code's shape
          "name": "Gambir",                  # official name
          "kota_code": "31.71",              # the kota the area lies in (a kota's own code for a kota)
          "kecamatan_code": "31.71.01",      # the kecamatan it lies in (its own code for a kecamatan; null for
                                             #   a kota)
          "aliases": ["..."],                # other names people write; may be empty
          "centroid": [-6.17, 106.82],       # [lat, lon], WGS84
          "polygon": {"type": "MultiPolygon", "coordinates": [...]}   # optional: a GeoJSON Polygon or
                                             #   MultiPolygon object (bare coordinates are accepted too), [lon, lat]
        }
      ],
      "places": [                            # version 2; optional (absent in version 1)
        {
          "id": "gtfs:H00120P",              # unique in the pack; "<source>:<id>"
          "kind": "halte",                   # halte | station | street | landmark | rw | place
          "name": "Harmoni",                 # as the source writes it
          "aliases": ["..."],                # other names; may be empty
          "lat": -6.1656, "lon": 106.8208,   # WGS84 point (a street: one point on it)
          "kota_code": "31.71", "kecamatan_code": "31.71.01",
          "kelurahan_code": "31.71.01.1005", # by point-in-polygon at build time; null when only nearer a kecamatan
          "source": "gtfs"                   # informational
        }
      ],
      "corridors": [                         # version 2; optional, informational (not used to place messages)
        {"id": "gtfs:1", "short_name": "1", "long_name": "Blok M - Kota", "places": ["gtfs:H00120P", "..."]}
      ]
    }

Versions: 1 had areas only; 2 adds ``places`` and ``corridors``. This module writes 2 and reads 1 and 2; any other
version is refused (a newer pack needs a newer jemput).

Parents must be in the pack: every kecamatan's kota, every kelurahan's kecamatan and kota; the codes must agree with
the code's prefix (31.71.01.1001 lies in 31.71.01 and 31.71). Any violation raises :class:`GazetteerError` naming
the file, the area and the problem. A place's codes must name areas in the pack and agree with each other.

Names are matched by their key (:func:`geocoder.text.name_key`): the official name, the name without a
"Kota Administrasi"/"Kabupaten Administrasi" prefix, and every alias.

The built-in gazetteer
----------------------
:meth:`Gazetteer.builtin` knows only the six kota / kabupaten of DKI Jakarta, by name and short form (Jaksel,
Jaktim, Jakpus, Jakbar, Jakut, Kepulauan Seribu), with *approximate* centroids (rounded to about a kilometre, set by
hand for this fallback) and no polygons. It is used when no pack has been built.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, cast

from geocoder.errors import GazetteerError
from geocoder.geometry import (
    BBox,
    Geometry,
    GeometryError,
    bbox,
    contains,
    in_bbox,
    parse_geometry,
    to_geojson,
)
from geocoder.spatial import SpatialIndex
from geocoder.text import name_key

__all__ = [
    "FORMAT",
    "LEVELS",
    "PLACE_KINDS",
    "READABLE_VERSIONS",
    "VERSION",
    "Area",
    "Place",
    "Gazetteer",
    "Level",
    "default_aliases",
    "short_name",
]

FORMAT: Final = "jemput-gazetteer"
VERSION: Final = 2
#: Pack versions this module reads (version 1 packs have no places).
READABLE_VERSIONS: Final = (1, 2)
#: Kinds of places a pack may hold.
PLACE_KINDS: Final = ("halte", "station", "street", "landmark", "rw", "place")

Level = Literal["kota", "kecamatan", "kelurahan"]
LEVELS: Final[tuple[Level, ...]] = ("kota", "kecamatan", "kelurahan")

_CODE_SHAPE: Final[Mapping[str, re.Pattern[str]]] = {
    "kota": re.compile(r"\d{2}\.\d{2}"),
    "kecamatan": re.compile(r"\d{2}\.\d{2}\.\d{2}"),
    "kelurahan": re.compile(r"\d{2}\.\d{2}\.\d{2}\.\d{4}"),
}


@dataclass(frozen=True)
class Area:
    """One administrative area."""

    code: str
    level: Level
    name: str
    kota_code: str
    kecamatan_code: str | None
    aliases: tuple[str, ...]
    #: (lat, lon)
    centroid: tuple[float, float]
    geometry: Geometry | None = field(default=None, repr=False, compare=False)
    bbox: BBox | None = field(default=None, repr=False, compare=False)

    @property
    def rank(self) -> int:
        """0 for a kota, 1 for a kecamatan, 2 for a kelurahan: higher is more specific."""
        return LEVELS.index(self.level)

    @property
    def chain(self) -> frozenset[str]:
        """Codes of this area and of the areas it lies in."""
        return frozenset(c for c in (self.code, self.kecamatan_code, self.kota_code) if c)

    def contains(self, lat: float, lon: float) -> bool:
        if self.geometry is None or self.bbox is None or not in_bbox(lon, lat, self.bbox):
            return False
        return contains(self.geometry, lon, lat)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "level": self.level,
            "name": self.name,
            "kota_code": self.kota_code,
            "kecamatan_code": self.kecamatan_code,
            "aliases": list(self.aliases),
            "centroid": [self.centroid[0], self.centroid[1]],
        }
        if self.geometry is not None:
            out["polygon"] = to_geojson(self.geometry)
        return out


# -- names and aliases -------------------------------------------------------------------------------------------

_ADMIN_PREFIX = re.compile(
    r"^(?:kota\s+administrasi|kabupaten\s+administrasi|kota\s+adm\.?|kab\.?\s+adm\.?|kotamadya|kota|kabupaten|kab\.)\s+",
    re.IGNORECASE,
)
_JAKARTA_PART = re.compile(r"^jakarta\s+(pusat|utara|barat|selatan|timur)$", re.IGNORECASE)
_KOTA_SHORT: Final[Mapping[str, str]] = {
    "pusat": "jakpus",
    "utara": "jakut",
    "barat": "jakbar",
    "selatan": "jaksel",
    "timur": "jaktim",
}
#: Abbreviations people write for the first word of a place name ("Kp. Melayu", "Tj. Priok", "Kb. Jeruk").
_FIRST_WORD_ABBREVIATIONS: Final[Mapping[str, tuple[str, ...]]] = {
    "kampung": ("kp",),
    "tanjung": ("tj", "tg"),
    "pulau": ("p",),
    "pondok": ("pd",),
    "gunung": ("gn",),
    "kebon": ("kb",),
    "pasar": ("ps",),
    "tanah": ("tn",),
}


def short_name(name: str) -> str:
    """``name`` without a "Kota Administrasi" / "Kabupaten Administrasi" (or similar) prefix."""
    return _ADMIN_PREFIX.sub("", name.strip()).strip()


def default_aliases(name: str, level: Level) -> tuple[str, ...]:
    """The aliases jemput generates for an official name (lower case, without the name itself).

    The short name ("Jakarta Selatan" for "Kota Administrasi Jakarta Selatan"); for the kota of Jakarta "jkt
    selatan" and the short form ("jaksel"); for Kepulauan Seribu "pulau seribu", "kep. seribu" and "kab. kepulauan
    seribu"; the name without spaces ("tanahabang"); and abbreviated first words ("kp melayu", "tj priok").
    """
    short = short_name(name)
    low = short.lower()
    out: list[str] = []

    def add(alias: str) -> None:
        alias = alias.strip().lower()
        if alias and alias != name.lower() and alias not in out:
            out.append(alias)

    add(low)
    if level == "kota":
        m = _JAKARTA_PART.match(low)
        if m:
            part = m.group(1)
            add(f"jkt {part}")
            add(f"jakarta-{part}")
            add(_KOTA_SHORT[part])
        if low == "kepulauan seribu":
            for alias in (
                "pulau seribu",
                "kep. seribu",
                "kep seribu",
                "kab. kepulauan seribu",
                "kabupaten kepulauan seribu",
            ):
                add(alias)
    words = low.split()
    if len(words) > 1:
        add("".join(words))
        for abbreviation in _FIRST_WORD_ABBREVIATIONS.get(words[0], ()):
            add(" ".join([abbreviation + ".", *words[1:]]))
    return tuple(out)


# -- the gazetteer ---------------------------------------------------------------------------------------------------

# Approximate centroids (lat, lon), set by hand to about a kilometre: enough to put a kota-level report on a map.
_BUILTIN_KOTA: Final[tuple[tuple[str, str, tuple[float, float]], ...]] = (
    ("31.01", "Kabupaten Administrasi Kepulauan Seribu", (-5.75, 106.56)),
    ("31.71", "Kota Administrasi Jakarta Pusat", (-6.18, 106.83)),
    ("31.72", "Kota Administrasi Jakarta Utara", (-6.13, 106.87)),
    ("31.73", "Kota Administrasi Jakarta Barat", (-6.16, 106.75)),
    ("31.74", "Kota Administrasi Jakarta Selatan", (-6.27, 106.81)),
    ("31.75", "Kota Administrasi Jakarta Timur", (-6.23, 106.89)),
)


class Gazetteer:
    """Admin areas indexed by code and by name key. Immutable after construction."""

    def __init__(
        self,
        areas: Iterable[Area],
        *,
        places: Iterable[Place] = (),
        corridors: tuple[Mapping[str, Any], ...] = (),
        build_id: str,
        built_at: str | None = None,
        sources: tuple[Mapping[str, Any], ...] = (),
        origin: str = "<gazetteer>",
    ) -> None:
        self.build_id = build_id
        self.built_at = built_at
        self.sources = sources
        self.origin = origin
        by_code: dict[str, Area] = {}
        for area in areas:
            if area.code in by_code:
                raise GazetteerError(f"{origin}: duplicate area code {area.code}")
            by_code[area.code] = area
        if not by_code:
            raise GazetteerError(f"{origin}: no areas")
        for area in by_code.values():
            for parent in (area.kota_code, area.kecamatan_code):
                if parent and parent != area.code and parent not in by_code:
                    raise GazetteerError(
                        f"{origin}: area {area.code} ({area.name}): parent {parent} is not in the pack"
                    )
        self._by_code = by_code
        names: dict[str, list[Area]] = {}
        for area in sorted(by_code.values(), key=lambda a: (a.rank, a.code)):
            for text in (area.name, short_name(area.name), *area.aliases):
                key = name_key(text)
                if key and area not in names.setdefault(key, []):
                    names[key].append(area)
        self._by_name = {k: tuple(v) for k, v in names.items()}
        self._with_shape = tuple(
            sorted((a for a in by_code.values() if a.geometry is not None), key=lambda a: (-a.rank, a.code))
        )
        by_id: dict[str, Place] = {}
        for place in places:
            if place.id in by_id:
                raise GazetteerError(f"{origin}: duplicate place id {place.id}")
            for code in (place.kota_code, place.kecamatan_code, place.kelurahan_code):
                if code is not None and code not in by_code:
                    raise GazetteerError(f"{origin}: place {place.id} ({place.name}): area {code} is not in the pack")
            by_id[place.id] = place
        self._places = by_id
        self.corridors = corridors
        self._index = SpatialIndex(self._with_shape) if self._with_shape else None

    # -- construction --------------------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path) -> Gazetteer:
        """Read and validate a pack; raises :class:`GazetteerError` on a missing or invalid file."""
        path = Path(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise GazetteerError(f"{path}: gazetteer pack not found") from None
        except OSError as exc:
            raise GazetteerError(f"{path}: cannot read gazetteer pack: {exc.strerror or exc}") from None
        try:
            obj = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise GazetteerError(f"{path}: not a JSON gazetteer pack: {exc}") from None
        return cls.from_dict(obj, build_id=hashlib.sha256(data).hexdigest()[:12], origin=str(path))

    @classmethod
    def from_dict(cls, obj: Any, *, build_id: str, origin: str = "<gazetteer>") -> Gazetteer:
        """Validate a parsed pack (see the module docstring for the format)."""
        if not isinstance(obj, dict):
            raise GazetteerError(f"{origin}: a pack is a JSON object, got {type(obj).__name__}")
        if obj.get("format") != FORMAT:
            raise GazetteerError(f"{origin}: not a jemput gazetteer pack (format {obj.get('format')!r})")
        if obj.get("version") not in READABLE_VERSIONS:
            raise GazetteerError(
                f"{origin}: unsupported pack version {obj.get('version')!r}; this reads "
                + ", ".join(str(v) for v in READABLE_VERSIONS)
            )
        raw_areas = obj.get("areas")
        if not isinstance(raw_areas, list) or not raw_areas:
            raise GazetteerError(f"{origin}: 'areas' must be a non-empty list")
        sources = obj.get("sources") or []
        if not isinstance(sources, list):
            raise GazetteerError(f"{origin}: 'sources' must be a list")
        built_at = obj.get("built_at")
        areas = [_parse_area(raw, i, origin) for i, raw in enumerate(raw_areas)]
        raw_places = obj.get("places", [])
        if not isinstance(raw_places, list):
            raise GazetteerError(f"{origin}: 'places' must be a list")
        places = [_parse_place(raw, i, origin) for i, raw in enumerate(raw_places)]
        raw_corridors = obj.get("corridors", [])
        if not isinstance(raw_corridors, list) or not all(isinstance(c, dict) for c in raw_corridors):
            raise GazetteerError(f"{origin}: 'corridors' must be a list of objects")
        return cls(
            areas,
            places=places,
            corridors=tuple(raw_corridors),
            build_id=build_id,
            built_at=str(built_at) if built_at is not None else None,
            sources=tuple(s for s in sources if isinstance(s, dict)),
            origin=origin,
        )

    @classmethod
    def builtin(cls) -> Gazetteer:
        """The six kota / kabupaten of DKI Jakarta, by name only (see the module docstring)."""
        areas = [
            Area(code, "kota", name, code, None, default_aliases(name, "kota"), centroid)
            for code, name, centroid in _BUILTIN_KOTA
        ]
        return cls(areas, build_id="builtin", origin="<builtin>")

    def to_dict(self) -> dict[str, Any]:
        """The pack as plain data (what :meth:`load` reads)."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "built_at": self.built_at,
            "sources": [dict(s) for s in self.sources],
            "areas": [a.to_json() for a in sorted(self._by_code.values(), key=lambda a: a.code)],
            "places": [p.to_json() for p in sorted(self._places.values(), key=lambda p: p.id)],
            "corridors": [dict(c) for c in self.corridors],
        }

    # -- queries ---------------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._by_code)

    def __iter__(self) -> Iterator[Area]:
        return iter(sorted(self._by_code.values(), key=lambda a: a.code))

    def get(self, code: str | None) -> Area | None:
        return self._by_code.get(code) if code else None

    def count(self, level: Level) -> int:
        return sum(1 for a in self._by_code.values() if a.level == level)

    @property
    def has_polygons(self) -> bool:
        return bool(self._with_shape)

    @property
    def names(self) -> Mapping[str, tuple[Area, ...]]:
        """Name key -> the areas that carry that name or alias (kota first, then kecamatan, then kelurahan)."""
        return self._by_name

    def lookup(self, name: str) -> tuple[Area, ...]:
        """Areas whose name or alias has the same key as ``name``."""
        return self._by_name.get(name_key(name), ())

    def kota_of(self, area: Area) -> Area | None:
        return self._by_code.get(area.kota_code)

    def kecamatan_of(self, area: Area) -> Area | None:
        return self._by_code.get(area.kecamatan_code) if area.kecamatan_code else None

    @property
    def places(self) -> tuple[Place, ...]:
        """Every place (halte, station, street, landmark, RW, ...), by id."""
        return tuple(sorted(self._places.values(), key=lambda p: p.id))

    def place(self, place_id: str) -> Place | None:
        return self._places.get(place_id)

    def area_at(self, lat: float, lon: float, tolerance_m: float = 0.0) -> Area | None:
        """The most specific area whose polygon covers the point (kelurahan before kecamatan before kota).

        A point on a shared boundary belongs to the area with the lower code (deterministic). A point outside every
        polygon of a level but within ``tolerance_m`` metres of one (simplified boundaries, GPS error, a pier) takes
        the nearest. Coordinates that are not finite numbers give None.
        """
        if self._index is None or not (math.isfinite(lat) and math.isfinite(lon)):
            return None
        return self._index.area_at(lat, lon, tolerance_m)

    def distance_m(self, area: Area, lat: float, lon: float) -> float | None:
        """Metres from the point to ``area``'s polygon (0 inside it); None without a polygon or a finite point."""
        if self._index is None or not (math.isfinite(lat) and math.isfinite(lon)):
            return None
        return self._index.distance_m(area.code, lat, lon)


def _parse_area(raw: Any, index: int, origin: str) -> Area:
    where = f"{origin}: areas[{index}]"
    if not isinstance(raw, dict):
        raise GazetteerError(f"{where}: an area is a JSON object")
    code = raw.get("code")
    if not isinstance(code, str):
        raise GazetteerError(f"{where}: 'code' must be a string")
    where = f"{where} ({code})"
    level = raw.get("level")
    if level not in LEVELS:
        raise GazetteerError(f"{where}: 'level' must be one of {', '.join(LEVELS)}, got {level!r}")
    level = cast(Level, level)
    if not _CODE_SHAPE[level].fullmatch(code):
        raise GazetteerError(f"{where}: code does not have the shape of a {level} code")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise GazetteerError(f"{where}: 'name' must be a non-empty string")
    kota_code = raw.get("kota_code")
    if kota_code != code[:5]:
        raise GazetteerError(f"{where}: kota_code must be {code[:5]}, got {kota_code!r}")
    kecamatan_code = raw.get("kecamatan_code")
    expected_kec = None if level == "kota" else code[:8]
    if kecamatan_code != expected_kec:
        raise GazetteerError(f"{where}: kecamatan_code must be {expected_kec!r}, got {kecamatan_code!r}")
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise GazetteerError(f"{where}: 'aliases' must be a list of strings")
    centroid = raw.get("centroid")
    if (
        not isinstance(centroid, list)
        or len(centroid) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in centroid)
        or not all(math.isfinite(v) for v in centroid)
        or not (-90 <= centroid[0] <= 90 and -180 <= centroid[1] <= 180)
    ):
        raise GazetteerError(f"{where}: 'centroid' must be [lat, lon] in range")
    geometry: Geometry | None = None
    box: BBox | None = None
    if raw.get("polygon") is not None:
        try:
            geometry = parse_geometry(raw["polygon"], "polygon")
        except GeometryError as exc:
            raise GazetteerError(f"{where}: {exc}") from None
        box = bbox(geometry)
    return Area(
        code=code,
        level=level,
        name=name.strip(),
        kota_code=kota_code,
        kecamatan_code=kecamatan_code,
        aliases=tuple(a.strip() for a in aliases if a.strip()),
        centroid=(float(centroid[0]), float(centroid[1])),
        geometry=geometry,
        bbox=box,
    )


# -- places ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """A named point: a Transjakarta halte, a station, a street, a landmark, an RW.

    It reads like an :class:`Area` one step more specific than a kelurahan (``rank`` 3), so the matcher can weigh
    it against the admin names of the same text: its ``chain`` holds its own id and the codes of the kelurahan,
    kecamatan and kota it lies in.
    """

    id: str
    kind: str
    name: str
    aliases: tuple[str, ...]
    lat: float
    lon: float
    kota_code: str | None
    kecamatan_code: str | None
    kelurahan_code: str | None
    source: str | None = None

    @property
    def code(self) -> str:
        return self.id

    @property
    def level(self) -> str:
        return "street" if self.kind == "street" else "place"

    @property
    def rank(self) -> int:
        return 3

    @property
    def centroid(self) -> tuple[float, float]:
        return (self.lat, self.lon)

    @property
    def chain(self) -> frozenset[str]:
        return frozenset(c for c in (self.id, self.kelurahan_code, self.kecamatan_code, self.kota_code) if c)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "aliases": list(self.aliases),
            "lat": self.lat,
            "lon": self.lon,
            "kota_code": self.kota_code,
            "kecamatan_code": self.kecamatan_code,
            "kelurahan_code": self.kelurahan_code,
            "source": self.source,
        }


def _parse_place(raw: Any, index: int, origin: str) -> Place:
    where = f"{origin}: places[{index}]"
    if not isinstance(raw, dict):
        raise GazetteerError(f"{where}: a place is a JSON object")
    pid = raw.get("id")
    if not isinstance(pid, str) or not pid:
        raise GazetteerError(f"{where}: 'id' must be a non-empty string")
    where = f"{where} ({pid})"
    kind = raw.get("kind")
    if kind not in PLACE_KINDS:
        raise GazetteerError(f"{where}: 'kind' must be one of {', '.join(PLACE_KINDS)}, got {kind!r}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise GazetteerError(f"{where}: 'name' must be a non-empty string")
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise GazetteerError(f"{where}: 'aliases' must be a list of strings")
    lat, lon = raw.get("lat"), raw.get("lon")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in (lat, lon)) or not (
        -90 <= lat <= 90 and -180 <= lon <= 180
    ):
        raise GazetteerError(f"{where}: 'lat' / 'lon' must be numbers in range")
    codes: dict[str, str | None] = {}
    for level in ("kota", "kecamatan", "kelurahan"):
        value = raw.get(f"{level}_code")
        if value is not None and (not isinstance(value, str) or not _CODE_SHAPE[level].fullmatch(value)):
            raise GazetteerError(f"{where}: '{level}_code' must be a {level} code or null")
        codes[level] = value
    if codes["kelurahan"] and not codes["kelurahan"].startswith(f"{codes['kecamatan']}."):
        raise GazetteerError(f"{where}: kelurahan_code and kecamatan_code disagree")
    if codes["kecamatan"] and not codes["kecamatan"].startswith(f"{codes['kota']}."):
        raise GazetteerError(f"{where}: kecamatan_code and kota_code disagree")
    source = raw.get("source")
    return Place(
        id=pid,
        kind=kind,
        name=name.strip(),
        aliases=tuple(a.strip() for a in aliases if a.strip()),
        lat=float(lat),
        lon=float(lon),
        kota_code=codes["kota"],
        kecamatan_code=codes["kecamatan"],
        kelurahan_code=codes["kelurahan"],
        source=str(source) if source is not None else None,
    )
