"""The sink's settings: the ``database`` and ``sink`` sections of :class:`config.settings.Settings`, and what
the sink derives from them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from config.settings import DatabaseSettings, Settings, SinkSettings

__all__ = ["DatabaseSettings", "SinkSettings", "StoreOptions", "sqlite_path", "store_options"]


@dataclass(frozen=True, slots=True)
class StoreOptions:
    """Everything :class:`~sink.store.TicketStore` and :class:`~sink.processor.SinkProcessor` need."""

    url: str
    echo: bool
    pool_size: int
    connect_timeout_s: float
    batch_size: int
    #: True when the URL is the default SQLite file in ``data_dir`` (the directory must then be created).
    default_sqlite: bool

    def __repr__(self) -> str:  # the URL may carry a password
        safe = make_url(self.url).render_as_string(hide_password=True)
        return (
            f"StoreOptions(url={safe!r}, echo={self.echo}, pool_size={self.pool_size}, "
            f"connect_timeout_s={self.connect_timeout_s}, batch_size={self.batch_size})"
        )


def store_options(settings: Settings) -> StoreOptions:
    db = settings.database
    return StoreOptions(
        url=settings.database_url,
        echo=db.echo,
        pool_size=db.pool_size,
        connect_timeout_s=db.connect_timeout_s,
        batch_size=settings.sink.batch_size,
        default_sqlite=db.url is None,
    )


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for another database or an in-memory SQLite database."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite":
        return None
    if not u.database or u.database == ":memory:" or u.database.startswith("file::memory:"):
        return None
    return Path(u.database)
