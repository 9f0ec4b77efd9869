"""The sink on SQLite: idempotent ticket writes, status, events, bad-message isolation, failure mapping."""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.categories import LABELS, NOT_COMPLAINT
from config.settings import RunnerSettings, Settings
from pipeline import topics
from pipeline.contract import LocatedMessage, Location, decode, encode
from pipeline.errors import PermanentError, UnavailableError
from sink.models import STATUSES, Base
from sink.processor import SinkProcessor
from sink.service import build_processor
from sink.store import TicketStore, WriteResult

POSTED = datetime(2026, 11, 20, 8, 30, tzinfo=timezone(timedelta(hours=7)))  # WIB
RECEIVED = datetime(2026, 11, 20, 1, 31, 5, tzinfo=UTC)


def located(i: int, category: str = "flood", *, text: str | None = None, **kw) -> LocatedMessage:
    fields = dict(
        message_id=f"twitter:{i}",
        channel="twitter",
        text=text if text is not None else f"banjir 50 cm di Jl Kemang Raya no {i}",
        author_ref=f"author-{i % 3}",
        posted_at=POSTED,
        received_at=RECEIVED,
        media=(f"https://img.example/{i}.jpg",),
        lang="id",
        raw={"id_str": str(i), "nested": {"n": i}},
        trace_id=f"trace-{i}",
        category=category,
        scores={category: 0.8, "other": 0.2},
        confidence=0.8,
        needs_review=False,
        runner_up="other",
        model_version="clf-1",
        geocoder_version="geo-1",
        location=Location(
            precision="kelurahan",
            lat=-6.26,
            lon=106.81,
            kota_code="31.74",
            kota_name="Jakarta Selatan",
            kecamatan_code="31.74.05",
            kecamatan_name="Mampang Prapatan",
            kelurahan_code="31.74.05.1001",
            kelurahan_name="Bangka",
            matched_text="Jl Kemang Raya",
            span=(13, 27),
            method="gazetteer",
        ),
    )
    fields.update(kw)
    return LocatedMessage(**fields)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture
def store(tmp_path: Path):
    s = TicketStore(sqlite_url(tmp_path / "tickets.sqlite3"), connect_timeout_s=2)
    s.migrate()
    yield s
    s.close()


def all_events(store: TicketStore) -> list[dict]:
    return [e for t in store.list_tickets() for e in store.events(t["id"])]


# -- writing ------------------------------------------------------------------------------------------


def test_a_batch_becomes_tickets_with_every_field(store: TicketStore):
    before = datetime.now(UTC)
    result = store.write_batch([located(1), located(2, "garbage")])
    assert result == WriteResult(inserted=2, duplicates=0)
    assert set(result.inserted_ids) == {"twitter:1", "twitter:2"}

    t = store.get("twitter:1")
    assert t is not None
    assert t["channel"] == "twitter"
    assert t["text"] == "banjir 50 cm di Jl Kemang Raya no 1"
    assert t["author_ref"] == "author-1" and t["reply_to"] is None
    assert t["media"] == ["https://img.example/1.jpg"]
    assert t["raw"] == {"id_str": "1", "nested": {"n": 1}}
    assert t["lang"] == "id" and t["trace_id"] == "trace-1"
    assert t["category"] == "flood" and t["scores"] == {"flood": 0.8, "other": 0.2}
    assert t["confidence"] == 0.8 and t["needs_review"] is False and t["runner_up"] == "other"
    assert t["status"] == "new"
    assert t["assignee_kelurahan_code"] == "31.74.05.1001"  # the kelurahan comes from the geocoder
    assert t["assignee_agency"] == "Dinas Sumber Daya Air" and t["incident_id"] is None  # routed at creation
    assert (t["precision"], t["lat"], t["lon"]) == ("kelurahan", -6.26, 106.81)
    assert (t["kota_code"], t["kota_name"]) == ("31.74", "Jakarta Selatan")
    assert (t["kecamatan_code"], t["kecamatan_name"]) == ("31.74.05", "Mampang Prapatan")
    assert (t["kelurahan_code"], t["kelurahan_name"]) == ("31.74.05.1001", "Bangka")
    assert t["matched_text"] == "Jl Kemang Raya" and t["location_method"] == "gazetteer"
    assert (t["model_version"], t["geocoder_version"]) == ("clf-1", "geo-1")
    # Timezone-aware, the same instants (SQLite has no time zones: stored in UTC, read back as UTC).
    assert t["posted_at"] == POSTED and t["posted_at"].tzinfo is not None
    assert t["posted_at"].utcoffset() == timedelta(0)
    assert t["received_at"] == RECEIVED
    assert before <= t["created_at"] <= datetime.now(UTC)
    assert t["updated_at"] == t["created_at"] and t["resolved_at"] is None

    assert store.get("twitter:2")["category"] == "garbage"
    assert store.get("twitter:404") is None
    assert [x["message_id"] for x in store.list_tickets()] == ["twitter:1", "twitter:2"]


