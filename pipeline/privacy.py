"""Keyed hashing of personal identifiers: handles and phone numbers never travel downstream in clear."""

from __future__ import annotations

import hashlib
import hmac
import re

_PHONE_NOISE = re.compile(r"[\s().-]")


def normalise_identifier(channel: str, identifier: str) -> str:
    """Canonical form so the same person hashes the same: lower-case handles without '@', phones as +62..."""
    ident = identifier.strip()
    if channel in {"sms", "whatsapp"} or re.fullmatch(r"\+?[\d\s().-]{6,}", ident):
        digits = _PHONE_NOISE.sub("", ident)
        if digits.startswith("+"):
            digits = digits[1:]
        if digits.startswith("0"):
            digits = "62" + digits[1:]
        return "+" + digits
    return ident.lstrip("@").lower()


def author_ref(key: str | bytes, channel: str, identifier: str) -> str:
    """``a1:`` + the first 32 hex digits of HMAC-SHA256(key, channel + ':' + normalised identifier)."""
    if isinstance(key, str):
        key = key.encode("utf-8")
    msg = f"{channel}:{normalise_identifier(channel, identifier)}".encode()
    return "a1:" + hmac.new(key, msg, hashlib.sha256).hexdigest()[:32]
