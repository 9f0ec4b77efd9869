"""Harvester: one row per source with its cursor and its health.

Revision ID: h0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "h0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "harvest_sources",
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("messages_total", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("rejected_total", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("errors_total", sa.BigInteger(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_harvest_sources")),
    )


def downgrade() -> None:
    op.drop_table("harvest_sources")
