"""Transports behind one interface: Kafka for production, an embedded SQLite log for one machine."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from config.settings import Settings
    from pipeline.transport.base import Transport


def build_transport(settings: Settings) -> Transport:
    """Kafka when ``kafka.bootstrap_servers`` is set, else the embedded log in the data directory."""
    if settings.uses_kafka:
        from pipeline.transport.kafka import KafkaTransport

        return KafkaTransport(settings.kafka)
    from pipeline.transport.embedded import EmbeddedTransport

    return EmbeddedTransport(settings.embedded_log_path, retention_hours=settings.embedded.retention_hours)
