"""Property-based tests of what turns provider payloads into messages: any payload becomes a message or a
rejection with a reason, never a crash; phone numbers never survive masking."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harvester.pollers.jsonfeed import JsonFeedPoller
from harvester.pollers.telegram import TelegramPoller
from harvester.pollers.twitter import TwitterPoller
from harvester.privacy import mask_phones, mask_phones_in_text

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=5), max_leaves=20)


def field(keys: list[str], value=json_values):
    return st.fixed_dictionaries({}, optional={k: value for k in keys})


FEED = JsonFeedPoller("app", channel="app", url="http://127.0.0.1:1/", hash_key="k",
                      field_map={"id": "id", "text": "text", "posted_at": "t", "lat": "lat", "lon": "lon",
                                 "photo": "p", "author": "a.b", "accuracy": "acc", "lang": "lang"})


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(item=field(["id", "text", "t", "lat", "lon", "p", "a", "acc", "lang"]) | json_values)
def test_any_feed_item_is_a_message_or_a_reasoned_rejection(item):
    page = {"data": [item]}
    FEED._get = lambda params: page  # type: ignore[method-assign]
    result = FEED.poll(None)
    assert len(result.messages) + len(result.rejected) == 1
    for r in result.rejected:
        assert r.reason


tweet_like = field(["id", "text", "author_id", "created_at", "geo", "attachments", "referenced_tweets", "lang",
                    "note_tweet"])


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.lists(tweet_like | json_values, max_size=3),
       includes=field(["tweets", "places", "media", "users"], st.lists(json_values, max_size=3)) | json_values,
       meta=field(["newest_id", "next_token", "result_count"], st.text(max_size=5)))
def test_any_search_page_is_handled(data, includes, meta):
    poller = TwitterPoller("twitter", client=None, hash_key="k", queries=["q"], backfill_hours=0)  # type: ignore[arg-type]
    messages, rejected = poller._messages("search:q", {"data": data, "includes": includes, "meta": meta})
    assert len(messages) + len(rejected) <= len(data)


update_like = field(["update_id", "message", "channel_post"],
                    field(["message_id", "chat", "from", "date", "text", "caption", "photo", "location",
                           "reply_to_message", "document"]) | json_values)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(updates=st.lists(update_like | json_values, max_size=4))
def test_any_telegram_answer_is_handled(updates):
    poller = TelegramPoller("telegram", bot_token="1:test-bot-token", hash_key="k", long_poll_s=0)
    poller._call = lambda method, params, timeout: updates  # type: ignore[method-assign]
    result = poller.poll("100")
    assert len(result.messages) + len(result.rejected) <= len(updates)
    if result.cursor is not None:  # the offset never moves backwards
        assert int(result.cursor) >= 100


mobile = st.builds(lambda prefix, digits, sep: prefix + sep.join([digits[:3], digits[3:7], digits[7:]]),
                   st.sampled_from(["08", "+628", "628", "+62 8"]), st.text("0123456789", min_size=8, max_size=11),
                   st.sampled_from(["", " ", "-", "."]))


@settings(max_examples=300, deadline=None)
@given(before=st.text(alphabet=st.characters(blacklist_categories=("Nd",)), max_size=20), phone=mobile,
       after=st.text(alphabet=st.characters(blacklist_categories=("Nd",)), max_size=20))
def test_mobile_numbers_never_survive_masking(before, phone, after):
    text = f"{before} {phone} {after}"
    masked = mask_phones_in_text(text)
    digits = re.sub(r"\D", "", phone)
    assert digits not in re.sub(r"\D", "", masked)
    assert len(masked) == len(text)
    assert mask_phones({"a": [text]}) == {"a": [masked]}
