"""Reading the ticket store for analysts, the API and the CLI: filters, pages, statistics, streaming exports.

One :class:`TicketFilter` serves ``jemput api`` and ``jemput tickets ...`` alike, so both filter the same way.
Times: ``reported_at`` is when the citizen reported (``posted_at``, else when jemput received the message);
time-range filters and per-day / per-week statistics use it, with days and weeks (Monday first) in Jakarta time
(WIB, UTC+7, no daylight saving).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Final, Literal

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.sql import ColumnElement

from config.categories import NOT_COMPLAINT
from sink.models import DISMISSED, Ticket, TicketEvent
from sink.store import TicketStore

_t = Ticket.__table__
_e = TicketEvent.__table__

#: Jakarta is UTC+7 all year.
WIB_OFFSET_H: Final = 7
OPEN: Final[tuple[str, ...]] = ("new", "dispatched", "in_progress")

#: Columns analysts get (everything but the raw payload); public answers also drop the reporter and private notes.
ALL_COLUMNS: Final[tuple[str, ...]] = tuple(c.name for c in _t.columns)
ANALYST_COLUMNS: Final[tuple[str, ...]] = tuple(c for c in ALL_COLUMNS if c != "raw")
PUBLIC_COLUMNS: Final[tuple[str, ...]] = (
    "id", "channel", "text", "media", "category", "status", "assignee_agency", "incident_id",
    "lat", "lon", "precision", "kota_code", "kota_name", "kecamatan_code", "kecamatan_name",
    "kelurahan_code", "kelurahan_name", "posted_at", "received_at", "created_at", "updated_at", "resolved_at",
    "completion_note", "completion_photo_url",
)
AREA_LEVELS: Final = ("kota", "kecamatan", "kelurahan")


def reported_at() -> ColumnElement[Any]:
    return func.coalesce(_t.c.posted_at, _t.c.received_at)


@dataclass(frozen=True, slots=True)
class TicketFilter:
    """Which tickets: every given field narrows the set (lists: any of them)."""

    category: Sequence[str] = ()
    status: Sequence[str] = ()
    channel: Sequence[str] = ()
    #: Area filters take a BPS code ("31.71") or a name ("Jakarta Pusat", case-insensitive).
    kota: Sequence[str] = ()
    kecamatan: Sequence[str] = ()
    kelurahan: Sequence[str] = ()
    agency: Sequence[str] = ()
    incident: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    #: Words that must all occur in the text (case-insensitive).
    q: str | None = None
    #: Only what the public may see: no dismissed tickets and nothing classified not_complaint.
    public: bool = False
    extra: tuple[Any, ...] = field(default=(), compare=False)

    def describe(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) not in (None, (), False)
                and f.name != "extra"}

    def clauses(self) -> list[ColumnElement[bool]]:
        c: list[ColumnElement[bool]] = []
        for col, values in ((_t.c.category, self.category), (_t.c.status, self.status),
                            (_t.c.channel, self.channel), (_t.c.assignee_agency, self.agency)):
            if values:
                c.append(col.in_(list(values)))
        for level, values in (("kota", self.kota), ("kecamatan", self.kecamatan), ("kelurahan", self.kelurahan)):
            if values:
                code, name = _t.c[f"{level}_code"], _t.c[f"{level}_name"]
                c.append(or_(code.in_(list(values)), func.lower(name).in_([v.lower() for v in values])))
        if self.incident is not None:
            c.append(_t.c.incident_id == self.incident)
        if self.since is not None:
            c.append(reported_at() >= self.since)
        if self.until is not None:
            c.append(reported_at() < self.until)
        if self.q:
            for word in self.q.split():
                escaped = word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                c.append(func.lower(_t.c.text).like(f"%{escaped}%", escape="\\"))
        if self.public:
            c.append(_t.c.status != DISMISSED)
            c.append(_t.c.category != NOT_COMPLAINT)
        c.extend(self.extra)
        return c

    def apply(self, q: Select[Any]) -> Select[Any]:
        cl = self.clauses()
        return q.where(and_(*cl)) if cl else q


class Reader:
    """Read-only queries on a :class:`TicketStore`, with a row cap and (on PostgreSQL) a time limit."""

    def __init__(self, store: TicketStore, *, max_page_size: int = 500, statement_timeout_s: float = 30.0) -> None:
        self.store = store
        self.max_page_size = max_page_size
        self.statement_timeout_ms = max(1, int(statement_timeout_s * 1000))

    def _conn(self, *, timeout: bool = True) -> Any:
        conn = self.store.engine.connect()
        if self.store.backend == "postgresql":
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            if timeout:
                conn.exec_driver_sql(f"SET LOCAL statement_timeout = {self.statement_timeout_ms}")
        return conn

    def _all(self, q: Any, doing: str) -> list[dict[str, Any]]:
        try:
            with self._conn() as conn:
                return [dict(r) for r in conn.execute(q).mappings()]
        except sa_exc.SQLAlchemyError as exc:
            raise self.store._stage_error(exc, doing) from exc

    # -- tickets ---------------------------------------------------------------------------------
    def page(self, flt: TicketFilter, *, limit: int, offset: int = 0, columns: Sequence[str] = ANALYST_COLUMNS,
             order: Literal["id", "-id"] = "id") -> tuple[int, list[dict[str, Any]]]:
        """(total matching, one page of tickets). ``limit`` is capped at ``max_page_size``."""
        limit = max(1, min(limit, self.max_page_size))
        cols = [_t.c[c] for c in columns]
        q = flt.apply(select(*cols)).order_by(_t.c.id if order == "id" else _t.c.id.desc())
        q = q.limit(limit).offset(max(0, offset))
        total_q = flt.apply(select(func.count()).select_from(_t))
        try:
            with self._conn() as conn:
                total = int(conn.execute(total_q).scalar_one())
                rows = [dict(r) for r in conn.execute(q).mappings()]
        except sa_exc.SQLAlchemyError as exc:
            raise self.store._stage_error(exc, "listing tickets") from exc
        return total, rows

    def ticket(self, ticket_id: int, *, columns: Sequence[str] = ANALYST_COLUMNS,
               public: bool = False) -> dict[str, Any] | None:
        flt = TicketFilter(public=public, extra=(_t.c.id == ticket_id,))
        rows = self._all(flt.apply(select(*[_t.c[c] for c in columns])), "reading a ticket")
        return rows[0] if rows else None

    def history(self, ticket_id: int) -> list[dict[str, Any]]:
        q = select(_e).where(_e.c.ticket_id == ticket_id).order_by(_e.c.id)
        return self._all(q, "reading ticket events")

    def stream(self, flt: TicketFilter, *, columns: Sequence[str] = ANALYST_COLUMNS, chunk: int = 1000,
               limit: int | None = None) -> Iterator[dict[str, Any]]:
        """Every matching ticket (or the first ``limit``), in id order, through a server-side cursor: memory stays
        flat whatever the count. No row cap and no time limit (an export of a year takes as long as it takes)."""
        q = flt.apply(select(*[_t.c[c] for c in columns])).order_by(_t.c.id)
        if limit is not None:
            q = q.limit(limit)
        try:
            with self._conn(timeout=False) as conn:
                result = conn.execution_options(stream_results=True, yield_per=chunk).execute(q)
                for part in result.mappings().partitions():
                    for r in part:
                        yield dict(r)
        except sa_exc.SQLAlchemyError as exc:
            raise self.store._stage_error(exc, "exporting tickets") from exc

    # -- statistics ------------------------------------------------------------------------------
    def _bucket(self, period: Literal["day", "week"]) -> ColumnElement[Any]:
        ts = reported_at()
        if self.store.backend == "postgresql":
            local = func.timezone("Asia/Jakarta", ts)
            return func.to_char(func.date_trunc(period, local), "YYYY-MM-DD")
        local = func.datetime(ts, f"+{WIB_OFFSET_H} hours")
        if period == "day":
            return func.date(local)
        # Monday of the week: go forward to the next Sunday (or stay), then back six days.
        return func.date(local, "weekday 0", "-6 days")

    def counts(self, flt: TicketFilter, *, period: Literal["day", "week"] = "day",
               area: Literal["kota", "kecamatan", "kelurahan"] | None = "kelurahan") -> list[dict[str, Any]]:
        """Tickets per category x area x period."""
        bucket = self._bucket(period).label("period")
        keys: list[Any] = [_t.c.category, bucket]
        names: list[Any] = []
        if area:
            # Grouped by code alone: one area is one row even if its name was spelt differently over time.
            keys.append(_t.c[f"{area}_code"].label("area_code"))
            names.append(func.max(_t.c[f"{area}_name"]).label("area_name"))
        q = flt.apply(select(*keys, *names, func.count().label("count"))).group_by(*keys).order_by(*keys)
        return self._all(q, "counting tickets")

    def _hours(self, later: Any, earlier: Any) -> ColumnElement[Any]:
        if self.store.backend == "postgresql":
            return func.extract("epoch", later - earlier) / 3600.0
        return (func.julianday(later) - func.julianday(earlier)) * 24.0

    def response_times(self, flt: TicketFilter, *, by: Literal["category", "agency", "kelurahan"] = "category"
                       ) -> list[dict[str, Any]]:
        """Per group: tickets, how many had a first action / were resolved, and the mean and longest hours from
        creation to first action and to resolution."""
        key = {"category": _t.c.category, "agency": _t.c.assignee_agency,
               "kelurahan": _t.c.kelurahan_name}[by].label("key")
        first = self._hours(_t.c.first_action_at, _t.c.created_at)
        done = self._hours(_t.c.resolved_at, _t.c.created_at)
        q = flt.apply(select(
            key, func.count().label("tickets"),
            func.count(_t.c.first_action_at).label("acted"),
            func.avg(first).label("first_action_avg_h"), func.max(first).label("first_action_max_h"),
            func.count(_t.c.resolved_at).label("resolved"),
            func.avg(done).label("resolution_avg_h"), func.max(done).label("resolution_max_h"),
        )).group_by(key).order_by(key)
        rows = self._all(q, "computing response times")
        for r in rows:
            for k in ("first_action_avg_h", "first_action_max_h", "resolution_avg_h", "resolution_max_h"):
                r[k] = None if r[k] is None else round(float(r[k]), 3)
        return rows

    def backlog(self, flt: TicketFilter, *, by: Literal["kelurahan", "agency"] = "kelurahan") -> list[dict[str, Any]]:
        """Open tickets (new, dispatched, in progress) per kelurahan or per agency, largest first."""
        if by == "kelurahan":
            keys = [_t.c.kelurahan_code.label("key")]
            names = [func.max(_t.c.kelurahan_name).label("name")]
        else:
            keys, names = [_t.c.assignee_agency.label("key")], []
        status_count = [func.sum(case((_t.c.status == s, 1), else_=0)).label(s) for s in OPEN]
        q = flt.apply(select(*keys, *names, func.count().label("open"), *status_count)).where(_t.c.status.in_(OPEN))
        q = q.group_by(*keys).order_by(func.count().desc(), keys[0])
        rows = self._all(q, "computing the backlog")
        for r in rows:
            for s in OPEN:
                r[s] = int(r[s] or 0)
        return rows

    def summary(self, flt: TicketFilter) -> dict[str, Any]:
        """Totals per status and per category."""
        by_status = self._all(flt.apply(select(_t.c.status, func.count().label("n"))).group_by(_t.c.status),
                              "counting tickets")
        by_cat = self._all(flt.apply(select(_t.c.category, func.count().label("n"))).group_by(_t.c.category),
                           "counting tickets")
        return {"total": sum(r["n"] for r in by_status),
                "by_status": {r["status"]: r["n"] for r in by_status},
                "by_category": {r["category"]: r["n"] for r in by_cat}}
