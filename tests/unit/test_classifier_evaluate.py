"""Evaluation arithmetic on a hand-made confusion case, and reading labelled JSONL / CSV."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifier.evaluate import DataError, evaluate, read_labelled, report

F, G, R, T, OT, N = "flood", "garbage", "damaged_road", "transjakarta", "other", "not_complaint"


def test_hand_made_confusion_case() -> None:
    # 10 messages; worked out by hand:
    # flood: gold 3 (2 right, 1 -> N), predicted 4 (2 + G->F + N->F)   P 1/2  R 2/3  F1 4/7
    # garbage: gold 2 (1 right, 1 -> F), predicted 1                   P 1    R 1/2  F1 2/3
    # damaged_road, transjakarta, other: no gold, never predicted      F1 0 each
    # not_complaint: gold 5 (4 right, 1 -> F), predicted 5 (4 + one F->N)  P 4/5 R 4/5 F1 4/5
    gold = [F, F, F, G, G, N, N, N, N, N]
    pred = [F, F, N, G, F, F, N, N, N, N]
    ev = evaluate(gold, pred)
    assert ev.confusion[F] == {F: 2, G: 0, R: 0, T: 0, OT: 0, N: 1}
    assert ev.confusion[G][F] == 1 and ev.confusion[N][F] == 1
    assert ev.per_label[F].precision == pytest.approx(1 / 2)
    assert ev.per_label[F].recall == pytest.approx(2 / 3)
    assert ev.per_label[F].f1 == pytest.approx(4 / 7)
    assert ev.per_label[G].precision == pytest.approx(1.0)
    assert ev.per_label[G].recall == pytest.approx(0.5)
    assert ev.per_label[G].f1 == pytest.approx(2 / 3)
    assert ev.per_label[N].f1 == pytest.approx(0.8)
    assert ev.per_label[R].f1 == 0.0 and ev.per_label[R].support == 0
    assert ev.macro_f1 == pytest.approx((4 / 7 + 2 / 3 + 0.8) / 6)
    assert ev.accuracy == pytest.approx(7 / 10)
    # "is a complaint": gold complaints 5 (F,F,F,G,G), predicted complaints 5 (F,F,G,F,F) of which 4 are gold
    # complaints (the 5th, index 5, is N->F)
    assert ev.complaint_recall == pytest.approx(4 / 5)
    assert ev.complaint_precision == pytest.approx(4 / 5)
    text = report(ev)
    assert "macro-F1" in text and "0.340" in text and "recall 0.800" in text


def test_a_subset_of_labels_and_perfect_scores() -> None:
    ev = evaluate([F, G], [F, G], labels=[F, G])
    assert ev.macro_f1 == 1.0 and ev.complaint_recall == 1.0 and ev.complaint_precision == 1.0


def test_lengths_must_match() -> None:
    with pytest.raises(ValueError):
        evaluate([F], [F, G])


def test_read_jsonl_and_csv_with_custom_columns(tmp_path: Path) -> None:
    j = tmp_path / "a.jsonl"
    j.write_text(json.dumps({"msg": "banjir", "y": "flood", "frame": "f1"}) + "\n\n"
                 + json.dumps({"msg": "halo", "y": "not_complaint"}) + "\n", encoding="utf-8")
    recs = list(read_labelled(j, "msg", "y", group_column="frame"))
    assert [(r.line, r.text, r.label, r.group) for r in recs] == [(1, "banjir", F, "f1"), (3, "halo", N, None)]
    c = tmp_path / "b.csv"
    c.write_text("isi;kategori\n\"jalan rusak; parah\";damaged_road\nhalo;not_complaint\n", encoding="utf-8")
    recs = list(read_labelled(c, "isi", "kategori"))
    assert [(r.line, r.text, r.label) for r in recs] == [(2, "jalan rusak; parah", R), (3, "halo", N)]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("x.jsonl", "{oops\n", "not JSON"),
        ("x.jsonl", "[1, 2]\n", "not a JSON object"),
        ("x.jsonl", '{"text": "a", "label": "weather"}\n', "is not one of"),
        ("x.jsonl", '{"label": "flood"}\n', "no text"),
        ("x.csv", "text,kind\na,flood\n", "no column 'label'"),
    ],
)
def test_bad_files_are_data_errors(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        list(read_labelled(path))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        list(read_labelled(tmp_path / "nope.jsonl"))
