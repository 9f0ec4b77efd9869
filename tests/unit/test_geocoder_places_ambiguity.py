"""Names of two places, stations on boundaries, water gauges, "antara X dan Y", street-named stops, on a synthetic pack.

Real codes and names, made-up geometry (squares on a grid). Issue 5, third round: each test states the general rule
it checks; all of them fail without the change that introduced the rule.
"""

from __future__ import annotations

from typing import Any

import pytest

from geocoder.gazetteer import Gazetteer
from geocoder.locate import Locator
from tests import geo_pack
from tests.geo_pack import finest_code as _code
from tests.geo_pack import importer_area as area
from tests.geo_pack import place


def pack() -> dict[str, Any]:
    return geo_pack.pack(
        areas=[
            area("31.71", "kota", "Kota Administrasi Jakarta Pusat", 106.80, -6.20, 0.10),
            area("31.72", "kota", "Kota Administrasi Jakarta Utara", 106.80, -6.10, 0.10),
            area("31.72.02", "kecamatan", "Tanjung Priok", 106.80, -6.10, 0.05),
            area("31.73", "kota", "Kota Administrasi Jakarta Barat", 106.70, -6.20, 0.10),
            area("31.74", "kota", "Kota Administrasi Jakarta Selatan", 106.80, -6.30, 0.10),
            area("31.75", "kota", "Kota Administrasi Jakarta Timur", 106.90, -6.30, 0.10),
            area("31.71.07", "kecamatan", "Tanah Abang", 106.80, -6.20, 0.05),
            area("31.71.07.1001", "kelurahan", "Gelora", 106.80, -6.20, 0.02),
            area("31.73.03", "kecamatan", "Taman Sari", 106.70, -6.20, 0.05),
            area("31.73.03.1008", "kelurahan", "Pinangsia", 106.70, -6.20, 0.02),
            area("31.74.01", "kecamatan", "Tebet", 106.80, -6.30, 0.05),
            area("31.74.01.1001", "kelurahan", "Tebet Timur", 106.80, -6.30, 0.02),
            area("31.74.01.1004", "kelurahan", "Kebon Baru", 106.82, -6.30, 0.02),
            area("31.74.01.1007", "kelurahan", "Manggarai", 106.84, -6.30, 0.02),
            area("31.74.07", "kecamatan", "Kebayoran Baru", 106.85, -6.25, 0.05),
            area("31.74.07.1006", "kelurahan", "Senayan", 106.85, -6.25, 0.02),
            area("31.75.03", "kecamatan", "Jatinegara", 106.90, -6.30, 0.05),
            area("31.75.03.1001", "kelurahan", "Kampung Melayu", 106.90, -6.30, 0.02),
            area("31.75.05", "kecamatan", "Pasar Rebo", 106.95, -6.25, 0.05),
            area("31.75.05.1003", "kelurahan", "Baru", 106.95, -6.25, 0.02),
            area("31.75.08", "kecamatan", "Makasar", 106.95, -6.30, 0.05),
            area("31.75.08.1003", "kelurahan", "Kebon Pala", 106.95, -6.30, 0.02),
        ],
        places=[
            # 55 m from Kebon Baru: a station on the boundary
            place("gtfs:S1", "station", "St. Tebet", -6.29, 106.8195, "31.74.01.1001"),
            # a kilometre from any other kelurahan
            place("gtfs:S2", "station", "St. Manggarai", -6.29, 106.85, "31.74.01.1007"),
            place("gtfs:H1", "halte", "RA Kartini", -6.285, 106.805, "31.74.01.1001"),
            # two stops along Jl. Cikini, numbered
            place("gtfs:H2", "halte", "Jln. Cikini 7", -6.295, 106.825, "31.74.01.1004"),
            place("gtfs:H3", "halte", "Jln. Cikini 8", -6.2952, 106.8252, "31.74.01.1004"),
            place("gtfs:H4", "halte", "Senayan Bank DKI", -6.19, 106.81, "31.71.07.1001"),
            place("gtfs:H5", "halte", "Jembatan Baru", -6.285, 106.81, "31.74.01.1001"),
        ],
    )


@pytest.fixture(scope="module")
def locator() -> Locator:
    # the default evidence threshold (setting geocoder.min_evidence)
    return Locator(Gazetteer.from_dict(pack(), build_id="ambiguity"), min_evidence=2)



@pytest.mark.parametrize(
    ("text", "precision", "code"),
    [
        # "Kebon Pala" is a kelurahan of Makasar and the flood-prone kampung of Kampung Melayu (Jatinegara)
        ("banjir di Kebon Pala Jatinegara Jakarta Timur", "kelurahan", "31.75.03.1001"),
        ("Kampung Kebon Pala Kampung Melayu mulai surut", "kelurahan", "31.75.03.1001"),
        ("banjir di Kebon Pala Jakarta Timur", "kota", "31.75"),
        ("Kel. Kebon Pala, Makasar, Jakarta Timur", "kelurahan", "31.75.08.1003"),
        # "Senayan": the kelurahan of Kebayoran Baru, or the GBK / DPR / JCC complex in Gelora (Jakarta Pusat)
        ("mobil dirusak massa di Jalan Gatot Subroto Senayan Jakarta Pusat", "kelurahan", "31.71.07.1001"),
        ("Kel. Senayan Kebayoran Baru banjir", "kelurahan", "31.74.07.1006"),
        ("demo di Senayan hari ini", "none", None),
        # landmarks
        ("demo di depan Gedung DPR berakhir ricuh, Jakarta", "kelurahan", "31.71.07.1001"),
        # the parliament as the place of a demonstration; "DPR" alone is the institution
        ("Demo di depan DPR kembali berakhir rusuh, fasilitas publik rusak", "kelurahan", "31.71.07.1001"),
        ("DPR harus segera perbaiki jalan rusak di daerah", "none", None),
        ("pameran di Jakarta Convention Center Senayan", "kelurahan", "31.71.07.1001"),
        ("antrian panjang di Stasiun Jakarta Kota pagi ini", "kelurahan", "31.73.03.1008"),
        # a route named by its two end stations is no place
        ("Commuter Line Stasiun Jakarta Kota Tanjung Priok atau sebaliknya", "none", None),
    ],
)
def test_shared_names_and_landmarks(locator: Locator, text: str, precision: str, code: str | None) -> None:
    loc = locator.locate(text)
    assert (loc.precision, _code(loc)) == (precision, code)


