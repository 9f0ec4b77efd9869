"""The API app on SQLite in-process (httpx against the ASGI app): the page without a gazetteer, public data,
the area shapes from a pack, errors. The full API is tested on PostgreSQL in tests/integration/test_api_*.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from config.settings import DeskSettings
from pipeline.contract import LocatedMessage, Location
from sink.api import create_app
from sink.api.page import AreaShapes
from sink.store import TicketStore

KEY = {"X-API-Key": "unit-test-operator-key"}


def msg(i: int, category: str, kel: str = "31.71.01.1001") -> LocatedMessage:
    return LocatedMessage(
        message_id=f"sms:{i}", channel="sms", text=f"laporan {i} dari @warga{i}", author_ref=f"author-{i}",
        posted_at=datetime(2026, 11, 20, tzinfo=UTC), category=category, scores={category: 0.9}, confidence=0.9,
        model_version="m", geocoder_version="g",
        location=Location(precision="kelurahan", lat=-6.175, lon=106.82, kota_code="31.71", kecamatan_code="31.71.01",
                          kelurahan_code=kel, kelurahan_name="Gambir", method="gazetteer"))


@pytest.fixture
def client(tmp_path: Path):
    store = TicketStore(f"sqlite:///{tmp_path / 't.sqlite3'}")
    store.migrate()
    store.write_batch([msg(1, "flood"), msg(2, "garbage"), msg(3, "not_complaint")])
    app = create_app(store, DeskSettings(incident_interval_s=0, api_keys=[
        {"name": "op", "key": KEY["X-API-Key"], "role": "operator"}]), gazetteer_path=tmp_path / "missing.json")
    with TestClient(app) as c:
        yield c
    store.close()


def test_page_and_public_data_without_a_gazetteer(client):
    page = client.get("/")
    assert page.status_code == 200 and "<svg id=\"map\"" in page.text and "text/html" in page.headers["content-type"]
    assert client.get("/public/areas.json").json() == {"areas": [], "viewBox": None, "source": None}
    data = client.get("/public/data.json").json()
    assert data["total"] == 2 and data["open"] == 2 and data["answered"] == 0
    assert {i["category"] for i in data["items"]} == {"flood", "garbage"}
    assert "author-" not in json.dumps(data) and "@warga" not in json.dumps(data)
    assert client.get("/public/data.json", params={"category": "garbage"}).json()["total"] == 1
    assert client.get("/public/data.json", params={"state": "closed"}).json()["total"] == 0
    assert client.get("/public/data.json", params={"state": "maybe"}).status_code == 422


def test_healthz_and_errors(client):
    assert client.get("/healthz").json() == {"ok": True, "schema": "0004"}
    r = client.post("/api/v1/tickets/1/status", json={"status": "resolved"}, headers=KEY)
    assert r.status_code == 409 and r.json()["error"] == "InvalidTransition"
    assert client.post("/api/v1/tickets/1/status", json={"status": "nope"}, headers=KEY).status_code == 422
    assert client.get("/open311/v2/requests/abc.json").status_code == 404
    assert client.get("/api/v1/stats/counts", params={"period": "week", "area": "none"},
                      headers=KEY).json()["rows"] == [
        {"category": c, "period": "2026-11-16", "count": 1} for c in ("flood", "garbage", "not_complaint")]


def test_area_shapes_from_a_pack(tmp_path):
    sq = {"type": "Polygon", "coordinates": [[[106.80, -6.20], [106.81, -6.20], [106.81, -6.19], [106.80, -6.19],
                                              [106.80, -6.20]]]}
    far = {"type": "MultiPolygon", "coordinates": [[[[106.5, -5.8], [106.51, -5.8], [106.51, -5.79],
                                                     [106.5, -5.8]]]]}
    pack = tmp_path / "g.json"
    pack.write_text(json.dumps({"areas": [
        {"code": "31.71", "level": "kota", "name": "Jakarta Pusat", "kota_code": "31.71"},
        {"code": "31.71.01", "level": "kecamatan", "name": "Gambir", "kota_code": "31.71"},
        {"code": "31.71.01.1001", "level": "kelurahan", "name": "Gambir", "kota_code": "31.71",
         "kecamatan_code": "31.71.01", "polygon": sq},
        {"code": "31.01.01.1001", "level": "kelurahan", "name": "Pulau Tidung", "kota_code": "31.01",
         "kecamatan_code": "31.01.01", "polygon": far},
    ]}), encoding="utf-8")
    shapes = AreaShapes(pack).get()
    assert [a["code"] for a in shapes["areas"]] == ["31.71.01.1001"]  # offshore Kepulauan Seribu left out
    a = shapes["areas"][0]
    assert a["kota"] == "Jakarta Pusat" and a["kecamatan"] == "Gambir" and a["d"].startswith("M0 100L")
    assert shapes["viewBox"][2] == pytest.approx(99, abs=1) and shapes["viewBox"][3] == 100
