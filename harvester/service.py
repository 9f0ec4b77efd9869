"""Wiring of the harvester's sources to the transport.

``ingest`` reads a file source and produces its messages on the raw topic in flushed chunks. The raw topic is
keyed by message id; redelivering or re-ingesting the same messages is harmless because the sink is idempotent.

``build_runner`` / ``build_scheduler`` wire the polling sources (:mod:`harvester.sources`) to the transport and
the cursor store; ``build_sms_receiver`` loads the webhook receiver when it is enabled.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harvester.cursors import CursorStore
from harvester.errors import RecordRejected, SourceError
from harvester.metrics import HarvestMetrics
from harvester.pollers.file import FileSourceOptions, read_file
from harvester.runner import HarvestRunner
from harvester.scheduler import HarvestScheduler, SourceJob
from harvester.settings import Settings, author_hash_key
from harvester.sources import build as build_source
from harvester.sources import enabled_sources, source_settings
from pipeline import topics
from pipeline.contract import SCHEMA_VERSION, encode
from pipeline.transport.base import Transport

log = logging.getLogger("jemput.harvester")

CHUNK = 500


@dataclass
class IngestReport:
    produced: int = 0
    rejected: list[RecordRejected] = field(default_factory=list)


def ingest(
    settings: Settings,
    transport: Transport,
    path: Path,
    options: FileSourceOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Put every valid record of ``path`` on the raw topic. Returns counts and the rejected records."""
    transport.ensure_topics([topics.RAW])
    producer = transport.producer()
    report = IngestReport()
    pending = 0
    try:
        for item in read_file(path, author_hash_key(settings), options):
            if isinstance(item, RecordRejected):
                report.rejected.append(item)
                continue
            headers = [(topics.H_SCHEMA, str(SCHEMA_VERSION).encode()),
                       (topics.H_TRACE, (item.trace_id or item.message_id).encode())]
            producer.send(topics.RAW, encode(item), key=item.message_id.encode(), headers=headers)
            pending += 1
            if pending >= CHUNK:
                producer.flush()
                report.produced += pending
                pending = 0
                if progress:
                    progress(report.produced, len(report.rejected))
        producer.flush()
        report.produced += pending
        if progress:
            progress(report.produced, len(report.rejected))
    finally:
        producer.close()
    log.info("ingested %s: %d message(s), %d rejected", path, report.produced, len(report.rejected))
    return report


# -- polling sources ------------------------------------------------------------------------------------------
def build_runner(settings: Settings, name: str, transport: Transport, cursors: CursorStore, *,
                 metrics: HarvestMetrics | None = None, stop_event: threading.Event | None = None) -> HarvestRunner:
    """The runner of source ``name`` (its poller built from the settings)."""
    section = source_settings(settings, name)
    poller = build_source(name, settings)
    return HarvestRunner(poller, transport, cursors, max_pages=section.max_pages,
                         rate_limit_wait_max_s=settings.harvester.rate_limit_wait_max_s, metrics=metrics,
                         stop_event=stop_event)


def build_scheduler(settings: Settings, transport: Transport, cursors: CursorStore,
                    names: list[str] | None = None, *, metrics: HarvestMetrics | None = None) -> HarvestScheduler:
    """A scheduler with one job per source in ``names`` (default: every enabled source)."""
    stop = threading.Event()
    jobs = []
    for name in enabled_sources(settings) if names is None else names:
        section = source_settings(settings, name)
        runner = build_runner(settings, name, transport, cursors, metrics=metrics, stop_event=stop)
        jobs.append(SourceJob(runner, interval_s=section.interval_s, jitter_s=section.jitter_s))
    return HarvestScheduler(jobs, failure_backoff_max_s=settings.harvester.failure_backoff_max_s, stop_event=stop)


class ReceiverUnavailable(SourceError):
    """The SMS receiver is enabled but its module is not part of this installation."""


def build_sms_receiver(settings: Settings, transport: Transport) -> Any:
    """The inbound-SMS webhook receiver (``harvester.receivers.sms.build_receiver``), imported only when enabled."""
    module_name = "harvester.receivers.sms"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name in (module_name, "harvester.receivers"):
            raise ReceiverUnavailable(
                "harvester.sms.enabled is true but the SMS receiver (harvester/receivers/sms.py) is not part of this "
                "installation; disable it (JEMPUT_HARVESTER__SMS__ENABLED=false) or install a build that has it"
            ) from None
        raise
    return module.build_receiver(settings, transport)
