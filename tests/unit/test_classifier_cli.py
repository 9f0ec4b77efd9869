"""The classifier's commands through ``jemput``: classify, classifier train / eval / export-corrections."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from config.categories import LABELS
from pipeline.cli import cli
from tests.unit.test_classifier_model import TINY


@pytest.fixture
def run(tmp_path, monkeypatch):
    for k in list(os.environ):
        if k.startswith("JEMPUT_") and not k.startswith("JEMPUT_TEST_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("JEMPUT_DATA_DIR", str(tmp_path / "data"))

    def invoke(*args: str, input: str | None = None):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False, input=input)

    return invoke


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def test_commands_are_listed(run) -> None:
    out = run("--help").output
    assert "classify" in out and "classifier" in out
    sub = run("classifier", "--help").output
    for name in ("train", "eval", "export-corrections"):
        assert name in sub


def test_classify_writes_the_input_plus_the_verdict_and_reports_bad_lines(run, tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [
        {"id": "a", "text": "Jl. Kemang Raya banjir setinggi lutut, air masuk rumah, tolong", "extra": [1]},
        "{not json",
        {"id": "b", "text": ""},
        [1, 2],
        {"id": "c"},
        {"id": "d", "text": "😀" * 5},
    ])
    out = tmp_path / "out.jsonl"
    res = run("classify", "--in", str(src), "--out", str(out), "--batch-size", "2")
    assert res.exit_code == 5
    assert "in.jsonl:2: not JSON" in res.output and "in.jsonl:4: not a JSON object" in res.output
    assert "in.jsonl:5: no string field 'text'" in res.output
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a", "b", "d"]
    first = rows[0]
    assert first["extra"] == [1] and first["category"] == "flood"
    assert set(first["scores"]) == set(LABELS)
    assert first["confidence"] == max(first["scores"].values())
    assert first["needs_review"] is (first["confidence"] < 0.6)
    assert first["model_version"].startswith("jemput-textcat-")
    assert rows[1]["needs_review"] is True and rows[2]["needs_review"] is True


def test_classify_clean_file_exits_0_and_honours_the_threshold(run, tmp_path: Path, monkeypatch) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": str(i), "text": t} for i, (t, _) in enumerate(TINY)])
    out = tmp_path / "out.jsonl"
    monkeypatch.setenv("JEMPUT_CLASSIFIER__REVIEW_THRESHOLD", "1.0")
    res = run("classify", "--in", str(src), "--out", str(out))
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(TINY) and all(r["needs_review"] for r in rows)


def test_train_then_eval_and_classify_with_that_model(run, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "tiny.jsonl", [{"text": t, "label": lab} for t, lab in TINY])
    extra = tmp_path / "more.csv"
    extra.write_text("pesan;kategori\nbanjir lagi di gang;flood\nhalte penuh lagi;transjakarta\n", encoding="utf-8")
    model = tmp_path / "model"
    res = run("classifier", "train", "--data", str(data), "--data", str(extra), "--out", str(model), "--seed", "7",
              "--epochs", "4", "--text-column", "text", "--label-column", "label")
    # the CSV has other column names: a clear data error, nothing written
    assert res.exit_code == 5 and "no column 'text'" in res.output
    assert not model.exists()
    extra.write_text("text;label\nbanjir lagi di gang;flood\nhalte penuh lagi;transjakarta\n", encoding="utf-8")
    res = run("classifier", "train", "--data", str(data), "--data", str(extra), "--out", str(model), "--seed", "7",
              "--epochs", "4")
    assert res.exit_code == 0, res.output
    assert "epoch 4/4" in res.output and "28 example(s)" in res.output
    assert {p.name for p in model.iterdir()} == {"config.cfg", "model.bin", "meta.json"}
    version = json.loads((model / "meta.json").read_text())["version"]
    assert version.endswith(".s7")

    res = run("classifier", "eval", "--data", str(data), "--model", str(model), "--json")
    assert res.exit_code == 0, res.output
    numbers = json.loads(res.stdout)  # (stdout only: log lines go to stderr)
    assert numbers["model"] == version and numbers["total"] == len(TINY)
    assert set(numbers["per_label"]) == set(LABELS) and 0 <= numbers["macro_f1"] <= 1
    table = run("classifier", "eval", "--data", str(extra), "--model", str(model)).output
    assert "macro-F1" in table and "confusion" in table and "is a complaint" in table

    src = write_jsonl(tmp_path / "in.jsonl", [{"id": "x", "text": "banjir di gang kami"}])
    out = tmp_path / "out.jsonl"
    assert run("classify", "--in", str(src), "--out", str(out), "--model", str(model)).exit_code == 0
    assert json.loads(out.read_text())["model_version"] == version


def test_eval_and_classify_without_a_model_fail_clearly(run, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", [{"text": "a", "label": "flood"}])
    res = run("classifier", "eval", "--data", str(data), "--model", str(tmp_path / "none"))
    assert res.exit_code == 3 and "no classifier model" in res.output
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"text": "a", "label": "weather"}])
    res = run("classifier", "eval", "--data", str(bad))
    assert res.exit_code == 5 and "weather" in res.output


def _store_with_events(db: Path) -> None:
    """A migrated ticket store with two tickets and re-categorisation events written directly, as the desk will."""
    from sqlalchemy import create_engine, insert

    from pipeline.contract import LocatedMessage
    from sink.models import TicketEvent
    from sink.store import TicketStore

    url = f"sqlite:///{db}"
    store = TicketStore(url)
    store.migrate()
    msgs = [
        LocatedMessage(message_id=f"file:{i}", channel="file", text=text, category=cat,
                       scores={lab: (1.0 if lab == cat else 0.0) for lab in LABELS}, confidence=0.9,
                       model_version="m", geocoder_version="g")
        for i, (text, cat) in enumerate([("got mampet air masuk rumah", "garbage"),
                                         ("halte penuh sesak", "other"),
                                         ("selamat pagi", "not_complaint")])
    ]
    store.write_batch(msgs)
    ids = {t["message_id"]: t["id"] for t in store.list_tickets()}
    store.close()
    engine = create_engine(url)
    at = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(insert(TicketEvent.__table__), [
            {"ticket_id": ids["file:0"], "message_id": "file:0", "at": at, "actor": "op-1", "kind": "recategorised",
             "data": {"from": "garbage", "to": "other"}},
            {"ticket_id": ids["file:0"], "message_id": "file:0", "at": at.replace(hour=9), "actor": "op-2",
             "kind": "recategorised", "data": {"from": "other", "to": "flood"}},
            {"ticket_id": ids["file:1"], "message_id": "file:1", "at": at, "actor": "op-1", "kind": "recategorised",
             "data": {"from": "other", "category": "transjakarta"}},
            {"ticket_id": ids["file:2"], "message_id": "file:2", "at": at, "actor": "op-1", "kind": "recategorised",
             "data": {"note": "no label here"}},
            {"ticket_id": ids["file:2"], "message_id": "file:2", "at": at, "actor": "op-1", "kind": "status_changed",
             "data": {"to": "flood"}},
        ])
    engine.dispose()


def test_export_corrections_turns_recategorisations_into_training_examples(run, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    _store_with_events(data_dir / "tickets.sqlite3")
    out = tmp_path / "corr.jsonl"
    res = run("classifier", "export-corrections", "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "wrote 2 correction(s)" in res.output and "4 re-categorisation event(s)" in res.output
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    by_id = {r["message_id"]: r for r in rows}
    assert by_id["file:0"]["text"] == "got mampet air masuk rumah"
    assert by_id["file:0"]["label"] == "flood" and by_id["file:0"]["previous"] == "other"  # the last one counts
    assert by_id["file:0"]["actor"] == "op-2"
    assert by_id["file:1"]["label"] == "transjakarta"
    # the export is training data as it stands
    corpus = write_jsonl(tmp_path / "corpus.jsonl", [{"text": t, "label": lab} for t, lab in TINY])
    res = run("classifier", "train", "--data", str(corpus), "--data", str(out), "--out", str(tmp_path / "m"),
              "--epochs", "2")
    assert res.exit_code == 0, res.output
    assert "corr.jsonl: 2 example(s)" in res.output
    later = run("classifier", "export-corrections", "--out", str(out), "--since", "2026-11-02")
    assert "wrote 0 correction(s)" in later.output
