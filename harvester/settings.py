"""The harvester's view of the settings: the privacy key that turns handles into author_ref."""

from __future__ import annotations

from config.settings import PrivacySettings, Settings

__all__ = ["PrivacySettings", "Settings", "author_hash_key"]


def author_hash_key(settings: Settings) -> str:
    return settings.privacy.author_hash_key.get_secret_value()
