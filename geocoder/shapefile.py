"""A minimal reader for ESRI shapefiles of polygons (``.shp`` + ``.dbf``), enough for the RW boundaries.

Only what the RW layer needs: shape type 5 (Polygon; 15 PolygonZ and 25 PolygonM are read by their x/y), null
shapes skipped, and dBASE III attribute tables with character (C), numeric (N, F), logical (L) and date (D) fields.
Formats: ESRI Shapefile Technical Description (1998) and the dBASE III file structure. Coordinates are returned as
in the file (the RW layer is WGS84 lon/lat, see its ``.prj``).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from geocoder.errors import GazetteerError

__all__ = ["read_dbf", "read_polygons", "read_shapefile"]

Ring = list[tuple[float, float]]

_POLYGON_TYPES = {5, 15, 25}


def read_polygons(path: Path) -> Iterator[list[Ring] | None]:
    """The rings of every record of a polygon ``.shp``, in file order (None for a null shape)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise GazetteerError(f"{path}: cannot read shapefile: {exc.strerror or exc}") from None
    if len(data) < 100 or struct.unpack(">i", data[:4])[0] != 9994:
        raise GazetteerError(f"{path}: not an ESRI shapefile")
    shape_type = struct.unpack("<i", data[32:36])[0]
    if shape_type not in _POLYGON_TYPES:
        raise GazetteerError(f"{path}: shape type {shape_type} is not a polygon layer")
    offset = 100
    while offset + 8 <= len(data):
        _, words = struct.unpack(">ii", data[offset : offset + 8])
        start, end = offset + 8, offset + 8 + 2 * words
        if end > len(data) or words < 2:
            raise GazetteerError(f"{path}: truncated record at byte {offset}")
        record = data[start:end]
        offset = end
        kind = struct.unpack("<i", record[:4])[0]
        if kind == 0:
            yield None
            continue
        if kind not in _POLYGON_TYPES or len(record) < 44:
            raise GazetteerError(f"{path}: record at byte {start} is not a polygon")
        n_parts, n_points = struct.unpack("<ii", record[36:44])
        parts_end = 44 + 4 * n_parts
        points_end = parts_end + 16 * n_points
        if n_parts <= 0 or n_points <= 0 or points_end > len(record):
            raise GazetteerError(f"{path}: record at byte {start} has a broken polygon")
        parts = list(struct.unpack(f"<{n_parts}i", record[44:parts_end])) + [n_points]
        coords = struct.unpack(f"<{2 * n_points}d", record[parts_end:points_end])
        rings: list[Ring] = []
        for a, b in zip(parts, parts[1:], strict=False):
            ring = [(coords[2 * i], coords[2 * i + 1]) for i in range(a, b)]
            if len(ring) >= 3:
                rings.append(ring)
        yield rings


def read_dbf(path: Path, encoding: str = "latin-1", *, keep_deleted: bool = False) -> Iterator[dict[str, Any]]:
    """The records of a dBASE III ``.dbf`` as dicts (deleted records skipped, or marked ``_deleted`` when kept)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise GazetteerError(f"{path}: cannot read dBASE file: {exc.strerror or exc}") from None
    if len(data) < 32:
        raise GazetteerError(f"{path}: not a dBASE file")
    n_records, header_len, record_len = struct.unpack("<IHH", data[4:12])
    fields: list[tuple[str, str, int]] = []
    pos = 32
    while pos + 32 <= header_len and data[pos] != 0x0D:
        name = data[pos : pos + 11].split(b"\0", 1)[0].decode("ascii", "replace")
        fields.append((name, chr(data[pos + 11]), data[pos + 16]))
        pos += 32
    if sum(length for _, _, length in fields) + 1 != record_len:
        raise GazetteerError(f"{path}: field widths do not add up to the record length")
    for n in range(n_records):
        start = header_len + n * record_len
        record = data[start : start + record_len]
        if len(record) < record_len:
            raise GazetteerError(f"{path}: truncated at record {n}")
        if record[:1] == b"*" and not keep_deleted:
            continue
        out: dict[str, Any] = {"_deleted": True} if record[:1] == b"*" else {}
        at = 1
        for name, kind, length in fields:
            raw = record[at : at + length].decode(encoding, "replace").strip()
            at += length
            value: Any = raw
            if kind in {"N", "F"}:
                try:
                    value = float(raw) if raw else None
                except ValueError:
                    value = None
            elif kind == "L":
                value = raw.upper() in {"Y", "T"} if raw and raw != "?" else None
            out[name] = value
        yield out


def read_shapefile(shp: Path) -> Iterator[tuple[dict[str, Any], list[Ring]]]:
    """(attributes, rings) of every non-null record of ``shp`` and its ``.dbf`` beside it."""
    dbf = Path(shp).with_suffix(".dbf")
    if not dbf.is_file():
        raise GazetteerError(f"{shp}: the attribute table {dbf.name} is missing")
    shapes = list(read_polygons(shp))
    records = list(read_dbf(dbf, keep_deleted=True))  # one record per shape, deleted ones included
    if len(shapes) != len(records):
        raise GazetteerError(f"{shp}: {len(shapes)} shapes but {len(records)} attribute records")
    for attributes, rings in zip(records, shapes, strict=True):
        if rings and not attributes.get("_deleted"):
            yield attributes, rings
