"""The inbound-SMS webhook receiver over real HTTP on loopback, producing onto real transports.

Signatures (Twilio form posts and the generic JSON format), 401/400/404/413/415 answers, replays giving one
ticket in the real SQLite ticket store, a burst of 1,000 concurrent posts losing none, 503 on a failed flush with
nothing acknowledged lost, and a graceful stop that finishes the request in flight.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from config.settings import Settings
from harvester.privacy import mask_phone
from harvester.receivers.sms import build_receiver, json_signature, twilio_signature
from pipeline import topics
from pipeline.contract import LocatedMessage, RawMessage, decode
from pipeline.privacy import author_ref
from pipeline.transport.base import Transport
from pipeline.transport.embedded import EmbeddedTransport
from pipeline.transport.memory import MemoryTransport
from sink.store import TicketStore

TOKEN = "test-twilio-token"
SECRET = "test-hmac-secret"
HASH_KEY = "test-author-hash-key"
SENDER = "+62 800-0000-0001"


def settings(**sms) -> Settings:
    base = {"port": 0, "twilio_auth_token": TOKEN, "hmac_secret": SECRET}
    base.update(sms)
    return Settings(harvester={"sms": base}, privacy={"author_hash_key": HASH_KEY})


class Client:
    """A tiny HTTP client for the receiver (one connection per request, like the gateways)."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.host, self.port = address

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def request(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(method, path, body=body if method == "POST" else None, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()

    def twilio(self, params: dict[str, str], *, token: str = TOKEN, url: str | None = None,
               signature: str | None = None, path: str = "/sms/twilio"):
        body = urllib.parse.urlencode(params).encode()
        sig = signature if signature is not None else twilio_signature(token, url or self.base + path, params.items())
        return self.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded",
                                                  "X-Twilio-Signature": sig})

    def json(self, obj: object, *, secret: str = SECRET, timestamp: str | None = None, raw: bytes | None = None,
             signature: str | None = None, content_type: str = "application/json"):
        body = raw if raw is not None else json.dumps(obj).encode()
        headers = {"Content-Type": content_type,
                   "X-Jemput-Signature": signature if signature is not None else json_signature(secret, body, timestamp)}
        if timestamp is not None:
            headers["X-Jemput-Timestamp"] = timestamp
        return self.request("POST", "/sms/json", body, headers)


def twilio_params(i: int, **extra: str) -> dict[str, str]:
    return {"MessageSid": f"SM{i:032d}", "AccountSid": "AC" + "0" * 32, "From": f"+62 800-0000-{i % 10000:04d}",
            "To": "+62 800-0000-9999", "Body": f"banjir di kemang raya no {i}, air 40 cm", "NumMedia": "0", **extra}


def raw_messages(transport: Transport) -> list[RawMessage]:
    return [decode(RawMessage, r.value) for r in transport.read(topics.RAW, limit=100_000)]


@pytest.fixture
def memory():
    transport = MemoryTransport()
    receiver = build_receiver(settings(), transport)
    receiver.start()
    yield transport, receiver, Client(receiver.address)
    receiver.stop()


def test_twilio_post_with_a_valid_signature_is_on_the_topic(memory):
    transport, receiver, client = memory
    params = twilio_params(1, NumMedia="1", MediaUrl0="https://api.twilio.example/Media/ME1",
                           MediaContentType0="image/jpeg", FromCity="JAKARTA")
    status, headers, body = client.twilio(params)
    assert status == 200, body
    assert headers["Content-Type"].startswith("text/xml")
    assert body == b'<?xml version="1.0" encoding="UTF-8"?><Response/>'
    [record] = transport.records(topics.RAW)
    assert record.key == b"sms:twilio-SM00000000000000000000000000000001"
    m = decode(RawMessage, record.value)
    assert m.message_id == "sms:twilio-SM00000000000000000000000000000001" and m.channel == "sms"
    assert m.text == "banjir di kemang raya no 1, air 40 cm"
    assert m.media == ("https://api.twilio.example/Media/ME1",)
    assert m.author_ref == author_ref(HASH_KEY, "sms", "+62 800-0000-0001")
    assert m.raw["from"] == mask_phone("+62 800-0000-0001") != "+62 800-0000-0001"
    assert m.raw["to"] == mask_phone("+62 800-0000-9999")
    assert m.raw["MediaContentTypes"] == ["image/jpeg"] and m.raw["FromCity"] == "JAKARTA"
    # The sender's number is nowhere in clear in what was produced.
    assert b"800-0000-0001" not in record.value and b"62800000000001" not in record.value
    assert receiver.status()["accepted"] == 1


