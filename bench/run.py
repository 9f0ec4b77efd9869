#!/usr/bin/env python3
"""End-to-end benchmarks of the pipeline, on real tweets from ../shared/data/social.

    python bench/run.py [--quick] [--n N] [--rate 500] [--duration S] [--repeats R]

Uses the Kafka broker and PostgreSQL named by JEMPUT_KAFKA__BOOTSTRAP_SERVERS and JEMPUT_DATABASE__URL, or starts
its own (scripts/services, as CI does) and stops them after. Prints a table, then one JSON line with:

- ``raw_passthrough_msgs_per_s``: a plain kafka-python consume -> produce -> flush -> commit loop on the same broker
  with the same records and partition count: the transport's ceiling in this run. One untimed warm-up pass, then
  the median of ``--repeats`` timed passes (each on fresh topics);
- ``raw_insert_rows_per_s``: plain batched INSERTs of ticket-sized rows into the same database;
- ``e2e_msgs_per_s``: Kafka + PostgreSQL, every stage its own process, N messages pre-loaded on the raw topic;
  sustained rate between the first and the last ticket committed. The median of ``--repeats`` runs, each with
  freshly started stage processes (cold caches) and its own message ids;
- ``e2e_p50_s`` / ``e2e_p99_s``: received_at -> ticket committed, at a fixed offered load (``--rate``), on the
  stage processes of the last e2e run;
- ``embedded_msgs_per_s``: one ``jemput run`` process on the embedded log and SQLite;
- ``ratio``: e2e / raw pass-through (the two medians); ``peak_rss_mb``: peak resident memory per stage process
  (the highest over the e2e runs).

``raw_passthrough_runs`` and ``e2e_runs`` list every timed run. Both throughputs are CPU-bound on a small machine:
note the load average (printed) when comparing runs.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.common import peak_rss_mb, real_texts, repeated, start_services, stop_services  # noqa: E402

PY = sys.executable


def log(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def jemput_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JEMPUT_")}
    env.update(PYTHONPATH=str(REPO), JEMPUT_LOG__LEVEL="WARNING", JEMPUT_LOG__FORMAT="text")
    env.update(extra)
    return env


def jemput(args: list[str], env: dict[str, str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-m", "pipeline.cli", *args], env=env, cwd=REPO, check=True, **kw)


def start_stage(args: list[str], env: dict[str, str], logfile: Path) -> subprocess.Popen:
    return subprocess.Popen([PY, "-m", "pipeline.cli", *args], env=env, cwd=REPO, stdout=logfile.open("ab"),
                            stderr=subprocess.STDOUT)


def stop(procs: dict[str, subprocess.Popen]) -> None:
    for p in procs.values():
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs.values():
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()


def write_messages(path: Path, texts: list[str], n: int, prefix: str) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for i, text in repeated(texts, n):
            fh.write(json.dumps({"id": f"{prefix}{i}", "text": text}, ensure_ascii=False) + "\n")


def raw_message_bytes(texts: list[str], n: int, prefix: str) -> list[tuple[bytes, bytes]]:
    from pipeline.contract import RawMessage, encode

    out = []
    for i, text in repeated(texts, n):
        m = RawMessage(message_id=f"file:{prefix}{i}", channel="file", text=text[:100_000])
        out.append((m.message_id.encode(), encode(m)))
    return out


# -- PostgreSQL ---------------------------------------------------------------------------------------
def fresh_database(admin_url: str) -> tuple[str, str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = "bench_" + uuid.uuid4().hex[:10]
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return name, make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def ticket_stats(url: str, like: str = "%") -> tuple[int, float | None, float | None]:
    """(count, first created_at, last created_at) as Unix seconds, for tickets whose message_id is LIKE ``like``."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT count(*), min(created_at), max(created_at) FROM tickets "
                                    "WHERE message_id LIKE :p"), {"p": like}).one()
    except Exception:  # noqa: BLE001 - not migrated yet
        return 0, None, None
    finally:
        engine.dispose()
    n, lo, hi = row
    return n, (lo.timestamp() if lo else None), (hi.timestamp() if hi else None)


def wait_tickets(count_fn, n: int, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    last = -1
    while time.monotonic() < deadline:
        got = count_fn()
        if got >= n:
            return
        if got != last:
            last = got
        time.sleep(0.25)
    raise SystemExit(f"bench: timed out waiting for {what}: {last} of {n}")


def bench_raw_insert(url: str, rows: list[tuple[bytes, bytes]]) -> float:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_raw (id bigserial PRIMARY KEY, message_id text UNIQUE NOT NULL, "
                          "body jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"))
    t0 = time.perf_counter()
    for start in range(0, len(rows), 500):
        chunk = rows[start:start + 500]
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO bench_raw (message_id, body) VALUES (:m, CAST(:b AS jsonb)) "
                              "ON CONFLICT (message_id) DO NOTHING"),
                         [{"m": k.decode(), "b": v.decode()} for k, v in chunk])
    elapsed = time.perf_counter() - t0
    engine.dispose()
    return len(rows) / elapsed


