"""``jemput geocode`` and ``jemput geocoder eval`` on a synthetic pack: output format, bad lines, bad coordinates."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from tests.unit.test_geocoder_places import pack


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for k in list(os.environ):
        if k.startswith("JEMPUT_") and not k.startswith("JEMPUT_TEST_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("JEMPUT_DATA_DIR", str(tmp_path / "data"))

    def invoke(*args: str):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def pack_path(tmp_path: Path) -> Path:
    path = tmp_path / "gazetteer.json"
    path.write_text(json.dumps(pack()), encoding="utf-8")
    return path


LOCATION_KEYS = {"precision", "kota_code", "kecamatan_code", "kelurahan_code", "lat", "lon", "method", "span"}


def test_geocode_places_each_line(run, tmp_path: Path, pack_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    lines = [
        {"id": "a", "text": "macet depan halte Harmoni"},
        {"id": "b", "text": "banjir", "lat": -6.19, "lon": 106.865},
        {"id": 3, "text": "lampu mati", "extra": {"kept": True}},
        {"id": "d", "text": "Jl. Kebon Kelapa, Kel. Gambir"},
    ]
    src.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run("geocode", "--gazetteer", str(pack_path), "--in", str(src), "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a", "b", 3, "d"]
    for row in rows:
        assert set(row["location"]) >= LOCATION_KEYS
        assert row["geocoder_version"].startswith("gazetteer-0.2+")
    a, b, c, d = (r["location"] for r in rows)
    assert (a["precision"], a["kelurahan_code"], a["method"], a["span"]) == ("place", "31.71.01.1001", "gazetteer",
                                                                             [18, 25])
    assert (b["precision"], b["kelurahan_code"], b["method"], b["lat"]) == ("point", "31.71.02.1003", "gps", -6.19)
    assert c == {k: (None if k not in {"precision", "method"} else "none") for k in c}
    assert rows[2]["extra"] == {"kept": True}
    assert d["kelurahan_code"] == "31.71.01.1001"
    assert "geocoded 4 messages" in result.output and "0 bad lines" in result.output


def test_geocode_reports_bad_lines_and_coordinates(run, tmp_path: Path, pack_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        "not json\n"
        "[1, 2]\n"
        '{"text": "no id"}\n'
        '{"id": "x", "text": 5}\n'
        "\n"
        '{"id": "nan", "text": "halte Harmoni", "lat": NaN, "lon": 106.8}\n'
        '{"id": "far", "text": "", "lat": -91, "lon": 106.8}\n'
        '{"id": "str", "text": "", "lat": "-6.19", "lon": "106.81"}\n'
        '{"id": "bool", "text": "", "lat": true, "lon": 106.81}\n'
        + json.dumps({"id": "long", "text": "x" * 100_000})
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    result = run("geocode", "--gazetteer", str(pack_path), "--in", str(src), "--out", str(out))
    assert result.exit_code == 0
    for n in (1, 2, 3, 4):
        assert f"line {n}:" in result.output
    assert "unusable coordinates" in result.output
    rows = {r["id"]: r["location"] for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert set(rows) == {"nan", "far", "str", "bool", "long"}
    assert rows["nan"]["kelurahan_code"] == "31.71.01.1001" and rows["nan"]["method"] == "gazetteer"
    for key in ("far", "str", "bool", "long"):
        assert rows[key]["precision"] == "none"
    assert "4 bad lines, 4 with unusable coordinates" in result.output
    strict = run("geocode", "--gazetteer", str(pack_path), "--in", str(src), "--out", str(out), "--strict")
    assert strict.exit_code == 5


def test_geocode_refuses_a_missing_or_broken_pack(run, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "text": "x"}\n', encoding="utf-8")
    missing = run("geocode", "--gazetteer", str(tmp_path / "nope.json"), "--in", str(src), "--out", "-")
    assert missing.exit_code == 5 and "not found" in missing.output
    broken = tmp_path / "broken.json"
    broken.write_text("{}", encoding="utf-8")
    result = run("geocode", "--gazetteer", str(broken), "--in", str(src), "--out", "-")
    assert result.exit_code == 5 and "not a jemput gazetteer pack" in result.output


def test_geocode_without_a_pack_uses_the_builtin_kota(run, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "text": "banjir di jaktim"}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert run("geocode", "--in", str(src), "--out", str(out)).exit_code == 0
    row = json.loads(out.read_text(encoding="utf-8"))
    assert (row["location"]["precision"], row["location"]["kota_code"]) == ("kota", "31.75")
    assert row["geocoder_version"].endswith("+builtin")


def test_geocoder_eval_scores_a_labelled_file(run, tmp_path: Path, pack_path: Path) -> None:
    data = tmp_path / "data"
    (data / "social" / "transport-tweets-2025").mkdir(parents=True)
    # (a kelurahan named with its level word: a bare name alone would be coarsened to its kota by the default
    # geocoder.min_evidence)
    texts = ["macet depan halte Harmoni", "banjir di Kel. Kebon Kelapa", "hujan deras", "macet di halte Harmoni Bekasi"]
    with (data / "social" / "transport-tweets-2025" / "final_df.csv").open("w", encoding="utf-8") as fh:
        fh.write("Kategori,Tweet\n" + "".join(f"x,{t}\n" for t in texts))
    import hashlib

    def sha(t: str) -> str:
        return hashlib.sha1(t.encode()).hexdigest()[:12]

    src = "social/transport-tweets-2025/final_df.csv"
    labels = [
        {"source": src, "row": 0, "text_sha1": sha(texts[0]), "kota": "31.71", "kecamatan": "31.71.01",
         "kelurahan": "31.71.01.1001", "point": None, "note": "", "split": "test"},
        # deliberately wrong label: the geocoder's answer (Kebon Kelapa) must count as an error
        {"source": src, "row": 1, "text_sha1": sha(texts[1]), "kota": "31.71", "kecamatan": "31.71.02",
         "kelurahan": "31.71.02.1002", "point": None, "note": "", "split": "test"},
        {"source": src, "row": 2, "text_sha1": sha(texts[2]), "kota": None, "kecamatan": None, "kelurahan": None,
         "point": None, "note": "not locatable", "split": "test"},
        {"source": src, "row": 3, "text_sha1": sha(texts[3]), "kota": None, "kecamatan": None, "kelurahan": None,
         "point": None, "note": "outside DKI", "split": "dev"},
    ]
    label_file = tmp_path / "labels.jsonl"
    label_file.write_text("".join(json.dumps(x) + "\n" for x in labels), encoding="utf-8")
    result = run("geocoder", "eval", "--labels", str(label_file), "--data", str(data), "--gazetteer",
                 str(pack_path), "--split", "test", "--json")
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)  # (stdout only: log lines go to stderr)
    assert scores["messages"] == 3
    assert scores["kecamatan_precision"] == {"hit": 1, "total": 2, "rate": 0.5}
    assert scores["kelurahan_coverage"] == {"hit": 1, "total": 2, "rate": 0.5}
    assert scores["declined_when_not_locatable"] == {"hit": 1, "total": 1, "rate": 1.0}
    all_splits = json.loads(run("geocoder", "eval", "--labels", str(label_file), "--data", str(data),
                                "--gazetteer", str(pack_path), "--json").output)
    assert all_splits["declined_when_not_locatable"]["total"] == 2
    labels[0]["text_sha1"] = "000000000000"
    label_file.write_text("".join(json.dumps(x) + "\n" for x in labels), encoding="utf-8")
    changed = run("geocoder", "eval", "--labels", str(label_file), "--data", str(data), "--gazetteer",
                  str(pack_path))
    assert changed.exit_code == 5 and "is not the labelled text" in changed.output
