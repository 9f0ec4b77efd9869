#!/usr/bin/env python3
"""Text geocoding speed: messages per second on one core, on real tweets from ../shared/data/social.

    python bench/geocoder_speed.py [--gazetteer PACK] [--messages N] [--repeat R]

Without ``--gazetteer`` a pack is built into a temporary directory from ../shared/data/gazetteer (admin polygons,
Transjakarta GTFS, traffic-report places, RW boundaries), exactly as ``jemput gazetteer build`` does. The timed loop runs
``Locator.locate(text)`` (no GPS, no geocoding service) in this single process over N real tweets (cycled), best of
R runs, and prints messages/s per core, the mean tweet length and the share of messages placed. Goal: >= 5,000/s.
Skips with a message (exit 0) when ../shared is absent.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SHARED = REPO.parent / "shared" / "data"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gazetteer", type=Path, help="an existing pack (default: build one from ../shared)")
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not (SHARED / "social").is_dir():
        print(f"skipped: {SHARED / 'social'} not found (real tweets are read from ../shared at run time)")
        return 0

    from bench.common import real_texts
    from geocoder.gazetteer import Gazetteer
    from geocoder.importer import build_pack
    from geocoder.locate import Locator

    pack = args.gazetteer
    tmp = None
    if pack is None:
        tmp = tempfile.TemporaryDirectory()
        pack = Path(tmp.name) / "gazetteer.json"
        gaz_dir = SHARED / "gazetteer"
        t0 = time.perf_counter()
        build_pack(
            gaz_dir / "jakarta-admin",
            pack,
            gtfs=gaz_dir / "transjakarta-gtfs-2025",
            places=[gaz_dir / "jakarta-traffic-places" / "places_dki.csv"],
            rw=gaz_dir / "jakarta-rw-2014",
        )
        print(f"built pack in {time.perf_counter() - t0:.1f}s")
    t0 = time.perf_counter()
    locator = Locator(Gazetteer.load(pack))
    print(f"loaded pack and matchers in {time.perf_counter() - t0:.1f}s "
          f"({len(locator.gazetteer)} areas, {len(locator.gazetteer.places)} places)")
    texts = real_texts(SHARED / "social")
    batch = [texts[i % len(texts)] for i in range(args.messages)]
    for text in batch[:200]:  # warm up
        locator.locate(text)
    best = float("inf")
    placed = 0
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        placed = sum(locator.locate(text).precision != "none" for text in batch)
        best = min(best, time.perf_counter() - t0)
    mean_len = sum(map(len, batch)) / len(batch)
    print(f"{len(batch)} real tweets (mean {mean_len:.0f} chars), best of {args.repeat}: "
          f"{len(batch) / best:,.0f} messages/s on one core ({1e6 * best / len(batch):.0f} us/message); "
          f"placed {100 * placed / len(batch):.1f}%")
    # The slow path: only tweets that do name a place (every one goes through spaCy and the reading choice).
    naming = [t for t in dict.fromkeys(texts) if locator.locate(t).precision != "none"]
    if naming:
        hard = [naming[i % len(naming)] for i in range(args.messages)]
        best_hard = float("inf")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            for text in hard:
                locator.locate(text)
            best_hard = min(best_hard, time.perf_counter() - t0)
        print(f"{len(hard)} tweets that name a place ({len(naming)} distinct, mean "
              f"{sum(map(len, hard)) / len(hard):.0f} chars): {len(hard) / best_hard:,.0f} messages/s on one core")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
