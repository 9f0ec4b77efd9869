"""The strength of a text reading's evidence, and the coarsening of weak readings to their kota
(``geocoder.min_evidence``); the halte-name forms read this round ("halte BNN" of the pair "BNN 1" / "BNN 2", a
halte's name after a street word)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from config.settings import GeocoderSettings, Settings
from geocoder.gazetteer import Gazetteer
from geocoder.locate import Locator
from geocoder.matcher import DEFAULT_MIN_EVIDENCE, EVIDENCE_CLASSES, Matcher
from geocoder.service import build_locator
from pipeline.contract import Location
from tests import geo_pack
from tests.geo_pack import area, place


def pack() -> dict[str, Any]:
    return geo_pack.pack(
        areas=[
            area("31.71", "kota", "Kota Administrasi Jakarta Pusat", 106.80, -6.20, 0.10),
            area("31.74", "kota", "Kota Administrasi Jakarta Selatan", 106.80, -6.30, 0.10),
            area("31.71.01", "kecamatan", "Gambir", 106.80, -6.20, 0.05),
            area("31.71.01.1001", "kelurahan", "Gambir", 106.80, -6.20, 0.02),
            area("31.71.01.1005", "kelurahan", "Kebon Kelapa", 106.82, -6.20, 0.02),
            area("31.74.01", "kecamatan", "Tebet", 106.80, -6.30, 0.05),
            area("31.74.01.1001", "kelurahan", "Tebet Timur", 106.80, -6.30, 0.02),
            area("31.74.01.1007", "kelurahan", "Manggarai", 106.82, -6.30, 0.02),
        ],
        places=[
            place("gtfs:H1", "halte", "Harmoni", -6.19, 106.815, "31.71.01.1001"),
            place("gtfs:H2", "halte", "Pulo Mas", -6.29, 106.815, "31.74.01.1001"),
            # a pair of halte standing together, and two far-apart halte told apart by their number
            place("gtfs:H3", "halte", "BNN 1", -6.285, 106.805, "31.74.01.1001"),
            place("gtfs:H4", "halte", "BNN 2", -6.2852, 106.8052, "31.74.01.1001"),
            place("gtfs:H5", "halte", "SMAN 1", -6.19, 106.805, "31.71.01.1001"),
            place("gtfs:H6", "halte", "SMAN 58", -6.29, 106.805, "31.74.01.1001"),
        ],
    )


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.from_dict(pack(), build_id="evidence")


@pytest.fixture(scope="module")
def keep_all(gazetteer: Gazetteer) -> Matcher:
    return Matcher(gazetteer, min_evidence=0)


@pytest.fixture(scope="module")
def strict(gazetteer: Gazetteer) -> Matcher:
    return Matcher(gazetteer, min_evidence=2)


@pytest.mark.parametrize(
    ("text", "basis", "label", "flags"),
    [
        ("banjir di Kelurahan Tebet Timur", "marked", "marked", ()),
        ("banjir di Kec. Tebet", "marked", "marked", ()),
        ("banjir di Kebon Kelapa, Gambir", "address", "address", ()),
        ("macet depan halte Harmoni", "stop", "address", ()),
        ("banjir di Tebet Timur Jakarta Selatan", "bare", "named", ("with_kota",)),
        ("banjir di Tebet Timur, Jakarta", "bare", "named", ("with_kota",)),
        ("banjir di Tebet Timur", "bare", "bare", ()),
        ("banjir lagi #TebetTimur", "bare", "weak", ("tag",)),
        # (a lone name next to a city outside DKI is declined altogether; an address survives, weakened)
        ("banjir di Kebon Kelapa, Gambir; di Bekasi juga", "address", "named", ("elsewhere",)),
        # a level word that does not fit the name ("wilayah" announces a kota) does not make it marked
        ("banjir di wilayah Tebet Timur", "bare", "bare", ()),
        # an area word before the name says it is a place: as strong as a street named with its street word
        ("mati lampu daerah Tebet Timur", "place", "named", ()),
        ("banjir di kawasan Tebet Timur", "place", "named", ()),
    ],
)
def test_evidence_classes(keep_all: Matcher, text: str, basis: str, label: str, flags: tuple[str, ...]) -> None:
    reading = keep_all.read(text)
    assert reading.evidence is not None
    assert (reading.evidence.basis, reading.evidence.label, reading.evidence.flags) == (basis, label, flags)
    assert not reading.coarsened


def test_no_name_no_evidence(strict: Matcher) -> None:
    reading = strict.read("hujan deras sekali")
    assert reading.evidence is None and reading.location.precision == "none" and not reading.coarsened


def test_crowded_and_contested_lower_the_score(keep_all: Matcher) -> None:
    # a reading in a text naming two other places that do not support it (here destinations)
    crowded = keep_all.read("banjir di Kelurahan Tebet Timur, warga mengungsi ke Gambir dan ke Kebon Kelapa")
    assert crowded.evidence is not None and "crowded" in crowded.evidence.flags
    contested = keep_all.read("banjir di Kebon Kelapa, warga Kelurahan Gambir")
    assert contested.evidence is not None and "contested" in contested.evidence.flags


def test_weak_reading_is_coarsened_to_its_kota(strict: Matcher) -> None:
    reading = strict.read("banjir di Tebet Timur")
    assert reading.coarsened
    loc = reading.location
    assert (loc.precision, loc.kota_code, loc.kecamatan_code, loc.kelurahan_code) == ("kota", "31.74", None, None)
    assert loc.matched_text == "Tebet Timur" and loc.method == "gazetteer"


@pytest.mark.parametrize(
    ("text", "precision", "code"),
    [
        ("banjir di Tebet Timur Jakarta Selatan", "kelurahan", "31.74.01.1001"),
        ("banjir di Kelurahan Tebet Timur", "kelurahan", "31.74.01.1001"),
        ("macet depan halte Harmoni", "place", "31.71.01.1001"),
        ("banjir di Kebon Kelapa, Gambir", "kelurahan", "31.71.01.1005"),
    ],
)
def test_strong_readings_keep_their_detail(strict: Matcher, text: str, precision: str, code: str) -> None:
    loc = strict.read(text).location
    assert (loc.precision, loc.kelurahan_code) == (precision, code)


def test_an_area_word_keeps_the_kelurahan_a_bare_name_loses(strict: Matcher) -> None:
    assert strict.read("banjir di Tebet Timur").location.precision == "kota"
    loc = strict.read("mati lampu di daerah Tebet Timur sudah 2 jam").location
    assert (loc.precision, loc.kelurahan_code) == ("kelurahan", "31.74.01.1001")


def test_doubtful_kota_gives_no_place(strict: Matcher) -> None:
    # a name only in a hashtag, nothing naming its kota or Jakarta: even the kota is unsure
    reading = strict.read("banjir lagi #TebetTimur")
    assert reading.coarsened and reading.location.precision == "none"


def test_min_evidence_zero_keeps_every_reading(keep_all: Matcher) -> None:
    loc = keep_all.read("banjir di Tebet Timur").location
    assert (loc.precision, loc.kelurahan_code) == ("kelurahan", "31.74.01.1001")


def test_min_evidence_above_the_scale_gives_only_kota(gazetteer: Gazetteer) -> None:
    loc = Matcher(gazetteer, min_evidence=len(EVIDENCE_CLASSES)).read("banjir di Kelurahan Tebet Timur").location
    assert (loc.precision, loc.kota_code) == ("kota", "31.74")


class _Service:
    provider = "stub"

    def __init__(self) -> None:
        self.asked: list[str] = []

    def locate(self, text: str, max_chars: int) -> Location:
        self.asked.append(text)
        return Location.model_validate(
            {"precision": "point", "lat": -6.29, "lon": 106.81, "kota_code": "31.74", "kecamatan_code": "31.74.01",
             "kelurahan_code": "31.74.01.1001", "method": "geocoding_service"}
        )


def test_coarsened_reading_is_not_handed_to_the_service(gazetteer: Gazetteer) -> None:
    service = _Service()
    locator = Locator(gazetteer, service=service, min_evidence=2)  # type: ignore[arg-type]
    assert locator.locate("banjir di Tebet Timur").precision == "kota"
    assert service.asked == []
    assert locator.locate("banjir di Jakarta Selatan").method == "geocoding_service"  # a kota reading still is
    assert service.asked == ["banjir di Jakarta Selatan"]


def test_setting_reaches_the_locator(tmp_path: Path) -> None:
    assert GeocoderSettings().min_evidence == DEFAULT_MIN_EVIDENCE
    default = build_locator(Settings(data_dir=tmp_path))
    assert default.matcher.min_evidence == DEFAULT_MIN_EVIDENCE
    assert build_locator(Settings(data_dir=tmp_path, geocoder={"min_evidence": 4})).matcher.min_evidence == 4


def test_halte_of_a_numbered_pair_is_read_without_its_number(keep_all: Matcher) -> None:
    loc = keep_all.read("macet deket halte BNN").location
    assert loc.kelurahan_code == "31.74.01.1001"
    # far-apart halte whose numbers tell them apart are not
    assert keep_all.read("macet deket halte SMAN").location.precision == "none"


def test_halte_name_after_a_street_word_does_not_contradict_a_halte(keep_all: Matcher) -> None:
    loc = keep_all.read("JPO di Halte Busway Harmoni (Jalan Pulo Mas Timur) mati lampu").location
    assert (loc.precision, loc.kelurahan_code) == ("place", "31.71.01.1001")


def test_stop_triggers_follow_the_place_finder() -> None:
    from geocoder.matcher import _STOP_TRIGGERS
    from geocoder.places import TRIGGERS

    assert {k for k, kinds in TRIGGERS.items() if kinds != ("street",)} == _STOP_TRIGGERS
