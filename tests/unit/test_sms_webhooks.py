"""The SMS webhook parsers and signatures, without HTTP: known vectors, masking, and hypothesis fuzzing."""

from __future__ import annotations

import json
import string
import urllib.parse

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harvester.privacy import mask_phone
from harvester.receivers.sms import (
    FlushFailed,
    GroupCommitProducer,
    WebhookRejected,
    decode_form,
    json_signature,
    parse_json,
    parse_twilio,
    to_message,
    twilio_signature,
    verify_json,
    verify_twilio,
)
from pipeline import topics
from pipeline.contract import RawMessage, decode
from pipeline.transport.memory import MemoryTransport

TWILIO_DOC_PARAMS = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234",
                     "From": "+14158675309", "To": "+18005551212"}
TWILIO_DOC_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"


def test_twilio_signature_matches_twilios_documented_example():
    assert twilio_signature("12345", TWILIO_DOC_URL, TWILIO_DOC_PARAMS.items()) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    # Order of the parameters does not matter; every parameter and the URL do.
    assert twilio_signature("12345", TWILIO_DOC_URL, reversed(list(TWILIO_DOC_PARAMS.items()))) == \
        "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert twilio_signature("12345", TWILIO_DOC_URL, {**TWILIO_DOC_PARAMS, "Digits": "9"}.items()) != \
        "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    verify_twilio("12345", TWILIO_DOC_URL, list(TWILIO_DOC_PARAMS.items()), "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    with pytest.raises(WebhookRejected) as exc:
        verify_twilio("12345", TWILIO_DOC_URL.replace("bar=2", "bar=3"), list(TWILIO_DOC_PARAMS.items()),
                      "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    assert exc.value.status == 401


def test_twilio_signature_accepts_the_url_with_or_without_its_default_port():
    url = "https://sms.jemput.example/sms/twilio"
    params = [("Body", "x"), ("From", "+62 800-0000-0001")]
    verify_twilio("test-twilio-token", url, params,
                  twilio_signature("test-twilio-token", "https://sms.jemput.example:443/sms/twilio", params))
    verify_twilio("test-twilio-token", "https://sms.jemput.example:443/sms/twilio", params,
                  twilio_signature("test-twilio-token", url, params))
    with pytest.raises(WebhookRejected):
        verify_twilio("test-twilio-token", url, params,
                      twilio_signature("test-twilio-token", "https://sms.jemput.example:8443/sms/twilio", params))


def test_json_signature_and_replay_window():
    body = b'{"id": "1"}'
    sig = json_signature("test-hmac-secret", body)
    assert sig.startswith("sha256=") and len(sig) == 7 + 64
    verify_json("test-hmac-secret", body, sig, None, now=1000.0, max_skew_s=300, require_timestamp=False)
    signed_ts = json_signature("test-hmac-secret", body, "1000")
    verify_json("test-hmac-secret", body, signed_ts, "1000", now=1299.0, max_skew_s=300, require_timestamp=True)
    for ts, now in (("1000", 1301.0), ("1000", 699.0)):
        with pytest.raises(WebhookRejected) as exc:
            verify_json("test-hmac-secret", body, signed_ts, ts, now=now, max_skew_s=300, require_timestamp=True)
        assert exc.value.kind == "stale"
    for bad in ("nan", "１０００", "", "1e999"):
        with pytest.raises(WebhookRejected):
            verify_json("test-hmac-secret", body, signed_ts, bad, now=1000.0, max_skew_s=300,
                        require_timestamp=False)


def test_twilio_parse_and_message():
    params = [("MessageSid", "SM" + "1" * 32), ("From", "+62 800-0000-0001"), ("To", "+62 800-0000-9999"),
              ("Body", "jalan berlubang"), ("NumMedia", "0")]
    sms = parse_twilio(params)
    m = to_message(sms, "test-author-hash-key")
    assert m.message_id == "sms:twilio-SM" + "1" * 32
    assert m.author_ref and m.author_ref.startswith("a1:")
    assert "800-0000-0001" not in m.model_dump_json()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ([("From", "+62 800-0000-0001"), ("Body", "x")], "MessageSid"),
        ([("MessageSid", "SM1"), ("Body", "x")], "From"),
        ([("MessageSid", "SM1"), ("From", "+62 800-0000-0001")], "Body"),
        ([("MessageSid", "SM1"), ("From", "+62 800-0000-0001"), ("Body", "x"), ("NumMedia", "-1")], "NumMedia"),
        ([("MessageSid", "SM1"), ("MessageSid", "SM2"), ("From", "+62 800-0000-0001"), ("Body", "x")],
         "MessageSid"),
        ([("MessageSid", "SM1"), ("From", "+62 800\n0000"), ("Body", "x")], "From"),
    ],
)
def test_twilio_rejections_name_the_field(params, field):
    with pytest.raises(WebhookRejected) as exc:
        parse_twilio(params)
    assert exc.value.status == 400 and exc.value.field == field and exc.value.reason


def test_lone_surrogates_are_a_400_not_a_crash():
    for body in (b'{"id": "1", "from": "0800-0000-0001", "text": "a\\ud800b"}',
                 b'{"id": "1", "from": "0800\\udfff", "text": "a"}'):
        with pytest.raises(WebhookRejected) as exc:
            to_message(parse_json(body, "gateway"), "test-author-hash-key")
        assert exc.value.status == 400 and "Unicode" in exc.value.reason
    with pytest.raises(WebhookRejected) as exc:
        decode_form(b"MessageSid=SM1&From=x&Body=%ED%A0%80")
    assert exc.value.field == "(body)"


