"""Telegram, the citizen-app feed and the SMS REST inbox against loopback servers in the providers' formats;
a provider replaying a message gives one ticket; the ``harvest`` commands."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from prometheus_client import CollectorRegistry

from harvester.cursors import CursorStore
from harvester.metrics import harvest_metrics
from harvester.pollers.jsonfeed import JsonFeedPoller
from harvester.pollers.telegram import TelegramPoller
from harvester.replay import ReplayServer, Reply, Request
from harvester.runner import HarvestRunner
from pipeline import topics
from pipeline.contract import RawMessage, decode
from pipeline.privacy import author_ref
from pipeline.transport.memory import MemoryTransport

KEY = "test-hash-key"
BOT = "123456:test-bot-token"


@pytest.fixture
def cursors(tmp_path):
    store = CursorStore(f"sqlite:///{tmp_path / 'tickets.sqlite3'}")
    store.migrate()
    yield store
    store.close()


def run(poller, cursors, transport=None, **kw):
    transport = transport or MemoryTransport()
    report = HarvestRunner(poller, transport, cursors, metrics=harvest_metrics(CollectorRegistry()), **kw).run_once()
    return report, transport


def messages(transport) -> list[RawMessage]:
    return [decode(RawMessage, r.value) for r in transport.records(topics.RAW)]


# -- Telegram ------------------------------------------------------------------------------------------------
def tg_updates() -> list[dict]:
    """Updates as the Bot API documents them (Update, Message, PhotoSize, Location)."""
    user = {"id": 700000001, "is_bot": False, "first_name": "Warga", "username": "warga_tg_test", "language_code": "id"}
    chat = {"id": 700000001, "first_name": "Warga", "username": "warga_tg_test", "type": "private"}
    return [
        {"update_id": 500100, "message": {"message_id": 11, "from": user, "chat": chat, "date": 1795843200,
                                          "text": "Banjir di Jl. Contoh Barat, air 50 cm"}},
        {"update_id": 500101, "message": {
            "message_id": 12, "from": user, "chat": chat, "date": 1795843260, "caption": "Sampah menumpuk di sini",
            "photo": [{"file_id": "AgAD-small-test", "file_unique_id": "u1", "width": 90, "height": 67, "file_size": 1200},
                      {"file_id": "AgAD-large-test", "file_unique_id": "u2", "width": 1280, "height": 960,
                       "file_size": 98000}],
            "reply_to_message": {"message_id": 11, "chat": chat, "date": 1795843200, "text": "Banjir"}}},
        {"update_id": 500102, "message": {"message_id": 13, "from": user, "chat": chat, "date": 1795843320,
                                          "location": {"latitude": -6.2, "longitude": 106.8}}},
        {"update_id": 500103, "channel_post": {
            "message_id": 7, "chat": {"id": -1001000000001, "title": "Info Warga Test", "type": "channel"},
            "date": 1795843380, "text": "Lampu jalan mati di RW 05",
        }},
        {"update_id": 500104, "message": {"message_id": 14, "from": user, "chat": chat, "date": 1795843440,
                                          "text": "Ini lokasinya", "location": {"latitude": -6.25, "longitude": 106.85,
                                                                                 "horizontal_accuracy": 25.0}}},
    ]


class FakeBotApi:
    def __init__(self) -> None:
        self.updates = tg_updates()
        self.confirmed = 0  # updates below this offset are forgotten, as Telegram does
        self.mode = "ok"

    def __call__(self, req: Request) -> Reply:
        if not req.path.startswith(f"/bot{BOT}/"):
            return Reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        if self.mode == "conflict":
            return Reply(409, {"ok": False, "error_code": 409, "description": "Conflict: can't use getUpdates method "
                                                                              "while webhook is active"})
        if self.mode == "flood":
            return Reply(429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 7",
                               "parameters": {"retry_after": 7}})
        assert req.path.endswith("/getUpdates")
        assert json.loads(req.query["allowed_updates"]) == ["message", "channel_post"]
        offset = int(req.query.get("offset", 0))
        self.confirmed = max(self.confirmed, offset)
        limit = int(req.query.get("limit", 100))
        pending = [u for u in self.updates if u["update_id"] >= self.confirmed][:limit]
        return Reply(200, {"ok": True, "result": pending})


@pytest.fixture
def bot():
    fake = FakeBotApi()
    with ReplayServer(fake) as server:
        fake.server = server
        yield fake


def tg_poller(bot, token=BOT, page_size=100) -> TelegramPoller:
    return TelegramPoller("telegram", bot_token=token, hash_key=KEY, api_base_url=bot.server.url, long_poll_s=0,
                          page_size=page_size, timeout_s=5)


def test_telegram_offset_cursor_and_messages(bot, cursors):
    report, transport = run(tg_poller(bot, page_size=2), cursors)
    assert report.ok and report.pages == 3  # full pages of 2 mean more: followed
    assert cursors.get("telegram") == "500105"
    assert [r.query.get("offset") for r in bot.server.requests] == [None, "500102", "500104"]
    assert [r.reason for r in report.rejected] == ["no text or caption"]
    msgs = {m.message_id: m for m in messages(transport)}
    assert list(msgs) == ["telegram:700000001:11", "telegram:700000001:12", "telegram:-1001000000001:7",
                          "telegram:700000001:14"]
    first = msgs["telegram:700000001:11"]
    assert first.author_ref == author_ref(KEY, "telegram", "700000001")
    assert first.posted_at.timestamp() == 1795843200
    photo = msgs["telegram:700000001:12"]
    assert photo.text == "Sampah menumpuk di sini" and photo.media == ("telegram-file:AgAD-large-test",)
    assert photo.reply_to == "telegram:700000001:11"
    located = msgs["telegram:700000001:14"]
    assert (located.gps.lat, located.gps.lon, located.gps.accuracy_m) == (-6.25, 106.85, 25.0)
    for m in msgs.values():
        assert "warga_tg_test" not in m.model_dump_json() and BOT not in m.model_dump_json()
    # Next poll: the saved offset confirms everything; nothing comes twice.
    bot.updates.append({"update_id": 500105, "message": {"message_id": 15, "from": {"id": 700000002, "is_bot": False,
                        "first_name": "B"}, "chat": {"id": 700000002, "type": "private"}, "date": 1795843500,
                        "text": "Jalan rusak"}})
    report, transport = run(tg_poller(bot), cursors, transport)
    assert report.ok and report.produced == 1 and cursors.get("telegram") == "500106"
    assert bot.server.requests[-1].query["offset"] == "500105"


def test_telegram_errors(bot, cursors):
    bot.mode = "conflict"
    report, _ = run(tg_poller(bot), cursors)
    assert report.error_kind == "permanent" and "deleteWebhook" in report.error
    bot.mode = "flood"
    report, _ = run(tg_poller(bot), cursors, rate_limit_wait_max_s=5)  # 7 s is more than we wait in a poll
    assert report.error_kind == "rate_limited" and report.retry_after == 7
    bot.mode = "ok"
    report, _ = run(tg_poller(bot, token="999:test-wrong-token"), cursors)
    assert report.error_kind == "permanent" and "bot token was refused" in report.error
    assert "test-wrong-token" not in report.error
    assert cursors.get("telegram") is None and cursors.state("telegram").consecutive_failures == 3


def test_telegram_unreachable_error_hides_the_token(cursors):
    poller = TelegramPoller("telegram", bot_token=BOT, hash_key=KEY, api_base_url="http://127.0.0.1:9",
                            long_poll_s=0, timeout_s=2)
    report, _ = run(poller, cursors)
    assert report.error_kind == "transient" and BOT not in report.error
    assert BOT not in cursors.state("telegram").last_error


# -- citizen-app feed ----------------------------------------------------------------------------------------
REPORTS = [
    {"id": 9001, "description": "Got air mampet di depan sekolah", "created_at": "2026-11-27T01:00:00Z",
     "lat": -6.2101, "lng": 106.8202, "photo_url": "https://app.example.test/p/9001.jpg", "user_id": "u-778",
     "category": "drainase", "contact": {"phone": "0812-3456-7890"}},
    {"id": 9002, "description": "Pohon tumbang", "created_at": 1795800000, "lat": None, "lng": None,
     "photo_url": None, "user_id": "u-779"},
    {"id": 9003, "description": "", "created_at": "2026-11-27T02:00:00Z", "user_id": "u-780"},
    {"id": 9004, "description": "Trotoar rusak", "created_at": "2026-11-27T03:00:00Z", "lat": "-6.3", "lng": "106.9",
     "photo_url": ["https://app.example.test/p/9004a.jpg", "https://app.example.test/p/9004b.jpg"],
     "user_id": "u-778"},
]


class FakeFeed:
    """A Qlue-style feed: ``GET /api/reports?since=<id>&limit=N`` -> ``{"status": "ok", "data": [...]}``, items with
    id > since (inclusive=True: id >= since, as some feeds do)."""

    def __init__(self, items, inclusive=False, items_key="data") -> None:
        self.items = items
        self.inclusive = inclusive
        self.items_key = items_key

    def __call__(self, req: Request) -> Reply:
        if req.headers.get("authorization") != "Bearer test-feed-token":
            return Reply(401, {"status": "error", "message": "invalid token"})
        since = int(req.query.get("since", req.query.get("since_id", 0)))
        limit = int(req.query.get("limit", 100))
        pick = [i for i in self.items if (i["id"] >= since if self.inclusive else i["id"] > since)][:limit]
        return Reply(200, {"status": "ok", self.items_key: pick})


def app_poller(url, **kw) -> JsonFeedPoller:
    fm = {"id": "id", "text": "description", "posted_at": "created_at", "lat": "lat", "lon": "lng",
          "photo": "photo_url", "author": "user_id"}
    args = dict(channel="app", url=url + "/api/reports", hash_key=KEY, field_map=fm, token="test-feed-token",
                cursor_param="since", cursor_field="id", page_size=2, id_prefix="", author_field="author",
                author_in_raw="drop", timeout_s=5)
    args.update(kw)
    return JsonFeedPoller("app", **args)


def test_app_feed_fields_cursor_and_pages(cursors):
    with ReplayServer(FakeFeed(REPORTS)) as server:
        report, transport = run(app_poller(server.url), cursors)
        assert report.ok and report.pages == 3 and cursors.get("app") == "9004"
        assert [r.query.get("since") for r in server.requests] == [None, "9002", "9004"]
        assert [(r.ref, r.reason) for r in report.rejected] == [("id 9003", "missing or empty text at 'description'")]
        msgs = {m.message_id: m for m in messages(transport)}
        assert list(msgs) == ["app:9001", "app:9002", "app:9004"]
        m = msgs["app:9001"]
        assert (m.gps.lat, m.gps.lon) == (-6.2101, 106.8202) and m.media == ("https://app.example.test/p/9001.jpg",)
        assert m.author_ref == author_ref(KEY, "app", "u-778") == msgs["app:9004"].author_ref
        assert "user_id" not in m.raw["item"] and m.raw["item"]["category"] == "drainase"
        assert m.raw["item"]["contact"]["phone"] == "0812-3***-**90"  # masked wherever it is in the payload
        assert msgs["app:9002"].gps is None and msgs["app:9002"].posted_at.timestamp() == 1795800000
        assert msgs["app:9004"].gps.lat == -6.3 and len(msgs["app:9004"].media) == 2
        # Nothing new: the cursor stays.
        report, _ = run(app_poller(server.url), cursors, transport)
        assert report.ok and report.produced == 0 and cursors.get("app") == "9004"


def test_app_feed_misconfigured_items_path_is_a_clear_error(cursors):
    with ReplayServer(FakeFeed(REPORTS, items_key="reports")) as server:
        report, _ = run(app_poller(server.url), cursors)
    assert report.error_kind == "permanent" and "no 'data' in the answer" in report.error and "reports" in report.error


# -- SMS REST inbox ------------------------------------------------------------------------------------------
INBOX = [
    {"id": 31, "from": "+6281234567890", "text": "Banjir di gang 3, tolong. Hubungi 0813-1111-2222",
     "received_at": "2026-11-27T08:00:00+07:00"},
    {"id": 32, "from": "081234567890", "text": "Sampah belum diangkut", "received_at": "2026-11-27T08:05:00+07:00"},
]


def inbox_poller(url) -> JsonFeedPoller:
    return JsonFeedPoller("rest_inbox", channel="sms", url=url + "/inbox", hash_key=KEY,
                          field_map={"id": "id", "text": "text", "from": "from", "posted_at": "received_at"},
                          items_path="messages", token="test-feed-token", cursor_param="since_id", cursor_field="id",
                          page_size=100, id_prefix="inbox-", author_field="from", author_in_raw="mask", timeout_s=5)


def test_rest_inbox_hashes_and_masks_phone_numbers(cursors):
    with ReplayServer(FakeFeed(INBOX, inclusive=True, items_key="messages")) as server:
        report, transport = run(inbox_poller(server.url), cursors)
        assert report.ok and cursors.get("rest_inbox") == "32"
        # An inclusive 'since' sends the boundary message again: same message id.
        report, transport = run(inbox_poller(server.url), cursors, transport)
        assert report.ok and server.requests[-1].query["since_id"] == "32"
    msgs = messages(transport)
    assert [m.message_id for m in msgs] == ["sms:inbox-31", "sms:inbox-32", "sms:inbox-32"]
    # The same phone written two ways is the same author; the number itself is nowhere.
    assert msgs[0].author_ref == msgs[1].author_ref == author_ref(KEY, "sms", "+6281234567890")
    for m in msgs:
        raw = json.dumps(m.raw)
        assert "1234567890" not in raw and "34567" not in raw
    assert msgs[0].raw["item"]["from"] == "+62812******90"
    assert "1111-2222" not in json.dumps(msgs[0].raw) and "0813-1111-2222" in msgs[0].text  # text as written
    assert msgs[0].posted_at.isoformat() == "2026-11-27T08:00:00+07:00"


def test_replayed_message_gives_one_ticket(tmp_path, cursors):
    """A provider sending the same message again (inclusive since) -> same message id -> one ticket in the sink."""
    from config.settings import load_settings
    from pipeline.contract import LocatedMessage, encode
    from pipeline.runner import StageRunner
    from sink.service import build_processor
    from sink.store import TicketStore

    with ReplayServer(FakeFeed(INBOX, inclusive=True, items_key="messages")) as server:
        transport = MemoryTransport()
        for _ in range(3):
            report, transport = run(inbox_poller(server.url), cursors, transport)
            assert report.ok
    raw_records = transport.records(topics.RAW)
    assert len(raw_records) == 4  # 31, 32, then 32 twice more
    # The classifier and geocoder keep the message id; give each raw message a verdict and a place, then sink it.
    producer = transport.producer()
    for rec in raw_records:
        m = decode(RawMessage, rec.value)
        located = LocatedMessage(**m.model_dump(), category="flood", confidence=0.9, model_version="test",
                                 geocoder_version="test")
        producer.send(topics.LOCATED, encode(located), key=rec.key)
    producer.flush()
    settings = load_settings(data_dir=tmp_path, database={"url": f"sqlite:///{tmp_path / 'tickets.sqlite3'}"})
    runner = StageRunner(build_processor(settings), transport, settings.runner)
    while runner.run_once():
        pass
    runner.close()
    store = TicketStore(settings.database_url)
    try:
        rows = store.list_tickets()
        assert sorted(r["message_id"] for r in rows) == ["sms:inbox-31", "sms:inbox-32"]
    finally:
        store.close()


# -- commands ------------------------------------------------------------------------------------------------
@pytest.fixture
def clean_env(monkeypatch):
    import os

    for k in list(os.environ):
        if k.startswith("JEMPUT_") and not k.startswith("JEMPUT_TEST_"):
            monkeypatch.delenv(k)


def test_harvest_once_and_status_commands(tmp_path, monkeypatch, clean_env):
    from pipeline.cli import cli

    with ReplayServer(FakeFeed(REPORTS)) as server:
        monkeypatch.setenv("JEMPUT_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("JEMPUT_HARVESTER__APP__URL", server.url + "/api/reports")
        monkeypatch.setenv("JEMPUT_HARVESTER__APP__TOKEN", "test-feed-token")
        monkeypatch.setenv("JEMPUT_HARVESTER__APP__ENABLED", "true")
        monkeypatch.setenv("JEMPUT_HARVESTER__TELEGRAM__BOT_TOKEN", BOT)
        monkeypatch.setenv("JEMPUT_HARVESTER__TELEGRAM__API_BASE_URL", "http://127.0.0.1:9")
        monkeypatch.setenv("JEMPUT_HARVESTER__TELEGRAM__LONG_POLL_S", "0")
        cli_runner = CliRunner()
        res = cli_runner.invoke(cli, ["harvest", "once", "app"])
        assert res.exit_code == 0, res.output
        assert "app: 1 page(s), 3 message(s), 1 rejected" in res.output
        res = cli_runner.invoke(cli, ["harvest", "once", "telegram"])
        assert res.exit_code == 1 and "ERROR (transient)" in res.output and BOT not in res.output
        res = cli_runner.invoke(cli, ["harvest", "once", "nope"])
        assert res.exit_code == 2 and "unknown source or channel 'nope'" in res.output
        res = cli_runner.invoke(cli, ["harvest", "once", "twitter"])
        assert res.exit_code == 3 and "bearer_token is not set" in res.output
        res = cli_runner.invoke(cli, ["harvest", "status", "--format", "json"])
        assert res.exit_code == 0, res.output
    rows = {r["source"]: r for r in json.loads(res.stdout)}  # (stdout only: log lines go to stderr)
    assert rows["app"]["enabled"] is True and rows["app"]["messages_total"] == 3
    assert rows["app"]["rejected_total"] == 1 and rows["app"]["consecutive_failures"] == 0
    assert rows["app"]["last_success_at"] and rows["app"]["cursor_age_s"] is not None
    assert rows["telegram"]["enabled"] is False and rows["telegram"]["consecutive_failures"] == 1
    assert "cannot connect" in rows["telegram"]["last_error"] and BOT not in rows["telegram"]["last_error"]
    assert rows["twitter"]["messages_total"] == 0 and rows["twitter"]["last_error"] is None
    res = CliRunner().invoke(cli, ["harvest", "status"])
    assert res.exit_code == 0 and res.stdout.splitlines()[0].split()[:3] == ["source", "enabled", "last_success"]
    app_line = next(line for line in res.stdout.splitlines() if line.startswith("app "))
    assert app_line.split()[1] == "yes"


def test_sources_registry_and_checks(tmp_path, clean_env):
    from config.settings import load_settings
    from harvester.errors import SourceError
    from harvester.sources import SOURCES, SourceUnavailable, UnknownSource, build, enabled_sources, resolve

    assert resolve("sms") == ["rest_inbox", "gammu"] and resolve("twitter") == ["twitter"]
    with pytest.raises(UnknownSource):
        resolve("fax")
    assert set(SOURCES) == {"twitter", "telegram", "app", "rest_inbox", "gammu", "email"}
    with ReplayServer(FakeFeed(REPORTS)) as server:
        s = load_settings(data_dir=tmp_path, harvester={
            "app": {"enabled": True, "url": server.url + "/api/reports", "token": "test-feed-token"},
            "telegram": {"enabled": True}})
        assert enabled_sources(s) == ["telegram", "app"]
        poller = build("app", s)
        assert poller.check().endswith("1 item(s) in a one-item page")
        assert server.requests[-1].query == {"limit": "1"}
    with pytest.raises(SourceError, match="bot_token is not set"):
        build("telegram", s)
    import harvester.sources as sources

    sources.SOURCES["ghost"] = "harvester.pollers.ghost_not_installed:build"
    try:
        with pytest.raises(SourceUnavailable, match="not part of this installation"):
            sources.load_builder("ghost")
    finally:
        del sources.SOURCES["ghost"]


def test_bot_token_stays_out_of_debug_logs(bot, cursors, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")
    caplog.set_level(logging.DEBUG, logger="urllib3.connectionpool")
    report, _ = run(tg_poller(bot), cursors)
    assert report.ok
    assert "getUpdates" in caplog.text  # urllib3 logged the request path ...
    assert BOT not in caplog.text and "test-bot-token" not in caplog.text  # ... without the token
