"""The ``jemput`` command line: the one place where settings are built and stages are wired together.

Stages are imported lazily, inside the commands that need them, so ``jemput --help`` stays fast and no stage
imports another.
"""

from __future__ import annotations

import importlib
import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from config.settings import ConfigError, Settings, load_settings, masked_dump
from pipeline import topics
from pipeline.cliutil import Ctx, fail, service_errors, table, transport_for
from pipeline.errors import ExitCode, TransportError

log = logging.getLogger("jemput.cli")

#: Stage name -> module with ``build_processor(settings) -> Processor``, in pipeline order.
STAGES: dict[str, str] = {
    "classifier": "classifier.service",
    "geocoder": "geocoder.service",
    "sink": "sink.service",
}
#: Stage name -> the topic it consumes (its dead letters are on '<topic>.dlq').
STAGE_INPUT: dict[str, str] = {"classifier": topics.RAW, "geocoder": topics.CLASSIFIED, "sink": topics.LOCATED}


def _transport(settings: Settings):
    return transport_for(settings)


# ---------------------------------------------------------------------------------------------------
#: Commands that live in a stage's own ``cli.py``: name -> "module:attribute", imported only when used.
LAZY_COMMANDS: dict[str, str] = {
    "gazetteer": "geocoder.cli:gazetteer",
    "classify": "classifier.cli:classify", "classifier": "classifier.cli:classifier",
    "harvest": "harvester.cli:harvest",
    "geocode": "geocoder.cli:geocode",
    "geocoder": "geocoder.cli:geocoder_group",
    "tickets": "sink.cli:tickets",
    "api": "sink.cli:api",
    "desk": "sink.cli:desk",
}


