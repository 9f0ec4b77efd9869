"""The Twitter/X source through tweepy against a loopback server answering in the documented X API v2 shapes.

The fake API below serves GET /2/tweets/search/recent and GET /2/users/:id/mentions from an invented set of tweets
(newest first, ``since_id`` honoured, pages of three with an opaque ``next_token``), with ``includes.users``,
``includes.places``, ``includes.media``, ``includes.tweets`` and ``meta {newest_id, oldest_id, result_count,
next_token}`` as documented, and a 429 with ``x-rate-limit-reset`` / ``x-rate-limit-remaining`` when told to.
"""

from __future__ import annotations

import json
import time

import pytest
from prometheus_client import CollectorRegistry

from harvester.cursors import CursorStore
from harvester.metrics import harvest_metrics
from harvester.pollers.twitter import TwitterClient, TwitterPoller
from harvester.replay import ReplayServer, Reply, Request
from harvester.runner import HarvestRunner
from pipeline import topics
from pipeline.contract import RawMessage, decode
from pipeline.privacy import author_ref
from pipeline.transport.memory import MemoryTransport

KEY = "test-hash-key"
BEARER = "test-bearer-token"
CITY = "900000000000000001"  # the invented city account
BASE = 1862000000000000000


def tid(n: int) -> str:
    return str(BASE + n)


USERS = {
    "100000000000000001": {"id": "100000000000000001", "name": "Warga Satu", "username": "warga_satu_test"},
    "100000000000000002": {"id": "100000000000000002", "name": "Warga Dua", "username": "warga_dua_test"},
    "100000000000000003": {"id": "100000000000000003", "name": "Warga Tiga", "username": "warga_tiga_test"},
    CITY: {"id": CITY, "name": "Kota Contoh", "username": "kota_contoh_test"},
}
PLACES = {
    "aa11bb22cc33dd44": {"id": "aa11bb22cc33dd44", "full_name": "Jakarta Selatan, Indonesia", "name": "Jakarta Selatan",
                         "country_code": "ID", "place_type": "city",
                         "geo": {"type": "Feature", "bbox": [106.76, -6.36, 106.88, -6.22], "properties": {}}},
    "ee55ff66aa77bb88": {"id": "ee55ff66aa77bb88", "full_name": "Indonesia", "name": "Indonesia",
                         "country_code": "ID", "place_type": "country",
                         "geo": {"type": "Feature", "bbox": [95.0, -11.0, 141.0, 6.0], "properties": {}}},
}
MEDIA = {
    "3_1862000000000000901": {"media_key": "3_1862000000000000901", "type": "photo",
                              "url": "https://media.example.test/photo-901.jpg"},
    "7_1862000000000000902": {"media_key": "7_1862000000000000902", "type": "video",
                              "preview_image_url": "https://media.example.test/preview-902.jpg"},
}
# Tweets only referenced (the original of a retweet, a quoted tweet): they come in includes.tweets.
REFERENCED = {
    tid(90): {"id": tid(90), "text": "Sampah numpuk di Jl. Contoh Raya sudah 4 hari, tolong diangkut",
              "created_at": "2026-11-26T02:00:00.000Z", "author_id": "100000000000000002", "lang": "in",
              "edit_history_tweet_ids": [tid(90)]},
    tid(80): {"id": tid(80), "text": "Jalan berlubang depan pasar, motor jatuh", "lang": "in",
              "created_at": "2026-11-25T02:00:00.000Z", "author_id": "100000000000000003",
              "edit_history_tweet_ids": [tid(80)]},
}


def tweet(n: int, text: str, author: str = "100000000000000001", minute: int = 0, **extra) -> dict:
    t = {"id": tid(n), "text": text, "created_at": f"2026-11-27T10:{minute:02d}:00.000Z", "author_id": author,
         "lang": "in", "conversation_id": tid(n), "edit_history_tweet_ids": [tid(n)]}
    t.update(extra)
    return t


