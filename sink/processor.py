"""The sink stage's core: located messages in, tickets written, nothing produced."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pipeline import topics
from pipeline.contract import LocatedMessage, RawMessage
from pipeline.errors import PermanentError
from pipeline.stage import Outcome, Processor
from sink.store import TicketStore

log = logging.getLogger("jemput.sink")


class SinkProcessor(Processor):
    """Writes each batch of located messages to the :class:`~sink.store.TicketStore`.

    Outcomes: ``None`` for every message stored (or already stored: redelivery is harmless). When the database
    is unavailable, :class:`~pipeline.errors.UnavailableError` is raised so the runner retries the whole batch
    without bound. When a chunk fails with a :class:`~pipeline.errors.PermanentError` (one bad value spoils its
    transaction), the chunk is written again one message per transaction, so only the bad messages come back
    as ``PermanentError`` outcomes (and are dead-lettered) while the good ones are stored.
    """

    name = "sink"
    input_topic = topics.LOCATED
    output_topic = None
    input_model = LocatedMessage

    def __init__(self, store: TicketStore, *, batch_size: int = 500) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.store = store
        #: Most tickets written in one transaction (``sink.batch_size``); bigger batches are written in chunks.
        self.batch_size = batch_size
        #: Running totals, for metrics and tests.
        self.inserted_total = 0
        self.duplicates_total = 0
        self.failed_total = 0

    def process(self, message: RawMessage) -> None:
        self._write([message])
        return None

    def process_batch(self, messages: list[RawMessage]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for start in range(0, len(messages), self.batch_size):
            outcomes.extend(self._write_chunk(messages[start : start + self.batch_size]))
        return outcomes

    def _write_chunk(self, chunk: Sequence[RawMessage]) -> list[Outcome]:
        try:
            self._write(chunk)
            return [None] * len(chunk)
        except PermanentError as exc:
            if len(chunk) == 1:
                self.failed_total += 1
                return [exc]
            log.warning("a batch of %d tickets was rejected (%s); writing them one by one", len(chunk), exc)
        # UnavailableError (and anything unexpected) propagates: the runner retries or fails the whole batch.
        outcomes: list[Outcome] = []
        for m in chunk:
            try:
                self._write([m])
                outcomes.append(None)
            except PermanentError as exc:
                self.failed_total += 1
                outcomes.append(exc)
        return outcomes

    def _write(self, messages: Sequence[RawMessage]) -> None:
        located: list[LocatedMessage] = []
        for m in messages:
            if not isinstance(m, LocatedMessage):
                raise PermanentError(
                    f"the sink takes LocatedMessage, got {type(m).__name__} ({m.message_id})"
                )
            located.append(m)
        result = self.store.write_batch(located)
        self.inserted_total += result.inserted
        self.duplicates_total += result.duplicates

    def check(self) -> str:
        return self.store.check()

    def close(self) -> None:
        self.store.close()
