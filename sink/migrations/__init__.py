"""Alembic migrations of the ticket store, run programmatically by :meth:`sink.store.TicketStore.migrate`.

No alembic.ini is needed: ``alembic.config.Config()`` gets ``script_location`` = this directory and the
SQLAlchemy connection in ``config.attributes["connection"]`` (see ``env.py``). To write a new revision, compare
against a scratch database, e.g.::

    from sink.store import TicketStore
    store = TicketStore("sqlite:////tmp/scratch.sqlite3"); store.migrate()
    cfg = store.alembic_config()
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        alembic.command.revision(cfg, message="...", autogenerate=True, rev_id="0002")
"""
