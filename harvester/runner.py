"""The harvest runner: drives one :class:`~harvester.pollers.base.Poller` to the raw topic, page by page.

One :meth:`HarvestRunner.run_once` is one poll of a source::

    cursor = cursors.get(source)
    repeat (at most max_pages times, while the poller says ``more`` and no stop was asked):
        result = poller.poll(cursor)
        send every message to complaints.raw.v1 (key: message id; headers: schema version, trace id)
        producer.flush()                       # the messages are durable ...
        cursors.save_page(source, cursor)      # ... and only then does the cursor move
        poller.acknowledge(result)

A failure anywhere before ``save_page`` leaves the cursor where it was, so the same page is fetched again next
time; the message ids (``{channel}:{provider id}``) make the sink keep one ticket each. A producer whose flush
failed is thrown away, so nothing it still buffers is sent twice.

Errors end the poll and are recorded (cursor store, metrics, :class:`PollReport`), never raised: the scheduler
decides when to come back. A provider's "come back in N seconds" (:class:`~pipeline.errors.TransientError` with
``retry_after``) up to ``rate_limit_wait_max_s`` is waited out inside the poll, which then resumes where it was;
a longer one ends the poll and the report carries ``retry_after`` for the scheduler.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from harvester.cursors import CursorStore
from harvester.metrics import HarvestMetrics, harvest_metrics
from harvester.pollers.base import Poller, PollResult, Rejected
from pipeline import topics
from pipeline.contract import SCHEMA_VERSION, encode
from pipeline.errors import PermanentError, TransientError, UnavailableError
from pipeline.transport.base import Producer, Transport

log = logging.getLogger("jemput.harvester.runner")

#: Most provider-requested waits honoured within one poll (a provider that keeps saying "wait" ends the poll).
MAX_WAITS_PER_POLL = 3


@dataclass
class PollReport:
    """What one poll of a source did."""

    source: str
    channel: str
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    duration_s: float = 0.0
    pages: int = 0
    produced: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    cursor_before: str | None = None
    cursor_after: str | None = None
    #: True when the poll stopped at max_pages (or at a stop request) while the provider had more.
    more_waiting: bool = False
    waited_s: float = 0.0
    error: str | None = None
    #: transient, rate_limited, permanent, unavailable or bug (an unexpected exception).
    error_kind: str | None = None
    #: Seconds the provider asked us to wait before the next poll, when it said so.
    retry_after: float | None = None
    consecutive_failures: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None

    def summary(self) -> str:
        text = (f"{self.source}: {self.pages} page(s), {self.produced} message(s), {len(self.rejected)} rejected "
                f"in {self.duration_s:.2f}s")
        if self.more_waiting:
            text += "; more waiting (next poll)"
        if self.error:
            text += f"; ERROR ({self.error_kind}): {self.error}"
        return text


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def error_kind(exc: BaseException) -> str:
    if isinstance(exc, UnavailableError):
        return "unavailable"
    if isinstance(exc, TransientError):
        return "rate_limited" if exc.retry_after is not None else "transient"
    if isinstance(exc, PermanentError):
        return "permanent"
    return "bug"


class HarvestRunner:
    """Polls one source onto the raw topic. One instance per source; not meant to run twice at once."""

    def __init__(
        self,
        poller: Poller,
        transport: Transport,
        cursors: CursorStore,
        *,
        max_pages: int = 10,
        rate_limit_wait_max_s: float = 60.0,
        metrics: HarvestMetrics | None = None,
        stop_event: threading.Event | None = None,
        topic: str = topics.RAW,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.poller = poller
        self.transport = transport
        self.cursors = cursors
        self.max_pages = max_pages
        self.rate_limit_wait_max_s = rate_limit_wait_max_s
        self.metrics = metrics or harvest_metrics()
        self.stop_event = stop_event or threading.Event()
        self.topic = topic
        self._clock = clock
        self._producer: Producer | None = None
        self.last_report: PollReport | None = None

    @property
    def name(self) -> str:
        return self.poller.name

    @property
    def channel(self) -> str:
        return self.poller.channel

    # -- producer -----------------------------------------------------------------------------------
    def _get_producer(self) -> Producer:
        if self._producer is None:
            self.transport.ensure_topics([self.topic])
            self._producer = self.transport.producer()
        return self._producer

    def _drop_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                producer.close()
            except Exception as exc:  # noqa: BLE001 - a broken producer may fail to close; it is gone anyway
                log.debug("source %s: closing a failed producer: %s", self.name, exc)

    def close(self) -> None:
        """Close the producer and the poller (after the last poll)."""
        if self._producer is not None:
            try:
                self._producer.flush()
            except Exception as exc:  # noqa: BLE001 - nothing is pending between polls; report and go on
                log.warning("source %s: flush on close failed: %s", self.name, exc)
        self._drop_producer()
        try:
            self.poller.close()
        except Exception as exc:  # noqa: BLE001
            log.warning("source %s: closing the poller: %s", self.name, exc)

    # -- one poll -----------------------------------------------------------------------------------
    def run_once(self) -> PollReport:
        """Poll the source once (following ``more`` up to ``max_pages``). Never raises for a source's failure."""
        report = PollReport(self.name, self.channel)
        started = time.monotonic()
        labels = (self.name, self.channel)
        self.metrics.last_attempt.labels(*labels).set(self._clock())
        try:
            self._poll_pages(report)
        except Exception as exc:  # noqa: BLE001 - every failure of a source is recorded, none stops the harvester
            self._failed(report, exc)
        report.duration_s = time.monotonic() - started
        self.metrics.poll_seconds.labels(self.name).observe(report.duration_s)
        if report.ok:
            self.metrics.last_success.labels(*labels).set(self._clock())
            self.metrics.consecutive_failures.labels(*labels).set(0)
            self.metrics.polls.labels(*labels, "ok").inc()
        else:
            self.metrics.polls.labels(*labels, "error").inc()
        self.last_report = report
        log.log(logging.WARNING if report.error else logging.INFO, "%s", report.summary())
        return report

    def _poll_pages(self, report: PollReport) -> None:
        cursor = self.cursors.get(self.name)
        report.cursor_before = report.cursor_after = cursor
        waits = 0
        result: PollResult | None = None
        while report.pages < self.max_pages:
            if self.stop_event.is_set():
                report.more_waiting = result is not None and result.more
                return
            try:
                result = self.poller.poll(cursor)
            except TransientError as exc:
                wait = exc.retry_after
                if (wait is None or wait > self.rate_limit_wait_max_s or waits >= MAX_WAITS_PER_POLL
                        or isinstance(exc, UnavailableError)):
                    raise
                waits += 1
                wait = max(0.0, wait)
                log.info("source %s: provider asks to wait %.1fs (%s); waiting, then resuming", self.name, wait, exc)
                report.waited_s += wait
                if self.stop_event.wait(wait):
                    return
                continue
            self._deliver(result, report)
            if result.cursor is not None:
                cursor = result.cursor
            report.cursor_after = cursor
            if not result.more:
                return
        report.more_waiting = bool(result and result.more)

    def _deliver(self, result: PollResult, report: PollReport) -> None:
        labels = (self.name, self.channel)
        producer = self._get_producer()
        rejected = list(result.rejected)
        sent = 0
        newest_posted: datetime | None = None
        newest_received: datetime | None = None
        for msg in result.messages:
            headers = [(topics.H_SCHEMA, str(SCHEMA_VERSION).encode()),
                       (topics.H_TRACE, (msg.trace_id or msg.message_id).encode())]
            try:
                producer.send(self.topic, encode(msg), key=msg.message_id.encode(), headers=headers)
            except PermanentError as exc:  # the transport refuses this one record (too large): report it
                rejected.append(Rejected(msg.message_id, f"refused by the transport: {exc}"))
                continue
            sent += 1
            if msg.posted_at is not None and (newest_posted is None or msg.posted_at > newest_posted):
                newest_posted, newest_received = msg.posted_at, msg.received_at
        try:
            producer.flush()
        except BaseException:
            self._drop_producer()  # its buffer must not be sent again with the next page
            raise
        # Durable now: the cursor may move.
        self.cursors.save_page(self.name, self.channel, result.cursor, messages=sent, rejected=len(rejected))
        report.pages += 1
        report.produced += sent
        report.rejected.extend(rejected)
        self.metrics.messages.labels(*labels).inc(sent)
        if rejected:
            self.metrics.rejected.labels(*labels).inc(len(rejected))
            for r in rejected[:5]:
                log.warning("source %s: rejected %s: %s", self.name, r.ref, r.reason)
        if newest_posted is not None and newest_received is not None:
            self.metrics.lag_seconds.labels(*labels).set(max(0.0, (newest_received - newest_posted).total_seconds()))
        self.poller.acknowledge(result)

    def _failed(self, report: PollReport, exc: BaseException) -> None:
        kind = error_kind(exc)
        report.error = describe(exc)
        report.error_kind = kind
        if isinstance(exc, TransientError) and exc.retry_after is not None:
            report.retry_after = max(0.0, exc.retry_after)
        if kind == "bug":
            log.exception("source %s: unexpected error while polling", self.name, exc_info=exc)
        self.metrics.errors.labels(self.name, self.channel, kind).inc()
        try:
            report.consecutive_failures = self.cursors.record_failure(self.name, self.channel, report.error)
        except UnavailableError as store_exc:
            log.warning("source %s: cannot record the failure: %s", self.name, store_exc)
            prev = self.last_report.consecutive_failures if self.last_report else 0
            report.consecutive_failures = prev + 1
        self.metrics.consecutive_failures.labels(self.name, self.channel).set(report.consecutive_failures)

    def status(self) -> dict[str, Any]:
        r = self.last_report
        return {
            "source": self.name,
            "channel": self.channel,
            "last_poll": None if r is None else {
                "at": r.started_at.isoformat(), "ok": r.ok, "pages": r.pages, "produced": r.produced,
                "rejected": len(r.rejected), "error": r.error, "consecutive_failures": r.consecutive_failures,
            },
        }