# -- Kafka ----------------------------------------------------------------------------------------------
def bench_passthrough(bootstrap: str, records: list[tuple[bytes, bytes]], partitions: int) -> float:
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer

    run = uuid.uuid4().hex[:8]
    src, dst = f"bench{run}.passthrough.in", f"bench{run}.passthrough.out"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics({src: {"num_partitions": partitions, "replication_factor": 1},
                         dst: {"num_partitions": partitions, "replication_factor": 1}}, wait_for_metadata=True)
    admin.close()
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    for key, value in records:
        producer.send(src, value, key=key)
    producer.flush()
    consumer = KafkaConsumer(src, bootstrap_servers=bootstrap, group_id=f"bench{run}", enable_auto_commit=False,
                             auto_offset_reset="earliest", session_timeout_ms=6000, heartbeat_interval_ms=1000)
    done = 0
    t0 = None
    deadline = time.monotonic() + 600
    while done < len(records) and time.monotonic() < deadline:
        batches = consumer.poll(timeout_ms=1000, max_records=500)
        if not batches:
            continue
        if t0 is None:
            t0 = time.perf_counter()
        for batch in batches.values():
            for r in batch:
                producer.send(dst, r.value, key=r.key)
                done += 1
        producer.flush()
        consumer.commit()
    elapsed = time.perf_counter() - (t0 or time.perf_counter())
    consumer.close()
    producer.close()
    return done / elapsed if elapsed > 0 else float("nan")


def paced_load(bootstrap: str, prefix: str, texts: list[str], rate: float, duration: float) -> int:
    """Produce RawMessages onto the pipeline's raw topic at ``rate`` per second; received_at = the send time."""
    from kafka import KafkaProducer

    from pipeline import topics
    from pipeline.contract import RawMessage, encode

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=2)
    n = int(rate * duration)
    t0 = time.perf_counter()
    for i in range(n):
        target = t0 + i / rate
        delay = target - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        m = RawMessage(message_id=f"file:lat{i}", channel="file", text=texts[i % len(texts)],
                       received_at=datetime.now(UTC))
        producer.send(prefix + topics.RAW, encode(m), key=m.message_id.encode())
    producer.flush()
    producer.close()
    return n


def latencies(url: str) -> list[float]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT EXTRACT(EPOCH FROM (created_at - received_at)) FROM tickets "
                                 "WHERE message_id LIKE 'file:lat%'")).all()
    engine.dispose()
    return sorted(float(r[0]) for r in rows)


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


