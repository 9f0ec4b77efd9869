"""The skeleton every polling source shares.

A :class:`Poller` is the pure core of one source: given the cursor it last saved, it fetches what is new and
returns the messages plus the cursor to save *after* they are durable. It knows nothing of Kafka, scheduling or
where cursors live. The harvest runner drives it:

    result = poller.poll(cursor)            # fetch one page
    producer.send(...) for each message     # onto complaints.raw.v1, keyed by message id
    producer.flush()                        # durable
    cursors.save(poller.name, result.cursor)
    poller.acknowledge(result)              # e.g. mark Gammu rows processed, flag IMAP mail
    if result.more: poll again at once (bounded)

So a crash anywhere before the cursor is saved means the page is fetched again next time (at-least-once); message
ids are ``{channel}:{provider id}``, so the sink keeps one ticket per message.

Errors: raise :class:`~pipeline.errors.TransientError` (network, 429 and 5xx; set ``retry_after`` when the provider
says when to come back) or :class:`~pipeline.errors.PermanentError` (bad credentials, a misconfigured source). A
single bad provider record is not an error of the poll: return it in ``rejected`` with the reason, and go on.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import ClassVar

from pipeline.contract import RawMessage


@dataclass(frozen=True)
class Rejected:
    """A provider record that could not become a message: where it came from and why."""

    ref: str
    reason: str


@dataclass
class PollResult:
    messages: list[RawMessage] = field(default_factory=list)
    #: The cursor to save once ``messages`` are durable; None keeps the old one.
    cursor: str | None = None
    #: True when another page is ready now (pagination); the runner polls again at once, up to a bound.
    more: bool = False
    rejected: list[Rejected] = field(default_factory=list)
    #: Provider references the poller must acknowledge after the flush (row ids, IMAP UIDs, update ids).
    to_acknowledge: list[str] = field(default_factory=list)


class Poller(abc.ABC):
    #: Channel of the messages it makes (twitter, sms, email, telegram, app).
    channel: ClassVar[str]

    def __init__(self, name: str) -> None:
        #: Unique name of this source instance; its cursor, metrics and status are keyed by it.
        self.name = name

    @abc.abstractmethod
    def poll(self, cursor: str | None) -> PollResult:
        """Fetch what is new after ``cursor`` (None: first run). Must not save anything itself."""

    def acknowledge(self, result: PollResult) -> None:  # noqa: B027 - optional hook
        """Called after the messages were flushed and the cursor saved (mark rows processed, flag mail)."""

    def check(self) -> str:
        """Contact the provider with the configured credentials; return a one-line summary or raise."""
        return "ok"

    def close(self) -> None:  # noqa: B027 - optional hook
        pass
