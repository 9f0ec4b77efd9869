"""The Kafka transport (kafka-python 3.x): production and scale-out, one consumer group per stage.

Delivery guarantees, as the stage runner relies on them:

- **Producer.** :meth:`send` only queues; :meth:`flush` returns when the broker acknowledged every queued record
  (``acks='all'``, idempotent producer). A record the broker did not acknowledge stays queued and is sent again by
  the next ``flush``, which raises :class:`~pipeline.errors.TransportError` meanwhile: nothing the runner saw
  acknowledged is ever lost (a record may be written twice; the sink is idempotent on the message id).
  Keys are the message ids, so records are partitioned by message id.
- **Consumer.** Auto-commit is off. :meth:`commit` synchronously commits the offset after the highest record per
  partition, and only for partitions this consumer still owns: after a rebalance the new owner gets the
  uncommitted records again (at-least-once) and the commit raises ``TransportError``.

Every kafka-python error that escapes becomes a ``TransportError`` with a readable message.
"""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, TypeVar

import kafka.errors as kafka_errors
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import OffsetSpec
from kafka.partitioner import DefaultPartitioner
from kafka.producer.future import FutureRecordMetadata
from kafka.structs import OffsetAndMetadata

from config.settings import KafkaSettings
from pipeline.errors import PermanentError, TransportError
from pipeline.transport.base import Consumer, Producer, Record, Transport

T = TypeVar("T")

#: Largest record the pipeline produces: dead letters carry records of up to 1 MB with their original bytes plus
#: headers. The test broker (scripts/kafka-broker) accepts 4 MiB (message.max.bytes); a production cluster must too.
MAX_RECORD_BYTES = 4 * 1024 * 1024
#: Per-partition fetch size: one full-size record plus batch overhead.
_MAX_PARTITION_FETCH_BYTES = MAX_RECORD_BYTES + 1024 * 1024
#: Timeout of :meth:`KafkaTransport.check`, which must answer quickly when the broker is down.
_CHECK_TIMEOUT_MS = 5000
_RETRY_SLEEP_S = 0.1
_CLOSE_TIMEOUT_S = 5.0


def _describe(exc: BaseException) -> str:
    """A one-line, bounded description of a kafka-python error (some embed whole request reprs)."""
    text = " ".join(str(exc).split())
    name = type(exc).__name__
    if not text:
        return name
    if len(text) > 300:
        text = text[:297] + "..."
    return text if text.startswith(name) else f"{name}: {text}"


@contextmanager
def _translated(what: str) -> Iterator[None]:
    """Turn any kafka-python error (and socket error) raised inside into a :class:`TransportError`."""
    try:
        yield
    except TransportError:
        raise
    except (kafka_errors.KafkaError, OSError) as exc:
        raise TransportError(f"Kafka: {what} failed: {_describe(exc)}") from exc


def _retrying(what: str, call: Callable[[], T], timeout_s: float) -> T:
    """Call ``call``; retry kafka-python's retriable errors (coordinator loading, leader moving) until
    ``timeout_s`` passed, then raise :class:`TransportError`."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with _translated(what):
                return call()
        except TransportError as exc:
            if not isinstance(exc.__cause__, kafka_errors.RetriableError) or time.monotonic() >= deadline:
                raise
        time.sleep(_RETRY_SLEEP_S)


def _record(cr: Any, topic: str) -> Record:
    """A :class:`~pipeline.transport.base.Record` from a kafka-python ``ConsumerRecord`` (``topic``: its logical
    name, without the deployment's topic prefix)."""
    value, key, headers = cr.value, cr.key, cr.headers
    return Record(
        topic,
        cr.partition,
        cr.offset,
        b"" if value is None else value if type(value) is bytes else bytes(value),
        None if key is None else key if type(key) is bytes else bytes(key),
        tuple([(k, b"" if v is None else v if type(v) is bytes else bytes(v)) for k, v in headers]) if headers else (),
        cr.timestamp,
    )


_M = 0x5BD1E995
_WORDS = struct.Struct("<I").iter_unpack


def _murmur2(data: bytes) -> int:
    """kafka-python's (and the Java client's) murmur2 of ``data``, the same value in about half the time."""
    length = len(data)
    h = 0x9747B28C ^ length
    n4 = length & ~3
    for (k,) in _WORDS(data[:n4]):
        k = (k * _M) & 0xFFFFFFFF
        k ^= k >> 24
        h = ((h * _M) & 0xFFFFFFFF) ^ ((k * _M) & 0xFFFFFFFF)
    extra = length & 3
    if extra:
        if extra >= 3:
            h ^= data[n4 + 2] << 16
        if extra >= 2:
            h ^= data[n4 + 1] << 8
        h = ((h ^ data[n4]) * _M) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * _M) & 0xFFFFFFFF
    return h ^ (h >> 15)


