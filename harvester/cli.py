"""The harvester's commands, ``jemput harvest ...`` (loaded lazily by ``jemput``)."""

from __future__ import annotations

import json
import logging
import signal
import sys
from datetime import UTC, datetime
from typing import Any

import click

from pipeline.cliutil import Ctx, fail, plain, service_errors, table, transport_for
from pipeline.errors import ExitCode

log = logging.getLogger("jemput.harvester.cli")


@click.group()
def harvest() -> None:
    """Poll the complaint sources (Twitter/X, Telegram, citizen apps, SMS inboxes, e-mail).

    \b
    Sources are configured under harvester.<source> (see docs/settings.md) and
    enabled with harvester.<source>.enabled; cursors and health live in the ticket
    database (table harvest_sources).
    """


def _open_cursors(settings: Any) -> Any:
    from harvester.cursors import open_cursor_store

    with service_errors():
        return open_cursor_store(settings)


def _age(when: datetime | None, now: datetime) -> str | None:
    if when is None:
        return None
    s = int((now - when).total_seconds())
    if s < 120:
        return f"{s}s"
    if s < 7200:
        return f"{s // 60}m"
    if s < 172800:
        return f"{s // 3600}h"
    return f"{s // 86400}d"


@harvest.command("once")
@click.argument("source")
@click.option("--max-pages", type=click.IntRange(min=1), help="Pages to follow at most (default: the source's).")
@click.pass_obj
def harvest_once(obj: Ctx, source: str, max_pages: int | None) -> None:
    """Poll SOURCE (a source name, or a channel: every source of it) once, now.

    \b
    Sources: twitter, telegram, app, rest_inbox, gammu, email; channels: sms (rest_inbox
    and gammu) and the others by their names. Works for a source that is not enabled.
    Messages go onto the raw topic and the cursor is saved after the flush, as in
    'harvest run'. Exit code 1 when a poll failed, 3 when a source is misconfigured.
    """
    from harvester.errors import SourceError
    from harvester.service import build_runner
    from harvester.sources import SourceUnavailable, UnknownSource, resolve

    settings = obj.settings
    try:
        names = resolve(source)
    except UnknownSource as exc:
        fail(str(exc), ExitCode.USAGE)
    transport = transport_for(settings)
    cursors = _open_cursors(settings)
    failed = False
    try:
        for name in names:
            try:
                runner = build_runner(settings, name, transport, cursors)
            except (SourceError, SourceUnavailable) as exc:
                if len(names) == 1:
                    fail(str(exc), ExitCode.CONFIG)
                click.echo(f"{name}: skipped: {exc}", err=True)
                continue
            if max_pages:
                runner.max_pages = max_pages
            try:
                report = runner.run_once()
            finally:
                runner.close()
            click.echo(report.summary())
            for r in report.rejected[:20]:
                click.echo(f"  rejected {r.ref}: {r.reason}", err=True)
            failed = failed or not report.ok
    finally:
        cursors.close()
        transport.close()
    if failed:
        sys.exit(int(ExitCode.FAILURE))


@harvest.command("status")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
def harvest_status(obj: Ctx, fmt: str) -> None:
    """Every source: enabled, last success, last error, failures in a row, cursor age, messages."""
    from harvester.sources import SOURCES, source_settings

    settings = obj.settings
    cursors = _open_cursors(settings)
    try:
        with service_errors():
            states = {s.source: s for s in cursors.states()}
    finally:
        cursors.close()
    now = datetime.now(UTC)
    rows = []
    for name in list(SOURCES) + sorted(set(states) - set(SOURCES)):
        st = states.get(name)
        if name in SOURCES:
            enabled = bool(getattr(source_settings(settings, name), "enabled", False))
        else:  # rows of sources outside the registry: the Twitter stream, sources since removed
            enabled = name == "twitter_stream" and settings.harvester.twitter.enabled and settings.harvester.twitter.stream
        rows.append({
            "source": name,
            "channel": st.channel if st else None,
            "enabled": enabled,
            "last_success_at": st.last_success_at if st else None,
            "last_error": st.last_error if st else None,
            "last_error_at": st.last_error_at if st else None,
            "consecutive_failures": st.consecutive_failures if st else 0,
            "cursor_updated_at": st.updated_at if st else None,
            "cursor_age_s": int((now - st.updated_at).total_seconds()) if st and st.updated_at else None,
            "messages_total": st.messages_total if st else 0,
            "rejected_total": st.rejected_total if st else 0,
            "errors_total": st.errors_total if st else 0,
        })
    if fmt == "json":
        click.echo(json.dumps([{k: plain(v) for k, v in r.items()} for r in rows], indent=2, ensure_ascii=False))
        return
    view = [{
        "source": r["source"],
        "enabled": "yes" if r["enabled"] else "no",
        "last_success": _age(r["last_success_at"], now) and f"{_age(r['last_success_at'], now)} ago",
        "failures": r["consecutive_failures"],
        "cursor_age": _age(r["cursor_updated_at"], now),
        "messages": r["messages_total"],
        "rejected": r["rejected_total"],
        "errors": r["errors_total"],
        "last_error": r["last_error"],
    } for r in rows]
    table(sys.stdout, view, ["source", "enabled", "last_success", "failures", "cursor_age", "messages", "rejected",
                             "errors", "last_error"], widths={"last_error": 70})


