"""OpenStreetMap streets (``jemput gazetteer build --osm``): read OSM XML and GeoJSON, cut each street at the
kelurahan boundaries, and what the matcher makes of a street through several areas.

Synthetic map (squares of tests/geo_pack; real codes and names, made-up geometry) and hand-written OSM files.
"""

from __future__ import annotations

import bz2
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from geocoder.errors import GazetteerError
from geocoder.gazetteer import Gazetteer
from geocoder.importer import build_pack
from geocoder.locate import Locator
from geocoder.osm_import import MIN_PIECE_M, StreetLine, read_osm_streets, street_places
from geocoder.places_import import assign_areas
from pipeline.cli import cli
from tests import geo_pack
from tests.geo_pack import area, finest_code

# Tebet (Jakarta Selatan): Tebet Timur west of 106.82, Kebon Baru east of it; Matraman (Jakarta Timur) north of -6.28
AREAS = [
    area("31.74", "kota", "Kota Administrasi Jakarta Selatan", 106.80, -6.30, 0.10),
    area("31.75", "kota", "Kota Administrasi Jakarta Timur", 106.80, -6.20, 0.10),
    area("31.74.01", "kecamatan", "Tebet", 106.80, -6.30, 0.04),
    area("31.74.01.1001", "kelurahan", "Tebet Timur", 106.80, -6.30, 0.02),
    area("31.74.01.1004", "kelurahan", "Kebon Baru", 106.82, -6.30, 0.02),
    area("31.75.01", "kecamatan", "Matraman", 106.80, -6.20, 0.04),
    area("31.75.01.1001", "kelurahan", "Pisangan Baru", 106.80, -6.20, 0.02),
]

# Jalan Tebet Raya runs west to east through Tebet Timur and Kebon Baru (two ways, one name); Jalan Lintas Kota from
# Tebet Timur north to Pisangan Baru (two kota); Gang Kecil (60 m) lies in Kebon Baru; Jalan Sampai Batas runs through
# Tebet Timur and ends 45 m into Kebon Baru. Not streets: a building, a footway, a road without a name, and a way
# whose middle node is missing from the extract (nothing of two nodes or more is left of it).
OSM_XML = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="jemput tests">
  <node id="1" lat="-6.2900" lon="106.8050"/>
  <node id="2" lat="-6.2900" lon="106.8190"/>
  <node id="3" lat="-6.2900" lon="106.8350"/>
  <node id="4" lat="-6.2850" lon="106.8100"/>
  <node id="5" lat="-6.1900" lon="106.8100"/>
  <node id="6" lat="-6.2950" lon="106.8300"/>
  <node id="7" lat="-6.2950" lon="106.83055"/>
  <node id="8" lat="-6.2960" lon="106.8070"/>
  <node id="9" lat="-6.2960" lon="106.8198"/>
  <node id="10" lat="-6.2960" lon="106.8204"/>
  <way id="200"><nd ref="1"/><nd ref="2"/>
    <tag k="highway" v="secondary"/><tag k="name" v="Jalan Tebet Raya"/><tag k="alt_name" v="Jl. Tebet Utama;Tebet Raya"/></way>
  <way id="201"><nd ref="2"/><nd ref="3"/><tag k="highway" v="secondary"/><tag k="name" v="Jalan Tebet Raya"/></way>
  <way id="202"><nd ref="4"/><nd ref="5"/><tag k="highway" v="primary"/><tag k="name" v="Jalan Lintas Kota"/></way>
  <way id="203"><nd ref="6"/><nd ref="7"/><tag k="highway" v="residential"/><tag k="name" v="Gang Kecil"/></way>
  <way id="204"><nd ref="8"/><nd ref="9"/><nd ref="10"/>
    <tag k="highway" v="residential"/><tag k="name" v="Jalan Sampai Batas"/></way>
  <way id="205"><nd ref="1"/><nd ref="3"/><tag k="building" v="yes"/><tag k="name" v="Gedung Panjang"/></way>
  <way id="206"><nd ref="1"/><nd ref="4"/><tag k="highway" v="footway"/><tag k="name" v="Jalan Setapak"/></way>
  <way id="207"><nd ref="4"/><nd ref="3"/><tag k="highway" v="residential"/></way>
  <way id="208"><nd ref="6"/><nd ref="99"/><nd ref="7"/><tag k="highway" v="primary"/><tag k="name" v="Jalan Putus"/></way>