# Newest first, as the API returns them.
FIRST_BATCH = [
    tweet(105, "Banjir 40 cm di Jl. Contoh Selatan, mobil mogok", minute=50,
          geo={"place_id": "aa11bb22cc33dd44"}, attachments={"media_keys": ["3_1862000000000000901"]}),
    tweet(104, "RT @warga_dua_test: Sampah numpuk di Jl. Contoh Raya sudah 4 hari, tolong diangkut", minute=40,
          referenced_tweets=[{"type": "retweeted", "id": tid(90)}]),
    tweet(103, "Ini belum dibereskan juga @kota_contoh_test", minute=30,
          referenced_tweets=[{"type": "quoted", "id": tid(80)}],
          attachments={"media_keys": ["7_1862000000000000902"]}),
    tweet(102, "Pohon tumbang menutup jalan", minute=20, author="100000000000000003",
          geo={"place_id": "ee55ff66aa77bb88", "coordinates": {"type": "Point", "coordinates": [106.8456, -6.2088]}}),
    tweet(101, "@kota_contoh_test lampu jalan mati sudah seminggu", minute=10,
          referenced_tweets=[{"type": "replied_to", "id": tid(50)}], geo={"place_id": "ee55ff66aa77bb88"}),
]
LATER_BATCH = [
    tweet(107, "Genangan lagi di underpass Contoh", minute=59),
    tweet(106, "Terima kasih laporannya, petugas menuju lokasi", author=CITY, minute=55),
]


