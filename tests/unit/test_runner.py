"""The stage runner's delivery, retry and dead-letter policy, on the in-memory transport."""

from __future__ import annotations

import random
import threading

import pytest

from config.settings import RunnerSettings
from pipeline import topics
from pipeline.contract import ClassifiedMessage, RawMessage, decode, encode
from pipeline.errors import PermanentError, TransientError, UnavailableError
from pipeline.runner import StageRunner
from pipeline.stage import Processor
from pipeline.transport.memory import MemoryTransport


def raw(i: int, text: str = "banjir") -> RawMessage:
    return RawMessage(message_id=f"file:{i}", channel="file", text=text)


class Upper(Processor):
    """Classifies everything as flood; fails on demand by text."""

    name = "test"
    input_topic = topics.RAW
    output_topic = topics.CLASSIFIED
    input_model = RawMessage

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.transient_until: dict[str, int] = {}
        self.unavailable_until: dict[str, int] = {}

    def process(self, m: RawMessage) -> RawMessage:
        n = self.calls[m.message_id] = self.calls.get(m.message_id, 0) + 1
        if m.text == "permanent":
            raise PermanentError("cannot handle this")
        if m.text == "bug":
            raise ZeroDivisionError("oops")
        if n <= self.transient_until.get(m.message_id, 0):
            raise TransientError("try later")
        if n <= self.unavailable_until.get(m.message_id, 0):
            raise UnavailableError("database down")
        return ClassifiedMessage(**m.model_dump(), category="flood", confidence=1.0, model_version="t")


FAST = RunnerSettings(batch_size=10, poll_timeout_s=0.01, max_attempts=3, backoff_initial_s=0.001, backoff_max_s=0.002)


def make(transport: MemoryTransport, proc: Processor | None = None, **kw) -> StageRunner:
    settings = FAST.model_copy(update=kw)
    return StageRunner(proc or Upper(), transport, settings, rng=random.Random(1))


def put(t: MemoryTransport, *values: bytes) -> None:
    p = t.producer()
    for v in values:
        p.send(topics.RAW, v)
    p.flush()


def drain(r: StageRunner) -> None:
    for _ in range(100):
        if r.run_once() == 0 and r.is_drained():
            return
    raise AssertionError("runner did not drain")


def dlq_reasons(t: MemoryTransport) -> list[str]:
    return [rec.header_str(topics.H_DLQ_ERROR) or "" for rec in t.records(topics.dlq(topics.RAW))]


def test_messages_flow_and_offsets_commit_after_output():
    t = MemoryTransport()
    put(t, *(encode(raw(i)) for i in range(25)))
    r = make(t)
    drain(r)
    out = [decode(ClassifiedMessage, v) for v in t.values(topics.CLASSIFIED)]
    assert [m.message_id for m in out] == [f"file:{i}" for i in range(25)]
    assert t.group_lag("jemput.test", [topics.RAW]) == 0
    rec = t.records(topics.CLASSIFIED)[0]
    assert rec.key == b"file:0" and rec.header(topics.H_SCHEMA) == b"1"


def test_failed_flush_means_no_commit_and_no_loss():
    t = MemoryTransport()
    put(t, *(encode(raw(i)) for i in range(5)))
    r = make(t)
    t.fail_flushes = 2  # the broker refuses twice, then recovers: the runner waits it out
    drain(r)
    assert len(t.values(topics.CLASSIFIED)) == 5
    assert t.group_lag("jemput.test", [topics.RAW]) == 0


def test_crash_before_commit_redelivers():
    t = MemoryTransport()
    put(t, *(encode(raw(i)) for i in range(5)))
    r = make(t)

    class Boom(Exception):
        pass

    def crash(records):
        raise Boom()

    r.consumer.commit = crash  # the process dies between flush and commit
    with pytest.raises(Boom):
        r.run_once()
    assert len(t.values(topics.CLASSIFIED)) == 5  # output was flushed...
    assert t.group_lag("jemput.test", [topics.RAW]) == 5  # ...but nothing committed
    again = make(t)
    drain(again)  # a restarted stage gets all five again: at-least-once, duplicates are the sink's to absorb
    assert len(t.values(topics.CLASSIFIED)) == 10
    assert t.group_lag("jemput.test", [topics.RAW]) == 0


@pytest.mark.parametrize(
    "value, reason",
    [
        (b"not json at all", "decode: not JSON"),
        (b"\xc3\x28 invalid utf-8", "decode: not UTF-8"),
        (b'{"schema_version": 2, "message_id": "file:x", "channel": "file", "text": "x"}', "unsupported schema_version 2"),
        (b'{"schema_version": 1, "channel": "file"}', "message_id"),
        (b"x" * 300_000, "exceeds max_message_bytes"),
    ],
)
def test_bad_records_are_dead_lettered_with_reason_and_the_stage_goes_on(value, reason):
    t = MemoryTransport()
    put(t, encode(raw(1)), value, encode(raw(2)))
    r = make(t)
    drain(r)
    assert [decode(ClassifiedMessage, v).message_id for v in t.values(topics.CLASSIFIED)] == ["file:1", "file:2"]
    [dead] = t.records(topics.dlq(topics.RAW))
    assert dead.value == value  # the original bytes, untouched
    assert reason in dead.header_str(topics.H_DLQ_ERROR)
    assert dead.header_str(topics.H_DLQ_KIND) == "permanent"
    assert dead.header_str(topics.H_DLQ_STAGE) == "test"
    assert dead.header_str(topics.H_DLQ_TOPIC) == topics.RAW
    assert dead.header_str(topics.H_DLQ_OFFSET) == "1"


