#!/usr/bin/env python3
"""The geocoder on hand-labelled real tweets: precision and coverage at kecamatan and kelurahan level.

    python bench/geocoder_eval.py --gazetteer PACK [--split test|dev|all] [--errors] [--json] [--min-evidence N]

The labels are in ``bench/data/geocoder_eval_labels.jsonl`` (format in :mod:`geocoder.evaluate`): source CSV under
``../shared/data``, row, ``text_sha1``, true kota / kecamatan / kelurahan codes (or a note "not locatable" /
"outside DKI"), and ``split``. The tweet texts are read from ``../shared`` at run time and never stored here.
``dev`` is the part looked at while tuning; ``test`` is held out. ``--errors`` prints the wrong answers of the
chosen split (to the terminal only). Build the pack first::

    jemput gazetteer build --admin ../shared/data/gazetteer/jakarta-admin \
        --gtfs ../shared/data/gazetteer/transjakarta-gtfs-2025 \
        --places ../shared/data/gazetteer/jakarta-traffic-places/places_dki.csv \
        --rw ../shared/data/gazetteer/jakarta-rw-2014 --out /tmp/gazetteer.json

Exits 0 after printing; 2 when ../shared is absent (with a message).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

LABELS_FILE = REPO / "bench" / "data" / "geocoder_eval_labels.jsonl"
SHARED = REPO.parent / "shared" / "data"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gazetteer", type=Path, required=True, help="gazetteer pack to place with")
    parser.add_argument("--labels", type=Path, default=LABELS_FILE)
    parser.add_argument("--data", type=Path, default=SHARED, help="the shared data directory")
    parser.add_argument("--split", choices=("dev", "test", "all"), default="all")
    parser.add_argument("--errors", action="store_true", help="print the wrong answers of the split")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--min-evidence",
        type=int,
        default=None,
        help="coarsen text readings weaker than this to their kota (default: the setting geocoder.min_evidence)",
    )
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"skipped: {args.data} not found (the tweets are read from ../shared at run time)", file=sys.stderr)
        return 2

    from geocoder.evaluate import format_scores, load_labels, score
    from geocoder.gazetteer import Gazetteer
    from geocoder.locate import Locator
    from geocoder.matcher import DEFAULT_MIN_EVIDENCE

    min_evidence = DEFAULT_MIN_EVIDENCE if args.min_evidence is None else args.min_evidence
    locator = Locator(Gazetteer.load(args.gazetteer), min_evidence=min_evidence)
    items = load_labels(args.labels, args.data)
    predicted = [(item, locator.locate(item.text)) for item in items]
    splits = ("dev", "test", "all") if args.split == "all" else (args.split,)
    results = {}
    for split in splits:
        chosen = [(i, p) for i, p in predicted if split == "all" or i.split == split]
        results[split] = score(chosen)
        if not args.json:
            print(format_scores(f"{split} ({locator.version})", results[split]))
    if args.json:
        print(json.dumps(results, indent=2))
    if args.errors:
        for item, loc in predicted:
            if args.split != "all" and item.split != args.split:
                continue
            lab = item.label
            want = lab.get("kelurahan") or lab.get("kecamatan") or lab.get("kota")
            got = loc.kelurahan_code or loc.kecamatan_code or loc.kota_code
            if want == got:
                continue
            print(f"--- {lab['source'].split('/')[1]}:{lab['row']} want {want} ({lab.get('note')}) "
                  f"got {loc.precision} {got} {loc.matched_text!r}")
            print("   ", item.text[:300].replace("\n", " "))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
