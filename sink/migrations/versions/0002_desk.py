"""Ticket desk: a version for optimistic concurrency, first action and completion of a ticket, desk indexes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("first_action_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("completion_note", sa.Text(), nullable=True))
        batch.add_column(sa.Column("completion_photo_url", sa.Text(), nullable=True))
    op.create_index(op.f("ix_tickets_channel"), "tickets", ["channel"])
    op.create_index(op.f("ix_tickets_incident_id"), "tickets", ["incident_id"])
    op.create_index(op.f("ix_tickets_assignee_agency"), "tickets", ["assignee_agency"])
    op.create_index(op.f("ix_ticket_events_kind"), "ticket_events", ["kind"])


def downgrade() -> None:
    op.drop_index(op.f("ix_ticket_events_kind"), "ticket_events")
    op.drop_index(op.f("ix_tickets_assignee_agency"), "tickets")
    op.drop_index(op.f("ix_tickets_incident_id"), "tickets")
    op.drop_index(op.f("ix_tickets_channel"), "tickets")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("completion_photo_url")
        batch.drop_column("completion_note")
        batch.drop_column("first_action_at")
        batch.drop_column("version")
