"""The stage runner: consume -> decode -> process -> produce or dead-letter -> flush -> commit.

The order is the delivery guarantee. Offsets are committed only after every output and every dead letter of the
batch was flushed, so a crash anywhere before the commit means the batch is delivered again (at-least-once); the
sink's idempotent write turns that into exactly one ticket per message id.

Failure policy, per message:

- the record is larger than ``max_message_bytes`` or does not decode -> dead letter (kind ``permanent``);
- the processor returns or raises :class:`PermanentError` or any unexpected exception -> dead letter (``permanent``);
- :class:`TransientError` -> retried with exponential backoff and jitter; after ``max_attempts`` -> dead letter
  (``transient-exhausted``);
- :class:`UnavailableError` (database or broker down) -> retried without bound, backoff capped at
  ``backoff_max_s``: an outage stalls the stage, it never throws good messages away.

A dead letter carries the original bytes, key and headers plus headers naming the stage, the error, its kind, the
attempts and the source topic/partition/offset (see :mod:`pipeline.topics`). A record longer than
``max_dead_letter_bytes`` (1 MB by default, a broker's usual limit) keeps only its first bytes and a header with its
full size: it was refused for its size, and a dead letter the broker refused in turn would stall the stage.
"""

from __future__ import annotations

import gc
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from config.settings import RunnerSettings
from pipeline import topics
from pipeline.contract import SCHEMA_VERSION, DecodeError, RawMessage, decode, encode
from pipeline.errors import PermanentError, TransientError, TransportError, UnavailableError
from pipeline.metrics import StageMetrics, stage_metrics
from pipeline.stage import Outcome, Processor
from pipeline.transport.base import Consumer, Producer, Record, Transport

log = logging.getLogger("jemput.runner")

KIND_PERMANENT = "permanent"
KIND_EXHAUSTED = "transient-exhausted"
_SCHEMA_HEADER = (topics.H_SCHEMA, str(SCHEMA_VERSION).encode())
#: Allocations between two young-generation collections in a running stage (CPython's default is 700).
GC_GEN0_THRESHOLD = 20_000
_gc_tuned = threading.Lock()


def tune_gc() -> bool:
    """Make CPython's cyclic garbage collector cheap for a long-running stage process; once per process.

    A stage holds a large, long-lived heap (the classifier's model, the gazetteer, SQLAlchemy's metadata) and
    allocates many short-lived objects per message. With the default thresholds every full collection walks that
    whole heap (~40 ms for the classifier's) several times a minute, and young collections run every 700
    allocations: together about a tenth of a stage's CPU. So: one collection now, then :func:`gc.freeze` moves
    everything alive into the permanent generation (never walked again), and young collections run every
    :data:`GC_GEN0_THRESHOLD` allocations. Garbage is still collected, cycles included. Returns False when an
    earlier call already did it.
    """
    if not _gc_tuned.acquire(blocking=False):
        return False
    gc.collect()
    gc.freeze()
    gen0, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(max(GC_GEN0_THRESHOLD, gen0), gen1, gen2)
    return True


@dataclass
class RunnerState:
    """What a health check or ``--until-idle`` needs to know about a running stage."""

    started_at: float = field(default_factory=time.time)
    batches: int = 0
    records: int = 0
    produced: int = 0
    dead_lettered: int = 0
    last_poll_empty: bool = False
    last_commit_at: float | None = None
    last_error: str | None = None
    stalled_since: float | None = None  # set while waiting out an outage

    @property
    def healthy(self) -> bool:
        return self.stalled_since is None or time.time() - self.stalled_since < 60


class _Stopped(Exception):
    """Raised internally when a stop was requested during a wait: abandon the batch uncommitted."""


