"""A generic SMS gateway's REST inbox: received SMS as JSON, read with a configurable field map.

Read by :class:`~harvester.pollers.jsonfeed.JsonFeedPoller` with the ``harvester.rest_inbox`` settings. Channel
``sms``; message ids ``sms:<id_prefix><gateway id>`` (the prefix keeps them apart from the webhook receiver's and
Gammu's ids). The sender's number (field ``from``) becomes author_ref (normalised to +62..., so the same phone
hashes the same in every SMS source) and is masked in ``raw``, like every other phone-like number there.
"""

from __future__ import annotations

from harvester.errors import SourceError
from harvester.pollers.jsonfeed import JsonFeedPoller
from harvester.settings import Settings, author_hash_key


def build(settings: Settings) -> JsonFeedPoller:
    inbox = settings.harvester.rest_inbox
    if not inbox.url:
        raise SourceError("rest_inbox: harvester.rest_inbox.url is not set (JEMPUT_HARVESTER__REST_INBOX__URL)")
    return JsonFeedPoller(
        "rest_inbox", channel="sms", url=inbox.url, hash_key=author_hash_key(settings), field_map=inbox.field_map,
        items_path=inbox.items_path, token=inbox.token.get_secret_value() if inbox.token else None,
        cursor_param=inbox.cursor_param, cursor_field=inbox.cursor_field, next_cursor_path=inbox.next_cursor_path,
        limit_param=inbox.limit_param, page_size=inbox.page_size, id_prefix=inbox.id_prefix,
        author_field="from", author_in_raw="mask", timeout_s=inbox.timeout_s,
    )