@harvest.command("reset")
@click.argument("source")
@click.option("--yes", is_flag=True, help="Do not ask.")
@click.pass_obj
def harvest_reset(obj: Ctx, source: str, yes: bool) -> None:
    """Forget SOURCE's cursor: its next poll starts afresh (messages seen before keep their tickets)."""
    if not yes:
        click.confirm(f"forget the cursor of {source!r}?", abort=True)
    cursors = _open_cursors(obj.settings)
    try:
        with service_errors():
            done = cursors.reset(source)
    finally:
        cursors.close()
    if not done:
        fail(f"no cursor saved for {source!r}", ExitCode.USAGE)
    click.echo(f"cursor of {source} forgotten")


@harvest.command("run")
@click.option("--metrics-port", type=click.IntRange(0, 65535),
              help="Serve /metrics and /healthz on this port (default: metrics.port when metrics.enabled).")
@click.pass_obj
def harvest_run(obj: Ctx, metrics_port: int | None) -> None:
    """Poll every enabled source on its schedule (and run the SMS webhook receiver when
    harvester.sms.enabled) until SIGTERM or SIGINT; the polls in hand finish, flush and save first."""
    from harvester.errors import SourceError
    from harvester.service import build_scheduler, build_sms_receiver
    from harvester.sources import SourceUnavailable, enabled_sources

    settings = obj.settings
    names = enabled_sources(settings)
    if not names and not settings.harvester.sms.enabled:
        fail("no source is enabled: set harvester.<source>.enabled (e.g. JEMPUT_HARVESTER__TWITTER__ENABLED=true) "
             "or harvester.sms.enabled", ExitCode.CONFIG)
    transport = transport_for(settings)
    cursors = _open_cursors(settings)
    try:
        scheduler = build_scheduler(settings, transport, cursors, names)
    except (SourceError, SourceUnavailable) as exc:
        cursors.close()
        transport.close()
        fail(str(exc), ExitCode.CONFIG)
    stream = None
    if "twitter" in names and settings.harvester.twitter.stream:
        from harvester.pollers.twitter_stream import build_stream

        try:
            # Every (re)connect and every undelivered tweet: poll recent search now, from its saved since_id.
            stream = build_stream(settings, transport, cursors, on_gap=lambda: scheduler.run_now("twitter"))
        except SourceError as exc:
            cursors.close()
            transport.close()
            fail(str(exc), ExitCode.CONFIG)
    receiver = None
    if settings.harvester.sms.enabled:
        try:
            receiver = build_sms_receiver(settings, transport)
        except SourceError as exc:
            cursors.close()
            transport.close()
            fail(str(exc), ExitCode.CONFIG)
    stop = scheduler.stop_event
    signals: dict[str, str | None] = {"name": None}

    def on_signal(signum: int, frame: Any) -> None:
        signals["name"] = signal.Signals(signum).name
        log.info("received %s: stopping after the polls in hand", signals["name"])
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    health_server = None
    if metrics_port is not None or settings.metrics.enabled:
        from pipeline.metrics import HealthServer

        def health() -> dict:
            status = scheduler.status()
            if receiver is not None:
                status["sms_receiver"] = receiver.status()
            if stream is not None:
                status["twitter_stream"] = stream.status()
            status["healthy"] = status["running"] and scheduler.healthy
            return status

        port = settings.metrics.port if metrics_port is None else metrics_port
        health_server = HealthServer(settings.metrics.host, port, health).start()
        log.info("metrics on http://%s:%d/metrics", *health_server.address[:2])
    start_error: str | None = None
    try:
        if receiver is not None:
            try:
                receiver.start()
            except SourceError as exc:  # cannot listen: the port is taken, the address is wrong
                start_error = str(exc)
                stop.set()
        if start_error is None:
            scheduler.start()
            if stream is not None:
                try:
                    stream.start()
                except SourceError as exc:  # the rules could not be read or set
                    start_error = str(exc)
                    stop.set()
            click.echo(f"harvesting {', '.join(names) or 'nothing but SMS webhooks'} on {transport.name}", err=True)
            while not stop.wait(0.5):
                pass
    finally:
        stop.set()
        if stream is not None:
            stream.stop(settings.harvester.shutdown_timeout_s)
        if receiver is not None:
            try:
                receiver.stop()
            except Exception as exc:  # noqa: BLE001 - keep shutting down the rest
                log.warning("stopping the SMS receiver: %s", exc)
        clean = scheduler.stop(settings.harvester.shutdown_timeout_s)
        if health_server:
            health_server.stop()
        cursors.close()
        transport.close()
    if start_error is not None:
        fail(start_error, ExitCode.CONFIG)
    if not clean:
        sys.exit(int(ExitCode.FAILURE))
    if signals["name"] == "SIGINT":
        sys.exit(int(ExitCode.INTERRUPTED))
