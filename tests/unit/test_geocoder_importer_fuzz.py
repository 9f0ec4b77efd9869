"""Hostile input for the gazetteer importers: any file either imports or is refused with a GazetteerError that
says why; nothing else escapes."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geocoder.errors import GazetteerError
from geocoder.importer import build_pack
from geocoder.places_import import read_gtfs, read_places_csv

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=12), c, max_size=4),
    max_leaves=15,
)


def feature(props: dict, geom) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geom}


props = st.fixed_dictionaries(
    {},
    optional={
        "kode_kemendagri": st.sampled_from(["31.71", "31.71.01", "31.71.01.1001", "", "x", "31"]) | st.integers(),
        "nama": st.text(max_size=20) | st.none(),
        "level": st.sampled_from(["kota", "kecamatan", "kelurahan", "desa"]) | st.none(),
        "kota_kode": st.sampled_from(["31.71", None, 7]),
        "kecamatan_kode": st.sampled_from(["31.71.01", None, []]),
        "centroid_lat": st.floats() | st.text(max_size=5),
        "centroid_lng": st.floats() | st.text(max_size=5),
    },
)
geometries = st.one_of(
    json_values,
    st.fixed_dictionaries({"type": st.sampled_from(["Polygon", "MultiPolygon", "Point"]),
                           "coordinates": st.lists(st.lists(st.lists(st.floats(), max_size=3), max_size=5),
                                                   max_size=2)}),
)
collections = st.one_of(
    json_values,
    st.builds(lambda fs: {"type": "FeatureCollection", "features": fs},
              st.lists(st.builds(feature, props, geometries), max_size=4)),
)


def _fails_clearly(call) -> None:
    try:
        call()
    except GazetteerError as exc:
        assert str(exc).strip(), "a refusal must say why"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(collections, min_size=3, max_size=3), st.binary(max_size=200))
def test_any_admin_files_import_or_are_refused_with_a_reason(tmp_path: Path, docs, garbage):
    admin = tmp_path / "admin"
    admin.mkdir(exist_ok=True)
    for name, doc in zip(("dki_kota", "dki_kecamatan", "dki_kelurahan"), docs, strict=True):
        (admin / f"{name}.geojson").write_text(json.dumps(doc), encoding="utf-8")
    _fails_clearly(lambda: build_pack(admin, tmp_path / "pack.json"))
    (admin / "dki_kelurahan.geojson").write_bytes(garbage)
    _fails_clearly(lambda: build_pack(admin, tmp_path / "pack.json"))


csv_cells = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=15)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(csv_cells, min_size=0, max_size=5), max_size=6),
       st.sampled_from(["name,lat,lon", "name,lat,lon,kind,aliases", "nama,x,y", ""]))
def test_any_places_csv_imports_or_is_refused_with_a_reason(tmp_path: Path, rows, header):
    path = tmp_path / "places.csv"
    path.write_text("\n".join([header, *(",".join(r) for r in rows)]), encoding="utf-8")
    warnings: list[str] = []
    _fails_clearly(lambda: read_places_csv(path, warnings.append))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(["stops.txt", "routes.txt", "trips.txt", "shapes.txt"]),
                       st.lists(st.lists(csv_cells, max_size=6), max_size=5), max_size=4))
def test_any_gtfs_feed_imports_or_is_refused_with_a_reason(tmp_path: Path, files):
    feed = tmp_path / "gtfs"
    feed.mkdir(exist_ok=True)
    for old in feed.iterdir():
        old.unlink()
    for name, rows in files.items():
        head = {"stops.txt": "stop_id,stop_name,stop_lat,stop_lon", "routes.txt": "route_id,route_short_name",
                "trips.txt": "route_id,trip_id,shape_id", "shapes.txt": "shape_id,shape_pt_lat,shape_pt_lon"}[name]
        (feed / name).write_text("\n".join([head, *(",".join(r) for r in rows)]), encoding="utf-8")
    warnings: list[str] = []
    _fails_clearly(lambda: read_gtfs(feed, warnings.append))
