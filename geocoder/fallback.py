"""The geocoding-service fallback: ask Nominatim or Photon (through geopy) for what the gazetteer cannot place.

Used only when ``geocoder.service.enabled`` is set (off by default: no network traffic), and only for a message the
gazetteer placed no better than a kota, and only when the text has a phrase worth asking about
(:func:`query_phrase`): a street ("Jl. Haji Sarimun", "jalan mandor hasan"), a halte or station ("halte X"), or a
place after "di" / "depan" / "dekat" written with capitals ("depan Pasar Rumput"). The query sent is
``"<phrase>, Jakarta"``.

- **Bounded to Jakarta**: Nominatim gets ``viewbox`` = :data:`JAKARTA_VIEWBOX` with ``bounded=1`` and
  ``countrycodes=id``; Photon gets the same box as ``bbox``.
- **Snapped**: the answer's point must lie in (or within the boundary tolerance of) a kelurahan polygon of the
  pack; it then gets that kelurahan's codes, precision "street" (a street phrase) or "place", method
  "geocoding_service". An answer outside DKI is dropped.
- **Rate limited**: geopy's :class:`~geopy.extra.rate_limiter.RateLimiter` keeps ``min_delay_s`` between requests
  (one a second for public Nominatim) and retries ``max_retries`` times; a request that still fails gives no place
  for that message (and is not cached, so a later message may try again).
- **Cached**: every answer, "not found" included, is kept in an SQLite file (``<data_dir>/geocode_cache.sqlite3``)
  by provider and normalised query for ``cache_days``; a cached query never reaches the network.
- **Timeouts**: ``timeout_s`` per request.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from geocoder.gazetteer import Gazetteer
from geocoder.matcher import location_for
from pipeline.contract import Location

log = logging.getLogger(__name__)

__all__ = ["JAKARTA_VIEWBOX", "GeocodingService", "Query", "ResultCache", "query_phrase"]

#: (west, south, east, north) around mainland DKI Jakarta, in degrees.
JAKARTA_VIEWBOX: Final = (106.68, -6.38, 106.98, -6.08)

_STREET = re.compile(
    r"\b(?:jl|jln|jalan|gg|gang)\b\.?\s*((?:[A-Za-z0-9'.-]+\s*){1,5})",
    re.IGNORECASE,
)
_STOP = re.compile(
    r"\s+(?:no|nomor|rt|rw|kel|kec|kelurahan|kecamatan|dekat|depan|arah|dan|yang|yg|di|ke|dari|sampai|sampe|"
    r"jakarta|jaksel|jakbar|jaktim|jakut|jakpus|banjir|macet|rusak|mati|tumbang|sudah|masih|ada|itu|ini)\b.*$",
    re.IGNORECASE,
)
_PLACE = re.compile(r"\b(?:halte|stasiun)\s+((?:[A-Z0-9][\w'.-]*\s*){1,4})")
_CAPITALISED = re.compile(r"\b(?:di|depan|dekat|sekitar|seberang)\s+((?:[A-Z][\w'.-]+\s*){1,4})")


@dataclass(frozen=True)
class Query:
    phrase: str
    span: tuple[int, int]
    kind: str  # "street" or "place"

    @property
    def text(self) -> str:
        return f"{self.phrase}, Jakarta"


def _clean(raw: str) -> str:
    """``raw`` up to the first stop word, without trailing punctuation: a prefix of ``raw``."""
    stop = _STOP.search(raw)
    return (raw[: stop.start()] if stop else raw).rstrip(" .,-\n\t")


def query_phrase(text: str, max_chars: int = 5_000) -> Query | None:
    """The phrase of ``text`` worth asking a geocoding service about, or None."""
    text = text[:max_chars]
    for pattern, kind, prefix in ((_STREET, "street", "Jalan "), (_PLACE, "place", ""), (_CAPITALISED, "place", "")):
        for m in pattern.finditer(text):
            phrase = _clean(m.group(1))
            if len(phrase.replace(" ", "")) < 4:
                continue
            start = m.start(1)
            return Query(prefix + " ".join(phrase.split()), (start, start + len(phrase)), kind)
    return None


class ResultCache:
    """Answers of the service by (provider, query), in SQLite. Thread-safe."""

    def __init__(self, path: Path, max_age_s: float) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.max_age_s = max_age_s
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS answers (provider TEXT NOT NULL, query TEXT NOT NULL, answer TEXT, "
            "stored_at REAL NOT NULL, PRIMARY KEY (provider, query))"
        )

    def get(self, provider: str, query: str) -> tuple[bool, dict[str, float] | None]:
        """(found in the cache, the answer: {"lat", "lon"} or None for "not found")."""
        with self._lock:
            row = self._db.execute(
                "SELECT answer, stored_at FROM answers WHERE provider = ? AND query = ?", (provider, query)
            ).fetchone()
        if row is None or time.time() - row[1] > self.max_age_s:
            return False, None
        return True, (json.loads(row[0]) if row[0] is not None else None)

    def put(self, provider: str, query: str, answer: dict[str, float] | None) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO answers (provider, query, answer, stored_at) VALUES (?, ?, ?, ?)",
                (provider, query, json.dumps(answer) if answer is not None else None, time.time()),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()


class GeocodingService:
    """geopy geocoder + rate limiter + cache + snapping to the pack's kelurahan polygons."""

    def __init__(
        self,
        gazetteer: Gazetteer,
        *,
        provider: str,
        url: str,
        user_agent: str,
        timeout_s: float,
        min_delay_s: float,
        max_retries: int,
        cache: ResultCache,
        tolerance_m: float = 100.0,
    ) -> None:
        from geopy.extra.rate_limiter import RateLimiter
        from geopy.geocoders import Nominatim, Photon

        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError(f"geocoding service url must be http(s)://host[:port][/path], got {url!r}")
        domain = parts.netloc + parts.path.rstrip("/")
        self.provider = provider
        self.gazetteer = gazetteer
        self.cache = cache
        self.tolerance_m = tolerance_m
        self.requests = 0
        west, south, east, north = JAKARTA_VIEWBOX
        geocoder: Any
        if provider == "nominatim":
            geocoder = Nominatim(domain=domain, scheme=parts.scheme, user_agent=user_agent, timeout=timeout_s)
            self._kwargs: dict[str, Any] = {
                "exactly_one": True,
                "viewbox": [(north, west), (south, east)],
                "bounded": True,
                "country_codes": "id",
            }
        elif provider == "photon":
            geocoder = Photon(domain=domain, scheme=parts.scheme, user_agent=user_agent, timeout=timeout_s)
            self._kwargs = {"exactly_one": True, "bbox": [(south, west), (north, east)]}
        else:
            raise ValueError(f"unknown geocoding provider {provider!r} (nominatim or photon)")
        self._lock = threading.Lock()
        self._geocode: Callable[..., Any] = RateLimiter(
            geocoder.geocode,
            min_delay_seconds=min_delay_s,
            max_retries=max_retries,
            error_wait_seconds=max(min_delay_s, 0.1),
            swallow_exceptions=False,
        )

    def _ask(self, query: str) -> tuple[bool, dict[str, float] | None]:
        """(answered, answer). Network errors and timeouts give (False, None)."""
        from geopy.exc import GeopyError

        with self._lock:  # one request at a time keeps the rate limit honest across threads
            self.requests += 1
            try:
                found = self._geocode(query, **self._kwargs)
            except (GeopyError, OSError, ValueError) as exc:
                log.warning("geocoding service: %r failed: %s", query, exc)
                return False, None
        if found is None:
            return True, None
        return True, {"lat": float(found.latitude), "lon": float(found.longitude)}

    def locate(self, text: str, max_chars: int = 5_000) -> Location | None:
        """A Location from the service for ``text``, or None (nothing to ask, not found, outside DKI, failure)."""
        query = query_phrase(text, max_chars)
        if query is None:
            return None
        key = " ".join(query.text.lower().split())
        cached, answer = self.cache.get(self.provider, key)
        if not cached:
            answered, answer = self._ask(query.text)
            if not answered:
                return None
            self.cache.put(self.provider, key, answer)
        if answer is None:
            return None
        lat, lon = answer["lat"], answer["lon"]
        area = self.gazetteer.area_at(lat, lon, self.tolerance_m)
        if area is None:
            return None
        start, end = query.span
        return location_for(
            self.gazetteer,
            area,
            precision=query.kind,
            lat=lat,
            lon=lon,
            matched_text=text[start:end],
            span=(start, end),
            method="geocoding_service",
        )
