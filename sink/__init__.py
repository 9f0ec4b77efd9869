"""The sink stage: writes every located message as a ticket, idempotently on its message id.

- :mod:`sink.store`: :class:`~sink.store.TicketStore`, the ticket store (SQLAlchemy 2.x; SQLite or PostgreSQL),
  schema changes through Alembic (:mod:`sink.migrations`);
- :mod:`sink.processor`: :class:`~sink.processor.SinkProcessor`, the stage's pure core the runner drives;
- :mod:`sink.service`: wiring from :class:`config.settings.Settings`.

The ticket desk on top of the store:

- :mod:`sink.desk`: the lifecycle (transition table, audited changes, per-ticket locking), re-categorising,
  re-assigning;
- :mod:`sink.routing`: category (and area, sub-topic) -> agency, from a TOML table;
- :mod:`sink.incidents`: reports of one problem grouped, merge / split;
- :mod:`sink.query`: filters, pages, statistics and streaming exports shared by the API and the CLI;
- :mod:`sink.api`: the HTTP API (``jemput api``), Open311 GeoReport v2, the public page;
- :mod:`sink.roles`: a read-only PostgreSQL role for analysts; :mod:`sink.cli`: the ``tickets``, ``api`` and
  ``desk`` commands.

Nothing happens on import.
"""