def test_station_on_a_kelurahan_boundary_gives_the_shared_area(locator: Locator) -> None:
    on_border = locator.locate("stasiun tebet penuh banget, Jakarta")
    assert (on_border.precision, _code(on_border)) == ("kecamatan", "31.74.01")
    inside = locator.locate("stasiun manggarai penuh banget, Jakarta")
    assert (inside.precision, _code(inside)) == ("place", "31.74.01.1007")


def test_street_named_stop_is_not_found_by_the_bare_street_name(locator: Locator) -> None:
    finder = locator.matcher.places
    assert finder is not None
    # "st cikini" is a station called Cikini, not the seventh stop along Jl. Cikini
    assert finder.find("turun ke st cikini") == []
    assert [h.places[0].name for h in finder.find("halte Jln. Cikini 7 rusak")] == ["Jln. Cikini 7"]


def test_generic_street_named_like_a_halte_needs_jakarta(locator: Locator) -> None:
    assert locator.locate("pohon tumbang di jalan RA Kartini Bangil").precision == "none"
    assert _code(locator.locate("pohon tumbang di jalan RA Kartini Jakarta")) == "31.74.01.1001"


def test_longer_halte_name_wins_over_the_area_name_inside_it(locator: Locator) -> None:
    loc = locator.locate("tap in di Senayan Bank DKI sering antri")
    assert (loc.precision, _code(loc)) == ("place", "31.71.07.1001")
    # ... but a name that is also a common word does not make it longer: "jembatan baru" is a new bridge
    assert locator.locate("kalau jembatan baru ini kelelep jakarta tenggelam").precision == "none"


@pytest.mark.parametrize(
    "text",
    [
        "Tinggi air Manggarai sudah turun, Jakarta siaga 3",
        "Gubernur meninjau Pintu Air Manggarai",
        "Update banjir Jakarta: PA Manggarai siaga 2",
        # cleaned-up text: no punctuation, numbers and stop words dropped ("Siaga 4. Tinggi air Manggarai 8.5m")
        "jakarta memasuki siaga air manggarai mencapai m sudah menurun",
        # the gauge's own address does not make it the kelurahan or kecamatan named after it
        "Gubernur menginstruksikan SDA membuka Pintu Air Manggarai, Tebet Jakarta Selatan",
    ],
)
def test_water_gauge_gives_only_its_kota(locator: Locator, text: str) -> None:
    loc = locator.locate(text)
    assert (loc.precision, _code(loc)) == ("kota", "31.74")


def test_a_gauge_named_by_pos_in_a_water_alert_even_in_cleaned_text(locator: Locator) -> None:
    assert locator.locate("update banjir jakarta pos manggarai siaga pa karet siaga banjirjakarta").precision in {
        "kota", "none"}


def test_accounts_of_places_outside_dki_need_more_than_a_lone_name(locator: Locator) -> None:
    # a Tangerang or Bekasi info account, a regency's government: a lone name may be a street of that town
    assert locator.locate("@AboutTNG lampu rem angkot mati di Manggarai").precision == "none"
    assert locator.locate("@jeparakabgoid lampu jalan belakang stadion Senayan mati").precision == "none"
    # ... while Jakarta named beside it still places it
    loc = locator.locate("@AboutTNG lampu jalan mati di Kel. Manggarai, Jakarta Selatan")
    assert _code(loc) == "31.74.01.1007"


def test_a_gauge_does_not_weaken_other_names(locator: Locator) -> None:
    loc = locator.locate("banjir di Kel. Manggarai dekat Pintu Air Manggarai")
    assert (loc.precision, _code(loc)) == ("kelurahan", "31.74.01.1007")
    plain = locator.locate("banjir di Manggarai Jakarta")
    assert (plain.precision, _code(plain)) == ("kelurahan", "31.74.01.1007")


def test_between_two_places_neither_is_the_place(locator: Locator) -> None:
    loc = locator.locate("mobil tertabrak KRL di perlintasan antara Stasiun Manggarai dan Stasiun Cawang Tebet Jakarta")
    assert (loc.precision, _code(loc)) == ("kecamatan", "31.74.01")
    # "antara lain" (among others) is no segment
    listed = locator.locate("banjir di beberapa titik antara lain Kel. Manggarai")
    assert _code(listed) == "31.74.01.1007"


def test_facility_named_after_another_area_does_not_contradict(locator: Locator) -> None:
    # "Rusun Manggarai" (a flat block) is named after its area: it may lie elsewhere, so it does not contradict
    loc = locator.locate("Wagub meninjau banjir di Kel. Tebet Timur. Warga ditawari unit di Rusun Manggarai")
    assert (loc.precision, _code(loc)) == ("kelurahan", "31.74.01.1001")
