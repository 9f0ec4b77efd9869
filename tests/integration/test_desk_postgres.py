"""The desk on a real PostgreSQL server: operators acting on the same ticket at the same time."""

from __future__ import annotations

import random
import threading
import time

import pytest
import sqlalchemy as sa

from pipeline.errors import UnavailableError
from sink.desk import TRANSITIONS, Desk, DeskError, InvalidTransition, VersionConflict
from sink.models import STATUSES
from sink.store import TicketStore
from sink.synthetic import synthetic_messages

pytestmark = pytest.mark.postgres


@pytest.fixture
def url(fresh_postgres_url: str) -> str:
    s = TicketStore(fresh_postgres_url)
    s.migrate()
    s.write_batch([m for m in synthetic_messages(12) if m.category != "not_complaint"][:8])
    s.close()
    return fresh_postgres_url


def check_history_is_a_valid_chain(store: TicketStore, ticket_id: int) -> list[dict]:
    """Every status event starts where the previous one ended, follows the table, and the ticket ends where the
    last event does, at version 1 + the number of desk events."""
    events = store.events(ticket_id)
    status = None
    desk_events = 0
    for e in events:
        if e["kind"] == "created":
            status = e["to_status"]
            continue
        desk_events += 1
        if e["kind"] == "status_changed":
            assert e["from_status"] == status, f"lost or reordered event before {e}"
            assert e["to_status"] in TRANSITIONS[status], f"invalid transition recorded: {e}"
            status = e["to_status"]
    row = [t for t in store.list_tickets() if t["id"] == ticket_id][0]
    assert row["status"] == status in STATUSES
    assert row["version"] == 1 + desk_events
    return events


def test_many_operators_hammering_one_ticket_never_lose_an_event(url):
    """8 operators, each with its own connection, fire transitions at one ticket at once (released together by a
    barrier). Every success is exactly one event; every refusal leaves nothing; the history is a valid chain."""
    stores = [TicketStore(url, pool_size=1) for _ in range(8)]
    ticket_id = stores[0].list_tickets(status="new")[0]["id"]
    rounds = 25
    barrier = threading.Barrier(len(stores))
    successes: list[tuple[str, int]] = []
    refusals: list[str] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def operator(n: int, store: TicketStore) -> None:
        rnd = random.Random(n)
        desk = Desk(store)
        try:
            for _ in range(rounds):
                target = rnd.choice(STATUSES)
                barrier.wait(timeout=30)
                try:
                    ch = desk.transition(ticket_id, target, actor=f"op-{n}")
                    with lock:
                        successes.append((ch.event["to_status"], ch.ticket["version"]))
                except InvalidTransition as exc:
                    with lock:
                        refusals.append(str(exc))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=operator, args=(i, s)) for i, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for s in stores:
        s.close()
    assert not errors, errors
    store = TicketStore(url)
    try:
        events = check_history_is_a_valid_chain(store, ticket_id)
        status_events = [e for e in events if e["kind"] == "status_changed"]
        assert len(status_events) == len(successes) > rounds  # several operators did get through
        assert len(successes) + len(refusals) == rounds * len(stores)
        # Versions handed out are unique and gapless: no two operators ever applied on the same version.
        assert sorted(v for _, v in successes) == list(range(2, 2 + len(successes)))
        assert all(e["data"]["version"] == i + 2 for i, e in enumerate(status_events))
    finally:
        store.close()


def test_two_operators_with_the_same_screen_one_wins_one_is_told(url):
    """Both saw version 1 and act at the same instant with expected_version=1: exactly one applies."""
    a, b = TicketStore(url, pool_size=1), TicketStore(url, pool_size=1)
    ticket_id = a.list_tickets(status="new")[0]["id"]
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def act(name: str, store: TicketStore, target: str) -> None:
        barrier.wait(10)
        try:
            results[name] = Desk(store).transition(ticket_id, target, actor=name, expected_version=1)
        except DeskError as exc:
            results[name] = exc

    for _ in range(1):
        ts = [threading.Thread(target=act, args=("op-a", a, "dispatched")),
              threading.Thread(target=act, args=("op-b", b, "rejected"))]
        for t in ts:
            t.start()
        for t in ts:
            t.join(30)
    kinds = sorted(type(r).__name__ for r in results.values())
    assert kinds == ["Change", "VersionConflict"]
    check_history_is_a_valid_chain(a, ticket_id)
    assert len([e for e in a.events(ticket_id) if e["kind"] == "status_changed"]) == 1
    a.close()
    b.close()


