"""The matcher declines to guess where the evidence is weak: places named in passing (destinations, journeys, route
ends, transit advice), names that contradict each other, a city outside DKI, and street names found in every town."""

from __future__ import annotations

from typing import Any

import pytest

from geocoder.gazetteer import Gazetteer
from geocoder.locate import Locator
from geocoder.matcher import Matcher
from geocoder.places import PlaceFinder
from tests import geo_pack
from tests.geo_pack import area, place


def pack() -> dict[str, Any]:
    return geo_pack.pack(
        areas=[
            area("31.71", "kota", "Kota Administrasi Jakarta Pusat", 106.80, -6.20, 0.10),
            area("31.73", "kota", "Kota Administrasi Jakarta Barat", 106.70, -6.20, 0.10),
            area("31.74", "kota", "Kota Administrasi Jakarta Selatan", 106.80, -6.30, 0.10),
            area("31.71.01", "kecamatan", "Gambir", 106.80, -6.20, 0.05),
            area("31.71.02", "kecamatan", "Sawah Besar", 106.85, -6.20, 0.05),
            area("31.71.01.1001", "kelurahan", "Gambir", 106.80, -6.20, 0.02),
            area("31.71.01.1005", "kelurahan", "Kebon Kelapa", 106.82, -6.20, 0.02),
            area("31.73.01", "kecamatan", "Taman Sari", 106.75, -6.20, 0.05),
            area("31.73.01.1001", "kelurahan", "Tangki", 106.75, -6.20, 0.02),
            area("31.74.01", "kecamatan", "Tebet", 106.80, -6.30, 0.05),
            area("31.74.02", "kecamatan", "Setiabudi", 106.85, -6.30, 0.05),
            area("31.74.01.1001", "kelurahan", "Tebet Timur", 106.80, -6.30, 0.02),
            area("31.74.01.1007", "kelurahan", "Manggarai", 106.82, -6.30, 0.02),
            area("31.74.01.1008", "kelurahan", "Kemang", 106.80, -6.28, 0.02),
        ],
        places=[
            # 550 m west of Kebon Kelapa, inside Gambir
            place("gtfs:H1", "halte", "Harmoni", -6.19, 106.815, "31.71.01.1001"),
            place("gtfs:H4", "halte", "BNN", -6.29, 106.81, "31.74.01.1001"),
            place("gtfs:H6", "halte", "Gg. Baru", -6.285, 106.805, "31.74.01.1001"),
            place("csv:5", "street", "Jl. Pemuda", -6.185, 106.805, "31.71.01.1001"),
            place("csv:6", "street", "Jl. Cikini Raya", -6.185, 106.825, "31.71.01.1005"),
            # two halte named after a street every town has, in two kelurahan of one kecamatan
            place("gtfs:S1", "halte", "Slamet Riyadi", -6.30, 106.80, "31.74.01.1001"),
            place("gtfs:S2", "halte", "Slamet Riyadi", -6.30, 106.82, "31.74.01.1007"),
        ],
    )


@pytest.fixture(scope="module")
def locator() -> Locator:
    return Locator(Gazetteer.from_dict(pack(), build_id="passing"))


def _code(locator: Locator, text: str) -> tuple[str, str | None]:
    loc = locator.locate(text)
    return loc.precision, loc.kelurahan_code or loc.kecamatan_code or loc.kota_code