</osm>
"""


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.from_dict(geo_pack.pack(areas=AREAS), build_id="osm")


@pytest.fixture
def osm_file(tmp_path: Path) -> Path:
    path = tmp_path / "streets.osm"
    path.write_text(OSM_XML, encoding="utf-8")
    return path


def _warnings() -> tuple[list[str], Any]:
    seen: list[str] = []
    return seen, seen.append


def test_xml_gives_named_highways_with_their_other_names(osm_file: Path) -> None:
    seen, warn = _warnings()
    lines = read_osm_streets(osm_file, warn)
    assert sorted(line.name for line in lines) == [
        "Gang Kecil", "Jalan Lintas Kota", "Jalan Sampai Batas", "Jalan Tebet Raya", "Jalan Tebet Raya"
    ]  # not the building, the footway, the unnamed road, nor the way whose nodes are missing around the gap
    tebet = next(line for line in lines if line.way_id == "w200")
    assert tebet.aliases == ["Jl. Tebet Utama", "Tebet Raya"]
    assert tebet.runs == [[(-6.29, 106.805), (-6.29, 106.819)]]
    assert any("node references" in w and "1 " in w for w in seen)


@pytest.mark.parametrize("opener", [gzip.open, bz2.open])
def test_compressed_xml_reads_the_same(osm_file: Path, tmp_path: Path, opener: Any) -> None:
    suffix = ".gz" if opener is gzip.open else ".bz2"
    packed = tmp_path / f"streets.osm{suffix}"
    with opener(packed, "wb") as fh:
        fh.write(OSM_XML.encode("utf-8"))
    names = [(line.name, line.way_id, line.runs) for line in read_osm_streets(packed, lambda _m: None)]
    assert names == [(line.name, line.way_id, line.runs) for line in read_osm_streets(osm_file, lambda _m: None)]


def test_geojson_collection_and_sequence(tmp_path: Path) -> None:
    features = [
        {"type": "Feature", "properties": {"@id": "way/300", "highway": "tertiary", "name": "Jalan Satu",
                                           "old_name": "Jalan Lama"},
         "geometry": {"type": "LineString", "coordinates": [[106.805, -6.29], [106.815, -6.29]]}},
        {"type": "Feature", "id": 301, "properties": {"name": "Jalan Dua"},  # an export of streets only
         "geometry": {"type": "MultiLineString",
                      "coordinates": [[[106.805, -6.295], [106.81, -6.295]], [[106.83, -6.295], [106.835, -6.295]]]}},
        {"type": "Feature", "properties": {"highway": "path", "name": "Jalan Setapak"},
         "geometry": {"type": "LineString", "coordinates": [[106.805, -6.29], [106.815, -6.29]]}},
        {"type": "Feature", "properties": {"highway": "residential", "name": "Titik Saja"},
         "geometry": {"type": "Point", "coordinates": [106.805, -6.29]}},
    ]
    collection = tmp_path / "streets.geojson"
    collection.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    sequence = tmp_path / "streets.geojsonseq"
    sequence.write_text("".join("\x1e" + json.dumps(f) + "\n" for f in features), encoding="utf-8")
    for path in (collection, sequence):
        seen, warn = _warnings()
        lines = read_osm_streets(path, warn)
        assert [(line.name, line.way_id, line.aliases, len(line.runs)) for line in lines] == [
            ("Jalan Satu", "w300", ["Jalan Lama"], 1),
            ("Jalan Dua", "301", [], 2),
        ]
        assert seen == [f"{path.name}: 1 features without a usable line geometry were skipped"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("jakarta.osm.pbf", b"\x00\x00", "osmium cat"),
        ("broken.osm", b"<osm><way id='1'>", "not readable as OSM XML"),
        ("broken.geojson", b"{not json", "not JSON"),
        ("list.geojson", b"[]", "FeatureCollection"),
        ("streets.shp", b"", "unknown OSM file type"),
    ],
)
def test_bad_files_are_clear_errors(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(GazetteerError, match=message) as err:
        read_osm_streets(path, lambda _m: None)
    assert name in str(err.value)


def test_streets_are_cut_at_kelurahan_boundaries(osm_file: Path, gazetteer: Gazetteer) -> None:
    places, outside = street_places(read_osm_streets(osm_file, lambda _m: None), gazetteer, source="streets.osm")
    assert outside == 0
    by_name: dict[str, list[Any]] = {}
    for p in places:
        by_name.setdefault(p.name, []).append(p)
    # two ways of one name, one place per kelurahan, each point on the street inside its own kelurahan
    tebet = by_name["Jalan Tebet Raya"]
    assert [p.id for p in tebet] == ["osm:w200:31.74.01.1001", "osm:w201:31.74.01.1004"]
    for p, code in zip(tebet, ("31.74.01.1001", "31.74.01.1004"), strict=True):
        assert gazetteer.area_at(p.lat, p.lon).code == code
        assert p.lat == -6.29 and p.kind == "street"
        assert p.aliases == ["Jl. Tebet Utama", "Tebet Raya"]  # (only the first way carries them)
    assert tebet[0].members == ["w200", "w201"]  # the second way starts 110 m inside Tebet Timur
    # across two kota
    assert [p.id.rsplit(":", 1)[1] for p in by_name["Jalan Lintas Kota"]] == ["31.74.01.1001", "31.75.01.1001"]
    # a lane shorter than a piece lies in one kelurahan: still a place
    assert [p.id for p in by_name["Gang Kecil"]] == ["osm:w203:31.74.01.1004"]
    # a street that only reaches a few metres into the next kelurahan is no place there
    assert 30 < (106.8204 - 106.82) * 111_320 < MIN_PIECE_M
    assert [p.id for p in by_name["Jalan Sampai Batas"]] == ["osm:w204:31.74.01.1001"]


def test_short_ways_wholly_inside_a_kelurahan_count(gazetteer: Gazetteer) -> None:
    # OSM splits a street into short ways at its junctions: three ways of 40 m in Kebon Baru are a street there; a
    # lane of the same name far away in Tebet Timur (40 m) is another piece; a way that reaches 45 m into Tebet
    # Timur from Kebon Baru's side adds nothing there by itself
    step = 40 / 111_320
    kebon_baru = [
        StreetLine("Gang Melati", [], f"w{n}", [[(-6.29, 106.825 + n * step), (-6.29, 106.825 + (n + 1) * step)]])
        for n in range(3)
    ]
    tebet_timur = StreetLine("Gang Melati", [], "w9", [[(-6.295, 106.805), (-6.295, 106.805 + step)]])
    edge = StreetLine("Jalan Ujung", [], "w20", [[(-6.285, 106.83), (-6.285, 106.8196)]])
    places, outside = street_places([*kebon_baru, tebet_timur, edge], gazetteer, source="x")
    assert outside == 0
    assert sorted((p.name, p.id) for p in places) == [
        ("Gang Melati", "osm:w0:31.74.01.1004"),
        ("Gang Melati", "osm:w9:31.74.01.1001"),
        ("Jalan Ujung", "osm:w20:31.74.01.1004"),
    ]


def test_a_street_outside_every_polygon_is_counted(gazetteer: Gazetteer) -> None:
    far = StreetLine("Jalan Jauh", [], "w9", [[(-6.5, 107.0), (-6.5, 107.01)]])
    assert street_places([far], gazetteer, source="x") == ([], 1)


@pytest.fixture(scope="module")
def locator(gazetteer: Gazetteer, tmp_path_factory: pytest.TempPathFactory) -> Locator:
    path = tmp_path_factory.mktemp("osm") / "streets.osm"
    path.write_text(OSM_XML, encoding="utf-8")
    raw, _ = street_places(read_osm_streets(path, lambda _m: None), gazetteer, source=path.name)
    places, outside = assign_areas(raw, gazetteer, lambda _m: None)
    assert outside == 0
    pack = geo_pack.pack(areas=AREAS, places=places)
    return Locator(Gazetteer.from_dict(pack, build_id="osm-streets"), min_evidence=2)


@pytest.mark.parametrize(
    ("text", "precision", "code"),
    [
        # a street through two kelurahan of one kecamatan: the kecamatan, not one of its kelurahan
        ("banjir parah di Jalan Tebet Raya", "kecamatan", "31.74.01"),
        ("jl tebet utama berlubang", "kecamatan", "31.74.01"),
        # the street and a kelurahan it runs through: the street's piece there
        ("banjir di Jalan Tebet Raya, Kebon Baru", "street", "31.74.01.1004"),
        ("Jl. Tebet Raya Tebet Timur rusak", "street", "31.74.01.1001"),
        # a street through two kota alone: no place
        ("macet total di Jalan Lintas Kota", "none", None),
        # a lane in one kelurahan: its point
        ("genangan di Gang Kecil sebetis", "street", "31.74.01.1004"),
    ],
)
def test_matcher_reads_street_pieces(locator: Locator, text: str, precision: str, code: str | None) -> None:
    loc = locator.locate(text)
    assert (loc.precision, finest_code(loc)) == (precision, code), loc


def _admin_dir(path: Path) -> Path:
    """wilayah_boundaries-style GeoJSON files of the synthetic map."""
    path.mkdir()
    for level, file in (("kota", "dki_kota.geojson"), ("kecamatan", "dki_kecamatan.geojson"),
                        ("kelurahan", "dki_kelurahan.geojson")):
        features = [
            {"type": "Feature", "geometry": a["polygon"],
             "properties": {"kode_kemendagri": a["code"], "nama": a["name"], "level": level,
                            "centroid_lat": a["centroid"][0], "centroid_lng": a["centroid"][1]}}
            for a in AREAS if a["level"] == level
        ]
        (path / file).write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def test_gazetteer_build_with_osm(tmp_path: Path, osm_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JEMPUT_DATA_DIR", str(tmp_path / "data"))
    admin = _admin_dir(tmp_path / "admin")
    out = tmp_path / "pack.json"
    result = CliRunner().invoke(
        cli, ["gazetteer", "build", "--admin", str(admin), "--osm", str(osm_file), "--out", str(out)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "5 named street ways -> 6 street places" in result.output
    g = Gazetteer.load(out)
    streets = [p for p in g.places if p.kind == "street"]
    assert len(streets) == 6
    assert all(g.area_at(p.lat, p.lon).code == p.kelurahan_code for p in streets)
    source = next(s for s in json.loads(out.read_text(encoding="utf-8"))["sources"] if s["file"] == "streets.osm")
    assert (source["ways"], source["places"]) == (5, 6)


def test_build_pack_refuses_a_pbf(tmp_path: Path) -> None:
    admin = _admin_dir(tmp_path / "admin")
    pbf = tmp_path / "java.osm.pbf"
    pbf.write_bytes(b"\x00")
    with pytest.raises(GazetteerError, match="osmium cat"):
        build_pack(admin, tmp_path / "pack.json", osm=[pbf])
    assert not (tmp_path / "pack.json").exists()
