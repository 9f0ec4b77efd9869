"""``jemput harvest run`` as a real process: sources on loopback HTTP, one of them failing, metrics and health over
HTTP, SIGTERM; and the cursor store on PostgreSQL next to the ticket store."""

from __future__ import annotations

import json
import signal
import socket
import threading
import urllib.request

from harvester.replay import ReplayServer, Reply, Request
from tests.helpers import jemput, jemput_env, start, wait_for

REPORTS = [
    {"id": 41, "description": "Got air mampet", "created_at": "2026-11-27T01:00:00Z", "lat": -6.21, "lng": 106.82,
     "user_id": "u-1"},
    {"id": 42, "description": "Jalan berlubang", "created_at": "2026-11-27T01:05:00Z", "user_id": "u-2"},
]


def feed(req: Request) -> Reply:
    since = int(req.query.get("since", 0))
    return Reply(200, {"data": [r for r in REPORTS if r["id"] > since]})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def sample(metrics: str, name: str, **labels: str) -> float | None:
    for line in metrics.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_harvest_run_keeps_going_past_a_failing_source_and_stops_on_sigterm(tmp_path):
    port, sms_port = free_port(), free_port()
    with ReplayServer(feed) as server:
        env = jemput_env(
            JEMPUT_DATA_DIR=str(tmp_path),
            JEMPUT_HARVESTER__APP__ENABLED="true",
            JEMPUT_HARVESTER__APP__URL=server.url + "/reports",
            JEMPUT_HARVESTER__APP__INTERVAL_S="0.3",
            JEMPUT_HARVESTER__APP__JITTER_S="0",
            # A source that cannot work: nothing listens on port 9.
            JEMPUT_HARVESTER__TELEGRAM__ENABLED="true",
            JEMPUT_HARVESTER__TELEGRAM__BOT_TOKEN="123:test-bot-token",
            JEMPUT_HARVESTER__TELEGRAM__API_BASE_URL="http://127.0.0.1:9",
            JEMPUT_HARVESTER__TELEGRAM__LONG_POLL_S="0",
            JEMPUT_HARVESTER__TELEGRAM__INTERVAL_S="0.3",
            JEMPUT_HARVESTER__TELEGRAM__JITTER_S="0",
            JEMPUT_HARVESTER__FAILURE_BACKOFF_MAX_S="1",
            JEMPUT_HARVESTER__SMS__ENABLED="true",
            JEMPUT_HARVESTER__SMS__PORT=str(sms_port),
            JEMPUT_HARVESTER__SMS__HMAC_SECRET="test-hmac-secret",
        )
        proc = start("harvest", "run", "--metrics-port", str(port), env=env, log=tmp_path / "run.log")
        try:
            base = f"http://127.0.0.1:{port}"

            def progressed() -> bool:
                try:
                    _, text = get(base + "/metrics")
                except OSError:
                    return False
                errors = sample(text, "jemput_harvest_errors_total", source="telegram", kind="transient") or 0
                polls = sample(text, "jemput_harvest_polls_total", source="app", outcome="ok") or 0
                return errors >= 2 and polls >= 3

            wait_for(progressed, 30, "the app polled and telegram failing, per /metrics")
            _, text = get(base + "/metrics")
            assert sample(text, "jemput_harvest_messages_total", source="app", channel="app") == 2.0
            assert sample(text, "jemput_harvest_consecutive_failures", source="telegram", channel="telegram") >= 2
            assert sample(text, "jemput_harvest_last_success_timestamp_seconds", source="app", channel="app") > 0
            code, body = get(base + "/healthz")
            health = json.loads(body)
            assert code == 200 and health["healthy"] is True  # one failing source is a warning, not down
            assert "cannot connect" in health["sources"]["telegram"]["last_error"]
            assert "test-bot-token" not in body
            assert health["sms_receiver"]["endpoints"] == ["/sms/json"]
            assert health["sources"]["app"]["last_poll_ok"] is True
        finally:
            proc.send_signal(signal.SIGTERM)
            rc = proc.wait(30)
    log = (tmp_path / "run.log").read_text()
    assert rc == 0, log
    assert "test-bot-token" not in log
    status = json.loads(jemput("harvest", "status", "--format", "json", env=env).stdout)
    rows = {r["source"]: r for r in status}
    assert rows["app"]["messages_total"] == 2 and rows["app"]["consecutive_failures"] == 0
    assert rows["telegram"]["consecutive_failures"] >= 2 and rows["telegram"]["messages_total"] == 0
    # The messages are on the embedded log's raw topic once each, whatever the number of polls.
    from pipeline.transport.embedded import EmbeddedTransport

    t = EmbeddedTransport(tmp_path / "log.sqlite3")
    try:
        keys = [r.key.decode() for r in t.read("complaints.raw.v1", limit=100)]
    finally:
        t.close()
    assert keys == ["app:41", "app:42"]


