"""Shared helpers for the benchmark scripts: real tweet texts from ../shared, process memory, services."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOCIAL = REPO.parent / "shared" / "data" / "social"

# (file under shared/data/social, text column, delimiter, encoding)
_SOURCES = [
    ("flood-tweets-2025/dataset_komentarbencana.csv", "full_text", ";", "utf-8-sig"),
    ("civic-keyword-tweets-2025/preprocessed_data.csv", "text", ",", "utf-8"),
    ("transport-tweets-2025/final_df.csv", "Tweet", ",", "utf-8"),
    ("hate-speech-tweets-2019/re_dataset.csv", "Tweet", ",", "latin-1"),
]


def real_texts(social: Path = SOCIAL) -> list[str]:
    """Every tweet text of the real Indonesian tweet sets (read at run time, never copied into the repo)."""
    if not social.is_dir():
        sys.exit(f"bench: {social} not found: the real tweets are needed (see ../shared/README.md)")
    texts: list[str] = []
    for rel, column, delimiter, encoding in _SOURCES:
        path = social / rel
        if not path.exists():
            continue
        with path.open(encoding=encoding, newline="") as fh:
            for row in csv.DictReader(fh, delimiter=delimiter):
                text = (row.get(column) or "").strip()
                if text:
                    texts.append(text)
    if not texts:
        sys.exit(f"bench: no tweets found under {social}")
    return texts


def repeated(texts: list[str], n: int) -> Iterator[tuple[int, str]]:
    """``n`` (index, text) pairs cycling through ``texts``."""
    for i in range(n):
        yield i, texts[i % len(texts)]


def peak_rss_mb(pid: int) -> float | None:
    """Peak resident set size (VmHWM) of a live process, in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def start_services() -> tuple[dict[str, str], bool]:
    """Kafka and PostgreSQL addresses: the ones in the environment, or freshly started ones (second value True)."""
    kafka = os.environ.get("JEMPUT_KAFKA__BOOTSTRAP_SERVERS")
    db = os.environ.get("JEMPUT_DATABASE__URL")
    if kafka and db:
        return {"kafka": kafka, "database": db}, False
    env = dict(os.environ, JEMPUT_SERVICES_DIR=str(REPO / ".services-bench"))
    print("bench: starting Kafka and PostgreSQL (scripts/services) ...", file=sys.stderr)
    subprocess.run([str(REPO / "scripts" / "services"), "start"], check=True, env=env, cwd=REPO,
                   stdout=subprocess.DEVNULL)
    values = dict(line.split("=", 1) for line in (REPO / ".services-bench" / "env").read_text().split() if "=" in line)
    return {"kafka": kafka or values["JEMPUT_TEST_KAFKA_BOOTSTRAP"], "database": db or values["JEMPUT_TEST_DATABASE_URL"]}, True


def stop_services() -> None:
    env = dict(os.environ, JEMPUT_SERVICES_DIR=str(REPO / ".services-bench"))
    subprocess.run([str(REPO / "scripts" / "services"), "stop"], env=env, cwd=REPO, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
