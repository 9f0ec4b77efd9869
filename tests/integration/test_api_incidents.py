"""Incidents through the HTTP API on PostgreSQL: grouping in the background of a real server, merge, split."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa

from pipeline.contract import LocatedMessage, Location
from sink.api import create_app
from sink.store import TicketStore
from tests.integration.test_api_postgres import ANALYST, OPERATOR, Server, desk_settings

pytestmark = pytest.mark.postgres

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def report(i: int, text: str, *, category: str = "flood", author: str | None = "a", hours: float = 0
           ) -> LocatedMessage:
    return LocatedMessage(
        message_id=f"sms:{i}", channel="sms", text=text, author_ref=author, posted_at=T0 + timedelta(hours=hours),
        category=category, scores={category: 0.9}, confidence=0.9, model_version="m", geocoder_version="g",
        location=Location(precision="kelurahan", lat=-6.26, lon=106.81, kelurahan_code="31.74.05.1001",
                          kelurahan_name="Bangka", method="gazetteer"),
    )


def test_incidents_grouped_by_the_running_server_then_merged_and_split(fresh_postgres_url):
    store = TicketStore(fresh_postgres_url)
    store.migrate()
    store.write_batch([
        report(1, "banjir di jalan kemang raya setinggi lutut", author="a"),
        report(2, "jalan kemang raya banjir lagi setinggi lutut", author="b", hours=2),
        report(3, "banjir kemang raya", author="a", hours=3),
        report(4, "pompa air rusak mesin mati", author="c", hours=1),
        report(5, "sampah di kemang raya", category="garbage", author="d"),
    ])
    app = create_app(store, desk_settings(incident_interval_s=0.2))
    with Server(app) as base, httpx.Client(base_url=base, timeout=30) as c:
        deadline = time.monotonic() + 15
        while True:  # the server groups on its own, every 0.2 s
            body = c.get("/api/v1/incidents", headers=ANALYST).json()
            if body["total"] == 3:
                break
            assert time.monotonic() < deadline, body
            time.sleep(0.1)
        top = body["items"][0]
        assert top["category"] == "flood" and top["report_count"] == 3 and top["reporter_count"] == 2
        with store.engine.connect() as conn:
            n, authors = conn.execute(sa.text(
                "SELECT count(*), count(DISTINCT author_ref) FROM tickets WHERE incident_id = :i"),
                {"i": top["id"]}).one()
        assert (n, authors) == (3, 2)
        listed = c.get("/api/v1/tickets", params={"incident": top["id"]}, headers=ANALYST).json()
        assert listed["total"] == 3
        pump = store.get("sms:4")["incident_id"]
        assert c.post("/api/v1/incidents/merge", json={"into": top["id"], "incidents": [pump]},
                      headers=ANALYST).status_code == 403
        r = c.post("/api/v1/incidents/merge", json={"into": top["id"], "incidents": [pump]}, headers=OPERATOR)
        assert r.status_code == 200 and r.json()["moved_tickets"] == 1
        assert c.get(f"/api/v1/incidents/{top['id']}", headers=ANALYST).json()["report_count"] == 4
        assert c.get(f"/api/v1/incidents/{pump}", headers=ANALYST).status_code == 404
        t4 = store.get("sms:4")["id"]
        r = c.post("/api/v1/incidents/split", json={"ticket_ids": [t4], "note": "beda masalah"}, headers=OPERATOR)
        assert r.status_code == 200
        new = r.json()["incident_id"]
        one = c.get(f"/api/v1/incidents/{new}", headers=ANALYST).json()
        assert one["report_count"] == 1 and [t["id"] for t in one["tickets"]] == [t4]
        hist = c.get(f"/api/v1/tickets/{t4}", headers=ANALYST).json()["history"]
        assert [e["data"]["by"] for e in hist if e["kind"] == "incident_linked"] == ["grouping", "merge", "split"]
        assert c.get("/api/v1/incidents").status_code == 401
    store.close()
