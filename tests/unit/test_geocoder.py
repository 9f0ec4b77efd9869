"""The geocoder on a tiny hand-made pack: reading names, choosing the most specific consistent reading, declining,
spans into the original text, GPS point-in-polygon, the built-in kota, pack validation and the stage itself."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config.settings import Settings
from geocoder.errors import GazetteerError, UnsupportedMessageError
from geocoder.gazetteer import Gazetteer, default_aliases, short_name
from geocoder.geometry import centroid, contains, parse_geometry
from geocoder.locate import Locator
from geocoder.matcher import Matcher
from geocoder.processor import GeocoderProcessor
from geocoder.service import build_processor
from pipeline import topics
from pipeline.contract import GPS, ClassifiedMessage, LocatedMessage, RawMessage
from pipeline.errors import PermanentError
from tests.geo_pack import area, square

# -- a tiny pack ----------------------------------------------------------------------------------------------------
# Real-looking codes and names, made-up geometry: every area is a square (lon, lat) laid out on a grid, and the
# kelurahan "Sukamaju" and "Cempaka" are invented to have names shared across kecamatan / kota.


def tiny_pack() -> dict[str, Any]:
    gambir_with_hole = area("31.71.01.1001", "kelurahan", "Gambir", 106.80, -6.20, 0.02)
    gambir_with_hole["polygon"]["coordinates"].append(square(106.805, -6.195, 0.005))  # a park, not in Gambir
    areas = [
        area("31.71", "kota", "Kota Administrasi Jakarta Pusat", 106.80, -6.20, 0.10),
        area("31.74", "kota", "Kota Administrasi Jakarta Selatan", 106.80, -6.30, 0.10),
        area("31.71.01", "kecamatan", "Gambir", 106.80, -6.20, 0.05),
        area("31.71.02", "kecamatan", "Sawah Besar", 106.85, -6.20, 0.05),
        gambir_with_hole,
        area("31.71.01.1002", "kelurahan", "Sukamaju", 106.82, -6.20, 0.02),
        area("31.71.01.1003", "kelurahan", "Cempaka", 106.80, -6.18, 0.02),
        area("31.71.02.1001", "kelurahan", "Sukamaju", 106.85, -6.20, 0.02),
        area("31.71.02.1002", "kelurahan", "Pasar Baru", 106.87, -6.20, 0.02),
        area("31.74.01", "kecamatan", "Tebet", 106.80, -6.30, 0.05),
        area("31.74.02", "kecamatan", "Setiabudi", 106.85, -6.30, 0.05),
        area("31.74.01.1001", "kelurahan", "Tebet Timur", 106.80, -6.30, 0.02),
        area("31.74.01.1002", "kelurahan", "Cempaka", 106.82, -6.30, 0.02),
        area("31.74.01.1003", "kelurahan", "Tebet", 106.80, -6.28, 0.02),
        area("31.74.02.1001", "kelurahan", "Karet", 106.85, -6.30, 0.02),
        area("31.74.02.1002", "kelurahan", "Kampung Melayu Kecil", 106.87, -6.30, 0.02),
    ]
    return {
        "format": "jemput-gazetteer",
        "version": 1,
        "built_at": "2026-01-01T00:00:00Z",
        "sources": [],
        "areas": areas,
    }


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.from_dict(tiny_pack(), build_id="tiny")


@pytest.fixture(scope="module")
def locator(gazetteer: Gazetteer) -> Locator:
    return Locator(gazetteer)


@pytest.fixture(scope="module")
def builtin() -> Locator:
    return Locator(Gazetteer.builtin())


# -- choosing a reading ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "precision", "code"),
    [
        ("banjir di Tebet Timur", "kelurahan", "31.74.01.1001"),
        # a name shared by a kecamatan and its own kelurahan is the kecamatan ...
        ("macet di Tebet", "kecamatan", "31.74.01"),
        ("Gambir, Jakarta Pusat", "kecamatan", "31.71.01"),
        # ... unless a level word says otherwise
        ("lampu mati di Kel. Tebet", "kelurahan", "31.74.01.1003"),
        ("Kelurahan Gambir Kecamatan Gambir", "kelurahan", "31.71.01.1001"),
        # the most specific consistent reading
        ("Tebet Timur, Tebet, Jakarta Selatan", "kelurahan", "31.74.01.1001"),
        ("Kel. Sukamaju Kec. Gambir", "kelurahan", "31.71.01.1002"),
        ("sampah di Sukamaju, Sawah Besar", "kelurahan", "31.71.02.1001"),
        ("Cempaka Tebet banjir", "kelurahan", "31.74.01.1002"),
        # a kelurahan name in two kecamatan of one kota: their kota
        ("banjir di Sukamaju", "kota", "31.71"),
        # two kecamatan of one kota: that kota
        ("Kecamatan Tebet dan Setiabudi", "kota", "31.74"),
        # kota by name and short form
        ("banjir di jaksel", "kota", "31.74"),
        ("Kota Adm. Jakarta Pusat", "kota", "31.71"),
        # names written loosely
        ("TEBET-TIMUR banjir", "kelurahan", "31.74.01.1001"),
        ("tebettimur banjir", "kelurahan", "31.74.01.1001"),
        ("Kp. Melayu Kecil", "kelurahan", "31.74.02.1002"),
        # a weak name (a common word) needs corroboration
        ("Karet, Setiabudi", "kelurahan", "31.74.02.1001"),
        ("kel. karet", "kelurahan", "31.74.02.1001"),
        ("Pasar Baru Sawah Besar", "kelurahan", "31.71.02.1002"),
    ],
)
def test_most_specific_consistent_reading(locator: Locator, text: str, precision: str, code: str) -> None:
    loc = locator.locate(text)
    assert loc.precision == precision
    assert loc.method == "gazetteer"
    got = {"kota": loc.kota_code, "kecamatan": loc.kecamatan_code, "kelurahan": loc.kelurahan_code}[precision]
    assert got == code


@pytest.mark.parametrize(
    "text",
    [
        "",
        "banjir lagi",
        "banjir di Jakarta",
        # contradicting names in two kota
        "Tebet dan Gambir sama-sama banjir",
        "Kel. Tebet Timur Kec. Gambir",
        "jaksel jakpus",
        # a name shared by kelurahan of two kota, nothing to choose between them
        "banjir di Cempaka",
        # weak names alone
        "karet ban bocor",
        "pasar baru buka",
        # outside Jakarta, without Jakarta evidence
        "banjir di Tebet Timur Bekasi",
        "macet parah di Depok",
        "Sukamaju, Bogor",
    ],
)
def test_declines(locator: Locator, text: str) -> None:
    loc = locator.locate(text)
    assert loc.precision == "none"
    assert loc.kota_code is None and loc.span is None


def test_outside_jakarta_names_need_jakarta_evidence(locator: Locator) -> None:
    assert (
        locator.locate("Tebet Timur Jakarta Selatan, dekat perbatasan Bekasi").kelurahan_code
        == "31.74.01.1001"
    )
    assert locator.locate("Tebet Timur, Tebet -- bukan Bekasi").kelurahan_code == "31.74.01.1001"
    assert locator.locate("DKI: Tebet Timur, bukan Bekasi").kelurahan_code == "31.74.01.1001"
    # part of a street name, not the city
    assert locator.locate("Jl. Raya Bogor di Tebet berlubang").kecamatan_code == "31.74.01"


def test_parents_and_centroid_are_filled(locator: Locator) -> None:
    loc = locator.locate("banjir di Tebet Timur")
    assert (loc.kota_code, loc.kota_name) == ("31.74", "Kota Administrasi Jakarta Selatan")
    assert (loc.kecamatan_code, loc.kecamatan_name) == ("31.74.01", "Tebet")
    assert (loc.kelurahan_code, loc.kelurahan_name) == ("31.74.01.1001", "Tebet Timur")
    assert (loc.lat, loc.lon) == pytest.approx((-6.29, 106.81))


def test_kecamatan_reading_has_no_kelurahan(locator: Locator) -> None:
    loc = locator.locate("macet di Tebet")
    assert loc.kelurahan_code is None and loc.kelurahan_name is None
    assert loc.kota_code == "31.74"


# -- spans ------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("😡😡 BANJIR di Kel. Tebet-Timur!!", "Tebet-Timur"),
        ("Ｔｅｂｅｔ Ｔｉｍｕｒ", "Ｔｅｂｅｔ Ｔｉｍｕｒ"),
        ("ada genangan di jl. raya, Kec. Gambir ya", "Gambir"),
        ("banjir di jaksel", "jaksel"),
        ("macet di Tebet dan Setiabudi!", "Tebet dan Setiabudi"),
    ],
)
def test_spans_point_into_the_original_text(locator: Locator, text: str, matched: str) -> None:
    loc = locator.locate(text)
    assert loc.span is not None
    start, end = loc.span
    assert text[start:end] == loc.matched_text == matched


def test_longest_name_wins(gazetteer: Gazetteer) -> None:
    mentions = Matcher(gazetteer).mentions("Kampung Melayu Kecil dan Tebet Timur")
    assert [m.text for m in mentions] == ["Kampung Melayu Kecil", "Tebet Timur"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["Tebet", "Timur", "kel.", "Kec", "Gambir", "Sukamaju", "Cempaka", "Bekasi", "jaksel", "di"]
        )
        | st.text(max_size=8),
        max_size=12,
    )
)
def test_matching_never_raises_and_spans_are_exact(words: list[str]) -> None:
    text = " ".join(words)
    loc = Locator(Gazetteer.from_dict(tiny_pack(), build_id="tiny")).locate(text)
    if loc.span is not None:
        assert text[loc.span[0] : loc.span[1]] == loc.matched_text
    else:
        assert loc.precision == "none"


# -- GPS --------------------------------------------------------------------------------------------------------------
def test_gps_point_in_a_kelurahan(locator: Locator) -> None:
    loc = locator.locate("banjir di Tebet", GPS(lat=-6.19, lon=106.815))
    assert loc.precision == "point" and loc.method == "gps"
    assert (loc.lat, loc.lon) == (-6.19, 106.815)
    assert loc.kelurahan_code == "31.71.01.1001"
    assert loc.kecamatan_code == "31.71.01" and loc.kota_code == "31.71"
    assert loc.span is None


def test_gps_point_in_a_hole_falls_back_to_the_kecamatan(locator: Locator) -> None:
    loc = locator.locate("", GPS(lat=-6.1925, lon=106.8075))
    assert loc.precision == "point" and loc.method == "gps"
    assert loc.kelurahan_code is None
    assert loc.kecamatan_code == "31.71.01"


def test_gps_outside_every_polygon_falls_through_to_the_text(locator: Locator) -> None:
    loc = locator.locate("banjir di Tebet Timur", GPS(lat=-6.9, lon=107.6))
    assert loc.method == "gazetteer" and loc.kelurahan_code == "31.74.01.1001"
    bare = locator.locate("banjir", GPS(lat=-6.9, lon=107.6))
    assert (bare.precision, bare.method, bare.lat, bare.lon) == ("point", "gps", -6.9, 107.6)
    assert bare.kota_code is None


def test_gps_without_polygons_is_a_bare_point(builtin: Locator) -> None:
    loc = builtin.locate("banjir di jaksel", GPS(lat=-6.26, lon=106.81))
    assert (loc.precision, loc.method, loc.lat, loc.lon) == ("point", "gps", -6.26, 106.81)
    assert loc.kota_code is None and loc.kelurahan_code is None


def test_point_in_polygon_basics() -> None:
    geometry = parse_geometry({"type": "Polygon", "coordinates": [square(0, 0, 10), square(4, 4, 2)]})
    assert contains(geometry, 1, 1)
    assert not contains(geometry, 5, 5)  # in the hole
    assert not contains(geometry, 11, 5)
    multi = parse_geometry([[square(0, 0, 1)], [square(5, 5, 1)]])
    assert contains(multi, 5.5, 5.5) and not contains(multi, 3, 3)
    assert centroid(multi) == pytest.approx((3.0, 3.0))


# -- the built-in gazetteer ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("banjir di jaksel", "31.74"),
        ("Jakarta Selatan banjir", "31.74"),
        ("macet parah jaktim", "31.75"),
        ("jkt timur", "31.75"),
        ("sampah numpuk di Jakpus", "31.71"),
        ("jalan rusak jakbar", "31.73"),
        ("rob di Jakut", "31.72"),
        ("Jakarta-Utara", "31.72"),
        ("listrik padam di Kepulauan Seribu", "31.01"),
        ("kab. kepulauan seribu", "31.01"),
        ("pulau seribu", "31.01"),
    ],
)
def test_builtin_kota_aliases(builtin: Locator, text: str, code: str) -> None:
    loc = builtin.locate(text)
    assert (loc.precision, loc.kota_code, loc.method) == ("kota", code, "gazetteer")
    assert loc.lat is not None and -6.5 < loc.lat < -5.0


def test_builtin_has_the_six_kota_only() -> None:
    g = Gazetteer.builtin()
    assert [a.code for a in g] == ["31.01", "31.71", "31.72", "31.73", "31.74", "31.75"]
    assert g.count("kota") == 6 and g.count("kelurahan") == 0
    assert not g.has_polygons and g.build_id == "builtin"


def test_alias_generation() -> None:
    assert short_name("Kota Administrasi Jakarta Selatan") == "Jakarta Selatan"
    assert short_name("Kabupaten Administrasi Kepulauan Seribu") == "Kepulauan Seribu"
    assert "jaksel" in default_aliases("Kota Administrasi Jakarta Selatan", "kota")
    assert "jakut" in default_aliases("Kota Administrasi Jakarta Utara", "kota")
    assert "tanahabang" in default_aliases("Tanah Abang", "kecamatan")
    assert "kp. melayu" in default_aliases("Kampung Melayu", "kelurahan")
    assert default_aliases("Tebet", "kecamatan") == ()


# -- the pack: round trip and validation ---------------------------------------------------------------------------
def write(tmp_path: Path, obj: Any) -> Path:
    path = tmp_path / "gazetteer.json"
    path.write_text(json.dumps(obj), encoding="utf-8")
    return path


def test_pack_round_trip(tmp_path: Path, gazetteer: Gazetteer) -> None:
    path = write(tmp_path, gazetteer.to_dict())
    loaded = Gazetteer.load(path)
    assert [a.code for a in loaded] == [a.code for a in gazetteer]
    assert loaded.has_polygons and len(loaded.build_id) == 12
    assert Locator(loaded).locate("banjir di Tebet Timur").kelurahan_code == "31.74.01.1001"


def _broken(change: Any) -> dict[str, Any]:
    pack = tiny_pack()
    change(pack)
    return pack


@pytest.mark.parametrize(
    ("pack", "message"),
    [
        ([], "JSON object"),
        ({"format": "something-else", "version": 1, "areas": []}, "not a jemput gazetteer pack"),
        (_broken(lambda p: p.update(version=3)), "unsupported pack version"),
        (_broken(lambda p: p.update(areas=[])), "non-empty list"),
        (_broken(lambda p: p["areas"][0].update(level="provinsi")), "'level' must be one of"),
        (_broken(lambda p: p["areas"][2].update(code="31.71.1")), "shape of a kecamatan code"),
        (_broken(lambda p: p["areas"][4].update(kecamatan_code="31.71.02")), "kecamatan_code must be"),
        (_broken(lambda p: p["areas"][4].update(centroid=[106.8, -6.2, 0])), "'centroid' must be"),
        (_broken(lambda p: p["areas"][4].update(centroid=[-96.0, 106.8])), "'centroid' must be"),
        (_broken(lambda p: p["areas"][4].update(name="  ")), "'name' must be"),
        (_broken(lambda p: p["areas"][4].update(aliases="gambir")), "'aliases' must be"),
        (_broken(lambda p: p["areas"][4].update(polygon={"type": "Point", "coordinates": [1, 2]})), "Point"),
        (_broken(lambda p: p["areas"][4].update(polygon=[[[1, 2], [3, 4]]])), "at least 3 positions"),
        (_broken(lambda p: p["areas"].append(dict(p["areas"][4]))), "duplicate area code 31.71.01.1001"),
        (_broken(lambda p: p["areas"].pop(2)), "parent 31.71.01 is not in the pack"),
    ],
)
def test_invalid_packs_are_refused_with_a_clear_error(tmp_path: Path, pack: Any, message: str) -> None:
    path = write(tmp_path, pack)
    with pytest.raises(GazetteerError) as info:
        Gazetteer.load(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_missing_and_unreadable_packs(tmp_path: Path) -> None:
    with pytest.raises(GazetteerError, match="not found"):
        Gazetteer.load(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"{not json")
    with pytest.raises(GazetteerError, match="not a JSON gazetteer pack"):
        Gazetteer.load(bad)


# -- the stage --------------------------------------------------------------------------------------------------------
def classified(text: str, category: str = "flood", **extra: Any) -> ClassifiedMessage:
    return ClassifiedMessage(
        message_id="twitter:123",
        channel="twitter",
        text=text,
        category=category,
        scores={category: 1.0},
        confidence=0.9,
        model_version="keywords-0.1",
        lang="id",
        raw={"id": 123},
        **extra,
    )


def test_stage_identity() -> None:
    assert GeocoderProcessor.name == "geocoder"
    assert GeocoderProcessor.input_topic == topics.CLASSIFIED
    assert GeocoderProcessor.output_topic == topics.LOCATED
    assert GeocoderProcessor.input_model is ClassifiedMessage


def test_processor_carries_fields_and_places_every_message(locator: Locator) -> None:
    proc = GeocoderProcessor(locator)
    for category in ("flood", "not_complaint"):
        message = classified("banjir di Tebet Timur", category, gps=None)
        out = proc.process(message)
        assert isinstance(out, LocatedMessage)
        for name in ClassifiedMessage.model_fields:
            assert getattr(out, name) == getattr(message, name), name
        assert out.location.kelurahan_code == "31.74.01.1001"
        assert out.geocoder_version == "gazetteer-0.2+tiny"


def test_processor_refuses_raw_messages(locator: Locator) -> None:
    with pytest.raises(UnsupportedMessageError) as info:
        GeocoderProcessor(locator).process(RawMessage(message_id="sms:1", channel="sms", text="banjir"))
    assert isinstance(info.value, PermanentError)


def test_service_falls_back_to_the_builtin_gazetteer(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings_ = Settings(data_dir=tmp_path)
    with caplog.at_level(logging.WARNING, logger="geocoder.service"):
        proc = build_processor(settings_)
    assert isinstance(proc, GeocoderProcessor)
    assert proc.geocoder_version == "gazetteer-0.2+builtin"
    assert "no gazetteer pack" in caplog.text
    assert proc.process(classified("banjir di jaksel")).location.kota_code == "31.74"


def test_service_loads_the_configured_pack(tmp_path: Path, gazetteer: Gazetteer) -> None:
    path = write(tmp_path, gazetteer.to_dict())
    proc = build_processor(Settings(data_dir=tmp_path, geocoder={"gazetteer": path}))
    assert isinstance(proc, GeocoderProcessor)
    assert proc.geocoder_version.startswith("gazetteer-0.2+") and not proc.geocoder_version.endswith("builtin")
    assert "kelurahan" in proc.check()


def test_service_refuses_a_broken_pack(tmp_path: Path) -> None:
    path = write(tmp_path, {"format": "jemput-gazetteer", "version": 1, "areas": "no"})
    with pytest.raises(GazetteerError):
        build_processor(Settings(geocoder={"gazetteer": path}))
