"""Initial schema: tickets and their append-only event history.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every constraint and index is named explicitly (op.f: taken as is, not through the naming convention).
# Frozen here on purpose: a later change of the status list is a new migration, not an edit of this one.
_STATUSES = "'new', 'dispatched', 'in_progress', 'resolved', 'rejected', 'duplicate', 'dismissed'"


def _json() -> sa.types.TypeEngine:
    return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(512), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_ref", sa.String(128), nullable=True),
        sa.Column("reply_to", sa.String(512), nullable=True),
        sa.Column("media", _json(), nullable=True),
        sa.Column("raw", _json(), nullable=True),
        sa.Column("lang", sa.String(16), nullable=True),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("scores", _json(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("needs_review", sa.Boolean(), nullable=False),
        sa.Column("runner_up", sa.String(32), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("assignee_kelurahan_code", sa.String(64), nullable=True),
        sa.Column("assignee_agency", sa.String(64), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("precision", sa.String(32), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("kota_code", sa.String(64), nullable=True),
        sa.Column("kota_name", sa.Text(), nullable=True),
        sa.Column("kecamatan_code", sa.String(64), nullable=True),
        sa.Column("kecamatan_name", sa.Text(), nullable=True),
        sa.Column("kelurahan_code", sa.String(64), nullable=True),
        sa.Column("kelurahan_name", sa.Text(), nullable=True),
        sa.Column("matched_text", sa.Text(), nullable=True),
        sa.Column("location_method", sa.String(32), nullable=False),
        sa.Column("model_version", sa.Text(), nullable=False),
        sa.Column("geocoder_version", sa.Text(), nullable=False),
        sa.Column("trace_id", sa.String(64), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("message_id", name=op.f("uq_tickets_message_id")),
        sa.CheckConstraint(f"status IN ({_STATUSES})", name=op.f("ck_tickets_status")),
        sa.CheckConstraint("confidence >= 0 AND confidence <= 1", name=op.f("ck_tickets_confidence")),
    )
    op.create_index(op.f("ix_tickets_status"), "tickets", ["status"])
    op.create_index(op.f("ix_tickets_category"), "tickets", ["category"])
    op.create_index(op.f("ix_tickets_kelurahan_code"), "tickets", ["kelurahan_code"])
    op.create_index(op.f("ix_tickets_created_at"), "tickets", ["created_at"])

    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(512), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("data", _json(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_events")),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_events_ticket_id_tickets")
        ),
        sa.CheckConstraint(
            f"from_status IS NULL OR from_status IN ({_STATUSES})", name=op.f("ck_ticket_events_from_status")
        ),
        sa.CheckConstraint(
            f"to_status IS NULL OR to_status IN ({_STATUSES})", name=op.f("ck_ticket_events_to_status")
        ),
    )
    op.create_index(op.f("ix_ticket_events_ticket_id"), "ticket_events", ["ticket_id"])
    op.create_index(op.f("ix_ticket_events_at"), "ticket_events", ["at"])


def downgrade() -> None:
    op.drop_table("ticket_events")
    op.drop_table("tickets")