def test_a_locked_ticket_makes_the_second_operator_wait_then_see_the_new_state(url):
    """Deterministic: another transaction holds the row (FOR UPDATE) and moves it to dispatched; the desk's
    update waits for it and then checks its transition against 'dispatched', not the stale 'new'."""
    store = TicketStore(url)
    ticket_id = store.list_tickets(status="new")[0]["id"]
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    done = threading.Event()
    outcome: list[object] = []

    def second() -> None:
        try:
            outcome.append(Desk(store).transition(ticket_id, "dismissed", actor="op-b"))
        except DeskError as exc:
            outcome.append(exc)
        done.set()

    with engine.connect() as conn:
        tx = conn.begin()
        conn.execute(sa.text("SELECT id FROM tickets WHERE id = :i FOR UPDATE"), {"i": ticket_id})
        t = threading.Thread(target=second)
        t.start()
        time.sleep(0.7)
        assert not done.is_set(), "the second operator did not wait for the row lock"
        conn.execute(sa.text("UPDATE tickets SET status = 'dispatched', version = version + 1 WHERE id = :i"),
                     {"i": ticket_id})
        conn.execute(sa.text(
            "INSERT INTO ticket_events (ticket_id, message_id, at, actor, kind, from_status, to_status, data) "
            "SELECT id, message_id, now(), 'op-a', 'status_changed', 'new', 'dispatched', "
            "jsonb_build_object('version', version) FROM tickets WHERE id = :i"), {"i": ticket_id})
        tx.commit()
    t.join(10)
    engine.dispose()
    assert isinstance(outcome[0], InvalidTransition)
    assert "cannot go from dispatched to dismissed" in str(outcome[0])
    check_history_is_a_valid_chain(store, ticket_id)
    store.close()


def test_recategorise_and_transition_at_once_both_recorded(url):
    a, b = TicketStore(url, pool_size=1), TicketStore(url, pool_size=1)
    ids = [t["id"] for t in a.list_tickets(status="new")][:5]
    errors: list[BaseException] = []

    def recat() -> None:
        try:
            for i in ids:
                row = [t for t in a.list_tickets() if t["id"] == i][0]
                Desk(a).recategorise(i, "garbage" if row["category"] != "garbage" else "flood", actor="op-a")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    def move() -> None:
        try:
            for i in ids:
                Desk(b).transition(i, "dispatched", actor="op-b")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    ts = [threading.Thread(target=recat), threading.Thread(target=move)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    assert not errors, errors
    for i in ids:
        events = check_history_is_a_valid_chain(a, i)
        kinds = [e["kind"] for e in events]
        assert kinds.count("recategorised") == 1 and kinds.count("status_changed") == 1
    a.close()
    b.close()


def test_desk_on_a_stopped_server_is_unavailable(url):
    store = TicketStore(url.rsplit("@", 1)[0] + "@127.0.0.1:1/nothing", connect_timeout_s=2)
    with pytest.raises(UnavailableError):
        Desk(store).transition(1, "dispatched", actor="op")
    assert VersionConflict.status_code == 409


# -- SQL for analysts ------------------------------------------------------------------------------------
def test_analyst_views_on_postgresql(url):
    store = TicketStore(url)
    desk = Desk(store)
    t = store.list_tickets(status="new")[0]["id"]
    for s in ("dispatched", "in_progress", "resolved"):
        desk.transition(t, s, actor="op")
    with store.engine.connect() as conn:
        cols = set(conn.execute(sa.text("SELECT * FROM analyst_tickets LIMIT 0")).keys())
        assert "author_ref" not in cols and "raw" not in cols and {"reported_day", "open311_status"} <= cols
        total = conn.execute(sa.text("SELECT sum(reports) FROM analyst_daily_counts")).scalar()
        assert total == store.count()
        row = conn.execute(sa.text("SELECT * FROM analyst_tickets WHERE id = :i"), {"i": t}).mappings().one()
        assert row["open311_status"] == "closed" and row["hours_to_resolution"] >= row["hours_to_first_action"] >= 0
        rt = conn.execute(sa.text("SELECT sum(resolved), sum(tickets), max(resolution_median_h) "
                                  "FROM analyst_response_times")).one()
        assert rt[0] == 1 and rt[1] == store.count() and rt[2] is not None
    store.close()


def test_readonly_role_is_created_when_permitted_else_refused_clearly(url):
    from sink.roles import RoleError, create_readonly_role

    store = TicketStore(url)
    with store.engine.connect() as conn:
        permitted = conn.execute(sa.text(
            "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")).scalar()
    if not permitted:
        with pytest.raises(RoleError, match="no CREATEROLE privilege"):
            create_readonly_role(store, "jemput_analyst_t", "fake-pw-for-test")
        store.close()
        return
    role = "ro_" + url.rsplit("/", 1)[1].lower()[:20]
    create_readonly_role(store, role, "fake-pw-for-test")
    ro = sa.create_engine(sa.engine.make_url(url).set(username=role, password="fake-pw-for-test"))
    try:
        with ro.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM analyst_tickets")).scalar() == store.count()
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"), ro.connect() as conn:
            conn.execute(sa.text("SELECT count(*) FROM tickets"))
    finally:
        ro.dispose()
        with store.engine.begin() as conn:
            db = sa.engine.make_url(url).database
            conn.execute(sa.text(f'REVOKE ALL ON analyst_tickets, analyst_daily_counts, analyst_response_times, '
                                 f'ticket_events FROM "{role}"'))
            conn.execute(sa.text(f'REVOKE ALL ON SCHEMA public FROM "{role}"'))
            conn.execute(sa.text(f'REVOKE ALL ON DATABASE "{db}" FROM "{role}"'))
            conn.execute(sa.text(f'DROP ROLE "{role}"'))
        store.close()
