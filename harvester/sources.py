"""The registry of polling sources: name -> builder, imported only when the source is used.

A source's name is also the name of its settings section under ``harvester`` (``harvester.twitter`` ...), of its
row in the cursor store and of its metrics. Each builder is ``build(settings: Settings) -> Poller``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pipeline.errors import PermanentError

if TYPE_CHECKING:
    from config.settings import Settings
    from harvester.pollers.base import Poller

#: Source name -> "module:function" building its poller from the settings.
SOURCES: dict[str, str] = {
    "twitter": "harvester.pollers.twitter:build",
    "telegram": "harvester.pollers.telegram:build",
    "app": "harvester.pollers.app:build",
    "rest_inbox": "harvester.pollers.rest_inbox:build",
    "gammu": "harvester.pollers.gammu:build",
    "email": "harvester.pollers.email:build",
}

#: Channel of the messages each source makes (``jemput harvest once sms`` polls every sms source).
CHANNELS: dict[str, str] = {
    "twitter": "twitter",
    "telegram": "telegram",
    "app": "app",
    "rest_inbox": "sms",
    "gammu": "sms",
    "email": "email",
}


class UnknownSource(PermanentError):
    """No source (or channel) of that name."""


class SourceUnavailable(PermanentError):
    """The source's code is not part of this installation."""


def source_settings(settings: Settings, name: str) -> Any:
    """The ``harvester.<name>`` section of ``settings``."""
    if name not in SOURCES:
        raise UnknownSource(f"unknown source {name!r}; known: {', '.join(sorted(SOURCES))}")
    return getattr(settings.harvester, name)


def enabled_sources(settings: Settings) -> list[str]:
    """Names of the sources whose section says ``enabled = true``, in registry order."""
    return [name for name in SOURCES if getattr(getattr(settings.harvester, name, None), "enabled", False)]


def resolve(name_or_channel: str) -> list[str]:
    """Source names for a source name or a channel (``sms`` -> rest_inbox and gammu)."""
    if name_or_channel in SOURCES:
        return [name_or_channel]
    names = [n for n, ch in CHANNELS.items() if ch == name_or_channel]
    if not names:
        known = sorted(set(SOURCES) | set(CHANNELS.values()))
        raise UnknownSource(f"unknown source or channel {name_or_channel!r}; known: {', '.join(known)}")
    return names


def load_builder(name: str) -> Any:
    if name not in SOURCES:
        raise UnknownSource(f"unknown source {name!r}; known: {', '.join(sorted(SOURCES))}")
    module_name, func = SOURCES[name].split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            raise SourceUnavailable(f"source {name!r}: module {module_name} is not part of this installation") from None
        raise
    return getattr(module, func)


def build(name: str, settings: Settings) -> Poller:
    """Build the poller of source ``name`` from ``settings``."""
    return load_builder(name)(settings)
