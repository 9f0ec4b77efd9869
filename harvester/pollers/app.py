"""Citizen-app feeds (Qlue-style JSON over REST): reports with text, photo URL and GPS.

The feed is read by :class:`~harvester.pollers.jsonfeed.JsonFeedPoller` with the ``harvester.app`` settings: the
field map says where each of our fields is in a report (defaults fit a Qlue-style report: ``id``,
``description``, ``created_at``, ``lat``, ``lng``, ``photo_url``, ``user_id``). Message ids are
``app:<id_prefix><id>``; the user id becomes author_ref and is dropped from ``raw``.
"""

from __future__ import annotations

from harvester.pollers.jsonfeed import JsonFeedPoller, build_from_section
from harvester.settings import Settings


def build(settings: Settings) -> JsonFeedPoller:
    return build_from_section("app", "app", settings.harvester.app, settings, author_field="author",
                              author_in_raw="drop")