class StageRunner:
    """Drives one :class:`Processor` over a :class:`Transport`."""

    def __init__(
        self,
        processor: Processor,
        transport: Transport,
        settings: RunnerSettings,
        *,
        group_prefix: str = "jemput",
        metrics: StageMetrics | None = None,
        rng: random.Random | None = None,
        stop_event: threading.Event | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.processor = processor
        self.transport = transport
        self.settings = settings
        self.group = f"{group_prefix}.{processor.name}"
        self.metrics = metrics or stage_metrics()
        self.rng = rng or random.Random()
        self.stop_event = stop_event or threading.Event()
        self.state = RunnerState()
        self._now = now
        self._end_to_end = self.metrics.end_to_end_seconds.labels(processor.name)
        self._dlq_topic = topics.dlq(processor.input_topic)
        out_topics = [processor.input_topic, self._dlq_topic]
        if processor.output_topic:
            out_topics.append(processor.output_topic)
        transport.ensure_topics(out_topics)
        self.consumer: Consumer = transport.consumer(self.group, [processor.input_topic])
        self.producer: Producer = transport.producer()

    # -- lifecycle --------------------------------------------------------------------------------
    def stop(self) -> None:
        """Ask the runner to stop after the batch in hand (it is flushed and committed if it can be)."""
        self.stop_event.set()

    @property
    def stopping(self) -> bool:
        return self.stop_event.is_set()

    def run(self) -> None:
        """Loop until :meth:`stop`. Transport outages are waited out; other exceptions are bugs and propagate."""
        log.info("stage %s started (group %s, input %s)", self.processor.name, self.group, self.processor.input_topic)
        tune_gc()
        try:
            while not self.stopping:
                self.run_once()
        finally:
            self.close()
            log.info("stage %s stopped", self.processor.name)

    def close(self) -> None:
        for closer in (self.consumer.close, self.producer.close):
            try:
                closer()
            except Exception as exc:  # noqa: BLE001 - closing must not mask the real error
                log.warning("stage %s: error while closing: %s", self.processor.name, exc)

    def is_drained(self) -> bool:
        """True when the last poll was empty and the group has committed everything on its input."""
        if not self.state.last_poll_empty:
            return False
        try:
            return self.consumer.lag() == 0
        except TransportError:
            return False

    # -- one cycle --------------------------------------------------------------------------------
    def run_once(self) -> int:
        """Poll one batch and carry it to a commit. Returns the number of records handled."""
        name = self.processor.name
        try:
            records = self.consumer.poll(self.settings.batch_size, self.settings.poll_timeout_s)
        except TransportError as exc:
            self._note_outage(exc)
            try:
                self._wait(self._backoff(1, unbounded=True))
            except _Stopped:
                pass
            return 0
        self._update_lag()
        if not records:
            self.state.last_poll_empty = True
            return 0
        self.state.last_poll_empty = False
        started = time.monotonic()
        try:
            self._handle(records)
            self._flush()
            self._commit(records)
        except _Stopped:
            log.info("stage %s: stop requested mid-batch; %d records left uncommitted for redelivery", name,
                     len(records))
            return 0
        self.state.batches += 1
        self.state.records += len(records)
        self.metrics.batch_seconds.labels(name).observe(time.monotonic() - started)
        return len(records)

    def _handle(self, records: Sequence[Record]) -> None:
        name = self.processor.name
        pending: list[tuple[Record, RawMessage]] = []
        arrived: dict[str, int] = {}  # channel -> records, counted once per batch (metrics are per channel)
        max_bytes = self.settings.max_message_bytes
        model = self.processor.input_model
        try:
            for rec in records:
                if len(rec.value) > max_bytes:
                    arrived["unknown"] = arrived.get("unknown", 0) + 1
                    self._dead_letter(rec, f"record of {len(rec.value)} bytes exceeds max_message_bytes "
                                           f"({max_bytes})", KIND_PERMANENT, 1, "unknown")
                    continue
                try:
                    msg = decode(model, rec.value)
                except DecodeError as exc:
                    arrived["unknown"] = arrived.get("unknown", 0) + 1
                    self._dead_letter(rec, f"decode: {exc.reason}", KIND_PERMANENT, 1, "unknown")
                    continue
                arrived[msg.channel] = arrived.get(msg.channel, 0) + 1
                pending.append((rec, msg))
        finally:
            for channel, count in arrived.items():
                self.metrics.messages_in.labels(name, channel).inc(count)

        attempt = 1  # attempts of the transient, bounded kind
        outage_attempt = 0
        while pending:
            try:
                outcomes: list[Outcome] = self.processor.process_batch([m for _, m in pending])
                if len(outcomes) != len(pending):
                    raise RuntimeError(f"processor returned {len(outcomes)} outcomes for {len(pending)} messages")
            except Exception as exc:  # noqa: BLE001 - classified below
                outcomes = [exc] * len(pending)

            retry: list[tuple[Record, RawMessage]] = []
            transient_seen = unavailable_seen = False
            retry_after: float | None = None
            done: dict[str, int] = {}  # channel -> messages produced or written, counted once per pass
            now = self._now()  # the end of this stage for the batch, for the end-to-end latency metric
            try:
                for (rec, msg), out in zip(pending, outcomes, strict=True):
                    if isinstance(out, UnavailableError):
                        unavailable_seen = True
                        retry.append((rec, msg))
                        self._note_outage(out)
                    elif isinstance(out, TransientError):
                        if attempt < self.settings.max_attempts:
                            transient_seen = True
                            retry.append((rec, msg))
                            if out.retry_after is not None:
                                retry_after = max(retry_after or 0.0, out.retry_after)
                        else:
                            self._dead_letter(rec, _describe(out), KIND_EXHAUSTED, attempt, msg.channel)
                    elif isinstance(out, BaseException):
                        if not isinstance(out, PermanentError):
                            log.warning("stage %s: unexpected %s on %s: %s", name, type(out).__name__,
                                        msg.message_id, out)
                        self._dead_letter(rec, _describe(out), KIND_PERMANENT, attempt, msg.channel)
                    else:
                        if out is not None:
                            try:
                                self._produce(out, now)
                            except PermanentError as exc:  # the transport refuses this output (e.g. too large)
                                self._dead_letter(rec, _describe(exc), KIND_PERMANENT, attempt, msg.channel)
                                continue
                        done[msg.channel] = done.get(msg.channel, 0) + 1
            finally:
                for channel, count in done.items():
                    self.metrics.messages_out.labels(name, channel).inc(count)
            pending = retry
            if not pending:
                break
            self.metrics.retries.labels(name).inc(len(pending))
            if unavailable_seen and not transient_seen:
                outage_attempt += 1
                delay = self._backoff(outage_attempt, unbounded=True)
            else:
                delay = retry_after if retry_after is not None else self._backoff(attempt)
                attempt += 1
            log.info("stage %s: retrying %d message(s) in %.2fs", name, len(pending), delay)
            self._wait(delay)
        self.state.stalled_since = None

    # -- output -----------------------------------------------------------------------------------
    def _produce(self, out: RawMessage, now: datetime | None = None) -> None:
        assert self.processor.output_topic is not None, "a terminal stage must return None"
        key = out.message_id.encode()
        headers = [_SCHEMA_HEADER, (topics.H_TRACE, out.trace_id.encode() if out.trace_id else key)]
        self.producer.send(self.processor.output_topic, encode(out), key=key, headers=headers)
        self.state.produced += 1
        delay = ((now or self._now()) - out.received_at).total_seconds()
        self._end_to_end.observe(max(0.0, delay))

    def _dead_letter(self, rec: Record, error: str, kind: str, attempts: int, channel: str) -> None:
        headers = [(k, v) for k, v in rec.headers if not k.startswith("jemput-dlq-")]
        headers += [
            (topics.H_DLQ_STAGE, self.processor.name.encode()),
            (topics.H_DLQ_ERROR, error[:2000].encode("utf-8", "replace")),
            (topics.H_DLQ_KIND, kind.encode()),
            (topics.H_DLQ_ATTEMPTS, str(attempts).encode()),
            (topics.H_DLQ_TOPIC, rec.topic.encode()),
            (topics.H_DLQ_PARTITION, str(rec.partition).encode()),
            (topics.H_DLQ_OFFSET, str(rec.offset).encode()),
            (topics.H_DLQ_AT, datetime.now(UTC).isoformat().encode()),
        ]
        value = rec.value
        if len(value) > self.settings.max_dead_letter_bytes:
            value = value[: self.settings.max_dead_letter_bytes]
            headers.append((topics.H_DLQ_TRUNCATED, str(len(rec.value)).encode()))
        self.producer.send(self._dlq_topic, value, key=rec.key, headers=headers)
        self.state.dead_lettered += 1
        self.metrics.messages_failed.labels(self.processor.name, channel, kind).inc()
        log.warning("stage %s: dead-lettered %s[%d]@%d (%s): %s", self.processor.name, rec.topic, rec.partition,
                    rec.offset, kind, error[:300])

    def _flush(self) -> None:
        attempt = 0
        while True:
            try:
                self.producer.flush()
                self.state.stalled_since = None
                return
            except TransportError as exc:
                attempt += 1
                self._note_outage(exc)
                self._wait(self._backoff(attempt, unbounded=True))

    def _commit(self, records: Sequence[Record]) -> None:
        try:
            self.consumer.commit(records)
        except TransportError as exc:
            # After a rebalance the partitions may belong to another consumer, which will get these records
            # again: that is the at-least-once contract. Rewind so this consumer re-reads what it still owns.
            log.warning("stage %s: commit failed (%s); uncommitted records will be redelivered", self.processor.name, exc)
            self.state.last_error = str(exc)
            try:
                self.consumer.rewind()
            except TransportError:
                pass
            return
        self.state.last_commit_at = time.time()
        self.metrics.last_commit.labels(self.processor.name).set(self.state.last_commit_at)

    # -- helpers ----------------------------------------------------------------------------------
    _LAG_EVERY_S = 5.0
    _lag_updated = 0.0

    def _update_lag(self) -> None:
        if time.monotonic() - self._lag_updated < self._LAG_EVERY_S:
            return
        self._lag_updated = time.monotonic()
        try:
            self.metrics.lag.labels(self.processor.name).set(self.consumer.lag())
        except TransportError:
            pass

    def _backoff(self, attempt: int, *, unbounded: bool = False) -> float:
        s = self.settings
        base = min(s.backoff_max_s, s.backoff_initial_s * (2 ** max(0, attempt - 1)))
        jitter = base * s.backoff_jitter * (2 * self.rng.random() - 1)
        return max(0.0, base + jitter)

    def _wait(self, seconds: float) -> None:
        if self.stop_event.wait(seconds):
            raise _Stopped()

    def _note_outage(self, exc: BaseException) -> None:
        self.state.last_error = _describe(exc)
        if self.state.stalled_since is None:
            self.state.stalled_since = time.time()
            log.warning("stage %s: dependency unavailable, waiting it out: %s", self.processor.name, exc)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
