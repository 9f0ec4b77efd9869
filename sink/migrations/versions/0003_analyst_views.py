"""Views for analysts: analyst_tickets, analyst_daily_counts, analyst_response_times.

Documented in README.md ("Ticket desk" > "SQL for analysts"). Days are Jakarta days (WIB, UTC+7); ``reported_at``
is when the citizen reported (posted_at, else when jemput received the message). The views leave out the raw
payload and the reporter's keyed hash (author_ref).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VIEWS = ("analyst_response_times", "analyst_daily_counts", "analyst_tickets")


def _sql(dialect: str) -> list[str]:
    if dialect == "postgresql":
        reported = "coalesce(posted_at, received_at)"
        day = f"(({reported}) AT TIME ZONE 'Asia/Jakarta')::date"
        hours = "(extract(epoch FROM ({a}) - ({b})) / 3600.0)"
        median = "percentile_cont(0.5) WITHIN GROUP (ORDER BY {x})"
    else:
        reported = "coalesce(posted_at, received_at)"
        day = f"date({reported}, '+7 hours')"
        hours = "((julianday({a}) - julianday({b})) * 24.0)"
        median = None
    first_h = hours.format(a="first_action_at", b="created_at")
    done_h = hours.format(a="resolved_at", b="created_at")
    med = (lambda x: median.format(x=x)) if median else (lambda x: "NULL")
    return [
        f"""CREATE VIEW analyst_tickets AS
SELECT id, message_id, channel, text, lang, category, confidence, needs_review, runner_up, status,
       CASE WHEN status IN ('resolved', 'rejected', 'duplicate', 'dismissed') THEN 'closed' ELSE 'open' END
           AS open311_status,
       assignee_agency, assignee_kelurahan_code, incident_id, precision, lat, lon,
       kota_code, kota_name, kecamatan_code, kecamatan_name, kelurahan_code, kelurahan_name,
       {reported} AS reported_at, {day} AS reported_day, created_at, updated_at, first_action_at, resolved_at,
       {first_h} AS hours_to_first_action, {done_h} AS hours_to_resolution,
       completion_note, completion_photo_url, model_version, geocoder_version
FROM tickets""",
        f"""CREATE VIEW analyst_daily_counts AS
SELECT {day} AS day, category, kota_code, max(kota_name) AS kota_name, kecamatan_code,
       max(kecamatan_name) AS kecamatan_name, kelurahan_code, max(kelurahan_name) AS kelurahan_name,
       count(*) AS reports,
       sum(CASE WHEN status IN ('new', 'dispatched', 'in_progress') THEN 1 ELSE 0 END) AS open,
       sum(CASE WHEN status = 'resolved' THEN 1 ELSE 0 END) AS resolved,
       sum(CASE WHEN status = 'dismissed' THEN 1 ELSE 0 END) AS dismissed
FROM tickets
GROUP BY {day}, category, kota_code, kecamatan_code, kelurahan_code""",
        f"""CREATE VIEW analyst_response_times AS
SELECT category, assignee_agency AS agency, count(*) AS tickets,
       count(first_action_at) AS acted, avg({first_h}) AS first_action_avg_h,
       {med(first_h)} AS first_action_median_h, max({first_h}) AS first_action_max_h,
       count(resolved_at) AS resolved, avg({done_h}) AS resolution_avg_h,
       {med(done_h)} AS resolution_median_h, max({done_h}) AS resolution_max_h
FROM tickets
GROUP BY category, assignee_agency""",
    ]


def upgrade() -> None:
    for stmt in _sql(op.get_bind().dialect.name):
        op.execute(stmt)


def downgrade() -> None:
    for view in VIEWS:
        op.execute(f"DROP VIEW IF EXISTS {view}")
