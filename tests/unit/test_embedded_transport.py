"""The embedded SQLite log keeps Kafka's consumer-group semantics on one machine."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time

import pytest

from pipeline.errors import TransportError
from pipeline.transport.embedded import EmbeddedTransport


def fill(t: EmbeddedTransport, topic: str, n: int, start: int = 0) -> None:
    p = t.producer()
    for i in range(start, start + n):
        p.send(topic, f"v{i}".encode(), key=f"k{i}".encode(), headers=[("h", b"\x00\xff")])
    p.flush()
    p.close()


def test_nothing_is_visible_before_flush(tmp_path):
    t = EmbeddedTransport(tmp_path / "log.sqlite3")
    p = t.producer()
    p.send("a", b"1")
    c = t.consumer("g", ["a"])
    assert c.poll(10, 0.01) == []
    p.flush()
    [r] = c.poll(10, 0.01)
    assert (r.topic, r.offset, r.value) == ("a", 0, b"1")


def test_round_trip_keeps_key_headers_and_order(tmp_path):
    t = EmbeddedTransport(tmp_path / "log.sqlite3")
    fill(t, "a", 5)
    c = t.consumer("g", ["a"])
    rs = c.poll(100, 0.01)
    assert [r.value for r in rs] == [f"v{i}".encode() for i in range(5)]
    assert [r.offset for r in rs] == list(range(5))
    assert rs[3].key == b"k3" and rs[3].header("h") == b"\x00\xff"


def test_group_resumes_after_commit_and_gets_uncommitted_again(tmp_path):
    t = EmbeddedTransport(tmp_path / "log.sqlite3")
    fill(t, "a", 10)
    c = t.consumer("g", ["a"])
    first = c.poll(4, 0.01)
    c.commit(first)
    c.poll(4, 0.01)  # read but never committed: the process "dies" here
    c.close()
    c2 = t.consumer("g", ["a"])
    assert [r.offset for r in c2.poll(100, 0.01)] == list(range(4, 10))
    assert t.group_lag("g", ["a"]) == 6
    assert t.group_lag("other", ["a"]) == 10  # groups are independent


def test_rewind_and_lag(tmp_path):
    t = EmbeddedTransport(tmp_path / "log.sqlite3")
    fill(t, "a", 3)
    c = t.consumer("g", ["a"])
    rs = c.poll(10, 0.01)
    assert c.poll(10, 0.01) == []
    c.rewind()
    assert c.poll(10, 0.01) == rs
    c.commit(rs)
    assert c.lag() == 0


def test_commit_never_moves_backwards(tmp_path):
    t = EmbeddedTransport(tmp_path / "log.sqlite3")
    fill(t, "a", 5)
    c = t.consumer("g", ["a"])
    rs = c.poll(10, 0.01)
    c.commit(rs)
    c.commit(rs[:1])
    assert t.group_lag("g", ["a"]) == 0


def test_several_topics_round_robin(tmp_path):
    t = EmbeddedTransport(tmp_path / "log.sqlite3")
    fill(t, "a", 50)
    fill(t, "b", 50)
    c = t.consumer("g", ["a", "b"])
    seen = {r.topic for _ in range(2) for r in c.poll(10, 0.01)}
    assert seen == {"a", "b"}


def _produce_in_child(path: str, topic: str, start: int, n: int) -> None:
    t = EmbeddedTransport(path)
    p = t.producer()
    for i in range(start, start + n):
        p.send(topic, str(i).encode())
        if i % 7 == 0:
            p.flush()
    p.flush()


def test_concurrent_producers_in_processes_never_lose_or_clash(tmp_path):
    path = str(tmp_path / "log.sqlite3")
    EmbeddedTransport(path)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_produce_in_child, args=(path, "a", k * 1000, 300)) for k in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    t = EmbeddedTransport(path)
    rs = t.read("a", limit=10_000)
    assert [r.offset for r in rs] == list(range(900))  # dense offsets, no gaps, no clashes
    assert sorted(int(r.value) for r in rs) == sorted(k * 1000 + i for k in range(3) for i in range(300))


def _flush_forever(path: str) -> None:
    t = EmbeddedTransport(path)
    p = t.producer()
    i = 0
    while True:
        for _ in range(50):
            p.send("a", str(i).encode())
            i += 1
        p.flush()


def test_sigkill_during_writes_leaves_a_consistent_log(tmp_path):
    path = str(tmp_path / "log.sqlite3")
    EmbeddedTransport(path)
    ctx = multiprocessing.get_context("spawn")
    p = ctx.Process(target=_flush_forever, args=(path,))
    p.start()
    deadline = time.monotonic() + 30
    t = EmbeddedTransport(path)
    while time.monotonic() < deadline and t.group_lag("g", ["a"]) < 2000:
        time.sleep(0.05)
    os.kill(p.pid, signal.SIGKILL)
    p.join(10)
    rs = t.read("a", limit=10**6)
    assert len(rs) >= 2000 and len(rs) % 50 == 0  # whole flushes only: a flush is atomic
    assert [int(r.value) for r in rs] == list(range(len(rs)))
    fill(t, "a", 1)  # and the log goes on after the crash
    assert t.read("a", start=len(rs))[0].offset == len(rs)


def test_prune_deletes_only_what_every_group_committed(tmp_path):
    t = EmbeddedTransport(tmp_path / "log.sqlite3", retention_hours=1e-9)
    fill(t, "a", 10)
    c1, c2 = t.consumer("g1", ["a"]), t.consumer("g2", ["a"])
    c1.commit(c1.poll(10, 0.01))
    c2.commit(c2.poll(4, 0.01))
    time.sleep(0.01)
    conn = t.connect()
    assert t.prune(conn) == 4
    assert [r.offset for r in t.read("a")] == list(range(4, 10))


def test_unreadable_log_raises_transport_error(tmp_path):
    bad = tmp_path / "log.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(TransportError):
        EmbeddedTransport(bad).check()
