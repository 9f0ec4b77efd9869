"""The FastAPI application of the ticket desk.

Access (keys and roles from the ``desk.api_keys`` setting), sent as ``X-API-Key: KEY`` or ``Authorization:
Bearer KEY``:

- public, no key: ``/open311/v2/...``, the page at ``/`` and its data under ``/public/...``, ``/healthz``,
  the OpenAPI document. Only public tickets (never dismissed or not_complaint), never the reporter (author_ref),
  the raw payload, or operators' notes.
- ``analyst``: every ``GET /api/v1/...``: tickets, one ticket with its history, statistics, exports.
- ``operator``: also ``POST /api/v1/tickets/{id}/...``: status, category, assignment.

No key on a private endpoint: 401; a key whose role is not enough: 403.
"""


import csv
import hmac
import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from config.settings import ApiKeySettings, DeskSettings
from pipeline.errors import UnavailableError
from sink.api import open311
from sink.desk import Desk, DeskError, allowed_from
from sink.incidents import GroupingRules, Incidents
from sink.models import DISMISSED, STATUSES, Ticket
from sink.query import ANALYST_COLUMNS, OPEN, PUBLIC_COLUMNS, Reader, TicketFilter
from sink.store import TicketStore

ROLES = {"analyst": 1, "operator": 2}
#: Columns of the CSV and GeoJSON exports (no raw payload; author_ref is a keyed hash, kept for analysts).
EXPORT_COLUMNS = [c for c in ANALYST_COLUMNS if c not in ("scores", "media")] + ["media"]


class Principal(BaseModel):
    name: str
    role: Literal["analyst", "operator"]


class StatusChange(BaseModel):
    status: Literal["new", "dispatched", "in_progress", "resolved", "rejected", "duplicate", "dismissed"] = Field(
        description="The status to move to (see GET /api/v1/lifecycle).")
    note: str | None = Field(None, max_length=4000, description="Why, in words (kept in the history).")
    completion_note: str | None = Field(None, max_length=4000, description="What was done (only when resolving).")
    photo_url: str | None = Field(None, max_length=2000, description="Photo of the completed work (only when resolving).")
    expected_version: int | None = Field(
        None, description="The version you displayed; refused with 409 when the ticket changed since.")
    duplicate_of: int | None = Field(None, description="When marking a duplicate: the ticket it duplicates.")


class CategoryChange(BaseModel):
    category: str = Field(description="The new category; the ticket is re-routed.")
    note: str | None = Field(None, max_length=4000)
    expected_version: int | None = None


class IncidentMerge(BaseModel):
    into: int = Field(description="The incident that stays.")
    incidents: list[int] = Field(min_length=1, description="Incidents whose tickets move into it (then deleted).")
    note: str | None = Field(None, max_length=4000)


class IncidentSplit(BaseModel):
    ticket_ids: list[int] = Field(min_length=1, description="Tickets taken out into one new incident.")
    note: str | None = Field(None, max_length=4000)


class AssignmentChange(BaseModel):
    agency: str | None = Field(None, max_length=64)
    kelurahan_code: str | None = Field(None, max_length=64)
    note: str | None = Field(None, max_length=4000)
    expected_version: int | None = None


WIB = timezone(timedelta(hours=7))


def _wib(value: datetime | None) -> datetime | None:
    """A time without a zone is Jakarta time (as in the CLI)."""
    return value.replace(tzinfo=WIB) if value is not None and value.tzinfo is None else value


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}


