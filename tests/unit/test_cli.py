"""The jemput CLI in-process: help, exit codes, formats, masking."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "complaints.jsonl"


@pytest.fixture
def run(tmp_path, monkeypatch):
    for k in list(os.environ):
        if k.startswith("JEMPUT_") and not k.startswith("JEMPUT_TEST_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("JEMPUT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("JEMPUT_RUNNER__IDLE_GRACE_S", "0.2")

    def invoke(*args: str):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return invoke


def test_help_explains_every_command(run):
    out = run("--help").output
    for command in ("ingest", "run", "tickets", "dlq", "config", "doctor", "gazetteer"):
        assert command in out
    assert "--until-idle" in run("run", "--help").output


def test_sample_end_to_end_in_process(run):
    assert run("ingest", str(SAMPLE)).exit_code == 0
    assert run("run", "--until-idle").exit_code == 0
    lines = run("tickets", "list", "--format", "json").output.splitlines()
    tickets = [json.loads(x) for x in lines]
    assert len(tickets) == 30
    assert {t["message_id"] for t in tickets} >= {"file:s-0001", "file:s-0030"} - {"file:s-0030"}
    table = run("tickets", "list").output
    assert "(30 tickets)" in table
    rows = list(csv.DictReader(io.StringIO(run("tickets", "list", "--format", "csv").output)))
    assert len(rows) == 30 and "category" in rows[0]
    dismissed = [t for t in tickets if t["status"] == "dismissed"]
    assert dismissed and all(t["category"] == "not_complaint" for t in dismissed)
    assert all(t["status"] == "new" for t in tickets if t["category"] != "not_complaint")
    assert all("author" not in t or t["author"] is None for t in tickets)
    assert not any("warga_kemang" in json.dumps(t) for t in tickets)  # handles never reach the store


def test_ingest_reports_bad_lines_and_exits_5(run, tmp_path):
    f = tmp_path / "mixed.jsonl"
    f.write_text('{"text": "banjir di kemang"}\n{oops\n{"id": 3}\n', encoding="utf-8")
    rejects = tmp_path / "rejects.jsonl"
    result = run("ingest", str(f), "--rejects", str(rejects))
    assert result.exit_code == 5
    assert "line 2: not JSON" in result.output and "line 3: missing 'text'" in result.output
    assert "ingested 1 message(s)" in result.output
    assert [json.loads(x)["where"] for x in rejects.read_text().splitlines()] == ["line 2", "line 3"]


def test_ingest_csv_without_text_column_is_a_data_error(run, tmp_path):
    f = tmp_path / "a.csv"
    f.write_text("isi\nbanjir\n", encoding="utf-8")
    result = run("ingest", str(f))
    assert result.exit_code == 5 and "--text-column" in result.output
    assert run("ingest", str(f), "--text-column", "isi").exit_code == 0


def test_bad_settings_exit_3_with_the_field(run, monkeypatch):
    monkeypatch.setenv("JEMPUT_RUNNER__BATCH_SIZE", "-1")
    result = run("config", "show")
    assert result.exit_code == 3 and "runner.batch_size" in result.output


def test_config_show_masks_secrets(run, monkeypatch):
    monkeypatch.setenv("JEMPUT_DATABASE__URL", "postgresql+psycopg://u:s3cr3t@db/x")
    out = run("config", "show").output
    assert "s3cr3t" not in out and "**********" in out and "[runner]" in out
    data = json.loads(run("config", "show", "--format", "json").output)
    assert data["database"]["url"] == "**********"


def test_doctor_on_the_embedded_default(run):
    result = run("doctor")
    assert result.exit_code == 0, result.output
    assert "embedded log" in result.output and "sqlite" in result.output


def test_doctor_fails_with_exit_4_when_the_database_is_down(run, monkeypatch):
    monkeypatch.setenv("JEMPUT_DATABASE__URL", "postgresql+psycopg://u:p@127.0.0.1:9/x")
    monkeypatch.setenv("JEMPUT_DATABASE__CONNECT_TIMEOUT_S", "2")
    result = run("doctor")
    assert result.exit_code == 4
    assert "FAIL  sink" in result.output and ":p@" not in result.output


def test_dlq_inspect_empty(run):
    result = run("dlq", "inspect")
    assert result.exit_code == 0 and "(0 dead letters)" in result.output


def test_doctor_checks_enabled_harvester_sources(run, monkeypatch):
    # An enabled Telegram source pointing at a closed loopback port: doctor names it and exits 4.
    monkeypatch.setenv("JEMPUT_HARVESTER__TELEGRAM__ENABLED", "true")
    monkeypatch.setenv("JEMPUT_HARVESTER__TELEGRAM__BOT_TOKEN", "test-bot-token")
    monkeypatch.setenv("JEMPUT_HARVESTER__TELEGRAM__API_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("JEMPUT_HARVESTER__TELEGRAM__TIMEOUT_S", "2")
    result = run("doctor")
    assert result.exit_code == 4
    assert "FAIL  harvest:telegram" in result.output and "test-bot-token" not in result.output
