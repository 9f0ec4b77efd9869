"""End to end on the embedded default: real processes, the SQLite log and the SQLite ticket store.

No external service is needed, so these always run.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3

import pytest

from pipeline import topics
from pipeline.contract import RawMessage, encode
from pipeline.transport.embedded import EmbeddedTransport
from tests.helpers import jemput, jemput_env, sample_messages, start, wait_for, write_jsonl

pytestmark = pytest.mark.slow


def ticket_counts(data_dir) -> tuple[int, int]:
    db = data_dir / "tickets.sqlite3"
    if not db.exists():
        return 0, 0
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute("SELECT count(*), count(DISTINCT message_id) FROM tickets").fetchone()
    except sqlite3.OperationalError:  # the sink has not created its tables yet
        return 0, 0
    finally:
        conn.close()


@pytest.fixture
def env(tmp_path):
    return jemput_env(JEMPUT_DATA_DIR=str(tmp_path / "data"))


def test_sigkill_mid_stream_then_restart_gives_exactly_n_tickets(tmp_path, env):
    n = 1500
    data = tmp_path / "data"
    write_jsonl(tmp_path / "in.jsonl", sample_messages(n))
    jemput("ingest", str(tmp_path / "in.jsonl"), env=env)
    slow = dict(env, JEMPUT_RUNNER__BATCH_SIZE="10")  # small batches: many commits, a kill lands mid-stream
    proc = start("run", env=slow, log=tmp_path / "run1.log")
    try:
        wait_for(lambda: ticket_counts(data)[0] >= 50, 120, "the first tickets")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    at_kill = ticket_counts(data)[0]
    assert 0 < at_kill < n, f"the kill should land mid-stream (had {at_kill} of {n})"
    jemput("run", "--until-idle", env=env, timeout=300)
    assert ticket_counts(data) == (n, n)
    dead = jemput("dlq", "inspect", "--format", "json", env=env).stdout
    assert dead == ""


def test_ingesting_the_same_file_twice_leaves_one_ticket_per_message(tmp_path, env):
    rows = sample_messages(40)
    rows += [{"text": r["text"], "author": r["author"], "posted_at": r["posted_at"]} for r in rows[:10]]  # no ids
    rows.append(dict(rows[0]))  # a repeated line with the same id
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    for _ in range(2):
        jemput("ingest", str(src), env=env)
        jemput("run", "--until-idle", env=env)
    assert ticket_counts(tmp_path / "data") == (50, 50)
    listed = [json.loads(line) for line in jemput("tickets", "list", "--format", "json", env=env).stdout.splitlines()]
    assert len(listed) == 50
    assert {t["status"] for t in listed} <= {"new", "dismissed"}
    assert any(t["status"] == "dismissed" and t["category"] == "not_complaint" for t in listed)
    assert any(t["status"] == "new" and t["category"] == "flood" for t in listed)
    only_dismissed = jemput("tickets", "list", "--format", "json", "--status", "dismissed", env=env).stdout.splitlines()
    assert 0 < len(only_dismissed) < 50
    assert len(jemput("tickets", "list", "--format", "json", "--limit", "7", env=env).stdout.splitlines()) == 7


def _located_json(mid: str) -> dict:
    return {"schema_version": 1, "message_id": mid, "channel": "file", "text": "banjir", "category": "flood",
            "confidence": 0.9, "model_version": "m", "geocoder_version": "g"}


BAD = {
    "not json": b"this is not json",
    "invalid utf-8": b'{"text": "\xc3\x28"}',
    "wrong schema version": json.dumps({"schema_version": 7, "message_id": "file:x", "channel": "file",
                                        "text": "x"}).encode(),
    "missing fields": json.dumps({"schema_version": 1, "channel": "file"}).encode(),
    "1 MB text": json.dumps({"schema_version": 1, "message_id": "file:big", "channel": "file",
                             "text": "banjir " * 150_000}).encode(),
}


def test_bad_input_on_every_topic_is_dead_lettered_with_reason_and_replayable(tmp_path, env):
    data = tmp_path / "data"
    log = EmbeddedTransport(data / "log.sqlite3")
    p = log.producer()
    good = 0
    for topic in topics.DATA_TOPICS:
        for i, value in enumerate(BAD.values()):
            p.send(topic, value)
            mid = f"file:ok-{topic}-{i}"
            body = (encode(RawMessage(message_id=mid, channel="file", text="banjir di kemang tolong"))
                    if topic == topics.RAW else json.dumps(_located_json(mid)).encode())
            p.send(topic, body)  # a good message after each bad one: the stage keeps going
            good += 1
    # Valid, but larger than the runner accepts by default (an e-mail with a big provider payload):
    # dead-lettered until the operator raises the limit.
    big = RawMessage(message_id="file:long-letter", channel="file", text="jalan rusak parah di kemang, tolong",
                     raw={"html": "<p>jalan rusak parah</p>" * 15_000})
    p.send(topics.RAW, encode(big))
    p.flush()
    jemput("run", "--until-idle", env=env, timeout=300)
    assert ticket_counts(data) == (good, good)

    dead = [json.loads(x) for x in jemput("dlq", "inspect", "--format", "json", "--limit", "100", env=env)
            .stdout.splitlines()]
    assert len(dead) == 3 * len(BAD) + 1
    by_stage = {s: [d for d in dead if d["stage"] == s] for s in ("classifier", "geocoder", "sink")}
    for stage, items in by_stage.items():
        reasons = " | ".join(d["error"] for d in items)
        assert "not JSON" in reasons and "not UTF-8" in reasons, stage
        assert "unsupported schema_version 7" in reasons, stage
        assert "message_id" in reasons, stage
        assert "exceeds max_message_bytes" in reasons, stage
        assert all(d["kind"] == "permanent" for d in items)
    assert by_stage["classifier"][0]["source"].startswith(topics.RAW)
    table = jemput("dlq", "inspect", "sink", env=env).stdout
    assert "exceeds max_message_bytes" in table and "(5 dead letters)" in table

    # The fix: raise the limit, replay the classifier's dead letters. Only the long letter becomes a ticket;
    # the truly bad records (the 1 MB text is over the contract's text limit) fail again and are
    # dead-lettered again, never lost.
    fixed = dict(env, JEMPUT_RUNNER__MAX_MESSAGE_BYTES=str(4 * 1024 * 1024))
    out = jemput("dlq", "replay", "classifier", env=fixed)
    assert "replayed 6 dead letter(s)" in out.stdout
    jemput("run", "--until-idle", env=fixed, timeout=300)
    assert ticket_counts(data) == (good + 1, good + 1)
    again = jemput("dlq", "replay", "classifier", "--dry-run", env=fixed)
    assert "would replay 5 dead letter(s)" in again.stdout  # only the new dead letters, not the old ones twice


def test_sigterm_stops_gracefully_and_nothing_is_lost(tmp_path, env):
    import urllib.request

    n = 800
    data = tmp_path / "data"
    write_jsonl(tmp_path / "in.jsonl", sample_messages(n, prefix="g"))
    jemput("ingest", str(tmp_path / "in.jsonl"), env=env)
    port_env = dict(env, JEMPUT_RUNNER__BATCH_SIZE="10", JEMPUT_METRICS__ENABLED="true", JEMPUT_METRICS__PORT="0")
    proc = start("run", env=port_env, log=tmp_path / "run.log")
    try:
        wait_for(lambda: ticket_counts(data)[0] >= 20, 120, "the first tickets")
        log_text = (tmp_path / "run.log").read_text()
        port = int(log_text.split("metrics on http://127.0.0.1:")[1].split("/")[0])
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
        assert 'jemput_messages_in_total{channel="file",stage="classifier"}' in metrics
        health = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).read())
        assert health["healthy"] is True and set(health["stages"]) == {"classifier", "geocoder", "sink"}
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "stopping after the batch in hand" in (tmp_path / "run.log").read_text()
    assert ticket_counts(data)[0] < n
    jemput("run", "--until-idle", env=env, timeout=300)
    assert ticket_counts(data) == (n, n)
