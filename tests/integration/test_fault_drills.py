"""Fault drills against a real Kafka broker and PostgreSQL, every stage its own process.

After each drill every message is exactly one ticket and the dead-letter topics are empty (nothing here is bad
input). The broker and database drills use a broker and a server of their own, so crashing them cannot disturb
the other tests.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, require
from tests.helpers import jemput, jemput_env, sample_messages, start, wait_for, write_jsonl
from tests.integration.test_kafka_e2e import Stages, counts

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]


class Service:
    """A broker or database of the drill's own, driven through scripts/kafka-broker or scripts/postgres."""

    def __init__(self, script: str, var: str) -> None:
        self.script = str(REPO_ROOT / "scripts" / script)
        # Not under pytest's private tmp: PostgreSQL's own user must be able to reach the cluster directory.
        self.dir = tempfile.mkdtemp(prefix=f"jemput-drill-{script}-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        # A crash must not lose committed transactions: the drill's database keeps fsync and synchronous commit.
        self.env = dict(os.environ, JEMPUT_SERVICES_DIR=self.dir, JEMPUT_PG_DURABLE="1")
        self.var = var
        self.address = ""

    def run(self, *args: str) -> str:
        proc = subprocess.run([self.script, *args], env=self.env, capture_output=True, text=True, timeout=240)
        if proc.returncode != 0:
            raise AssertionError(f"{self.script} {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
        return proc.stdout

    def start(self) -> str:
        out = self.run("start")
        self.address = next(line.split("=", 1)[1] for line in out.splitlines() if line.startswith(self.var + "="))
        return self.address

    def stop(self) -> None:
        subprocess.run([self.script, "stop"], env=self.env, capture_output=True, timeout=120)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def own_broker(kafka_bootstrap):  # kafka_bootstrap: the drill runs only where Kafka tests run
    require(shutil.which("java") is not None and shutil.which("mvn") is not None, "java and mvn are needed")
    broker = Service("kafka-broker", "JEMPUT_TEST_KAFKA_BOOTSTRAP")
    try:
        broker.start()
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="module")
def own_postgres(postgres_url):  # postgres_url: the drill runs only where PostgreSQL tests run
    server = Service("postgres", "JEMPUT_TEST_DATABASE_URL")
    try:
        server.start()
        yield server
    finally:
        server.stop()


def drill_env(tmp_path: Path, kafka: str, database: str, unique: str) -> dict[str, str]:
    return jemput_env(
        JEMPUT_DATA_DIR=str(tmp_path / "data"),
        JEMPUT_KAFKA__BOOTSTRAP_SERVERS=kafka,
        JEMPUT_KAFKA__TOPIC_PREFIX=f"d{unique}.",
        JEMPUT_KAFKA__GROUP_PREFIX=f"d{unique}",
        JEMPUT_KAFKA__PARTITIONS="3",
        JEMPUT_KAFKA__SESSION_TIMEOUT_MS="6000",
        JEMPUT_KAFKA__REQUEST_TIMEOUT_MS="10000",
        JEMPUT_DATABASE__URL=database,
        JEMPUT_DATABASE__CONNECT_TIMEOUT_S="3",
        JEMPUT_RUNNER__BATCH_SIZE="25",
        JEMPUT_RUNNER__BACKOFF_MAX_S="2",
    )


def run_drill(tmp_path: Path, env: dict[str, str], n: int, fault, settle_timeout: float = 420) -> None:
    url = env["JEMPUT_DATABASE__URL"]
    write_jsonl(tmp_path / "in.jsonl", sample_messages(n, prefix="d"))
    jemput("ingest", str(tmp_path / "in.jsonl"), env=env)
    stages = Stages(env, tmp_path)
    try:
        for name in ("sink", "geocoder", "classifier"):
            stages.start(name)
        wait_for(lambda: counts(url)[0] >= n // 10, 180, "tickets before the fault")
        fault(stages)
        wait_for(lambda: counts(url)[0] >= n, settle_timeout, f"{n} tickets after the fault")
        time.sleep(1.0)  # anything doubled would arrive now
        codes = stages.stop_all()
    except BaseException:
        stages.stop_all()
        print(stages.logs())
        raise
    assert counts(url) == (n, n), stages.logs()
    assert set(codes.values()) == {0}, stages.logs()
    assert jemput("dlq", "inspect", "--format", "json", env=env).stdout == ""


@pytest.mark.parametrize("victim", ["classifier", "geocoder", "sink"])
def test_sigkill_each_stage_under_load(tmp_path, kafka_bootstrap, fresh_postgres_url, unique, victim):
    env = drill_env(tmp_path, kafka_bootstrap, fresh_postgres_url, unique)

    def fault(stages: Stages) -> None:
        stages.kill(victim)
        stages.start(victim)

    run_drill(tmp_path, env, 2000, fault)


def test_kafka_broker_crash_and_restart_under_load(tmp_path, own_broker, fresh_postgres_url, unique):
    env = drill_env(tmp_path, own_broker.address, fresh_postgres_url, unique)

    def fault(stages: Stages) -> None:
        own_broker.run("kill")
        time.sleep(3)
        own_broker.run("restart")

    run_drill(tmp_path, env, 3000, fault)


def test_postgres_down_for_30_seconds_under_load(tmp_path, kafka_bootstrap, own_postgres, unique):
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = "drill_" + unique
    admin = create_engine(own_postgres.address, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(own_postgres.address).set(database=name).render_as_string(hide_password=False)
    env = drill_env(tmp_path, kafka_bootstrap, url, unique)
    seen_down: list[bool] = []

    def fault(stages: Stages) -> None:
        own_postgres.run("pause")
        time.sleep(30)
        seen_down.append(all(p.poll() is None for p in stages.procs.values()))  # nobody gave up meanwhile
        own_postgres.run("resume")

    run_drill(tmp_path, env, 3000, fault)
    assert seen_down == [True]


def test_adding_a_classifier_mid_run_shares_the_load(tmp_path, kafka_bootstrap, fresh_postgres_url, unique):
    """Scale-out: a second classifier process joins the group mid-run; the partitions are split between the two,
    and every message is still exactly one ticket."""
    from kafka import KafkaAdminClient

    env = drill_env(tmp_path, kafka_bootstrap, fresh_postgres_url, unique)
    env["JEMPUT_KAFKA__PARTITIONS"] = "4"
    url = env["JEMPUT_DATABASE__URL"]
    half = 2000
    write_jsonl(tmp_path / "first.jsonl", sample_messages(half, prefix="s"))
    write_jsonl(tmp_path / "second.jsonl", sample_messages(2 * half, prefix="s")[half:])
    group = f"d{unique}.classifier"

    def members() -> int:
        admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
        try:
            return len(admin.describe_groups([group]).get(group, {}).get("members") or [])
        except Exception:  # noqa: BLE001 - the group may not exist yet
            return 0
        finally:
            admin.close()

    jemput("ingest", str(tmp_path / "first.jsonl"), env=env)
    stages = Stages(env, tmp_path)
    try:
        stages.start("sink")
        stages.start("geocoder")
        stages.start("classifier", JEMPUT_RUNNER__BATCH_SIZE="5")
        wait_for(lambda: counts(url)[0] >= half // 20, 180, "tickets before the second classifier")
        stages.procs["classifier-2"] = start("run", "classifier", env=dict(env, JEMPUT_RUNNER__BATCH_SIZE="5"),
                                             log=tmp_path / "classifier-2.log")
        wait_for(lambda: members() == 2, 120, "the second classifier in the group", interval=0.5)
        # The stream goes on after the rebalance: these land on every partition, so both classifiers get work.
        jemput("ingest", str(tmp_path / "second.jsonl"), env=env)
        wait_for(lambda: counts(url)[0] >= 2 * half, 420, f"{2 * half} tickets")
        time.sleep(1.0)
        codes = stages.stop_all()
    except BaseException:
        stages.stop_all()
        print(stages.logs())
        raise
    assert counts(url) == (2 * half, 2 * half)
    assert set(codes.values()) == {0}, stages.logs()
    handled = {}
    for name in ("classifier", "classifier-2"):
        text = (tmp_path / f"{name}.log").read_text()
        handled[name] = int(re.search(r"done: (\d+) record", text).group(1))
    assert handled["classifier-2"] > 0, "the second classifier got no partition"
    assert handled["classifier"] > 0
    assert handled["classifier"] + handled["classifier-2"] >= 2 * half  # redelivery after the rebalance may add some
    assert jemput("dlq", "inspect", "--format", "json", env=env).stdout == ""


def test_sms_receiver_keeps_taking_posts_while_the_broker_is_down(tmp_path, own_broker, fresh_postgres_url, unique,
                                                                  monkeypatch):
    """Posts keep coming while the broker is killed and restarted. The receiver answers 503 for what it cannot
    make durable, the gateway (this loop) retries as gateways do, and every acknowledged SMS is exactly one ticket."""
    import http.client
    import json as jsonlib

    from config.settings import load_settings
    from harvester.receivers.sms import build_receiver, json_signature
    from pipeline.transport import build_transport

    secret = "test-hmac-secret-not-real"
    env = drill_env(tmp_path, own_broker.address, fresh_postgres_url, unique)
    for k, v in env.items():
        if k.startswith("JEMPUT_"):
            monkeypatch.setenv(k, v)
    monkeypatch.setenv("JEMPUT_HARVESTER__SMS__ENABLED", "true")
    monkeypatch.setenv("JEMPUT_HARVESTER__SMS__PORT", "0")
    monkeypatch.setenv("JEMPUT_HARVESTER__SMS__HMAC_SECRET", secret)
    monkeypatch.setenv("JEMPUT_HARVESTER__SMS__FLUSH_TIMEOUT_S", "2")
    settings = load_settings()
    transport = build_transport(settings)
    receiver = build_receiver(settings, transport)
    receiver.start()
    host, port = receiver.address
    n, acked, refused = 300, set(), 0
    outage = {"killed_at": None, "restarted": False}

    def broker_fault() -> None:
        # Kill the broker once a third of the SMS are in; bring it back 5 s later.
        if outage["killed_at"] is None and len(acked) >= n // 3:
            own_broker.run("kill")
            outage["killed_at"] = time.monotonic()
        elif outage["killed_at"] is not None and not outage["restarted"] \
                and time.monotonic() - outage["killed_at"] > 5:
            own_broker.run("restart")
            outage["restarted"] = True

    deadline = time.monotonic() + 240
    try:
        for i in range(n):
            body = jsonlib.dumps({"id": f"m{i}", "from": "+62 800-0000-0042",
                                  "text": f"jalan berlubang di depan gang {i}, tolong diperbaiki"}).encode()
            while time.monotonic() < deadline:
                broker_fault()
                status = 0
                try:
                    conn = http.client.HTTPConnection(host, port, timeout=15)
                    conn.request("POST", "/sms/json", body, {"Content-Type": "application/json",
                                                             "X-Jemput-Signature": json_signature(secret, body)})
                    status = conn.getresponse().status
                    conn.close()
                except OSError:
                    pass
                if 200 <= status < 300:
                    acked.add(f"m{i}")
                    break
                assert status in (0, 503), f"unexpected HTTP {status}"
                refused += 1
                time.sleep(0.2)
    finally:
        receiver.stop()
        transport.close()
        if outage["killed_at"] is not None and not outage["restarted"]:
            own_broker.run("restart")
    assert refused > 0, "the broker outage should have been visible to the gateway"
    assert len(acked) == n
    jemput("run", "--until-idle", env=env, timeout=300)
    url = env["JEMPUT_DATABASE__URL"]
    assert counts(url) == (n, n)
    assert jemput("dlq", "inspect", "--format", "json", env=env).stdout == ""


def test_closing_a_producer_while_the_broker_is_down_stops_it(own_broker, unique):
    """A producer closed during an outage, with records it could not deliver, must not live on in the background
    (reconnecting, holding sockets and records) -- kafka-python's close() raises on its flush before stopping."""
    from config.settings import KafkaSettings
    from pipeline.errors import TransportError
    from pipeline.transport.kafka import KafkaTransport

    transport = KafkaTransport(KafkaSettings(bootstrap_servers=own_broker.address, topic_prefix=f"p{unique}.",
                                             request_timeout_ms=3000, linger_ms=1))
    topic = "drill.outage"
    transport.ensure_topics([topic])
    producer = transport.producer()
    killed = False
    try:
        producer.send(topic, b"before the outage")
        producer.flush(30)
        inner = producer._producer  # the kafka-python producer and its sender thread
        assert inner is not None and inner._sender.is_alive()
        own_broker.run("kill")
        killed = True
        producer.send(topic, b"during the outage")
        with pytest.raises(TransportError, match="not acknowledged"):
            producer.flush(2)
        sender = producer._producer._sender
        assert sender.is_alive()
        started = time.monotonic()
        producer.close()
        assert not sender.is_alive()
        assert time.monotonic() - started < 30
    finally:
        if killed:
            own_broker.run("restart")
        transport.close()
