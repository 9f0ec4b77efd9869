"""A generic SMS gateway's REST inbox: received SMS as JSON, read with a configurable field map.

Read by :class:`~harvester.pollers.jsonfeed.JsonFeedPoller` with the ``harvester.rest_inbox`` settings. Channel
``sms``; message ids ``sms:<id_prefix><gateway id>`` (the prefix keeps them apart from the webhook receiver's and
Gammu's ids). The sender's number (field ``from``) becomes author_ref (normalised to +62..., so the same phone
hashes the same in every SMS source) and is masked in ``raw``, like every other phone-like number there.
"""

from __future__ import annotations

from harvester.pollers.jsonfeed import JsonFeedPoller, build_from_section
from harvester.settings import Settings


def build(settings: Settings) -> JsonFeedPoller:
    return build_from_section("rest_inbox", "sms", settings.harvester.rest_inbox, settings, author_field="from",
                              author_in_raw="mask")
