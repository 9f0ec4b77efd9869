"""The ticket store's tables (SQLAlchemy 2.x typed declarative; portable between SQLite and PostgreSQL).

The schema itself is created and changed only by Alembic (:mod:`sink.migrations`); these classes describe it for
queries and must match the latest migration (a unit test compares them).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: Ticket lifecycle (after Jakarta's CRM). ``dismissed`` is what the classifier's ``not_complaint`` becomes:
#: kept, out of the queue, reversible by an operator.
NEW: Final = "new"
DISPATCHED: Final = "dispatched"
IN_PROGRESS: Final = "in_progress"
RESOLVED: Final = "resolved"
REJECTED: Final = "rejected"
DUPLICATE: Final = "duplicate"
DISMISSED: Final = "dismissed"
STATUSES: Final[tuple[str, ...]] = (NEW, DISPATCHED, IN_PROGRESS, RESOLVED, REJECTED, DUPLICATE, DISMISSED)
#: Open311 GeoReport v2 has two states; everything not closed is open.
CLOSED_STATUSES: Final[frozenset[str]] = frozenset({RESOLVED, REJECTED, DUPLICATE, DISMISSED})

#: Kinds of ticket events (the list grows with the lifecycle; the column is not constrained to it).
EV_CREATED: Final = "created"
EV_STATUS_CHANGED: Final = "status_changed"
EV_RECATEGORISED: Final = "recategorised"
EV_REASSIGNED: Final = "reassigned"
#: The ticket joined an incident (grouping, merge, split or mark-duplicate); data {"incident_id", "from", "by"}.
EV_INCIDENT: Final = "incident_linked"
EVENT_KINDS: Final[tuple[str, ...]] = (EV_CREATED, EV_STATUS_CHANGED, EV_RECATEGORISED, EV_REASSIGNED, EV_INCIDENT)

#: Actor recorded on events the sink itself writes.
SINK_ACTOR: Final = "sink"

# Lengths of bounded strings. Keys follow pipeline.contract's limits; free text is TEXT.
ID_LEN: Final = 512
CHANNEL_LEN: Final = 64
AUTHOR_LEN: Final = 128
LANG_LEN: Final = 16
TRACE_LEN: Final = 64
LABEL_LEN: Final = 32
STATUS_LEN: Final = 16
CODE_LEN: Final = 64
SHORT_LEN: Final = 32


def status_check_sql(column: str) -> str:
    return f"{column} IN ({', '.join(repr(s) for s in STATUSES)})"


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp on every backend: stored in UTC, read back with ``tzinfo=UTC``.

    PostgreSQL keeps ``timestamptz``; SQLite has no time zones, so values are converted to UTC before they are
    written and marked UTC when read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def json_type() -> JSON:
    """JSON on SQLite (text), JSONB on PostgreSQL; Python None is SQL NULL."""
    return JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


NAMING_CONVENTION: Final = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Ticket(Base):
    """One row per message id: what a citizen reported, where, what it is, and where it stands."""

    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint(status_check_sql("status"), name="status"),
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence"),
        Index("ix_tickets_status", "status"),
        Index("ix_tickets_category", "category"),
        Index("ix_tickets_kelurahan_code", "kelurahan_code"),
        Index("ix_tickets_created_at", "created_at"),
        Index("ix_tickets_channel", "channel"),
        Index("ix_tickets_incident_id", "incident_id"),
        Index("ix_tickets_assignee_agency", "assignee_agency"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(ID_LEN), unique=True, nullable=False)
    channel: Mapped[str] = mapped_column(String(CHANNEL_LEN), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    author_ref: Mapped[str | None] = mapped_column(String(AUTHOR_LEN))
    reply_to: Mapped[str | None] = mapped_column(String(ID_LEN))
    media: Mapped[list[str] | None] = mapped_column(json_type())
    raw: Mapped[dict[str, Any] | None] = mapped_column(json_type())
    lang: Mapped[str | None] = mapped_column(String(LANG_LEN))

    category: Mapped[str] = mapped_column(String(LABEL_LEN), nullable=False)
    scores: Mapped[dict[str, float] | None] = mapped_column(json_type())
    confidence: Mapped[float] = mapped_column(Float, nullable=False)
    needs_review: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    runner_up: Mapped[str | None] = mapped_column(String(LABEL_LEN))

    status: Mapped[str] = mapped_column(String(STATUS_LEN), nullable=False)
    assignee_kelurahan_code: Mapped[str | None] = mapped_column(String(CODE_LEN))
    #: Responsible agency, from routing (sink/routing.py: category x area x sub-topic) when the ticket is created.
    assignee_agency: Mapped[str | None] = mapped_column(String(CODE_LEN))
    #: Incident this ticket belongs to (duplicates linked, not lost).
    incident_id: Mapped[int | None] = mapped_column(Integer)

    precision: Mapped[str] = mapped_column(String(SHORT_LEN), nullable=False)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    kota_code: Mapped[str | None] = mapped_column(String(CODE_LEN))
    kota_name: Mapped[str | None] = mapped_column(Text)
    kecamatan_code: Mapped[str | None] = mapped_column(String(CODE_LEN))
    kecamatan_name: Mapped[str | None] = mapped_column(Text)
    kelurahan_code: Mapped[str | None] = mapped_column(String(CODE_LEN))
    kelurahan_name: Mapped[str | None] = mapped_column(Text)
    matched_text: Mapped[str | None] = mapped_column(Text)
    location_method: Mapped[str] = mapped_column(String(SHORT_LEN), nullable=False)

    model_version: Mapped[str] = mapped_column(Text, nullable=False)
    geocoder_version: Mapped[str] = mapped_column(Text, nullable=False)
    trace_id: Mapped[str | None] = mapped_column(String(TRACE_LEN))

    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Bumped by every change on the desk (optimistic concurrency: an update naming an older version is refused).
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    #: When an operator first moved the ticket out of ``new`` (time to first action).
    first_action_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: What was done, and a photo of it, given when the ticket is resolved.
    completion_note: Mapped[str | None] = mapped_column(Text)
    completion_photo_url: Mapped[str | None] = mapped_column(Text)


class TicketEvent(Base):
    """Append-only history of a ticket: creation, status changes, re-categorisation, re-assignment."""

    __tablename__ = "ticket_events"
    __table_args__ = (
        CheckConstraint(f"from_status IS NULL OR {status_check_sql('from_status')}", name="from_status"),
        CheckConstraint(f"to_status IS NULL OR {status_check_sql('to_status')}", name="to_status"),
        Index("ix_ticket_events_ticket_id", "ticket_id"),
        Index("ix_ticket_events_at", "at"),
        Index("ix_ticket_events_kind", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(Integer, ForeignKey("tickets.id"), nullable=False)
    #: The ticket's message id, repeated so the history reads without a join.
    message_id: Mapped[str] = mapped_column(String(ID_LEN), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    #: Who: "sink", an operator's id, "routing", ...
    actor: Mapped[str] = mapped_column(String(128), nullable=False)
    kind: Mapped[str] = mapped_column(String(SHORT_LEN), nullable=False)
    from_status: Mapped[str | None] = mapped_column(String(STATUS_LEN))
    to_status: Mapped[str | None] = mapped_column(String(STATUS_LEN))
    #: Why, in words.
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(json_type())


class Incident(Base):
    """Reports of the same problem (same category, near in space and time, similar text), grouped."""

    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_category_last_reported_at", "category", "last_reported_at"),
        Index("ix_incidents_kelurahan_code", "kelurahan_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    category: Mapped[str] = mapped_column(String(LABEL_LEN), nullable=False)
    kelurahan_code: Mapped[str | None] = mapped_column(String(CODE_LEN))
    kelurahan_name: Mapped[str | None] = mapped_column(Text)
    #: Where the first located report was.
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    #: The first report's text, for display.
    title: Mapped[str] = mapped_column(Text, nullable=False)
    #: Words of the reports (space-separated, capped), matched against new reports.
    keywords: Mapped[str] = mapped_column(Text, nullable=False)
    first_reported_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_reported_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    report_count: Mapped[int] = mapped_column(Integer, nullable=False)
    #: Distinct author_ref among the reports (reports without an author count as one reporter each).
    reporter_count: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
