"""Twitter/X through tweepy (API v2): recent search for each configured query, and mentions of a city account.

Streams: every query in ``harvester.twitter.queries`` is one stream (``search:<query>``, GET
/2/tweets/search/recent) and ``mentions_of`` adds one more (``mentions:<user id>``, GET /2/users/:id/mentions).
Each :meth:`TwitterPoller.poll` makes exactly ONE request, for one page of one stream, and returns the cursor that
holds the position of every stream as JSON::

    {"v": 1,
     "streams": {"search:banjir jakarta": {"since_id": "1860...", "walk": {"next_token": "...", "newest_id": "...",
                                                                          "start_time": null}}},
     "round": ["search:banjir jakarta", "mentions:123"]}

A *walk* is the pagination of one stream from its ``since_id``: the API returns the newest tweets first and
``next_token`` leads to older ones, so ``since_id`` moves to the newest id of the walk's first page only when the
walk is complete (no ``next_token``). The *round* lists the streams still to visit in this poll; ``more`` stays
True until every stream finished its walk, so the runner follows pages up to its bound and the next poll resumes
exactly there. The runner saves the cursor after each flushed page, so a 429, a crash or a restart resumes at the
page that was not yet delivered: no gap (since_id has not moved past anything unseen) and no duplicate ids beyond
a page fetched again (the sink's idempotent write absorbs those).

429: tweepy's ``TooManyRequests`` carries ``x-rate-limit-reset`` (Unix time); the poll raises
:class:`~pipeline.errors.TransientError` with ``retry_after`` = reset - now (+1 s, the header has whole seconds).
An expired ``next_token`` (400) abandons the walk and restarts it from the stream's ``since_id``: tweets are
fetched again rather than skipped.

Tweets -> RawMessage: ``twitter:<tweet id>``; ``author_ref`` = keyed hash of the author id (stable, unlike the
handle); ``posted_at`` = created_at; ``lang``; ``reply_to`` = ``twitter:<id>`` of the tweet replied to; media URL
(photo ``url``, video ``preview_image_url``); GPS from the tweet's exact coordinates, else the centre of its place's
bounding box when that box is small (at most ~30 km from centre to corner: a city or less; a country is no
location). Pure retweets become their original tweet (``retweets = "original"``, so a retweeted complaint joins the
original's ticket) or are skipped (``"skip"``). Quotes are their own message; the quoted tweet is kept in ``raw``.
Tweets by the city account itself (``mentions_of``) are skipped. ``raw`` keeps the tweet, its place, media and
referenced tweets, never user objects or author ids.

The filtered stream (GET /2/tweets/search/stream) is the option ``harvester.twitter.stream``: see
:mod:`harvester.pollers.twitter_stream`; it reuses this module's client and tweet conversion, and this poller for
its backfill.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
import tweepy
from pydantic import ValidationError

from harvester.errors import SourceError
from harvester.pollers.base import Poller, PollResult, Rejected
from harvester.pollers.http import keep_out_of_logs, redact
from harvester.settings import Settings, author_hash_key
from pipeline.contract import MAX_TEXT_CHARS, RawMessage
from pipeline.errors import PermanentError, TransientError
from pipeline.privacy import author_ref

log = logging.getLogger("jemput.harvester.twitter")

TWEET_FIELDS = ["id", "text", "created_at", "lang", "author_id", "conversation_id", "geo", "referenced_tweets",
                "attachments", "note_tweet"]
EXPANSIONS = ["author_id", "geo.place_id", "attachments.media_keys", "referenced_tweets.id"]
USER_FIELDS = ["id", "username"]
PLACE_FIELDS = ["id", "full_name", "name", "country_code", "place_type", "geo"]
MEDIA_FIELDS = ["media_key", "type", "url", "preview_image_url"]
#: A place whose bounding box reaches farther than this from its centre gives no GPS (a country, a province).
MAX_PLACE_RADIUS_M = 30_000.0
CURSOR_VERSION = 1


class BaseUrlRequest:
    """tweepy's request with the host from the settings, a timeout and no debug log of the Authorization header.

    tweepy builds every URL from the fixed host ``https://api.twitter.com`` in ``BaseClient.request``; this
    override is the same request against ``api_base_url`` (a replay server in tests) with a timeout (tweepy sets
    none). It raises tweepy's own exceptions for the same statuses, so the rest of tweepy (parameter handling,
    ``return_type``) is unchanged.
    """

    api_base_url: str
    timeout_s: float
    bearer_token: str
    user_agent: str
    session: requests.Session

    def request(self, method: str, route: str, params: Any = None, json: Any = None,  # noqa: A002
                user_auth: bool = False) -> requests.Response:
        if user_auth:
            raise SourceError("twitter: only app-only (bearer token) authentication is supported")
        headers = {"User-Agent": self.user_agent, "Authorization": f"Bearer {self.bearer_token}"}
        log.debug("X API request: %s %s %s", method, route, params)
        response = self.session.request(method, self.api_base_url + route, params=params, json=json,
                                        headers=headers, timeout=self.timeout_s)
        with response:
            status = response.status_code
            if status == 400:
                raise tweepy.BadRequest(response)
            if status == 401:
                raise tweepy.Unauthorized(response)
            if status == 403:
                raise tweepy.Forbidden(response)
            if status == 404:
                raise tweepy.NotFound(response)
            if status == 429:
                reset = response.headers.get("x-rate-limit-reset")
                raise tweepy.TooManyRequests(response, reset_time=int(reset) if reset and reset.isdigit() else None)
            if status >= 500:
                raise tweepy.TwitterServerError(response)
            if not 200 <= status < 300:
                raise tweepy.HTTPException(response)
            return response


class TwitterClient(BaseUrlRequest, tweepy.Client):
    """tweepy's v2 Client pointed at ``api_base_url`` (see :class:`BaseUrlRequest`)."""

    def __init__(self, bearer_token: str, *, api_base_url: str = "https://api.twitter.com",
                 timeout_s: float = 20.0) -> None:
        tweepy.Client.__init__(self, bearer_token=bearer_token, return_type=dict, wait_on_rate_limit=False)
        keep_out_of_logs(bearer_token)
        self.api_base_url = api_base_url.rstrip("/")
        self.timeout_s = timeout_s


