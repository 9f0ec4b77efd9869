"""Wiring of the harvester's sources to the transport.

``ingest`` reads a file source and produces its messages on the raw topic in flushed chunks. The raw topic is
keyed by message id; redelivering or re-ingesting the same messages is harmless because the sink is idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from harvester.errors import RecordRejected
from harvester.pollers.file import FileSourceOptions, read_file
from harvester.settings import Settings, author_hash_key
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