def test_twilio_signature_over_the_public_url():
    transport = MemoryTransport()
    receiver = build_receiver(settings(public_url="https://sms.jemput.example/"), transport)
    with receiver:
        client = Client(receiver.address)
        # Signed for the URL Twilio sees (behind a TLS proxy): accepted; signed for the local URL: refused.
        status, _, _ = client.twilio(twilio_params(2), url="https://sms.jemput.example/sms/twilio")
        assert status == 200
        status, _, _ = client.twilio(twilio_params(3), url="https://sms.jemput.example:443/sms/twilio")
        assert status == 200  # Twilio may sign with the default port spelled out
        status, _, body = client.twilio(twilio_params(4))
        assert status == 401 and b"public_url" in body
    assert [m.message_id for m in raw_messages(transport)] == [
        "sms:twilio-SM00000000000000000000000000000002", "sms:twilio-SM00000000000000000000000000000003"]


def test_json_post_with_a_valid_signature_is_on_the_topic(memory):
    transport, _, client = memory
    payload = {"id": "gw-0001", "from": "0800-0000-0002", "to": "1708", "text": "sampah numpuk di tebet",
               "received_at": "2026-11-20T08:30:00+07:00", "media": ["https://gw.example/m/1.jpg"], "operator": "x"}
    status, headers, body = client.json(payload)
    assert status == 200, body
    assert json.loads(body) == {"status": "accepted", "message_id": "sms:gateway-gw-0001"}
    # With a timestamp inside the window the signature covers "<ts>.<body>".
    status, _, body = client.json({**payload, "id": "gw-0002"}, timestamp=str(int(time.time())))
    assert status == 200, body
    m1, m2 = raw_messages(transport)
    assert m1.message_id == "sms:gateway-gw-0001" and m2.message_id == "sms:gateway-gw-0002"
    assert m1.posted_at.isoformat() == "2026-11-20T01:30:00+00:00"  # 08:30 WIB, in UTC
    assert m1.media == ("https://gw.example/m/1.jpg",)
    assert m1.author_ref == author_ref(HASH_KEY, "sms", "+62 800 0000 0002")  # 08.. and +628.. hash the same
    assert m1.raw["from"] == mask_phone("0800-0000-0002") and "0800-0000-0002" not in m1.model_dump_json()
    assert m1.raw["ignored_fields"] == ["operator"]


@pytest.mark.parametrize("case", ["missing", "wrong_token", "tampered_body", "garbage"])
def test_twilio_bad_signature_is_401(memory, case):
    transport, receiver, client = memory
    params = twilio_params(7)
    if case == "missing":
        body = urllib.parse.urlencode(params).encode()
        status, headers, out = client.request("POST", "/sms/twilio", body,
                                              {"Content-Type": "application/x-www-form-urlencoded"})
    elif case == "wrong_token":
        status, headers, out = client.twilio(params, token="another-test-token")
    elif case == "tampered_body":
        sig = twilio_signature(TOKEN, client.base + "/sms/twilio", params.items())
        status, headers, out = client.twilio({**params, "Body": "something else"}, signature=sig)
    else:
        status, headers, out = client.twilio(params, signature="bm90IGEgc2lnbmF0dXJl")
    assert status == 401
    assert headers["Content-Type"].startswith("application/json")
    assert "X-Twilio-Signature" in json.loads(out)["error"]
    assert transport.records(topics.RAW) == []
    assert receiver.status()["rejected"] == {"bad_signature": 1}


