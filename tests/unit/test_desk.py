"""The ticket desk on SQLite: lifecycle, routing, re-categorisation, re-assignment, queries, CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.contract import LocatedMessage, Location
from sink.desk import (
    TRANSITIONS,
    Desk,
    InvalidChange,
    InvalidTransition,
    TicketNotFound,
    VersionConflict,
    allowed_from,
)
from sink.models import STATUSES
from sink.query import Reader, TicketFilter
from sink.routing import DEFAULT_TABLE, Router, RoutingError
from sink.store import TicketStore

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def msg(i: int, category: str = "flood", text: str = "banjir 40 cm", *, kota: str = "31.74",
        kecamatan: str = "31.74.05", kelurahan: str = "31.74.05.1001", kel_name: str = "Bangka",
        channel: str = "sms", posted: datetime = T0) -> LocatedMessage:
    return LocatedMessage(
        message_id=f"{channel}:{i}", channel=channel, text=text, author_ref=f"a{i}", posted_at=posted,
        category=category, scores={category: 0.9}, confidence=0.9, model_version="m", geocoder_version="g",
        location=Location(precision="kelurahan", lat=-6.26, lon=106.81, kota_code=kota, kota_name="Jakarta Selatan",
                          kecamatan_code=kecamatan, kecamatan_name="Mampang Prapatan", kelurahan_code=kelurahan,
                          kelurahan_name=kel_name, method="gazetteer"),
    )


@pytest.fixture
def store(tmp_path: Path):
    s = TicketStore(f"sqlite:///{tmp_path / 't.sqlite3'}", connect_timeout_s=2)
    s.migrate()
    yield s
    s.close()


def tid(store: TicketStore, message_id: str) -> int:
    row = store.get(message_id)
    assert row is not None
    return row["id"]


# -- routing ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("category", "text", "kota", "agency"), [
    ("flood", "banjir", "31.74", "Dinas Sumber Daya Air"),
    ("flood", "banjir", "31.01", "Suku Dinas SDA Kepulauan Seribu"),
    ("garbage", "sampah", "31.74", "Dinas Lingkungan Hidup"),
    ("damaged_road", "jalan berlubang", "31.74", "Dinas Bina Marga"),
    ("transjakarta", "halte rusak", "31.74", "PT Transjakarta"),
    ("other", "Lampu Jalan mati", "31.74", "Dinas Bina Marga"),
    ("other", "parkir liar lagi", "31.74", "Dinas Perhubungan"),
    ("other", "anjing galak", "31.74", "Kelurahan Bangka"),
    ("not_complaint", "banjir orderan", "31.74", None),
])
def test_new_tickets_are_routed_when_created(store, category, text, kota, agency):
    store.write_batch([msg(1, category, text, kota=kota)])
    t = store.get("sms:1")
    assert t["assignee_agency"] == agency
    assert t["assignee_kelurahan_code"] == "31.74.05.1001"
    assert store.events(t["id"])[0]["data"]["agency"] == agency


def test_routing_specificity_and_fallback():
    r = Router.from_dict({"default_agency": "Balai Kota", "rule": [
        {"category": "other", "agency": "@kelurahan"},
        {"category": "flood", "agency": "DSDA"},
        {"category": "flood", "kota_code": "31.71", "agency": "Sudin SDA Pusat"},
        {"category": "flood", "kecamatan_code": "31.71.01", "agency": "Kecamatan Gambir"},
        {"category": "*", "keywords": ["pohon"], "agency": "Distamhut"},
    ]})
    assert r.route("flood", kota_code="31.71", kecamatan_code="31.71.01") == "Kecamatan Gambir"
    assert r.route("flood", kota_code="31.71", kecamatan_code="31.71.02") == "Sudin SDA Pusat"
    assert r.route("flood", kota_code="31.72") == "DSDA"
    assert r.route("other", kelurahan_name="Cideng") == "Kelurahan Cideng"
    assert r.route("other") == "Balai Kota"
    assert r.route("other", text="Pohon tumbang") == "Distamhut"
    assert r.route("garbage") is None


def test_routing_table_errors(tmp_path):
    with pytest.raises(RoutingError, match="unknown key"):
        Router.from_dict({"rule": [{"category": "flood", "agency": "x", "kota": "31.71"}]})
    with pytest.raises(RoutingError, match="needs a category and an agency"):
        Router.from_dict({"rule": [{"category": "flood"}]})
    bad = tmp_path / "r.toml"
    bad.write_text("[[rule]\n", encoding="utf-8")
    with pytest.raises(RoutingError, match="cannot read"):
        Router.load(bad)
    assert Router.load(DEFAULT_TABLE).rules


def test_a_routing_table_from_settings_is_used(tmp_path, monkeypatch):
    from config.settings import Settings
    from sink.service import build_store

    table = tmp_path / "routing.toml"
    table.write_text('[[rule]]\ncategory = "flood"\nagency = "Pompa Team"\n', encoding="utf-8")
    s = build_store(Settings(data_dir=tmp_path, desk={"routing_table": str(table)}))
    s.migrate()
    s.write_batch([msg(1)])
    assert s.get("sms:1")["assignee_agency"] == "Pompa Team"
    s.close()


# -- lifecycle --------------------------------------------------------------------------------------
def test_the_transition_table_covers_every_status_and_only_statuses():
    assert set(TRANSITIONS) == set(STATUSES)
    for targets in TRANSITIONS.values():
        assert targets <= set(STATUSES)
    assert TRANSITIONS["dismissed"] == {"new"}


@pytest.mark.parametrize("start", STATUSES)
def test_every_pair_is_allowed_exactly_per_the_table(store, start):
    store.write_batch([msg(i) for i in range(len(STATUSES))])
    desk = Desk(store)
    # Walk a ticket to `start` through allowed steps.
    path = {"new": [], "dispatched": ["dispatched"], "in_progress": ["dispatched", "in_progress"],
            "resolved": ["dispatched", "in_progress", "resolved"], "rejected": ["rejected"],
            "duplicate": ["duplicate"], "dismissed": ["dismissed"]}[start]
    for i, target in enumerate(STATUSES):
        t = tid(store, f"sms:{i}")
        for step in path:
            desk.transition(t, step, actor="setup")
        before = store.count_events()
        if target in TRANSITIONS[start]:
            ch = desk.transition(t, target, actor="op", note="why")
            assert ch.ticket["status"] == target and store.get(f"sms:{i}")["status"] == target
            assert store.count_events() == before + 1
        else:
            with pytest.raises(InvalidTransition) as err:
                desk.transition(t, target, actor="op")
            assert f"cannot go from {start} to {target}" in str(err.value)
            assert store.get(f"sms:{i}")["status"] == start and store.count_events() == before


def test_a_full_life_is_audited(store):
    store.write_batch([msg(1)])
    desk = Desk(store)
    t = tid(store, "sms:1")
    desk.transition(t, "dispatched", actor="op-a", note="ke DSDA")
    desk.transition(t, "in_progress", actor="dsda-1")
    ch = desk.transition(t, "resolved", actor="dsda-1", note="selesai", completion_note="got dikuras",
                         photo_url="https://img.example/done.jpg")
    row = store.get("sms:1")
    assert row["status"] == "resolved" and row["version"] == 4
    assert row["completion_note"] == "got dikuras" and row["completion_photo_url"] == "https://img.example/done.jpg"
    assert row["resolved_at"] == ch.event["at"] and row["first_action_at"] is not None
    assert row["first_action_at"] <= row["resolved_at"]
    ev = store.events(t)
    assert [(e["kind"], e["from_status"], e["to_status"], e["actor"]) for e in ev] == [
        ("created", None, "new", "sink"), ("status_changed", "new", "dispatched", "op-a"),
        ("status_changed", "dispatched", "in_progress", "dsda-1"),
        ("status_changed", "in_progress", "resolved", "dsda-1")]
    assert ev[1]["note"] == "ke DSDA" and ev[3]["data"]["photo_url"] == "https://img.example/done.jpg"
    assert all(e["at"].tzinfo is not None for e in ev)
    # Reopened: resolved_at is cleared, the completion kept for the record.
    desk.transition(t, "in_progress", actor="op-a", note="warga: belum beres")
    assert store.get("sms:1")["resolved_at"] is None


def test_dismissed_can_be_reopened_by_an_operator(store):
    store.write_batch([msg(1, "not_complaint", "banjir orderan")])
    t = tid(store, "sms:1")
    assert store.get("sms:1")["status"] == "dismissed"
    Desk(store).transition(t, "new", actor="op", note="ternyata pengaduan")
    assert store.get("sms:1")["status"] == "new"


def test_refusals_are_clear(store):
    store.write_batch([msg(1), msg(2)])
    desk = Desk(store)
    t = tid(store, "sms:1")
    with pytest.raises(TicketNotFound, match="no ticket 999"):
        desk.transition(999, "dispatched", actor="op")
    with pytest.raises(InvalidChange, match="unknown status"):
        desk.transition(t, "closed", actor="op")
    with pytest.raises(InvalidChange, match="only when resolving"):
        desk.transition(t, "dispatched", actor="op", completion_note="x")
    with pytest.raises(InvalidChange, match="http"):
        desk.transition(t, "dispatched", actor="op", photo_url="javascript:alert(1)")
    with pytest.raises(InvalidChange, match="actor"):
        desk.transition(t, "dispatched", actor=" ")
    with pytest.raises(InvalidChange, match="duplicate itself"):
        desk.transition(t, "duplicate", actor="op", duplicate_of=t)
    with pytest.raises(InvalidChange, match="no ticket 777"):
        desk.transition(t, "duplicate", actor="op", duplicate_of=777)
    assert store.count_events() == 2


def test_expected_version_guards_against_stale_screens(store):
    store.write_batch([msg(1)])
    desk = Desk(store)
    t = tid(store, "sms:1")
    desk.transition(t, "dispatched", actor="op-a", expected_version=1)
    with pytest.raises(VersionConflict, match="changed since version 1"):
        desk.transition(t, "rejected", actor="op-b", expected_version=1)
    assert store.get("sms:1")["status"] == "dispatched" and store.get("sms:1")["version"] == 2


def test_mark_duplicate_links_the_incident(store):
    store.write_batch([msg(1), msg(2)])
    desk = Desk(store)
    a, b = tid(store, "sms:1"), tid(store, "sms:2")
    ch = desk.transition(b, "duplicate", actor="op", duplicate_of=a)
    assert ch.event["data"]["duplicate_of"] == a


# -- re-categorising and re-assigning ---------------------------------------------------------------
def test_recategorise_writes_the_correction_event_and_reroutes(store):
    store.write_batch([msg(1, "flood", "sampah di kali")])
    t = tid(store, "sms:1")
    changes = Desk(store).recategorise(t, "garbage", actor="op", note="sampah, bukan banjir")
    row = store.get("sms:1")
    assert row["category"] == "garbage" and row["assignee_agency"] == "Dinas Lingkungan Hidup"
    ev = store.events(t)
    rec = [e for e in ev if e["kind"] == "recategorised"]
    assert len(rec) == 1 and rec[0]["data"] == {"from": "flood", "to": "garbage"} and rec[0]["actor"] == "op"
    re = [e for e in ev if e["kind"] == "reassigned"]
    assert re[0]["data"]["from_agency"] == "Dinas Sumber Daya Air"
    assert re[0]["data"]["to_agency"] == "Dinas Lingkungan Hidup"
    assert len(changes) == 2 and row["version"] == 3
    with pytest.raises(InvalidChange, match="already garbage"):
        Desk(store).recategorise(t, "garbage", actor="op")
    with pytest.raises(InvalidChange, match="unknown category"):
        Desk(store).recategorise(t, "potholes", actor="op")


def test_recategorise_without_agency_change_writes_one_event(store):
    store.write_batch([msg(1, "other", "lampu jalan mati")])  # Dinas Bina Marga by keyword
    t = tid(store, "sms:1")
    changes = Desk(store).recategorise(t, "damaged_road", actor="op")
    assert len(changes) == 1 and store.get("sms:1")["assignee_agency"] == "Dinas Bina Marga"


def test_reassign_by_hand(store):
    store.write_batch([msg(1)])
    t = tid(store, "sms:1")
    ch = Desk(store).reassign(t, actor="op", agency="Sudin SDA Jakarta Selatan", note="wilayah")
    assert ch.event["data"] == {"from_agency": "Dinas Sumber Daya Air", "to_agency": "Sudin SDA Jakarta Selatan"}
    with pytest.raises(InvalidChange, match="already assigned"):
        Desk(store).reassign(t, actor="op", agency="Sudin SDA Jakarta Selatan")


# -- queries ----------------------------------------------------------------------------------------
def test_filters_and_week_buckets_on_sqlite(store):
    store.write_batch([
        msg(1, posted=datetime(2026, 11, 16, 17, 30, tzinfo=UTC)),  # Tue 17 Nov 00:30 WIB
        msg(2, "garbage", "sampah 100% numpuk", posted=datetime(2026, 11, 22, 16, 59, tzinfo=UTC)),  # Sun 23:59 WIB
        msg(3, "garbage", "sampah", posted=datetime(2026, 11, 22, 17, 0, tzinfo=UTC), channel="app",
            kelurahan="31.74.05.1002", kel_name="Kuningan Barat"),  # Mon 23 Nov 00:00 WIB
    ])
    r = Reader(store)
    weeks = {(x["category"], x["period"]): x["count"] for x in r.counts(TicketFilter(), period="week", area=None)}
    assert weeks == {("flood", "2026-11-16"): 1, ("garbage", "2026-11-16"): 1, ("garbage", "2026-11-23"): 1}
    days = {x["period"] for x in r.counts(TicketFilter(), period="day", area=None)}
    assert days == {"2026-11-17", "2026-11-22", "2026-11-23"}
    assert r.page(TicketFilter(q="100%"), limit=10)[0] == 1  # % is matched literally
    assert r.page(TicketFilter(kelurahan=("kuningan barat",)), limit=10)[0] == 1
    assert r.page(TicketFilter(channel=("app",), category=("garbage",)), limit=10)[0] == 1


# -- CLI --------------------------------------------------------------------------------------------
@pytest.fixture
def cli_run(tmp_path, monkeypatch):
    import os

    from pipeline.cli import cli

    for k in list(os.environ):
        if k.startswith("JEMPUT_") and not k.startswith("JEMPUT_TEST_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("JEMPUT_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "data").mkdir()
    s = TicketStore(f"sqlite:///{tmp_path / 'data' / 'tickets.sqlite3'}")
    s.migrate()
    s.write_batch([msg(1), msg(2, "garbage", "sampah numpuk", channel="app"),
                   msg(3, "garbage", "sampah", posted=T0 + timedelta(days=8))])
    s.close()

    def invoke(*args: str):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return invoke


def test_cli_filters_show_update_stats_export(cli_run, tmp_path):
    rows = [json.loads(x) for x in cli_run("tickets", "list", "--format", "json", "--category", "garbage")
            .output.splitlines()]
    assert [r["message_id"] for r in rows] == ["app:2", "sms:3"]
    rows = [json.loads(x) for x in cli_run("tickets", "list", "--format", "json", "--channel", "app",
                                           "--search", "numpuk").output.splitlines()]
    assert [r["message_id"] for r in rows] == ["app:2"]
    rows = cli_run("tickets", "list", "--format", "json", "--since", "2026-11-25").output.splitlines()
    assert [json.loads(x)["message_id"] for x in rows] == ["sms:3"]

    # Ids follow the sorted message ids of the batch: 1 = app:2, 2 = sms:1, 3 = sms:3.
    out = cli_run("tickets", "update", "1", "--status", "dispatched", "--actor", "op-a", "--note", "ke DSDA")
    assert out.exit_code == 0 and "new -> dispatched" in out.output
    bad = cli_run("tickets", "update", "1", "--status", "resolved", "--actor", "op-a")
    assert bad.exit_code == 5 and "cannot go from dispatched to resolved" in bad.output
    shown = json.loads(cli_run("tickets", "show", "1", "--format", "json").output)
    assert [e["to_status"] for e in shown["history"]] == ["new", "dispatched"]
    assert shown["allowed_transitions"] == allowed_from("dispatched") and "raw" not in shown["ticket"]
    assert "ke DSDA" in cli_run("tickets", "show", "1").output
    assert cli_run("tickets", "show", "42").exit_code == 5

    out = cli_run("tickets", "recategorise", "2", "transjakarta", "--actor", "op-b")
    assert "agency PT Transjakarta" in out.output

    counts = [json.loads(x) for x in cli_run("tickets", "stats", "counts", "--period", "week", "--area", "none",
                                             "--format", "json").output.splitlines()]
    assert {(c["category"], c["period"], c["count"]) for c in counts} == {
        ("garbage", "2026-11-16", 1), ("transjakarta", "2026-11-16", 1), ("garbage", "2026-11-23", 1)}
    backlog = cli_run("tickets", "stats", "backlog", "--by", "agency", "--format", "csv").output
    assert "Dinas Lingkungan Hidup" in backlog and "PT Transjakarta" in backlog

    target = tmp_path / "out.geojson"
    assert cli_run("tickets", "export", "--format", "geojson", "--out", str(target)).exit_code == 0
    fc = json.loads(target.read_text(encoding="utf-8"))
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 3
    csv_out = cli_run("tickets", "export", "--category", "transjakarta").output.splitlines()
    assert len(csv_out) == 2 and csv_out[0].startswith("id,message_id")


# -- SQL for analysts ---------------------------------------------------------------------------------
def test_analyst_views_on_sqlite(store):
    import sqlalchemy as sa

    store.write_batch([msg(1, posted=datetime(2026, 11, 16, 17, 30, tzinfo=UTC)), msg(2, "garbage", "sampah")])
    with store.engine.connect() as conn:
        days = conn.execute(sa.text("SELECT day, category, reports, open FROM analyst_daily_counts "
                                    "ORDER BY day")).all()
        assert [tuple(d) for d in days] == [("2026-11-17", "flood", 1, 1), ("2026-11-20", "garbage", 1, 1)]
        cols = set(conn.execute(sa.text("SELECT * FROM analyst_tickets LIMIT 0")).keys())
        assert "author_ref" not in cols and "raw" not in cols


def test_readonly_role_sql_validates():
    from sink.roles import RoleError, create_readonly_role, readonly_role_sql

    stmts = readonly_role_sql("jemput_analyst", "jemput", "p'w", 5)
    assert any("PASSWORD 'p''w'" in s for s in stmts)
    assert any("statement_timeout = '5000ms'" in s for s in stmts)
    assert stmts[-1].startswith("GRANT SELECT ON analyst_tickets")
    with pytest.raises(RoleError, match="role name"):
        readonly_role_sql('x"; DROP TABLE tickets; --', "jemput")
    with pytest.raises(RoleError, match=r"\$"):
        readonly_role_sql("ok", "jemput", "a$$b")
    with pytest.raises(RoleError, match="PostgreSQL only"):
        create_readonly_role(TicketStore("sqlite://"), "ok")


def test_public_text_masks_handles_phones_and_emails():
    from sink.api.open311 import public_text

    assert public_text("banjir, kata @warga_kemang: hub 0812-3456-7890 / +62 812 3456 7890 / a.b@mail.co.id") == (
        "banjir, kata @[akun]: hub [nomor] / [nomor] / [email]")
    assert public_text("banjir 50 cm di RT 05 RW 12, 2026") == "banjir 50 cm di RT 05 RW 12, 2026"


def test_api_keys_are_validated():
    from config.settings import ConfigError, load_settings

    with pytest.raises(ConfigError, match="api_keys"):
        load_settings(desk={"api_keys": [{"name": "x", "key": "short", "role": "analyst"}]})
    with pytest.raises(ConfigError, match="role"):
        load_settings(desk={"api_keys": [{"name": "x", "key": "long-enough-key-123", "role": "admin"}]})
