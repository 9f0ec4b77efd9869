"""Score the geocoder against hand labels.

Labels file (JSON lines, one labelled message each; the texts are not in it, they are read from the data directory)::

    {"source": "social/flood-tweets-2025/dataset_komentarbencana.csv",  # path under the data directory
     "row": 1332,                       # 0-based data row of that CSV (after the header)
     "text_sha1": "a1b2c3d4e5f6",       # first 12 hex digits of sha1(text, UTF-8): checks it is the same text
     "kota": "31.74" | null, "kecamatan": "31.74.01" | null, "kelurahan": "31.74.01.1004" | null,
     "point": [lat, lon] | null,        # the true point when known (a named halte)
     "note": "...",                     # "not locatable..." / "outside DKI..." when all codes are null
     "split": "dev" | "test",           # test: held out, never tuned against
     "former_split": "test"}            # optional: a row moved to dev after its errors were read

Known sources (delimiter and text column): the social CSVs listed in :data:`SOURCES`.

Scores (for a split or all):

- **kecamatan precision**: of the messages the geocoder gives a kecamatan, the share whose kecamatan is the true one.
  A message labelled not locatable or outside DKI counts as wrong; one labelled only to its kota cannot be checked
  at this level and is counted apart (``unverifiable``) unless the kota differs (wrong).
- **kecamatan coverage**: of the messages whose true kecamatan is known, the share given that kecamatan.
- **kelurahan precision / coverage**: the same one level down; a prediction is also right when the label has a
  point and the predicted point lies within 1 km of it.
- **placed**: of the messages that name a locatable Jakarta place (labelled at least to a kota), the share the
  geocoder places at all, and the share it places in the right kota.
- **declined**: of the messages labelled not locatable or outside DKI, the share given no place (precision none).
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from geocoder.errors import GeocoderError
from pipeline.contract import Location

__all__ = ["SOURCES", "Labelled", "format_scores", "load_labels", "score"]

#: path under the data directory -> (delimiter, text column)
SOURCES: Final[Mapping[str, tuple[str, str]]] = {
    "social/flood-tweets-2025/dataset_komentarbencana.csv": (";", "full_text"),
    "social/flood-tweets-2025/dataset_training.csv": (";", "full_text"),
    "social/flood-tweets-2025/dataset_testing.csv": (";", "full_text"),
    "social/civic-keyword-tweets-2025/preprocessed_data.csv": (",", "text"),
    "social/transport-tweets-2025/final_df.csv": (",", "Tweet"),
}


@dataclass(frozen=True)
class Labelled:
    label: Mapping[str, Any]
    text: str

    @property
    def split(self) -> str:
        return str(self.label.get("split") or "dev")


def _read_texts(data_dir: Path, source: str) -> list[str]:
    if source not in SOURCES:
        raise GeocoderError(f"unknown label source {source!r}; known: {', '.join(SOURCES)}")
    delimiter, column = SOURCES[source]
    path = data_dir / source
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return [row.get(column) or "" for row in csv.DictReader(fh, delimiter=delimiter)]
    except OSError as exc:
        raise GeocoderError(f"{path}: cannot read: {exc.strerror or exc}") from None


def load_labels(labels: Path, data_dir: Path) -> list[Labelled]:
    """The labelled messages with their texts; raises GeocoderError when a text is missing or has changed."""
    cache: dict[str, list[str]] = {}
    out: list[Labelled] = []
    with Path(labels).open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            label = json.loads(line)
            source = label["source"]
            if source not in cache:
                cache[source] = _read_texts(data_dir, source)
            rows = cache[source]
            row = int(label["row"])
            if not 0 <= row < len(rows):
                raise GeocoderError(f"{labels} line {n}: {source} has no row {row}")
            text = rows[row]
            digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
            if digest != label["text_sha1"]:
                raise GeocoderError(f"{labels} line {n}: {source} row {row} is not the labelled text (sha1 {digest})")
            out.append(Labelled(label, text))
    return out


def _distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    dlat = (a[0] - b[0]) * 111_320.0
    dlon = (a[1] - b[1]) * 111_320.0 * math.cos(math.radians((a[0] + b[0]) / 2))
    return math.hypot(dlat, dlon)


class _Ratio:
    def __init__(self) -> None:
        self.hit = 0
        self.total = 0

    def add(self, ok: bool) -> None:
        self.total += 1
        self.hit += ok

    def as_dict(self) -> dict[str, Any]:
        return {"hit": self.hit, "total": self.total, "rate": (self.hit / self.total) if self.total else None}


def score(items: Iterable[tuple[Labelled, Location]]) -> dict[str, Any]:
    """Scores of the predictions (see the module docstring)."""
    kec_p, kec_c, kel_p, kel_c, placed, placed_kota, declined = (_Ratio() for _ in range(7))
    unverifiable = {"kecamatan": 0, "kelurahan": 0}
    n = 0
    for item, loc in items:
        n += 1
        lab = item.label
        true_kota, true_kec, true_kel = lab.get("kota"), lab.get("kecamatan"), lab.get("kelurahan")
        point = lab.get("point")
        locatable = true_kota is not None
        if locatable:
            placed.add(loc.precision != "none")
            placed_kota.add(loc.kota_code == true_kota)
        else:
            declined.add(loc.precision == "none")
        if loc.kecamatan_code is not None:
            if not locatable:
                kec_p.add(False)
            elif true_kec is None:
                if loc.kota_code != true_kota:
                    kec_p.add(False)
                else:
                    unverifiable["kecamatan"] += 1
            else:
                kec_p.add(loc.kecamatan_code == true_kec)
        if true_kec is not None:
            kec_c.add(loc.kecamatan_code == true_kec)
        near = (
            point is not None
            and loc.lat is not None
            and loc.lon is not None
            and loc.precision in {"point", "street", "place"}
            and _distance_m((loc.lat, loc.lon), (point[0], point[1])) <= 1_000
        )
        if loc.kelurahan_code is not None:
            if not locatable:
                kel_p.add(False)
            elif true_kel is None and not near:
                if (true_kec is not None and loc.kecamatan_code != true_kec) or loc.kota_code != true_kota:
                    kel_p.add(False)
                else:
                    unverifiable["kelurahan"] += 1
            else:
                kel_p.add(loc.kelurahan_code == true_kel or near)
        if true_kel is not None:
            kel_c.add(loc.kelurahan_code == true_kel or near)
    return {
        "messages": n,
        "kecamatan_precision": kec_p.as_dict(),
        "kecamatan_coverage": kec_c.as_dict(),
        "kelurahan_precision": kel_p.as_dict(),
        "kelurahan_coverage": kel_c.as_dict(),
        "placed": placed.as_dict(),
        "placed_right_kota": placed_kota.as_dict(),
        "declined_when_not_locatable": declined.as_dict(),
        "unverifiable": unverifiable,
    }


def format_scores(name: str, scores: Mapping[str, Any]) -> str:
    """A few readable lines."""

    def r(key: str) -> str:
        d = scores[key]
        rate = "  n/a " if d["rate"] is None else f"{100 * d['rate']:5.1f}%"
        return f"{rate} ({d['hit']}/{d['total']})"

    return "\n".join(
        [
            f"{name}: {scores['messages']} labelled messages",
            f"  kecamatan precision {r('kecamatan_precision')}   coverage {r('kecamatan_coverage')}",
            f"  kelurahan precision {r('kelurahan_precision')}   coverage {r('kelurahan_coverage')}",
            f"  placed (of messages naming a locatable Jakarta place) {r('placed')}; right kota {r('placed_right_kota')}",
            f"  declined (not locatable / outside DKI) {r('declined_when_not_locatable')}",
            f"  unverifiable (label only to kota / kecamatan): {scores['unverifiable']}",
        ]
    )