@pytest.mark.parametrize(
    ("text", "precision", "code"),
    [
        # journeys: both ends are on the way
        ("macet dari Tebet sampai Setiabudi", "none", None),
        ("min kalo dari Tebet Timur ke kampus UI naik apa?", "none", None),
        ("bus arah UI dri Tebet Timur penuh copet", "none", None),
        # a destination or a way through is not the place
        ("busway ke Tebet Timur lama banget", "none", None),
        ("mau ke Plaza Tebet Timur lewat mana", "none", None),
        ("naik kereta lewat gambir gelap semua", "none", None),
        ("ada rute ke daerah Kebon Kelapa, Gambir?", "none", None),
        ("kalo dari Manggarai mau ke halte Harmoni di Gambir naik apa ya", "none", None),
        # "di" written onto the name is still the name
        ("yang dikebon kelapa hati2 lampu jalan mati", "kelurahan", "31.71.01.1005"),
        ("dimana ya banjirnya", "none", None),
        # ... and so is a level word (cleaned-up text drops the dot): it announces the level as "Kel." does
        ("info pengungsi kelkebon kelapa jiwa", "kelurahan", "31.71.01.1005"),
        ("banjir kecgambir parah", "kecamatan", "31.71.01"),
        # ... but the place stays when the direction only follows it
        ("pohon tumbang di Kebon Kelapa arah Manggarai", "kelurahan", "31.71.01.1005"),
        ("dari halte Harmoni tinggal jalan aja?", "place", "31.71.01.1001"),
        # ... and going somewhere to act (or to get off) is where it happens
        ("Polres Metro Jakarta Selatan turun langsung ke Tebet Timur", "kelurahan", "31.74.01.1001"),
        ("warga dievakuasi, Wali Kota meninjau ke Tebet Timur", "kelurahan", "31.74.01.1001"),
        # the ends of a route or a segment
        ("TJ Tebet Timur - UI penuh terus", "none", None),
        ("trayek ui-manggarai kapan normal", "none", None),
        # ... also a chain of streets, each with its street word
        ("rute non-tol: Jl. MT Haryono - Jl. Kebon Kelapa (~18 km 35-50 menit)", "none", None),
        ("rute: Jl. Gatot Subroto -> Jl. Manggarai. waspada banjir", "none", None),
        # (a news dateline's dash is not a route)
        ("JAKARTA - Jl. Tebet Timur terendam banjir 50 cm", "kelurahan", "31.74.01.1001"),
        ("JAKARTA, KOMPAS - Kebon Kelapa terendam banjir", "kelurahan", "31.71.01.1005"),
        # transit advice
        ("Silakan naik rute 9C tujuan Harmoni dan turun di halte Harmoni ya Kak", "none", None),
        ("Hai Kak, naik koridor 4 transit halte BNN", "none", None),
        ("Hai Kak. Layanan rute 8N melayani halte Harmoni ya Kak", "none", None),
        # ... but a disruption notice is about the place: "tidak melayani halte X" because of a fallen tree there
        ("pohon tumbang di sekitar Halte Harmoni. Sementara tidak melayani Halte Harmoni", "place", "31.71.01.1001"),
    ],
)
def test_places_named_in_passing_are_not_the_place(
    locator: Locator, text: str, precision: str, code: str | None
) -> None:
    assert _code(locator, text) == (precision, code)


@pytest.mark.parametrize(
    ("text", "precision", "code"),
    [
        # names that disagree give only the area they share, or nothing
        ("banjir di Tebet Timur Jakarta Selatan dan Kebon Kelapa", "none", None),
        ("banjir di Kebon Kelapa, warga Kelurahan Gambir", "kecamatan", "31.71.01"),
        ("halte BNN dan halte Harmoni ditutup", "none", None),
        ("Pintu Air Manggarai di perbatasan Jakarta Pusat dan Jakarta Selatan", "none", None),
        # a halte within a kilometre of the named kelurahan agrees with it; one far away does not
        ("halte Harmoni, Kelurahan Kebon Kelapa", "kelurahan", "31.71.01.1005"),
        ("halte BNN, Kelurahan Kebon Kelapa", "none", None),
        # not contradicting: a street (its name repeats across the city), a name lent to a street or a facility or
        # a reference point, a hashtag, the smaller part of an address written before the reading's own names
        ("Jl. Cikini Raya Kelurahan Tebet Timur banjir", "kelurahan", "31.74.01.1001"),
        ("banjir di Jalan Gambir II, Kelurahan Tebet Timur", "kelurahan", "31.74.01.1001"),
        ("Pintu Air Manggarai di Kelurahan Kebon Kelapa", "kelurahan", "31.71.01.1005"),
        ("Pintu air dekat Manggarai di Kelurahan Tebet Timur", "kelurahan", "31.74.01.1001"),
        ("#SobatTebet banjir di Kelurahan Kebon Kelapa", "kelurahan", "31.71.01.1005"),
        ("warga Kebon Kelapa Tebet Timur Jakarta Selatan mengungsi", "kelurahan", "31.74.01.1001"),
    ],
)
def test_conflicting_names_give_their_common_area(
    locator: Locator, text: str, precision: str, code: str | None
) -> None:
    assert _code(locator, text) == (precision, code)


