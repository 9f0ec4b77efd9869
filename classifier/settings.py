"""The classifier's settings: its section of :mod:`config.settings` and the values derived from it."""

from __future__ import annotations

from config.settings import ClassifierSettings, Settings

__all__ = ["MAX_CLASSIFY_CHARS", "ClassifierSettings", "Settings", "section"]

#: Only this many leading characters of a message are read by the classifier (model and keyword baseline). Tweets, SMS and chat
#: messages are far shorter; long e-mails state their problem early. Bounds the work on hostile input.
MAX_CLASSIFY_CHARS = 5_000


def section(settings: Settings) -> ClassifierSettings:
    """The classifier section of the full settings."""
    return settings.classifier
