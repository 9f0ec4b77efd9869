"""The scheduler keeps every source going when one fails; the cursor store; the runner's contract with a poller."""

from __future__ import annotations

import threading
import time

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import create_engine, inspect, text

from harvester.cursors import VERSION_TABLE, CursorStore
from harvester.metrics import harvest_metrics
from harvester.pollers.base import Poller, PollResult, Rejected
from harvester.runner import HarvestRunner
from harvester.scheduler import HarvestScheduler, SourceJob, backoff_delay
from pipeline import topics
from pipeline.contract import RawMessage, decode
from pipeline.errors import PermanentError, TransientError
from pipeline.transport.memory import MemoryTransport
from tests.helpers import wait_for


class Counting(Poller):
    """One message per poll; the cursor is the number of polls delivered."""

    channel = "app"

    def __init__(self, name: str, pages_per_poll: int = 1) -> None:
        super().__init__(name)
        self.polls = 0
        self.acked: list[str] = []
        self.closed = False
        self.pages_per_poll = pages_per_poll
        self.seen_cursors: list[str | None] = []

    def poll(self, cursor: str | None) -> PollResult:
        self.polls += 1
        self.seen_cursors.append(cursor)
        n = int(cursor or 0) + 1
        msg = RawMessage(message_id=f"app:{self.name}-{n}", channel="app", text=f"laporan {n}")
        return PollResult([msg], cursor=str(n), more=n % self.pages_per_poll != 0, to_acknowledge=[str(n)])

    def acknowledge(self, result: PollResult) -> None:
        self.acked.extend(result.to_acknowledge)

    def close(self) -> None:
        self.closed = True


class Broken(Poller):
    channel = "sms"

    def __init__(self, name: str, exc: BaseException) -> None:
        super().__init__(name)
        self.exc = exc
        self.polls = 0
        self.times: list[float] = []

    def poll(self, cursor: str | None) -> PollResult:
        self.polls += 1
        self.times.append(time.monotonic())
        raise self.exc


@pytest.fixture
def cursors(tmp_path):
    store = CursorStore(f"sqlite:///{tmp_path / 'tickets.sqlite3'}")
    store.migrate()
    yield store
    store.close()


def test_a_failing_source_keeps_the_scheduler_and_the_others_running(cursors):
    transport = MemoryTransport()
    registry = CollectorRegistry()
    metrics = harvest_metrics(registry)
    good, other = Counting("good"), Counting("other")
    bug, perm = Broken("buggy", RuntimeError("boom in the parser")), Broken("misconfigured", PermanentError("bad url"))
    jobs = [SourceJob(HarvestRunner(p, transport, cursors, metrics=metrics), interval_s=0.05)
            for p in (good, bug, other, perm)]
    sched = HarvestScheduler(jobs, failure_backoff_max_s=0.4).start()
    try:
        wait_for(lambda: good.polls >= 8 and other.polls >= 8 and bug.polls >= 2 and perm.polls >= 2, 15,
                 "every source polled several times")
        status = sched.status()
    finally:
        assert sched.stop(5)
    # The healthy sources went on at their own pace while the broken ones backed off.
    assert bug.polls < good.polls and perm.polls < good.polls
    # Backoff: the gaps between the buggy source's polls grow (0.05 -> 0.1 -> 0.2 ... capped at 0.4, +-10%).
    gaps = [b - a for a, b in zip(bug.times, bug.times[1:], strict=False)]
    assert gaps and max(gaps) >= 0.15
    # Every message of the healthy sources was delivered once, in order.
    got = [decode(RawMessage, r.value).message_id for r in transport.records(topics.RAW)]
    goods = [m for m in got if m.startswith("app:good-")]
    assert goods == [f"app:good-{i}" for i in range(1, len(goods) + 1)] and len(goods) >= 8
    assert good.acked == [str(i) for i in range(1, len(goods) + 1)]
    # The errors are visible: cursor store (what 'harvest status' shows), scheduler status, metrics.
    state = cursors.state("buggy")
    assert state.consecutive_failures >= 2 and "RuntimeError: boom in the parser" in state.last_error
    assert state.cursor is None and state.errors_total == state.consecutive_failures
    assert cursors.state("good").consecutive_failures == 0 and cursors.state("good").last_error is None
    assert status["sources"]["buggy"]["last_error"] == "RuntimeError: boom in the parser"
    assert status["sources"]["misconfigured"]["consecutive_failures"] >= 2
    assert status["sources"]["good"]["last_poll_ok"] is True
    assert registry.get_sample_value("jemput_harvest_errors_total",
                                     {"source": "buggy", "channel": "sms", "kind": "bug"}) >= 2
    assert registry.get_sample_value("jemput_harvest_errors_total",
                                     {"source": "misconfigured", "channel": "sms", "kind": "permanent"}) >= 2
    assert registry.get_sample_value("jemput_harvest_consecutive_failures",
                                     {"source": "buggy", "channel": "sms"}) >= 2
    assert registry.get_sample_value("jemput_harvest_last_success_timestamp_seconds",
                                      {"source": "good", "channel": "app"}) > time.time() - 60
    assert registry.get_sample_value("jemput_harvest_last_success_timestamp_seconds",
                                     {"source": "buggy", "channel": "sms"}) is None
    assert good.closed and other.closed