@pytest.mark.parametrize("case", ["missing", "wrong_secret", "tampered", "stale_timestamp", "unsigned_timestamp"])
def test_json_bad_signature_is_401(memory, case):
    transport, _, client = memory
    payload = {"id": "gw-9", "from": SENDER, "text": "jalan rusak"}
    body = json.dumps(payload).encode()
    if case == "missing":
        status, _, out = client.request("POST", "/sms/json", body, {"Content-Type": "application/json"})
    elif case == "wrong_secret":
        status, _, out = client.json(payload, secret="another-test-secret")
    elif case == "tampered":
        status, _, out = client.json(None, raw=body.replace(b"rusak", b"bagus"),
                                     signature=json_signature(SECRET, body))
    elif case == "stale_timestamp":
        status, _, out = client.json(payload, timestamp=str(int(time.time()) - 3600))
    else:  # a valid body signature, but a timestamp header it does not cover
        status, _, out = client.request("POST", "/sms/json", body, {
            "Content-Type": "application/json", "X-Jemput-Signature": json_signature(SECRET, body),
            "X-Jemput-Timestamp": str(int(time.time()))})
    assert status == 401
    error = json.loads(out)["error"]
    assert "X-Jemput-Signature" in error or "X-Jemput-Timestamp" in error
    assert transport.records(topics.RAW) == []


def test_required_timestamp():
    transport = MemoryTransport()
    with build_receiver(settings(require_timestamp=True), transport) as receiver:
        client = Client(receiver.address)
        status, _, out = client.json({"id": "1", "from": SENDER, "text": "x"})
        assert status == 401 and "X-Jemput-Timestamp" in json.loads(out)["error"]
        status, _, _ = client.json({"id": "1", "from": SENDER, "text": "x"}, timestamp=str(time.time()))
        assert status == 200


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({"from": SENDER, "text": "x"}, "id", "missing"),
        ({"id": "a b", "from": SENDER, "text": "x"}, "id", "only letters"),
        ({"id": "1", "text": "x"}, "from", "missing"),
        ({"id": "1", "from": SENDER, "text": 5}, "text", "must be a string"),
        ({"id": "1", "from": SENDER, "text": "  "}, "text", "empty"),
        ({"id": "1", "from": SENDER, "text": "x", "media": "http://a"}, "media", "list"),
        ({"id": "1", "from": SENDER, "text": "x", "media": ["ftp://a/b"]}, "media[0]", "http(s) URL"),
        ({"id": "1", "from": SENDER, "text": "x", "received_at": "kemarin"}, "received_at", "ISO 8601"),
        ([1, 2], "(body)", "JSON object"),
    ],
)
def test_malformed_json_is_400_naming_the_field(memory, payload, field, words):
    transport, receiver, client = memory
    status, _, out = client.json(payload)
    assert status == 400
    err = json.loads(out)
    assert err["field"] == field and words in err["error"], err
    assert transport.records(topics.RAW) == []
    assert receiver.status()["rejected"] == {"malformed": 1}


def test_malformed_bodies_are_400(memory):
    transport, _, client = memory
    status, _, out = client.json(None, raw=b'{"id": "1", "from": ')
    assert status == 400 and "not JSON" in json.loads(out)["error"]
    status, _, out = client.json(None, raw=b"\xff\xfe{}")
    assert status == 400 and "not UTF-8" in json.loads(out)["error"]
    params = twilio_params(8)
    del params["MessageSid"]
    status, _, out = client.twilio(params)
    assert status == 400 and json.loads(out) == {"error": "MessageSid: missing", "field": "MessageSid"}
    status, _, out = client.twilio(twilio_params(9, NumMedia="2", MediaUrl0="https://m.example/0"))
    assert status == 400 and json.loads(out)["field"] == "MediaUrl1"
    assert transport.records(topics.RAW) == []


