"""The X API v2 filtered stream (``harvester.twitter.stream``), next to the recent-search poller.

``TwitterStream`` keeps jemput's stream rules equal to ``harvester.twitter.queries`` (rules tagged
``stream_rule_tag``; rules with other tags are left alone), connects to GET /2/tweets/search/stream with the same
expansions and fields as the poller, and puts every tweet on the raw topic at once: produce, flush, then record it
(source ``twitter_stream`` in the cursor store, cursor = the newest tweet id seen). Conversion is the poller's
(:meth:`TwitterPoller._messages`), so a streamed tweet and the same tweet found by search have the same message id.

Reconnects are tweepy's (``StreamingClient``: immediately after a clean close, growing waits after network and HTTP
errors, as the X API asks). The stream cannot replay what it missed while disconnected, so every (re)connect, and
every tweet that could not be flushed, calls ``on_gap`` — ``harvest run`` makes that an immediate recent-search
poll of the ``twitter`` source, whose per-query ``since_id`` predates the gap: the backfill window is "since the
last completed poll", bounded by its ``max_pages``. Tweets found both ways keep one ticket.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import tweepy
import tweepy.streaming

from harvester.cursors import CursorStore
from harvester.errors import SourceError
from harvester.metrics import HarvestMetrics, harvest_metrics
from harvester.pollers.http import keep_out_of_logs
from harvester.pollers.twitter import (
    EXPANSIONS,
    MEDIA_FIELDS,
    PLACE_FIELDS,
    TWEET_FIELDS,
    USER_FIELDS,
    BaseUrlRequest,
    TwitterPoller,
)
from harvester.settings import Settings
from pipeline import topics
from pipeline.contract import SCHEMA_VERSION, encode
from pipeline.errors import PermanentError
from pipeline.transport.base import Producer, Transport

log = logging.getLogger("jemput.harvester.twitter_stream")

SOURCE = "twitter_stream"


class TwitterStreamClient(BaseUrlRequest, tweepy.StreamingClient):
    """tweepy's StreamingClient against ``api_base_url``; its callbacks go to a :class:`TwitterStream`."""

    def __init__(self, bearer_token: str, owner: TwitterStream, *, api_base_url: str, timeout_s: float) -> None:
        tweepy.StreamingClient.__init__(self, bearer_token, return_type=dict, daemon=True)
        keep_out_of_logs(bearer_token)
        self.api_base_url = api_base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.owner = owner

    def _connect(self, method: str, endpoint: str, **kwargs: Any) -> None:
        self.session.headers["Authorization"] = f"Bearer {self.bearer_token}"
        tweepy.streaming.BaseStream._connect(self, method, f"{self.api_base_url}/2/tweets/{endpoint}/stream",
                                             **kwargs)

    def on_connect(self) -> None:
        self.owner.connected()

    def on_data(self, raw_data: bytes) -> None:
        self.owner.data(raw_data)

    def on_keep_alive(self) -> None:
        self.owner.last_keep_alive = time.time()

    def on_connection_error(self) -> None:
        self.owner.disconnected("connection error")

    def on_request_error(self, status_code: int) -> None:
        self.owner.disconnected(f"HTTP {status_code}")

    def on_closed(self, response: Any) -> None:
        self.owner.disconnected("closed by the server")

    def on_exception(self, exception: Exception) -> None:
        self.owner.disconnected(f"{type(exception).__name__}: {exception}")


