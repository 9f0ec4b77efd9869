"""An in-memory transport for unit tests: one partition per topic, committed offsets per group.

It keeps the same contract as the real transports (records are visible only after ``flush``; consumers see
records after their group's committed offset after a ``rewind``) and lets tests inject flush failures.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence

from pipeline.errors import TransportError
from pipeline.transport.base import Consumer, Producer, Record, Transport


class MemoryTransport(Transport):
    name = "memory"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.logs: dict[str, list[Record]] = {}
        self.committed: dict[tuple[str, str], int] = {}
        self.fail_flushes = 0  # the next N flushes raise TransportError

    # -- test helpers -------------------------------------------------------------------------
    def values(self, topic: str) -> list[bytes]:
        with self._lock:
            return [r.value for r in self.logs.get(topic, [])]

    def records(self, topic: str) -> list[Record]:
        with self._lock:
            return list(self.logs.get(topic, []))

    # -- Transport ------------------------------------------------------------------------------
    def producer(self) -> Producer:
        return _MemoryProducer(self)

    def consumer(self, group: str, topics: Sequence[str]) -> Consumer:
        return _MemoryConsumer(self, group, tuple(topics))

    def ensure_topics(self, topics: Sequence[str]) -> None:
        with self._lock:
            for t in topics:
                self.logs.setdefault(t, [])

    def read(self, topic: str, *, start: int = 0, limit: int = 100) -> list[Record]:
        with self._lock:
            return list(self.logs.get(topic, [])[start : start + limit])

    def group_lag(self, group: str, topics: Sequence[str]) -> int:
        with self._lock:
            return sum(len(self.logs.get(t, [])) - self.committed.get((group, t), 0) for t in topics)

    def check(self) -> str:
        return "in-memory transport"

    def _append(self, batch: list[tuple[str, bytes | None, bytes, tuple[tuple[str, bytes], ...]]]) -> None:
        with self._lock:
            if self.fail_flushes > 0:
                self.fail_flushes -= 1
                raise TransportError("injected flush failure")
            now = int(time.time() * 1000)
            for topic, key, value, headers in batch:
                log = self.logs.setdefault(topic, [])
                log.append(Record(topic, 0, len(log), value, key, headers, now))


class _MemoryProducer(Producer):
    def __init__(self, transport: MemoryTransport) -> None:
        self._t = transport
        self._buffer: list[tuple[str, bytes | None, bytes, tuple[tuple[str, bytes], ...]]] = []

    def send(self, topic: str, value: bytes, *, key: bytes | None = None, headers: Iterable[tuple[str, bytes]] = ()) -> None:
        self._buffer.append((topic, key, value, tuple(headers)))

    def flush(self, timeout_s: float = 30.0) -> None:
        if not self._buffer:
            return
        self._t._append(self._buffer)
        self._buffer = []


class _MemoryConsumer(Consumer):
    def __init__(self, transport: MemoryTransport, group: str, topics: tuple[str, ...]) -> None:
        self._t = transport
        self.group = group
        self.topics = topics
        self._pos: dict[str, int] = {}
        self.rewind()

    def poll(self, max_records: int, timeout_s: float) -> list[Record]:
        deadline = time.monotonic() + timeout_s
        while True:
            out: list[Record] = []
            with self._t._lock:
                for t in self.topics:
                    log = self._t.logs.get(t, [])
                    take = log[self._pos[t] : self._pos[t] + max_records - len(out)]
                    out.extend(take)
                    self._pos[t] += len(take)
                    if len(out) >= max_records:
                        break
            if out or time.monotonic() >= deadline:
                return out
            time.sleep(min(0.01, max(0.0, deadline - time.monotonic())))

    def commit(self, records: Sequence[Record]) -> None:
        with self._t._lock:
            for r in records:
                k = (self.group, r.topic)
                self._t.committed[k] = max(self._t.committed.get(k, 0), r.offset + 1)

    def rewind(self) -> None:
        with self._t._lock:
            self._pos = {t: self._t.committed.get((self.group, t), 0) for t in self.topics}

    def lag(self) -> int:
        return self._t.group_lag(self.group, self.topics)