def test_optional_fields_absent():
    m = LocatedMessage(
        message_id="sms:abc",
        channel="sms",
        text="lampu jalan mati",
        category="other",
        confidence=0.55,
        model_version="m",
        geocoder_version="g",
    )
    with TicketStore("sqlite://") as s:  # in-memory
        s.migrate()
        s.write_batch([m])
        t = s.get("sms:abc")
    assert t["raw"] is None and t["media"] == [] and t["posted_at"] is None and t["lat"] is None
    assert t["precision"] == "none" and t["location_method"] == "none" and t["kelurahan_code"] is None


def test_not_complaint_is_dismissed_other_categories_are_new(store: TicketStore):
    store.write_batch([located(i, label) for i, label in enumerate(LABELS)])
    statuses = {t["category"]: t["status"] for t in store.list_tickets()}
    assert statuses == {label: ("dismissed" if label == NOT_COMPLAINT else "new") for label in LABELS}
    assert store.count() == len(LABELS)
    assert store.count("dismissed") == 1
    assert store.count(["new", "dismissed"]) == len(LABELS)
    assert [t["category"] for t in store.list_tickets(status=["dismissed"])] == [NOT_COMPLAINT]


def test_one_created_event_per_new_ticket(store: TicketStore):
    store.write_batch([located(1), located(2, NOT_COMPLAINT)])
    for t in store.list_tickets():
        [ev] = store.events(t["id"])
        assert ev["kind"] == "created" and ev["actor"] == "sink"
        assert ev["ticket_id"] == t["id"] and ev["message_id"] == t["message_id"]
        assert ev["from_status"] is None and ev["to_status"] == t["status"]
        assert ev["at"] == t["created_at"]
        assert ev["data"]["category"] == t["category"] and ev["data"]["model_version"] == "clf-1"


def test_redelivered_batch_changes_nothing_not_even_events(store: TicketStore):
    batch = [located(i) for i in range(5)]
    assert store.write_batch(batch) == WriteResult(inserted=5, duplicates=0)
    tickets, events = store.list_tickets(), all_events(store)

    # Redelivered after a crash, possibly with a different classification: the first write stands.
    again = [m.model_copy(update={"category": "garbage", "text": "changed"}) for m in batch]
    assert store.write_batch(again) == WriteResult(inserted=0, duplicates=5)
    assert store.write_batch(batch) == WriteResult(inserted=0, duplicates=5)

    assert store.list_tickets() == tickets  # byte for byte, updated_at included
    assert all_events(store) == events
    assert store.count_events() == 5


def test_duplicates_within_one_batch_make_one_ticket(store: TicketStore):
    first = located(1)
    echo = located(1, text="the same message id again")
    result = store.write_batch([first, located(2), echo, first])
    assert result == WriteResult(inserted=2, duplicates=2)
    assert store.count() == 2 and store.count_events() == 2
    assert store.get("twitter:1")["text"] == first.text  # the first occurrence wins


def test_partial_overlap_inserts_only_the_new_ones(store: TicketStore):
    store.write_batch([located(1), located(2)])
    result = store.write_batch([located(2), located(3), located(1), located(4)])
    assert result == WriteResult(inserted=2, duplicates=2)
    assert result.inserted_ids == ("twitter:3", "twitter:4")
    assert store.count() == 4 and store.count_events() == 4


