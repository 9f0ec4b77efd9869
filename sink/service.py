"""Wiring of the sink stage: settings in, a ready :class:`~sink.processor.SinkProcessor` out."""

from __future__ import annotations

from config.settings import Settings
from sink.processor import SinkProcessor
from sink.routing import Router
from sink.settings import sqlite_path, store_options
from sink.store import TicketStore


def build_store(settings: Settings) -> TicketStore:
    """The ticket store of ``settings`` (``database.url``, or SQLite in ``data_dir``), not yet migrated.

    The data directory is created when the default SQLite file is used.
    """
    opts = store_options(settings)
    if opts.default_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path = sqlite_path(opts.url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
    return TicketStore(
        opts.url, echo=opts.echo, pool_size=opts.pool_size, connect_timeout_s=opts.connect_timeout_s,
        router=Router.load(settings.desk.routing_table),
    )


def build_processor(settings: Settings) -> SinkProcessor:
    """A sink processor on a migrated ticket store. Raises :class:`~pipeline.errors.UnavailableError` when the
    database cannot be reached (the caller decides whether to wait or exit with ``ExitCode.UNAVAILABLE``)."""
    store = build_store(settings)
    try:
        store.migrate()
    except BaseException:
        store.close()
        raise
    return SinkProcessor(store, batch_size=settings.sink.batch_size)
