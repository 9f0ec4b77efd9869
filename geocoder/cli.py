"""The geocoder's commands (loaded lazily by ``jemput``)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pipeline.cliutil import Ctx, fail
from pipeline.errors import ExitCode


@click.group()
def gazetteer() -> None:
    """Build the gazetteer pack the geocoder places messages with."""


@gazetteer.command("build")
@click.option("--admin", "admin_dir", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Directory with the wilayah_boundaries data for DKI Jakarta (dki_*.geojson or the centroids CSV).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the pack (default: the geocoder's pack path, <data_dir>/gazetteer.json).")
@click.pass_obj
def gazetteer_build(obj: Ctx, admin_dir: Path, out: Path | None) -> None:
    """Build a gazetteer pack of DKI Jakarta's kota, kecamatan and kelurahan."""
    from geocoder.errors import GazetteerError
    from geocoder.importer import build_pack

    target = out or obj.settings.gazetteer_path
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        summary = build_pack(admin_dir, target, progress=lambda m: click.echo(f"  {m}", err=True))
    except GazetteerError as exc:
        fail(str(exc), ExitCode.DATA)
    click.echo(f"wrote {target}: {json.dumps(summary, ensure_ascii=False, default=str)}")