@pytest.mark.parametrize(
    ("text", "precision", "code"),
    [
        # a kota alone next to a city outside DKI: no place
        ("bekasi dan jakarta selatan banjir", "none", None),
        ("Polres Metro Jakarta Pusat bantu evakuasi banjir di Bekasi", "none", None),
        # a hashtag or a far-away "Jakarta" does not vouch for a lone name
        ("banjir di Kebon Kelapa, Kota Bekasi #jakarta #bekasi", "none", None),
        (
            "tinggal di Kebon Kelapa jadi nginep di hotel dekat kantor. Perusahaan di Jakarta harus peduli pada "
            "karyawan yang kena banjir Bekasi",
            "none",
            None,
        ),
        # "Jakarta" right next to the name does
        ("banjir di Kebon Kelapa Jakarta, bukan di Bekasi", "kelurahan", "31.71.01.1005"),
        # housing estates outside DKI named like Jakarta places
        ("Kemang Pratama banjir lagi", "none", None),
    ],
)
def test_outside_dki_needs_evidence_next_to_the_name(
    locator: Locator, text: str, precision: str, code: str | None
) -> None:
    assert _code(locator, text) == (precision, code)


@pytest.mark.parametrize(
    ("text", "precision", "code"),
    [
        # a street name found in every town needs something placing the message in Jakarta
        ("lubang besar di Jalan Pemuda dekat alun-alun", "none", None),
        ("lubang besar di Jalan Pemuda, Jakarta", "street", "31.71.01.1001"),
        ("@DKIJakarta lubang besar di Jalan Pemuda", "street", "31.71.01.1001"),
        ("lubang besar di Jalan Pemuda, Kelurahan Gambir", "kelurahan", "31.71.01.1001"),
        # ... also when several halte carry the street's name and the reading is the area they share
        ("sepanjang jalan slamet riyadi banyak pot tanaman rusak", "none", None),
        ("sepanjang jalan slamet riyadi Jakarta banyak pot tanaman rusak", "kecamatan", "31.74.01"),
        # a street name of Jakarta's own is enough
        ("lampu mati di Jl. Cikini Raya", "street", "31.71.01.1005"),
        # ... unless an account of a town outside DKI says where the writer is
        ("@AboutTNG lampu rem angkot mati ini di Jl. Cikini Raya", "none", None),
        # kelurahan named like common words need corroboration
        ("Pemprov kirim 6 tangki air ke pengungsian", "none", None),
        ("banjir di Kelurahan Tangki", "kelurahan", "31.73.01.1001"),
    ],
)
def test_generic_names_need_corroboration(locator: Locator, text: str, precision: str, code: str | None) -> None:
    assert _code(locator, text) == (precision, code)


def test_common_word_after_a_trigger_must_be_a_place_of_its_kind() -> None:
    finder = PlaceFinder(Gazetteer.from_dict(pack(), build_id="passing"))
    # "Gg. Baru" is a halte; "stasiun baru" and "KRL baru" are a new station and a new train
    assert finder.find("stasiun baru megah tapi sempit") == []
    assert finder.find("jadwal KRL baru kapan") == []
    assert [h.places[0].name for h in finder.find("halte baru penuh")] == ["Gg. Baru"]
    # a short name keeps its landmark after "halte"
    assert [h.places[0].name for h in finder.find("deket halte BNN macet")] == ["BNN"]


def test_mentions_are_marked_passing_tag_and_borrowed(locator: Locator) -> None:
    matcher: Matcher = locator.matcher
    marks = {
        m.text: (m.passing, m.tag, m.borrowed)
        for m in matcher.mentions("ke Tebet Timur. #Gambir, Jalan Manggarai 2 dan Kebon Kelapa")
    }
    assert marks == {
        "Tebet Timur": (True, False, False),
        "Gambir": (False, True, False),
        "Manggarai": (False, False, True),
        "Kebon Kelapa": (False, False, False),
    }


def test_distance_to_an_area() -> None:
    gazetteer = Gazetteer.from_dict(pack(), build_id="passing")
    kebon_kelapa = gazetteer.get("31.71.01.1005")
    assert kebon_kelapa is not None
    assert gazetteer.distance_m(kebon_kelapa, -6.19, 106.83) == 0.0
    assert gazetteer.distance_m(kebon_kelapa, -6.19, 106.815) == pytest.approx(556.6, abs=1.0)
    assert gazetteer.distance_m(kebon_kelapa, float("nan"), 106.8) is None
    assert Gazetteer.builtin().distance_m(kebon_kelapa, -6.19, 106.83) is None


def test_a_street_word_before_a_one_word_halte_name_is_a_lane_named_like_it() -> None:
    finder = PlaceFinder(Gazetteer.from_dict(pack(), build_id="passing"))
    (lane,) = finder.find("hanyut di Gang Harmoni RT 10")
    assert not lane.strong and lane.triggered
    (halte,) = finder.find("antri di halte Harmoni")
    assert halte.strong
