"""Incidents on SQLite: grouping by category, place, time and words; merge, split, duplicates; counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.contract import LocatedMessage, Location
from sink.desk import Desk, InvalidChange
from sink.incidents import GroupingRules, IncidentNotFound, Incidents, distance_m, jaccard, words
from sink.store import TicketStore

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def report(i: int, text: str, *, category: str = "flood", author: str | None = "a", hours: float = 0,
           kel: str = "31.74.05.1001", lat: float = -6.2600, lon: float = 106.8100) -> LocatedMessage:
    return LocatedMessage(
        message_id=f"sms:{i}", channel="sms", text=text, author_ref=author, posted_at=T0 + timedelta(hours=hours),
        category=category, scores={category: 0.9}, confidence=0.9, model_version="m", geocoder_version="g",
        location=Location(precision="kelurahan", lat=lat, lon=lon, kelurahan_code=kel, kelurahan_name=f"kel {kel}",
                          method="gazetteer"),
    )


@pytest.fixture
def store(tmp_path: Path):
    s = TicketStore(f"sqlite:///{tmp_path / 't.sqlite3'}")
    s.migrate()
    yield s
    s.close()


def incident_of(store: TicketStore, i: int) -> int | None:
    return store.get(f"sms:{i}")["incident_id"]


def test_helpers():
    assert words("Banjir di Jl. Kemang, air naik 50 cm yang tinggi") == {"banjir", "kemang", "air", "naik", "tinggi"}
    assert jaccard({"a", "b"}, {"b", "c"}) == pytest.approx(1 / 3) and jaccard(set(), {"a"}) == 0
    assert distance_m(-6.2, 106.8, -6.2, 106.8) == 0
    assert 1100 < distance_m(-6.2, 106.8, -6.21, 106.8) < 1120  # 0.01 degree of latitude ~ 1.11 km


def test_reports_of_the_same_problem_are_one_incident_and_others_are_not(store):
    store.write_batch([
        report(1, "banjir di jalan kemang raya setinggi lutut", author="a"),
        report(2, "jalan kemang raya banjir lagi, air setinggi lutut", author="b", hours=2),
        report(3, "kemang raya banjir parah", author="a", hours=5, kel="31.74.05.1002", lat=-6.2620),  # 222 m
        report(4, "banjir di jalan kemang raya", author="c", hours=24 * 5),  # too late
        report(5, "banjir di jalan kemang raya", author="d", hours=1, kel="31.71.01.1001", lat=-6.17),  # too far
        report(6, "sampah menumpuk di kemang raya", category="garbage", author="e", hours=1),  # other category
        report(7, "pompa rusak total mesin mati", author="f", hours=1),  # different words
        report(8, "banjir orderan kemang raya", category="not_complaint", author="g", hours=1),  # dismissed
        report(9, "banjir jalan kemang raya", author=None, hours=3),  # anonymous reporter
    ])
    inc = Incidents(store, GroupingRules(radius_m=500, window_h=72, min_similarity=0.15))
    assert inc.group_new() == {"grouped": 8, "joined": 3}
    same = incident_of(store, 1)
    assert same is not None
    assert {i for i in range(1, 10) if incident_of(store, i) == same} == {1, 2, 3, 9}
    assert len({incident_of(store, i) for i in (1, 4, 5, 6, 7)}) == 5
    assert incident_of(store, 8) is None
    got = inc.get(same)
    assert got["report_count"] == 4 and got["reporter_count"] == 3  # a, b, and one anonymous
    assert got["first_reported_at"] == T0 and got["last_reported_at"] == T0 + timedelta(hours=5)
    assert [t["id"] for t in got["tickets"]] == sorted(store.get(f"sms:{i}")["id"] for i in (1, 2, 3, 9))
    ev = [e for e in store.events(store.get("sms:2")["id"]) if e["kind"] == "incident_linked"]
    assert ev[0]["data"] == {"incident_id": same, "from": None, "by": "grouping"} and ev[0]["actor"] == "grouping"
    # Idempotent: nothing left to group; a later report joins the open incident.
    assert inc.group_new() == {"grouped": 0, "joined": 0}
    store.write_batch([report(10, "masih banjir di kemang raya", author="h", hours=30)])
    assert inc.group_new() == {"grouped": 1, "joined": 1}
    assert incident_of(store, 10) == same and inc.get(same)["report_count"] == 5
    total, rows = inc.list(min_reports=2)
    assert total == 1 and rows[0]["id"] == same and "keywords" not in rows[0]


def test_merge_split_and_duplicate(store):
    store.write_batch([report(1, "banjir kemang", author="a"), report(2, "pompa mati total", author="b"),
                       report(3, "got mampet", author="c", kel="31.71.01.1001", lat=-6.17)])
    inc = Incidents(store)
    inc.group_new()
    a, b, c = (incident_of(store, i) for i in (1, 2, 3))
    assert len({a, b, c}) == 3
    r = inc.merge(a, [b, c], actor="op", note="satu kejadian")
    assert r["moved_tickets"] == 2
    assert {incident_of(store, i) for i in (1, 2, 3)} == {a}
    assert inc.get(a)["report_count"] == 3 and inc.get(a)["reporter_count"] == 3
    with pytest.raises(IncidentNotFound):
        inc.get(b)
    t3 = store.get("sms:3")["id"]
    ev = [e for e in store.events(t3) if e["kind"] == "incident_linked"][-1]
    assert ev["data"] == {"incident_id": a, "from": c, "by": "merge"} and ev["note"] == "satu kejadian"

    s = inc.split([t3], actor="op")
    assert incident_of(store, 3) == s["incident_id"] != a and s["from"] == [a]
    assert inc.get(a)["report_count"] == 2 and inc.get(s["incident_id"])["report_count"] == 1

    # Marking ticket 3 a duplicate of ticket 1 puts it back into ticket 1's incident, counts follow.
    Desk(store).transition(t3, "duplicate", actor="op", duplicate_of=store.get("sms:1")["id"])
    assert incident_of(store, 3) == a and inc.get(a)["report_count"] == 3
    with pytest.raises(IncidentNotFound):
        inc.get(s["incident_id"])  # emptied, so gone

    with pytest.raises(InvalidChange, match="at least one other"):
        inc.merge(a, [a], actor="op")
    with pytest.raises(IncidentNotFound, match="no incident 999"):
        inc.merge(a, [999], actor="op")
    store.write_batch([report(4, "sampah", category="garbage")])
    with pytest.raises(InvalidChange, match="one category"):
        inc.split([store.get("sms:1")["id"], store.get("sms:4")["id"]], actor="op")


def test_incident_commands(tmp_path, monkeypatch):
    import json
    import os

    from click.testing import CliRunner

    from pipeline.cli import cli

    for k in list(os.environ):
        if k.startswith("JEMPUT_") and not k.startswith("JEMPUT_TEST_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("JEMPUT_DATA_DIR", str(tmp_path))
    s = TicketStore(f"sqlite:///{tmp_path / 'tickets.sqlite3'}")
    s.migrate()
    s.write_batch([report(1, "banjir kemang raya", author="a"), report(2, "kemang raya banjir lagi", author="b"),
                   report(3, "pompa mati total", author="c")])
    s.close()

    def run(*args: str):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    assert "grouped 3 ticket(s); 1 joined" in run("desk", "group-incidents").output
    rows = [json.loads(x) for x in run("desk", "incidents", "--format", "json").output.splitlines()]
    assert [(r["report_count"], r["reporter_count"]) for r in rows] == [(2, 2), (1, 1)]
    out = run("desk", "merge-incidents", str(rows[0]["id"]), str(rows[1]["id"]), "--actor", "op")
    assert "1 ticket(s) moved" in out.output
    out = run("desk", "split-incident", "3", "--actor", "op")
    assert out.exit_code == 0 and "new incident" in out.output
    assert run("desk", "merge-incidents", "1", "999", "--actor", "op").exit_code == 5
    shown = json.loads(run("tickets", "show", "3", "--format", "json").output)
    assert [e["data"]["by"] for e in shown["history"] if e["kind"] == "incident_linked"] == [
        "grouping", "merge", "split"]