class TwitterStream:
    def __init__(
        self,
        converter: TwitterPoller,
        transport: Transport,
        cursors: CursorStore,
        *,
        bearer_token: str,
        api_base_url: str = "https://api.twitter.com",
        timeout_s: float = 20.0,
        queries: list[str] | tuple[str, ...] = (),
        rule_tag: str = "jemput",
        on_gap: Callable[[], None] | None = None,
        metrics: HarvestMetrics | None = None,
        name: str = SOURCE,
    ) -> None:
        if not queries:
            raise SourceError("twitter stream: no queries to make rules of")
        self.name = name
        self.converter = converter
        self.transport = transport
        self.cursors = cursors
        self.queries = list(dict.fromkeys(queries))
        self.rule_tag = rule_tag
        self.on_gap = on_gap
        self.metrics = metrics or harvest_metrics()
        self.client = TwitterStreamClient(bearer_token, self, api_base_url=api_base_url, timeout_s=timeout_s)
        self._producer: Producer | None = None
        self._lock = threading.Lock()
        self.connects = 0
        self.tweets = 0
        self.connected_since: datetime | None = None
        self.last_keep_alive: float | None = None
        self.last_error: str | None = None
        self._thread: threading.Thread | None = None

    # -- rules ----------------------------------------------------------------------------------------
    def sync_rules(self) -> dict[str, list[str]]:
        """Make jemput's rules (by tag) equal to the queries. Returns what was added and deleted."""
        try:
            current = self.client.get_rules()
        except tweepy.HTTPException as exc:
            raise SourceError(f"twitter stream: cannot read the stream rules: {exc}") from None
        data = current.get("data") if isinstance(current, dict) else None
        ours = [r for r in data or [] if isinstance(r, dict) and r.get("tag") == self.rule_tag]
        stale = [r["id"] for r in ours if r.get("value") not in self.queries]
        have = {r.get("value") for r in ours}
        missing = [q for q in self.queries if q not in have]
        try:
            if stale:
                self.client.delete_rules(stale)
            if missing:
                self.client.add_rules([tweepy.StreamRule(value=q, tag=self.rule_tag) for q in missing])
        except tweepy.HTTPException as exc:
            raise SourceError(f"twitter stream: cannot change the stream rules: {exc}") from None
        log.info("twitter stream rules: %d kept, %d added, %d deleted", len(ours) - len(stale), len(missing),
                 len(stale))
        return {"added": missing, "deleted": stale}

    # -- lifecycle ------------------------------------------------------------------------------------
    def start(self) -> TwitterStream:
        self.sync_rules()
        self._thread = self.client.filter(threaded=True, expansions=EXPANSIONS, tweet_fields=TWEET_FIELDS,
                                          user_fields=USER_FIELDS, place_fields=PLACE_FIELDS,
                                          media_fields=MEDIA_FIELDS)
        return self

    def stop(self, timeout_s: float = 30.0) -> bool:
        """Disconnect (after the tweet in hand) and wait for the stream thread; False if it did not end in time
        (it may be in one of tweepy's reconnect waits; it is a daemon thread and delivers nothing more)."""
        self.client.disconnect()
        done = True
        if self._thread is not None:
            self._thread.join(timeout_s)
            done = not self._thread.is_alive()
        with self._lock:
            if self._producer is not None:
                try:
                    self._producer.close()
                except Exception as exc:  # noqa: BLE001
                    log.warning("twitter stream: closing the producer: %s", exc)
                self._producer = None
        return done

    # -- callbacks (the stream thread) ----------------------------------------------------------------
    def connected(self) -> None:
        self.connects += 1
        self.connected_since = datetime.now(UTC)
        log.info("twitter stream connected (connection %d)", self.connects)
        self._gap()

    def disconnected(self, why: str) -> None:
        self.connected_since = None
        self.last_error = why
        log.warning("twitter stream: %s; tweepy reconnects", why)
        self.metrics.errors.labels(self.name, "twitter", "transient").inc()
        try:
            self.cursors.record_failure(self.name, "twitter", f"stream: {why}")
        except Exception as exc:  # noqa: BLE001 - the stream goes on; the failure is logged
            log.warning("twitter stream: cannot record the failure: %s", exc)

    def _gap(self) -> None:
        if self.on_gap is not None:
            try:
                self.on_gap()
            except Exception as exc:  # noqa: BLE001
                log.warning("twitter stream: backfill trigger failed: %s", exc)

    def data(self, raw: bytes) -> None:
        try:
            body = json.loads(raw)
        except ValueError:
            log.warning("twitter stream: a line that is not JSON (%d bytes)", len(raw))
            return
        if not isinstance(body, dict):
            return
        if "data" not in body:
            if body.get("errors"):
                self.last_error = f"stream message: {json.dumps(body['errors'])[:300]}"
                log.warning("twitter stream: %s", self.last_error)
            return
        page = {"data": [body["data"]], "includes": body.get("includes") or {}}
        messages, rejected = self.converter._messages("stream", page)
        with self._lock:
            try:
                if self._producer is None:
                    self.transport.ensure_topics([topics.RAW])
                    self._producer = self.transport.producer()
                producer = self._producer
                for msg in messages:
                    headers = [(topics.H_SCHEMA, str(SCHEMA_VERSION).encode()),
                               (topics.H_TRACE, (msg.trace_id or msg.message_id).encode())]
                    producer.send(topics.RAW, encode(msg), key=msg.message_id.encode(), headers=headers)
                producer.flush()
            except Exception as exc:  # noqa: BLE001 - the poll behind on_gap fetches this tweet again
                self._producer = None
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("twitter stream: could not deliver tweet %s (%s); asking for a backfill",
                            body["data"].get("id") if isinstance(body["data"], dict) else "?", exc)
                self.metrics.errors.labels(self.name, "twitter",
                                           "permanent" if isinstance(exc, PermanentError) else "unavailable").inc()
                try:
                    self.cursors.record_failure(self.name, "twitter", self.last_error)
                except Exception:  # noqa: BLE001
                    pass
                self._gap()
                return
        self.tweets += len(messages)
        tid = body["data"].get("id") if isinstance(body["data"], dict) else None
        cursor = json.dumps({"newest_id": tid}) if isinstance(tid, str) else None
        try:
            self.cursors.save_page(self.name, "twitter", cursor, messages=len(messages), rejected=len(rejected))
        except Exception as exc:  # noqa: BLE001 - the tweets are delivered; only the statistics are behind
            log.warning("twitter stream: cannot record the delivery: %s", exc)
        self.metrics.messages.labels(self.name, "twitter").inc(len(messages))
        self.metrics.last_success.labels(self.name, "twitter").set(time.time())
        if rejected:
            self.metrics.rejected.labels(self.name, "twitter").inc(len(rejected))

    def status(self) -> dict[str, Any]:
        return {
            "connected": self.connected_since is not None,
            "connected_since": self.connected_since.isoformat() if self.connected_since else None,
            "connects": self.connects,
            "tweets": self.tweets,
            "last_error": self.last_error,
            "rules": self.queries,
        }


def build_stream(settings: Settings, transport: Transport, cursors: CursorStore,
                 on_gap: Callable[[], None] | None = None) -> TwitterStream:
    from harvester.pollers.twitter import build as build_poller

    tw = settings.harvester.twitter
    converter = build_poller(settings)  # checks the token and the queries
    if not tw.queries:
        raise SourceError("twitter: harvester.twitter.stream needs harvester.twitter.queries (the stream's rules)")
    assert tw.bearer_token is not None
    return TwitterStream(converter, transport, cursors, bearer_token=tw.bearer_token.get_secret_value(),
                         api_base_url=tw.api_base_url, timeout_s=tw.timeout_s, queries=tw.queries,
                         rule_tag=tw.stream_rule_tag, on_gap=on_gap)