def create_app(store: TicketStore, settings: DeskSettings | None = None, *,
               gazetteer_path: Path | None = None) -> FastAPI:
    """The app on a migrated ``store``. ``gazetteer_path``: the pack whose kelurahan polygons the page draws."""
    settings = settings or DeskSettings()
    reader = Reader(store, max_page_size=settings.max_page_size, statement_timeout_s=settings.statement_timeout_s)
    desk = Desk(store)
    incidents = Incidents(store, GroupingRules(radius_m=settings.incident_radius_m, window_h=settings.incident_window_h,
                                               min_similarity=settings.incident_min_similarity))
    keys: list[ApiKeySettings] = list(settings.api_keys)

    app = FastAPI(
        title="jemput ticket desk",
        version="1",
        description="Citizens' complaints in Jakarta as tickets: lifecycle, routing, statistics, exports, and the "
        "Open311 GeoReport v2 read endpoints. Private endpoints need an API key (X-API-Key or Bearer).",
        lifespan=_grouping_lifespan(incidents, settings.incident_interval_s) if settings.incident_interval_s > 0
        else None,
    )
    app.state.store = store
    app.state.incidents = incidents

    # -- errors ----------------------------------------------------------------------------------
    @app.exception_handler(DeskError)
    async def _desk_error(_: Request, exc: DeskError) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "error": type(exc).__name__}, status_code=exc.status_code)

    @app.exception_handler(UnavailableError)
    async def _unavailable(_: Request, exc: UnavailableError) -> JSONResponse:
        return JSONResponse({"detail": f"ticket store unavailable: {exc}"}, status_code=503,
                            headers={"Retry-After": "5"})

    # -- access ----------------------------------------------------------------------------------
    def principal(request: Request) -> Principal | None:
        supplied = request.headers.get("x-api-key")
        auth = request.headers.get("authorization", "")
        if not supplied and auth.lower().startswith("bearer "):
            supplied = auth[7:].strip()
        if not supplied:
            return None
        found: Principal | None = None
        for k in keys:  # compare with every key, in constant time each
            if hmac.compare_digest(k.key.get_secret_value().encode(), supplied.encode()):
                found = Principal(name=k.name, role=k.role)
        if found is None:
            raise HTTPException(401, "unknown API key", headers={"WWW-Authenticate": "Bearer"})
        return found

    def needs(role: str):
        def dep(p: Annotated[Principal | None, Depends(principal)]) -> Principal:
            if p is None:
                raise HTTPException(401, "this endpoint needs an API key (X-API-Key or Authorization: Bearer)",
                                    headers={"WWW-Authenticate": "Bearer"})
            if ROLES[p.role] < ROLES[role]:
                raise HTTPException(403, f"this endpoint needs the {role} role; your key is {p.role}")
            return p
        return dep

    Analyst = Annotated[Principal, Depends(needs("analyst"))]
    Operator = Annotated[Principal, Depends(needs("operator"))]

    # -- filters ---------------------------------------------------------------------------------
    def filters(
        category: Annotated[list[str] | None, Query(description="Category (repeatable).")] = None,
        status: Annotated[list[str] | None, Query(description="Status (repeatable).")] = None,
        channel: Annotated[list[str] | None, Query(description="Channel (repeatable).")] = None,
        kota: Annotated[list[str] | None, Query(description="Kota code or name (repeatable).")] = None,
        kecamatan: Annotated[list[str] | None, Query(description="Kecamatan code or name (repeatable).")] = None,
        kelurahan: Annotated[list[str] | None, Query(description="Kelurahan code or name (repeatable).")] = None,
        agency: Annotated[list[str] | None, Query(description="Responsible agency (repeatable).")] = None,
        incident: Annotated[int | None, Query(description="Incident id.")] = None,
        since: Annotated[datetime | None, Query(description="Reported at or after (ISO 8601).")] = None,
        until: Annotated[datetime | None, Query(description="Reported before (ISO 8601).")] = None,
        q: Annotated[str | None, Query(max_length=200, description="Words that must all occur in the text.")] = None,
    ) -> TicketFilter:
        since, until = _wib(since), _wib(until)
        for s in status or []:
            if s not in STATUSES:
                raise HTTPException(422, f"unknown status {s!r}; statuses: {', '.join(STATUSES)}")
        return TicketFilter(category=tuple(category or ()), status=tuple(status or ()), channel=tuple(channel or ()),
                            kota=tuple(kota or ()), kecamatan=tuple(kecamatan or ()),
                            kelurahan=tuple(kelurahan or ()), agency=tuple(agency or ()), incident=incident,
                            since=since, until=until, q=q)

    Filters = Annotated[TicketFilter, Depends(filters)]

    # -- health ----------------------------------------------------------------------------------
    @app.get("/healthz", tags=["ops"], summary="Liveness and the ticket store's schema revision")
    def healthz() -> dict[str, Any]:
        revision = store.schema_revision()  # raises UnavailableError (503) when the database is down
        return {"ok": revision == store.head_revision(), "schema": revision}

    # -- tickets (analyst) -----------------------------------------------------------------------
    @app.get("/api/v1/tickets", tags=["tickets"], summary="Tickets matching the filters, one page at a time")
    def list_tickets(
        _: Analyst, flt: Filters,
        limit: Annotated[int, Query(ge=1, description="Page size (capped at desk.max_page_size).")] = settings.page_size,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        limit = min(limit, settings.max_page_size)
        total, rows = reader.page(flt, limit=limit, offset=offset)
        nxt = offset + len(rows) if offset + len(rows) < total else None
        return {"total": total, "limit": limit, "offset": offset, "next_offset": nxt,
                "items": [_jsonable(r) for r in rows]}

    @app.get("/api/v1/tickets/{ticket_id}", tags=["tickets"], summary="One ticket with its full history")
    def get_ticket(_: Analyst, ticket_id: Annotated[int, PathParam()]) -> dict[str, Any]:
        row = reader.ticket(ticket_id)
        if row is None:
            raise HTTPException(404, f"no ticket {ticket_id}")
        return {"ticket": _jsonable(row), "history": [_jsonable(e) for e in reader.history(ticket_id)],
                "allowed_transitions": allowed_from(row["status"])}

    @app.get("/api/v1/lifecycle", tags=["tickets"], summary="The statuses and the transitions between them")
    def lifecycle() -> dict[str, Any]:
        return {"statuses": list(STATUSES), "transitions": {s: allowed_from(s) for s in STATUSES},
                "open311": {s: open311.open_closed(s) for s in STATUSES}}

    # -- updates (operator) ----------------------------------------------------------------------
    def _after(ticket_id: int, events: list[dict[str, Any]]) -> dict[str, Any]:
        row = reader.ticket(ticket_id)
        assert row is not None
        return {"ticket": _jsonable(row), "events": [_jsonable(e) for e in events],
                "allowed_transitions": allowed_from(row["status"])}

    @app.post("/api/v1/tickets/{ticket_id}/status", tags=["updates"], summary="Move a ticket in its lifecycle",
              responses={404: {"description": "No such ticket"},
                         409: {"description": "Transition not allowed, or the ticket changed since expected_version"},
                         422: {"description": "Invalid change"}})
    def change_status(p: Operator, ticket_id: int, body: StatusChange) -> dict[str, Any]:
        ch = desk.transition(ticket_id, body.status, actor=f"api:{p.name}", note=body.note,
                             completion_note=body.completion_note, photo_url=body.photo_url,
                             expected_version=body.expected_version, duplicate_of=body.duplicate_of)
        return _after(ticket_id, [ch.event])

    @app.post("/api/v1/tickets/{ticket_id}/category", tags=["updates"],
              summary="Re-categorise a ticket (re-routes it; both audited)")
    def change_category(p: Operator, ticket_id: int, body: CategoryChange) -> dict[str, Any]:
        chs = desk.recategorise(ticket_id, body.category, actor=f"api:{p.name}", note=body.note,
                                expected_version=body.expected_version)
        return _after(ticket_id, [c.event for c in chs])

    @app.post("/api/v1/tickets/{ticket_id}/assignment", tags=["updates"],
              summary="Assign a ticket to another agency or kelurahan by hand")
    def change_assignment(p: Operator, ticket_id: int, body: AssignmentChange) -> dict[str, Any]:
        ch = desk.reassign(ticket_id, actor=f"api:{p.name}", agency=body.agency,
                           kelurahan_code=body.kelurahan_code, note=body.note,
                           expected_version=body.expected_version)
        return _after(ticket_id, [ch.event])

    # -- incidents -------------------------------------------------------------------------------
    @app.get("/api/v1/incidents", tags=["incidents"], summary="Incidents, most reported first")
    def list_incidents(
        _: Analyst,
        category: Annotated[list[str] | None, Query()] = None,
        kelurahan: Annotated[list[str] | None, Query(description="Kelurahan code or name.")] = None,
        min_reports: Annotated[int, Query(ge=1)] = 1,
        limit: Annotated[int, Query(ge=1)] = settings.page_size,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        limit = min(limit, settings.max_page_size)
        total, rows = incidents.list(category=category, kelurahan=kelurahan, min_reports=min_reports, limit=limit,
                                     offset=offset)
        return {"total": total, "limit": limit, "offset": offset, "items": [_jsonable(r) for r in rows]}

    @app.get("/api/v1/incidents/{incident_id}", tags=["incidents"], summary="One incident with its tickets")
    def get_incident(_: Analyst, incident_id: int) -> dict[str, Any]:
        inc = incidents.get(incident_id)
        return {**_jsonable(inc), "tickets": [_jsonable(t) for t in inc["tickets"]]}

    @app.post("/api/v1/incidents/group", tags=["incidents"], summary="Group tickets without an incident now")
    def group_incidents(_: Operator) -> dict[str, int]:
        return incidents.group_new()

    @app.post("/api/v1/incidents/merge", tags=["incidents"], summary="Merge incidents into one")
    def merge_incidents(p: Operator, body: IncidentMerge) -> dict[str, Any]:
        return incidents.merge(body.into, body.incidents, actor=f"api:{p.name}", note=body.note)

    @app.post("/api/v1/incidents/split", tags=["incidents"], summary="Split tickets out into a new incident")
    def split_incident(p: Operator, body: IncidentSplit) -> dict[str, Any]:
        return incidents.split(body.ticket_ids, actor=f"api:{p.name}", note=body.note)

    # -- statistics (analyst) --------------------------------------------------------------------
    @app.get("/api/v1/stats/counts", tags=["statistics"], summary="Tickets per category x area x day or week")
    def stats_counts(_: Analyst, flt: Filters, period: Literal["day", "week"] = "day",
                     area: Literal["kota", "kecamatan", "kelurahan", "none"] = "kelurahan") -> dict[str, Any]:
        rows = reader.counts(flt, period=period, area=None if area == "none" else area)
        return {"period": period, "area": area, "filters": _jsonable(flt.describe()), "rows": rows}

    @app.get("/api/v1/stats/response-times", tags=["statistics"],
             summary="Hours from creation to first action and to resolution")
    def stats_response(_: Analyst, flt: Filters,
                       by: Literal["category", "agency", "kelurahan"] = "category") -> dict[str, Any]:
        return {"by": by, "rows": reader.response_times(flt, by=by)}

    @app.get("/api/v1/stats/backlog", tags=["statistics"], summary="Open tickets per kelurahan or agency")
    def stats_backlog(_: Analyst, flt: Filters, by: Literal["kelurahan", "agency"] = "kelurahan") -> dict[str, Any]:
        return {"by": by, "open_statuses": list(OPEN), "rows": reader.backlog(flt, by=by)}

    @app.get("/api/v1/stats/summary", tags=["statistics"], summary="Totals per status and category")
    def stats_summary(_: Analyst, flt: Filters) -> dict[str, Any]:
        return reader.summary(flt)

    # -- exports (analyst) -----------------------------------------------------------------------
    @app.get("/api/v1/export.csv", tags=["exports"], summary="Every matching ticket as CSV, streamed (no row limit)",
             response_class=StreamingResponse)
    def export_csv(_: Analyst, flt: Filters) -> StreamingResponse:
        return StreamingResponse(csv_stream(reader, flt), media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": 'attachment; filename="tickets.csv"'})

    @app.get("/api/v1/export.geojson", tags=["exports"],
             summary="Every matching ticket as a GeoJSON FeatureCollection, streamed (no row limit)",
             response_class=StreamingResponse)
    def export_geojson(_: Analyst, flt: Filters) -> StreamingResponse:
        return StreamingResponse(geojson_stream(reader, flt), media_type="application/geo+json",
                                 headers={"Content-Disposition": 'attachment; filename="tickets.geojson"'})

    # -- Open311 GeoReport v2 (public) -----------------------------------------------------------
    @app.get("/open311/v2/services.json", tags=["open311"], summary="GeoReport v2 service list: our categories")
    def o311_services() -> list[dict[str, Any]]:
        return open311.services()

    @app.get("/open311/v2/requests.json", tags=["open311"], summary="GeoReport v2 service requests (public only)")
    def o311_requests(
        service_request_id: Annotated[str | None, Query(description="Comma-separated ids.")] = None,
        service_code: Annotated[str | None, Query(description="Comma-separated service codes.")] = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        status: Annotated[str | None, Query(description="open, closed, or both comma-separated.")] = None,
        page: Annotated[int, Query(ge=1)] = 1,
        page_size: Annotated[int | None, Query(ge=1)] = None,
    ) -> list[dict[str, Any]]:
        extra: list[Any] = []
        t = Ticket.__table__
        if service_request_id:
            try:
                ids = [int(x) for x in service_request_id.split(",") if x.strip()]
            except ValueError:
                raise HTTPException(400, "service_request_id: comma-separated numbers") from None
            extra.append(t.c.id.in_(ids))
        statuses: tuple[str, ...] = ()
        if status:
            wanted = {s.strip() for s in status.split(",") if s.strip()}
            if not wanted <= {"open", "closed"}:
                raise HTTPException(400, "status: open, closed, or both")
            statuses = tuple(s for s in STATUSES if open311.open_closed(s) in wanted and s != DISMISSED)
        codes = tuple(c for c in (service_code or "").split(",") if c.strip())
        size = min(page_size or settings.public_max_rows, settings.public_max_rows)
        flt = TicketFilter(category=codes, status=statuses, since=_wib(start_date), until=_wib(end_date), public=True,
                           extra=tuple(extra))
        _, rows = reader.page(flt, limit=size, offset=(page - 1) * size, columns=PUBLIC_COLUMNS, order="-id")
        return [open311.request(r) for r in rows]

    @app.get("/open311/v2/requests/{request_id}.json", tags=["open311"], summary="One GeoReport v2 service request")
    def o311_request(request_id: str) -> list[dict[str, Any]]:
        if not request_id.isdigit():
            raise HTTPException(404, f"no service request {request_id}")
        row = reader.ticket(int(request_id), columns=PUBLIC_COLUMNS, public=True)
        if row is None:
            raise HTTPException(404, f"no service request {request_id}")
        return [open311.request(row)]

    # -- public page -----------------------------------------------------------------------------
    from sink.api import page as page_mod

    page_mod.mount(app, reader, settings, gazetteer_path)
    return app


def _grouping_lifespan(incidents: Incidents, interval_s: float) -> Any:
    """A lifespan that groups new tickets into incidents every ``interval_s`` while the app runs."""
    import asyncio
    import contextlib
    import logging

    log = logging.getLogger("jemput.desk")

    async def loop() -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                done = await asyncio.to_thread(incidents.group_new)
                if done["grouped"]:
                    log.info("grouped %d ticket(s) into incidents (%d joined one)", done["grouped"], done["joined"])
            except Exception:  # noqa: BLE001 - logged; the next round retries
                log.exception("grouping tickets into incidents failed")

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> Any:
        task = asyncio.create_task(loop())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return lifespan


def csv_stream(reader: Reader, flt: TicketFilter, chunk_rows: int = 1000) -> Iterator[bytes]:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(EXPORT_COLUMNS)
    for n, row in enumerate(reader.stream(flt, columns=EXPORT_COLUMNS), 1):
        w.writerow([_csv_cell(row[c]) for c in EXPORT_COLUMNS])
        if n % chunk_rows == 0:
            yield buf.getvalue().encode("utf-8")
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode("utf-8")


def _csv_cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, list | dict):
        return json.dumps(v, ensure_ascii=False)
    return v


def geojson_stream(reader: Reader, flt: TicketFilter, chunk_rows: int = 500) -> Iterator[bytes]:
    yield b'{"type":"FeatureCollection","features":['
    parts: list[str] = []
    first = True
    for row in reader.stream(flt, columns=EXPORT_COLUMNS):
        geom = ({"type": "Point", "coordinates": [row["lon"], row["lat"]]}
                if row["lat"] is not None and row["lon"] is not None else None)
        props = {k: v for k, v in _jsonable(row).items() if k not in ("lat", "lon")}
        feat = json.dumps({"type": "Feature", "id": row["id"], "geometry": geom, "properties": props},
                          ensure_ascii=False, separators=(",", ":"))
        parts.append(feat if first else "," + feat)
        first = False
        if len(parts) >= chunk_rows:
            yield "".join(parts).encode("utf-8")
            parts = []
    parts.append("]}")
    yield "".join(parts).encode("utf-8")

