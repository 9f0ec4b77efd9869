"""Citizen-app feeds (Qlue-style JSON over REST): reports with text, photo URL and GPS.

The feed is read by :class:`~harvester.pollers.jsonfeed.JsonFeedPoller` with the ``harvester.app`` settings: the
field map says where each of our fields is in a report (defaults fit a Qlue-style report: ``id``,
``description``, ``created_at``, ``lat``, ``lng``, ``photo_url``, ``user_id``). Message ids are
``app:<id_prefix><id>``; the user id becomes author_ref and is dropped from ``raw``.
"""

from __future__ import annotations

from harvester.errors import SourceError
from harvester.pollers.jsonfeed import JsonFeedPoller
from harvester.settings import Settings, author_hash_key


def build(settings: Settings) -> JsonFeedPoller:
    app = settings.harvester.app
    if not app.url:
        raise SourceError("app: harvester.app.url is not set (JEMPUT_HARVESTER__APP__URL)")
    return JsonFeedPoller(
        "app", channel="app", url=app.url, hash_key=author_hash_key(settings), field_map=app.field_map,
        items_path=app.items_path, token=app.token.get_secret_value() if app.token else None,
        cursor_param=app.cursor_param, cursor_field=app.cursor_field, next_cursor_path=app.next_cursor_path,
        limit_param=app.limit_param, page_size=app.page_size, id_prefix=app.id_prefix,
        author_field="author", author_in_raw="drop", timeout_s=app.timeout_s,
    )
