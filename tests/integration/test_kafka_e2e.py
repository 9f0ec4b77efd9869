"""End to end on a real Kafka broker and PostgreSQL, every stage its own process.

N messages in -> exactly N tickets, also when a stage is SIGKILLed mid-stream and restarted; bad records on every
topic land on the dead-letter topics with their reason while the stages keep going.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess

import pytest
from sqlalchemy import create_engine, text

from config.settings import KafkaSettings
from pipeline import topics
from pipeline.contract import RawMessage, encode
from tests.helpers import jemput, jemput_env, sample_messages, start, wait_for, write_jsonl

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def env(kafka_bootstrap, fresh_postgres_url, unique, tmp_path):
    return jemput_env(
        JEMPUT_DATA_DIR=str(tmp_path / "data"),
        JEMPUT_KAFKA__BOOTSTRAP_SERVERS=kafka_bootstrap,
        JEMPUT_KAFKA__TOPIC_PREFIX=f"t{unique}.",
        JEMPUT_KAFKA__GROUP_PREFIX=f"g{unique}",
        JEMPUT_KAFKA__PARTITIONS="3",
        JEMPUT_KAFKA__SESSION_TIMEOUT_MS="6000",
        JEMPUT_DATABASE__URL=fresh_postgres_url,
    )


def counts(url: str) -> tuple[int, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return tuple(conn.execute(text("SELECT count(*), count(DISTINCT message_id) FROM tickets")).one())
    except Exception:  # noqa: BLE001 - tables not migrated yet
        return 0, 0
    finally:
        engine.dispose()


class Stages:
    def __init__(self, env: dict[str, str], logdir) -> None:
        self.env, self.logdir, self.procs = env, logdir, {}

    def start(self, name: str, **extra: str) -> None:
        self.procs[name] = start("run", name, env=dict(self.env, **extra), log=self.logdir / f"{name}.log")

    def kill(self, name: str) -> None:
        os.kill(self.procs[name].pid, signal.SIGKILL)
        self.procs[name].wait(30)

    def stop_all(self) -> dict[str, int]:
        codes = {}
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for name, p in self.procs.items():
            try:
                codes[name] = p.wait(60)
            except subprocess.TimeoutExpired:
                p.kill()
                codes[name] = -9
        return codes

    def logs(self) -> str:
        return "\n".join(f"--- {f.name}\n{f.read_text(errors='replace')[-3000:]}" for f in self.logdir.glob("*.log"))


def test_n_messages_through_separate_processes_with_a_sigkill_give_exactly_n(tmp_path, env):
    url = env["JEMPUT_DATABASE__URL"]
    n = 3000
    write_jsonl(tmp_path / "in.jsonl", sample_messages(n, prefix="k"))
    stages = Stages(env, tmp_path)
    try:
        stages.start("sink")
        stages.start("classifier")
        stages.start("geocoder", JEMPUT_RUNNER__BATCH_SIZE="20")
        jemput("ingest", str(tmp_path / "in.jsonl"), env=env)
        wait_for(lambda: counts(url)[0] >= 100, 180, "the first tickets")
        stages.kill("geocoder")
        at_kill = counts(url)[0]
        assert at_kill < n, f"the kill should land mid-stream ({at_kill} of {n})"
        stages.start("geocoder")
        wait_for(lambda: counts(url)[0] >= n, 300, f"{n} tickets")
        codes = stages.stop_all()
    except BaseException:
        stages.stop_all()
        print(stages.logs())
        raise
    assert counts(url) == (n, n)
    assert codes == {"sink": 0, "classifier": 0, "geocoder": 0}, stages.logs()
    dead = jemput("dlq", "inspect", "--format", "json", env=env).stdout
    assert dead == ""


def test_bad_records_on_every_kafka_topic_are_dead_lettered_and_replayable(tmp_path, env):
    from pipeline.transport.kafka import KafkaTransport

    url = env["JEMPUT_DATABASE__URL"]
    ks = KafkaSettings(bootstrap_servers=env["JEMPUT_KAFKA__BOOTSTRAP_SERVERS"],
                       topic_prefix=env["JEMPUT_KAFKA__TOPIC_PREFIX"], partitions=3)
    transport = KafkaTransport(ks)
    bad = [b"not json", b'{"text": "\xc3\x28"}',
           json.dumps({"schema_version": 9, "message_id": "file:x", "channel": "file", "text": "x"}).encode(),
           json.dumps({"schema_version": 1, "channel": "file"}).encode(),
           json.dumps({"schema_version": 1, "message_id": "file:big", "channel": "file",
                       "text": "banjir " * 150_000}).encode()]
    try:
        transport.ensure_topics(list(topics.ALL_TOPICS))
        p = transport.producer()
        for topic in topics.DATA_TOPICS:
            for value in bad:
                p.send(topic, value, key=b"bad")
        for i in range(5):
            p.send(topics.RAW, encode(RawMessage(message_id=f"file:good-{i}", channel="file",
                                                 text="sampah numpuk di tebet")), key=f"file:good-{i}".encode())
        p.flush()
        p.close()
    finally:
        transport.close()
    jemput("run", "--until-idle", env=env, timeout=300)
    assert counts(url) == (5, 5)
    dead = [json.loads(x) for x in jemput("dlq", "inspect", "--format", "json", env=env).stdout.splitlines()]
    assert len(dead) == 15
    for stage in ("classifier", "geocoder", "sink"):
        reasons = " | ".join(d["error"] for d in dead if d["stage"] == stage)
        for expected in ("not JSON", "not UTF-8", "unsupported schema_version 9", "message_id", "exceeds max_message_bytes"):
            assert expected in reasons, (stage, expected, reasons)
    out = jemput("dlq", "replay", "sink", env=env)
    assert "replayed 5 dead letter(s)" in out.stdout
    jemput("run", "--until-idle", env=env, timeout=300)
    again = [json.loads(x) for x in jemput("dlq", "inspect", "sink", "--format", "json", env=env).stdout.splitlines()]
    assert len(again) == 10  # the five failed again and were dead-lettered again: nothing lost, nothing invented
    assert counts(url) == (5, 5)