def test_stop_finishes_the_poll_in_hand_then_closes(cursors):
    transport = MemoryTransport()
    entered, release = threading.Event(), threading.Event()

    class Slow(Counting):
        def poll(self, cursor):
            entered.set()
            release.wait(5)
            return super().poll(cursor)

    slow = Slow("slow", pages_per_poll=100)  # it always says more: only the stop ends its poll
    sched = HarvestScheduler([SourceJob(HarvestRunner(slow, transport, cursors,
                                                      metrics=harvest_metrics(CollectorRegistry())), 60)]).start()
    assert entered.wait(5)
    stopper = threading.Thread(target=lambda: results.append(sched.stop(5)))
    results: list[bool] = []
    stopper.start()
    time.sleep(0.1)
    assert not results  # waiting for the poll in hand
    release.set()
    stopper.join(5)
    assert results == [True]
    # The page in hand was flushed and its cursor saved; no further page was started.
    assert [decode(RawMessage, r.value).message_id for r in transport.records(topics.RAW)] == ["app:slow-1"]
    assert cursors.get("slow") == "1" and slow.polls == 1 and slow.closed


def test_runner_follows_more_up_to_its_bound_then_resumes(cursors):
    transport = MemoryTransport()
    p = Counting("paged", pages_per_poll=5)
    runner = HarvestRunner(p, transport, cursors, max_pages=3, metrics=harvest_metrics(CollectorRegistry()))
    r1 = runner.run_once()
    assert (r1.pages, r1.produced, r1.more_waiting) == (3, 3, True)
    r2 = runner.run_once()
    assert (r2.pages, r2.more_waiting) == (2, False)
    assert p.seen_cursors == [None, "1", "2", "3", "4"]
    assert cursors.state("paged").messages_total == 5


def test_short_retry_after_is_waited_out_long_one_ends_the_poll(cursors):
    class Limited(Counting):
        def __init__(self, name, retry_after):
            super().__init__(name)
            self.retry_after = retry_after
            self.refused = False

        def poll(self, cursor):
            if not self.refused:
                self.refused = True
                raise TransientError("429", retry_after=self.retry_after)
            return super().poll(cursor)

    transport = MemoryTransport()
    quick = Limited("quick", 0.2)
    r = HarvestRunner(quick, transport, cursors, rate_limit_wait_max_s=1,
                      metrics=harvest_metrics(CollectorRegistry())).run_once()
    assert r.ok and r.produced == 1 and r.waited_s == pytest.approx(0.2)
    slow = Limited("slow", 120)
    r = HarvestRunner(slow, transport, cursors, rate_limit_wait_max_s=1,
                      metrics=harvest_metrics(CollectorRegistry())).run_once()
    assert not r.ok and r.retry_after == 120 and r.produced == 0
    assert backoff_delay(60, 3, 900, retry_after=r.retry_after) == 120