def test_size_path_method_and_type_errors(memory):
    transport, receiver, client = memory
    big = json.dumps({"id": "1", "from": SENDER, "text": "x" * 70_000}).encode()
    status, _, out = client.json(None, raw=big)
    assert status == 413 and "over the limit" in json.loads(out)["error"]
    assert client.request("POST", "/sms/nope", b"{}")[0] == 404
    assert client.request("GET", "/sms/json")[0] == 405
    status, _, out = client.json({"id": "1", "from": SENDER, "text": "x"}, content_type="text/plain")
    assert status == 415 and json.loads(out)["field"] == "Content-Type"
    status, _, out = client.request("POST", "/sms/twilio", b"{}", {"Content-Type": "application/json"})
    assert status == 415
    status, _, out = client.request("GET", "/healthz")
    health = json.loads(out)
    assert status == 200 and health["status"] == "ok"
    assert health["rejected"] == {"malformed": 2, "method": 1, "not_found": 1, "too_large": 1}
    assert transport.records(topics.RAW) == []


def test_replayed_delivery_gives_one_ticket(tmp_path: Path):
    """The same Twilio delivery three times (twice to one receiver, once after a restart): one ticket."""
    transport = EmbeddedTransport(tmp_path / "log.sqlite3")
    params = twilio_params(42)
    for _ in range(2):  # two receiver lifetimes: the second one has no memory of the first
        with build_receiver(settings(), transport) as receiver:
            client = Client(receiver.address)
            for _ in range(2):  # the second is a replay this receiver remembers
                status, _, _ = client.twilio(params)
                assert status == 200
            json_payload = {"id": "gw-42", "from": SENDER, "text": "lampu jalan mati"}
            assert client.json(json_payload)[0] == 200
    messages = raw_messages(transport)
    ids = Counter(m.message_id for m in messages)
    # The receiver skipped the replay it remembered; after the restart the replay went to the topic again.
    assert ids == {"sms:twilio-SM00000000000000000000000000000042": 2, "sms:gateway-gw-42": 2}
    store = TicketStore(f"sqlite:///{tmp_path / 'tickets.sqlite3'}")
    store.migrate()
    try:
        located = [LocatedMessage(**m.model_dump(), category="flood", confidence=0.9, model_version="test",
                                  geocoder_version="test") for m in messages]
        result = store.write_batch(located[:2])
        result2 = store.write_batch(located[2:])
        assert result.inserted + result2.inserted == 2
        assert store.count() == 2
        ticket = store.get("sms:twilio-SM00000000000000000000000000000042")
        assert ticket is not None and ticket["channel"] == "sms"
        assert store.count_events("created") == 2
    finally:
        store.close()


def test_burst_of_1000_posts_loses_none(tmp_path: Path):
    """8 client threads, 1,000 posts (both formats) on the embedded log: every acknowledged id exactly once."""
    transport = EmbeddedTransport(tmp_path / "log.sqlite3")
    receiver = build_receiver(settings(), transport)
    receiver.start()
    client = Client(receiver.address)

    def post(i: int) -> tuple[str, int]:
        if i % 2:
            status, _, _ = client.twilio(twilio_params(i))
            return f"sms:twilio-SM{i:032d}", status
        status, _, _ = client.json({"id": f"b-{i}", "from": f"0800-0000-{i:04d}", "text": f"laporan {i}"})
        return f"sms:gateway-b-{i}", status

    try:
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(post, range(1000)))
    finally:
        receiver.stop()
    acknowledged = [mid for mid, status in results if status == 200]
    assert len(acknowledged) == 1000, Counter(status for _, status in results)
    on_topic = Counter(m.message_id for m in raw_messages(transport))
    assert on_topic == Counter(acknowledged)
    assert receiver.status()["accepted"] == 1000