class _KeyPartitioner(DefaultPartitioner):
    """kafka-python's default partitioner (murmur2 of the key over the sorted partitions, like the Java client),
    with a quicker hash; records without a key are left to the default."""

    def partition(self, topic, key, serialized_key, value, serialized_value, cluster):  # noqa: ANN001, ANN201
        if serialized_key is not None:
            partitions = cluster.partitions_for_topic(topic)
            if partitions:
                ordered = sorted(partitions)
                return ordered[(_murmur2(serialized_key) & 0x7FFFFFFF) % len(ordered)]
        return super().partition(topic, key, serialized_key, value, serialized_value, cluster)


class KafkaTransport(Transport):
    """Producers, consumers and admin operations on the cluster named by ``settings.bootstrap_servers``.

    Creating the transport contacts nothing; producers and consumers connect when they are created and raise
    :class:`TransportError` when the cluster cannot be reached within ``request_timeout_ms``.
    """

    name = "kafka"

    def __init__(self, settings: KafkaSettings) -> None:
        if not settings.bootstrap_servers:
            raise ValueError("KafkaTransport needs kafka.bootstrap_servers")
        self.settings = settings
        self.bootstrap_servers = settings.bootstrap_servers
        self.prefix = settings.topic_prefix
        self._admin_client: KafkaAdminClient | None = None
        self._admin_lock = threading.Lock()

    # -- topic names ----------------------------------------------------------------------------------
    def physical(self, topic: str) -> str:
        """The name of a logical topic on the broker: ``kafka.topic_prefix`` + name."""
        return self.prefix + topic

    def logical(self, topic: str) -> str:
        return topic[len(self.prefix):] if self.prefix and topic.startswith(self.prefix) else topic

    # -- client configuration -----------------------------------------------------------------------
    def client_config(self, *, timeout_ms: int | None = None) -> dict[str, Any]:
        """Connection and security settings shared by producers, consumers and admin clients."""
        s = self.settings
        timeout = timeout_ms if timeout_ms is not None else s.request_timeout_ms
        config: dict[str, Any] = {
            "bootstrap_servers": [h.strip() for h in self.bootstrap_servers.split(",") if h.strip()],
            "client_id": s.client_id,
            "request_timeout_ms": timeout,
            "bootstrap_timeout_ms": timeout,
            "security_protocol": s.security_protocol,
        }
        if s.sasl_mechanism:
            config["sasl_mechanism"] = s.sasl_mechanism
            config["sasl_plain_username"] = s.sasl_username
            config["sasl_plain_password"] = None if s.sasl_password is None else s.sasl_password.get_secret_value()
        return config

    def consumer_config(self, group: str | None) -> dict[str, Any]:
        s = self.settings
        config = self.client_config()
        config.update(
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=_MAX_PARTITION_FETCH_BYTES,
            fetch_max_bytes=50 * 1024 * 1024,  # several partitions of full-size records per fetch
            allow_auto_create_topics=False,
        )
        if group is not None:
            config.update(
                client_id=f"{s.client_id}-{group}",
                session_timeout_ms=s.session_timeout_ms,
                heartbeat_interval_ms=s.heartbeat_interval_ms,
                max_poll_interval_ms=s.max_poll_interval_ms,
            )
        return config

    def _admin(self) -> KafkaAdminClient:
        """The transport's admin client, created on first use. Call with ``_admin_lock`` held."""
        if self._admin_client is None:
            with _translated(f"connecting to {self.bootstrap_servers}"):
                self._admin_client = KafkaAdminClient(**self.client_config())
        return self._admin_client

    # -- Transport ----------------------------------------------------------------------------------
    def producer(self) -> Producer:
        return _KafkaProducer(self)

    def consumer(self, group: str, topics: Sequence[str]) -> Consumer:
        return _KafkaConsumer(self, group, tuple(topics))

    def ensure_topics(self, topics: Sequence[str]) -> None:
        """Create the missing topics with ``settings.partitions`` and ``settings.replication_factor``;
        existing topics are left as they are."""
        if not topics:
            return
        spec = {
            self.physical(t): {"num_partitions": self.settings.partitions,
                               "replication_factor": self.settings.replication_factor}
            for t in dict.fromkeys(topics)
        }
        with self._admin_lock:
            admin = self._admin()
            with _translated(f"creating topics {', '.join(spec)}"):
                # raise_errors=False: an existing topic is not an error; other per-topic errors are checked below.
                result = admin.create_topics(spec, raise_errors=False)
                failed = []
                for item in result.get("topics", []):
                    error = kafka_errors.for_code(item.get("error_code", 0))
                    if error is kafka_errors.NoError or error is kafka_errors.TopicAlreadyExistsError:
                        continue
                    failed.append(f"{item.get('name')}: {error.__name__} {item.get('error_message') or ''}".strip())
                if failed:
                    raise TransportError("Kafka: creating topics failed: " + "; ".join(failed))
                admin.wait_for_topics(list(spec), timeout_ms=self.settings.request_timeout_ms)

    def read(self, topic: str, *, start: int = 0, limit: int = 100) -> list[Record]:
        """Up to ``limit`` records of ``topic`` without a consumer group (inspection, ``jemput dlq``).

        Offsets are per partition: ``start`` applies to every partition, and the result is ordered by
        (partition, offset): partition 0 from ``start``, then partition 1 from ``start``, ... until ``limit``
        records were read. A topic that does not exist reads as empty.
        """
        if limit <= 0:
            return []
        logical, topic = topic, self.physical(topic)
        timeout_s = self.settings.request_timeout_ms / 1000
        deadline = time.monotonic() + timeout_s
        with _translated(f"connecting to {self.bootstrap_servers}"):
            consumer = KafkaConsumer(**self.consumer_config(None))
        try:
            with _translated(f"reading {topic}"):
                partitions = sorted(TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic))
                if not partitions:
                    return []
                firsts = consumer.beginning_offsets(partitions)
                ends = consumer.end_offsets(partitions)
                out: list[Record] = []
                for tp in partitions:
                    remaining = limit - len(out)
                    if remaining <= 0:
                        break
                    first = max(start, firsts[tp])
                    stop = min(ends[tp], first + remaining)
                    if first >= stop:
                        continue
                    consumer.assign([tp])
                    consumer.seek(tp, first)
                    while consumer.position(tp) < stop:
                        left_ms = int((deadline - time.monotonic()) * 1000)
                        if left_ms <= 0:
                            raise TransportError(
                                f"Kafka: reading {topic} timed out after {timeout_s:g}s at partition "
                                f"{tp.partition} offset {consumer.position(tp)} (wanted up to {stop})"
                            )
                        for batch in consumer.poll(timeout_ms=min(left_ms, 500), max_records=stop - first).values():
                            out.extend(_record(cr, logical) for cr in batch if first <= cr.offset < stop)
                return out
        finally:
            consumer.close(autocommit=False)

    def group_lag(self, group: str, topics: Sequence[str]) -> int:
        """Records on ``topics`` that ``group`` has not committed; a partition the group never committed counts
        from its first offset. Topics that do not exist count 0."""
        timeout_s = self.settings.request_timeout_ms / 1000
        with self._admin_lock:
            admin = self._admin()
            partitions = self._partitions(admin, [self.physical(t) for t in topics])
            if not partitions:
                return 0
            ends = _retrying(
                "listing end offsets",
                lambda: admin.list_partition_offsets({tp: OffsetSpec.LATEST for tp in partitions}),
                timeout_s,
            )
            firsts = _retrying(
                "listing first offsets",
                lambda: admin.list_partition_offsets({tp: OffsetSpec.EARLIEST for tp in partitions}),
                timeout_s,
            )
            committed = _retrying(
                f"listing offsets of group {group}",
                lambda: admin.list_group_offsets({group: partitions}),
                timeout_s,
            ).get(group, {})
        lag = 0
        for tp in partitions:
            end = ends[tp].offset
            done = committed.get(tp)
            position = done.offset if done is not None and done.offset >= 0 else firsts[tp].offset
            lag += max(0, end - position)
        return lag

    def _partitions(self, admin: KafkaAdminClient, topics: Sequence[str]) -> list[TopicPartition]:
        """Every partition of the existing ``topics``."""
        if not topics:
            return []
        described = _retrying(
            "describing topics", lambda: admin.describe_topics(list(dict.fromkeys(topics))),
            self.settings.request_timeout_ms / 1000,
        )
        out = []
        for topic in described:
            error = kafka_errors.for_code(topic.get("error_code", 0))
            if error is kafka_errors.UnknownTopicOrPartitionError:
                continue
            if error is not kafka_errors.NoError:
                raise TransportError(f"Kafka: describing topic {topic.get('name')} failed: {error.__name__}")
            out.extend(TopicPartition(topic["name"], p["partition_index"]) for p in topic["partitions"])
        return sorted(out)

    def check(self) -> str:
        """Describe the cluster with a short timeout: ``"Kafka HOST:PORT, N broker(s)"``."""
        try:
            admin = KafkaAdminClient(**self.client_config(timeout_ms=_CHECK_TIMEOUT_MS))
        except (kafka_errors.KafkaError, OSError) as exc:
            raise TransportError(
                f"Kafka at {self.bootstrap_servers} cannot be reached: {_describe(exc)}"
            ) from exc
        try:
            with _translated(f"describing the cluster at {self.bootstrap_servers}"):
                cluster = admin.describe_cluster()
        finally:
            admin.close()
        brokers = cluster.get("brokers") or []
        if not brokers:
            raise TransportError(f"Kafka at {self.bootstrap_servers} reports no brokers")
        return f"Kafka {self.bootstrap_servers}, {len(brokers)} broker(s), cluster {cluster.get('cluster_id')}"

    def close(self) -> None:
        with self._admin_lock:
            if self._admin_client is not None:
                with suppress(kafka_errors.KafkaError, OSError):
                    self._admin_client.close()
                self._admin_client = None


