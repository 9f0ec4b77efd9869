"""Places (halte, stations, streets, landmarks) in text, points near boundaries, and bad input, on a synthetic pack.

Real-looking codes and names, made-up geometry: areas are squares on a grid; the street "Jl. Kebon Kelapa" lies in
Sawah Besar although a kelurahan Kebon Kelapa exists in Gambir (a street and a kelurahan of the same name).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geocoder.errors import GazetteerError
from geocoder.gazetteer import Gazetteer
from geocoder.locate import Locator
from geocoder.places_import import read_places_csv
from pipeline.contract import GPS, MAX_TEXT_CHARS
from tests import geo_pack
from tests.geo_pack import area, place


def pack() -> dict[str, Any]:
    return geo_pack.pack(
        areas=[
            area("31.71", "kota", "Kota Administrasi Jakarta Pusat", 106.80, -6.20, 0.10),
            area("31.74", "kota", "Kota Administrasi Jakarta Selatan", 106.80, -6.30, 0.10),
            area("31.71.01", "kecamatan", "Gambir", 106.80, -6.20, 0.05),
            area("31.71.02", "kecamatan", "Sawah Besar", 106.85, -6.20, 0.05),
            area("31.71.01.1001", "kelurahan", "Gambir", 106.80, -6.20, 0.02),
            area("31.71.01.1005", "kelurahan", "Kebon Kelapa", 106.82, -6.20, 0.02),
            area("31.71.02.1002", "kelurahan", "Pasar Baru", 106.87, -6.20, 0.02),
            area("31.71.02.1003", "kelurahan", "Karang Anyar", 106.85, -6.20, 0.02),
            area("31.74.01", "kecamatan", "Tebet", 106.80, -6.30, 0.05),
            area("31.74.01.1001", "kelurahan", "Tebet Timur", 106.80, -6.30, 0.02),
            area("31.74.01.1007", "kelurahan", "Manggarai", 106.82, -6.30, 0.02),
        ],
        places=[
            place("gtfs:H1", "halte", "Harmoni", -6.19, 106.81, "31.71.01.1001"),
            place("gtfs:S1", "station", "St. Manggarai", -6.29, 106.83, "31.74.01.1007"),
            # a BRT halte "Manggarai" elsewhere: "stasiun manggarai" must mean the station
            place("gtfs:H2", "halte", "Manggarai", -6.19, 106.83, "31.71.01.1005"),
            place("csv:1", "street", "Jl. Kebon Kelapa", -6.19, 106.86, "31.71.02.1003"),
            place("csv:2", "landmark", "Masjid Istiqlal", -6.195, 106.875, "31.71.02.1002"),
            place("gtfs:H3", "halte", "Kota", -6.185, 106.815, "31.71.01.1001"),
            place("gtfs:H4", "halte", "BNN", -6.29, 106.81, "31.74.01.1001"),
            place("gtfs:H5", "halte", "Warga", -6.295, 106.805, "31.74.01.1001"),
            place("csv:3", "street", "Jl. Baru", -6.185, 106.805, "31.71.01.1001"),
            place("csv:4", "landmark", "Tol Dalam Kota", -6.29, 106.83, "31.74.01.1007"),
        ],
        corridors=[{"id": "gtfs:1", "short_name": "1", "long_name": "Harmoni - Manggarai", "places": ["gtfs:H1"]}],
    )


@pytest.fixture(scope="module")
def locator() -> Locator:
    return Locator(Gazetteer.from_dict(pack(), build_id="places"))


# -- places in text ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "precision", "kelurahan", "matched"),
    [
        ("macet parah depan halte Harmoni", "place", "31.71.01.1001", "Harmoni"),
        ("busway harmoni penuh", "place", "31.71.01.1001", "harmoni"),
        ("antrian di halte TJ Harmoni", "place", "31.71.01.1001", "Harmoni"),
        # the trigger word picks the station over the halte of the same name
        ("stasiun manggarai penuh banget", "place", "31.74.01.1007", "manggarai"),
        ("St.Manggarai eskalator mati", "place", "31.74.01.1007", "St.Manggarai"),
        ("halte manggarai atapnya bocor", "place", "31.71.01.1005", "manggarai"),
        # a street and a kelurahan of the same name
        ("lampu mati di Jl. Kebon Kelapa", "street", "31.71.02.1003", "Jl. Kebon Kelapa"),
        ("jln kebon kelapa rusak", "street", "31.71.02.1003", "kebon kelapa"),
        ("Jl.Kebon Kelapa, Sawah Besar banjir", "street", "31.71.02.1003", "Jl.Kebon Kelapa"),
        # a landmark of two words reads by itself
        ("sampah numpuk dekat Masjid Istiqlal", "place", "31.71.02.1002", "Masjid Istiqlal"),
        # short or common names only after their trigger
        ("halte Kota kotor", "place", "31.71.01.1001", "Kota"),
        ("deket halte BNN macet", "place", "31.74.01.1001", "BNN"),
    ],
)
def test_places_in_text(locator: Locator, text: str, precision: str, kelurahan: str, matched: str) -> None:
    loc = locator.locate(text)
    assert (loc.precision, loc.kelurahan_code, loc.method) == (precision, kelurahan, "gazetteer")
    assert loc.matched_text == matched
    assert loc.span is not None and text[loc.span[0] : loc.span[1]] == matched
    assert loc.kecamatan_code == kelurahan[:8] and loc.kota_code == kelurahan[:5]
    assert loc.lat is not None and loc.lon is not None


def test_words_in_no_place_name_do_not_grow_the_vocabulary() -> None:
    # a long-running stage reads millions of new words: they must not each become a spaCy lexeme for good
    from geocoder.places import PlaceFinder

    finder = PlaceFinder(Gazetteer.from_dict(pack(), build_id="vocab"))
    assert [h.places[0].name for h in finder.find("antri di halte Harmoni kemarin")] == ["Harmoni"]
    before = len(finder.vocab)
    for n in range(200):
        hits = finder.find(f"kata{n} baru{n} lagi{n} di halte Harmoni, Jl. Kebon Kelapa x{n}y")
        assert [h.places[0].name for h in hits] == ["Harmoni", "Jl. Kebon Kelapa"]
    assert len(finder.vocab) == before


def test_place_gets_its_own_point(locator: Locator) -> None:
    loc = locator.locate("halte Harmoni")
    assert (loc.lat, loc.lon) == (-6.19, 106.81)
    assert loc.kelurahan_name == "Gambir" and loc.kecamatan_name == "Gambir"


@pytest.mark.parametrize(
    ("text", "precision", "code"),
    [
        # a bare name that is a kelurahan stays the kelurahan
        ("banjir di Kebon Kelapa", "kelurahan", "31.71.01.1005"),
        # a named kelurahan beats a street's single point when they disagree
        ("Jl. Kebon Kelapa Kel. Gambir", "kelurahan", "31.71.01.1001"),
        # bare short / common names are not places
        ("jalan ke kota naik bnn", "none", None),
        # "Manggarai" alone is the kelurahan, not one of the halte
        ("banjir Manggarai", "kelurahan", "31.74.01.1007"),
    ],
)
def test_places_and_admin_names_together(locator: Locator, text: str, precision: str, code: str | None) -> None:
    loc = locator.locate(text)
    assert loc.precision == precision
    assert (loc.kelurahan_code or loc.kecamatan_code or loc.kota_code) == code


def test_place_conflicting_with_another_kota_declines_to_the_common_parent(locator: Locator) -> None:
    # the Harmoni halte is in Jakarta Pusat, Tebet Timur in Jakarta Selatan: no common area -> no place
    assert locator.locate("halte Harmoni Tebet Timur").precision == "none"


def test_place_outside_jakarta_context_is_refused(locator: Locator) -> None:
    assert locator.locate("macet depan Masjid Istiqlal Bekasi").precision == "none"
    assert locator.locate("macet depan Masjid Istiqlal Jakarta Pusat").kelurahan_code == "31.71.02.1002"


# -- points near and on boundaries -------------------------------------------------------------------------------
def test_point_on_a_shared_edge_goes_to_the_lower_code(locator: Locator) -> None:
    loc = locator.locate("", GPS(lat=-6.19, lon=106.82))  # edge of Gambir (1001) and Kebon Kelapa (1005)
    assert loc.kelurahan_code == "31.71.01.1001"
    corner = locator.locate("", GPS(lat=-6.20, lon=106.80))  # the outer corner of Gambir
    assert corner.kelurahan_code == "31.71.01.1001"


def test_point_just_outside_snaps_within_the_tolerance() -> None:
    gaz = Gazetteer.from_dict(pack(), build_id="places")
    point = GPS(lat=-6.19, lon=106.7995)  # about 55 m west of Gambir's western edge, outside every polygon
    assert Locator(gaz, tolerance_m=100).locate("", point).kelurahan_code == "31.71.01.1001"
    strict = Locator(gaz, tolerance_m=0).locate("", point)
    assert (strict.precision, strict.kelurahan_code, strict.kota_code) == ("point", None, None)
    far = Locator(gaz, tolerance_m=100).locate("", GPS(lat=-6.19, lon=106.795))  # about 550 m out
    assert far.kota_code is None


def test_area_at_handles_non_finite_coordinates() -> None:
    gaz = Gazetteer.from_dict(pack(), build_id="places")
    assert gaz.area_at(math.nan, 106.81) is None
    assert gaz.area_at(-6.19, math.inf, tolerance_m=500) is None


# -- bad input: precision none, never a crash --------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    ["", " ", "\x00", "🙂" * 50, "halte", "jl.", "Kel.", "Kecamatan", "st. . . .", "#@!" * 1000],
)
def test_text_without_place_is_none(locator: Locator, text: str) -> None:
    loc = locator.locate(text)
    assert (loc.precision, loc.method, loc.kota_code, loc.span) == ("none", "none", None, None)


def test_longest_allowed_text_is_cut_and_fast_enough(locator: Locator) -> None:
    text = ("banjir parah " * 10_000)[: MAX_TEXT_CHARS - 20] + " halte Harmoni"
    assert len(text) <= MAX_TEXT_CHARS
    assert locator.locate(text).precision == "none"  # the place is beyond the first max_chars characters
    early = "halte Harmoni " + "x" * (MAX_TEXT_CHARS - 20)
    assert locator.locate(early).kelurahan_code == "31.71.01.1001"


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(math.nan, 106.81), (-6.19, math.nan), (math.inf, 106.8), (-91.0, 106.8), (-6.19, 181.0), (1e308, -1e308)],
)
def test_unusable_coordinates_fall_back_to_the_text(locator: Locator, lat: float, lon: float) -> None:
    gps = GPS.model_construct(lat=lat, lon=lon, accuracy_m=None)  # bypass validation, as a broken producer might
    assert locator.locate("", gps).precision == "none"
    assert locator.locate("halte Harmoni", gps).kelurahan_code == "31.71.01.1001"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("halte HarmoniJl.KebonKelapa stasiun,#@12 \n")), max_size=120))
def test_any_text_gives_a_valid_location(text: str) -> None:
    loc = _shared_locator().locate(text)
    assert loc.precision in {"point", "street", "place", "kelurahan", "kecamatan", "kota", "none"}
    if loc.span is not None:
        assert text[loc.span[0] : loc.span[1]] == loc.matched_text


_CACHE: dict[str, Locator] = {}


def _shared_locator() -> Locator:
    if "l" not in _CACHE:
        _CACHE["l"] = Locator(Gazetteer.from_dict(pack(), build_id="places"))
    return _CACHE["l"]


# -- pack validation of places -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p["places"][0].update(kind="volcano"), "'kind' must be one of"),
        (lambda p: p["places"][0].update(lat=math.nan), "'lat' / 'lon'"),
        (lambda p: p["places"][0].update(lat=-91), "'lat' / 'lon'"),
        (lambda p: p["places"][0].update(kelurahan_code="31.71.09.1001", kecamatan_code="31.71.09"), "not in the pack"),
        (lambda p: p["places"][0].update(kecamatan_code="31.71.02"), "disagree"),
        (lambda p: p["places"].append(dict(p["places"][0])), "duplicate place id gtfs:H1"),
        (lambda p: p.update(places={}), "'places' must be a list"),
    ],
)
def test_invalid_places_are_refused(tmp_path: Path, change: Any, message: str) -> None:
    data = pack()
    change(data)
    path = tmp_path / "pack.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(GazetteerError) as info:
        Gazetteer.load(path)
    assert message in str(info.value)


def test_pack_with_places_round_trips(tmp_path: Path) -> None:
    gaz = Gazetteer.from_dict(pack(), build_id="places")
    path = tmp_path / "pack.json"
    path.write_text(json.dumps(gaz.to_dict()), encoding="utf-8")
    loaded = Gazetteer.load(path)
    assert [p.id for p in loaded.places] == [p.id for p in gaz.places]
    assert loaded.corridors[0]["long_name"] == "Harmoni - Manggarai"
    assert Locator(loaded).locate("halte Harmoni").precision == "place"


def test_version_1_packs_still_load() -> None:
    old = pack()
    old["version"] = 1
    del old["places"], old["corridors"]
    gaz = Gazetteer.from_dict(old, build_id="v1")
    assert gaz.places == () and Locator(gaz).locate("Kel. Gambir").kelurahan_code == "31.71.01.1001"


# -- the extra-places CSV ------------------------------------------------------------------------------------------
def test_places_csv_columns_kinds_and_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "extra.csv"
    path.write_text(
        "name,lat,lon,kind,aliases,id\n"
        "Jl. Uji Coba Raya,-6.19,106.86,,jl uji,\n"
        "Stasiun Contoh,-6.29,106.83,,,st-1\n"
        "Posko Banjir Contoh,-6.195,106.875,landmark,posko contoh|posko uji,\n"
        "Semanggi arah Slipi,-6.21,106.81,,,\n"
        "Tanpa Koordinat,,106.8,,,\n"
        "Jauh,95,106.8,,,\n"
        "Aneh,-6.19,106.81,volcano,,\n",
        encoding="utf-8",
    )
    warnings: list[str] = []
    places = {p.name: p for p in read_places_csv(path, warnings.append)}
    assert places["Jl. Uji Coba Raya"].kind == "street" and places["Jl. Uji Coba Raya"].aliases == ["jl uji"]
    assert places["Stasiun Contoh"].kind == "station" and places["Stasiun Contoh"].id == "st-1"
    assert places["Posko Banjir Contoh"].aliases == ["posko contoh", "posko uji"]
    assert "Semanggi" in places["Semanggi arah Slipi"].aliases
    assert places["Aneh"].kind == "landmark"
    assert "Tanpa Koordinat" not in places and "Jauh" not in places
    assert sum("no usable name or coordinates" in w for w in warnings) == 2
    assert any("unknown kind 'volcano'" in w for w in warnings)


def test_places_csv_needs_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("nama,lat\nX,1\n", encoding="utf-8")
    with pytest.raises(GazetteerError, match="missing columns lon, name"):
        read_places_csv(path, lambda _: None)


# -- level words, lists and police units ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "precision", "code"),
    [
        # a kelurahan announced by its level word outweighs a bare one of another kecamatan
        ("Pintu air dekat Manggarai di Kelurahan Tebet Timur", "kelurahan", "31.74.01.1001"),
        # the level word carries over "dan": two kelurahan of one kecamatan give the kecamatan
        ("banjir di Kelurahan Gambir dan Kebon Kelapa", "kecamatan", "31.71.01"),
        # two kecamatan of one kota give the kota
        ("Kecamatan Gambir dan Sawah Besar", "kota", "31.71"),
        # one edit away, after a level word only
        ("banjir di Kecamatan Sawah Besr", "kecamatan", "31.71.02"),
        ("banjir di Kelurahan Kebon Klapa", "kelurahan", "31.71.01.1005"),
        ("banjir di Kebon Klapa", "none", None),
        # a police unit named after its kecamatan is not where the event is
        ("Polsek Gambir bantu evakuasi banjir", "none", None),
        ("Polsek Gambir bantu evakuasi banjir di Kebon Kelapa", "kelurahan", "31.71.01.1005"),
        ("Polres Metro Jakarta Selatan turun ke Tebet Timur", "kelurahan", "31.74.01.1001"),
        # villages and unknown kecamatan are elsewhere in Indonesia: a lone Jakarta name is not enough there
        ("jalan rusak di Desa Mernek Kecamatan Gambir", "none", None),
        ("pohon tumbang di Kecamatan Kawedanan dekat Kebon Kelapa", "none", None),
        ("pohon tumbang di Kecamatan Kawedanan, bukan Kebon Kelapa Jakarta", "kelurahan", "31.71.01.1005"),
        ("lapor ke kelurahan setempat, banjir di Kebon Kelapa", "kelurahan", "31.71.01.1005"),
    ],
)
def test_level_words_lists_and_units(locator: Locator, text: str, precision: str, code: str | None) -> None:
    loc = locator.locate(text)
    assert loc.precision == precision
    assert (loc.kelurahan_code or loc.kecamatan_code or loc.kota_code) == code


@pytest.mark.parametrize(
    ("text", "precision", "code"),
    [
        # a halte named like a common word does not win just because the kota is named
        ("bantuan untuk warga terdampak banjir di Jakarta Selatan", "kota", "31.74"),
        # ... but it does when its own kelurahan is named
        ("halte Warga Tebet Timur", "place", "31.74.01.1001"),
        # "jalan baru" is a new road, "Jl. Baru" a street
        ("jalan baru diaspal digali lagi", "none", None),
        ("lubang besar di Jl. Baru, Jakarta", "street", "31.71.01.1001"),
        # a toll road is a line, not a place, unless announced
        ("macet total di tol dalam kota", "none", None),
        # an account or hashtag naming a city outside DKI needs Jakarta evidence
        ("@txtdrbekasi banjir di Kebon Kelapa", "none", None),
        ("#banjirbekasi juga di Kebon Kelapa Jakarta Pusat", "kelurahan", "31.71.01.1005"),
    ],
)
def test_weak_places_and_outside_hints(locator: Locator, text: str, precision: str, code: str | None) -> None:
    loc = locator.locate(text)
    assert loc.precision == precision
    assert (loc.kelurahan_code or loc.kecamatan_code or loc.kota_code) == code


# -- RW: the shapefile reader and "RW 05" next to a kelurahan ------------------------------------------------------
def _write_shapefile(base: Path, records: list[tuple[dict[str, str], list[list[tuple[float, float]]] | None]]) -> None:
    """A polygon shapefile written by hand from the ESRI and dBASE III layouts (what the reader must accept)."""
    import struct

    body = b""
    for n, (_, rings) in enumerate(records, start=1):
        if rings is None:
            content = struct.pack("<i", 0)
        else:
            points = [p for ring in rings for p in ring]
            parts, at = [], 0
            for ring in rings:
                parts.append(at)
                at += len(ring)
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            content = struct.pack("<i4d2i", 5, min(xs), min(ys), max(xs), max(ys), len(rings), len(points))
            content += struct.pack(f"<{len(parts)}i", *parts)
            content += b"".join(struct.pack("<2d", x, y) for x, y in points)
        body += struct.pack(">2i", n, len(content) // 2) + content
    header = struct.pack(">7i", 9994, 0, 0, 0, 0, 0, (100 + len(body)) // 2) + struct.pack("<2i4d4d", 1000, 5,
                                                                                            0, 0, 0, 0, 0, 0, 0, 0)
    base.with_suffix(".shp").write_bytes(header + body)
    fields = [("KEL_NAME", 20), ("RW", 6)]
    record_len = 1 + sum(w for _, w in fields)
    header_len = 32 + 32 * len(fields) + 1
    dbf = struct.pack("<B3BIHH20x", 3, 125, 1, 1, len(records), header_len, record_len)
    for name, width in fields:
        dbf += name.encode().ljust(11, b"\0") + b"C" + b"\0" * 4 + bytes([width, 0]) + b"\0" * 14
    dbf += b"\x0d"
    for attributes, _ in records:
        dbf += b" " + b"".join(attributes[name].encode().ljust(width)[:width] for name, width in fields)
    base.with_suffix(".dbf").write_bytes(dbf + b"\x1a")


def test_rw_shapefile_is_read_and_placed(tmp_path: Path) -> None:
    from geocoder.places_import import assign_areas, read_rw

    base = tmp_path / "rw"
    _write_shapefile(
        base,
        [
            ({"KEL_NAME": "TEBET TIMUR", "RW": "RW 05"}, [square_ring(106.801, -6.299, 0.005)]),
            ({"KEL_NAME": "MANGGARAI", "RW": "RW 1"}, [square_ring(106.821, -6.299, 0.005)]),
            ({"KEL_NAME": "X", "RW": "-"}, [square_ring(106.83, -6.29, 0.001)]),
            ({"KEL_NAME": "Y", "RW": "RW 02"}, None),
        ],
    )
    warnings: list[str] = []
    places = read_rw(tmp_path, warnings.append)
    assert [p.name for p in places] == ["RW 05 Tebet Timur", "RW 01 Manggarai"]
    assert any("no RW number" in w for w in warnings)
    gaz = Gazetteer.from_dict(pack(), build_id="places")
    entries, outside = assign_areas(places, gaz, warnings.append)
    assert outside == 0 and [e["kelurahan_code"] for e in entries] == ["31.74.01.1001", "31.74.01.1007"]
    data = pack()
    data["places"].extend(entries)
    locator = Locator(Gazetteer.from_dict(data, build_id="rw"))
    text = "banjir 1 meter di RT 003/05 Kel. Tebet Timur"
    loc = locator.locate(text)
    assert (loc.precision, loc.kelurahan_code, loc.matched_text) == ("place", "31.74.01.1001", "RT 003/05")
    assert loc.lat is not None and -6.299 < loc.lat < -6.294 and 106.801 < loc.lon < 106.806  # type: ignore[operator]
    assert locator.locate("Rw.1 Manggarai banjir").matched_text == "Rw.1"
    assert locator.locate("RW 07 Tebet Timur").precision == "kelurahan"  # no such RW in the layer
    assert locator.locate("RW 05 Jakarta Selatan").precision == "kota"  # an RW needs its kelurahan


def square_ring(lon: float, lat: float, size: float) -> list[tuple[float, float]]:
    return [(lon, lat), (lon, lat + size), (lon + size, lat + size), (lon + size, lat), (lon, lat)]


def test_broken_shapefiles_are_clear_errors(tmp_path: Path) -> None:
    from geocoder.shapefile import read_polygons, read_shapefile

    bad = tmp_path / "bad.shp"
    bad.write_bytes(b"not a shapefile" * 10)
    with pytest.raises(GazetteerError, match="not an ESRI shapefile"):
        list(read_polygons(bad))
    base = tmp_path / "ok"
    _write_shapefile(base, [({"KEL_NAME": "A", "RW": "RW 01"}, [square_ring(106.8, -6.2, 0.01)])])
    data = base.with_suffix(".shp").read_bytes()
    base.with_suffix(".shp").write_bytes(data[:-20])
    with pytest.raises(GazetteerError, match="truncated"):
        list(read_polygons(base.with_suffix(".shp")))
    base.with_suffix(".dbf").unlink()
    with pytest.raises(GazetteerError, match="attribute table"):
        list(read_shapefile(base.with_suffix(".shp")))