class LazyGroup(click.Group):
    """A group that also offers the stages' commands, importing each only when it is called."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(LAZY_COMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_COMMANDS:
            module, attr = LAZY_COMMANDS[name].split(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), envvar="JEMPUT_CONFIG",
              help="TOML settings file (also $JEMPUT_CONFIG). Environment variables JEMPUT_... override it.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Directory for the embedded log, the SQLite ticket store and the gazetteer pack "
                   "(also $JEMPUT_DATA_DIR).")
@click.option("--log-level", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
              help="Log level (default INFO; also $JEMPUT_LOG__LEVEL).")
@click.option("--log-format", type=click.Choice(["auto", "json", "text"]),
              help="json for services, text on a terminal (default: auto).")
@click.version_option(package_name="jemput")
@click.pass_context
def cli(ctx: click.Context, config_file: Path | None, data_dir: Path | None, log_level: str | None,
        log_format: str | None) -> None:
    """jemput: pick up citizens' complaints and turn each one into a ticket.

    \b
    Flow: sources -> complaints.raw.v1 -> classifier -> complaints.classified.v1
          -> geocoder -> complaints.located.v1 -> sink -> tickets
    Without Kafka configured, everything runs on an embedded log in the data directory
    and a SQLite ticket store; set JEMPUT_KAFKA__BOOTSTRAP_SERVERS and
    JEMPUT_DATABASE__URL to run each stage as its own service on Kafka and PostgreSQL.
    """
    from pipeline.logs import setup_logging

    overrides: dict[str, Any] = {"data_dir": data_dir}
    try:
        settings = load_settings(config_file, **overrides)
    except ConfigError as exc:
        fail(str(exc), ExitCode.CONFIG)
    if log_level or log_format:
        settings = settings.model_copy(update={"log": settings.log.model_copy(update={
            k: v for k, v in (("level", log_level and log_level.upper()), ("format", log_format)) if v})})
    setup_logging(settings.log.level, settings.log.format)
    ctx.obj = Ctx(settings)


# ---------------------------------------------------------------------------------------------------
@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), help="Input format (default: from the suffix).")
@click.option("--text-column", default="text", show_default=True, help="CSV column holding the message text.")
@click.option("--id-column", default="id", show_default=True,
              help="Column holding the provider's message id; without it a content hash is the id.")
@click.option("--channel", default="file", show_default=True,
              help="Channel recorded on the messages (message ids are '<channel>:<id>').")
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path),
              help="Write rejected records (where and why) to this JSONL file.")
@click.pass_obj
def ingest(obj: Ctx, file: Path, fmt: str | None, text_column: str, id_column: str, channel: str,
           rejects: Path | None) -> None:
    """Put the messages of a JSON Lines or CSV FILE on the raw topic.

    Each record needs a text; id, posted_at, lat, lon, author, media and lang are optional
    (author is hashed, never stored). Ingesting the same file twice adds no tickets: the
    message id comes from the record's id, or else from a hash of its content.
    Bad records are reported with their line number and skipped; the exit code is then 5.
    """
    from harvester.errors import SourceError
    from harvester.pollers.file import FileSourceOptions
    from harvester.service import ingest as do_ingest

    if not channel.replace("_", "").replace("-", "").isalnum() or not channel[:1].isalpha() or channel != channel.lower():
        fail(f"--channel {channel!r}: use lower-case letters, digits, '-' or '_'", ExitCode.USAGE)
    options = FileSourceOptions(channel=channel, fmt=fmt, text_column=text_column, id_column=id_column)
    transport = _transport(obj.settings)
    tty = sys.stderr.isatty()

    def progress(done: int, bad: int) -> None:
        if tty:
            click.echo(f"\r  {done:,} message(s) queued, {bad:,} rejected", err=True, nl=False)

    try:
        with service_errors():
            try:
                report = do_ingest(obj.settings, transport, file, options, progress)
            except SourceError as exc:
                fail(str(exc), ExitCode.DATA)
    finally:
        transport.close()
    if tty:
        click.echo("", err=True)
    for rej in report.rejected[:20]:
        click.echo(f"  rejected {file.name} {rej.where}: {rej.reason}", err=True)
    if len(report.rejected) > 20:
        click.echo(f"  ... and {len(report.rejected) - 20} more", err=True)
    if rejects and report.rejected:
        with rejects.open("w", encoding="utf-8") as fh:
            for rej in report.rejected:
                fh.write(json.dumps({"file": str(file), "where": rej.where, "reason": rej.reason}) + "\n")
    click.echo(f"ingested {report.produced} message(s) from {file} onto {topics.RAW}"
               + (f"; {len(report.rejected)} rejected" if report.rejected else ""))
    if report.rejected:
        sys.exit(int(ExitCode.DATA))


# ---------------------------------------------------------------------------------------------------
def build_processor(name: str, settings: Settings):
    module = importlib.import_module(STAGES[name])
    return module.build_processor(settings)


@cli.command()
@click.argument("stages", nargs=-1, type=click.Choice(list(STAGES)))
@click.option("--until-idle", is_flag=True,
              help="Exit 0 once every input topic of the chosen stages is drained and committed.")
@click.option("--metrics-port", type=int, help="Serve /metrics and /healthz on this port (0: any free port).")
@click.pass_obj
def run(obj: Ctx, stages: tuple[str, ...], until_idle: bool, metrics_port: int | None) -> None:
    """Run STAGES (default: all) until stopped by SIGTERM or SIGINT.

    On the embedded default every stage runs in this one process; on Kafka run one
    stage per process (or several) and scale a stage by starting more processes: they
    share its consumer group. A stop finishes the batch in hand, flushes, commits, closes.
    """
    from pipeline.runner import StageRunner

    settings = obj.settings
    chosen = [s for s in STAGES if s in stages] if stages else list(STAGES)
    transport = _transport(settings)
    stop = threading.Event()
    runners: list[StageRunner] = []
    with service_errors():
        for name in chosen:
            runners.append(StageRunner(build_processor(name, settings), transport, settings.runner,
                                       group_prefix=settings.kafka.group_prefix, stop_event=stop))
    signals = {"name": None}

    def on_signal(signum: int, frame: Any) -> None:
        signals["name"] = signal.Signals(signum).name
        log.info("received %s: stopping after the batch in hand", signals["name"])
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    errors: list[BaseException] = []

    def guarded(r: StageRunner) -> None:
        try:
            r.run()
        except BaseException as exc:  # a bug: stop everything, exit non-zero, let the supervisor restart us
            log.exception("stage %s crashed", r.processor.name)
            errors.append(exc)
            stop.set()

    threads = [threading.Thread(target=guarded, args=(r,), name=r.processor.name) for r in runners]
    health_server = None
    if metrics_port is not None or settings.metrics.enabled:
        from pipeline.metrics import HealthServer

        def health() -> dict:
            states = {r.processor.name: {"healthy": r.state.healthy and t.is_alive(), "records": r.state.records,
                                         "dead_lettered": r.state.dead_lettered, "last_error": r.state.last_error,
                                         "last_commit_at": r.state.last_commit_at}
                      for r, t in zip(runners, threads, strict=True)}
            return {"healthy": all(s["healthy"] for s in states.values()), "stages": states}

        port = settings.metrics.port if metrics_port is None else metrics_port
        health_server = HealthServer(settings.metrics.host, port, health).start()
        log.info("metrics on http://%s:%d/metrics", *health_server.address[:2])
    for t in threads:
        t.start()
    log.info("running %s on %s", ", ".join(chosen), transport.name)
    idle_since: float | None = None
    try:
        while any(t.is_alive() for t in threads):
            stop.wait(0.2)
            if stop.is_set():
                break
            if until_idle:
                if all(r.is_drained() for r in runners):
                    idle_since = idle_since or time.monotonic()
                    if time.monotonic() - idle_since >= settings.runner.idle_grace_s:
                        log.info("every topic drained: stopping")
                        stop.set()
                else:
                    idle_since = None
    finally:
        stop.set()
        for t in threads:
            t.join()
        if health_server:
            health_server.stop()
        for r in runners:
            r.processor.close()
        transport.close()
    if errors:
        sys.exit(int(ExitCode.FAILURE))
    if signals["name"] == "SIGINT":
        sys.exit(int(ExitCode.INTERRUPTED))
    total = sum(r.state.records for r in runners)
    dead = sum(r.state.dead_lettered for r in runners)
    click.echo(f"done: {total} record(s) handled, {dead} dead-lettered", err=True)


# ---------------------------------------------------------------------------------------------------
# ---------------------------------------------------------------------------------------------------
@cli.group()
def dlq() -> None:
    """Inspect and replay dead letters (messages a stage could not handle)."""


def _dlq_topic(stage: str) -> str:
    return topics.dlq(STAGE_INPUT[stage])


@dlq.command("inspect")
@click.argument("stage", type=click.Choice(list(STAGES)), required=False)
@click.option("--offset", "start", type=click.IntRange(min=0), default=0, show_default=True,
              help="First offset to show (per partition on Kafka).")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="Most dead letters to show.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
def dlq_inspect(obj: Ctx, stage: str | None, start: int, limit: int, fmt: str) -> None:
    """Show the dead letters of STAGE (default: every stage) with the reason each failed."""
    transport = _transport(obj.settings)
    rows = []
    try:
        with service_errors():
            for name in [stage] if stage else list(STAGES):
                for rec in transport.read(_dlq_topic(name), start=start, limit=limit):
                    rows.append({
                        "stage": name, "topic": rec.topic, "partition": rec.partition, "offset": rec.offset,
                        "kind": rec.header_str(topics.H_DLQ_KIND), "error": rec.header_str(topics.H_DLQ_ERROR),
                        "attempts": rec.header_str(topics.H_DLQ_ATTEMPTS),
                        "source": f"{rec.header_str(topics.H_DLQ_TOPIC)}[{rec.header_str(topics.H_DLQ_PARTITION)}]"
                                  f"@{rec.header_str(topics.H_DLQ_OFFSET)}",
                        "at": rec.header_str(topics.H_DLQ_AT),
                        "bytes": int(rec.header_str(topics.H_DLQ_TRUNCATED) or len(rec.value)),
                        "truncated": rec.header(topics.H_DLQ_TRUNCATED) is not None,
                        "preview": rec.value[:200].decode("utf-8", "replace"),
                    })
    finally:
        transport.close()
    out = sys.stdout
    if fmt == "json":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    table(out, rows, ["stage", "offset", "kind", "source", "bytes", "error"], {"error": 90})
    out.write(f"({len(rows)} dead letter{'s' if len(rows) != 1 else ''})\n")


@dlq.command("replay")
@click.argument("stage", type=click.Choice(list(STAGES)))
@click.option("--limit", type=click.IntRange(min=1), help="Replay at most this many dead letters.")
@click.option("--dry-run", is_flag=True, help="Only say what would be replayed.")
@click.pass_obj
def dlq_replay(obj: Ctx, stage: str, limit: int | None, dry_run: bool) -> None:
    """Put STAGE's dead letters back on its input topic, once each, after a fix.

    Replay is itself a consumer group ('<prefix>.dlq-replay.<stage>'), so a dead letter is
    replayed once; one that fails again comes back as a new dead letter and can be
    replayed again later. The original bytes are re-injected unchanged.
    """
    settings = obj.settings
    transport = _transport(settings)
    dlq_topic, source = _dlq_topic(stage), STAGE_INPUT[stage]
    replayed = 0
    try:
        with service_errors():
            transport.ensure_topics([dlq_topic, source])
            consumer = transport.consumer(f"{settings.kafka.group_prefix}.dlq-replay.{stage}", [dlq_topic])
            producer = transport.producer()
            try:
                idle_polls = 0
                while limit is None or replayed < limit:
                    want = settings.runner.batch_size if limit is None else min(settings.runner.batch_size,
                                                                                limit - replayed)
                    records = consumer.poll(want, settings.runner.poll_timeout_s)
                    if not records:
                        idle_polls += 1
                        if consumer.lag() == 0 or idle_polls > 20:
                            break
                        continue
                    idle_polls = 0
                    for rec in records:
                        click.echo(f"  {'would replay' if dry_run else 'replay'} {rec.topic}@{rec.offset} -> {source} "
                                   f"({rec.header_str(topics.H_DLQ_ERROR) or '?'})", err=True)
                        if not dry_run:
                            headers = [(k, v) for k, v in rec.headers if not k.startswith("jemput-dlq-")]
                            headers.append((topics.H_REPLAYED, f"{rec.topic}@{rec.partition}:{rec.offset}".encode()))
                            producer.send(source, rec.value, key=rec.key, headers=headers)
                    replayed += len(records)
                    if not dry_run:
                        producer.flush()
                        consumer.commit(records)
            finally:
                consumer.close()
                producer.close()
    finally:
        transport.close()
    click.echo(f"{'would replay' if dry_run else 'replayed'} {replayed} dead letter(s) from {dlq_topic} onto {source}")


# ---------------------------------------------------------------------------------------------------
@cli.group("config")
def config_group() -> None:
    """Show the resolved settings and their documentation."""


def _toml(data: dict[str, Any], prefix: str = "") -> str:
    lines: list[str] = []
    tables: list[tuple[str, dict]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append((f"{prefix}{key}", value))
        elif value is None:
            lines.append(f"# {key} = (unset)")
        else:
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    out = "\n".join(lines)
    for name, section in tables:
        out += f"\n\n[{name}]\n" + _toml(section, f"{name}.")
    return out.strip("\n")


@config_group.command("show")
@click.option("--format", "fmt", type=click.Choice(["toml", "json"]), default="toml", show_default=True)
@click.pass_obj
def config_show(obj: Ctx, fmt: str) -> None:
    """Print the settings in force (flags > environment > file > defaults), secrets masked."""
    data = masked_dump(obj.settings)
    click.echo(json.dumps(data, indent=2, ensure_ascii=False) if fmt == "json" else _toml(data))


@config_group.command("docs")
def config_docs() -> None:
    """Print the settings reference (Markdown) generated from the settings models."""
    from config.docs import settings_reference

    click.echo(settings_reference(), nl=False)


# ---------------------------------------------------------------------------------------------------
@cli.command()
@click.pass_obj
def doctor(obj: Ctx) -> None:
    """Check that jemput can reach what it needs: transport, ticket store, stages, and the credentials of every
    enabled harvester source."""
    settings = obj.settings
    results: list[tuple[bool, str, str]] = []

    def check(name: str, fn: Callable[[], str]) -> None:
        try:
            results.append((True, name, fn()))
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            results.append((False, name, f"{type(exc).__name__}: {exc}"))

    def transport_check() -> str:
        from pipeline.transport import build_transport

        t = build_transport(settings)
        try:
            return t.check()
        finally:
            t.close()

    check("transport", transport_check)
    for name in STAGES:
        def stage_check(name: str = name) -> str:
            p = build_processor(name, settings)
            try:
                return p.check()
            finally:
                p.close()

        check(name, stage_check)
    from harvester.sources import build as build_source
    from harvester.sources import enabled_sources

    for source in enabled_sources(settings):
        def source_check(source: str = source) -> str:
            poller = build_source(source, settings)
            try:
                return poller.check()
            finally:
                poller.close()

        check(f"harvest:{source}", source_check)
    for ok, name, detail in results:
        click.echo(f"{'ok  ' if ok else 'FAIL'}  {name:<18} {detail}")
    if not all(ok for ok, _, _ in results):
        sys.exit(int(ExitCode.UNAVAILABLE))


def main() -> None:
    import faulthandler

    # Operators can ask a stuck process where it is: kill -USR1 PID prints every thread's stack to stderr.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    try:
        cli(prog_name="jemput")
    except TransportError as exc:
        fail(f"unavailable: {exc}", ExitCode.UNAVAILABLE)


if __name__ == "__main__":
    main()
