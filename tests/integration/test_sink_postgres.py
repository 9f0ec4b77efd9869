"""The sink on a real PostgreSQL server (scripts/postgres start): idempotency, concurrent writers, outages."""

from __future__ import annotations

import random
import socket
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from multiprocessing import get_context

import pytest
import sqlalchemy as sa

from pipeline.contract import LocatedMessage, Location
from pipeline.errors import PermanentError, UnavailableError
from sink.models import Base
from sink.processor import SinkProcessor
from sink.store import TicketStore, WriteResult

pytestmark = pytest.mark.postgres

POSTED = datetime(2026, 11, 20, 8, 30, tzinfo=timezone(timedelta(hours=7)))


def located(i: int, category: str = "flood", **kw) -> LocatedMessage:
    fields = dict(
        message_id=f"sms:{i}",
        channel="sms",
        text=f"sampah menumpuk di TPS Jl Melati {i}, sudah 3 hari tidak diangkut",
        author_ref=f"a{i % 5}",
        posted_at=POSTED,
        media=(f"https://img.example/{i}.jpg",),
        raw={"gateway_id": i, "nested": {"ok": True}},
        category=category,
        scores={category: 0.9},
        confidence=0.9,
        model_version="clf-1",
        geocoder_version="geo-1",
        location=Location(
            precision="kelurahan",
            lat=-6.2,
            lon=106.85,
            kelurahan_code="31.71.01.1001",
            kelurahan_name="Gambir",
            method="gazetteer",
        ),
    )
    fields.update(kw)
    return LocatedMessage(**fields)


@pytest.fixture
def store(fresh_postgres_url: str):
    s = TicketStore(fresh_postgres_url, connect_timeout_s=5)
    s.migrate()
    yield s
    s.close()