class FakeXApi:
    """Answers recent search and mentions from ``self.tweets`` like the X API v2 does."""

    page_size = 3

    def __init__(self) -> None:
        self.tweets: list[dict] = list(FIRST_BATCH)
        self.rate_limit_pages: set[int] = set()  # page numbers (0-based within a walk) to refuse once with 429
        self.reset_delta = 1
        self._limited_until: dict[int, int] = {}
        #: Tokens carry the generation they were issued in; expire_tokens() makes every older one invalid.
        self.generation = 0

    def expire_tokens(self) -> None:
        self.generation += 1

    def __call__(self, req: Request) -> Reply:
        if req.headers.get("authorization") != f"Bearer {BEARER}":
            return Reply(401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"})
        if req.path == "/2/tweets/search/recent":
            token = req.query.get("next_token")
        elif req.path == f"/2/users/{CITY}/mentions":
            token = req.query.get("pagination_token")
        else:
            return Reply(404, {"title": "Not Found Error", "status": 404, "type": "about:blank"})
        for field in ("expansions", "tweet.fields", "user.fields", "place.fields", "media.fields"):
            assert field in req.query, f"missing {field}"
        if token and int(token.split("-")[1]) != self.generation:
            return Reply(400, {"errors": [{"parameters": {"next_token": [token]}, "message": "Invalid next_token"}],
                               "title": "Invalid Request", "detail": "One or more parameters to your request was "
                               "invalid.", "type": "https://api.twitter.com/2/problems/invalid-request"})
        since = int(req.query["since_id"]) if "since_id" in req.query else 0
        page, before = 0, None
        if token:  # a token points below the oldest tweet of the page before, like the API's
            _gen, tok_since, tok_page, tok_before = token.removeprefix("tok-").split("-")
            assert int(tok_since) == since, "next_token used with another since_id"
            page, before = int(tok_page), int(tok_before)
        if page in self.rate_limit_pages:
            until = self._limited_until.setdefault(page, int(time.time()) + self.reset_delta)
            if time.time() < until:
                return Reply(429, {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank",
                                   "status": 429},
                             headers={"x-rate-limit-limit": "450", "x-rate-limit-remaining": "0",
                                      "x-rate-limit-reset": str(until)})
            self.rate_limit_pages.discard(page)
        matching = [t for t in self.tweets if int(t["id"]) > since and (before is None or int(t["id"]) < before)]
        if req.path.endswith("/mentions"):
            matching = [t for t in matching if "@kota_contoh_test" in t["text"] or t["author_id"] == CITY]
        chunk = matching[:self.page_size]
        if not chunk:
            return Reply(200, {"meta": {"result_count": 0}})
        includes: dict[str, list] = {"users": [], "places": [], "media": [], "tweets": []}
        for t in chunk:
            refs = [REFERENCED[r["id"]] for r in t.get("referenced_tweets", []) if r["id"] in REFERENCED]
            for u in [t["author_id"]] + [r["author_id"] for r in refs]:
                if USERS[u] not in includes["users"]:
                    includes["users"].append(USERS[u])
            place = t.get("geo", {}).get("place_id")
            if place and PLACES[place] not in includes["places"]:
                includes["places"].append(PLACES[place])
            for mk in t.get("attachments", {}).get("media_keys", []):
                includes["media"].append(MEDIA[mk])
            includes["tweets"].extend(refs)
        meta = {"newest_id": chunk[0]["id"], "oldest_id": chunk[-1]["id"], "result_count": len(chunk)}
        if len(matching) > self.page_size:
            meta["next_token"] = f"tok-{self.generation}-{since}-{page + 1}-{chunk[-1]['id']}"
        return Reply(200, {"data": chunk, "includes": {k: v for k, v in includes.items() if v}, "meta": meta},
                     headers={"x-rate-limit-limit": "450", "x-rate-limit-remaining": "449",
                              "x-rate-limit-reset": str(int(time.time()) + 900)})


@pytest.fixture
def api():
    fake = FakeXApi()
    server = ReplayServer(fake).start()
    fake.server = server
    yield fake
    server.stop()


@pytest.fixture
def cursors(tmp_path):
    store = CursorStore(f"sqlite:///{tmp_path / 'tickets.sqlite3'}")
    store.migrate()
    yield store
    store.close()


def make_runner(api, cursors, transport, *, wait_max=0.0, queries=("banjir OR sampah",), mentions_of=None,
                retweets="original", registry=None) -> HarvestRunner:
    client = TwitterClient(BEARER, api_base_url=api.server.url, timeout_s=5)
    poller = TwitterPoller("twitter", client, hash_key=KEY, queries=list(queries), mentions_of=mentions_of,
                           max_results=10, retweets=retweets, backfill_hours=0)
    return HarvestRunner(poller, transport, cursors, max_pages=10, rate_limit_wait_max_s=wait_max,
                         metrics=harvest_metrics(registry or CollectorRegistry()))


def produced(transport: MemoryTransport) -> list[RawMessage]:
    return [decode(RawMessage, r.value) for r in transport.records(topics.RAW)]


def ids(transport: MemoryTransport) -> list[str]:
    return [m.message_id for m in produced(transport)]


def search_requests(api) -> list[Request]:
    return [r for r in api.server.requests if r.path == "/2/tweets/search/recent"]


def test_pages_followed_429_waited_out_and_cursor_advanced(api, cursors):
    api.rate_limit_pages = {1}
    transport = MemoryTransport()
    runner = make_runner(api, cursors, transport, wait_max=5.0)
    started = time.time()
    report = runner.run_once()
    assert report.ok, report.error
    assert report.pages == 2 and report.produced == 5
    assert report.waited_s > 0 and time.time() - started >= report.waited_s * 0.9
    # Exactly these, in page order: the retweet became its original, nothing twice.
    assert ids(transport) == [f"twitter:{tid(n)}" for n in (105, 90, 103, 102, 101)]
    reqs = search_requests(api)
    assert [r.query.get("next_token") for r in reqs] == [None, f"tok-0-0-1-{tid(103)}", f"tok-0-0-1-{tid(103)}"]
    assert [r.query.get("since_id") for r in reqs] == [None, None, None]
    assert reqs[0].query["expansions"] == "author_id,geo.place_id,attachments.media_keys,referenced_tweets.id"
    assert "geo" in reqs[0].query["place.fields"] and "full_name" in reqs[0].query["place.fields"]
    assert reqs[0].query["media.fields"] == "media_key,type,url,preview_image_url"
    # The 429 did not count as a failure: the poll resumed where it was.
    state = json.loads(cursors.get("twitter"))
    assert state["streams"]["search:banjir OR sampah"] == {"since_id": tid(105)}
    assert state["round"] == []
    # The next poll asks only for what is newer than the newest tweet seen.
    api.tweets = LATER_BATCH + FIRST_BATCH
    report = runner.run_once()
    assert report.ok and report.produced == 2
    assert search_requests(api)[-1].query["since_id"] == tid(105)
    assert ids(transport)[5:] == [f"twitter:{tid(107)}", f"twitter:{tid(106)}"]
    assert json.loads(cursors.get("twitter"))["streams"]["search:banjir OR sampah"]["since_id"] == tid(107)


def test_tweets_become_messages(api, cursors):
    transport = MemoryTransport()
    assert make_runner(api, cursors, transport).run_once().ok
    by_id = {m.message_id: m for m in produced(transport)}
    t105 = by_id[f"twitter:{tid(105)}"]
    assert t105.author_ref == author_ref(KEY, "twitter", "100000000000000001")
    assert t105.media == ("https://media.example.test/photo-901.jpg",)
    assert t105.gps is not None and t105.gps.lat == pytest.approx(-6.29) and t105.gps.lon == pytest.approx(106.82)
    assert 5000 < t105.gps.accuracy_m < 30000
    assert t105.raw["place"]["full_name"] == "Jakarta Selatan, Indonesia"
    assert t105.posted_at.isoformat() == "2026-11-27T10:50:00+00:00" and t105.lang == "in"
    # Retweet -> the original, with its own author and full text.
    t90 = by_id[f"twitter:{tid(90)}"]
    assert t90.text.startswith("Sampah numpuk") and t90.author_ref == author_ref(KEY, "twitter", "100000000000000002")
    assert t90.raw["via_retweet"] == tid(104)
    # Quote: its own message; the quoted tweet kept in raw; a video's preview image as media.
    t103 = by_id[f"twitter:{tid(103)}"]
    assert t103.raw["quoted"]["text"] == "Jalan berlubang depan pasar, motor jatuh"
    assert t103.media == ("https://media.example.test/preview-902.jpg",)
    # Exact coordinates win over the place; a country-sized place gives no GPS.
    t102 = by_id[f"twitter:{tid(102)}"]
    assert (t102.gps.lat, t102.gps.lon, t102.gps.accuracy_m) == (-6.2088, 106.8456, None)
    t101 = by_id[f"twitter:{tid(101)}"]
    assert t101.gps is None and t101.reply_to == f"twitter:{tid(50)}"
    # No handle, name or author id travels in clear.
    for m in by_id.values():
        blob = m.model_dump_json()
        assert "warga_satu_test" not in blob and "Warga Satu" not in blob and "100000000000000001" not in blob


def test_retweets_can_be_skipped(api, cursors):
    transport = MemoryTransport()
    assert make_runner(api, cursors, transport, retweets="skip").run_once().ok
    assert ids(transport) == [f"twitter:{tid(n)}" for n in (105, 103, 102, 101)]


def test_429_ends_the_poll_and_a_restart_resumes_without_gap_or_duplicate(api, cursors):
    api.rate_limit_pages = {1}
    transport = MemoryTransport()
    registry = CollectorRegistry()
    report = make_runner(api, cursors, transport, wait_max=0.0, registry=registry).run_once()
    assert not report.ok and report.error_kind == "rate_limited"
    assert 0 < report.retry_after <= api.reset_delta + 2
    assert report.pages == 1 and ids(transport) == [f"twitter:{tid(n)}" for n in (105, 90, 103)]
    assert registry.get_sample_value("jemput_harvest_errors_total", {"source": "twitter", "channel": "twitter",
                                                                     "kind": "rate_limited"}) == 1
    # The position is the second page of the walk, since_id not yet moved.
    stream = json.loads(cursors.get("twitter"))["streams"]["search:banjir OR sampah"]
    assert stream == {"walk": {"next_token": f"tok-0-0-1-{tid(103)}", "newest_id": tid(105), "start_time": None}}
    time.sleep(report.retry_after)
    # A restart: a new poller and runner over the same cursor store; more tweets arrived meanwhile.
    api.tweets = LATER_BATCH + FIRST_BATCH
    report = make_runner(api, cursors, transport).run_once()
    assert report.ok, report.error
    # The walk finished from its token (with its original since_id), then since_id jumped to its newest tweet.
    assert ids(transport) == [f"twitter:{tid(n)}" for n in (105, 90, 103, 102, 101)]
    assert search_requests(api)[-1].query.get("next_token") == f"tok-0-0-1-{tid(103)}"
    report = make_runner(api, cursors, transport).run_once()
    assert report.ok and search_requests(api)[-1].query["since_id"] == tid(105)
    assert ids(transport) == [f"twitter:{tid(n)}" for n in (105, 90, 103, 102, 101, 107, 106)]


def test_flush_failure_leaves_the_cursor_and_the_page_is_fetched_again(api, cursors):
    transport = MemoryTransport()
    transport.fail_flushes = 1
    runner = make_runner(api, cursors, transport)
    report = runner.run_once()
    assert not report.ok and report.error_kind == "unavailable"
    assert cursors.get("twitter") is None and transport.records(topics.RAW) == []
    state = cursors.state("twitter")
    assert state.consecutive_failures == 1 and "injected flush failure" in state.last_error
    report = runner.run_once()
    assert report.ok
    # The same first page was asked for again, and nothing the failed producer held came out twice.
    assert [r.query.get("next_token") for r in search_requests(api)] == [None, None, f"tok-0-0-1-{tid(103)}"]
    assert ids(transport) == [f"twitter:{tid(n)}" for n in (105, 90, 103, 102, 101)]
    assert cursors.state("twitter").consecutive_failures == 0


def test_expired_next_token_restarts_the_walk_instead_of_skipping(api, cursors):
    transport = MemoryTransport()
    runner = make_runner(api, cursors, transport)
    runner.max_pages = 1
    assert runner.run_once().more_waiting
    api.expire_tokens()  # the saved token is now refused with 400
    runner.max_pages = 10
    report = runner.run_once()
    assert report.ok, report.error
    # The walk restarted from since_id: page one came again (same ids), nothing was skipped.
    assert ids(transport) == [f"twitter:{tid(n)}" for n in (105, 90, 103, 105, 90, 103, 102, 101)]
    assert [r.query.get("next_token") for r in search_requests(api)] == [None, f"tok-0-0-1-{tid(103)}", None, f"tok-1-0-1-{tid(103)}"]
    assert json.loads(cursors.get("twitter"))["streams"]["search:banjir OR sampah"] == {"since_id": tid(105)}


def test_mentions_mode_and_several_streams_share_one_cursor(api, cursors):
    api.tweets = LATER_BATCH + FIRST_BATCH
    transport = MemoryTransport()
    runner = make_runner(api, cursors, transport, queries=("banjir",), mentions_of=CITY)
    report = runner.run_once()
    assert report.ok, report.error
    assert report.pages == 4  # three pages of search, then one of mentions: one round
    mention_reqs = [r for r in api.server.requests if r.path.endswith("/mentions")]
    assert len(mention_reqs) == 1 and "since_id" not in mention_reqs[0].query
    # The city account's own tweet (106) is never a complaint; 103 and 101 match both streams (same ids).
    assert ids(transport) == [f"twitter:{tid(n)}" for n in (107, 105, 90, 103, 102, 101, 103, 101)]
    state = json.loads(cursors.get("twitter"))
    assert state["streams"] == {"search:banjir": {"since_id": tid(107)}, f"mentions:{CITY}": {"since_id": tid(106)}}
    api.tweets = [tweet(108, "@kota_contoh_test air PAM mati", minute=59)] + api.tweets
    before = len(api.server.requests)
    assert runner.run_once().ok
    new = api.server.requests[before:]
    assert [(r.path, r.query.get("since_id")) for r in new] == [
        ("/2/tweets/search/recent", tid(107)), (f"/2/users/{CITY}/mentions", tid(106))]
    assert ids(transport)[8:] == [f"twitter:{tid(108)}", f"twitter:{tid(108)}"]


def test_bad_token_is_a_permanent_error_without_the_token(api, cursors):
    transport = MemoryTransport()
    client = TwitterClient("test-wrong-token", api_base_url=api.server.url, timeout_s=5)
    poller = TwitterPoller("twitter", client, hash_key=KEY, queries=["banjir"], backfill_hours=0)
    report = HarvestRunner(poller, transport, cursors, metrics=harvest_metrics(CollectorRegistry())).run_once()
    assert report.error_kind == "permanent" and "credentials refused" in report.error
    assert "test-wrong-token" not in report.error


def test_backfill_start_time_on_the_first_poll_only(api, cursors):
    transport = MemoryTransport()
    client = TwitterClient(BEARER, api_base_url=api.server.url, timeout_s=5)
    now = time.time()
    poller = TwitterPoller("twitter", client, hash_key=KEY, queries=["banjir"], backfill_hours=6, clock=lambda: now)
    runner = HarvestRunner(poller, transport, cursors, metrics=harvest_metrics(CollectorRegistry()))
    assert runner.run_once().ok
    first, *rest = search_requests(api)
    expected = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 6 * 3600))
    assert first.query["start_time"] == expected
    # The walk's later pages keep the same parameters; the next poll uses since_id instead.
    assert all(r.query.get("start_time") == expected for r in rest)
    assert runner.run_once().ok
    assert "start_time" not in search_requests(api)[-1].query