def test_rejected_records_are_counted_not_fatal(cursors):
    class Mixed(Counting):
        def poll(self, cursor):
            res = super().poll(cursor)
            res.rejected.append(Rejected("item 7", "missing text"))
            return res

    registry = CollectorRegistry()
    r = HarvestRunner(Mixed("mixed"), MemoryTransport(), cursors, metrics=harvest_metrics(registry)).run_once()
    assert r.ok and r.produced == 1 and [x.reason for x in r.rejected] == ["missing text"]
    assert cursors.state("mixed").rejected_total == 1
    assert registry.get_sample_value("jemput_harvest_rejected_total", {"source": "mixed", "channel": "app"}) == 1


def test_backoff_doubles_up_to_the_cap():
    import random

    rng = random.Random(1)
    delays = [backoff_delay(10, n, 100, rng=rng) for n in range(1, 7)]
    for got, base in zip(delays, [10, 20, 40, 80, 100, 100], strict=True):
        assert base * 0.9 <= got <= min(100, base * 1.1)


def test_cursor_store_shares_the_ticket_database_with_the_sink(tmp_path):
    from sink.store import TicketStore

    url = f"sqlite:///{tmp_path / 'tickets.sqlite3'}"
    tickets = TicketStore(url)
    tickets.migrate()
    store = CursorStore(url)
    store.migrate()
    store.migrate()  # idempotent
    tickets.migrate()
    try:
        assert store.schema_revision() == "h0001"
        assert tickets.schema_revision() == tickets.head_revision()
        engine = create_engine(url)
        with engine.connect() as conn:
            names = set(inspect(conn).get_table_names())
            assert {"tickets", "harvest_sources", "alembic_version", VERSION_TABLE} <= names
            assert conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar() == "h0001"
        engine.dispose()
        store.save_page("s", "app", "c1", messages=2)
        assert store.record_failure("s", "app", "E1") == 1
        assert store.record_failure("s", "app", "E2") == 2
        st = store.state("s")
        assert (st.cursor, st.consecutive_failures, st.errors_total, st.last_error) == ("c1", 2, 2, "E2")
        store.save_page("s", "app", None, messages=1, rejected=3)  # None keeps the cursor
        st = store.state("s")
        assert (st.cursor, st.consecutive_failures, st.messages_total, st.rejected_total) == ("c1", 0, 3, 3)
        assert st.last_success_at is not None and st.last_success_at.tzinfo is not None
        assert store.reset("s") and store.get("s") is None and not store.reset("nope")
    finally:
        store.close()
        tickets.close()


def test_cursor_store_unavailable_is_an_unavailable_error(tmp_path):
    from pipeline.errors import UnavailableError

    store = CursorStore(f"sqlite:///{tmp_path / 'missing-dir' / 'x.sqlite3'}", connect_timeout_s=0.2)
    with pytest.raises(UnavailableError, match="cursor store"):
        store.get("x")


def test_run_now_during_a_poll_polls_again_right_after_it(cursors):
    entered, release = threading.Event(), threading.Event()

    class Slow(Counting):
        def poll(self, cursor):
            if self.polls == 0:
                entered.set()
                release.wait(5)
            return super().poll(cursor)

    slow = Slow("slow")
    sched = HarvestScheduler([SourceJob(HarvestRunner(slow, MemoryTransport(), cursors,
                                                      metrics=harvest_metrics(CollectorRegistry())), 3600)]).start()
    try:
        assert entered.wait(5)
        sched.run_now("slow")  # e.g. the Twitter stream reconnected while the poll was running
        release.set()
        wait_for(lambda: slow.polls >= 2, 5, "a second poll right after the first, not an hour later")
    finally:
        assert sched.stop(5)
    assert slow.seen_cursors[:2] == [None, "1"]