def closed_loopback_port() -> int:
    """A loopback port nothing listens on: connections to it are refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- idempotency --------------------------------------------------------------------------------------


def test_redelivery_changes_nothing_on_postgresql(store: TicketStore):
    batch = [located(i) for i in range(20)]
    assert store.write_batch(batch + batch[:3]) == WriteResult(inserted=20, duplicates=3)
    tickets = store.list_tickets()
    events = [e for t in tickets for e in store.events(t["id"])]

    changed = [m.model_copy(update={"text": "redelivered", "category": "other"}) for m in batch]
    assert store.write_batch(changed) == WriteResult(inserted=0, duplicates=20)
    assert store.write_batch(batch[5:10] + [located(20)]) == WriteResult(inserted=1, duplicates=5)

    assert store.list_tickets()[:20] == tickets
    assert [e for t in tickets for e in store.events(t["id"])] == events
    assert store.count() == 21 and store.count_events() == 21 == store.count_events("created")


def test_fields_round_trip_on_postgresql(store: TicketStore):
    store.write_batch([located(1), located(2, "not_complaint")])
    t = store.get("sms:1")
    assert t["raw"] == {"gateway_id": 1, "nested": {"ok": True}} and t["media"] == ["https://img.example/1.jpg"]
    assert t["scores"] == {"flood": 0.9} and t["status"] == "new"
    assert t["posted_at"] == POSTED and t["posted_at"].utcoffset() == timedelta(0)
    assert t["received_at"].tzinfo is not None and t["created_at"].tzinfo is not None
    assert t["assignee_kelurahan_code"] == "31.71.01.1001"
    assert store.get("sms:2")["status"] == "dismissed"
    [ev] = store.events(store.get("sms:2")["id"])
    assert (ev["kind"], ev["to_status"], ev["actor"]) == ("created", "dismissed", "sink")


def test_schema_on_postgresql(store: TicketStore, fresh_postgres_url: str):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    store.migrate()  # again: harmless
    assert store.check() == f"{store.describe()} (schema {store.head_revision()})"
    assert store.describe().startswith("postgresql 127.0.0.1:")
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata) == []
        kinds = dict(
            conn.execute(
                sa.text(
                    "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'tickets'"
                )
            ).all()
        )
    assert kinds["raw"] == "jsonb" and kinds["created_at"] == "timestamp with time zone"


# -- bad input ----------------------------------------------------------------------------------------


def test_values_postgresql_rejects_are_isolated(store: TicketStore):
    nul = located(2, text="banjir\x00 di Cawang")  # the contract drops NUL, which PostgreSQL text cannot hold
    too_long = LocatedMessage(**{**located(3).model_dump(), "channel": "c" * 70, "message_id": "c" * 70 + ":3"})
    proc = SinkProcessor(store)
    outcomes = proc.process_batch([located(1), nul, located(4), too_long, located(1)])
    assert outcomes[0] is None and outcomes[1] is None and outcomes[2] is None and outcomes[4] is None
    assert isinstance(outcomes[3], PermanentError) and not isinstance(outcomes[3], UnavailableError)
    assert [t["message_id"] for t in store.list_tickets()] == ["sms:1", "sms:2", "sms:4"]
    assert store.get("sms:2")["text"] == "banjir di Cawang"
    assert store.count_events() == 3


# -- concurrency --------------------------------------------------------------------------------------

N_CONCURRENT = 300


def _write_overlapping(url: str, seed: int, rounds: int, barrier=None) -> int:
    """Write every message of a shared set in shuffled, overlapping batches; return how many it inserted."""
    rng = random.Random(seed)
    messages = [located(i) for i in range(N_CONCURRENT)]
    store = TicketStore(url, connect_timeout_s=10, pool_size=2)
    try:
        if barrier is not None:
            barrier.wait()
        inserted = 0
        for _ in range(rounds):
            rng.shuffle(messages)
            for start in range(0, len(messages), 37):
                batch = messages[start : start + 37] + rng.sample(messages, 5)  # overlap within and across
                inserted += store.write_batch(batch).inserted
        return inserted
    finally:
        store.close()


def test_concurrent_threads_make_exactly_one_ticket_per_message(store: TicketStore, fresh_postgres_url: str):
    workers = 4
    barrier = threading.Barrier(workers)
    results: list[int] = []
    errors: list[BaseException] = []

    def run(seed: int) -> None:
        try:
            results.append(_write_overlapping(fresh_postgres_url, seed, 2, barrier))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(seed,)) for seed in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert sum(results) == N_CONCURRENT  # each message inserted by exactly one writer
    assert store.count() == N_CONCURRENT
    assert store.count_events() == N_CONCURRENT
    with store.engine.connect() as conn:
        per_ticket = conn.execute(sa.text("SELECT count(*) FROM ticket_events GROUP BY ticket_id")).scalars().all()
    assert set(per_ticket) == {1}


@pytest.mark.slow
def test_concurrent_processes_make_exactly_one_ticket_per_message(store: TicketStore, fresh_postgres_url: str):
    with ProcessPoolExecutor(max_workers=3, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(_write_overlapping, fresh_postgres_url, seed, 2) for seed in range(3)]
        inserted = [f.result(timeout=120) for f in futures]
    assert sum(inserted) == N_CONCURRENT
    assert store.count() == N_CONCURRENT and store.count_events() == N_CONCURRENT


def test_concurrent_migrations_do_not_collide(fresh_postgres_url: str):
    stores = [TicketStore(fresh_postgres_url) for _ in range(3)]
    barrier = threading.Barrier(len(stores))
    errors: list[BaseException] = []

    def run(s: TicketStore) -> None:
        try:
            barrier.wait()
            s.migrate()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert all(s.schema_revision() == s.head_revision() for s in stores)
    for s in stores:
        s.close()


# -- outages ------------------------------------------------------------------------------------------


def test_unreachable_database_is_unavailable_promptly():
    url = f"postgresql+psycopg://jemput:jemput@127.0.0.1:{closed_loopback_port()}/jemput_test"
    s = TicketStore(url, connect_timeout_s=2)
    started = time.monotonic()
    with pytest.raises(UnavailableError, match="refused"):
        s.write_batch([located(1)])
    with pytest.raises(UnavailableError):
        s.check()
    with pytest.raises(UnavailableError):
        s.migrate()
    assert time.monotonic() - started < 5
    proc = SinkProcessor(s)
    with pytest.raises(UnavailableError):  # raised, so the runner retries the whole batch without bound
        proc.process_batch([located(1), located(2)])


def test_a_server_that_never_answers_times_out_as_unavailable():
    """A TCP listener that accepts nothing: the connection hangs until connect_timeout, then Unavailable."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        s = TicketStore(f"postgresql+psycopg://jemput:jemput@127.0.0.1:{port}/x", connect_timeout_s=2)
        started = time.monotonic()
        with pytest.raises(UnavailableError):
            s.write_batch([located(1)])
        elapsed = time.monotonic() - started
    assert 1 <= elapsed < 10


def test_wrong_password_is_unavailable_not_permanent(fresh_postgres_url: str):
    url = sa.engine.make_url(fresh_postgres_url).set(password="wrong")
    s = TicketStore(url, connect_timeout_s=2)
    with pytest.raises(UnavailableError):
        s.write_batch([located(1)])


def test_killed_connections_are_replaced(store: TicketStore, fresh_postgres_url: str):
    store.write_batch([located(1)])
    admin = sa.create_engine(fresh_postgres_url)
    with admin.connect() as conn:
        killed = conn.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = 'jemput-sink' AND pid <> pg_backend_pid()"
            )
        ).scalar()
    admin.dispose()
    assert killed >= 1
    assert store.write_batch([located(2)]).inserted == 1  # pool_pre_ping reconnects
    assert store.count() == 2


def test_write_result_timestamps_are_utc(store: TicketStore):
    before = datetime.now(UTC)
    store.write_batch([located(1)])
    t = store.get("sms:1")
    assert before <= t["created_at"] <= datetime.now(UTC)