def test_permanent_and_unexpected_errors_go_straight_to_dlq():
    t = MemoryTransport()
    proc = Upper()
    put(t, encode(raw(1, "permanent")), encode(raw(2, "bug")), encode(raw(3)))
    drain(make(t, proc))
    assert proc.calls["file:1"] == 1 and proc.calls["file:2"] == 1  # never retried
    reasons = dlq_reasons(t)
    assert any("PermanentError: cannot handle this" in x for x in reasons)
    assert any("ZeroDivisionError: oops" in x for x in reasons)
    assert len(t.values(topics.CLASSIFIED)) == 1


def test_transient_errors_are_retried_then_succeed():
    t = MemoryTransport()
    proc = Upper()
    proc.transient_until["file:1"] = 2  # fails twice, third attempt works (max_attempts=3)
    put(t, encode(raw(1)))
    drain(make(t, proc))
    assert proc.calls["file:1"] == 3
    assert len(t.values(topics.CLASSIFIED)) == 1 and not t.values(topics.dlq(topics.RAW))


def test_transient_errors_exhausted_are_dead_lettered():
    t = MemoryTransport()
    proc = Upper()
    proc.transient_until["file:1"] = 99
    put(t, encode(raw(1)), encode(raw(2)))
    drain(make(t, proc))
    assert proc.calls["file:1"] == 3  # bounded
    [dead] = t.records(topics.dlq(topics.RAW))
    assert dead.header_str(topics.H_DLQ_KIND) == "transient-exhausted"
    assert dead.header_str(topics.H_DLQ_ATTEMPTS) == "3"
    assert [decode(RawMessage, v).message_id for v in t.values(topics.CLASSIFIED)] == ["file:2"]


def test_unavailable_is_waited_out_never_dead_lettered():
    t = MemoryTransport()
    proc = Upper()
    proc.unavailable_until["file:1"] = 10  # far more than max_attempts
    put(t, encode(raw(1)))
    drain(make(t, proc))
    assert proc.calls["file:1"] == 11
    assert not t.values(topics.dlq(topics.RAW)) and len(t.values(topics.CLASSIFIED)) == 1


def test_backoff_grows_is_capped_and_jittered():
    r = make(MemoryTransport(), backoff_initial_s=1.0, backoff_max_s=8.0)
    r.settings = r.settings.model_copy(update={"backoff_jitter": 0.0})
    assert [r._backoff(a) for a in range(1, 6)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    r.settings = r.settings.model_copy(update={"backoff_jitter": 0.5})
    delays = {round(r._backoff(3), 6) for _ in range(50)}
    assert len(delays) > 10 and all(2.0 <= d <= 6.0 for d in delays)


def test_retry_after_overrides_backoff():
    class RateLimited(Upper):
        def process(self, m):
            self.calls[m.message_id] = self.calls.get(m.message_id, 0) + 1
            if self.calls[m.message_id] == 1:
                raise TransientError("429", retry_after=0.05)
            return super().process(m)

    t = MemoryTransport()
    put(t, encode(raw(1)))
    r = make(t, RateLimited())
    waits: list[float] = []
    real_wait = r._wait
    r._wait = lambda s: (waits.append(s), real_wait(s))[1]
    drain(r)
    assert waits == [0.05]


def test_stop_mid_retry_leaves_batch_uncommitted():
    t = MemoryTransport()
    proc = Upper()
    proc.unavailable_until["file:1"] = 10**9
    put(t, encode(raw(1)))
    r = make(t, proc, backoff_initial_s=0.01)
    threading.Timer(0.1, r.stop).start()
    r.run()  # returns once stopped
    assert t.group_lag("jemput.test", [topics.RAW]) == 1  # redelivered on the next start


def test_processor_returning_wrong_count_is_a_bug_not_a_loss():
    class Broken(Upper):
        def process_batch(self, messages):
            return []

    t = MemoryTransport()
    put(t, encode(raw(1)))
    drain(make(t, Broken()))
    assert "returned 0 outcomes for 1 messages" in dlq_reasons(t)[0]


def test_oversized_dead_letters_keep_their_head_and_true_size():
    t = MemoryTransport()
    value = b"y" * 5000
    put(t, value)
    drain(make(t, max_message_bytes=1024, max_dead_letter_bytes=2048))
    [dead] = t.records(topics.dlq(topics.RAW))
    assert dead.value == value[:2048]
    assert dead.header_str(topics.H_DLQ_TRUNCATED) == "5000"
