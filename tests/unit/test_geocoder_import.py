"""Build a real pack from ../shared/data/gazetteer/jakarta-admin and place real-looking messages with it.

The data is read where it lies (never copied into the repository); the tests skip without it, and fail in CI.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from geocoder.errors import GazetteerError
from geocoder.gazetteer import Gazetteer
from geocoder.importer import CSV_FILE, build_pack
from geocoder.locate import Locator
from pipeline.contract import GPS


@pytest.fixture(scope="module")
def admin_dir(shared_data: Path) -> Path:
    path = shared_data / "gazetteer" / "jakarta-admin"
    if not path.is_dir():
        pytest.fail(f"{path} is missing from ../shared/data")
    return path


@pytest.fixture(scope="module")
def built(admin_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    out = tmp_path_factory.mktemp("pack") / "gazetteer.json"
    messages: list[str] = []
    summary = build_pack(admin_dir, out, progress=messages.append)
    assert messages and messages[-1].startswith("wrote ")
    return summary, out


@pytest.fixture(scope="module")
def locator(built: tuple[dict, Path]) -> Locator:
    return Locator(Gazetteer.load(built[1]))


def test_counts_match_dki(built: tuple[dict, Path]) -> None:
    summary, out = built
    assert summary["counts"] == {"kota": 6, "kecamatan": 44, "kelurahan": 267}
    assert summary["polygons"] == 317
    assert summary["warnings"] == []
    assert [s["file"] for s in summary["sources"]] == [
        "dki_kota.geojson",
        "dki_kecamatan.geojson",
        "dki_kelurahan.geojson",
    ]
    pack = json.loads(out.read_text(encoding="utf-8"))
    assert pack["format"] == "jemput-gazetteer" and pack["version"] == 2
    assert Gazetteer.load(out).build_id == summary["build_id"]


def test_every_area_has_parents_and_a_centroid_in_jakarta(built: tuple[dict, Path]) -> None:
    g = Gazetteer.load(built[1])
    kota_codes = {a.code for a in g if a.level == "kota"}
    assert kota_codes == {"31.01", "31.71", "31.72", "31.73", "31.74", "31.75"}
    for area in g:
        lat, lon = area.centroid
        assert -6.45 < lat < -5.1 and 106.3 < lon < 107.1, area
        assert g.kota_of(area) is not None
        if area.level == "kelurahan":
            kecamatan = g.kecamatan_of(area)
            assert kecamatan is not None and kecamatan.level == "kecamatan"
            assert kecamatan.kota_code == area.kota_code
            assert area.geometry is not None


def test_point_in_polygon_agrees_with_the_data_centroids(built: tuple[dict, Path]) -> None:
    g = Gazetteer.load(built[1])
    kelurahan = [a for a in g if a.level == "kelurahan"]
    home = [a for a in kelurahan if g.area_at(*a.centroid) is a]
    # Island kelurahan of Kepulauan Seribu and a few concave ones have their centroid outside their own shape.
    assert len(home) >= 255, sorted(a.name for a in kelurahan if a not in home)


def test_kota_use_kemendagri_codes(locator: Locator) -> None:
    assert locator.locate("banjir di jaksel").kota_code == "31.74"
    assert locator.locate("banjir di jakpus").kota_code == "31.71"
    assert locator.locate("Kepulauan Seribu").kota_code == "31.01"


@pytest.mark.parametrize(
    ("text", "precision", "kelurahan", "kecamatan"),
    [
        ("Kel. Tegal Alur Kec. Kalideres banjir sepinggang", "kelurahan", "Tegal Alur", "Kalideres"),
        ("banjir di Kampung Melayu", "kelurahan", "Kampung Melayu", "Jatinegara"),
        ("air masuk rumah di Kp. Melayu, Jatinegara", "kelurahan", "Kampung Melayu", "Jatinegara"),
        ("macet di Tebet", "kecamatan", None, "Tebet"),
        ("sampah numpuk di Kebon Jeruk", "kecamatan", None, "Kebon Jeruk"),
        ("Kelurahan Kebon Jeruk, Kecamatan Kebon Jeruk", "kelurahan", "Kebon Jeruk", "Kebon Jeruk"),
        ("jalan rusak di Jatinegara, Cakung", "kelurahan", "Jatinegara", "Cakung"),
        ("banjir di jatinegara", "kecamatan", None, "Jatinegara"),
        ("halte tanahabang penuh", "kecamatan", None, "Tanah Abang"),
        ("lampu jalan mati di Palmerah", "kecamatan", None, "Pal Merah"),
        ("rob di Kamal Muara, Penjaringan", "kelurahan", "Kamal Muara", "Penjaringan"),
        ("Gunung, Kebayoran Baru", "kelurahan", "Gunung", "Kebayoran Baru"),
        ("banjir di Kelapa Gading Timur", "kelurahan", "Kelapa Gading Timur", "Kelapa Gading"),
    ],
)
def test_real_texts_place_correctly(
    locator: Locator, text: str, precision: str, kelurahan: str | None, kecamatan: str
) -> None:
    loc = locator.locate(text)
    assert loc.precision == precision
    assert loc.kelurahan_name == kelurahan
    assert loc.kecamatan_name == kecamatan
    assert loc.span is not None and text[loc.span[0] : loc.span[1]] == loc.matched_text


@pytest.mark.parametrize(
    "text",
    [
        "banjir di Pekayon Bekasi",
        "macet di Bintaro sektor 9",
        "banjir di Baru",
        "Tebet dan Cengkareng sama-sama banjir",
        "jalan rusak parah di Depok",
    ],
)
def test_declines_without_a_consistent_jakarta_reading(locator: Locator, text: str) -> None:
    assert locator.locate(text).precision == "none"


@pytest.mark.parametrize(
    ("lat", "lon", "kelurahan", "kecamatan"),
    [
        (-6.1754, 106.8272, "Gambir", "Gambir"),  # Monas
        (-6.1950, 106.8230, "Menteng", "Menteng"),  # Bundaran HI
        (-6.2100, 106.8500, "Manggarai", "Tebet"),  # Stasiun Manggarai
    ],
)
def test_gps_lands_in_the_right_kelurahan(
    locator: Locator, lat: float, lon: float, kelurahan: str, kecamatan: str
) -> None:
    loc = locator.locate("", GPS(lat=lat, lon=lon))
    assert (loc.precision, loc.method) == ("point", "gps")
    assert (loc.kelurahan_name, loc.kecamatan_name) == (kelurahan, kecamatan)
    assert (loc.lat, loc.lon) == (lat, lon)


def test_gps_outside_dki_falls_through_to_text(locator: Locator) -> None:
    bandung = GPS(lat=-6.9175, lon=107.6191)
    assert locator.locate("banjir di Kampung Melayu", bandung).method == "gazetteer"
    assert locator.locate("banjir", bandung).kota_code is None


def test_csv_fallback_without_polygons(admin_dir: Path, tmp_path: Path) -> None:
    only_csv = tmp_path / "admin"
    only_csv.mkdir()
    shutil.copy(admin_dir / CSV_FILE, only_csv / CSV_FILE)  # a temporary copy outside the repository
    summary = build_pack(only_csv, tmp_path / "pack.json")
    assert summary["counts"] == {"kota": 6, "kecamatan": 44, "kelurahan": 267}
    assert summary["polygons"] == 0
    g = Gazetteer.load(tmp_path / "pack.json")
    assert not g.has_polygons
    assert Locator(g).locate("Kel. Tegal Alur").kecamatan_name == "Kalideres"


def test_missing_or_empty_input_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(GazetteerError, match="not a directory"):
        build_pack(tmp_path / "absent", tmp_path / "pack.json")
    with pytest.raises(GazetteerError, match="nor dki_gazetteer_centroids.csv"):
        build_pack(tmp_path, tmp_path / "pack.json")
    assert not (tmp_path / "pack.json").exists()


def test_unexpected_counts_warn_but_build(tmp_path: Path) -> None:
    admin = tmp_path / "admin"
    admin.mkdir()
    (admin / CSV_FILE).write_text(
        "kode_kemendagri,level,nama,kota,kecamatan,centroid_lat,centroid_lng\n"
        "31.74,kota,Kota Administrasi Jakarta Selatan,,,-6.27,106.81\n"
        "31.74.01,kecamatan,Tebet,,,-6.23,106.85\n"
        "31.74.01.1001,kelurahan,Tebet Timur,,,-6.23,106.85\n"
        "31.74.02.1001,kelurahan,Orphan,,,-6.23,106.85\n",
        encoding="utf-8",
    )
    summary = build_pack(admin, tmp_path / "pack.json")
    assert summary["counts"] == {"kota": 1, "kecamatan": 1, "kelurahan": 1}
    warnings = "\n".join(summary["warnings"])
    assert "parent 31.74.02 is missing" in warnings
    assert "1 kelurahan read; DKI Jakarta has 267" in warnings


def test_broken_geojson_is_a_clear_error(tmp_path: Path) -> None:
    admin = tmp_path / "admin"
    admin.mkdir()
    (admin / "dki_kota.geojson").write_text("{oops", encoding="utf-8")
    with pytest.raises(GazetteerError, match="dki_kota.geojson: cannot read GeoJSON"):
        build_pack(admin, tmp_path / "pack.json")


# -- places: the Transjakarta GTFS feed and an extra-places CSV (read from ../shared at run time) --------------------
@pytest.fixture(scope="module")
def full_pack(admin_dir: Path, shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    gaz = shared_data / "gazetteer"
    out = tmp_path_factory.mktemp("full") / "gazetteer.json"
    messages: list[str] = []
    summary = build_pack(
        admin_dir,
        out,
        progress=messages.append,
        gtfs=gaz / "transjakarta-gtfs-2025",
        places=[gaz / "jakarta-traffic-places" / "places_dki.csv"],
        rw=gaz / "jakarta-rw-2014",
    )
    assert any("assigning" in m for m in messages) and messages[-1].startswith("wrote ")
    return summary, out


@pytest.fixture(scope="module")
def full(full_pack: tuple[dict, Path]) -> Locator:
    return Locator(Gazetteer.load(full_pack[1]))


def test_gtfs_and_csv_places_are_imported_and_assigned(full_pack: tuple[dict, Path], full: Locator) -> None:
    summary, _ = full_pack
    assert summary["places"]["halte"] > 5_000 and summary["places"]["station"] >= 50
    assert summary["places"]["street"] > 100 and summary["places"]["landmark"] > 500
    assert summary["places"]["rw"] > 2_600  # 2,724 RW polygons, a few just off the (simplified) coast
    assert 0 < summary["places_outside_dki"] < 1_000  # the feed reaches into Tangerang and Bekasi
    gaz = full.gazetteer
    for place in gaz.places:
        assert place.kota_code is not None and place.kecamatan_code is not None
        area = gaz.area_at(place.lat, place.lon, 150)
        assert area is not None and place.kecamatan_code == area.kecamatan_code
    corridor_1 = next(c for c in gaz.corridors if c["short_name"] == "1")
    assert corridor_1["long_name"] == "Blok M - Kota" and len(corridor_1["places"]) >= 15
    stops = [gaz.place(p) for p in corridor_1["places"]]
    assert all(p is not None for p in stops)
    names = {p.name for p in stops if p is not None}
    assert {"Harmoni", "Bundaran HI Astra"} <= names


@pytest.mark.parametrize(
    ("text", "precision", "kelurahan", "kecamatan"),
    [
        ("macet parah depan halte Harmoni", "place", "Kebon Kelapa", "Gambir"),
        ("stasiun manggarai penuh banget", "place", "Manggarai", "Tebet"),
        ("banjir di Jl. Kemang Raya", "street", "Bangka", "Mampang Prapatan"),
        # Jl. Pramuka is the boundary of Jakarta Timur and Pusat: "jakpus" picks its Jakarta Pusat side
        ("lampu mati di jl.pramuka jakpus", "street", "Rawasari", "Cempaka Putih"),
        ("Kel. Tegal Alur Kec. Kalideres", "kelurahan", "Tegal Alur", "Kalideres"),
        ("daerah cengkareng barat banjir", "kelurahan", "Cengkareng Barat", "Cengkareng"),
        ("banjir di Kampung Pulo", "kelurahan", "Kampung Melayu", "Jatinegara"),
        ("banjir di Kecamatan Pesanggarahan", "kecamatan", None, "Pesanggrahan"),  # misspelt after its level word
        # an RW of the named kelurahan gives the RW's point
        ("hanyut di Gang Perintis RT 10/10 Kel Kebon Baru Kec Tebet", "place", "Kebon Baru", "Tebet"),
    ],
)
def test_real_places_in_text(full: Locator, text: str, precision: str, kelurahan: str | None,
                             kecamatan: str) -> None:
    loc = full.locate(text)
    assert (loc.precision, loc.kelurahan_name, loc.kecamatan_name) == (precision, kelurahan, kecamatan)
    assert loc.span is not None and text[loc.span[0] : loc.span[1]] == loc.matched_text


@pytest.mark.parametrize(
    "text",
    [
        "banjir di Pekayon Bekasi",
        "longsor di Jalan Pitara Kelurahan Pancoran Mas",  # Depok, although Pancoran is a Jakarta kecamatan
        "jalan rusak di Desa Bojongkapol Kecamatan Gambir Tasikmalaya",
        "JPO dan Halte di Jalan Sudirman Pekanbaru rusak",
        "kondisi di Pondok Gede Permai Jatiasih masih banjir",
    ],
)
def test_real_places_outside_jakarta_are_refused(full: Locator, text: str) -> None:
    assert full.locate(text).precision == "none"


def test_gtfs_zip_is_read(admin_dir: Path, shared_data: Path, tmp_path: Path) -> None:
    feed = shared_data / "gazetteer" / "transjakarta-gtfs-2024" / "file_gtfs_2024-06.zip"
    if not feed.is_file():
        pytest.fail(f"{feed} is missing from ../shared/data")
    summary = build_pack(admin_dir, tmp_path / "pack.json", gtfs=feed)
    assert summary["places"]["halte"] > 1_000 and summary["corridors"] > 50


def test_places_need_polygons(admin_dir: Path, shared_data: Path, tmp_path: Path) -> None:
    only_csv = tmp_path / "admin"
    only_csv.mkdir()
    shutil.copy(admin_dir / CSV_FILE, only_csv / CSV_FILE)
    with pytest.raises(GazetteerError, match="polygons"):
        build_pack(only_csv, tmp_path / "pack.json", gtfs=shared_data / "gazetteer" / "transjakarta-gtfs-2025")


def test_a_missing_gtfs_file_is_a_clear_error(admin_dir: Path, tmp_path: Path) -> None:
    empty = tmp_path / "gtfs"
    empty.mkdir()
    with pytest.raises(GazetteerError, match="stops.txt"):
        build_pack(admin_dir, tmp_path / "pack.json", gtfs=empty)
    not_zip = tmp_path / "feed.zip"
    not_zip.write_bytes(b"not a zip")
    with pytest.raises(GazetteerError, match="not a GTFS zip"):
        build_pack(admin_dir, tmp_path / "pack.json", gtfs=not_zip)
