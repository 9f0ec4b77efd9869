"""Incidents: reports of the same problem grouped under one incident, with a count of reports and of distinct
reporters.

Two reports are the same problem when they have the same category, are near in space (the same kelurahan, or
within ``radius_m`` metres), near in time (within ``window_h`` hours of the incident's last report) and their words
overlap (Jaccard similarity of their word sets at least ``min_similarity``). Every complaint (not dismissed, not
``not_complaint``) belongs to exactly one incident once grouped; a report of its own is an incident of one.

Grouping runs over the tickets that have no incident yet (``jemput desk group-incidents``, ``POST
/api/v1/incidents/group``, and every ``desk.incident_interval_s`` inside ``jemput api``), one grouping at a time
(an advisory lock on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite). Operators can merge incidents, split tickets out
into a new incident, and mark a duplicate (which joins the original's incident). Each move of a ticket is an
``incident_linked`` event in its history.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import case, delete, func, insert, select, text, update
from sqlalchemy import exc as sa_exc

from config.categories import NOT_COMPLAINT
from sink.desk import DeskError, InvalidChange, TicketNotFound, _check_actor
from sink.errors import classify
from sink.models import DISMISSED, EV_INCIDENT, Incident, Ticket, TicketEvent
from sink.store import TicketStore

_t = Ticket.__table__
_e = TicketEvent.__table__
_i = Incident.__table__

_GROUP_LOCK_KEY: Final = 0x6A656D70_1C1D
_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
#: Frequent Indonesian words that say nothing about the problem.
_STOP_TEXT: Final = (
    "yang dan ini itu ada sudah tidak belum juga dari untuk dengan sama saja lagi kok sih nih dong tolong mohon "
    "pak bu bapak ibu min admin kami saya kita gue gua aku udah banget sekali jam hari tadi pagi siang sore malam "
    "the and"
)
STOPWORDS: Final = frozenset(_STOP_TEXT.split())
MAX_KEYWORDS: Final = 60


class IncidentNotFound(DeskError):
    status_code = 404


@dataclass(frozen=True, slots=True)
class GroupingRules:
    radius_m: float = 500.0
    window_h: float = 72.0
    min_similarity: float = 0.15


def words(text_: str) -> set[str]:
    return {w for w in (m.group(0).lower() for m in _WORD.finditer(text_)) if w not in STOPWORDS}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(min(1.0, math.sqrt(a)))


def _reported(row: dict[str, Any]) -> datetime:
    return row["posted_at"] or row["received_at"]


def _near(ticket: dict[str, Any], inc: dict[str, Any], rules: GroupingRules) -> bool:
    if ticket["kelurahan_code"] and ticket["kelurahan_code"] == inc["kelurahan_code"]:
        return True
    if None not in (ticket["lat"], ticket["lon"], inc["lat"], inc["lon"]):
        return distance_m(ticket["lat"], ticket["lon"], inc["lat"], inc["lon"]) <= rules.radius_m
    return False


class Incidents:
    """Grouping and the operators' incident actions, on a migrated :class:`TicketStore`."""

    def __init__(self, store: TicketStore, rules: GroupingRules | None = None) -> None:
        self.store = store
        self.rules = rules or GroupingRules()

    # -- internals -------------------------------------------------------------------------------
    def _tx(self, doing: str, fn: Any) -> Any:
        try:
            with self.store._write_tx() as conn:
                if self.store.backend == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _GROUP_LOCK_KEY})
                return fn(conn)
        except DeskError:
            raise
        except sa_exc.SQLAlchemyError as exc:
            raise classify(exc, f"{doing} ({self.store.describe()})") from exc

    @staticmethod
    def _link(conn: Any, ticket: dict[str, Any], incident_id: int, actor: str, by: str, now: datetime,
              note: str | None = None) -> None:
        conn.execute(update(_t).where(_t.c.id == ticket["id"]).values(
            incident_id=incident_id, version=_t.c.version + 1, updated_at=now))
        conn.execute(insert(_e), {
            "ticket_id": ticket["id"], "message_id": ticket["message_id"], "at": now, "actor": actor,
            "kind": EV_INCIDENT, "from_status": None, "to_status": None, "note": note,
            "data": {"incident_id": incident_id, "from": ticket.get("incident_id"), "by": by}})

    @staticmethod
    def _new_incident(conn: Any, ticket: dict[str, Any], now: datetime) -> int:
        rep = _reported(ticket)
        return conn.execute(insert(_i).returning(_i.c.id), {
            "category": ticket["category"], "kelurahan_code": ticket["kelurahan_code"],
            "kelurahan_name": ticket["kelurahan_name"], "lat": ticket["lat"], "lon": ticket["lon"],
            "title": ticket["text"][:280], "keywords": " ".join(sorted(words(ticket["text"]))[:MAX_KEYWORDS]),
            "first_reported_at": rep, "last_reported_at": rep, "report_count": 0, "reporter_count": 0,
            "created_at": now, "updated_at": now}).scalar_one()

    @staticmethod
    def _refresh(conn: Any, incident_ids: set[int], now: datetime) -> None:
        """Recount reports and distinct reporters and the time span from the tickets; drop empty incidents."""
        for iid in incident_ids:
            rep = func.coalesce(_t.c.posted_at, _t.c.received_at)
            row = conn.execute(select(
                func.count(), func.count(func.distinct(_t.c.author_ref)),
                func.sum(case((_t.c.author_ref.is_(None), 1), else_=0)), func.min(rep), func.max(rep),
            ).where(_t.c.incident_id == iid)).one()
            n, distinct_authors, anonymous, first, last = row
            if n == 0:
                conn.execute(delete(_i).where(_i.c.id == iid))
                continue
            conn.execute(update(_i).where(_i.c.id == iid).values(
                report_count=n, reporter_count=distinct_authors + int(anonymous or 0),
                first_reported_at=first, last_reported_at=last, updated_at=now))

    # -- grouping --------------------------------------------------------------------------------
    def group_new(self, *, limit: int = 5000) -> dict[str, int]:
        """Give every complaint without an incident one: an existing matching incident, or a new one.
        Returns {"grouped": tickets handled, "joined": of which joined an existing incident}."""
        rules = self.rules

        def do(conn: Any) -> dict[str, int]:
            rep = func.coalesce(_t.c.posted_at, _t.c.received_at)
            todo = [dict(r) for r in conn.execute(
                select(_t.c.id, _t.c.message_id, _t.c.category, _t.c.text, _t.c.kelurahan_code,
                       _t.c.kelurahan_name, _t.c.lat, _t.c.lon, _t.c.posted_at, _t.c.received_at,
                       _t.c.incident_id, _t.c.author_ref)
                .where(_t.c.incident_id.is_(None), _t.c.status != DISMISSED, _t.c.category != NOT_COMPLAINT)
                .order_by(rep, _t.c.id).limit(limit)).mappings()]
            if not todo:
                return {"grouped": 0, "joined": 0}
            now = datetime.now(UTC)
            window = timedelta(hours=rules.window_h)
            earliest = min(_reported(t) for t in todo) - window
            cats = sorted({t["category"] for t in todo})
            open_incidents: dict[str, list[dict[str, Any]]] = {c: [] for c in cats}
            for r in conn.execute(select(_i).where(_i.c.category.in_(cats), _i.c.last_reported_at >= earliest)
                                  .order_by(_i.c.id)).mappings():
                inc = dict(r)
                inc["_words"] = set(inc["keywords"].split())
                open_incidents[inc["category"]].append(inc)
            touched: set[int] = set()
            joined = 0
            for t in todo:
                tw, when = words(t["text"]), _reported(t)
                best, best_sim = None, -1.0
                for inc in open_incidents[t["category"]]:
                    if not (inc["first_reported_at"] - window <= when <= inc["last_reported_at"] + window):
                        continue
                    if not _near(t, inc, rules):
                        continue
                    sim = jaccard(tw, inc["_words"])
                    if sim >= rules.min_similarity and sim > best_sim:
                        best, best_sim = inc, sim
                if best is None:
                    iid = self._new_incident(conn, t, now)
                    best = {"id": iid, "kelurahan_code": t["kelurahan_code"], "lat": t["lat"], "lon": t["lon"],
                            "first_reported_at": when, "last_reported_at": when, "_words": tw}
                    open_incidents[t["category"]].append(best)
                else:
                    joined += 1
                    best["first_reported_at"] = min(best["first_reported_at"], when)
                    best["last_reported_at"] = max(best["last_reported_at"], when)
                    merged = best["_words"] | tw
                    if len(merged) <= MAX_KEYWORDS:
                        best["_words"] = merged
                        conn.execute(update(_i).where(_i.c.id == best["id"]).values(
                            keywords=" ".join(sorted(merged))))
                self._link(conn, t, best["id"], "grouping", "grouping", now,
                           None if best_sim < 0 else f"similarity {best_sim:.2f}")
                touched.add(best["id"])
            self._refresh(conn, touched, now)
            return {"grouped": len(todo), "joined": joined}

        return self._tx("grouping tickets into incidents", do)

    # -- operators -------------------------------------------------------------------------------
    def merge(self, into: int, others: list[int], *, actor: str, note: str | None = None) -> dict[str, Any]:
        """Move every ticket of the incidents ``others`` into incident ``into``; the emptied ones are deleted."""
        actor = _check_actor(actor)
        others = sorted(set(others) - {into})
        if not others:
            raise InvalidChange("name at least one other incident to merge")

        def do(conn: Any) -> dict[str, Any]:
            found = {r[0] for r in conn.execute(select(_i.c.id).where(_i.c.id.in_([into, *others])))}
            missing = sorted({into, *others} - found)
            if missing:
                raise IncidentNotFound(f"no incident {', '.join(map(str, missing))}")
            now = datetime.now(UTC)
            moved = [dict(r) for r in conn.execute(select(_t.c.id, _t.c.message_id, _t.c.incident_id)
                                                   .where(_t.c.incident_id.in_(others))).mappings()]
            for t in moved:
                self._link(conn, t, into, actor, "merge", now, note)
            self._refresh(conn, {into, *others}, now)
            return {"incident_id": into, "moved_tickets": len(moved), "merged": others}

        return self._tx(f"merging incidents into {into}", do)

    def split(self, ticket_ids: list[int], *, actor: str, note: str | None = None) -> dict[str, Any]:
        """Take ``ticket_ids`` out of their incident(s) into one new incident."""
        actor = _check_actor(actor)
        ticket_ids = sorted(set(ticket_ids))
        if not ticket_ids:
            raise InvalidChange("name the tickets to split out")

        def do(conn: Any) -> dict[str, Any]:
            rows = [dict(r) for r in conn.execute(select(_t).where(_t.c.id.in_(ticket_ids)).order_by(
                func.coalesce(_t.c.posted_at, _t.c.received_at), _t.c.id)).mappings()]
            missing = sorted(set(ticket_ids) - {r["id"] for r in rows})
            if missing:
                raise TicketNotFound(f"no ticket {', '.join(map(str, missing))}")
            cats = {r["category"] for r in rows}
            if len(cats) > 1:
                raise InvalidChange(f"an incident has one category; these tickets have {', '.join(sorted(cats))}")
            now = datetime.now(UTC)
            new_id = self._new_incident(conn, rows[0], now)
            old = {r["incident_id"] for r in rows if r["incident_id"] is not None}
            for r in rows:
                self._link(conn, r, new_id, actor, "split", now, note)
            self._refresh(conn, {new_id, *old}, now)
            return {"incident_id": new_id, "tickets": ticket_ids, "from": sorted(old)}

        return self._tx("splitting tickets into a new incident", do)

    def join(self, ticket_id: int, incident_id: int, *, actor: str, by: str = "duplicate",
             note: str | None = None) -> None:
        """Put one ticket into an incident (used when an operator marks a duplicate)."""
        def do(conn: Any) -> None:
            row = conn.execute(select(_t.c.id, _t.c.message_id, _t.c.incident_id).where(_t.c.id == ticket_id)
                               ).mappings().first()
            if row is None:
                raise TicketNotFound(f"no ticket {ticket_id}")
            if conn.execute(select(_i.c.id).where(_i.c.id == incident_id)).first() is None:
                raise IncidentNotFound(f"no incident {incident_id}")
            if row["incident_id"] == incident_id:
                return
            now = datetime.now(UTC)
            self._link(conn, dict(row), incident_id, actor, by, now, note)
            self._refresh(conn, {incident_id} | ({row["incident_id"]} if row["incident_id"] else set()), now)

        self._tx(f"linking ticket {ticket_id} to incident {incident_id}", do)

    # -- reading ---------------------------------------------------------------------------------
    def list(self, *, category: list[str] | None = None, kelurahan: list[str] | None = None,
             min_reports: int = 1, limit: int = 50, offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
        q = select(_i).where(_i.c.report_count >= min_reports)
        if category:
            q = q.where(_i.c.category.in_(category))
        if kelurahan:
            q = q.where((_i.c.kelurahan_code.in_(kelurahan)) | (func.lower(_i.c.kelurahan_name).in_(
                [k.lower() for k in kelurahan])))
        total_q = select(func.count()).select_from(q.subquery())
        q = q.order_by(_i.c.report_count.desc(), _i.c.last_reported_at.desc(), _i.c.id).limit(limit).offset(offset)
        try:
            with self.store.engine.connect() as conn:
                total = int(conn.execute(total_q).scalar_one())
                rows = [{k: v for k, v in r.items() if k != "keywords"} for r in conn.execute(q).mappings()]
        except sa_exc.SQLAlchemyError as exc:
            raise self.store._stage_error(exc, "listing incidents") from exc
        return total, rows

    def get(self, incident_id: int) -> dict[str, Any]:
        try:
            with self.store.engine.connect() as conn:
                inc = conn.execute(select(_i).where(_i.c.id == incident_id)).mappings().first()
                if inc is None:
                    raise IncidentNotFound(f"no incident {incident_id}")
                tickets = [dict(r) for r in conn.execute(
                    select(_t.c.id, _t.c.status, _t.c.channel, _t.c.text, _t.c.posted_at, _t.c.received_at,
                           _t.c.kelurahan_name, _t.c.lat, _t.c.lon)
                    .where(_t.c.incident_id == incident_id).order_by(_t.c.id)).mappings()]
        except sa_exc.SQLAlchemyError as exc:
            raise self.store._stage_error(exc, "reading an incident") from exc
        return {**{k: v for k, v in inc.items() if k != "keywords"}, "tickets": tickets}
