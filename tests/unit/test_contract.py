"""The message contract: round trips, versioning, and one typed error for every kind of bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.contract import (
    MAX_TEXT_CHARS,
    SCHEMA_VERSION,
    ClassifiedMessage,
    DecodeError,
    LocatedMessage,
    Location,
    RawMessage,
    decode,
    encode,
)


def raw(**kw) -> RawMessage:
    base = dict(message_id="file:abc", channel="file", text="jalan rusak di depan rumah")
    base.update(kw)
    return RawMessage(**base)


def test_round_trip_every_stage():
    r = raw(posted_at=datetime(2026, 1, 2, 3, 4, tzinfo=UTC), gps={"lat": -6.2, "lon": 106.8}, media=["http://x/1.jpg"])
    assert decode(RawMessage, encode(r)) == r
    c = ClassifiedMessage(**r.model_dump(), category="damaged_road", scores={"damaged_road": 0.9}, confidence=0.9,
                          model_version="m1")
    assert decode(ClassifiedMessage, encode(c)) == c
    located = LocatedMessage(**c.model_dump(), location=Location(precision="kota", kota_code="31.71"),
                             geocoder_version="g1")
    back = decode(LocatedMessage, encode(located))
    assert back == located and back.location.kota_code == "31.71"


def test_messages_are_frozen():
    r = raw()
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises ValidationError on frozen assignment
        r.text = "x"  # type: ignore[misc]


def test_naive_datetimes_become_utc():
    r = raw(received_at=datetime(2026, 1, 1, 12, 0))
    assert r.received_at.tzinfo is not None


def test_later_stage_decodes_as_earlier_model():
    c = ClassifiedMessage(**raw().model_dump(), category="flood", confidence=0.5, model_version="m")
    assert decode(RawMessage, encode(c)).message_id == "file:abc"


def test_unknown_additive_fields_are_ignored():
    obj = json.loads(encode(raw()))
    obj["field_from_the_future"] = 1
    assert decode(RawMessage, json.dumps(obj).encode()).text == "jalan rusak di depan rumah"


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"\xff\xfe not utf8", "not UTF-8"),
        (b"{not json", "not JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (json.dumps({"schema_version": 99, "message_id": "file:a", "channel": "file", "text": "x"}).encode(),
         "unsupported schema_version 99"),
        (json.dumps({"message_id": "file:a", "channel": "file", "text": "x"}).encode(), "unsupported schema_version None"),
        (json.dumps({"schema_version": SCHEMA_VERSION, "channel": "file", "text": "x"}).encode(), "message_id"),
        (json.dumps({"schema_version": SCHEMA_VERSION, "message_id": "sms:1", "channel": "file", "text": "x"}).encode(),
         "must start with its channel"),
        (json.dumps({"schema_version": SCHEMA_VERSION, "message_id": "file:a", "channel": "file",
                     "text": "x" * (MAX_TEXT_CHARS + 1)}).encode(), "text"),
    ],
)
def test_bad_input_raises_one_typed_error_with_reason(data, reason):
    with pytest.raises(DecodeError) as err:
        decode(RawMessage, data)
    assert reason in err.value.reason


def test_classified_requires_a_known_label():
    obj = json.loads(encode(raw()))
    obj.update(category="banjir", confidence=0.5, model_version="m")
    with pytest.raises(DecodeError, match="unknown category"):
        decode(ClassifiedMessage, json.dumps(obj).encode())


@given(st.binary(max_size=300))
def test_decode_never_raises_anything_but_decode_error(data):
    try:
        decode(RawMessage, data)
    except DecodeError:
        pass


@given(st.text(max_size=500), st.text(alphabet="abcdefghij0123456789", min_size=1, max_size=20))
def test_any_text_round_trips(text, pid):
    r = raw(message_id=f"file:{pid}", text=text)
    assert decode(RawMessage, encode(r)).text == text.replace("\x00", "")


def test_nul_characters_are_dropped_from_text():
    assert raw(text="banjir\x00 di kemang").text == "banjir di kemang"