# -- the filtered stream ---------------------------------------------------------------------------------------
class FakeXStream(FakeXApi):
    """Adds the filtered stream: rules (GET/POST /2/tweets/search/stream/rules) and GET /2/tweets/search/stream,
    whose connections play ``sessions`` in turn (each a list of lines; a session ending closes the connection,
    as an X API disconnect does) and then send keep-alives."""

    def __init__(self) -> None:
        super().__init__()
        self.rules = [{"id": "1700000000000000001", "value": "old query", "tag": "jemput"},
                      {"id": "1700000000000000002", "value": "someone else's rule", "tag": "other-team"}]
        self.rule_posts: list[dict] = []
        self.sessions: list[list[bytes]] = []

    def __call__(self, req: Request) -> Reply:
        if req.headers.get("authorization") != f"Bearer {BEARER}":
            return Reply(401, {"title": "Unauthorized", "status": 401, "type": "about:blank"})
        if req.path == "/2/tweets/search/stream/rules":
            if req.method == "GET":
                return Reply(200, {"data": self.rules, "meta": {"sent": "2026-11-28T00:00:00.000Z",
                                                                "result_count": len(self.rules)}})
            body = json.loads(req.body)
            self.rule_posts.append(body)
            if "delete" in body:
                self.rules = [r for r in self.rules if r["id"] not in body["delete"]["ids"]]
                return Reply(200, {"meta": {"sent": "2026-11-28T00:00:01.000Z",
                                            "summary": {"deleted": len(body["delete"]["ids"]), "not_deleted": 0}}})
            added = [{"id": str(1700000000000000100 + i), **r} for i, r in enumerate(body["add"])]
            self.rules += added
            return Reply(201, {"data": added, "meta": {"sent": "2026-11-28T00:00:02.000Z",
                                                       "summary": {"created": len(added), "not_created": 0,
                                                                   "valid": len(added), "invalid": 0}}})
        if req.path == "/2/tweets/search/stream":
            assert req.query["expansions"] == "author_id,geo.place_id,attachments.media_keys,referenced_tweets.id"
            lines = self.sessions.pop(0) if self.sessions else [None, b"\r\n"] * 100  # ~5 s of keep-alives
            return Reply(200, stream=lines)
        return super().__call__(req)