def test_flush_failure_is_503_and_nothing_acknowledged_is_lost():
    transport = MemoryTransport()
    with build_receiver(settings(), transport) as receiver:
        client = Client(receiver.address)
        transport.fail_flushes = 1
        status, headers, out = client.twilio(twilio_params(1))
        assert status == 503 and headers["Retry-After"] == "5"
        assert "retry later" in json.loads(out)["error"]
        assert transport.records(topics.RAW) == []
        # The gateway retries: now it is stored, once.
        assert client.twilio(twilio_params(1))[0] == 200

        # Failures in the middle of a concurrent burst: whatever was acknowledged is there exactly once;
        # the gateway retries what got 503 until it is acknowledged.
        transport.fail_flushes = 5

        def post_until_acked(i: int) -> int:
            attempts = 0
            while True:
                attempts += 1
                status, _, _ = client.json({"id": f"f-{i}", "from": SENDER, "text": f"laporan {i}"})
                if status == 200:
                    return attempts
                assert status == 503
                assert attempts < 20

        with ThreadPoolExecutor(8) as pool:
            attempts = list(pool.map(post_until_acked, range(200)))
        assert sum(attempts) > 200  # some posts really were refused
        assert receiver.status()["unavailable"] == sum(attempts) - 200 + 1
    on_topic = Counter(m.message_id for m in raw_messages(transport))
    expected = Counter({"sms:twilio-SM00000000000000000000000000000001": 1})
    expected.update(f"sms:gateway-f-{i}" for i in range(200))
    assert on_topic == expected


def test_stop_finishes_the_request_in_flight():
    transport = MemoryTransport()
    receiver = build_receiver(settings(), transport)
    receiver.start()
    host, port = receiver.address
    body = json.dumps({"id": "slow-1", "from": SENDER, "text": "banjir"}).encode()
    head = (f"POST /sms/json HTTP/1.0\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"X-Jemput-Signature: {json_signature(SECRET, body)}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    sock = socket.create_connection((host, port), timeout=10)
    try:
        sock.sendall(head + body[:10])
        time.sleep(0.2)  # the request thread is now waiting for the rest of the body
        stopper = threading.Thread(target=receiver.stop)
        stopper.start()
        time.sleep(0.5)
        assert stopper.is_alive(), "stop() returned while a request was in flight"
        sock.sendall(body[10:])
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        stopper.join(10)
        assert not stopper.is_alive()
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.0 200"), answer
    assert [m.message_id for m in raw_messages(transport)] == ["sms:gateway-slow-1"]
    with pytest.raises(OSError):
        socket.create_connection((host, port), timeout=2).close()


@pytest.mark.kafka
def test_burst_on_kafka_loses_none(kafka_bootstrap: str, unique: str):
    """The same rule on a real broker: 300 concurrent posts, every acknowledged id on the topic exactly once."""
    from config.settings import KafkaSettings
    from pipeline.transport.kafka import KafkaTransport

    transport = KafkaTransport(KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_prefix=f"t{unique}.",
                                             partitions=3, request_timeout_ms=15000, linger_ms=1))
    try:
        with build_receiver(settings(), transport) as receiver:
            client = Client(receiver.address)

            def post(i: int) -> tuple[str, int]:
                status, _, _ = client.json({"id": f"k-{i}", "from": f"0800-0000-{i:04d}", "text": f"laporan {i}"})
                return f"sms:gateway-k-{i}", status

            with ThreadPoolExecutor(8) as pool:
                results = list(pool.map(post, range(300)))
        acknowledged = [mid for mid, status in results if status == 200]
        assert len(acknowledged) == 300
        on_topic = Counter(m.message_id for m in raw_messages(transport))
        assert on_topic == Counter(acknowledged)
    finally:
        transport.close()
