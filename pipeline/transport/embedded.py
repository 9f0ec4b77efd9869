"""The embedded transport: an append-only log in one SQLite file (WAL), for a single machine.

Each topic is one partition with dense offsets. A producer's records become visible atomically when
:meth:`flush` commits its transaction; a consumer group's committed offset lives in the same file. So after a crash
(even SIGKILL) a restarted stage resumes from its last commit and gets every uncommitted record again:
the same at-least-once guarantee the Kafka transport gives. Several processes may share the file; SQLite's
locking serialises writers.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from pipeline.errors import TransportError
from pipeline.transport.base import Consumer, Producer, Record, Transport

_SCHEMA = """
CREATE TABLE IF NOT EXISTS topics (
    topic TEXT PRIMARY KEY,
    next_offset INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
    topic TEXT NOT NULL,
    "offset" INTEGER NOT NULL,
    key BLOB,
    value BLOB NOT NULL,
    headers TEXT NOT NULL,
    ts_ms INTEGER NOT NULL,
    PRIMARY KEY (topic, "offset")
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS group_offsets (
    grp TEXT NOT NULL,
    topic TEXT NOT NULL,
    next_offset INTEGER NOT NULL,
    PRIMARY KEY (grp, topic)
);
"""

_POLL_SLEEP_S = 0.02


def _encode_headers(headers: Iterable[tuple[str, bytes]]) -> str:
    return json.dumps([[k, v.decode("latin-1")] for k, v in headers])


def _decode_headers(text: str) -> tuple[tuple[str, bytes], ...]:
    return tuple((k, v.encode("latin-1")) for k, v in json.loads(text))


class EmbeddedTransport(Transport):
    name = "embedded"

    def __init__(self, path: str | Path, *, retention_hours: float = 168.0, busy_timeout_s: float = 30.0) -> None:
        self.path = Path(path)
        self.retention_hours = retention_hours
        self.busy_timeout_s = busy_timeout_s
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = self.connect()
        try:
            with conn:
                conn.executescript(_SCHEMA)
        finally:
            conn.close()

    def connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(str(self.path), timeout=self.busy_timeout_s, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes; WAL keeps it consistent
            return conn
        except sqlite3.Error as exc:
            raise TransportError(f"cannot open embedded log {self.path}: {exc}") from exc

    def producer(self) -> Producer:
        return _EmbeddedProducer(self)

    def consumer(self, group: str, topics: Sequence[str]) -> Consumer:
        return _EmbeddedConsumer(self, group, tuple(topics))

    def ensure_topics(self, topics: Sequence[str]) -> None:
        conn = self.connect()
        try:
            with conn:
                conn.executemany("INSERT OR IGNORE INTO topics(topic, next_offset) VALUES (?, 0)", [(t,) for t in topics])
        except sqlite3.Error as exc:
            raise TransportError(f"embedded log: {exc}") from exc
        finally:
            conn.close()

    def read(self, topic: str, *, start: int = 0, limit: int = 100) -> list[Record]:
        conn = self.connect()
        try:
            rows = conn.execute(
                'SELECT "offset", key, value, headers, ts_ms FROM records WHERE topic=? AND "offset">=? '
                'ORDER BY "offset" LIMIT ?',
                (topic, start, limit),
            ).fetchall()
        except sqlite3.Error as exc:
            raise TransportError(f"embedded log: {exc}") from exc
        finally:
            conn.close()
        return [Record(topic, 0, off, bytes(v), None if k is None else bytes(k), _decode_headers(h), ts)
                for off, k, v, h, ts in rows]

    def end_offsets(self, conn: sqlite3.Connection, topics: Sequence[str]) -> dict[str, int]:
        out = {t: 0 for t in topics}
        for t, n in conn.execute(
            f"SELECT topic, next_offset FROM topics WHERE topic IN ({','.join('?' * len(topics))})", tuple(topics)
        ):
            out[t] = n
        return out

    def committed(self, conn: sqlite3.Connection, group: str, topics: Sequence[str]) -> dict[str, int]:
        out = {t: 0 for t in topics}
        for t, n in conn.execute(
            f"SELECT topic, next_offset FROM group_offsets WHERE grp=? AND topic IN ({','.join('?' * len(topics))})",
            (group, *topics),
        ):
            out[t] = n
        return out

    def group_lag(self, group: str, topics: Sequence[str]) -> int:
        conn = self.connect()
        try:
            ends = self.end_offsets(conn, topics)
            done = self.committed(conn, group, topics)
        except sqlite3.Error as exc:
            raise TransportError(f"embedded log: {exc}") from exc
        finally:
            conn.close()
        return sum(max(0, ends[t] - done[t]) for t in topics)

    def topic_sizes(self) -> dict[str, int]:
        conn = self.connect()
        try:
            return dict(conn.execute("SELECT topic, next_offset FROM topics").fetchall())
        finally:
            conn.close()

    def check(self) -> str:
        conn = self.connect()
        try:
            conn.execute("SELECT count(*) FROM topics").fetchone()
        except sqlite3.Error as exc:
            raise TransportError(f"embedded log {self.path}: {exc}") from exc
        finally:
            conn.close()
        return f"embedded log at {self.path}"

    def prune(self, conn: sqlite3.Connection) -> int:
        """Delete records older than the retention that every consumer group has committed past."""
        if self.retention_hours <= 0:
            return 0
        cutoff = int((time.time() - self.retention_hours * 3600) * 1000)
        deleted = 0
        for topic, low in conn.execute("SELECT topic, min(next_offset) FROM group_offsets GROUP BY topic").fetchall():
            cur = conn.execute('DELETE FROM records WHERE topic=? AND "offset"<? AND ts_ms<?', (topic, low, cutoff))
            deleted += cur.rowcount
        return deleted


class _EmbeddedProducer(Producer):
    def __init__(self, transport: EmbeddedTransport) -> None:
        self._t = transport
        self._conn: sqlite3.Connection | None = None
        self._buffer: list[tuple[str, bytes | None, bytes, str]] = []
        self._lock = threading.Lock()

    def send(self, topic: str, value: bytes, *, key: bytes | None = None, headers: Iterable[tuple[str, bytes]] = ()) -> None:
        with self._lock:
            self._buffer.append((topic, key, bytes(value), _encode_headers(headers)))

    def flush(self, timeout_s: float = 30.0) -> None:
        with self._lock:
            if not self._buffer:
                return
            if self._conn is None:
                self._conn = self._t.connect()
            conn = self._conn
            now = int(time.time() * 1000)
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    by_topic: dict[str, list[tuple[bytes | None, bytes, str]]] = {}
                    for topic, key, value, headers in self._buffer:
                        by_topic.setdefault(topic, []).append((key, value, headers))
                    for topic, items in by_topic.items():
                        conn.execute("INSERT OR IGNORE INTO topics(topic, next_offset) VALUES (?, 0)", (topic,))
                        (start,) = conn.execute("SELECT next_offset FROM topics WHERE topic=?", (topic,)).fetchone()
                        conn.executemany(
                            'INSERT INTO records(topic, "offset", key, value, headers, ts_ms) VALUES (?,?,?,?,?,?)',
                            [(topic, start + i, k, v, h, now) for i, (k, v, h) in enumerate(items)],
                        )
                        conn.execute("UPDATE topics SET next_offset=? WHERE topic=?", (start + len(items), topic))
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                self._reset()
                raise TransportError(f"embedded log: flush failed: {exc}") from exc
            self._buffer = []

    def _reset(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except sqlite3.Error:
                pass
            self._conn = None

    def close(self) -> None:
        self._reset()


class _EmbeddedConsumer(Consumer):
    def __init__(self, transport: EmbeddedTransport, group: str, topics: tuple[str, ...]) -> None:
        self._t = transport
        self.group = group
        self.topics = topics
        self._conn = transport.connect()
        self._pos: dict[str, int] = {}
        self._next_topic = 0
        self._commits = 0
        self.rewind()

    def poll(self, max_records: int, timeout_s: float) -> list[Record]:
        deadline = time.monotonic() + timeout_s
        while True:
            out = self._fetch(max_records)
            if out or time.monotonic() >= deadline:
                return out
            time.sleep(min(_POLL_SLEEP_S, max(0.0, deadline - time.monotonic())))

    def _fetch(self, max_records: int) -> list[Record]:
        out: list[Record] = []
        n = len(self.topics)
        try:
            for i in range(n):  # round-robin so one busy topic does not starve the others
                topic = self.topics[(self._next_topic + i) % n]
                rows = self._conn.execute(
                    'SELECT "offset", key, value, headers, ts_ms FROM records WHERE topic=? AND "offset">=? '
                    'ORDER BY "offset" LIMIT ?',
                    (topic, self._pos[topic], max_records - len(out)),
                ).fetchall()
                for off, k, v, h, ts in rows:
                    out.append(Record(topic, 0, off, bytes(v), None if k is None else bytes(k), _decode_headers(h), ts))
                if rows:
                    self._pos[topic] = rows[-1][0] + 1
                if len(out) >= max_records:
                    break
        except sqlite3.Error as exc:
            raise TransportError(f"embedded log: poll failed: {exc}") from exc
        self._next_topic = (self._next_topic + 1) % n
        return out

    def commit(self, records: Sequence[Record]) -> None:
        highest: dict[str, int] = {}
        for r in records:
            highest[r.topic] = max(highest.get(r.topic, -1), r.offset)
        if not highest:
            return
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany(
                    "INSERT INTO group_offsets(grp, topic, next_offset) VALUES (?,?,?) "
                    "ON CONFLICT(grp, topic) DO UPDATE SET next_offset=max(next_offset, excluded.next_offset)",
                    [(self.group, t, off + 1) for t, off in highest.items()],
                )
                self._commits += 1
                if self._commits % 200 == 0:
                    self._t.prune(self._conn)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise TransportError(f"embedded log: commit failed: {exc}") from exc

    def rewind(self) -> None:
        try:
            self._pos = self._t.committed(self._conn, self.group, self.topics)
        except sqlite3.Error as exc:
            raise TransportError(f"embedded log: {exc}") from exc

    def lag(self) -> int:
        try:
            ends = self._t.end_offsets(self._conn, self.topics)
            done = self._t.committed(self._conn, self.group, self.topics)
        except sqlite3.Error as exc:
            raise TransportError(f"embedded log: {exc}") from exc
        return sum(max(0, ends[t] - done[t]) for t in self.topics)

    def close(self) -> None:
        try:
            self._conn.close()
        except sqlite3.Error:
            pass