def stream_line(t: dict) -> bytes:
    refs = [REFERENCED[r["id"]] for r in t.get("referenced_tweets", []) if r["id"] in REFERENCED]
    includes = {"users": [USERS[t["author_id"]]]}
    if refs:
        includes["tweets"] = refs
    if t.get("geo", {}).get("place_id"):
        includes["places"] = [PLACES[t["geo"]["place_id"]]]
    return json.dumps({"data": t, "includes": includes,
                       "matching_rules": [{"id": "1700000000000000100", "tag": "jemput"}]}).encode() + b"\r\n"


def test_filtered_stream_rules_reconnect_and_backfill_trigger(cursors):
    from harvester.pollers.twitter_stream import TwitterStream
    from tests.helpers import wait_for

    fake = FakeXStream()
    t201 = tweet(201, "Banjir lagi di Jl. Contoh Timur", minute=1, geo={"place_id": "aa11bb22cc33dd44"})
    t202 = tweet(202, "RT @warga_dua_test: Sampah numpuk", minute=2,
                 referenced_tweets=[{"type": "retweeted", "id": tid(90)}])
    t203 = tweet(203, "Macet total karena genangan", minute=3)
    # Connection 1: a tweet, a keep-alive, then the server drops us. Connection 2: two more tweets.
    fake.sessions = [[stream_line(t201), b"\r\n"], [None, stream_line(t202), b"\r\n", stream_line(t203)]]
    gaps: list[float] = []
    transport = MemoryTransport()
    registry = CollectorRegistry()
    with ReplayServer(fake) as server:
        converter = TwitterPoller("twitter", client=None, hash_key=KEY, queries=["banjir OR sampah"],  # type: ignore[arg-type]
                                  backfill_hours=0)
        stream = TwitterStream(converter, transport, cursors, bearer_token=BEARER, api_base_url=server.url,
                               timeout_s=5, queries=["banjir OR sampah"], on_gap=lambda: gaps.append(time.time()),
                               metrics=harvest_metrics(registry)).start()
        try:
            wait_for(lambda: len(transport.records(topics.RAW)) >= 3 and stream.connects >= 3, 10,
                     "three tweets over two dropped connections")
            status = stream.status()
        finally:
            assert stream.stop(10)
    # Our stale rule was replaced by the query; the other team's rule was left alone.
    assert fake.rule_posts == [{"delete": {"ids": ["1700000000000000001"]}},
                               {"add": [{"value": "banjir OR sampah", "tag": "jemput"}]}]
    assert ids(transport) == [f"twitter:{tid(201)}", f"twitter:{tid(90)}", f"twitter:{tid(203)}"]
    m = produced(transport)[0]
    assert m.gps is not None and m.raw["stream"] == "stream" and m.author_ref == author_ref(KEY, "twitter",
                                                                                             "100000000000000001")
    # Every (re)connect asked for a recent-search backfill of the gap.
    assert len(gaps) == stream.connects >= 3 and status["connects"] >= 3
    state = cursors.state("twitter_stream")
    assert state.messages_total == 3 and json.loads(state.cursor) == {"newest_id": tid(203)}
    assert "closed by the server" in (state.last_error or "")
    assert registry.get_sample_value("jemput_harvest_messages_total",
                                     {"source": "twitter_stream", "channel": "twitter"}) == 3
