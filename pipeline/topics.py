"""Topic names. A breaking change of the contract gets a new version suffix and new topics."""

from __future__ import annotations

from typing import Final

RAW: Final = "complaints.raw.v1"
CLASSIFIED: Final = "complaints.classified.v1"
LOCATED: Final = "complaints.located.v1"

#: Every data topic, in pipeline order.
DATA_TOPICS: Final[tuple[str, ...]] = (RAW, CLASSIFIED, LOCATED)

DLQ_SUFFIX: Final = ".dlq"


def dlq(topic: str) -> str:
    """The dead-letter topic of the stage that consumes ``topic``."""
    return topic + DLQ_SUFFIX


def is_dlq(topic: str) -> bool:
    return topic.endswith(DLQ_SUFFIX)


def source_of_dlq(topic: str) -> str:
    if not is_dlq(topic):
        raise ValueError(f"{topic!r} is not a dead-letter topic")
    return topic[: -len(DLQ_SUFFIX)]


#: Every topic jemput uses: data topics and their dead-letter topics.
ALL_TOPICS: Final[tuple[str, ...]] = DATA_TOPICS + tuple(dlq(t) for t in DATA_TOPICS)

# Header names carried on records.
H_SCHEMA: Final = "jemput-schema"
H_TRACE: Final = "jemput-trace-id"
H_DLQ_STAGE: Final = "jemput-dlq-stage"
H_DLQ_ERROR: Final = "jemput-dlq-error"
H_DLQ_KIND: Final = "jemput-dlq-kind"
H_DLQ_ATTEMPTS: Final = "jemput-dlq-attempts"
H_DLQ_TOPIC: Final = "jemput-dlq-source-topic"
H_DLQ_PARTITION: Final = "jemput-dlq-source-partition"
H_DLQ_OFFSET: Final = "jemput-dlq-source-offset"
H_DLQ_AT: Final = "jemput-dlq-at"
H_DLQ_TRUNCATED: Final = "jemput-dlq-truncated-from"
H_REPLAYED: Final = "jemput-replayed-from"
