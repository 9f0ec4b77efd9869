"""Benchmark: the ticket desk's streaming export on PostgreSQL, and the sink's write rate with routing.

    JEMPUT_TEST_DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/desk_export.py [--rows 100000 ...]

For each row count: a fresh database, tickets written through TicketStore.write_batch (routing applied, as the
sink does), then ``jemput api`` started as its own process and the whole CSV and GeoJSON exports downloaded over
HTTP. Reports write rate, export time and throughput, and the API process's peak RSS (VmHWM) before and after each
export: with a server-side cursor the peak must not grow with the number of rows.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import REPO, peak_rss_mb  # noqa: E402
from sink.store import TicketStore  # noqa: E402
from sink.synthetic import synthetic_messages  # noqa: E402

KEY = "bench-analyst-key-not-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(admin_url: str, rows: int) -> dict[str, float]:
    name = "bench_" + uuid.uuid4().hex[:8]
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    out: dict[str, float] = {"rows": rows}
    proc = None
    try:
        store = TicketStore(url)
        store.migrate()
        t0 = time.perf_counter()
        batch = []
        for m in synthetic_messages(rows, seed=1, prefix="bench"):
            batch.append(m)
            if len(batch) == 1000:
                store.write_batch(batch)
                batch = []
        if batch:
            store.write_batch(batch)
        out["write_per_s"] = rows / (time.perf_counter() - t0)
        store.close()
        port = free_port()
        env = {**os.environ, "JEMPUT_DATABASE__URL": url, "JEMPUT_LOG__LEVEL": "WARNING",
               "JEMPUT_DESK__API_KEYS": f'[{{"name": "bench", "key": "{KEY}", "role": "analyst"}}]'}
        proc = subprocess.Popen([str(REPO / ".venv" / "bin" / "jemput"), "api", "--host", "127.0.0.1",
                                 "--port", str(port)], env=env, cwd=REPO)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("jemput api did not start")
            time.sleep(0.2)
        out["rss_idle_mb"] = peak_rss_mb(proc.pid) or 0.0
        for fmt in ("csv", "geojson"):
            t0 = time.perf_counter()
            size = 0
            with httpx.stream("GET", f"{base}/api/v1/export.{fmt}", headers={"X-API-Key": KEY}, timeout=600) as r:
                r.raise_for_status()
                for chunk in r.iter_bytes():
                    size += len(chunk)
            dt = time.perf_counter() - t0
            out[f"{fmt}_s"] = dt
            out[f"{fmt}_rows_per_s"] = rows / dt
            out[f"{fmt}_mb"] = size / 1e6
            out[f"rss_peak_after_{fmt}_mb"] = peak_rss_mb(proc.pid) or 0.0
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(20)
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    args = ap.parse_args()
    url = os.environ.get("JEMPUT_TEST_DATABASE_URL")
    if not url:
        sys.exit("bench: set JEMPUT_TEST_DATABASE_URL (scripts/postgres start prints it)")
    for rows in args.rows:
        r = run(url, rows)
        print(f"rows={rows:>7,}  write {r['write_per_s']:8,.0f}/s  "
              f"csv {r['csv_s']:6.1f}s {r['csv_rows_per_s']:8,.0f} rows/s {r['csv_mb']:6.1f} MB  "
              f"geojson {r['geojson_s']:6.1f}s {r['geojson_mb']:6.1f} MB  "
              f"api RSS idle {r['rss_idle_mb']:.0f} MB, peak after csv {r['rss_peak_after_csv_mb']:.0f} MB, "
              f"after geojson {r['rss_peak_after_geojson_mb']:.0f} MB", flush=True)


if __name__ == "__main__":
    main()
