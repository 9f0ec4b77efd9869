"""The geocoding-service fallback against a local HTTP server answering in Nominatim's (and Photon's) JSON format.

The server listens on 127.0.0.1 only, answers a bounded number of requests and records each one (path, query,
time), so the tests can check the viewbox, the cache and the rate limit. Nothing leaves the machine.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from config.settings import Settings
from geocoder.fallback import GeocodingService, ResultCache, query_phrase
from geocoder.gazetteer import Gazetteer
from geocoder.locate import Locator
from geocoder.service import build_locator, build_processor
from tests.unit.test_geocoder_places import pack

MAX_REQUESTS = 50

#: query (lower case, as sent) -> answer point (lat, lon); anything else: an empty result list
ANSWERS = {
    "jalan haji sarimun, jakarta": (-6.19, 106.865),  # inside Karang Anyar (Sawah Besar)
    "jalan di luar, jakarta": (-6.5, 107.2),  # outside DKI
    "jalan pinggir, jakarta": (-6.19, 106.7995),  # 55 m outside Gambir: snapped by the tolerance
    "pasar rumput, jakarta": (-6.29, 106.81),  # Tebet Timur
}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.server.log.append({"path": parts.path, "query": query, "t": time.monotonic()})
        if self.server.fail:
            self.send_response(503)
            self.end_headers()
            return
        q = (query.get("q") or "").lower()
        body: Any
        if parts.path.endswith("/search"):
            point = ANSWERS.get(q)
            body = [] if point is None else [{
                "place_id": 1, "licence": "test", "osm_type": "way", "osm_id": 2,
                "lat": str(point[0]), "lon": str(point[1]), "display_name": q, "class": "highway",
                "type": "residential", "importance": 0.5,
                "boundingbox": [str(point[0] - 0.001), str(point[0] + 0.001), str(point[1] - 0.001),
                                str(point[1] + 0.001)],
            }]
        elif parts.path.endswith("/api"):
            point = ANSWERS.get(q)
            body = {"type": "FeatureCollection", "features": [] if point is None else [{
                "type": "Feature", "geometry": {"type": "Point", "coordinates": [point[1], point[0]]},
                "properties": {"name": q, "osm_id": 2, "osm_type": "W", "country": "Indonesia"},
            }]}
        else:
            self.send_response(404)
            self.end_headers()
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.log: list[dict[str, Any]] = []
        self.fail = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server()
    thread = threading.Thread(target=lambda: srv.serve_forever(poll_interval=0.05), daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(timeout=5)
        assert len(srv.log) <= MAX_REQUESTS


def _service(gaz: Gazetteer, url: str, cache_path: Path, *, provider: str = "nominatim",
             min_delay_s: float = 0.0, max_retries: int = 0) -> GeocodingService:
    return GeocodingService(
        gaz, provider=provider, url=url, user_agent="jemput-tests", timeout_s=2.0, min_delay_s=min_delay_s,
        max_retries=max_retries, cache=ResultCache(cache_path, max_age_s=3600), tolerance_m=100,
    )


@pytest.fixture
def gaz() -> Gazetteer:
    return Gazetteer.from_dict(pack(), build_id="fallback")


def test_query_phrases() -> None:
    assert query_phrase("banjir di Jl. Haji Sarimun RT 3 Jakarta Barat").phrase == "Jalan Haji Sarimun"  # type: ignore[union-attr]
    assert query_phrase("macet depan Pasar Rumput arah Manggarai").phrase == "Pasar Rumput"  # type: ignore[union-attr]
    assert query_phrase("lampu mati") is None
    assert query_phrase("jl. no") is None
    q = query_phrase("pohon tumbang di jalan mandor hasan kel cipayung")
    assert q is not None and q.kind == "street" and q.phrase == "Jalan mandor hasan"


def test_fallback_places_what_the_gazetteer_cannot(server: _Server, gaz: Gazetteer, tmp_path: Path) -> None:
    locator = Locator(gaz, service=_service(gaz, server.url, tmp_path / "cache.sqlite3"))
    text = "banjir di Jl. Haji Sarimun"
    loc = locator.locate(text)
    assert (loc.precision, loc.method) == ("street", "geocoding_service")
    assert loc.kelurahan_code == "31.71.02.1003" and loc.kecamatan_code == "31.71.02"
    assert (loc.lat, loc.lon) == (-6.19, 106.865)
    assert loc.span is not None and text[loc.span[0] : loc.span[1]] == loc.matched_text == "Haji Sarimun"
    assert locator.version.endswith("+nominatim")
    (request,) = server.log
    q = request["query"]
    assert request["path"] == "/search" and q["q"] == "Jalan Haji Sarimun, Jakarta"
    assert q["bounded"] == "1" and q["countrycodes"] == "id" and q["format"] == "json"
    lon1, lat1, lon2, lat2 = (float(v) for v in q["viewbox"].split(","))  # two opposite corners, lon,lat
    assert sorted((lon1, lon2)) == [106.68, 106.98] and sorted((lat1, lat2)) == [-6.38, -6.08]


def test_gazetteer_answers_never_reach_the_service(server: _Server, gaz: Gazetteer, tmp_path: Path) -> None:
    locator = Locator(gaz, service=_service(gaz, server.url, tmp_path / "c.sqlite3"))
    assert locator.locate("depan halte Harmoni, Jl. Haji Sarimun").method == "gazetteer"
    assert locator.locate("banjir di Kel. Gambir").precision == "kelurahan"
    assert locator.locate("lampu mati terus").precision == "none"  # nothing worth asking about
    assert server.log == []


def test_answers_outside_dki_are_dropped_and_near_ones_snapped(server: _Server, gaz: Gazetteer,
                                                               tmp_path: Path) -> None:
    locator = Locator(gaz, service=_service(gaz, server.url, tmp_path / "c.sqlite3"))
    assert locator.locate("banjir di jalan di luar").precision == "none"
    near = locator.locate("banjir di jalan pinggir")
    assert near.kelurahan_code == "31.71.01.1001" and near.method == "geocoding_service"
    assert locator.locate("banjir di jalan tidak dikenal").precision == "none"  # empty result list
    assert len(server.log) == 3


def test_service_answer_must_agree_with_the_texts_kota(server: _Server, gaz: Gazetteer, tmp_path: Path) -> None:
    locator = Locator(gaz, service=_service(gaz, server.url, tmp_path / "c.sqlite3"))
    agreeing = locator.locate("Jl. Haji Sarimun, Jakarta Pusat")
    assert agreeing.method == "geocoding_service" and agreeing.kelurahan_code == "31.71.02.1003"
    disagreeing = locator.locate("Jl. Haji Sarimun, Jakarta Selatan")
    assert (disagreeing.precision, disagreeing.kota_code, disagreeing.method) == ("kota", "31.74", "gazetteer")


def test_cache_answers_repeats_and_survives_a_restart(server: _Server, gaz: Gazetteer, tmp_path: Path) -> None:
    cache = tmp_path / "cache.sqlite3"
    first = Locator(gaz, service=_service(gaz, server.url, cache))
    for _ in range(3):
        assert first.locate("banjir di Jl. Haji Sarimun").kelurahan_code == "31.71.02.1003"
        assert first.locate("banjir di jalan tidak dikenal").precision == "none"  # "not found" is cached too
    assert len(server.log) == 2
    again = Locator(gaz, service=_service(gaz, server.url, cache))
    assert again.locate("BANJIR DI JL.  HAJI SARIMUN").kelurahan_code == "31.71.02.1003"
    assert len(server.log) == 2


def test_expired_cache_entries_are_asked_again(server: _Server, gaz: Gazetteer, tmp_path: Path) -> None:
    svc = _service(gaz, server.url, tmp_path / "c.sqlite3")
    svc.cache.max_age_s = 0.0
    locator = Locator(gaz, service=svc)
    locator.locate("banjir di Jl. Haji Sarimun")
    time.sleep(0.01)
    locator.locate("banjir di Jl. Haji Sarimun")
    assert len(server.log) == 2


def test_rate_limit_spaces_the_requests(server: _Server, gaz: Gazetteer, tmp_path: Path) -> None:
    locator = Locator(gaz, service=_service(gaz, server.url, tmp_path / "c.sqlite3", min_delay_s=0.5))
    for street in ("satu", "dua", "tiga"):
        locator.locate(f"banjir di jalan {street} raya")
    times = [r["t"] for r in server.log]
    assert len(times) == 3
    # The limiter spaces the calls at the client (0.5 s); arrival at the server may jitter under load, so allow
    # 0.2 s of it. Without the limiter the three calls arrive within milliseconds of each other.
    assert all(b - a >= 0.3 for a, b in zip(times, times[1:], strict=False))
    assert times[-1] - times[0] >= 0.8


def test_service_failures_give_no_place_and_are_not_cached(server: _Server, gaz: Gazetteer, tmp_path: Path) -> None:
    locator = Locator(gaz, service=_service(gaz, server.url, tmp_path / "c.sqlite3", max_retries=1))
    server.fail = True
    assert locator.locate("banjir di Jl. Haji Sarimun").precision == "none"
    assert len(server.log) == 2  # one try and one retry
    server.fail = False
    assert locator.locate("banjir di Jl. Haji Sarimun").kelurahan_code == "31.71.02.1003"


def test_unreachable_service_times_out_cleanly(gaz: Gazetteer, tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    locator = Locator(gaz, service=_service(gaz, f"http://127.0.0.1:{port}", tmp_path / "c.sqlite3"))
    assert locator.locate("banjir di Jl. Haji Sarimun").precision == "none"


def test_photon_provider(server: _Server, gaz: Gazetteer, tmp_path: Path) -> None:
    locator = Locator(gaz, service=_service(gaz, server.url, tmp_path / "c.sqlite3", provider="photon"))
    loc = locator.locate("macet depan Pasar Rumput")
    assert (loc.precision, loc.kelurahan_code, loc.method) == ("place", "31.74.01.1001", "geocoding_service")
    (request,) = server.log
    assert request["path"] == "/api" and request["query"]["bbox"] == "106.68,-6.38,106.98,-6.08"


def test_bad_service_settings_are_refused(gaz: Gazetteer, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="url"):
        _service(gaz, "nominatim.example", tmp_path / "c.sqlite3")
    with pytest.raises(ValueError, match="provider"):
        _service(gaz, "http://127.0.0.1:1", tmp_path / "c.sqlite3", provider="google")


def test_settings_wire_the_service(server: _Server, tmp_path: Path) -> None:
    pack_path = tmp_path / "gazetteer.json"
    pack_path.write_text(json.dumps(pack()), encoding="utf-8")
    off = Settings(data_dir=tmp_path, geocoder={"gazetteer": pack_path})
    assert build_locator(off).service is None  # disabled by default: no network
    on = Settings(
        data_dir=tmp_path,
        geocoder={"gazetteer": pack_path, "service": {"enabled": True, "url": server.url, "min_delay_s": 0}},
    )
    locator = build_locator(on)
    assert locator.service is not None and locator.service.cache.path == tmp_path / "geocode_cache.sqlite3"
    assert locator.locate("banjir di Jl. Haji Sarimun").method == "geocoding_service"
    assert build_processor(on).geocoder_version.endswith("+nominatim")  # type: ignore[attr-defined]
