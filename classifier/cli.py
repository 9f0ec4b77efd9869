"""The classifier's commands (loaded lazily by ``jemput``): ``classify`` and ``classifier train|eval|export-corrections``."""

from __future__ import annotations

import collections
import json
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import click

from pipeline.cliutil import Ctx, fail
from pipeline.errors import ExitCode

_MODEL_OPTION = click.option(
    "--model", "model_dir", type=click.Path(file_okay=False, path_type=Path),
    help="Model directory from 'jemput classifier train' (default: classifier.model_dir, else the shipped model).",
)


def _load_classifier(obj: Ctx, model_dir: Path | None):
    from classifier.model import ModelError, TextClassifier

    try:
        conf = obj.settings.classifier
        return TextClassifier(model_dir or conf.model_dir, conf.dismiss_threshold)
    except ModelError as exc:
        fail(str(exc), ExitCode.CONFIG)


class _Progress:
    """A one-line progress report on stderr, only when stderr is a terminal (never in logs or pipes)."""

    def __init__(self, enabled: bool, every_s: float = 0.5) -> None:
        self.enabled = enabled
        self.every_s = every_s
        self.start = time.monotonic()
        self.last = 0.0

    def update(self, done: int, bad: int, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self.last < self.every_s:
            return
        self.last = now
        rate = done / max(now - self.start, 1e-9)
        click.echo(f"\r  {done:,} classified, {bad:,} bad line(s), {rate:,.0f} msg/s", err=True, nl=force)


# ---------------------------------------------------------------------------------------------------------------
@click.command("classify")
@click.option("--in", "in_path", required=True, type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              help="JSONL input, one object per line with at least 'text' (and usually 'id'); '-' for stdin.")
@click.option("--out", "out_path", required=True,
              type=click.Path(dir_okay=False, writable=True, allow_dash=True, path_type=Path),
              help="JSONL output: each input object plus category, confidence, scores, needs_review, runner_up, "
                   "model_version; '-' for stdout.")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 100_000),
              help="Messages per model batch.")
