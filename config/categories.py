"""The complaint categories (see docs/categories.md) and the channels messages come from."""

from __future__ import annotations

from typing import Final

FLOOD: Final = "flood"
GARBAGE: Final = "garbage"
DAMAGED_ROAD: Final = "damaged_road"
TRANSJAKARTA: Final = "transjakarta"
OTHER: Final = "other"
NOT_COMPLAINT: Final = "not_complaint"

#: Every label the classifier may give, in a fixed order (score vectors follow it).
LABELS: Final[tuple[str, ...]] = (FLOOD, GARBAGE, DAMAGED_ROAD, TRANSJAKARTA, OTHER, NOT_COMPLAINT)

#: Labels that are real complaints and belong in the ticket queue.
COMPLAINT_LABELS: Final[frozenset[str]] = frozenset(LABELS) - {NOT_COMPLAINT}

#: Channels a RawMessage can come from. ``file`` is the batch file source (jemput ingest).
CHANNELS: Final[tuple[str, ...]] = ("file", "twitter", "sms", "email", "telegram", "app")
