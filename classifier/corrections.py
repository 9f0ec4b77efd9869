"""Operators' re-categorisations in the ticket store, as training examples.

When an operator moves a ticket to another category, the desk writes a ``ticket_events`` row of kind
``recategorised`` whose ``data`` names the new category (``to``; ``category``, ``to_category`` and
``new_category`` are read too) and usually the old one (``from``). :func:`export_corrections` reads those rows
with the ticket's text and writes one JSONL line per ticket: ``{"text", "label", "previous", "message_id",
"at", "actor", "source": "correction"}``; when a ticket was re-categorised several times the last one counts.
``jemput classifier train --data corpus.jsonl --data corrections.jsonl`` then learns from them.

The store is read with plain SQL through SQLAlchemy (the classifier does not import the sink stage).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import create_engine, text
from sqlalchemy import exc as sa_exc

from classifier.errors import ClassifierError
from config.categories import LABELS

__all__ = ["CorrectionsError", "ExportResult", "export_corrections", "new_label"]

KIND = "recategorised"
_TO_KEYS = ("to", "category", "to_category", "new_category")
_FROM_KEYS = ("from", "from_category", "old_category", "previous")

_QUERY = text(
    "SELECT e.id, e.message_id, e.at, e.actor, e.data, t.text, t.category "
    "FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id "
    "WHERE e.kind = :kind ORDER BY e.at, e.id"
)


class CorrectionsError(ClassifierError):
    """The ticket store cannot be read."""


@dataclass(frozen=True)
class ExportResult:
    written: int
    events: int
    skipped: int


def _data(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return {}
    return value if isinstance(value, dict) else {}


def new_label(data: dict[str, Any]) -> str | None:
    """The category a re-categorisation event moved its ticket to, or None when it names no known label."""
    for key in _TO_KEYS:
        value = data.get(key)
        if isinstance(value, str) and value in LABELS:
            return value
    return None


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.isoformat()
    return None if value is None else str(value)


def export_corrections(database_url: str, out: TextIO, since: datetime | None = None) -> ExportResult:
    """Write the store's re-categorisations to ``out`` as JSONL training examples; see the module docstring."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(_QUERY, {"kind": KIND}).mappings().all()
    except sa_exc.SQLAlchemyError as exc:
        raise CorrectionsError(f"cannot read re-categorisations from the ticket store: {exc}") from exc
    finally:
        engine.dispose()
    latest: dict[str, dict[str, Any]] = {}
    skipped = 0
    for row in rows:
        at = _as_datetime(row["at"])
        if since is not None and at is not None and _aware(at) < _aware(since):
            continue
        data = _data(row["data"])
        label = new_label(data)
        if label is None or not isinstance(row["text"], str):
            skipped += 1
            continue
        previous = next((data[k] for k in _FROM_KEYS if isinstance(data.get(k), str)), None)
        latest[row["message_id"]] = {
            "text": row["text"],
            "label": label,
            "previous": previous,
            "message_id": row["message_id"],
            "at": _iso(at),
            "actor": row["actor"],
            "source": "correction",
        }
    for record in latest.values():
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return ExportResult(written=len(latest), events=len(rows), skipped=skipped)


def _as_datetime(value: Any) -> datetime | None:
    """A timestamp as read by plain SQL: a datetime (PostgreSQL) or ISO text (SQLite)."""
    if isinstance(value, datetime) or value is None:
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def export_to_file(database_url: str, path: Path, since: datetime | None = None) -> ExportResult:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        result = export_corrections(database_url, f, since)
    tmp.replace(path)
    return result