def test_empty_batch(store: TicketStore):
    assert store.write_batch([]) == WriteResult(0, 0)


def test_list_tickets_paging(store: TicketStore):
    store.write_batch([located(i) for i in range(10)])
    page = store.list_tickets(limit=3, offset=4)
    assert [t["message_id"] for t in page] == ["twitter:4", "twitter:5", "twitter:6"]
    ids = [t["id"] for t in store.list_tickets()]
    assert ids == sorted(ids)


# -- bad input --------------------------------------------------------------------------------------


def nan_payload_bytes(i: int) -> bytes:
    """A record whose provider payload holds a NaN. Our own stages encode NaN as null, but a record written by
    another producer (or edited for a dead-letter replay) may carry the token: Python's json accepts it, so it
    passes the contract, yet it is not JSON and no JSON column may keep it."""
    good = encode(located(i)).decode()
    bad = good.replace(f'"nested":{{"n":{i}}}', '"nested":{"n":NaN}')
    assert bad != good
    return bad.encode()


def nan_payload_message(i: int) -> LocatedMessage:
    return decode(LocatedMessage, nan_payload_bytes(i))


def out_of_range_message(i: int) -> LocatedMessage:
    """A value the database's CHECK constraint rejects. The contract forbids it too, but model_copy(update=)
    skips validation: what an in-process stage with a bug would hand over."""
    return located(i).model_copy(update={"confidence": 1.5})


@pytest.mark.parametrize("make_bad", [nan_payload_message, out_of_range_message])
def test_write_batch_is_all_or_nothing(store: TicketStore, make_bad):
    with pytest.raises(PermanentError):
        store.write_batch([located(1), make_bad(2), located(3)])
    assert store.count() == 0 and store.count_events() == 0


@pytest.mark.parametrize("make_bad", [nan_payload_message, out_of_range_message])
def test_a_bad_message_is_isolated_and_the_rest_written(store: TicketStore, make_bad):
    store.write_batch([located(0)])
    proc = SinkProcessor(store)
    batch = [located(1), make_bad(2), located(3), located(0), make_bad(4)]
    outcomes = proc.process_batch(batch)

    assert outcomes[0] is None and outcomes[2] is None and outcomes[3] is None
    assert isinstance(outcomes[1], PermanentError) and isinstance(outcomes[4], PermanentError)
    assert not isinstance(outcomes[1], UnavailableError)
    assert "twitter:2" in str(outcomes[1]) or "ck_tickets_confidence" in str(outcomes[1])
    assert [t["message_id"] for t in store.list_tickets()] == ["twitter:0", "twitter:1", "twitter:3"]
    assert store.count_events() == 3
    assert (proc.inserted_total, proc.failed_total) == (2, 2)


def test_error_text_never_carries_the_sql_or_the_message_text(store: TicketStore):
    bad = out_of_range_message(2)
    with pytest.raises(PermanentError) as info:
        store.write_batch([bad])
    msg = str(info.value)
    assert "ck_tickets_confidence" in msg or "CHECK" in msg
    assert "INSERT" not in msg and bad.text not in msg


# -- failures of the database -----------------------------------------------------------------------


def test_unreachable_sqlite_file_is_unavailable(tmp_path: Path):
    s = TicketStore(sqlite_url(tmp_path / "no" / "such" / "dir" / "t.sqlite3"))
    with pytest.raises(UnavailableError):
        s.write_batch([located(1)])
    with pytest.raises(UnavailableError):
        s.check()
    with pytest.raises(UnavailableError):
        s.migrate()


