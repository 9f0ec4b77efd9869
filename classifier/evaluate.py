"""Reading labelled data (JSONL or CSV) and scoring predictions against it.

:func:`read_labelled` reads ``(text, label)`` pairs; :func:`evaluate` computes per-label precision, recall and F1,
macro-F1 over the labels, accuracy, the confusion matrix and the binary "is a complaint" precision and recall
(every label but ``not_complaint`` counts as a complaint). :func:`report` formats it as plain text.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from classifier.errors import ClassifierError
from config.categories import COMPLAINT_LABELS, LABELS

__all__ = ["DataError", "Evaluation", "LabelScore", "Record", "evaluate", "read_labelled", "report"]


class DataError(ClassifierError):
    """A labelled data file cannot be read."""


def _csv_dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        return csv.excel


@dataclass(frozen=True)
class Record:
    """One labelled record: its line (JSONL) or row (CSV, counting the header as line 1) number, text, label and
    optional group (the corpus frame it was built from)."""

    line: int
    text: str
    label: str | None
    group: str | None = None


def read_labelled(
    path: Path,
    text_column: str = "text",
    label_column: str = "label",
    *,
    require_label: bool = True,
    group_column: str | None = None,
) -> Iterator[Record]:
    """The records of a JSONL or CSV file (chosen by the extension: ``.csv``/``.tsv`` or anything else as JSONL).

    Raises :class:`DataError` for a missing file, a missing column, a label outside the six (when
    ``require_label``) or (JSONL) a line that is not a JSON object.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"no such file: {path}")
    if path.suffix.lower() in {".csv", ".tsv"}:
        yield from _read_csv(path, text_column, label_column, require_label, group_column)
        return
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}:{n}: not JSON ({exc.msg})") from exc
            if not isinstance(rec, dict):
                raise DataError(f"{path}:{n}: not a JSON object")
            yield _record(rec, path, n, text_column, label_column, require_label, group_column)


def _read_csv(path: Path, text_column: str, label_column: str, require_label: bool, group_column: str | None):
    with path.open(encoding="utf-8-sig", newline="") as f:
        sample = f.read(65536)
        f.seek(0)
        reader = csv.DictReader(f, dialect=_csv_dialect(sample))
        cols = reader.fieldnames or []
        for col in (text_column, label_column) if require_label else (text_column,):
            if col not in cols:
                raise DataError(f"{path}: no column {col!r} (columns: {', '.join(cols)})")
        for n, rec in enumerate(reader, 2):
            yield _record(rec, path, n, text_column, label_column, require_label, group_column)


def _record(rec: dict, path: Path, n: int, text_column: str, label_column: str, require_label: bool,
            group_column: str | None) -> Record:
    text = rec.get(text_column)
    if not isinstance(text, str):
        raise DataError(f"{path}:{n}: no text in field {text_column!r}")
    label = rec.get(label_column)
    if label is not None:
        label = str(label).strip()
    if require_label and label not in LABELS:
        raise DataError(f"{path}:{n}: label {label!r} is not one of {', '.join(LABELS)}")
    group = rec.get(group_column) if group_column else None
    return Record(n, text, label, str(group) if group not in (None, "") else None)


@dataclass(frozen=True)
class LabelScore:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class Evaluation:
    labels: tuple[str, ...]
    #: confusion[gold][predicted] = count
    confusion: dict[str, dict[str, int]]
    per_label: dict[str, LabelScore] = field(default_factory=dict)
    macro_f1: float = 0.0
    accuracy: float = 0.0
    complaint_precision: float = 0.0
    complaint_recall: float = 0.0
    complaint_f1: float = 0.0
    total: int = 0

    def as_dict(self) -> dict:
        return {
            "total": self.total,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "complaint": {"precision": self.complaint_precision, "recall": self.complaint_recall,
                          "f1": self.complaint_f1},
            "per_label": {k: vars(v) for k, v in self.per_label.items()},
            "confusion": self.confusion,
        }


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def _ratio(a: int, b: int) -> float:
    return a / b if b else 0.0


def evaluate(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] = LABELS) -> Evaluation:
    """Scores of ``predicted`` against ``gold``; macro-F1 is the mean F1 over ``labels`` (all six by default).

    A label with no gold and no predicted example has precision, recall and F1 0 (it still counts in the macro
    average, so a test set should contain every label).
    """
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    labels = tuple(labels)
    confusion = {g: dict.fromkeys(labels, 0) for g in labels}
    for g, p in zip(gold, predicted, strict=True):
        confusion[g][p] += 1
    ev = Evaluation(labels=labels, confusion=confusion, total=len(gold))
    for lab in labels:
        tp = confusion[lab][lab]
        pred_n = sum(confusion[g][lab] for g in labels)
        gold_n = sum(confusion[lab].values())
        p, r = _ratio(tp, pred_n), _ratio(tp, gold_n)
        ev.per_label[lab] = LabelScore(lab, p, r, _f1(p, r), gold_n)
    ev.macro_f1 = sum(s.f1 for s in ev.per_label.values()) / len(labels) if labels else 0.0
    ev.accuracy = _ratio(sum(confusion[lab][lab] for lab in labels), len(gold))
    is_c = [g in COMPLAINT_LABELS for g in gold]
    pc = [p in COMPLAINT_LABELS for p in predicted]
    tp = sum(a and b for a, b in zip(is_c, pc, strict=True))
    ev.complaint_precision = _ratio(tp, sum(pc))
    ev.complaint_recall = _ratio(tp, sum(is_c))
    ev.complaint_f1 = _f1(ev.complaint_precision, ev.complaint_recall)
    return ev


def report(ev: Evaluation, title: str = "") -> str:
    """Plain-text report: per-label table, macro-F1, complaint precision/recall and the confusion matrix."""
    lines = [title] if title else []
    lines.append(f"{'label':<15}{'precision':>10}{'recall':>9}{'f1':>8}{'support':>9}")
    for s in ev.per_label.values():
        lines.append(f"{s.label:<15}{s.precision:>10.3f}{s.recall:>9.3f}{s.f1:>8.3f}{s.support:>9d}")
    lines.append(f"{'macro-F1':<15}{ev.macro_f1:>35.3f}")
    lines.append(f"accuracy {ev.accuracy:.3f} on {ev.total} messages")
    lines.append(f"is a complaint: precision {ev.complaint_precision:.3f}, recall {ev.complaint_recall:.3f}, "
                 f"F1 {ev.complaint_f1:.3f}")
    short = {lab: lab[:8] for lab in ev.labels}
    lines.append("confusion (rows: gold, columns: predicted)")
    lines.append(f"{'':<15}" + "".join(f"{short[p]:>9}" for p in ev.labels))
    for g in ev.labels:
        lines.append(f"{g:<15}" + "".join(f"{ev.confusion[g][p]:>9d}" for p in ev.labels))
    return "\n".join(lines)
