"""The ticket desk's HTTP API on a real PostgreSQL server, over HTTP on loopback to a real uvicorn server.

Every filter is checked against an oracle computed in Python from the messages written; statistics against
direct SQL counts on the same database; Open311 against the field lists of the GeoReport v2 specification.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from sqlalchemy.engine import make_url

from config.settings import DeskSettings
from pipeline.contract import LocatedMessage, Location
from sink.api import create_app
from sink.desk import Desk
from sink.store import TicketStore
from sink.synthetic import synthetic_messages

pytestmark = pytest.mark.postgres

ANALYST = {"X-API-Key": "test-analyst-key-not-secret"}
OPERATOR = {"Authorization": "Bearer test-operator-key-not-secret"}
WIB = timezone(timedelta(hours=7))

GAMBIR = ("31.71", "Jakarta Pusat", "31.71.01", "Gambir", "31.71.01.1001", "Gambir")
CIDENG = ("31.71", "Jakarta Pusat", "31.71.01", "Gambir", "31.71.01.1002", "Cideng")
BANGKA = ("31.74", "Jakarta Selatan", "31.74.05", "Mampang Prapatan", "31.74.05.1001", "Bangka")


def fixed(i: int, channel: str, category: str, area: tuple, day: int, text: str, author: str) -> LocatedMessage:
    kc, kn, kec, kecn, kel, keln = area
    return LocatedMessage(
        message_id=f"{channel}:fixed-{i}", channel=channel, text=text, author_ref=author,
        posted_at=datetime(2026, 11, day, 3, 0, tzinfo=UTC), raw={"secret_payload": f"raw-{i}"},
        media=(f"https://img.example/fixed-{i}.jpg",), category=category, scores={category: 0.9},
        confidence=0.9, model_version="m", geocoder_version="g",
        location=Location(precision="kelurahan", lat=-6.2 - i / 1000, lon=106.8 + i / 1000, kota_code=kc,
                          kota_name=kn, kecamatan_code=kec, kecamatan_name=kecn, kelurahan_code=kel,
                          kelurahan_name=keln, method="gazetteer"),
    )


FIXED = [
    fixed(1, "sms", "flood", GAMBIR, 2, "banjir 50 cm di Jl Gambir", "reporter-a"),
    fixed(2, "twitter", "garbage", CIDENG, 3, "sampah menumpuk di TPS Cideng", "reporter-b"),
    fixed(3, "app", "damaged_road", BANGKA, 9, "jalan berlubang di Kemang", "reporter-c"),
    fixed(4, "sms", "flood", BANGKA, 10, "banjir lagi di Bangka, got mampet", "reporter-a"),
    fixed(5, "twitter", "not_complaint", GAMBIR, 10, "banjir orderan hari ini", "reporter-d"),
    fixed(6, "email", "transjakarta", CIDENG, 16, "halte TJ rusak parah", "reporter-e"),
    fixed(7, "app", "other", BANGKA, 17, "lampu jalan mati sejak minggu lalu", "reporter-f"),
    fixed(8, "sms", "garbage", GAMBIR, 23, "bau sampah di kali dekat pasar", "reporter-b"),
    fixed(9, "sms", "other", BANGKA, 18, "lampu jalan mati, hubungi @pak_rt_bangka 0812 3456 7890", "reporter-g"),
]
SYNTHETIC = list(synthetic_messages(150, seed=11, prefix="bulk"))
ALL = FIXED + SYNTHETIC


@pytest.fixture(scope="module")
def db_url(postgres_url: str) -> Iterator[str]:
    name = "api_" + uuid.uuid4().hex[:10]
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Server:
    """A real uvicorn server in a thread, on a free loopback port."""

    def __init__(self, app: Any) -> None:
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                                    access_log=False))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def desk_settings(**kw: Any) -> DeskSettings:
    kw.setdefault("incident_interval_s", 0)
    return DeskSettings(api_keys=[
        {"name": "ana", "key": ANALYST["X-API-Key"], "role": "analyst"},
        {"name": "opa", "key": OPERATOR["Authorization"].split()[1], "role": "operator"},
    ], **kw)


@pytest.fixture(scope="module")
def world(db_url: str) -> Iterator[dict[str, Any]]:
    store = TicketStore(db_url)
    store.migrate()
    store.write_batch(ALL)
    ids = {t["message_id"]: t["id"] for t in store.list_tickets()}
    desk = Desk(store)
    # Some life: statuses the filters and statistics can see.
    status = {m.message_id: ("dismissed" if m.category == "not_complaint" else "new") for m in ALL}
    for mid, path in {"sms:fixed-1": ["dispatched", "in_progress", "resolved"], "twitter:fixed-2": ["dispatched"],
                      "app:fixed-3": ["dispatched", "in_progress"], "email:fixed-6": ["rejected"]}.items():
        for s in path:
            desk.transition(ids[mid], s, actor="setup", completion_note="dikuras" if s == "resolved" else None)
        status[mid] = path[-1]
    for m in SYNTHETIC[:40]:
        if status[m.message_id] == "new":
            desk.transition(ids[m.message_id], "dispatched", actor="setup")
            status[m.message_id] = "dispatched"
    app = create_app(store, desk_settings(max_page_size=500, page_size=25))
    with Server(app) as base, httpx.Client(base_url=base, timeout=60) as client:
        yield {"client": client, "store": store, "ids": ids, "status": status, "url": db_url, "base": base}
    store.close()


def oracle(pred) -> set[str]:
    return {m.message_id for m in ALL if pred(m)}


def fetch_all(client: httpx.Client, params: dict[str, Any]) -> list[dict[str, Any]]:
    items, offset = [], 0
    while True:
        r = client.get("/api/v1/tickets", params={**params, "limit": 40, "offset": offset}, headers=ANALYST)
        assert r.status_code == 200, r.text
        body = r.json()
        items += body["items"]
        if body["next_offset"] is None:
            return items
        offset = body["next_offset"]


def reported(m: LocatedMessage) -> datetime:
    return m.posted_at or m.received_at


@pytest.mark.parametrize(("params", "pred"), [
    ({}, lambda m, st: True),
    ({"category": "flood"}, lambda m, st: m.category == "flood"),
    ({"category": ["flood", "garbage"]}, lambda m, st: m.category in ("flood", "garbage")),
    ({"status": "dispatched"}, lambda m, st: st[m.message_id] == "dispatched"),
    ({"status": ["resolved", "rejected"]}, lambda m, st: st[m.message_id] in ("resolved", "rejected")),
    ({"channel": "sms"}, lambda m, st: m.channel == "sms"),
    ({"kota": "31.71"}, lambda m, st: m.location.kota_code == "31.71"),
    ({"kota": "jakarta selatan"}, lambda m, st: m.location.kota_name in ("Jakarta Selatan",)),
    ({"kecamatan": "31.74.05"}, lambda m, st: m.location.kecamatan_code == "31.74.05"),
    ({"kelurahan": "Cideng"}, lambda m, st: m.location.kelurahan_name == "Cideng"),
    ({"kelurahan": ["31.71.01.1001", "31.74.05.1001"]},
     lambda m, st: m.location.kelurahan_code in ("31.71.01.1001", "31.74.05.1001")),
    ({"since": "2026-11-10T00:00:00+07:00"}, lambda m, st: reported(m) >= datetime(2026, 11, 10, tzinfo=WIB)),
    ({"until": "2026-11-10T00:00:00+07:00"}, lambda m, st: reported(m) < datetime(2026, 11, 10, tzinfo=WIB)),
    ({"since": "2026-11-09T00:00:00Z", "until": "2026-11-17T00:00:00Z"},
     lambda m, st: datetime(2026, 11, 9, tzinfo=UTC) <= reported(m) < datetime(2026, 11, 17, tzinfo=UTC)),
    ({"q": "BANJIR"}, lambda m, st: "banjir" in m.text.lower()),
    ({"q": "sampah kali"}, lambda m, st: "sampah" in m.text.lower() and "kali" in m.text.lower()),
    ({"agency": "Dinas Lingkungan Hidup"}, lambda m, st: m.category == "garbage"),
    ({"category": "garbage", "kota": "31.71", "status": "new"},
     lambda m, st: m.category == "garbage" and m.location.kota_code == "31.71" and st[m.message_id] == "new"),
], ids=lambda v: json.dumps(v) if isinstance(v, dict) else "")
def test_every_filter_matches_the_oracle(world, params, pred):
    got = [t["message_id"] for t in fetch_all(world["client"], params)]
    assert len(got) == len(set(got)), "a ticket appeared on two pages"
    expected = oracle(lambda m: pred(m, world["status"]))
    assert expected, "the oracle must select something, or the test proves nothing"
    assert set(got) == expected
    r = world["client"].get("/api/v1/tickets", params={**params, "limit": 1}, headers=ANALYST).json()
    assert r["total"] == len(expected)


def test_incident_filter(world):
    store, ids = world["store"], world["ids"]
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE tickets SET incident_id = 77 WHERE id IN (:a, :b)"),
                     {"a": ids["sms:fixed-1"], "b": ids["sms:fixed-4"]})
    try:
        got = {t["message_id"] for t in fetch_all(world["client"], {"incident": 77})}
        assert got == {"sms:fixed-1", "sms:fixed-4"}
    finally:
        with store.engine.begin() as conn:
            conn.execute(sa.text("UPDATE tickets SET incident_id = NULL WHERE incident_id = 77"))


def test_pagination_is_stable_complete_and_capped(world):
    c = world["client"]
    first = c.get("/api/v1/tickets", headers=ANALYST).json()
    assert first["limit"] == 25 and len(first["items"]) == 25 and first["total"] == len(ALL)
    assert first["next_offset"] == 25
    pages = [c.get("/api/v1/tickets", params={"limit": 30, "offset": o}, headers=ANALYST).json()
             for o in range(0, len(ALL), 30)]
    ids = [t["id"] for p in pages for t in p["items"]]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) == len(ALL)
    assert pages[-1]["next_offset"] is None
    capped = c.get("/api/v1/tickets", params={"limit": 10_000}, headers=ANALYST).json()
    assert capped["limit"] == 500 and len(capped["items"]) == len(ALL)  # 158 < cap
    assert c.get("/api/v1/tickets", params={"offset": 10_000}, headers=ANALYST).json()["items"] == []
    assert c.get("/api/v1/tickets", params={"limit": 0}, headers=ANALYST).status_code == 422
    assert c.get("/api/v1/tickets", params={"status": "closed"}, headers=ANALYST).status_code == 422


def test_one_ticket_with_history_and_no_raw_payload(world):
    t = world["client"].get(f"/api/v1/tickets/{world['ids']['sms:fixed-1']}", headers=ANALYST).json()
    assert t["ticket"]["status"] == "resolved" and t["ticket"]["completion_note"] == "dikuras"
    assert [e["to_status"] for e in t["history"]] == ["new", "dispatched", "in_progress", "resolved"]
    assert all(e["actor"] for e in t["history"]) and "raw" not in t["ticket"]
    assert t["allowed_transitions"] == ["in_progress"]
    assert world["client"].get("/api/v1/tickets/999999", headers=ANALYST).status_code == 404


PRIVATE_GETS = ["/api/v1/tickets", "/api/v1/tickets/1", "/api/v1/stats/counts", "/api/v1/stats/response-times",
                "/api/v1/stats/backlog", "/api/v1/stats/summary", "/api/v1/export.csv", "/api/v1/export.geojson"]


@pytest.mark.parametrize("path", PRIVATE_GETS)
def test_private_reads_need_a_key(world, path):
    c = world["client"]
    r = c.get(path)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert c.get(path, headers={"X-API-Key": "wrong-key"}).status_code == 401
    assert c.get(path, headers=ANALYST).status_code == 200
    assert c.get(path, headers=OPERATOR).status_code == 200


def test_updates_need_an_operator(world):
    c, tid = world["client"], world["ids"]["sms:fixed-8"]
    for path, body in ((f"/api/v1/tickets/{tid}/status", {"status": "dispatched"}),
                       (f"/api/v1/tickets/{tid}/category", {"category": "flood"}),
                       (f"/api/v1/tickets/{tid}/assignment", {"agency": "X"})):
        assert c.post(path, json=body).status_code == 401
        r = c.post(path, json=body, headers=ANALYST)
        assert r.status_code == 403 and "operator" in r.json()["detail"]
    before = world["store"].count_events()
    assert world["store"].get("sms:fixed-8")["status"] == "new" and before == world["store"].count_events()


def test_operator_moves_recategorises_and_is_refused_clearly(world):
    c, tid = world["client"], world["ids"]["app:fixed-7"]
    r = c.post(f"/api/v1/tickets/{tid}/status", json={"status": "dispatched", "note": "ke Bina Marga",
                                                      "expected_version": 1}, headers=OPERATOR)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ticket"]["status"] == "dispatched" and body["events"][0]["actor"] == "api:opa"
    assert body["allowed_transitions"] == ["duplicate", "in_progress", "new", "rejected"]
    r = c.post(f"/api/v1/tickets/{tid}/status", json={"status": "resolved"}, headers=OPERATOR)
    assert r.status_code == 409 and "cannot go from dispatched to resolved" in r.json()["detail"]
    r = c.post(f"/api/v1/tickets/{tid}/status", json={"status": "rejected", "expected_version": 1},
               headers=OPERATOR)
    assert r.status_code == 409 and r.json()["error"] == "VersionConflict"
    r = c.post(f"/api/v1/tickets/{tid}/status", json={"status": "in_progress", "photo_url": "https://x/y.jpg"},
               headers=OPERATOR)
    assert r.status_code == 422
    r = c.post(f"/api/v1/tickets/{tid}/category", json={"category": "damaged_road", "note": "PJU"},
               headers=OPERATOR)
    assert r.status_code == 200 and r.json()["events"][0]["data"] == {"from": "other", "to": "damaged_road"}
    assert r.json()["ticket"]["assignee_agency"] == "Dinas Bina Marga"
    assert c.post("/api/v1/tickets/424242/status", json={"status": "dispatched"}, headers=OPERATOR).status_code == 404
    # Undo what this test changed, so the module's oracle holds for the other tests.
    with world["store"].engine.begin() as conn:
        conn.execute(sa.text("UPDATE tickets SET status='new', category='other', version=1, first_action_at=NULL "
                             "WHERE id=:i"), {"i": tid})
        conn.execute(sa.text("DELETE FROM ticket_events WHERE ticket_id=:i AND kind <> 'created'"), {"i": tid})


# -- statistics against direct SQL --------------------------------------------------------------------
def sql_scalar(world, q: str, **params: Any) -> Any:
    with world["store"].engine.connect() as conn:
        return conn.execute(sa.text(q), params).scalar()


def test_counts_per_category_area_day_agree_with_sql(world):
    rows = world["client"].get("/api/v1/stats/counts", params={"period": "day", "area": "kelurahan"},
                               headers=ANALYST).json()["rows"]
    assert sum(r["count"] for r in rows) == len(ALL)
    for r in rows:
        day = datetime.fromisoformat(r["period"]).replace(tzinfo=WIB)
        n = sql_scalar(world, "SELECT count(*) FROM tickets WHERE category = :c AND kelurahan_code = :k "
                       "AND coalesce(posted_at, received_at) >= :d AND coalesce(posted_at, received_at) < :e",
                       c=r["category"], k=r["area_code"], d=day, e=day + timedelta(days=1))
        assert n == r["count"], r


def test_counts_per_week_and_kota_agree_with_sql(world):
    rows = world["client"].get("/api/v1/stats/counts", params={"period": "week", "area": "kota",
                                                               "channel": "sms"}, headers=ANALYST).json()["rows"]
    assert sum(r["count"] for r in rows) == sum(1 for m in ALL if m.channel == "sms")
    for r in rows:
        monday = datetime.fromisoformat(r["period"]).replace(tzinfo=WIB)
        assert monday.weekday() == 0
        n = sql_scalar(world, "SELECT count(*) FROM tickets WHERE category = :c AND kota_code = :k AND channel='sms' "
                       "AND coalesce(posted_at, received_at) >= :d AND coalesce(posted_at, received_at) < :e",
                       c=r["category"], k=r["area_code"], d=monday, e=monday + timedelta(days=7))
        assert n == r["count"], r


def test_backlog_and_response_times_agree_with_sql(world):
    c = world["client"]
    for r in c.get("/api/v1/stats/backlog", params={"by": "agency"}, headers=ANALYST).json()["rows"]:
        n = sql_scalar(world, "SELECT count(*) FROM tickets WHERE assignee_agency IS NOT DISTINCT FROM :a "
                       "AND status IN ('new','dispatched','in_progress')", a=r["key"])
        assert n == r["open"] == r["new"] + r["dispatched"] + r["in_progress"]
    kel = c.get("/api/v1/stats/backlog", headers=ANALYST).json()["rows"]
    assert sum(r["open"] for r in kel) == sql_scalar(
        world, "SELECT count(*) FROM tickets WHERE status IN ('new','dispatched','in_progress')")
    assert [r["open"] for r in kel] == sorted((r["open"] for r in kel), reverse=True)
    for r in c.get("/api/v1/stats/response-times", params={"by": "category"}, headers=ANALYST).json()["rows"]:
        acted = sql_scalar(world, "SELECT count(*) FROM tickets WHERE category=:c AND first_action_at IS NOT NULL",
                           c=r["key"])
        avg = sql_scalar(world, "SELECT avg(extract(epoch FROM first_action_at - created_at)) / 3600 "
                         "FROM tickets WHERE category=:c", c=r["key"])
        assert r["acted"] == acted
        assert (r["first_action_avg_h"] is None and avg is None) or abs(r["first_action_avg_h"] - float(avg)) < 1e-3
    summary = c.get("/api/v1/stats/summary", headers=ANALYST).json()
    assert summary["total"] == len(ALL)
    assert summary["by_status"]["resolved"] == sql_scalar(world, "SELECT count(*) FROM tickets WHERE status='resolved'")


# -- exports ------------------------------------------------------------------------------------------
def test_csv_and_geojson_exports_carry_every_matching_ticket(world):
    c = world["client"]
    with c.stream("GET", "/api/v1/export.csv", headers=ANALYST) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert "content-length" not in r.headers  # streamed (chunked), not built in memory
        body = r.read().decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == len(ALL) and "raw" not in rows[0] and "secret_payload" not in body
    assert {r["message_id"] for r in rows} == {m.message_id for m in ALL}
    gj = c.get("/api/v1/export.geojson", params={"category": "flood"}, headers=ANALYST).json()
    assert gj["type"] == "FeatureCollection"
    assert {f["properties"]["message_id"] for f in gj["features"]} == oracle(lambda m: m.category == "flood")
    f0 = gj["features"][0]
    assert f0["geometry"]["type"] == "Point" and len(f0["geometry"]["coordinates"]) == 2
    assert -7 < f0["geometry"]["coordinates"][1] < -5 and 106 < f0["geometry"]["coordinates"][0] < 107


# -- Open311 GeoReport v2 -------------------------------------------------------------------------------
# The fields the GeoReport v2 specification lists (https://wiki.open311.org/GeoReport_v2/).
SPEC_SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
SPEC_REQUEST_FIELDS = {"service_request_id", "status", "status_notes", "service_name", "service_code",
                       "description", "agency_responsible", "service_notice", "requested_datetime",
                       "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat", "long",
                       "media_url"}


def test_open311_services(world):
    r = world["client"].get("/open311/v2/services.json")
    assert r.status_code == 200
    services = r.json()
    assert {s["service_code"] for s in services} == {"flood", "garbage", "damaged_road", "transjakarta", "other"}
    for s in services:
        assert set(s) == SPEC_SERVICE_FIELDS
        assert s["type"] in ("realtime", "batch", "blackbox") and s["metadata"] is False


def test_open311_requests_public_only(world):
    c = world["client"]
    r = c.get("/open311/v2/requests.json", params={"page_size": 1000})
    assert r.status_code == 200
    reqs = r.json()
    public = {m.message_id for m in ALL if world["status"][m.message_id] != "dismissed"}
    assert len(reqs) == len(public)
    for q in reqs:
        assert set(q) == SPEC_REQUEST_FIELDS
        assert q["status"] in ("open", "closed")
        datetime.fromisoformat(q["requested_datetime"])
    text = r.text
    for m in ALL:
        assert m.author_ref not in text, "reporter identity exposed"
    assert "secret_payload" not in text and "message_id" not in text
    # handles and phone numbers in texts are masked (timestamps left out: their microseconds may hold any digits)
    shown = " ".join(str(v) for q in reqs for k, v in q.items() if not k.endswith("_datetime"))
    assert "@pak_rt_bangka" not in text and "3456" not in shown
    assert "hubungi @[akun] [nomor]" in text
    dismissed_id = world["ids"]["twitter:fixed-5"]
    assert str(dismissed_id) not in {q["service_request_id"] for q in reqs}
    assert c.get(f"/open311/v2/requests/{dismissed_id}.json").status_code == 404
    one = c.get(f"/open311/v2/requests/{world['ids']['sms:fixed-1']}.json").json()
    assert len(one) == 1 and set(one[0]) == SPEC_REQUEST_FIELDS
    assert one[0]["status"] == "closed" and one[0]["status_notes"] == "dikuras"
    assert one[0]["service_code"] == "flood" and one[0]["agency_responsible"] == "Dinas Sumber Daya Air"
    assert one[0]["address_id"] == "31.71.01.1001" and one[0]["long"] == pytest.approx(106.801)
    assert one[0]["media_url"] == "https://img.example/fixed-1.jpg"
    closed = c.get("/open311/v2/requests.json", params={"status": "closed", "page_size": 1000}).json()
    assert {q["service_request_id"] for q in closed} == {str(world["ids"]["sms:fixed-1"]),
                                                         str(world["ids"]["email:fixed-6"])}
    flood = c.get("/open311/v2/requests.json", params={"service_code": "flood", "page_size": 1000}).json()
    assert {q["service_code"] for q in flood} == {"flood"}
    assert len(flood) == len(oracle(lambda m: m.category == "flood"))
    dated = c.get("/open311/v2/requests.json", params={"start_date": "2026-11-16T00:00:00Z",
                                                       "end_date": "2026-11-18T00:00:00Z"}).json()
    assert {q["service_request_id"] for q in dated} >= {str(world["ids"]["email:fixed-6"])}
    assert c.get("/open311/v2/requests.json", params={"status": "pending"}).status_code == 400


def test_openapi_documents_every_endpoint(world):
    spec = world["client"].get("/openapi.json").json()
    for path in ["/api/v1/tickets", "/api/v1/tickets/{ticket_id}", "/api/v1/tickets/{ticket_id}/status",
                 "/api/v1/stats/counts", "/api/v1/export.csv", "/open311/v2/services.json",
                 "/open311/v2/requests.json", "/open311/v2/requests/{request_id}.json"]:
        assert path in spec["paths"], path


# -- streaming 100,000 tickets ---------------------------------------------------------------------------
@pytest.mark.slow
def test_an_export_of_100k_tickets_streams_from_a_server_side_cursor(fresh_postgres_url):
    store = TicketStore(fresh_postgres_url)
    store.migrate()
    n = 100_000
    with store.engine.begin() as conn:  # bulk rows straight in SQL: this test is about reading them
        conn.execute(sa.text(
            "INSERT INTO tickets (message_id, channel, text, category, confidence, needs_review, status, precision, "
            "location_method, model_version, geocoder_version, received_at, created_at, updated_at, lat, lon, "
            "kelurahan_code, kelurahan_name) "
            "SELECT 'sms:' || g, 'sms', 'banjir di gang ' || g, 'flood', 0.9, false, 'new', 'kelurahan', "
            "'gazetteer', 'm', 'g', now(), now(), now(), -6.2, 106.8, '31.71.01.1001', 'Gambir' "
            "FROM generate_series(1, :n) AS g"), {"n": n})
    app = create_app(store, desk_settings())
    watcher = sa.create_engine(fresh_postgres_url)
    with Server(app) as base, httpx.Client(base_url=base, timeout=120) as client, \
            client.stream("GET", "/api/v1/export.csv", headers=ANALYST) as r:
        assert r.status_code == 200 and "content-length" not in r.headers
        chunks = r.iter_bytes()
        head = next(chunks)
        # While the client has read only the start, the server is fetching from a named server-side cursor
        # in portions: it holds neither the result set nor the body in memory.
        with watcher.connect() as conn:
            fetching = conn.execute(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND query ILIKE 'FETCH FORWARD%'")).scalar()
        assert fetching == 1
        lines = head.count(b"\n")
        pieces = 1
        for chunk in chunks:
            lines += chunk.count(b"\n")
            pieces += 1
    watcher.dispose()
    store.close()
    assert lines == n + 1
    assert pieces > 10  # arrived in many pieces, not one body


@pytest.mark.slow
def test_the_jemput_api_command_serves_on_the_given_host_and_port(db_url, world):
    import os
    import socket
    import subprocess
    import sys
    from pathlib import Path

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    jemput = Path(sys.executable).with_name("jemput")
    env = {**os.environ, "JEMPUT_DATABASE__URL": db_url, "JEMPUT_DESK__INCIDENT_INTERVAL_S": "0",
           "JEMPUT_DESK__API_KEYS": json.dumps([{"name": "ana", "key": ANALYST["X-API-Key"], "role": "analyst"}])}
    proc = subprocess.Popen([str(jemput), "api", "--host", "127.0.0.1", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(base + "/healthz", timeout=2)
                break
            except httpx.HTTPError:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                assert time.monotonic() < deadline, "jemput api did not answer"
                time.sleep(0.2)
        assert health.json() == {"ok": True, "schema": "0004"}
        assert httpx.get(base + "/api/v1/tickets").status_code == 401
        assert httpx.get(base + "/api/v1/tickets", headers=ANALYST).json()["total"] == len(ALL)
        assert len(httpx.get(base + "/open311/v2/services.json").json()) == 5
    finally:
        proc.terminate()
        assert proc.wait(20) == 0
