"""Settings: precedence of flags, environment and TOML file; masking; the reference stays documented."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel

from config.docs import settings_reference
from config.settings import ConfigError, Settings, load_settings, masked_dump

DOC = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    import os

    for k in list(os.environ):
        if k.startswith("JEMPUT_") and not k.startswith("JEMPUT_TEST_"):
            monkeypatch.delenv(k)


def test_precedence_flag_over_env_over_file(tmp_path, monkeypatch):
    f = tmp_path / "jemput.toml"
    f.write_text('data_dir = "/from/file"\n[runner]\nbatch_size = 7\nmax_attempts = 9\n[kafka]\npartitions = 2\n')
    monkeypatch.setenv("JEMPUT_RUNNER__BATCH_SIZE", "11")
    s = load_settings(f, data_dir=tmp_path / "flag")
    assert s.data_dir == tmp_path / "flag"
    assert s.runner.batch_size == 11  # env beats file
    assert s.runner.max_attempts == 9  # file beats default
    assert s.kafka.partitions == 2
    monkeypatch.setenv("JEMPUT_CONFIG", str(f))
    assert load_settings().data_dir == Path("/from/file")


def test_embedded_unless_kafka_configured(tmp_path, monkeypatch):
    s = load_settings(data_dir=tmp_path)
    assert not s.uses_kafka
    assert s.embedded_log_path == tmp_path / "log.sqlite3"
    assert s.database_url == f"sqlite:///{tmp_path / 'tickets.sqlite3'}"
    monkeypatch.setenv("JEMPUT_KAFKA__BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    assert load_settings(data_dir=tmp_path).uses_kafka


def test_invalid_settings_name_the_field(monkeypatch):
    monkeypatch.setenv("JEMPUT_RUNNER__BATCH_SIZE", "zero")
    with pytest.raises(ConfigError, match="runner.batch_size"):
        load_settings()


def test_unknown_setting_in_file_is_an_error(tmp_path):
    f = tmp_path / "jemput.toml"
    f.write_text("[runner]\nbatch_sise = 3\n")
    with pytest.raises(ConfigError, match="batch_sise"):
        load_settings(f)


def test_missing_config_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml")


def test_secrets_are_masked(monkeypatch):
    monkeypatch.setenv("JEMPUT_DATABASE__URL", "postgresql+psycopg://u:hunter2@db/x")
    monkeypatch.setenv("JEMPUT_KAFKA__SASL_PASSWORD", "hunter3")
    s = load_settings()
    assert s.database_url.endswith("@db/x")
    dumped = json.dumps(masked_dump(s))
    assert "hunter2" not in dumped and "hunter3" not in dumped and "change-me" not in dumped
    assert masked_dump(s)["database"]["url"] == "**********"


def _fields(model: type[BaseModel], prefix: str = ""):
    for name, field in model.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            yield from _fields(ann, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", field


def test_every_setting_has_a_description():
    missing = [name for name, field in _fields(Settings) if not (field.description or "").strip()]
    assert missing == []


def test_settings_reference_is_up_to_date():
    assert DOC.read_text(encoding="utf-8") == settings_reference(), "run: jemput config docs > docs/settings.md"
    for name, _ in _fields(Settings):
        assert f"`{name.split('.')[-1]}`" in DOC.read_text(encoding="utf-8")


def test_the_example_settings_file_is_valid():
    example = Path(__file__).resolve().parents[2] / "config" / "jemput.example.toml"
    s = load_settings(example)
    assert s.uses_kafka and s.kafka.partitions == 12 and s.metrics.enabled