def test_a_locked_database_is_unavailable_then_recovers(store: TicketStore, tmp_path: Path):
    store.write_batch([located(1)])
    holder = sqlite3.connect(tmp_path / "tickets.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
    try:
        impatient = TicketStore(sqlite_url(tmp_path / "tickets.sqlite3"), connect_timeout_s=0.2)
        started = time.monotonic()
        with pytest.raises(UnavailableError, match="locked"):
            impatient.write_batch([located(2)])
        assert time.monotonic() - started < 5
        assert isinstance(impatient.check(), str)  # readers are not blocked (WAL)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert impatient.write_batch([located(2)]).inserted == 1
    impatient.close()


def test_processor_lets_unavailable_propagate_so_the_whole_batch_is_retried(store: TicketStore):
    calls = []

    def down(messages):
        calls.append(len(messages))
        raise UnavailableError("database down")

    proc = SinkProcessor(store)
    store.write_batch = down  # type: ignore[method-assign]
    with pytest.raises(UnavailableError):
        proc.process_batch([located(1), located(2)])
    assert calls == [2]  # no one-by-one fallback for an outage


def test_sqlite_pragmas(store: TicketStore):
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 2000


def test_status_is_constrained(store: TicketStore):
    import sqlalchemy as sa

    store.write_batch([located(1)])
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE tickets SET status = 'closed'"))
    for status in STATUSES:
        with store.engine.begin() as conn:
            conn.execute(sa.text("UPDATE tickets SET status = :s"), {"s": status})


def test_events_need_a_ticket(store: TicketStore):
    import sqlalchemy as sa

    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO ticket_events (ticket_id, message_id, at, actor, kind) VALUES (999, 'x:1', '2026-01-01', 'a', 'created')"
            )
        )


def test_concurrent_writers_on_one_sqlite_file(tmp_path: Path):
    url = sqlite_url(tmp_path / "t.sqlite3")
    TicketStore(url).migrate()
    messages = [located(i) for i in range(60)]
    inserted: list[int] = []
    barrier = threading.Barrier(3)

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        s = TicketStore(url, connect_timeout_s=10)
        barrier.wait()
        for _ in range(5):
            batch = rng.sample(messages, 25)
            inserted.append(s.write_batch(batch).inserted)
        for start in range(0, 60, 20):
            inserted.append(s.write_batch(messages[start : start + 20]).inserted)
        s.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    s = TicketStore(url)
    assert s.count() == 60 and s.count_events() == 60 and sum(inserted) == 60


# -- schema -----------------------------------------------------------------------------------------


def test_migrate_twice_is_harmless(tmp_path: Path):
    s = TicketStore(sqlite_url(tmp_path / "t.sqlite3"))
    assert s.schema_revision() is None
    assert s.check().endswith("(schema none: not migrated)")
    s.migrate()
    s.write_batch([located(1)])
    s.migrate()
    s.migrate()
    assert s.schema_revision() == s.head_revision() is not None
    assert s.count() == 1 and s.count_events() == 1
    assert s.check() == f"sqlite {tmp_path / 't.sqlite3'} (schema {s.head_revision()})"
    s.close()


def test_the_models_match_the_migrations(store: TicketStore):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_indexes_exist(store: TicketStore):
    import sqlalchemy as sa

    names = {ix["name"] for ix in sa.inspect(store.engine).get_indexes("tickets")}
    assert {
        "ix_tickets_status",
        "ix_tickets_category",
        "ix_tickets_kelurahan_code",
        "ix_tickets_created_at",
    } <= names


# -- processor and service --------------------------------------------------------------------------


def test_processor_declares_its_stage(store: TicketStore):
    proc = SinkProcessor(store)
    assert proc.name == "sink" and proc.input_topic == topics.LOCATED
    assert proc.output_topic is None and proc.input_model is LocatedMessage
    assert proc.process_batch([located(1), located(2), located(1)]) == [None, None, None]
    assert proc.check().endswith(f"(schema {store.head_revision()})")
    assert (proc.inserted_total, proc.duplicates_total) == (2, 1)


def test_processor_writes_in_chunks_of_batch_size(store: TicketStore):
    sizes = []
    real = store.write_batch
    store.write_batch = lambda ms: (sizes.append(len(ms)), real(ms))[1]  # type: ignore[method-assign]
    proc = SinkProcessor(store, batch_size=4)
    assert proc.process_batch([located(i) for i in range(10)]) == [None] * 10
    assert sizes == [4, 4, 2] and store.count() == 10


