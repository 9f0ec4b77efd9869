"""Lists of places, timetable questions, "Jalan X Raya <city>" and neighbourhood names, on a synthetic pack.

Real codes and names, made-up geometry (squares on a grid). Issue 5, fifth round: each test states the general rule
it checks; the ones marked "rule" fail without the change that introduced it.
"""

from __future__ import annotations

from typing import Any

import pytest

from geocoder.gazetteer import Gazetteer
from geocoder.locate import Locator
from geocoder.matcher import Matcher
from tests import geo_pack
from tests.geo_pack import finest_code as _code
from tests.geo_pack import importer_area as area
from tests.geo_pack import place


def pack() -> dict[str, Any]:
    return geo_pack.pack(
        areas=[
            area("31.71", "kota", "Kota Administrasi Jakarta Pusat", 106.80, -6.20, 0.10),
            area("31.73", "kota", "Kota Administrasi Jakarta Barat", 106.70, -6.20, 0.10),
            area("31.74", "kota", "Kota Administrasi Jakarta Selatan", 106.80, -6.30, 0.10),
            area("31.71.04", "kecamatan", "Senen", 106.80, -6.20, 0.05),
            area("31.71.04.1001", "kelurahan", "Senen", 106.80, -6.20, 0.02),
            area("31.71.04.1005", "kelurahan", "Kwitang", 106.82, -6.20, 0.02),
            area("31.71.07", "kecamatan", "Tanah Abang", 106.85, -6.20, 0.05),
            area("31.71.07.1001", "kelurahan", "Gelora", 106.85, -6.20, 0.02),
            area("31.71.07.1002", "kelurahan", "Bendungan Hilir", 106.87, -6.20, 0.02),
            area("31.73.07", "kecamatan", "Palmerah", 106.70, -6.20, 0.05),
            area("31.73.07.1001", "kelurahan", "Palmerah", 106.70, -6.20, 0.02),
            area("31.74.01", "kecamatan", "Tebet", 106.80, -6.30, 0.05),
            area("31.74.01.1007", "kelurahan", "Manggarai", 106.80, -6.30, 0.02),
            area("31.74.04", "kecamatan", "Pasar Minggu", 106.85, -6.30, 0.05),
            area("31.74.04.1001", "kelurahan", "Pasar Minggu", 106.85, -6.30, 0.02),
            area("31.74.07", "kecamatan", "Kebayoran Baru", 106.85, -6.25, 0.05),
            area("31.74.07.1006", "kelurahan", "Senayan", 106.85, -6.25, 0.02),
            area("31.74.09", "kecamatan", "Jagakarsa", 106.80, -6.35, 0.04),
            area("31.74.09.1001", "kelurahan", "Jagakarsa", 106.80, -6.35, 0.02),
        ],
        places=[
            place("gtfs:S1", "station", "St. Manggarai", -6.29, 106.81, "31.74.01.1007"),
            place("gtfs:S2", "station", "St. Universitas Pancasila", -6.34, 106.81, "31.74.09.1001"),
            place("gtfs:H1", "halte", "Gabus Raya", -6.29, 106.86, "31.74.04.1001"),
        ],
    )


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.from_dict(pack(), build_id="lists")


@pytest.fixture(scope="module")
def locator(gazetteer: Gazetteer) -> Locator:
    # the default evidence threshold (setting geocoder.min_evidence)
    return Locator(gazetteer, min_evidence=2)



@pytest.mark.parametrize(
    ("text", "precision", "code"),
    [
        # rule: "jalan" after "lampu" is the streetlight's, not a street word lending the next name to a street; and a
        # name right before a reading's names is the smaller part of an address only when they run from small to
        # large. "senayan senen kwitang" is a list of three places, in two kecamatan: no place
        ("Udh mulai tembak2 kak lampu jalan senayan senen kwitang udh mati dan semakin gelap", "none", None),
        # (an address still reads: the kelurahan, then its kecamatan)
        ("lampu jalan di Kwitang, Senen mati semua", "kelurahan", "31.71.04.1005"),
        # rule: a neighbourhood everyone names instead of its kelurahan (Pejompongan lies in Bendungan Hilir) ...
        ("banjir di Pejompongan, Jakarta Pusat", "kelurahan", "31.71.07.1002"),
        ("macet parah di Benhil, Tanah Abang", "kelurahan", "31.71.07.1002"),
        ("lubang besar di keluaran SCBD, Jaksel", "kelurahan", "31.74.07.1006"),
        # ... so that it contradicts another area named with it: Palmerah and Pejompongan lie in two kota
        ("Baru pulang dari daerah palmerah pejompongan semua lampu jalan mati gelap parah", "none", None),
        # rule: a timetable question about a journey names the ends and stops of a trip, not a place of the message
        ("kereta jakarta kota dari stasiun universitas pancasila terakhir jam berapa ya min", "none", None),
        ("Untuk perjalanan kereta dari Jakarta Kota ke Bogor di stasiun Manggarai tersedia pukul berapa aja?",
         "none", None),
        # (a problem at a station is still placed, and a question without a journey about a place stays one)
        ("stasiun Manggarai banjir lagi, kereta tertahan", "place", "31.74.01.1007"),
        ("Kelurahan Kwitang jam berapa buka pelayanan KTP?", "kelurahan", "31.71.04.1005"),
        # rule: a street named with its street word and found only as a halte of that name is one spot of a road
        # that may run through several kecamatan: its kota, unless an area named with it agrees
        ("banjir di Jalan Gabus Raya sebetis", "kota", "31.74"),
        ("banjir di Jalan Gabus Raya, Pasar Minggu", "place", "31.74.04.1001"),
        # (the halte itself, announced as one, keeps its point)
        ("halte Gabus Raya banjir", "place", "31.74.04.1001"),
    ],
)
def test_lists_neighbourhoods_and_timetables(locator: Locator, text: str, precision: str, code: str | None) -> None:
    loc = locator.locate(text)
    assert (loc.precision, _code(loc)) == (precision, code), loc


@pytest.mark.parametrize(
    ("text", "elsewhere"),
    [
        # rule: "raya" ends the street's name in "Jalan Gabus Raya Bekasi": the street lies in Bekasi
        ("banjir di Kelurahan Kwitang Jakarta Pusat, di Jalan Cendana Raya Bekasi juga", True),
        # "Jalan Raya Bekasi" is a road named after the town, through Jakarta Timur; "Raya Bogor" too
        ("banjir di Kelurahan Kwitang Jakarta Pusat dan di Jalan Raya Bekasi", False),
        ("banjir di Kelurahan Kwitang Jakarta Pusat, macet sampai Raya Bogor", False),
    ],
)
def test_city_after_a_street_name(gazetteer: Gazetteer, text: str, elsewhere: bool) -> None:
    reading = Matcher(gazetteer, min_evidence=0).read(text)
    assert reading.evidence is not None  # the kelurahan, marked and in Jakarta, is read either way
    assert ("elsewhere" in reading.evidence.flags) is elsewhere, reading


def test_street_in_another_town_is_not_placed(locator: Locator) -> None:
    # the halte Gabus Raya (Pasar Minggu) shares the street's name; the text says the street is in Bekasi
    assert locator.locate("Ojek Gerobak Laris Manis di Tengah Banjir Jalan Gabus Raya Bekasi").precision == "none"
    # (the same street written without a town is still read)
    assert locator.locate("banjir di Jalan Gabus Raya, Pasar Minggu").kecamatan_code == "31.74.04"
