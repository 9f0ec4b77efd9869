"""The ticket desk: the lifecycle of a ticket after Jakarta's CRM, re-categorising and re-assigning, all audited.

Lifecycle (``TRANSITIONS``)::

    new ──> dispatched ──> in_progress ──> resolved
     │  ╲        │  ╲           │  ╲          │
     │   ╲       │   rejected   │   rejected  └─> in_progress   (reopened: the citizen says it is not fixed)
     │    ╲      └─> duplicate  └─> dispatched (handed back for re-dispatch)
     │     rejected / duplicate / dismissed
    rejected, duplicate, dismissed ──> new   (an operator reopens)

Every change is one ``ticket_events`` row (actor, time, note, data) written in the same transaction as the change.

Concurrency: each change reads the ticket with ``SELECT ... FOR UPDATE`` (PostgreSQL; SQLite serialises writers
with ``BEGIN IMMEDIATE``), checks the transition against the status it now sees, and bumps ``tickets.version``.
Two operators acting at once are therefore serialised: the second sees the first's result and is either applied
on top of it or refused with :class:`InvalidTransition`; no event is lost and no invalid state is reachable.
A caller may also pass ``expected_version`` (the version it displayed) to be refused with
:class:`VersionConflict` when someone else changed the ticket in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import exc as sa_exc
from sqlalchemy import insert, select, update

from config.categories import LABELS, NOT_COMPLAINT
from sink.errors import SinkError, classify
from sink.models import (
    DISMISSED,
    DISPATCHED,
    DUPLICATE,
    EV_REASSIGNED,
    EV_RECATEGORISED,
    EV_STATUS_CHANGED,
    IN_PROGRESS,
    NEW,
    REJECTED,
    RESOLVED,
    STATUSES,
    Ticket,
    TicketEvent,
)
from sink.routing import AGENCY_LEN
from sink.store import TicketStore

_tickets = Ticket.__table__
_events = TicketEvent.__table__

TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    NEW: frozenset({DISPATCHED, REJECTED, DUPLICATE, DISMISSED}),
    DISPATCHED: frozenset({IN_PROGRESS, REJECTED, DUPLICATE, NEW}),
    IN_PROGRESS: frozenset({RESOLVED, REJECTED, DISPATCHED}),
    RESOLVED: frozenset({IN_PROGRESS}),
    REJECTED: frozenset({NEW}),
    DUPLICATE: frozenset({NEW}),
    DISMISSED: frozenset({NEW}),
}
#: Statuses still waiting for an answer (the backlog).
OPEN_STATUSES: Final[tuple[str, ...]] = (NEW, DISPATCHED, IN_PROGRESS)
ACTOR_LEN: Final = 128
NOTE_MAX: Final = 4000
URL_MAX: Final = 2000


class DeskError(SinkError):
    """A desk operation was refused; ``status_code`` is the HTTP status the API answers with."""

    status_code = 400


class TicketNotFound(DeskError):
    status_code = 404


class InvalidTransition(DeskError):
    status_code = 409


class VersionConflict(DeskError):
    status_code = 409


class InvalidChange(DeskError):
    status_code = 422


@dataclass(frozen=True, slots=True)
class Change:
    """What one desk operation did: the ticket after it and the event written."""

    ticket: dict[str, Any]
    event: dict[str, Any]


def allowed_from(status: str) -> list[str]:
    return sorted(TRANSITIONS.get(status, frozenset()))


def _clean_text(value: str | None, what: str, limit: int) -> str | None:
    if value is None:
        return None
    value = value.replace("\x00", "").strip()
    if len(value) > limit:
        raise InvalidChange(f"{what} is longer than {limit} characters")
    return value or None


def _check_actor(actor: str) -> str:
    actor = (actor or "").strip()
    if not actor or len(actor) > ACTOR_LEN:
        raise InvalidChange(f"actor must be 1 to {ACTOR_LEN} characters")
    return actor


def _check_url(url: str | None) -> str | None:
    url = _clean_text(url, "photo_url", URL_MAX)
    if url is not None and not (url.startswith("https://") or url.startswith("http://")):
        raise InvalidChange("photo_url must be an http(s) URL")
    return url


class Desk:
    """Operations officials perform on tickets, on a migrated :class:`TicketStore`."""

    def __init__(self, store: TicketStore) -> None:
        self.store = store

    # -- internals -------------------------------------------------------------------------------
    def _locked(self, conn: Any, ticket_id: int) -> dict[str, Any]:
        q = select(_tickets).where(_tickets.c.id == ticket_id)
        if self.store.backend == "postgresql":
            q = q.with_for_update()
        row = conn.execute(q).mappings().first()
        if row is None:
            raise TicketNotFound(f"no ticket {ticket_id}")
        return dict(row)

    @staticmethod
    def _check_version(row: dict[str, Any], expected_version: int | None) -> None:
        if expected_version is not None and row["version"] != expected_version:
            raise VersionConflict(
                f"ticket {row['id']} changed since version {expected_version} (now version {row['version']}, "
                f"status {row['status']}): reload it and try again"
            )

    def _apply(self, conn: Any, row: dict[str, Any], values: dict[str, Any], event: dict[str, Any],
               now: datetime) -> Change:
        values = {**values, "version": row["version"] + 1, "updated_at": now}
        res = conn.execute(
            update(_tickets)
            .where(_tickets.c.id == row["id"], _tickets.c.version == row["version"])
            .values(**values)
        )
        if res.rowcount != 1:  # cannot happen under the row lock; refuse rather than lose an event
            raise VersionConflict(f"ticket {row['id']} changed concurrently: try again")
        ev = {"ticket_id": row["id"], "message_id": row["message_id"], "at": now, **event}
        ev_id = conn.execute(insert(_events).returning(_events.c.id), ev).scalar_one()
        return Change(ticket={**row, **values}, event={"id": ev_id, **ev})

    def _run(self, doing: str, fn: Any) -> Any:
        try:
            with self.store._write_tx() as conn:
                return fn(conn)
        except DeskError:
            raise
        except sa_exc.SQLAlchemyError as exc:
            raise classify(exc, f"{doing} ({self.store.describe()})") from exc

    # -- operations ------------------------------------------------------------------------------
    def transition(
        self,
        ticket_id: int,
        to_status: str,
        *,
        actor: str,
        note: str | None = None,
        completion_note: str | None = None,
        photo_url: str | None = None,
        expected_version: int | None = None,
        duplicate_of: int | None = None,
    ) -> Change:
        """Move ticket ``ticket_id`` to ``to_status``. Raises :class:`InvalidTransition` when the lifecycle does not
        allow it from the ticket's current status, :class:`VersionConflict` when ``expected_version`` is stale."""
        actor = _check_actor(actor)
        if to_status not in STATUSES:
            raise InvalidChange(f"unknown status {to_status!r}; statuses: {', '.join(STATUSES)}")
        note = _clean_text(note, "note", NOTE_MAX)
        completion_note = _clean_text(completion_note, "completion_note", NOTE_MAX)
        photo_url = _check_url(photo_url)
        if (completion_note or photo_url) and to_status != RESOLVED:
            raise InvalidChange("a completion note or photo is given only when resolving")
        if duplicate_of is not None and to_status != DUPLICATE:
            raise InvalidChange("duplicate_of is given only when marking a duplicate")
        if duplicate_of == ticket_id:
            raise InvalidChange("a ticket cannot duplicate itself")

        def do(conn: Any) -> Change:
            row = self._locked(conn, ticket_id)
            self._check_version(row, expected_version)
            current = row["status"]
            if to_status not in TRANSITIONS[current]:
                raise InvalidTransition(
                    f"ticket {ticket_id} cannot go from {current} to {to_status}; from {current} it can go to: "
                    f"{', '.join(allowed_from(current)) or 'nothing'}"
                )
            now = datetime.now(UTC)
            values: dict[str, Any] = {"status": to_status}
            if row["first_action_at"] is None:
                values["first_action_at"] = now
            if to_status == RESOLVED:
                values.update(resolved_at=now, completion_note=completion_note, completion_photo_url=photo_url)
            elif current == RESOLVED:  # reopened
                values.update(resolved_at=None)
            data: dict[str, Any] = {"version": row["version"] + 1}
            if completion_note:
                data["completion_note"] = completion_note
            if photo_url:
                data["photo_url"] = photo_url
            if duplicate_of is not None:
                original = conn.execute(
                    select(_tickets.c.id, _tickets.c.incident_id).where(_tickets.c.id == duplicate_of)
                ).first()
                if original is None:
                    raise InvalidChange(f"duplicate_of: no ticket {duplicate_of}")
                data["duplicate_of"] = duplicate_of
                if original.incident_id is not None and original.incident_id != row["incident_id"]:
                    # The duplicate joins the original's incident (its counts are refreshed below).
                    values["incident_id"] = data["incident_id"] = original.incident_id
            event = {"actor": actor, "kind": EV_STATUS_CHANGED, "from_status": current, "to_status": to_status,
                     "note": note, "data": data}
            change = self._apply(conn, row, values, event, now)
            if "incident_id" in values:
                from sink.incidents import Incidents

                Incidents._refresh(conn, {values["incident_id"]} | ({row["incident_id"]} - {None}), now)
            return change

        return self._run(f"moving ticket {ticket_id} to {to_status}", do)

    def recategorise(
        self,
        ticket_id: int,
        category: str,
        *,
        actor: str,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> list[Change]:
        """Give ticket ``ticket_id`` another category, and re-route it: a ``recategorised`` event with data
        ``{"from": old, "to": new}`` (what ``jemput classifier export-corrections`` reads), then a ``reassigned``
        event when the agency changes. Both in one transaction."""
        actor = _check_actor(actor)
        note = _clean_text(note, "note", NOTE_MAX)
        if category not in LABELS:
            raise InvalidChange(f"unknown category {category!r}; categories: {', '.join(LABELS)}")

        def do(conn: Any) -> list[Change]:
            row = self._locked(conn, ticket_id)
            self._check_version(row, expected_version)
            old = row["category"]
            if old == category:
                raise InvalidChange(f"ticket {ticket_id} is already {category}")
            now = datetime.now(UTC)
            values: dict[str, Any] = {"category": category}
            if row["first_action_at"] is None and row["status"] == NEW:
                values["first_action_at"] = now
            changes = [self._apply(conn, row, values, {
                "actor": actor, "kind": EV_RECATEGORISED, "from_status": None, "to_status": None, "note": note,
                "data": {"from": old, "to": category}}, now)]
            row = changes[0].ticket
            agency = self.store.router.route_row(row)
            if agency != row["assignee_agency"]:
                changes.append(self._apply(conn, row, {"assignee_agency": agency}, {
                    "actor": "routing", "kind": EV_REASSIGNED, "from_status": None, "to_status": None,
                    "note": f"re-routed after re-categorisation by {actor}",
                    "data": {"from_agency": row["assignee_agency"], "to_agency": agency, "category": category}},
                    now))
            return changes

        return self._run(f"re-categorising ticket {ticket_id}", do)

    def reassign(
        self,
        ticket_id: int,
        *,
        actor: str,
        agency: str | None = None,
        kelurahan_code: str | None = None,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> Change:
        """Assign ticket ``ticket_id`` to another agency and/or kelurahan by hand (a ``reassigned`` event)."""
        actor = _check_actor(actor)
        note = _clean_text(note, "note", NOTE_MAX)
        agency = _clean_text(agency, "agency", AGENCY_LEN)
        kelurahan_code = _clean_text(kelurahan_code, "kelurahan_code", 64)
        if agency is None and kelurahan_code is None:
            raise InvalidChange("give an agency or a kelurahan_code to assign to")

        def do(conn: Any) -> Change:
            row = self._locked(conn, ticket_id)
            self._check_version(row, expected_version)
            values: dict[str, Any] = {}
            data: dict[str, Any] = {}
            if agency is not None and agency != row["assignee_agency"]:
                values["assignee_agency"] = agency
                data.update(from_agency=row["assignee_agency"], to_agency=agency)
            if kelurahan_code is not None and kelurahan_code != row["assignee_kelurahan_code"]:
                values["assignee_kelurahan_code"] = kelurahan_code
                data.update(from_kelurahan=row["assignee_kelurahan_code"], to_kelurahan=kelurahan_code)
            if not values:
                raise InvalidChange(f"ticket {ticket_id} is already assigned so")
            return self._apply(conn, row, values, {"actor": actor, "kind": EV_REASSIGNED, "from_status": None,
                                                   "to_status": None, "note": note, "data": data},
                               datetime.now(UTC))

        return self._run(f"re-assigning ticket {ticket_id}", do)


def is_public(row: dict[str, Any]) -> bool:
    """Whether a ticket may be shown to the public (Open311, the page): complaints, not what was dismissed."""
    return row["status"] != DISMISSED and row["category"] != NOT_COMPLAINT
