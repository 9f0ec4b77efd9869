"""The Kafka transport against a real broker (scripts/kafka-broker start; JEMPUT_TEST_KAFKA_BOOTSTRAP).

Every test uses its own topics and groups (the ``unique`` suffix), so the tests share one broker. Waits are bounded:
a consumer's first poll includes joining its group, so reads loop over short polls until a deadline.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

import pytest
from kafka import KafkaAdminClient, KafkaConsumer
from kafka.admin import ConfigResource

from config.settings import KafkaSettings
from pipeline.errors import PermanentError, TransportError
from pipeline.transport.base import Consumer, Record
from pipeline.transport.kafka import KafkaTransport

pytestmark = [pytest.mark.kafka]

DEADLINE_S = 30.0

MakeTransport = Callable[..., KafkaTransport]


@pytest.fixture
def make_transport(kafka_bootstrap: str) -> Iterator[MakeTransport]:
    made: list[KafkaTransport] = []

    def make(partitions: int = 1, **overrides: object) -> KafkaTransport:
        settings = KafkaSettings(
            bootstrap_servers=kafka_bootstrap,
            partitions=partitions,
            session_timeout_ms=6000,
            heartbeat_interval_ms=1000,
            request_timeout_ms=15000,
            linger_ms=1,
            **overrides,
        )
        transport = KafkaTransport(settings)
        made.append(transport)
        return transport

    yield make
    for transport in made:
        transport.close()


@pytest.fixture
def consumers() -> Iterator[list[Consumer]]:
    """Consumers to close at the end of a test, even when it fails."""
    opened: list[Consumer] = []
    yield opened
    for consumer in opened:
        consumer.close()


def poll_until(consumer: Consumer, count: int, deadline_s: float = DEADLINE_S) -> list[Record]:
    """Poll until ``count`` records arrived (or the deadline passed: then fewer come back)."""
    out: list[Record] = []
    deadline = time.monotonic() + deadline_s
    while len(out) < count and time.monotonic() < deadline:
        out.extend(consumer.poll(max_records=count - len(out), timeout_s=0.5))
    return out


def poll_quiet(consumer: Consumer, seconds: float = 2.0) -> list[Record]:
    """Everything a consumer gets during ``seconds`` (to show that nothing more comes)."""
    out: list[Record] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        out.extend(consumer.poll(max_records=100, timeout_s=0.2))
    return out


def produce(transport: KafkaTransport, topic: str, count: int, *, prefix: str = "m") -> list[bytes]:
    producer = transport.producer()
    try:
        values = [f"{prefix}-{i}".encode() for i in range(count)]
        for value in values:
            producer.send(topic, value, key=value, headers=[("jemput-test", b"1")])
        producer.flush(timeout_s=DEADLINE_S)
        return values
    finally:
        producer.close()


def test_round_trip_keeps_key_headers_and_offsets(make_transport: MakeTransport, consumers: list[Consumer],
                                                  unique: str) -> None:
    transport = make_transport()
    topic, group = f"t.roundtrip.{unique}", f"g.roundtrip.{unique}"
    transport.ensure_topics([topic])
    transport.ensure_topics([topic])  # idempotent

    producer = transport.producer()
    try:
        producer.send(topic, b'{"n": 1}', key=b"twitter:1", headers=[("jemput-schema", b"1"), ("trace", b"\x00\xff")])
        producer.send(topic, b'{"n": 2}', key=b"sms:2")
        producer.send(topic, b'{"n": 3}')
        producer.flush()
        producer.flush()  # nothing queued: a no-op
    finally:
        producer.close()

    consumer = transport.consumer(group, [topic])
    consumers.append(consumer)
    assert consumer.topics == (topic,) and consumer.group == group
    records = poll_until(consumer, 3)
    assert [r.value for r in records] == [b'{"n": 1}', b'{"n": 2}', b'{"n": 3}']
    assert [r.offset for r in records] == [0, 1, 2]
    assert {(r.topic, r.partition) for r in records} == {(topic, 0)}
    first = records[0]
    assert first.key == b"twitter:1"
    assert first.headers == (("jemput-schema", b"1"), ("trace", b"\x00\xff"))
    assert first.header_str("jemput-schema") == "1"
    assert first.timestamp_ms is not None and abs(first.timestamp_ms / 1000 - time.time()) < 300
    assert records[1].key == b"sms:2" and records[1].headers == ()
    assert records[2].key is None


def test_ensure_topics_creates_the_configured_partitions(make_transport: MakeTransport, kafka_bootstrap: str,
                                                         unique: str) -> None:
    transport = make_transport(partitions=3)
    topics = [f"t.create.a.{unique}", f"t.create.b.{unique}"]
    transport.ensure_topics(topics)
    raw = KafkaConsumer(bootstrap_servers=kafka_bootstrap)
    try:
        assert [raw.partitions_for_topic(t) for t in topics] == [{0, 1, 2}, {0, 1, 2}]
    finally:
        raw.close()


def test_commit_then_a_new_consumer_resumes_after_it(make_transport: MakeTransport, consumers: list[Consumer],
                                                     unique: str) -> None:
    transport = make_transport()
    topic, group = f"t.resume.{unique}", f"g.resume.{unique}"
    transport.ensure_topics([topic])
    values = produce(transport, topic, 5)

    first = transport.consumer(group, [topic])
    consumers.append(first)
    records = poll_until(first, 5)
    assert [r.value for r in records] == values
    first.commit(records[:3])
    first.commit([])  # nothing to commit
    first.close()

    second = transport.consumer(group, [topic])
    consumers.append(second)
    again = poll_until(second, 2)
    assert [(r.offset, r.value) for r in again] == [(3, values[3]), (4, values[4])]
    assert poll_quiet(second, 1.0) == []


def test_uncommitted_records_are_delivered_again(make_transport: MakeTransport, consumers: list[Consumer],
                                                 unique: str) -> None:
    """At-least-once: a consumer that goes away before committing leaves its records to the next one."""
    transport = make_transport()
    topic, group = f"t.redeliver.{unique}", f"g.redeliver.{unique}"
    transport.ensure_topics([topic])
    values = produce(transport, topic, 3)

    first = transport.consumer(group, [topic])
    consumers.append(first)
    assert [r.value for r in poll_until(first, 3)] == values
    first.close()  # crash-like: nothing committed

    second = transport.consumer(group, [topic])
    consumers.append(second)
    assert [r.value for r in poll_until(second, 3)] == values


def test_rewind_goes_back_to_the_committed_position(make_transport: MakeTransport, consumers: list[Consumer],
                                                    unique: str) -> None:
    transport = make_transport()
    topic, group = f"t.rewind.{unique}", f"g.rewind.{unique}"
    transport.ensure_topics([topic])
    values = produce(transport, topic, 4)

    consumer = transport.consumer(group, [topic])
    consumers.append(consumer)
    records = poll_until(consumer, 4)
    assert [r.value for r in records] == values

    consumer.rewind()  # nothing committed yet: back to the beginning
    assert [r.value for r in poll_until(consumer, 4)] == values

    consumer.commit(records[:2])
    assert poll_quiet(consumer, 1.0) == []
    consumer.rewind()
    assert [r.offset for r in poll_until(consumer, 2)] == [2, 3]
    assert poll_quiet(consumer, 1.0) == []


def test_lag_and_group_lag_reach_zero_after_commit(make_transport: MakeTransport, consumers: list[Consumer],
                                                   unique: str) -> None:
    transport = make_transport(partitions=3)
    topic, group = f"t.lag.{unique}", f"g.lag.{unique}"
    transport.ensure_topics([topic])
    assert transport.group_lag(group, [topic]) == 0
    produce(transport, topic, 10)

    assert transport.group_lag(group, [topic]) == 10  # a group that never committed counts from the start
    assert transport.group_lag(group, [topic, f"t.lag.missing.{unique}"]) == 10  # a missing topic counts 0

    consumer = transport.consumer(group, [topic])
    consumers.append(consumer)
    assert consumer.lag() == 10  # before the consumer joined: not "drained"
    records = poll_until(consumer, 10)
    assert len(records) == 10
    consumer.commit(records[:4])
    assert consumer.lag() == 6
    assert transport.group_lag(group, [topic]) == 6
    consumer.commit(records)
    assert consumer.lag() == 0
    assert transport.group_lag(group, [topic]) == 0
    assert transport.group_lag(f"g.lag.other.{unique}", [topic]) == 10


def test_read_without_a_group(make_transport: MakeTransport, unique: str) -> None:
    transport = make_transport()
    topic = f"t.read.{unique}"
    transport.ensure_topics([topic])
    values = produce(transport, topic, 10)

    assert [r.value for r in transport.read(topic)] == values
    assert [r.offset for r in transport.read(topic, start=3, limit=4)] == [3, 4, 5, 6]
    assert [r.value for r in transport.read(topic, start=8, limit=100)] == values[8:]
    assert transport.read(topic, start=10) == []
    assert transport.read(topic, limit=0) == []
    assert transport.read(f"t.read.missing.{unique}") == []
    assert transport.read(topic)[0].headers == (("jemput-test", b"1"),)


def test_read_orders_by_partition_then_offset(make_transport: MakeTransport, unique: str) -> None:
    transport = make_transport(partitions=3)
    topic = f"t.readparts.{unique}"
    transport.ensure_topics([topic])
    values = produce(transport, topic, 30)

    records = transport.read(topic, limit=100)
    assert sorted(r.value for r in records) == sorted(values)
    assert [(r.partition, r.offset) for r in records] == sorted((r.partition, r.offset) for r in records)
    assert len({r.partition for r in records}) > 1  # keyed records spread over the partitions

    # start applies to every partition
    later = transport.read(topic, start=2, limit=100)
    assert {(r.partition, r.offset) for r in later} == {(r.partition, r.offset) for r in records if r.offset >= 2}
    # limit takes the first records in (partition, offset) order
    assert transport.read(topic, limit=7) == records[:7]


def test_a_one_megabyte_value_round_trips(make_transport: MakeTransport, consumers: list[Consumer],
                                          unique: str) -> None:
    """The pipeline dead-letters records of up to 1 MB with their original bytes."""
    transport = make_transport()
    topic, group = f"t.large.{unique}.dlq", f"g.large.{unique}"
    transport.ensure_topics([topic])
    big = bytes(range(256)) * 4096  # 1 MiB
    producer = transport.producer()
    try:
        producer.send(topic, big, key=b"email:big", headers=[("jemput-dlq-kind", b"permanent")])
        producer.send(topic, b"small after big", key=b"sms:small")
        producer.flush()
    finally:
        producer.close()

    consumer = transport.consumer(group, [topic])
    consumers.append(consumer)
    records = poll_until(consumer, 2)
    assert [r.value for r in records] == [big, b"small after big"]
    assert records[0].header("jemput-dlq-kind") == b"permanent"
    assert transport.read(topic, limit=1)[0].value == big


def test_send_rejects_a_record_over_the_size_limit_at_once(make_transport: MakeTransport, unique: str) -> None:
    transport = make_transport()
    topic = f"t.toolarge.{unique}"
    transport.ensure_topics([topic])
    producer = transport.producer()
    try:
        with pytest.raises(PermanentError, match="MessageSizeTooLarge"):
            producer.send(topic, b"x" * (5 * 1024 * 1024))
        producer.send(topic, b"fine")
        producer.flush()  # the rejected record was not queued
    finally:
        producer.close()
    assert [r.value for r in transport.read(topic)] == [b"fine"]


def test_a_failed_flush_keeps_the_records_for_the_next_flush(make_transport: MakeTransport,
                                                             kafka_bootstrap: str, unique: str) -> None:
    """The broker rejects a record (over the topic's max.message.bytes): flush raises and keeps it queued; once
    the cause is gone a later flush delivers it, and the records acknowledged before are not written twice."""
    transport = make_transport()
    topic = f"t.flushfail.{unique}"
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    producer = transport.producer()
    try:
        admin.create_topics({topic: {"num_partitions": 1, "replication_factor": 1,
                                     "configs": {"max.message.bytes": "1000"}}}, wait_for_metadata=True)
        producer.send(topic, b"small", key=b"k:1")
        producer.flush()
        producer.send(topic, b"x" * 3000, key=b"k:2")
        producer.send(topic, b"after", key=b"k:3")
        for _ in range(2):
            with pytest.raises(TransportError, match="stay queued"):
                producer.flush(timeout_s=10)
            assert 1 <= producer.pending <= 2  # type: ignore[attr-defined]
        admin.alter_configs([ConfigResource("TOPIC", topic, {"max.message.bytes": "100000"})])
        deadline = time.monotonic() + DEADLINE_S
        while True:
            try:
                producer.flush(timeout_s=10)
                break
            except TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        assert producer.pending == 0  # type: ignore[attr-defined]
    finally:
        producer.close()
        admin.close()
    values = [r.value for r in transport.read(topic)]
    assert sorted(values) == sorted([b"small", b"x" * 3000, b"after"])
    assert values[0] == b"small"


def test_two_consumers_in_one_group_share_the_partitions(make_transport: MakeTransport,
                                                         consumers: list[Consumer], unique: str) -> None:
    transport = make_transport(partitions=4)
    topic, group = f"t.share.{unique}", f"g.share.{unique}"
    transport.ensure_topics([topic])
    a = transport.consumer(group, [topic])
    b = transport.consumer(group, [topic])
    consumers.extend([a, b])

    # Both members poll until the group settled with the 4 partitions split between them.
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        a.poll(max_records=10, timeout_s=0.2)
        b.poll(max_records=10, timeout_s=0.2)
        owned = [a._consumer.assignment(), b._consumer.assignment()]  # type: ignore[attr-defined]
        if all(owned) and len(owned[0] | owned[1]) == 4:
            break
    else:
        pytest.fail("the group did not settle on two members")

    values = set(produce(transport, topic, 200))
    got: dict[str, set[bytes]] = {"a": set(), "b": set()}
    deadline = time.monotonic() + DEADLINE_S
    while got["a"] | got["b"] != values and time.monotonic() < deadline:
        for name, consumer in (("a", a), ("b", b)):
            records = consumer.poll(max_records=50, timeout_s=0.2)
            if records:
                got[name].update(r.value for r in records)
                try:
                    consumer.commit(records)
                except TransportError:
                    consumer.rewind()  # a rebalance: the new owner gets these records again
    assert got["a"] | got["b"] == values  # none lost
    assert got["a"] and got["b"]  # both members did work
    assert transport.group_lag(group, [topic]) == 0


def test_check_describes_the_cluster_or_fails_readably(make_transport: MakeTransport, kafka_bootstrap: str) -> None:
    assert make_transport().check().startswith(f"Kafka {kafka_bootstrap}, 1 broker(s)")

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = KafkaTransport(KafkaSettings(bootstrap_servers=f"127.0.0.1:{port}"))
    started = time.monotonic()
    with pytest.raises(TransportError, match=f"127.0.0.1:{port} cannot be reached"):
        down.check()
    assert time.monotonic() - started < 15
    with pytest.raises(TransportError):
        KafkaTransport(KafkaSettings(bootstrap_servers=f"127.0.0.1:{port}", request_timeout_ms=2000)).producer()


def test_topic_prefix_isolates_deployments_and_stays_invisible_to_callers(
    make_transport: MakeTransport, unique: str
) -> None:
    a = make_transport(topic_prefix=f"a{unique}.")
    b = make_transport(topic_prefix=f"b{unique}.")
    for t in (a, b):
        t.ensure_topics(["shared.name"])
    producer = a.producer()
    try:
        producer.send("shared.name", b"only in a")
        producer.flush()
    finally:
        producer.close()
    [rec] = a.read("shared.name")
    assert rec.topic == "shared.name" and rec.value == b"only in a"
    assert b.read("shared.name") == []
    consumer = a.consumer(f"g{unique}", ["shared.name"])
    try:
        got: list = []
        deadline = time.monotonic() + 30
        while not got and time.monotonic() < deadline:
            got = consumer.poll(10, 0.5)
        assert [r.topic for r in got] == ["shared.name"]
        consumer.commit(got)
        assert a.group_lag(f"g{unique}", ["shared.name"]) == 0
        assert consumer.lag() == 0
    finally:
        consumer.close()