# -- main -----------------------------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small run (5,000 messages, 10 s of paced load)")
    ap.add_argument("--n", type=int, help="messages for the throughput runs (default 50,000; --quick 5,000)")
    ap.add_argument("--rate", type=float, default=500.0, help="offered load for the latency run (msg/s)")
    ap.add_argument("--duration", type=float, help="seconds of paced load (default 30; --quick 10)")
    ap.add_argument("--partitions", type=int, default=6, help="partitions per topic")
    ap.add_argument("--repeats", type=int, help="timed runs of the raw pass-through and of e2e, median reported "
                                               "(default 3; --quick 1)")
    args = ap.parse_args()
    n = args.n or (5_000 if args.quick else 50_000)
    duration = args.duration or (10.0 if args.quick else 30.0)
    repeats = max(1, args.repeats or (1 if args.quick else 3))

    texts = real_texts()
    log(f"{len(texts)} real tweets, {n} messages per run")
    services, started = start_services()
    work = Path(tempfile.mkdtemp(prefix="jemput-bench-"))
    results: dict[str, object] = {"n": n, "rate": args.rate, "machine": f"{os.cpu_count()} cpu", "repeats": repeats,
                                  "load_before": round(os.getloadavg()[0], 2)}
    rss: dict[str, float | None] = {}
    dbname = None
    try:
        gazetteer = {}
        admin_dir = REPO.parent / "shared" / "data" / "gazetteer" / "jakarta-admin"
        if admin_dir.is_dir():
            pack = work / "gazetteer.json"
            jemput(["gazetteer", "build", "--admin", str(admin_dir), "--out", str(pack)], jemput_env(),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            gazetteer = {"JEMPUT_GEOCODER__GAZETTEER": str(pack)}
        messages = work / "messages.jsonl"
        write_messages(messages, texts, n, "b")
        records = raw_message_bytes(texts, n, "r")

        log("raw pass-through (kafka-python consume -> produce): warm-up ...")
        bench_passthrough(services["kafka"], records[:5_000], args.partitions)
        raw_runs = []
        for k in range(repeats):
            log(f"raw pass-through {k + 1}/{repeats} ...")
            raw_runs.append(bench_passthrough(services["kafka"], records, args.partitions))
        results["raw_passthrough_msgs_per_s"] = statistics.median(raw_runs)
        results["raw_passthrough_runs"] = [round(r) for r in raw_runs]

        dbname, db = fresh_database(services["database"])
        log("raw batched inserts ...")
        results["raw_insert_rows_per_s"] = bench_raw_insert(db, records)

        prefix = f"bench{uuid.uuid4().hex[:8]}."
        env = jemput_env(JEMPUT_KAFKA__BOOTSTRAP_SERVERS=services["kafka"], JEMPUT_KAFKA__TOPIC_PREFIX=prefix,
                         JEMPUT_KAFKA__GROUP_PREFIX=prefix.rstrip("."), JEMPUT_DATABASE__URL=db,
                         JEMPUT_KAFKA__PARTITIONS=str(args.partitions), JEMPUT_DATA_DIR=str(work / "kdata"),
                         **gazetteer)
        e2e_runs: list[float] = []
        results["e2e_msgs_per_s"] = None  # (its place in the table)
        for k in range(repeats):
            ids = f"e{k}-"  # each run its own message ids (the sink would take repeated ones as redeliveries)
            run_messages = work / f"messages-{k}.jsonl"
            write_messages(run_messages, texts, n, ids)
            log(f"e2e {k + 1}/{repeats}: pre-loading {n} messages on the raw topic ...")
            jemput(["ingest", str(run_messages)], env, stdout=subprocess.DEVNULL)
            procs = {}
            try:
                for stage in ("sink", "geocoder", "classifier"):
                    procs[stage] = start_stage(["run", stage], env, work / f"{stage}.log")
                log(f"e2e {k + 1}/{repeats}: every stage its own process ...")
                wait_tickets(lambda ids=ids: ticket_stats(db, f"file:{ids}%")[0], n, 900, "e2e tickets")
                count, first, last = ticket_stats(db, f"file:{ids}%")
                if last and first and last > first:
                    e2e_runs.append((count - 1) / (last - first))
                if k == repeats - 1:
                    log(f"e2e latency: {args.rate:g} msg/s for {duration:g} s ...")
                    sent = paced_load(services["kafka"], prefix, texts, args.rate, duration)
                    wait_tickets(lambda: ticket_stats(db, "file:lat%")[0], sent, 300, "latency tickets")
                    lat = latencies(db)
                    results["e2e_p50_s"], results["e2e_p99_s"] = pct(lat, 50), pct(lat, 99)
                for stage, p in procs.items():
                    rss[stage] = max(filter(None, (rss.get(stage), peak_rss_mb(p.pid))), default=None)
            finally:
                stop(procs)
        results["e2e_msgs_per_s"] = statistics.median(e2e_runs) if e2e_runs else None
        results["e2e_runs"] = [round(r) for r in e2e_runs]

        log("embedded: one process, SQLite ...")
        edata = work / "edata"
        eenv = jemput_env(JEMPUT_DATA_DIR=str(edata), **gazetteer)
        jemput(["ingest", str(messages)], eenv, stdout=subprocess.DEVNULL)
        proc = start_stage(["run"], eenv, work / "embedded.log")
        try:
            def count_embedded() -> int:
                try:
                    conn = sqlite3.connect(edata / "tickets.sqlite3", timeout=30)
                    try:
                        return conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
                    finally:
                        conn.close()
                except sqlite3.Error:
                    return 0

            wait_tickets(count_embedded, n, 900, "embedded tickets")
            rss["embedded (all stages)"] = peak_rss_mb(proc.pid)
        finally:
            stop({"embedded": proc})
        conn = sqlite3.connect(edata / "tickets.sqlite3")
        lo, hi = conn.execute("SELECT min(created_at), max(created_at) FROM tickets").fetchone()
        conn.close()
        span = (datetime.fromisoformat(hi) - datetime.fromisoformat(lo)).total_seconds()
        results["embedded_msgs_per_s"] = (n - 1) / span if span > 0 else None
    finally:
        if dbname:
            drop_database(services["database"], dbname)
        if started:
            stop_services()

    results["load_after"] = round(os.getloadavg()[0], 2)
    e2e, raw = results.get("e2e_msgs_per_s"), results.get("raw_passthrough_msgs_per_s")
    results["ratio"] = (e2e / raw) if isinstance(e2e, float) and isinstance(raw, float) and raw else None
    results["peak_rss_mb"] = {k: (round(v, 1) if v else None) for k, v in rss.items()}

    rows = [(k, v) for k, v in results.items() if k != "peak_rss_mb"] + \
        [(f"peak_rss_mb[{k}]", v) for k, v in results["peak_rss_mb"].items()]
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        shown = f"{v:,.2f}" if isinstance(v, float) else str(v)
        print(f"{k:<{width}}  {shown}")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