@dataclass(slots=True)
class _Pending:
    """A record handed to :meth:`_KafkaProducer.send` and not yet acknowledged."""

    topic: str
    value: bytes
    key: bytes | None
    headers: list[tuple[str, bytes]]
    future: FutureRecordMetadata | None = None  # None: not handed to kafka-python yet (or to be sent again)
    error: BaseException | None = None  # why the last attempt to hand it over failed

    def failure(self) -> BaseException | None:
        if self.future is not None and self.future.failed():
            return self.future.exception
        return self.error


class _KafkaProducer(Producer):
    """Queues records, hands them to a kafka-python producer at once, and tracks each one until acknowledged.

    kafka-python's idempotent producer turns any non-retriable produce error (a record over the topic's
    ``max.message.bytes``, an authorization error) into a fatal state in which every later send fails. When that
    happens the next :meth:`flush` replaces the kafka-python producer and sends the unacknowledged records again.
    """

    def __init__(self, transport: KafkaTransport) -> None:
        s = transport.settings
        self._physical = transport.physical
        self._bootstrap = transport.bootstrap_servers
        self._config = transport.client_config()
        self._config.update(
            acks="all",
            linger_ms=s.linger_ms,
            batch_size=256 * 1024,  # a stage produces whole batches at once: fewer, larger requests
            max_request_size=MAX_RECORD_BYTES,
            max_block_ms=s.request_timeout_ms,
            partitioner=_KeyPartitioner(),
        )
        self._pending: list[_Pending] = []
        self._lock = threading.Lock()
        self._producer: KafkaProducer | None = self._connect()

    def _connect(self) -> KafkaProducer:
        with _translated(f"connecting to {self._bootstrap}"):
            return KafkaProducer(**self._config)

    def _discard_producer(self) -> None:
        """Close the kafka-python producer, also when it cannot deliver what it holds (the broker is down).

        kafka-python's ``close()`` flushes first, and a flush that times out raises before the sender thread is
        stopped: the producer would go on reconnecting in the background, holding its records and sockets, until
        the garbage collector tries again. Its records are ours to send again (``_pending``), so a producer that
        cannot flush is force-closed: its sender drops the undelivered batches and stops.
        """
        producer, self._producer = self._producer, None
        if producer is None:
            return
        try:
            producer.close(timeout=_CLOSE_TIMEOUT_S)
            return
        except (kafka_errors.KafkaError, OSError):
            pass
        sender = getattr(producer, "_sender", None)  # (kafka-python has no public "close without flushing")
        if sender is not None:
            sender.force_close()
            sender.join(_CLOSE_TIMEOUT_S)
        with suppress(kafka_errors.KafkaError, OSError):
            producer.close(timeout=_CLOSE_TIMEOUT_S)  # the batches are aborted: this one completes

    def send(self, topic: str, value: bytes, *, key: bytes | None = None, headers: Iterable[tuple[str, bytes]] = ()) -> None:
        item = _Pending(self._physical(topic), bytes(value), None if key is None else bytes(key), [(k, bytes(v)) for k, v in headers])
        with self._lock:
            self._pending.append(item)
            self._submit(item, raise_invalid=True)

    def _submit(self, item: _Pending, *, raise_invalid: bool) -> None:
        """Hand ``item`` to kafka-python. A transient failure (no metadata yet, buffer full, no producer) leaves it
        queued for the next flush; an invalid record (too large, bad topic name) raises at once when
        ``raise_invalid``, and is then not queued."""
        item.future, item.error = None, None
        if self._producer is None:
            item.error = TransportError(f"no connection to {self._bootstrap}")
            return
        try:
            item.future = self._producer.send(item.topic, value=item.value, key=item.key, headers=item.headers)
        except (kafka_errors.RetriableError, OSError) as exc:
            item.error = exc
        except (kafka_errors.KafkaError, TypeError, ValueError) as exc:
            if raise_invalid:
                self._pending.remove(item)
                raise PermanentError(f"Kafka: cannot send a record to {item.topic}: {_describe(exc)}") from exc
            item.error = exc

    def flush(self, timeout_s: float = 30.0) -> None:
        with self._lock:
            if not self._pending:
                return
            failures = [e for e in map(_Pending.failure, self._pending) if e is not None]
            fresh = self._producer is None or any(not isinstance(e, kafka_errors.RetriableError) for e in failures)
            if fresh:
                self._discard_producer()  # fatal state (see the class doc): start afresh
                self._producer = self._connect()
            for item in self._pending:
                if item.future is None or item.future.failed() or (fresh and not item.future.succeeded()):
                    self._submit(item, raise_invalid=False)
            flush_error: BaseException | None = None
            try:
                self._producer.flush(timeout=timeout_s)
            except (kafka_errors.KafkaError, OSError) as exc:
                flush_error = exc
            still = [item for item in self._pending if item.future is None or not item.future.succeeded()]
            self._pending = still
            if still:
                cause = next((e for e in map(_Pending.failure, still) if e is not None), flush_error)
                why = _describe(cause) if cause is not None else f"not acknowledged within {timeout_s:g}s"
                raise TransportError(
                    f"Kafka: {len(still)} record(s) not acknowledged ({why}); they stay queued for the next flush"
                ) from cause

    @property
    def pending(self) -> int:
        """Records queued and not yet acknowledged."""
        with self._lock:
            return len(self._pending)

    def close(self) -> None:
        """Close the producer. Records not flushed are not durable (only :meth:`flush` promises that)."""
        with self._lock:
            self._discard_producer()