def test_build_processor_creates_the_data_dir_and_migrates(tmp_path: Path, monkeypatch):
    for var in ("JEMPUT_DATABASE__URL", "JEMPUT_CONFIG", "JEMPUT_DATA_DIR"):
        monkeypatch.delenv(var, raising=False)
    data_dir = tmp_path / "not" / "yet"
    proc = build_processor(Settings(data_dir=data_dir, sink={"batch_size": 7}))
    try:
        assert (data_dir / "tickets.sqlite3").is_file()
        assert proc.batch_size == 7
        assert proc.check() == f"sqlite {data_dir / 'tickets.sqlite3'} (schema {proc.store.head_revision()})"
        proc.process_batch([located(1)])
        assert proc.store.count() == 1
    finally:
        proc.close()


def test_build_processor_with_a_database_url(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("JEMPUT_CONFIG", raising=False)
    url = sqlite_url(tmp_path / "elsewhere.sqlite3")
    proc = build_processor(
        Settings(data_dir=tmp_path / "data", database={"url": url, "connect_timeout_s": 3})
    )
    try:
        assert proc.check().startswith(f"sqlite {tmp_path / 'elsewhere.sqlite3'}")
        assert not (tmp_path / "data").exists()
        assert "secret" not in repr(proc.store)
    finally:
        proc.close()


def test_through_the_stage_runner_redelivery_is_absorbed_and_bad_messages_dead_lettered(store: TicketStore):
    from pipeline.runner import StageRunner
    from pipeline.transport.memory import MemoryTransport

    t = MemoryTransport()
    producer = t.producer()
    good = [located(i) for i in range(6)]
    records = [encode(m) for m in good] + [nan_payload_bytes(99)] + [encode(m) for m in good[:3]]
    for value in records:  # the first three are delivered twice
        producer.send(topics.LOCATED, value)
    producer.flush()
    runner = StageRunner(
        SinkProcessor(store),
        t,
        RunnerSettings(batch_size=4, poll_timeout_s=0.01, max_attempts=2, backoff_initial_s=0.001),
        rng=random.Random(1),
    )
    for _ in range(50):
        if runner.run_once() == 0 and runner.is_drained():
            break
    assert store.count() == 6 and store.count_events() == 6
    [dead] = t.records(topics.dlq(topics.LOCATED))
    assert dead.value == nan_payload_bytes(99)
    assert dead.header_str(topics.H_DLQ_KIND) == "permanent"


# -- property: any redelivery pattern ends with exactly one ticket and one event per message -------------

N = 7
MESSAGES = [located(i, LABELS[i % len(LABELS)]) for i in range(N)]


@st.composite
def deliveries(draw) -> list[list[int]]:
    """Every message at least once, some again, in any order, cut into batches of any size."""
    stream = list(range(N)) + draw(st.lists(st.integers(0, N - 1), max_size=3 * N))
    stream = draw(st.permutations(stream))
    cuts = sorted(draw(st.sets(st.integers(1, len(stream) - 1), max_size=len(stream) - 1)))
    bounds = [0, *cuts, len(stream)]
    return [stream[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches=deliveries(), via_processor=st.booleans())
def test_any_interleaving_and_repetition_ends_with_n_tickets_and_n_events(batches, via_processor):
    with TicketStore("sqlite://") as s:
        s.migrate()
        proc = SinkProcessor(s, batch_size=3)
        seen: set[int] = set()
        for batch in batches:
            msgs = [MESSAGES[i] for i in batch]
            if via_processor:
                before = s.count()
                assert proc.process_batch(msgs) == [None] * len(msgs)
                assert s.count() - before == len(set(batch) - seen)
            else:
                result = s.write_batch(msgs)
                assert result.inserted == len(set(batch) - seen)  # only what was never written before
                assert result.duplicates == len(batch) - result.inserted
            seen |= set(batch)
        assert s.count() == N
        assert s.count_events() == N == s.count_events("created")
        for t in s.list_tickets():
            assert len(s.events(t["id"])) == 1
        assert sorted(t["message_id"] for t in s.list_tickets()) == sorted(m.message_id for m in MESSAGES)
