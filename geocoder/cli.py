"""The geocoder's commands (loaded lazily by ``jemput``): ``gazetteer build``, ``geocode`` and ``geocoder eval``."""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path
from typing import IO, Any

import click

from pipeline.cliutil import Ctx, fail
from pipeline.errors import ExitCode


@click.group()
def gazetteer() -> None:
    """Build the gazetteer pack the geocoder places messages with."""


@gazetteer.command("build")
@click.option("--admin", "admin_dir", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Directory with the wilayah_boundaries data for DKI Jakarta (dki_*.geojson or the centroids CSV).")
@click.option("--gtfs", type=click.Path(exists=True, path_type=Path),
              help="A GTFS feed (directory or zip), e.g. Transjakarta's: halte, stations and corridors.")
@click.option("--places", "places", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV of extra places (columns name, lat, lon; optional kind, aliases, id). Repeatable.")
@click.option("--rw", type=click.Path(exists=True, path_type=Path),
              help="RW boundary shapefile (.shp with its .dbf, or their directory): RW points per kelurahan.")
@click.option("--osm", "osm", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="OpenStreetMap extract (.osm[.gz|.bz2] XML or .geojson[l]): named streets, one place per street "
                   "and kelurahan it runs through. Repeatable.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the pack (default: the geocoder's pack path, <data_dir>/gazetteer.json).")
@click.pass_obj
def gazetteer_build(obj: Ctx, admin_dir: Path, gtfs: Path | None, places: tuple[Path, ...], rw: Path | None,
                    osm: tuple[Path, ...], out: Path | None) -> None:
    """Build a gazetteer pack: kota, kecamatan and kelurahan with polygons, plus halte, stations and places.

    Each place is assigned the kelurahan it lies in by point-in-polygon; places outside DKI are left out. OSM
    streets are cut at the kelurahan boundaries: a street through three kelurahan becomes three places.
    """
    from geocoder.errors import GazetteerError
    from geocoder.importer import build_pack

    target = out or obj.settings.gazetteer_path
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        summary = build_pack(
            admin_dir, target, progress=lambda m: click.echo(f"  {m}", err=True), gtfs=gtfs, places=places, rw=rw,
            osm=osm,
        )
    except GazetteerError as exc:
        fail(str(exc), ExitCode.DATA)
    summary.pop("warnings", None)
    click.echo(f"wrote {target}: {json.dumps(summary, ensure_ascii=False, default=str)}")


def _coordinate(value: Any, low: float, high: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) and low <= value <= high else None


def _json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities (which JSON cannot carry) replaced by null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def _location_json(location: Any) -> dict[str, Any]:
    data = location.model_dump(mode="json")
    return {
        "precision": data["precision"],
        "kota_code": data["kota_code"],
        "kecamatan_code": data["kecamatan_code"],
        "kelurahan_code": data["kelurahan_code"],
        "kota_name": data["kota_name"],
        "kecamatan_name": data["kecamatan_name"],
        "kelurahan_name": data["kelurahan_name"],
        "lat": data["lat"],
        "lon": data["lon"],
        "method": data["method"],
        "matched_text": data["matched_text"],
        "span": data["span"],
    }


@click.command("geocode")
@click.option("--gazetteer", "pack", type=click.Path(dir_okay=False, path_type=Path),
              help="Gazetteer pack (default: the configured one, <data_dir>/gazetteer.json).")
@click.option("--in", "in_file", required=True, type=click.File("r", encoding="utf-8"),
              help="JSON lines with 'id', 'text' and optional 'lat' / 'lon' ('-' for stdin).")
@click.option("--out", "out_file", required=True, type=click.File("w", encoding="utf-8"),
              help="JSON lines: each input line plus a 'location' object ('-' for stdout).")
@click.option("--progress-every", default=10_000, show_default=True, type=click.IntRange(min=0),
              help="Report progress on stderr every this many lines (0: never).")
@click.option("--strict", is_flag=True, help="Exit with the data error code (5) when any input line was bad.")
@click.pass_obj
def geocode(obj: Ctx, pack: Path | None, in_file: IO[str], out_file: IO[str], progress_every: int,
            strict: bool) -> None:
    """Place every message of a JSON-lines file (GPS first, then the words, then the service if enabled).

    The output 'location' has precision, kota_code, kecamatan_code, kelurahan_code (Kemendagri codes), their
    names, lat, lon, method, matched_text and span (null where unknown), plus the line's geocoder_version.
    Lines that are not a JSON object with an 'id' and a string 'text' are reported on stderr and left out;
    unusable coordinates (NaN, out of range, not numbers) are reported and ignored (NaN is written back as null).
    """
    from geocoder.errors import GazetteerError
    from geocoder.service import build_locator
    from pipeline.contract import GPS

    settings = obj.settings
    if pack is not None:
        if not pack.is_file():
            fail(f"{pack}: gazetteer pack not found", ExitCode.DATA)
        settings = settings.model_copy(
            update={"geocoder": settings.geocoder.model_copy(update={"gazetteer": pack})}
        )
    try:
        locator = build_locator(settings)
    except GazetteerError as exc:
        fail(str(exc), ExitCode.DATA)
    version = locator.version
    done = bad = bad_coordinates = 0
    placed: dict[str, int] = {}
    started = time.perf_counter()
    for n, line in enumerate(in_file, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            bad += 1
            click.echo(f"line {n}: not JSON ({exc}); skipped", err=True)
            continue
        if not isinstance(record, dict) or "id" not in record or not isinstance(record.get("text"), str):
            bad += 1
            click.echo(f"line {n}: expected an object with 'id' and a string 'text'; skipped", err=True)
            continue
        gps = None
        if record.get("lat") is not None or record.get("lon") is not None:
            lat = _coordinate(record.get("lat"), -90, 90)
            lon = _coordinate(record.get("lon"), -180, 180)
            if lat is None or lon is None:
                bad_coordinates += 1
                click.echo(f"line {n}: unusable coordinates {record.get('lat')!r}, {record.get('lon')!r}; "
                           "placed by its text", err=True)
            else:
                gps = GPS(lat=lat, lon=lon)
        location = locator.locate(record["text"], gps)
        record["location"] = _location_json(location)
        record["geocoder_version"] = version
        out_file.write(json.dumps(_json_safe(record), ensure_ascii=False, allow_nan=False, default=str) + "\n")
        done += 1
        placed[location.precision] = placed.get(location.precision, 0) + 1
        if progress_every and done % progress_every == 0:
            rate = done / max(time.perf_counter() - started, 1e-9)
            click.echo(f"  {done} messages placed ({rate:,.0f}/s)", err=True)
    out_file.flush()
    elapsed = time.perf_counter() - started
    summary = ", ".join(f"{k} {v}" for k, v in sorted(placed.items()))
    click.echo(f"geocoded {done} messages in {elapsed:.1f}s ({summary or 'none'}); {bad} bad lines, "
               f"{bad_coordinates} with unusable coordinates; {version}", err=True)
    if strict and bad:
        sys.exit(int(ExitCode.DATA))


@click.group("geocoder")
def geocoder_group() -> None:
    """Geocoder tools."""


@geocoder_group.command("eval")
@click.option("--labels", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="Labelled JSON lines (format in geocoder/evaluate.py), e.g. bench/data/geocoder_eval_labels.jsonl.")
@click.option("--data", "data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), required=True,
              help="The data directory the labels' sources are under (e.g. ../shared/data).")
@click.option("--gazetteer", "pack", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Gazetteer pack (default: the configured one).")
@click.option("--split", type=click.Choice(["dev", "test", "all"]), default="all", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@click.pass_obj
def geocoder_eval(obj: Ctx, labels: Path, data_dir: Path, pack: Path | None, split: str, as_json: bool) -> None:
    """Score the geocoder on hand-labelled messages: precision and coverage at kecamatan and kelurahan level."""
    from geocoder.errors import GeocoderError
    from geocoder.evaluate import format_scores, load_labels, score
    from geocoder.gazetteer import Gazetteer
    from geocoder.locate import Locator

    try:
        gaz = Gazetteer.load(pack or obj.settings.gazetteer_path)
        items = load_labels(labels, data_dir)
    except (GeocoderError, ValueError, KeyError) as exc:
        fail(str(exc), ExitCode.DATA)
    section = obj.settings.geocoder
    locator = Locator(gaz, tolerance_m=section.boundary_tolerance_m, min_evidence=section.min_evidence)
    chosen = [i for i in items if split == "all" or i.split == split]
    scores = score((i, locator.locate(i.text)) for i in chosen)
    if as_json:
        click.echo(json.dumps(scores, indent=2))
    else:
        click.echo(format_scores(f"{split} ({locator.version})", scores))
