#!/usr/bin/env python3
"""Messages per second per core of ``jemput classify`` on real-length messages.

    python bench/classifier_speed.py [--n 50000] [--batch-size 1000] [--n-process 1] [--model DIR]

The input is N messages cycled from the real tweets in ../shared/data/social (read at run time; the bench exits
with a message when they are absent), written as JSONL ``{"id", "text"}`` to a temporary directory. Reports:

- ``cli``: one ``jemput classify`` process end to end (start-up, model load, JSON in and out included): wall-clock
  msg/s, and msg/s per CPU-second of that process (= per core), with and without the start-up (measured by a
  second run on the first 100 messages);
- ``model``: the classifier alone in this process (``TextClassifier.classify_many``), after a warm-up: msg/s on
  one core, and the share of that time spent in normalisation + keyword features (the tokenizer).

Then one JSON line with the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.common import SOCIAL  # noqa: E402

#: Messages in the start-up run (its CPU time is subtracted to get the steady-state rate).
_SMALL = 100


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=50_000)
    p.add_argument("--batch-size", type=int, default=1000)
    p.add_argument("--n-process", type=int, default=1)
    p.add_argument("--model", type=Path)
    args = p.parse_args()
    if not SOCIAL.is_dir():
        print(f"classifier_speed: skipped: {SOCIAL} not found (the real tweets are read from ../shared)")
        return
    from bench.common import real_texts

    texts = real_texts()
    msgs = [texts[i % len(texts)] for i in range(args.n)]
    mean_chars = sum(map(len, msgs)) / len(msgs)
    jemput = REPO / ".venv" / "bin" / "jemput"
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        with src.open("w", encoding="utf-8") as f:
            for i, t in enumerate(msgs):
                f.write(json.dumps({"id": f"m{i}", "text": t}, ensure_ascii=False) + "\n")
        cmd = [str(jemput if jemput.exists() else "jemput"), "classify", "--in", str(src), "--out", str(dst),
               "--batch-size", str(args.batch_size), "--n-process", str(args.n_process)]
        if args.model:
            cmd += ["--model", str(args.model)]
        small = Path(tmp) / "small.jsonl"
        with src.open(encoding="utf-8") as f, small.open("w", encoding="utf-8") as g:
            for _, line in zip(range(_SMALL), f, strict=False):
                g.write(line)

        def timed(path: Path) -> tuple[float, float]:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run([*cmd[:3], str(path), *cmd[4:]], check=True, stderr=subprocess.DEVNULL,
                           env=dict(os.environ, JEMPUT_LOG__LEVEL="WARNING"))
            wall = time.perf_counter() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

        _, startup_cpu = timed(small)  # start-up and model load, with a token amount of work
        wall, cpu = timed(src)
        lines = sum(1 for _ in dst.open(encoding="utf-8"))
    if lines != len(msgs):
        sys.exit(f"classifier_speed: {lines} output lines for {len(msgs)} messages")

    from classifier.model import TextClassifier

    clf = TextClassifier(args.model)
    list(clf.classify_many(msgs[:2000], batch_size=args.batch_size))  # warm-up (caches, allocations)
    t0 = time.process_time()
    n = sum(1 for _ in clf.classify_many(msgs, batch_size=args.batch_size))
    model_cpu = time.process_time() - t0
    t0 = time.process_time()
    for t in msgs:
        clf.tokenizer.words(t)
    tok_cpu = time.process_time() - t0

    out = {
        "messages": len(msgs),
        "mean_chars": round(mean_chars, 1),
        "cores_available": os.cpu_count(),
        "n_process": args.n_process,
        "cli_wall_msgs_per_s": round(len(msgs) / wall),
        "cli_msgs_per_cpu_s": round(len(msgs) / cpu),
        "cli_startup_cpu_s": round(startup_cpu, 2),
        "cli_msgs_per_cpu_s_after_startup": round((len(msgs) - _SMALL) / max(cpu - startup_cpu, 1e-9)),
        "model_msgs_per_s_one_core": round(n / model_cpu),
        "tokenizer_share": round(tok_cpu / model_cpu, 2),
        "model_version": clf.model_version,
    }
    print(f"{len(msgs):,} messages, mean {mean_chars:.0f} characters, {os.cpu_count()} cores")
    print(f"jemput classify (n-process {args.n_process}): {out['cli_wall_msgs_per_s']:,} msg/s wall, "
          f"{out['cli_msgs_per_cpu_s']:,} msg/s per core (CPU time, start-up included); "
          f"{out['cli_msgs_per_cpu_s_after_startup']:,} msg/s per core after the {startup_cpu:.1f} s start-up")
    print(f"model alone, one core: {out['model_msgs_per_s_one_core']:,} msg/s "
          f"(tokenizer = normalisation + keyword features: {out['tokenizer_share']:.0%} of the time)")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
