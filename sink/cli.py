"""The ticket desk's commands (loaded lazily by ``jemput``): ``tickets``, ``api`` and ``desk``.

``jemput tickets list|show|stats|export|update|recategorise`` take the same filters as the HTTP API
(see :class:`sink.query.TicketFilter`).
"""

from __future__ import annotations

import csv
import json
import signal
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from pipeline.cliutil import Ctx, fail, plain, service_errors, table
from pipeline.errors import ExitCode

STATUS_CHOICES = ["new", "dispatched", "in_progress", "resolved", "rejected", "duplicate", "dismissed"]
TICKET_COLUMNS = ["id", "message_id", "status", "category", "confidence", "needs_review", "kota_name",
                  "kecamatan_name", "kelurahan_name", "precision", "channel", "created_at", "text"]


def open_store(settings: Any):
    """The ticket store of ``settings``, migrated."""
    from sink.service import build_store

    with service_errors():
        store = build_store(settings)
        store.migrate()
    return store


def _datetime(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date or time") from None
    if dt.tzinfo is None:  # a bare date or time is Jakarta time
        from datetime import timedelta, timezone

        dt = dt.replace(tzinfo=timezone(timedelta(hours=7)))
    return dt


def filter_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The API's ticket filters as options (repeatable where the API takes lists)."""
    opts = [
        click.option("--status", "statuses", multiple=True, type=click.Choice(STATUS_CHOICES),
                     help="Only tickets with this status (repeatable). Default: every status."),
        click.option("--category", multiple=True, help="Only this category (repeatable)."),
        click.option("--channel", multiple=True, help="Only this channel (repeatable)."),
        click.option("--kota", multiple=True, help="Kota code or name (repeatable)."),
        click.option("--kecamatan", multiple=True, help="Kecamatan code or name (repeatable)."),
        click.option("--kelurahan", multiple=True, help="Kelurahan code or name (repeatable)."),
        click.option("--agency", multiple=True, help="Responsible agency (repeatable)."),
        click.option("--incident", type=int, help="Incident id."),
        click.option("--since", help="Reported at or after (ISO 8601; without a zone: Jakarta time)."),
        click.option("--until", help="Reported before (ISO 8601; without a zone: Jakarta time)."),
        click.option("--search", "q", help="Words that must all occur in the text."),
    ]
    for o in reversed(opts):
        fn = o(fn)
    return fn


def build_filter(statuses: tuple[str, ...] = (), category: tuple[str, ...] = (), channel: tuple[str, ...] = (),
                 kota: tuple[str, ...] = (), kecamatan: tuple[str, ...] = (), kelurahan: tuple[str, ...] = (),
                 agency: tuple[str, ...] = (), incident: int | None = None, since: str | None = None,
                 until: str | None = None, q: str | None = None):
    from sink.query import TicketFilter

    return TicketFilter(category=category, status=statuses, channel=channel, kota=kota, kecamatan=kecamatan,
                        kelurahan=kelurahan, agency=agency, incident=incident, since=_datetime(since),
                        until=_datetime(until), q=q)


def _cell(v: Any) -> Any:
    return json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v


def _write_rows(rows: list[dict[str, Any]], fmt: str, default_cols: list[str]) -> None:
    out = sys.stdout
    if fmt == "json":
        for row in rows:
            out.write(json.dumps({k: plain(v) for k, v in row.items()}, ensure_ascii=False, default=str) + "\n")
    elif fmt == "csv":
        cols = list(rows[0]) if rows else default_cols
        w = csv.DictWriter(out, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        for row in rows:
            w.writerow({k: _cell(plain(v)) for k, v in row.items()})
    else:
        table(out, rows, default_cols)


# ---------------------------------------------------------------------------------------------------
@click.group()
def tickets() -> None:
    """Read and work the ticket store (the same filters as the HTTP API)."""


@tickets.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True,
              help="table for reading, csv for spreadsheets, json: one object per line per ticket.")
@filter_options
@click.option("--limit", type=click.IntRange(min=1), help="At most this many tickets (default: all).")
@click.pass_obj
def tickets_list(obj: Ctx, fmt: str, limit: int | None, **flt: Any) -> None:
    """List tickets in the order they were created, whatever their status unless filtered."""
    from sink.query import ALL_COLUMNS, Reader

    store = open_store(obj.settings)
    try:
        with service_errors():
            rows = list(Reader(store).stream(build_filter(**flt), columns=ALL_COLUMNS, limit=limit))
    finally:
        store.close()
    _write_rows(rows, fmt, TICKET_COLUMNS if fmt == "csv" else
                ["id", "status", "category", "confidence", "kelurahan_name", "kecamatan_name", "kota_name", "text"])
    if fmt == "table":
        sys.stdout.write(f"({len(rows)} ticket{'s' if len(rows) != 1 else ''})\n")


@tickets.command("show")
@click.argument("ticket_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
def tickets_show(obj: Ctx, ticket_id: int, fmt: str) -> None:
    """Show one ticket with its full history (every status change, re-categorisation and re-assignment)."""
    from sink.desk import allowed_from
    from sink.query import ANALYST_COLUMNS, Reader

    store = open_store(obj.settings)
    try:
        with service_errors():
            reader = Reader(store)
            row = reader.ticket(ticket_id, columns=ANALYST_COLUMNS)
            history = reader.history(ticket_id) if row else []
    finally:
        store.close()
    if row is None:
        fail(f"no ticket {ticket_id}", ExitCode.DATA)
    if fmt == "json":
        click.echo(json.dumps({"ticket": {k: plain(v) for k, v in row.items()},
                               "history": [{k: plain(v) for k, v in e.items()} for e in history],
                               "allowed_transitions": allowed_from(row["status"])}, ensure_ascii=False, default=str))
        return
    width = max(len(k) for k in row)
    for k, v in row.items():
        click.echo(f"{k.ljust(width)}  {_cell(plain(v)) if v is not None else '-'}")
    click.echo(f"{'next'.ljust(width)}  {', '.join(allowed_from(row['status'])) or '-'}")
    click.echo("\nhistory:")
    table(sys.stdout, [{**e, "at": plain(e["at"]), "data": _cell(e["data"])} for e in history],
          ["at", "actor", "kind", "from_status", "to_status", "note", "data"], {"note": 40, "data": 60})


@tickets.command("stats")
@click.argument("kind", type=click.Choice(["counts", "response-times", "backlog", "summary"]), default="counts")
@filter_options
@click.option("--period", type=click.Choice(["day", "week"]), default="day", show_default=True,
              help="counts: per day or per week (Jakarta time, weeks start on Monday).")
@click.option("--area", type=click.Choice(["kota", "kecamatan", "kelurahan", "none"]), default="kelurahan",
              show_default=True, help="counts: per area level.")
@click.option("--by", type=click.Choice(["category", "agency", "kelurahan"]), default=None,
              help="response-times: per category (default), agency or kelurahan; backlog: kelurahan (default) or agency.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_obj
def tickets_stats(obj: Ctx, kind: str, period: str, area: str, by: str | None, fmt: str, **flt: Any) -> None:
    """Statistics: counts per category x area x day/week, response times, backlog, or a summary."""
    from sink.query import Reader

    store = open_store(obj.settings)
    f = build_filter(**flt)
    try:
        with service_errors():
            reader = Reader(store)
            if kind == "counts":
                rows = reader.counts(f, period=period, area=None if area == "none" else area)  # type: ignore[arg-type]
            elif kind == "response-times":
                rows = reader.response_times(f, by=by or "category")  # type: ignore[arg-type]
            elif kind == "backlog":
                if by == "category":
                    raise click.BadParameter("backlog is per kelurahan or agency", param_hint="--by")
                rows = reader.backlog(f, by=by or "kelurahan")  # type: ignore[arg-type]
            else:
                summary = reader.summary(f)
                rows = [{"kind": "status", "key": k, "count": v} for k, v in summary["by_status"].items()]
                rows += [{"kind": "category", "key": k, "count": v} for k, v in summary["by_category"].items()]
    finally:
        store.close()
    _write_rows(rows, fmt, list(rows[0]) if rows else ["count"])


@tickets.command("export")
@filter_options
@click.option("--format", "fmt", type=click.Choice(["csv", "geojson", "json"]), default="csv", show_default=True,
              help="csv, GeoJSON FeatureCollection, or JSON Lines.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here (default: stdout).")
@click.pass_obj
def tickets_export(obj: Ctx, fmt: str, out: Path | None, **flt: Any) -> None:
    """Export every matching ticket, streamed from the database (no row limit, flat memory)."""
    from sink.api.app import csv_stream, geojson_stream
    from sink.query import ANALYST_COLUMNS, Reader

    store = open_store(obj.settings)
    f = build_filter(**flt)
    reader = Reader(store)
    sink = out.open("wb") if out else sys.stdout.buffer
    try:
        with service_errors():
            if fmt == "csv":
                chunks = csv_stream(reader, f)
            elif fmt == "geojson":
                chunks = geojson_stream(reader, f)
            else:
                chunks = (json.dumps({k: plain(v) for k, v in r.items()}, ensure_ascii=False).encode() + b"\n"
                          for r in reader.stream(f, columns=ANALYST_COLUMNS))
            for chunk in chunks:
                sink.write(chunk)
    finally:
        if out:
            sink.close()
        else:
            sink.flush()
        store.close()
    if out:
        click.echo(f"wrote {out}", err=True)


def _desk_call(obj: Ctx, fn: Callable[[Any], Any]) -> Any:
    from sink.desk import Desk, DeskError

    store = open_store(obj.settings)
    try:
        with service_errors():
            try:
                return fn(Desk(store))
            except DeskError as exc:
                fail(str(exc), ExitCode.DATA)
    finally:
        store.close()


@tickets.command("update")
@click.argument("ticket_id", type=int)
@click.option("--status", required=True, type=click.Choice(STATUS_CHOICES), help="The status to move to.")
@click.option("--actor", required=True, help="Who does it (kept in the history).")
@click.option("--note", help="Why, in words.")
@click.option("--completion-note", help="What was done (only when resolving).")
@click.option("--photo-url", help="Photo of the completed work (only when resolving).")
@click.option("--duplicate-of", type=int, help="When marking a duplicate: the ticket it duplicates.")
@click.option("--expected-version", type=int, help="Refuse when the ticket is no longer at this version.")
@click.pass_obj
def tickets_update(obj: Ctx, ticket_id: int, status: str, actor: str, note: str | None,
                   completion_note: str | None, photo_url: str | None, duplicate_of: int | None,
                   expected_version: int | None) -> None:
    """Move ticket TICKET_ID in its lifecycle (refused, exit 5, when the transition is not allowed)."""
    ch = _desk_call(obj, lambda d: d.transition(
        ticket_id, status, actor=actor, note=note, completion_note=completion_note, photo_url=photo_url,
        duplicate_of=duplicate_of, expected_version=expected_version))
    click.echo(f"ticket {ticket_id}: {ch.event['from_status']} -> {ch.event['to_status']} "
               f"(version {ch.ticket['version']})")


@tickets.command("recategorise")
@click.argument("ticket_id", type=int)
@click.argument("category")
@click.option("--actor", required=True, help="Who does it (kept in the history).")
@click.option("--note", help="Why, in words.")
@click.pass_obj
def tickets_recategorise(obj: Ctx, ticket_id: int, category: str, actor: str, note: str | None) -> None:
    """Give ticket TICKET_ID another CATEGORY; it is re-routed to that category's agency."""
    chs = _desk_call(obj, lambda d: d.recategorise(ticket_id, category, actor=actor, note=note))
    t = chs[-1].ticket
    click.echo(f"ticket {ticket_id}: {chs[0].event['data']['from']} -> {category}, agency {t['assignee_agency']}")


# ---------------------------------------------------------------------------------------------------
@click.command()
@click.option("--host", help="Address to bind (default: desk.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port (default: desk.port, 8080).")
@click.pass_obj
def api(obj: Ctx, host: str | None, port: int | None) -> None:
    """Serve the ticket desk: HTTP API (/docs), Open311 (/open311/v2/) and the public page (/)."""
    import uvicorn

    from sink.api import create_app

    settings = obj.settings
    store = open_store(settings)
    app = create_app(store, settings.desk, gazetteer_path=settings.gazetteer_path)
    if not settings.desk.api_keys:
        click.echo("jemput api: no desk.api_keys configured: only the public endpoints will answer", err=True)
    # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal to the handler that was there before it:
    # this one, so a supervisor's stop ends with exit code 0 (as 'jemput run' does).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        uvicorn.run(app, host=host or settings.desk.host, port=settings.desk.port if port is None else port,
                    log_level=settings.log.level.lower(), access_log=False)
    finally:
        store.close()


@click.group()
def desk() -> None:
    """Administer the ticket desk: incidents, and a read-only database role for analysts."""


@desk.command("readonly-role")
@click.argument("role", default="jemput_analyst")
@click.option("--password-env", metavar="VAR",
              help="Name of an environment variable holding the role's password (never on the command line).")
@click.option("--print-sql", is_flag=True, help="Only print the SQL (for a DBA), with the password as :'password'.")
@click.pass_obj
def desk_readonly_role(obj: Ctx, role: str, password_env: str | None, print_sql: bool) -> None:
    """Create (or update) a read-only PostgreSQL ROLE for analysts (default: jemput_analyst).

    \b
    The role may log in, reads only the views analyst_tickets, analyst_daily_counts,
    analyst_response_times and the table ticket_events, every transaction is read-only,
    and each statement is stopped after desk.statement_timeout_s. Needs CREATEROLE.
    """
    import os

    from sink.roles import RoleError, create_readonly_role, readonly_role_sql

    password = None
    if password_env and not print_sql:
        password = os.environ.get(password_env)
        if not password:
            fail(f"${password_env} is empty or unset", ExitCode.USAGE)
    timeout = obj.settings.desk.statement_timeout_s
    try:
        if print_sql:
            from sqlalchemy.engine import make_url

            db = make_url(obj.settings.database_url).database or "jemput"
            for s in readonly_role_sql(role, db, "<password>" if password_env else None, timeout):
                click.echo(s + ";")
            return
        store = open_store(obj.settings)
        try:
            stmts = create_readonly_role(store, role, password, timeout)
        finally:
            store.close()
    except RoleError as exc:
        fail(str(exc), ExitCode.FAILURE)
    click.echo(f"role {role}: {len(stmts)} statement(s) applied; it reads analyst_* views and ticket_events only")


def _incidents(obj: Ctx, store: Any):
    from sink.incidents import GroupingRules, Incidents

    d = obj.settings.desk
    return Incidents(store, GroupingRules(radius_m=d.incident_radius_m, window_h=d.incident_window_h,
                                          min_similarity=d.incident_min_similarity))


def _incident_call(obj: Ctx, fn: Callable[[Any], Any]) -> Any:
    from sink.desk import DeskError

    store = open_store(obj.settings)
    try:
        with service_errors():
            try:
                return fn(_incidents(obj, store))
            except DeskError as exc:
                fail(str(exc), ExitCode.DATA)
    finally:
        store.close()


@desk.command("group-incidents")
@click.pass_obj
def desk_group_incidents(obj: Ctx) -> None:
    """Group every complaint without an incident into one (same category, near in space and time, similar words;
    see the desk.incident_* settings). 'jemput api' also does this every desk.incident_interval_s."""
    done = _incident_call(obj, lambda inc: inc.group_new(limit=10**9))
    click.echo(f"grouped {done['grouped']} ticket(s); {done['joined']} joined an existing incident")


@desk.command("incidents")
@click.option("--category", multiple=True, help="Only this category (repeatable).")
@click.option("--kelurahan", multiple=True, help="Kelurahan code or name (repeatable).")
@click.option("--min-reports", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_obj
def desk_incidents(obj: Ctx, category: tuple[str, ...], kelurahan: tuple[str, ...], min_reports: int, limit: int,
                   fmt: str) -> None:
    """List incidents, most reported first."""
    _, rows = _incident_call(obj, lambda inc: inc.list(category=list(category), kelurahan=list(kelurahan),
                                                       min_reports=min_reports, limit=limit))
    _write_rows(rows, fmt, ["id", "category", "report_count", "reporter_count", "kelurahan_name",
                            "last_reported_at", "title"])


@desk.command("merge-incidents")
@click.argument("into", type=int)
@click.argument("others", type=int, nargs=-1, required=True)
@click.option("--actor", required=True, help="Who does it (kept in each ticket's history).")
@click.option("--note", help="Why, in words.")
@click.pass_obj
def desk_merge(obj: Ctx, into: int, others: tuple[int, ...], actor: str, note: str | None) -> None:
    """Move the tickets of incidents OTHERS into incident INTO."""
    r = _incident_call(obj, lambda inc: inc.merge(into, list(others), actor=actor, note=note))
    click.echo(f"incident {into}: {r['moved_tickets']} ticket(s) moved in from {', '.join(map(str, r['merged']))}")


@desk.command("split-incident")
@click.argument("ticket_ids", type=int, nargs=-1, required=True)
@click.option("--actor", required=True, help="Who does it (kept in each ticket's history).")
@click.option("--note", help="Why, in words.")
@click.pass_obj
def desk_split(obj: Ctx, ticket_ids: tuple[int, ...], actor: str, note: str | None) -> None:
    """Take TICKET_IDS out of their incident into one new incident."""
    r = _incident_call(obj, lambda inc: inc.split(list(ticket_ids), actor=actor, note=note))
    click.echo(f"new incident {r['incident_id']} with ticket(s) {', '.join(map(str, r['tickets']))}")
