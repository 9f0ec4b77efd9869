#!/usr/bin/env python3
"""The classifier on hand-labelled real tweets: per-label F1, macro-F1 and "is a complaint" recall.

    python bench/classifier_eval.py [--split test|dev|all] [--model DIR] [--keywords] [--json] [--errors]

The labels are in ``bench/data/classifier_eval_labels.jsonl``, one line per tweet: ``source`` (a CSV under
``../shared/data``), ``column``, ``row`` (0-based data row), ``text_sha1`` (first 12 hex of the SHA-1 of the text, to
notice when the shared copy changed), ``label`` (docs/categories.md) and ``split``. The texts themselves are read
from ``../shared`` at run time and never stored in the repository.

``dev`` is the part looked at while writing the corpus; ``test`` is the held-out part to report. ``--keywords``
scores the keyword baseline instead of the trained model. ``--errors`` prints the misclassified tweets (to the
terminal only).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

LABELS_FILE = REPO / "bench" / "data" / "classifier_eval_labels.jsonl"
SHARED = REPO.parent / "shared" / "data"


def _encoding_and_delimiter(path: Path) -> tuple[str, str]:
    raw = path.read_bytes()[:65536]
    try:
        raw.decode("utf-8")
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        # the 2019 hate-speech set is Latin-1; a cut multi-byte character at the sample's end is tolerated below
        try:
            raw[:-4].decode("utf-8")
            encoding = "utf-8-sig"
        except UnicodeDecodeError:
            encoding = "latin-1"
    head = raw.decode(encoding, errors="replace").splitlines()[0]
    return encoding, (";" if head.count(";") > head.count(",") else ",")


@cache
def _column(source: str, column: str) -> list[str]:
    path = SHARED / source
    encoding, delimiter = _encoding_and_delimiter(path)
    with path.open(encoding=encoding, newline="") as f:
        return [row.get(column) or "" for row in csv.DictReader(f, delimiter=delimiter)]


#: Which label of a record to read: the adjudicated one, the first annotator's, or the second's (see the README there).
LABEL_FIELDS = {"adjudicated": "label", "first": "first_label", "second": "second_label"}


def load_labelled(split: str = "test", shared: Path = SHARED, labels: str = "adjudicated") -> list[tuple[str, str]]:
    """``(text, label)`` of the hand-labelled tweets in ``split`` (``all`` for both), texts read from ``shared``.

    ``labels`` picks the label: ``adjudicated`` (the reference), ``first`` or ``second`` (one annotator's own).
    """
    field = LABEL_FIELDS[labels]
    if not shared.is_dir():
        sys.exit(f"classifier_eval: {shared} not found; the labelled tweets are read from ../shared/data")
    out: list[tuple[str, str]] = []
    drift = 0
    with LABELS_FILE.open(encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            if split != "all" and rec["split"] != split:
                continue
            text = _column(rec["source"], rec["column"])[rec["row"]]
            if hashlib.sha1(text.encode("utf-8")).hexdigest()[:12] != rec["text_sha1"]:
                drift += 1
                continue
            out.append((text, rec.get(field) or rec["label"]))
    if drift:
        print(f"classifier_eval: {drift} labelled row(s) changed in ../shared and were skipped", file=sys.stderr)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--split", choices=["test", "dev", "all"], default="test")
    p.add_argument("--model", type=Path, help="model directory (default: the shipped model)")
    p.add_argument("--keywords", action="store_true", help="score the keyword baseline instead")
    p.add_argument("--dismiss-threshold", type=float, default=0.0,
                   help="classifier.dismiss_threshold to apply (default 0: plain most likely label)")
    p.add_argument("--labels", choices=list(LABEL_FIELDS), default="adjudicated",
                   help="score against the adjudicated labels (default) or one annotator's own")
    p.add_argument("--annotators", action="store_true",
                   help="score the second annotator against --labels instead of a model: the human agreement")
    p.add_argument("--json", action="store_true", help="also print one JSON line with the numbers")
    p.add_argument("--errors", action="store_true", help="print the misclassified tweets")
    args = p.parse_args()

    from classifier.evaluate import evaluate, report

    data = load_labelled(args.split, labels=args.labels)
    texts = [t for t, _ in data]
    gold = [lab for _, lab in data]
    if args.annotators:
        from types import SimpleNamespace

        second = [lab for _, lab in load_labelled(args.split, labels="second")]
        preds = [SimpleNamespace(category=lab, confidence=1.0) for lab in second]
        name = "the second annotator"
    elif args.keywords:
        from classifier.keywords import KeywordClassifier

        kw = KeywordClassifier()
        preds = [kw.classify(t) for t in texts]
        name = kw.model_version
    else:
        from classifier.model import TextClassifier

        clf = TextClassifier(args.model, args.dismiss_threshold)
        preds = list(clf.classify_many(texts))
        name = clf.model_version
    ev = evaluate(gold, [pr.category for pr in preds])
    extra = f", dismiss threshold {args.dismiss_threshold}" if args.dismiss_threshold and not args.keywords else ""
    print(report(ev, f"{name} on {len(data)} hand-labelled real tweets (split: {args.split}, labels: {args.labels}{extra})"))
    if args.errors:
        for text, g, pr in zip(texts, gold, preds, strict=True):
            if pr.category != g:
                print(f"- gold {g} / predicted {pr.category} ({pr.confidence:.2f}): {' '.join(text.split())[:200]}")
    if args.json:
        print(json.dumps({"model": name, "split": args.split, **ev.as_dict()}))


if __name__ == "__main__":
    main()
