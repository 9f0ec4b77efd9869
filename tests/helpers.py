"""Helpers for tests that run jemput as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

_TEMPLATES = [
    "banjir lagi di {place}, air udah {n} cm masuk rumah. tolong @DKIJakarta",
    "sampah numpuk di pinggir jalan {place} sudah {n} hari ga diangkut, bau banget",
    "jalan berlubang di {place} makin parah, kemarin ada {n} motor jatuh",
    "TJ ke arah {place} telat {n} menit, haltenya penuh sesak. tolong tambah armada",
    "lampu jalan mati di {place} udah {n} malam, gelap dan rawan",
    "alhamdulillah banjir orderan hari ini, makasih pelanggan dari {place} ({n})",
    "selamat pagi warga {place}, semangat hari ke-{n}!",
    "parkir liar bikin macet di {place}, udah {n} kali dilaporin",
]
_PLACES = ["Kemang", "Tebet", "Cengkareng", "Kalideres", "Kampung Melayu", "Rawamangun", "Menteng", "Koja",
           "Tanjung Priok", "Pasar Minggu", "Grogol", "Cakung", "Kebon Jeruk", "Senen", "Kelapa Gading"]


def sample_messages(n: int, prefix: str = "t") -> list[dict]:
    """``n`` distinct, realistic messages with ids ``{prefix}-{i}``."""
    out = []
    for i in range(n):
        tpl = _TEMPLATES[i % len(_TEMPLATES)]
        out.append({"id": f"{prefix}-{i}", "text": tpl.format(place=_PLACES[(i // 3) % len(_PLACES)], n=i % 97 + 1),
                    "posted_at": f"2026-11-{1 + i % 27:02d}T{i % 24:02d}:00:00+07:00", "author": f"@warga{i % 50}"})
    return out


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def jemput_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JEMPUT_") or k.startswith("JEMPUT_TEST_")}
    env["PYTHONPATH"] = str(REPO)
    env["JEMPUT_LOG__FORMAT"] = "text"
    env.update(extra)
    return env


def jemput_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipeline.cli", *args]


def jemput(*args: str, env: dict[str, str], timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(jemput_cmd(*args), env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"jemput {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def start(*args: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    fh = log.open("ab")
    return subprocess.Popen(jemput_cmd(*args), env=env, cwd=REPO, stdout=fh, stderr=subprocess.STDOUT)


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
