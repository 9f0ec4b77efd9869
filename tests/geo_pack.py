"""Hand-made gazetteer packs for the geocoder tests: real codes and names, made-up geometry (squares on a grid)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from geocoder.gazetteer import default_aliases


def square(lon: float, lat: float, size: float) -> list[list[float]]:
    """The ring of a square with its south-west corner at (lon, lat)."""
    return [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]


def area(code: str, level: str, name: str, lon: float, lat: float, size: float, *,
         aliases: Iterable[str] = (), **extra: Any) -> dict[str, Any]:
    """An admin area of the pack format: a square, the aliases the importer generates plus ``aliases``."""
    names = list(default_aliases(name, level))  # type: ignore[arg-type]
    names += [a for a in aliases if a not in names]
    return {
        "code": code,
        "level": level,
        "name": name,
        "kota_code": code[:5],
        "kecamatan_code": None if level == "kota" else code[:8],
        "aliases": names,
        "centroid": [lat + size / 2, lon + size / 2],
        "polygon": {"type": "Polygon", "coordinates": [square(lon, lat, size)]},
        **extra,
    }


def place(pid: str, kind: str, name: str, lat: float, lon: float, kel: str, *,
          aliases: Iterable[str] = ()) -> dict[str, Any]:
    """A place of the pack format (halte, station, street, landmark) in kelurahan ``kel``."""
    return {
        "id": pid,
        "kind": kind,
        "name": name,
        "aliases": list(aliases),
        "lat": lat,
        "lon": lon,
        "kota_code": kel[:5],
        "kecamatan_code": kel[:8],
        "kelurahan_code": kel,
        "source": "test",
    }


def importer_area(code: str, level: str, name: str, lon: float, lat: float, size: float) -> dict[str, Any]:
    """An area with the aliases ``jemput gazetteer build`` adds by hand too: neighbourhoods and names of two places
    (:data:`geocoder.importer.NEIGHBOURHOOD_ALIASES`, :data:`geocoder.importer.SHARED_NAMES`)."""
    from geocoder.importer import NEIGHBOURHOOD_ALIASES, SHARED_NAMES

    return area(code, level, name, lon, lat, size,
                aliases=(*NEIGHBOURHOOD_ALIASES.get(code, ()), *SHARED_NAMES.get(code, ())))


def finest_code(loc: Any) -> str | None:
    """The most specific admin code of a Location (kelurahan, else kecamatan, else kota)."""
    return loc.kelurahan_code or loc.kecamatan_code or loc.kota_code


def pack(areas: Sequence[dict[str, Any]], places: Sequence[dict[str, Any]] = (),
         corridors: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """A pack (format version 2) of these areas, places and corridors, as ``jemput gazetteer build`` writes it."""
    return {"format": "jemput-gazetteer", "version": 2, "built_at": None, "sources": [], "areas": list(areas),
            "places": list(places), "corridors": list(corridors)}
