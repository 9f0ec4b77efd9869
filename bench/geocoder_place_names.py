#!/usr/bin/env python3
"""The text geocoder on 1,640 real place names from Jakarta traffic reports, each with the coordinates it has.

    python bench/geocoder_place_names.py --gazetteer PACK [--min-evidence N] [--errors]

The names (``../shared/data/gazetteer/jakarta-traffic-places/places_dki.csv``: "Jl. Cakung Cilincing Raya", "Buncit -
Duren Tiga", "Blok M arah ke Pangeran Antasari", ...) are read as messages; an answer at kecamatan level or finer is
right when its kecamatan is the one the point lies in, or lies within 1 km of the point (the points are spots on
roads, often on a boundary). Printed per evidence basis (``geocoder.matcher.Evidence``), so that a kind of reading
that is often wrong shows. Build the pack WITHOUT ``--places`` of this very file (its places would answer
themselves), e.g. ``jemput gazetteer build --admin .../jakarta-admin --gtfs .../transjakarta-gtfs-2025``.

These are names, not messages: most are road segments ("A - B", read as a route: no place) or bare names (coarsened
to their kota), so few are answered below the kota. Skips (exit 2) without ../shared.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
PLACES = REPO.parent / "shared" / "data" / "gazetteer" / "jakarta-traffic-places" / "places_dki.csv"
TOLERANCE_M = 1_000.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gazetteer", type=Path, required=True, help="a pack built without these places")
    parser.add_argument("--places", type=Path, default=PLACES)
    parser.add_argument("--min-evidence", type=int, default=None, help="default: the setting geocoder.min_evidence")
    parser.add_argument("--errors", action="store_true", help="print the wrong answers")
    args = parser.parse_args()
    if not args.places.is_file():
        print(f"skipped: {args.places} not found (read from ../shared at run time)", file=sys.stderr)
        return 2

    from geocoder.gazetteer import Gazetteer
    from geocoder.matcher import DEFAULT_MIN_EVIDENCE, Matcher

    gazetteer = Gazetteer.load(args.gazetteer)
    matcher = Matcher(gazetteer, min_evidence=DEFAULT_MIN_EVIDENCE if args.min_evidence is None else args.min_evidence)
    with args.places.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    in_dki = answered = 0
    by_basis: dict[str, list[int]] = {}
    errors: list[str] = []
    for row in rows:
        lat, lon = float(row["lat"]), float(row["lon"])
        truth = gazetteer.area_at(lat, lon)
        if truth is None or truth.kecamatan_code is None:
            continue
        in_dki += 1
        reading = matcher.read(row["name"])
        loc = reading.location
        if loc.kecamatan_code is None:
            continue
        answered += 1
        named = gazetteer.get(loc.kecamatan_code)
        distance = gazetteer.distance_m(named, lat, lon) if named is not None else None
        right = loc.kecamatan_code == truth.kecamatan_code or (distance is not None and distance <= TOLERANCE_M)
        basis = reading.evidence.basis if reading.evidence is not None else "?"
        counts = by_basis.setdefault(basis, [0, 0])
        counts[0] += 1
        counts[1] += right
        if not right:
            errors.append(f"  {row['name']!r}: {named.name if named else loc.kecamatan_code} ({basis}), "
                          f"the point is in {gazetteer.get(truth.kecamatan_code).name}, {distance:.0f} m away")
    right_total = sum(c[1] for c in by_basis.values())
    print(f"{gazetteer.build_id}: {len(rows)} names, {in_dki} with a point in a DKI kecamatan; {answered} answered at "
          f"kecamatan level or finer; right (kecamatan, or within 1 km of the point) "
          f"{right_total}/{answered} = {100 * right_total / max(answered, 1):.1f}%")
    for basis, (n, right) in sorted(by_basis.items()):
        print(f"  {basis:12s} {right:4d}/{n:<4d} {100 * right / n:5.1f}%")
    if args.errors:
        print("\n".join(errors))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
