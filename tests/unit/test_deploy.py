"""The operations kit stays true to the CLI: every command a unit file or the compose file runs exists."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import STAGES, cli

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def unit_commands() -> list[list[str]]:
    out = []
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        [line] = [x for x in unit.read_text().splitlines() if x.startswith("ExecStart=")]
        args = shlex.split(line.split("=", 1)[1])
        assert args[0].endswith("/jemput"), unit
        if "%i" in args:
            out += [[a.replace("%i", stage) for a in args[1:]] for stage in STAGES]
        else:
            out.append(args[1:])
    return out


def compose_commands() -> list[list[str]]:
    text = (DEPLOY / "compose.yaml").read_text()
    return [[s.strip().strip('"') for s in m.group(1).split(",")] for m in re.finditer(r"command: \[(.*)\]", text)]


@pytest.mark.parametrize("args", unit_commands() + compose_commands(), ids=" ".join)
def test_deployed_commands_exist(args, tmp_path, monkeypatch):
    monkeypatch.setenv("JEMPUT_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(cli, [*args, "--help"])
    assert result.exit_code == 0, result.output


def test_every_stage_has_a_unit_and_a_compose_service():
    compose = (DEPLOY / "compose.yaml").read_text()
    assert (DEPLOY / "systemd" / "jemput-stage@.service").exists()
    for stage in STAGES:
        assert f'command: ["run", "{stage}"]' in compose