def test_harvest_run_without_sources_is_a_config_error(tmp_path):
    proc = jemput("harvest", "run", env=jemput_env(JEMPUT_DATA_DIR=str(tmp_path)), check=False, timeout=60)
    assert proc.returncode == 3 and "no source is enabled" in proc.stderr


def test_cursor_store_on_postgresql_next_to_the_ticket_store(fresh_postgres_url):
    from harvester.cursors import CursorStore
    from sink.store import TicketStore

    tickets = TicketStore(fresh_postgres_url)
    stores = [CursorStore(fresh_postgres_url) for _ in range(3)]
    try:
        errors: list[BaseException] = []

        def migrate(s: CursorStore) -> None:
            try:
                s.migrate()
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=migrate, args=(s,)) for s in stores]
        for th in threads:
            th.start()
        tickets.migrate()
        for th in threads:
            th.join(60)
        assert not errors
        store = stores[0]
        assert store.schema_revision() == "h0001" and tickets.schema_revision() == tickets.head_revision()
        store.save_page("twitter", "twitter", '{"v": 1}', messages=10)
        assert store.record_failure("twitter", "twitter", "x" * 5000) == 1
        st = store.state("twitter")
        assert st.cursor == '{"v": 1}' and st.messages_total == 10 and len(st.last_error) == 2000
        assert st.last_error_at.tzinfo is not None

        # Concurrent pages of two sources do not lose counts.
        def pages(name: str) -> None:
            for _ in range(20):
                store.save_page(name, "app", None, messages=1)

        ths = [threading.Thread(target=pages, args=(n,)) for n in ("a", "a", "b")]
        for th in ths:
            th.start()
        for th in ths:
            th.join(60)
        assert store.state("a").messages_total == 40 and store.state("b").messages_total == 20
    finally:
        for s in stores:
            s.close()
        tickets.close()



def test_harvest_run_with_the_twitter_stream_backfills_by_search_when_it_connects(tmp_path):
    from tests.unit.test_harvest_twitter import BEARER, FakeXStream, stream_line, tid, tweet

    fake = FakeXStream()
    fake.sessions = [[stream_line(tweet(201, "Banjir lagi di Jl. Contoh Timur", minute=1)), b"\r\n"]]
    port = free_port()
    with ReplayServer(fake) as server:
        env = jemput_env(
            JEMPUT_DATA_DIR=str(tmp_path),
            JEMPUT_HARVESTER__TWITTER__ENABLED="true",
            JEMPUT_HARVESTER__TWITTER__BEARER_TOKEN=BEARER,
            JEMPUT_HARVESTER__TWITTER__QUERIES='["banjir OR sampah"]',
            JEMPUT_HARVESTER__TWITTER__API_BASE_URL=server.url,
            JEMPUT_HARVESTER__TWITTER__STREAM="true",
            JEMPUT_HARVESTER__TWITTER__BACKFILL_HOURS="0",
            JEMPUT_HARVESTER__TWITTER__INTERVAL_S="3600",  # only the start and the stream's connects poll
            JEMPUT_HARVESTER__TWITTER__JITTER_S="0",
        )
        proc = start("harvest", "run", "--metrics-port", str(port), env=env, log=tmp_path / "run.log")
        try:
            def searched_again() -> bool:
                # The interval is an hour: a second search can only come from the stream's connects.
                searches = [r for r in server.requests if r.path == "/2/tweets/search/recent"]
                return any(r.query.get("since_id") == tid(105) for r in searches)

            wait_for(searched_again, 30, "a backfill search from the saved since_id when the stream connected")
            code, body = get(f"http://127.0.0.1:{port}/healthz")
            health = json.loads(body)
            assert code == 200 and health["twitter_stream"]["connects"] >= 2
            assert health["twitter_stream"]["tweets"] == 1 and BEARER not in body
        finally:
            proc.send_signal(signal.SIGTERM)
            rc = proc.wait(30)
    log = (tmp_path / "run.log").read_text()
    assert rc == 0, log
    assert BEARER not in log
    from pipeline.transport.embedded import EmbeddedTransport

    t = EmbeddedTransport(tmp_path / "log.sqlite3")
    try:
        keys = {r.key.decode() for r in t.read("complaints.raw.v1", limit=100)}
    finally:
        t.close()
    assert keys == {f"twitter:{tid(n)}" for n in (105, 90, 103, 102, 101, 201)}