class _KafkaConsumer(Consumer):
    def __init__(self, transport: KafkaTransport, group: str, topics: tuple[str, ...]) -> None:
        if not topics:
            raise ValueError("a consumer needs at least one topic")
        self._t = transport
        self.group = group
        self.topics = topics
        self._physical_topics = [transport.physical(t) for t in topics]
        self._timeout_ms = transport.settings.request_timeout_ms
        with _translated(f"connecting to {transport.bootstrap_servers}"):
            self._consumer = KafkaConsumer(**transport.consumer_config(group))
        with _translated(f"subscribing {group} to {', '.join(topics)}"):
            self._consumer.subscribe(self._physical_topics)

    def poll(self, max_records: int, timeout_s: float) -> list[Record]:
        with _translated(f"polling {', '.join(self.topics)}"):
            batches = self._consumer.poll(timeout_ms=max(0, int(timeout_s * 1000)), max_records=max_records)
        logical = self._t.logical
        out: list[Record] = []
        for tp, batch in batches.items():
            topic = logical(tp.topic)
            out.extend([_record(cr, topic) for cr in batch])
        return out

    def commit(self, records: Sequence[Record]) -> None:
        highest: dict[TopicPartition, int] = {}
        for r in records:
            tp = TopicPartition(self._t.physical(r.topic), r.partition)
            highest[tp] = max(highest.get(tp, -1), r.offset)
        if not highest:
            return
        owned = self._consumer.assignment()
        offsets = {tp: OffsetAndMetadata(off + 1, "", -1) for tp, off in highest.items() if tp in owned}
        lost = sorted(tp for tp in highest if tp not in owned)
        if offsets:
            try:
                self._consumer.commit(offsets, timeout_ms=self._timeout_ms)
            except kafka_errors.CommitFailedError as exc:
                raise TransportError(
                    f"Kafka: commit of group {self.group} failed after a rebalance; the records will be delivered "
                    f"again to the partitions' new owner ({_describe(exc)})"
                ) from exc
            except (kafka_errors.KafkaError, OSError) as exc:
                raise TransportError(f"Kafka: commit of group {self.group} failed: {_describe(exc)}") from exc
        if lost:
            names = ", ".join(f"{tp.topic}[{tp.partition}]" for tp in lost)
            raise TransportError(
                f"Kafka: group {self.group} no longer owns {names} (rebalanced); not committed, "
                "the records will be delivered again to the new owner"
            )

    def rewind(self) -> None:
        with _translated(f"rewinding group {self.group}"):
            for tp in sorted(self._consumer.assignment()):
                committed = self._consumer.committed(tp, timeout_ms=self._timeout_ms)
                if committed is None:
                    self._consumer.seek_to_beginning(tp)
                else:
                    self._consumer.seek(tp, committed)

    def lag(self) -> int:
        """Uncommitted records over every partition of the subscribed topics (not only the assigned ones, so a
        consumer that has not joined its group yet does not look drained).

        Asked through the transport's admin client (:meth:`KafkaTransport.group_lag`): on the consumer's own
        connection the offset requests queue behind its long-polling fetch and could wait up to
        ``fetch_max_wait_ms`` each, stalling the stage."""
        return self._t.group_lag(self.group, self.topics)

    def close(self) -> None:
        """Leave the group at once, so its partitions move to the other members without waiting for the session
        timeout. Uncommitted records are delivered again."""
        with suppress(kafka_errors.KafkaError, OSError):
            self._consumer.close(autocommit=False, timeout_ms=self._timeout_ms)
