"""The sink stage: writes every located message as a ticket, idempotently on its message id.

- :mod:`sink.store`: :class:`~sink.store.TicketStore`, the ticket store (SQLAlchemy 2.x; SQLite or PostgreSQL),
  schema changes through Alembic (:mod:`sink.migrations`);
- :mod:`sink.processor`: :class:`~sink.processor.SinkProcessor`, the stage's pure core the runner drives;
- :mod:`sink.service`: wiring from :class:`config.settings.Settings`.

Nothing happens on import.
"""
