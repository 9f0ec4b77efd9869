"""The skeleton every stage shares: a pure :class:`Processor` the :mod:`pipeline.runner` drives.

A processor takes typed messages and returns typed messages. It knows nothing of Kafka, SQLite or signals.
What a processor returns for each input message (an *outcome*):

- a message: produced to ``output_topic``;
- ``None``: consumed with no output (the sink, which writes tickets itself);
- an exception instance: that message failed. :class:`~pipeline.errors.PermanentError` (or any other
  exception) sends it to the dead-letter topic; :class:`~pipeline.errors.TransientError` retries it with backoff
  until ``max_attempts``; :class:`~pipeline.errors.UnavailableError` retries it without bound.

A processor may also *raise* from :meth:`Processor.process_batch`; the runner treats that as the outcome of
every message in the batch.
"""

from __future__ import annotations

import abc
from typing import ClassVar

from pipeline.contract import RawMessage

Outcome = RawMessage | None | BaseException


class Processor(abc.ABC):
    #: Stage name: used for the consumer group, metrics and dead-letter headers.
    name: ClassVar[str]
    #: Topic this stage consumes.
    input_topic: ClassVar[str]
    #: Topic this stage produces to, or None for a terminal stage.
    output_topic: ClassVar[str | None]
    #: Model the input records are decoded as.
    input_model: ClassVar[type[RawMessage]]

    def process(self, message: RawMessage) -> RawMessage | None:
        """Handle one message. Override this, or :meth:`process_batch` for batched work."""
        raise NotImplementedError

    def process_batch(self, messages: list[RawMessage]) -> list[Outcome]:
        """Handle a batch; default: :meth:`process` on each, catching its exception as that message's outcome."""
        out: list[Outcome] = []
        for m in messages:
            try:
                out.append(self.process(m))
            except Exception as exc:  # noqa: BLE001 - the runner classifies it
                out.append(exc)
        return out

    def check(self) -> str:
        """Verify the processor's own dependencies (model, gazetteer, database); return a one-line summary."""
        return "ok"

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (database connections, models)."""
