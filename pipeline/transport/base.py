"""The one small interface both transports (Kafka and embedded) implement.

Delivery is at-least-once: a consumer's position is committed only by an explicit :meth:`Consumer.commit`, which
the stage runner calls after the outputs of those records were flushed (or dead-lettered). Records after the last
commit are delivered again after a crash or a :meth:`Consumer.rewind`.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

Headers = tuple[tuple[str, bytes], ...]


@dataclass(frozen=True, slots=True)
class Record:
    topic: str
    partition: int
    offset: int
    value: bytes
    key: bytes | None = None
    headers: Headers = field(default=())
    timestamp_ms: int | None = None

    def header(self, name: str) -> bytes | None:
        for k, v in self.headers:
            if k == name:
                return v
        return None

    def header_str(self, name: str) -> str | None:
        v = self.header(name)
        return None if v is None else v.decode("utf-8", "replace")


class Producer(abc.ABC):
    @abc.abstractmethod
    def send(self, topic: str, value: bytes, *, key: bytes | None = None, headers: Iterable[tuple[str, bytes]] = ()) -> None:
        """Queue one record. It is durable only once :meth:`flush` returned without error."""

    @abc.abstractmethod
    def flush(self, timeout_s: float = 30.0) -> None:
        """Make every queued record durable, or raise :class:`~pipeline.errors.TransportError`."""

    def close(self) -> None:  # noqa: B027 - optional
        pass


class Consumer(abc.ABC):
    topics: tuple[str, ...]
    group: str

    @abc.abstractmethod
    def poll(self, max_records: int, timeout_s: float) -> list[Record]:
        """Up to ``max_records`` records after the current position, waiting at most ``timeout_s``."""

    @abc.abstractmethod
    def commit(self, records: Sequence[Record]) -> None:
        """Commit the position after the highest offset of ``records`` in each partition."""

    @abc.abstractmethod
    def rewind(self) -> None:
        """Go back to the last committed position, so uncommitted records are delivered again."""

    @abc.abstractmethod
    def lag(self) -> int:
        """Records on this consumer's topics that its group has not committed yet."""

    def close(self) -> None:  # noqa: B027 - optional
        pass


class Transport(abc.ABC):
    """A factory for producers and consumers plus a few admin operations."""

    name: str = "abstract"

    @abc.abstractmethod
    def producer(self) -> Producer: ...

    @abc.abstractmethod
    def consumer(self, group: str, topics: Sequence[str]) -> Consumer: ...

    @abc.abstractmethod
    def ensure_topics(self, topics: Sequence[str]) -> None:
        """Create the topics if they do not exist."""

    @abc.abstractmethod
    def read(self, topic: str, *, start: int = 0, limit: int = 100) -> list[Record]:
        """Read records of ``topic`` from offset ``start`` without any consumer group (for inspection)."""

    @abc.abstractmethod
    def group_lag(self, group: str, topics: Sequence[str]) -> int:
        """Records on ``topics`` not yet committed by ``group`` (0 when drained)."""

    @abc.abstractmethod
    def check(self) -> str:
        """Contact the transport; return a one-line description or raise TransportError."""

    def close(self) -> None:  # noqa: B027 - optional
        pass