def test_media_only_message_is_accepted():
    sms = parse_twilio([("MessageSid", "MM1"), ("From", "+62 800-0000-0001"), ("Body", ""), ("NumMedia", "1"),
                        ("MediaUrl0", "https://api.twilio.example/m/1")])
    assert sms.text == "" and sms.media == ("https://api.twilio.example/m/1",)


# -- hypothesis: nothing crashes, every rejection says why ----------------------------------------------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30)
    # including lone surrogates, which JSON can carry as \\udXXX escapes
    | st.text(st.characters(exclude_categories=()), max_size=10),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
_json_objects = st.fixed_dictionaries(
    {},
    optional={"id": _json_values | st.text(string.ascii_letters + string.digits + "-_. ", max_size=20),
              "from": _json_values | st.from_regex(r"\+62 8\d{2}-\d{4}-\d{4}", fullmatch=True),
              "to": _json_values, "text": _json_values, "received_at": _json_values | st.datetimes().map(str),
              "media": _json_values | st.lists(st.sampled_from(["https://m.example/1", "ftp://x", "http://"]))},
).flatmap(lambda d: st.dictionaries(st.text(max_size=8), _json_values, max_size=3).map(lambda extra: {**extra, **d}))


_valid_json = st.fixed_dictionaries(
    {"id": st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,30}", fullmatch=True),
     "from": st.from_regex(r"(\+62 |0)8\d{2}-\d{4}-\d{4}", fullmatch=True),
     "text": st.text(min_size=1, max_size=200).filter(lambda t: t.replace("\x00", "").strip())},
    optional={"to": st.sampled_from(["1708", "+62 800-0000-9999"]),
              "received_at": st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
              "media": st.lists(st.from_regex(r"https://m\.example/[a-z0-9]{1,10}\.jpg", fullmatch=True),
                                max_size=3)},
)


@settings(max_examples=200, deadline=None)
@given(_valid_json)
def test_valid_json_is_always_accepted(obj):
    sms = parse_json(json.dumps(obj).encode(), "gateway")
    m = to_message(sms, "test-author-hash-key")
    assert m.message_id == "sms:gateway-" + obj["id"] and m.text == obj["text"].replace("\x00", "")
    assert m.raw["from"] == mask_phone(obj["from"]) and obj["from"] not in m.model_dump_json()


def _check_rejection(exc: WebhookRejected) -> None:
    assert exc.status == 400
    assert exc.field, "a rejection must name the field at fault"
    assert exc.reason and exc.reason.strip(), "a rejection must say why"
    assert exc.field in str(exc)


@settings(max_examples=400, deadline=None)
@given(_json_objects | _json_values | _valid_json.flatmap(
    lambda d: st.sampled_from(sorted(d)).flatmap(lambda k: _json_values.map(lambda v: {**d, k: v}))))
def test_parse_json_never_crashes(obj):
    body = json.dumps(obj, allow_nan=True).encode()
    try:
        sms = parse_json(body, "gateway")
    except WebhookRejected as exc:
        _check_rejection(exc)
        return
    m = to_message(sms, "test-author-hash-key")
    assert decode(RawMessage, m.model_dump_json()) == m
    assert m.message_id == "sms:gateway-" + str(obj["id"]).strip()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_parse_json_on_arbitrary_bytes(body):
    try:
        parse_json(body, "gateway")
    except WebhookRejected as exc:
        _check_rejection(exc)


_twilio_keys = st.sampled_from(["MessageSid", "SmsSid", "From", "To", "Body", "NumMedia", "MediaUrl0", "MediaUrl1",
                                "MediaContentType0", "FromCity", "AccountSid", "x"])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_twilio_keys, st.text(max_size=40) | st.sampled_from(
    ["SM123", "+62 800-0000-0001", "1", "2", "https://m.example/a.jpg", ""])), max_size=12))
def test_parse_twilio_never_crashes(params):
    try:
        sms = parse_twilio(params)
    except WebhookRejected as exc:
        _check_rejection(exc)
        return
    m = to_message(sms, "test-author-hash-key")
    assert m.message_id.startswith("sms:twilio-")
    # The form round-trips through the body encoding the same way.
    body = urllib.parse.urlencode(params).encode()
    assert decode_form(body) == [(k, v) for k, v in params]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_decode_form_on_arbitrary_bytes(body):
    try:
        pairs = decode_form(body)
    except WebhookRejected as exc:
        _check_rejection(exc)
        return
    try:
        parse_twilio(pairs)
    except WebhookRejected as exc:
        _check_rejection(exc)


# -- group commit -------------------------------------------------------------------------------------------


def _message(i: int) -> RawMessage:
    return RawMessage(message_id=f"sms:t-{i}", channel="sms", text=f"m{i}")


def test_group_commit_publishes_only_after_flush_and_fails_on_a_failed_flush():
    transport = MemoryTransport()
    producer = GroupCommitProducer(transport, flush_timeout_s=1)
    producer.publish(_message(1))
    assert [r.key for r in transport.records(topics.RAW)] == [b"sms:t-1"]
    transport.fail_flushes = 1
    with pytest.raises(FlushFailed):
        producer.publish(_message(2))
    # The failed message is not silently flushed by the next publish (the producer was replaced).
    producer.publish(_message(3))
    assert [r.key for r in transport.records(topics.RAW)] == [b"sms:t-1", b"sms:t-3"]
    producer.close()
