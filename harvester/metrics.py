"""Prometheus metrics of the harvester, per source and channel. Created on first use, never on import."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram


@dataclass(frozen=True)
class HarvestMetrics:
    messages: Counter
    rejected: Counter
    errors: Counter
    polls: Counter
    poll_seconds: Histogram
    last_success: Gauge
    last_attempt: Gauge
    consecutive_failures: Gauge
    lag_seconds: Gauge


@functools.cache
def harvest_metrics(registry: CollectorRegistry = REGISTRY) -> HarvestMetrics:
    return HarvestMetrics(
        messages=Counter("jemput_harvest_messages", "Messages produced on the raw topic (flushed).",
                         ["source", "channel"], registry=registry),
        rejected=Counter("jemput_harvest_rejected", "Provider records that could not become a message.",
                         ["source", "channel"], registry=registry),
        errors=Counter("jemput_harvest_errors", "Failed polls, by kind (transient, rate_limited, permanent, "
                       "unavailable, bug).", ["source", "channel", "kind"], registry=registry),
        polls=Counter("jemput_harvest_polls", "Polls (one or more pages each), by outcome.",
                      ["source", "channel", "outcome"], registry=registry),
        poll_seconds=Histogram("jemput_harvest_poll_seconds", "Duration of one poll, every page included.",
                               ["source"], registry=registry,
                               buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300)),
        last_success=Gauge("jemput_harvest_last_success_timestamp_seconds",
                           "Unix time of the last poll that ended without error.", ["source", "channel"],
                           registry=registry),
        last_attempt=Gauge("jemput_harvest_last_attempt_timestamp_seconds", "Unix time of the last poll.",
                           ["source", "channel"], registry=registry),
        consecutive_failures=Gauge("jemput_harvest_consecutive_failures",
                                   "Polls that failed in a row (0: healthy).", ["source", "channel"],
                                   registry=registry),
        lag_seconds=Gauge("jemput_harvest_lag_seconds",
                          "How far behind the provider the source is: received_at minus posted_at of the newest "
                          "message of the last poll.", ["source", "channel"], registry=registry),
    )