@click.option("--n-process", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes (spaCy nlp.pipe); 1 is fastest for small files.")
@click.option("--text-field", default="text", show_default=True, help="Field holding the message text.")
@_MODEL_OPTION
@click.pass_obj
def classify(obj: Ctx, in_path: Path, out_path: Path, batch_size: int, n_process: int, text_field: str,
             model_dir: Path | None) -> None:
    """Classify every message of a JSONL file.

    A line that is not a JSON object with a string text is reported on stderr (with its line number) and skipped;
    the run goes on. Exit status 0 when every line was classified, 5 when some were bad.
    """
    clf = _load_classifier(obj, model_dir)
    threshold = obj.settings.classifier.review_threshold
    bad: list[tuple[int, str]] = []
    pending: collections.deque[dict[str, Any]] = collections.deque()

    source: TextIO = sys.stdin if str(in_path) == "-" else in_path.open(encoding="utf-8", errors="replace")
    sink: TextIO = sys.stdout if str(out_path) == "-" else out_path.open("w", encoding="utf-8")
    progress = _Progress(enabled=sys.stderr.isatty())

    def texts() -> Iterator[str]:
        for n, line in enumerate(source, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                bad.append((n, f"not JSON ({exc.msg})"))
                continue
            if not isinstance(rec, dict):
                bad.append((n, "not a JSON object"))
                continue
            text = rec.get(text_field)
            if not isinstance(text, str):
                bad.append((n, f"no string field {text_field!r}"))
                continue
            pending.append(rec)
            yield text

    done = 0
    try:
        for prediction in clf.classify_many(texts(), batch_size=batch_size, n_process=n_process):
            rec = pending.popleft()
            rec.update(
                category=prediction.category,
                confidence=round(prediction.confidence, 6),
                scores={k: round(v, 6) for k, v in prediction.scores.items()},
                needs_review=prediction.confidence < threshold,
                runner_up=prediction.runner_up,
                model_version=clf.model_version,
            )
            sink.write(json.dumps(rec, ensure_ascii=False) + "\n")
            done += 1
            if done % 1000 == 0:
                progress.update(done, len(bad))
    finally:
        if source is not sys.stdin:
            source.close()
        if sink is not sys.stdout:
            sink.close()
    progress.update(done, len(bad), force=True)
    for n, why in bad[:20]:
        click.echo(f"jemput: {in_path}:{n}: {why}; skipped", err=True)
    if len(bad) > 20:
        click.echo(f"jemput: ... and {len(bad) - 20} more bad line(s)", err=True)
    click.echo(f"classified {done} message(s) with {clf.model_version}" + (f"; {len(bad)} bad line(s) skipped"
                                                                            if bad else ""), err=True)
    if bad:
        sys.exit(int(ExitCode.DATA))


# ---------------------------------------------------------------------------------------------------------------
@click.group("classifier")
def classifier() -> None:
    """Train, evaluate and feed the complaint classifier."""


def _read_training(paths: tuple[Path, ...], text_column: str, label_column: str) -> list[tuple[str, str, str | None]]:
    from classifier.evaluate import DataError, read_labelled

    examples: list[tuple[str, str, str | None]] = []
    for path in paths:
        try:
            records = list(read_labelled(path, text_column, label_column, group_column="frame"))
        except DataError as exc:
            fail(str(exc), ExitCode.DATA)
        examples.extend((r.text, r.label, f"{path.name}:{r.group}" if r.group else None) for r in records)
        click.echo(f"  {path}: {len(records)} example(s)", err=True)
    return examples


@classifier.command("train")
@click.option("--data", "data", required=True, multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Labelled JSONL or CSV (repeatable): the corpus, exported corrections, your own data.")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write the model to (config.cfg, model.bin, meta.json).")
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed: same data + seed = same model.")
@click.option("--epochs", default=8, show_default=True, type=click.IntRange(1, 100))
@click.option("--text-column", default="text", show_default=True)
@click.option("--label-column", default="label", show_default=True)
@click.option("--no-keyword-features", is_flag=True, help="Do not feed the keyword baseline's verdict to the model.")
@click.option("--keyword-weight", default=0.0, show_default=True, type=click.FloatRange(0, 1),
              help="Mix this share of the keyword baseline's scores into the model's scores at prediction time.")
def train_cmd(data: tuple[Path, ...], out: Path, seed: int, epochs: int, text_column: str, label_column: str,
              no_keyword_features: bool, keyword_weight: float) -> None:
    """Train a classifier model from labelled data (reproducible: seeded)."""
    from classifier.errors import ClassifierError
    from classifier.model import save_model, train

    click.echo("reading training data", err=True)
    examples = _read_training(data, text_column, label_column)
    click.echo(f"training on {len(examples)} example(s), seed {seed}", err=True)
    try:
        result = train(examples, seed=seed, epochs=epochs, keyword_features=not no_keyword_features,
                       keyword_weight=keyword_weight,
                       progress=lambda m: click.echo(f"  {m}", err=True))
    except ClassifierError as exc:
        fail(str(exc), ExitCode.DATA)
    save_model(result.nlp, result.meta, out)
    click.echo(f"wrote {out}: {result.meta['version']}")


@classifier.command("eval")
@click.option("--data", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Labelled JSONL or CSV.")
@click.option("--text-column", default="text", show_default=True)
@click.option("--label-column", default="label", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the numbers as one JSON object instead.")
@_MODEL_OPTION
@click.pass_obj
def eval_cmd(obj: Ctx, data: Path, text_column: str, label_column: str, as_json: bool,
             model_dir: Path | None) -> None:
    """Per-label precision, recall and F1, macro-F1, "is a complaint" recall and a confusion matrix."""
    from classifier.evaluate import DataError, evaluate, read_labelled, report

    try:
        records = list(read_labelled(data, text_column, label_column))
    except DataError as exc:
        fail(str(exc), ExitCode.DATA)
    if not records:
        fail(f"{data}: no labelled records", ExitCode.DATA)
    clf = _load_classifier(obj, model_dir)
    predicted = [p.category for p in clf.classify_many(r.text for r in records)]
    ev = evaluate([r.label for r in records], predicted)
    if as_json:
        click.echo(json.dumps({"model": clf.model_version, "data": str(data), **ev.as_dict()}))
    else:
        click.echo(report(ev, f"{clf.model_version} on {data}"))


@classifier.command("export-corrections")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="JSONL file to write (text, label, previous, message_id, at, actor).")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
              help="Only re-categorisations made on or after this date/time (UTC).")
@click.pass_obj
def export_corrections_cmd(obj: Ctx, out: Path, since: datetime | None) -> None:
    """Export operators' re-categorisations from the ticket store as training examples."""
    from classifier.corrections import CorrectionsError, export_to_file

    try:
        result = export_to_file(obj.settings.database_url, out, since)
    except CorrectionsError as exc:
        fail(str(exc), ExitCode.UNAVAILABLE)
    click.echo(f"wrote {result.written} correction(s) to {out} ({result.events} re-categorisation event(s), "
               f"{result.skipped} without a known label)")