def _id_max(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if int(a) >= int(b) else b


class TwitterPoller(Poller):
    channel = "twitter"

    def __init__(
        self,
        name: str,
        client: tweepy.Client,
        *,
        hash_key: str,
        queries: list[str] | tuple[str, ...] = (),
        mentions_of: str | None = None,
        max_results: int = 100,
        retweets: str = "original",
        backfill_hours: float = 24.0,
        clock: Callable[[], float] = time.time,
        secrets: tuple[str, ...] = (),
    ) -> None:
        super().__init__(name)
        if not queries and not mentions_of:
            raise SourceError(f"{name}: no queries and no mentions_of: nothing to poll")
        if retweets not in ("original", "skip"):
            raise SourceError(f"{name}: retweets must be 'original' or 'skip', not {retweets!r}")
        self.client = client
        self.hash_key = hash_key
        self.queries = list(dict.fromkeys(queries))
        self.mentions_of = mentions_of
        self.max_results = max_results
        self.retweets = retweets
        self.backfill_hours = backfill_hours
        self._clock = clock
        self._secrets = secrets

    # -- streams and cursor ---------------------------------------------------------------------------
    def stream_keys(self) -> list[str]:
        keys = [f"search:{q}" for q in self.queries]
        if self.mentions_of:
            keys.append(f"mentions:{self.mentions_of}")
        return keys

    def _load(self, cursor: str | None) -> dict[str, Any]:
        state: dict[str, Any] = {"v": CURSOR_VERSION, "streams": {}, "round": []}
        if cursor:
            try:
                loaded = json.loads(cursor)
            except json.JSONDecodeError:
                loaded = None
            if isinstance(loaded, dict) and loaded.get("v") == CURSOR_VERSION:
                state["streams"] = dict(loaded.get("streams") or {})
                state["round"] = list(loaded.get("round") or [])
            else:
                raise SourceError(f"{self.name}: unreadable cursor {cursor[:80]!r}; reset it with "
                                  f"'jemput harvest reset {self.name}'")
        keys = self.stream_keys()
        # A query removed from the settings loses its position; a new one starts with no since_id.
        state["streams"] = {k: v for k, v in state["streams"].items() if k in keys}
        state["round"] = [k for k in state["round"] if k in keys]
        return state

    # -- one page -------------------------------------------------------------------------------------
    def poll(self, cursor: str | None) -> PollResult:
        state = self._load(cursor)
        if not state["round"]:
            state["round"] = self.stream_keys()
        key = state["round"][0]
        stream = dict(state["streams"].get(key) or {})
        since_id: str | None = stream.get("since_id")
        walk: dict[str, Any] | None = stream.get("walk")
        start_time: str | None = None
        if walk:
            start_time = walk.get("start_time")
        elif since_id is None and self.backfill_hours > 0:
            start = datetime.fromtimestamp(self._clock(), UTC) - timedelta(hours=self.backfill_hours)
            # Recent search refuses a start_time older than 7 days (and needs it at least 10 s in the past).
            start_time = start.strftime("%Y-%m-%dT%H:%M:%SZ")
        token = walk.get("next_token") if walk else None

        try:
            body = self._fetch(key, since_id=since_id, token=token, start_time=start_time)
        except tweepy.TooManyRequests as exc:
            retry_after = None
            if exc.reset_time is not None:
                retry_after = max(0.0, exc.reset_time - self._clock()) + 1.0
            remaining = exc.response.headers.get("x-rate-limit-remaining") if exc.response is not None else None
            raise TransientError(f"{self.name}: rate limited on {key!r} (remaining {remaining}, reset "
                                 f"{exc.reset_time})", retry_after=retry_after) from None
        except tweepy.BadRequest as exc:
            if walk:
                log.warning("%s: %s: the API refused the pagination token (%s); restarting the walk from since_id "
                            "%s (tweets may be fetched again, none skipped)", self.name, key, _api_message(exc),
                            since_id)
                stream.pop("walk", None)
                state["streams"][key] = stream
                return PollResult(cursor=self._dump(state), more=True)
            raise PermanentError(f"{self.name}: {key!r} refused: {_api_message(exc)}") from None
        except (tweepy.Unauthorized, tweepy.Forbidden) as exc:
            raise SourceError(f"{self.name}: credentials refused ({_api_message(exc)}); check "
                              f"harvester.twitter.bearer_token") from None
        except tweepy.TwitterServerError as exc:
            raise TransientError(f"{self.name}: X API server error {_api_message(exc)}") from None
        except tweepy.HTTPException as exc:
            raise PermanentError(f"{self.name}: X API error {_api_message(exc)}") from None
        except requests.Timeout:
            raise TransientError(f"{self.name}: X API did not answer in time") from None
        except requests.RequestException as exc:
            raise TransientError(redact(f"{self.name}: cannot reach the X API: {exc}", self._secrets)) from None
        except ValueError as exc:  # the body was not JSON
            raise TransientError(f"{self.name}: X API answered with something that is not JSON: {exc}") from None

        if not isinstance(body, dict):
            raise TransientError(f"{self.name}: X API answered with a {type(body).__name__}, not an object")
        meta = body.get("meta") or {}
        if (not isinstance(meta, dict) or not (meta.get("newest_id") is None or _is_id(meta.get("newest_id")))
                or not (meta.get("next_token") is None or isinstance(meta.get("next_token"), str))):
            raise TransientError(f"{self.name}: X API answer without a readable 'meta': {str(meta)[:100]}")
        messages, rejected = self._messages(key, body)

        next_token = meta.get("next_token")
        if next_token:
            stream["walk"] = {
                "next_token": next_token,
                "newest_id": (walk or {}).get("newest_id") or meta.get("newest_id"),
                "start_time": start_time,
            }
        else:
            newest = (walk or {}).get("newest_id") or meta.get("newest_id")
            stream["since_id"] = _id_max(since_id, newest)
            stream.pop("walk", None)
            state["round"].pop(0)
        state["streams"][key] = stream
        return PollResult(messages=messages, cursor=self._dump(state), more=bool(state["round"]),
                          rejected=rejected)

    @staticmethod
    def _dump(state: dict[str, Any]) -> str:
        return json.dumps(state, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def _fetch(self, key: str, *, since_id: str | None, token: str | None, start_time: str | None) -> Any:
        common: dict[str, Any] = {
            "expansions": EXPANSIONS, "tweet_fields": TWEET_FIELDS, "user_fields": USER_FIELDS,
            "place_fields": PLACE_FIELDS, "media_fields": MEDIA_FIELDS, "max_results": self.max_results,
        }
        if since_id:
            common["since_id"] = since_id
        if start_time:
            common["start_time"] = start_time
        kind, _, arg = key.partition(":")
        if kind == "search":
            if token:
                common["next_token"] = token
            return self.client.search_recent_tweets(arg, **common)
        if token:
            common["pagination_token"] = token
        return self.client.get_users_mentions(arg, **common)

    # -- tweets -> messages ---------------------------------------------------------------------------
    def _messages(self, key: str, body: dict[str, Any]) -> tuple[list[RawMessage], list[Rejected]]:
        includes = _dict(body.get("includes"))
        tweets_by_id = {t.get("id"): t for t in _list(includes.get("tweets")) if isinstance(t, dict)}
        places = {p.get("id"): p for p in _list(includes.get("places")) if isinstance(p, dict)}
        media = {m.get("media_key"): m for m in _list(includes.get("media")) if isinstance(m, dict)}
        out: dict[str, RawMessage] = {}
        rejected: list[Rejected] = []
        for tweet in _list(body.get("data")):
            ref = f"tweet {tweet.get('id') if isinstance(tweet, dict) else '?'}"
            try:
                msg = self._message(key, tweet, tweets_by_id, places, media)
            except (ValueError, TypeError, KeyError, OverflowError, ValidationError) as exc:
                rejected.append(Rejected(ref, _short(exc)))
                continue
            if msg is not None and msg.message_id not in out:
                out[msg.message_id] = msg
        return list(out.values()), rejected

    def _message(self, key: str, tweet: Any, tweets_by_id: dict, places: dict, media: dict) -> RawMessage | None:
        if not _is_tweet(tweet):
            raise ValueError("not a tweet with a numeric id and a text")
        refs = _refs(tweet)
        via_retweet = None
        if "retweeted" in refs:
            if self.retweets == "skip":
                return None
            original = tweets_by_id.get(refs["retweeted"])
            if not _is_tweet(original):
                log.debug("%s: retweet %s: original %s not in includes; skipped", self.name, tweet["id"],
                          refs["retweeted"])
                return None
            via_retweet = tweet["id"]
            tweet = original
            refs = _refs(tweet)
        author_id = tweet.get("author_id")
        if self.mentions_of and str(author_id) == str(self.mentions_of):
            return None  # the city account's own tweet (an answer), not a complaint
        note = tweet.get("note_tweet")
        text = note.get("text") if isinstance(note, dict) and isinstance(note.get("text"), str) else tweet["text"]
        text = text[:MAX_TEXT_CHARS]
        posted_at = None
        if tweet.get("created_at"):
            posted_at = datetime.fromisoformat(str(tweet["created_at"]).replace("Z", "+00:00"))
            if posted_at.tzinfo is None:
                posted_at = posted_at.replace(tzinfo=UTC)
        place_id = _dict(tweet.get("geo")).get("place_id")
        place = places.get(place_id) if isinstance(place_id, str) else None
        gps = _gps(tweet, place)
        media_urls = []
        tweet_media = []
        for mk in _list(_dict(tweet.get("attachments")).get("media_keys")):
            m = media.get(mk) if isinstance(mk, str) else None
            if not m:
                continue
            tweet_media.append(m)
            url = m.get("url") or m.get("preview_image_url")
            if isinstance(url, str) and url:
                media_urls.append(url)
        raw: dict[str, Any] = {"source": self.name, "stream": key, "tweet": _strip(tweet)}
        if place:
            raw["place"] = place
        if tweet_media:
            raw["media"] = tweet_media
        if "quoted" in refs and _is_tweet(tweets_by_id.get(refs["quoted"])):
            raw["quoted"] = _strip(tweets_by_id[refs["quoted"]])
        if via_retweet:
            raw["via_retweet"] = via_retweet
        return RawMessage(
            message_id=f"twitter:{tweet['id']}",
            channel="twitter",
            posted_at=posted_at,
            text=text,
            author_ref=author_ref(self.hash_key, "twitter", str(author_id)) if _is_id(author_id) else None,
            reply_to=f"twitter:{refs['replied_to']}" if _is_id(refs.get("replied_to")) else None,
            gps=gps,
            media=tuple(media_urls),
            lang=tweet.get("lang") if isinstance(tweet.get("lang"), str) else None,
            raw=raw,
        )

    def check(self) -> str:
        body = self._fetch(self.stream_keys()[0], since_id=None, token=None, start_time=None)
        count = (body.get("meta") or {}).get("result_count") if isinstance(body, dict) else None
        return f"X API reachable; {len(self.stream_keys())} stream(s); first returned {count} tweet(s)"

    def close(self) -> None:
        self.client.session.close()


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and value.isascii() and value.isdigit()


def _is_tweet(value: Any) -> bool:
    return isinstance(value, dict) and _is_id(value.get("id")) and isinstance(value.get("text"), str)


def _refs(tweet: dict[str, Any]) -> dict[str, str]:
    return {r["type"]: r["id"] for r in _list(tweet.get("referenced_tweets"))
            if isinstance(r, dict) and isinstance(r.get("type"), str) and _is_id(r.get("id"))}


def _strip(tweet: dict[str, Any]) -> dict[str, Any]:
    """The tweet without who wrote it (author_ref carries that, keyed)."""
    return {k: v for k, v in tweet.items() if k not in ("author_id", "in_reply_to_user_id")}


def _gps(tweet: dict[str, Any], place: dict[str, Any] | None) -> dict[str, float] | None:
    coords = _dict(_dict(tweet.get("geo")).get("coordinates")).get("coordinates")
    if isinstance(coords, list) and len(coords) == 2 and all(_num(c) for c in coords):
        lon, lat = float(coords[0]), float(coords[1])
        if -90 <= lat <= 90 and -180 <= lon <= 180:
            return {"lat": lat, "lon": lon}
    bbox = _dict(_dict(place).get("geo")).get("bbox")
    if isinstance(bbox, list) and len(bbox) == 4 and all(_num(c) for c in bbox):
        west, south, east, north = (float(c) for c in bbox)
        lat, lon = (south + north) / 2, (west + east) / 2
        radius = _haversine_m(lat, lon, north, east)
        if radius <= MAX_PLACE_RADIUS_M and -90 <= lat <= 90 and -180 <= lon <= 180:
            return {"lat": lat, "lon": lon, "accuracy_m": round(radius, 1)}
    return None


def _haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(a)))


def _api_message(exc: tweepy.HTTPException) -> str:
    status = getattr(exc.response, "status_code", "?")
    msgs = "; ".join(str(m) for m in (exc.api_messages or [])[:3])
    return f"HTTP {status}" + (f": {msgs[:300]}" if msgs else "")


def _short(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
    return f"{type(exc).__name__}: {exc}"[:300]


def build(settings: Settings) -> TwitterPoller:
    tw = settings.harvester.twitter
    if tw.bearer_token is None or not tw.bearer_token.get_secret_value():
        raise SourceError("twitter: harvester.twitter.bearer_token is not set (JEMPUT_HARVESTER__TWITTER__BEARER_TOKEN)")
    if not tw.queries and not tw.mentions_of:
        raise SourceError("twitter: set harvester.twitter.queries and/or harvester.twitter.mentions_of")
    token = tw.bearer_token.get_secret_value()
    client = TwitterClient(token, api_base_url=tw.api_base_url, timeout_s=tw.timeout_s)
    return TwitterPoller("twitter", client, hash_key=author_hash_key(settings), queries=tw.queries,
                         mentions_of=tw.mentions_of, max_results=tw.max_results, retweets=tw.retweets,
                         backfill_hours=tw.backfill_hours, secrets=(token,))
