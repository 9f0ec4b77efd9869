"""What every stage's CLI commands share: the context object, errors to exit codes, table output.

Stages add their own commands in ``<stage>/cli.py``; :mod:`pipeline.cli` loads them lazily by name
(see ``LAZY_COMMANDS`` there), so a stage's imports cost nothing until its command runs.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

import click

from pipeline.errors import ExitCode, JemputError, UnavailableError

if TYPE_CHECKING:
    from config.settings import Settings
    from pipeline.transport.base import Transport


class Ctx:
    """``click`` context object: the settings, built once at the entry point."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings


def fail(message: str, code: ExitCode) -> NoReturn:
    """Print one clear line on stderr and exit with a named code."""
    click.echo(f"jemput: {message}", err=True)
    sys.exit(int(code))


@contextlib.contextmanager
def service_errors() -> Iterator[None]:
    """Turn jemput's own errors into one clear line and a named exit code."""
    try:
        yield
    except UnavailableError as exc:
        fail(f"unavailable: {exc}", ExitCode.UNAVAILABLE)
    except JemputError as exc:
        fail(str(exc), ExitCode.FAILURE)


def transport_for(settings: Settings) -> Transport:
    from pipeline.transport import build_transport

    with service_errors():
        return build_transport(settings)


def plain(value: Any) -> Any:
    """A JSON-friendly value (datetimes as ISO 8601)."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def table(out: TextIO, rows: list[dict], cols: list[str], widths: dict[str, int] | None = None) -> None:
    """A plain aligned text table; long cells are cut with an ellipsis."""
    widths = widths or {"text": 60, "kelurahan_name": 18, "kecamatan_name": 18, "kota_name": 16}

    def cell(row: dict, c: str) -> str:
        v = row.get(c)
        if v is None:
            s = "-"
        elif isinstance(v, float):
            s = f"{v:.2f}"
        else:
            s = " ".join(str(v).split())
        if c == "kota_name":
            s = s.removeprefix("Kota Administrasi ").removeprefix("Kabupaten Administrasi ")
        limit = widths.get(c)
        return s if not limit or len(s) <= limit else s[: limit - 1] + "…"

    cells = [[cell(r, c) for c in cols] for r in rows]
    w = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(cols)]
    out.write("  ".join(c.ljust(w[i]) for i, c in enumerate(cols)).rstrip() + "\n")
    for row in cells:
        out.write("  ".join(v.ljust(w[i]) for i, v in enumerate(row)).rstrip() + "\n")
