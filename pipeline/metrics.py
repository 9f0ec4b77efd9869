"""Prometheus metrics per stage and channel, and a tiny HTTP server for /metrics and /healthz.

Metrics are created on first use (nothing happens on import) in a registry that is global to the process, so
several stages in one process share it and label their series with ``stage``.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)


@dataclass(frozen=True)
class StageMetrics:
    messages_in: Counter
    messages_out: Counter
    messages_failed: Counter
    retries: Counter
    batch_seconds: Histogram
    end_to_end_seconds: Histogram
    lag: Gauge
    last_commit: Gauge


@functools.cache
def stage_metrics(registry: CollectorRegistry = REGISTRY) -> StageMetrics:
    return StageMetrics(
        messages_in=Counter("jemput_messages_in", "Records taken from the input topic.", ["stage", "channel"],
                            registry=registry),
        messages_out=Counter("jemput_messages_out", "Messages produced or written.", ["stage", "channel"],
                             registry=registry),
        messages_failed=Counter("jemput_messages_failed", "Messages dead-lettered, by kind.", ["stage", "channel", "kind"],
                                registry=registry),
        retries=Counter("jemput_retries", "Retry attempts after transient errors.", ["stage"], registry=registry),
        batch_seconds=Histogram("jemput_batch_seconds", "Time to process, produce and commit one batch.", ["stage"],
                                registry=registry),
        end_to_end_seconds=Histogram(
            "jemput_end_to_end_seconds", "received_at to the end of this stage.", ["stage"], registry=registry,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600),
        ),
        lag=Gauge("jemput_consumer_lag", "Records on the input topic not yet committed.", ["stage"], registry=registry),
        last_commit=Gauge("jemput_last_commit_timestamp_seconds", "Unix time of the last commit.", ["stage"],
                          registry=registry),
    )


class HealthServer:
    """Serves ``/metrics`` (Prometheus text format) and ``/healthz`` (JSON; 200 when healthy, 503 when not)."""

    def __init__(self, host: str, port: int, health: Callable[[], dict], registry: CollectorRegistry = REGISTRY) -> None:
        registry_ = registry
        health_ = health

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server API
                if self.path.split("?")[0] == "/metrics":
                    body = generate_latest(registry_)
                    self._send(200, CONTENT_TYPE_LATEST, body)
                elif self.path.split("?")[0] in ("/healthz", "/health"):
                    state = health_()
                    code = 200 if state.get("healthy") else 503
                    self._send(code, "application/json", json.dumps(state, default=str).encode())
                else:
                    self._send(404, "text/plain", b"not found\n")

            def _send(self, code: int, ctype: str, body: bytes) -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.address = self._server.server_address
        self._thread = threading.Thread(target=self._server.serve_forever, name="jemput-health", daemon=True)
        self.started_at = time.time()

    def start(self) -> HealthServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
