"""Personal data at the harvester's boundary: phone numbers masked in the payloads analysts can see.

Handles and numbers that identify the author become ``author_ref`` (:func:`pipeline.privacy.author_ref`); this
module masks the phone numbers that remain inside a provider payload kept as ``RawMessage.raw``: the sender field
itself and any phone-like number in its strings (``+6281234567890`` -> ``+62812******90``). Message text is not
touched: it is what the citizen wrote and the classifier and geocoder need it.
"""

from __future__ import annotations

import re
from typing import Any

# A number written the way phone numbers are: starting with '+', '0' or '62' followed by 8 (Indonesian mobile),
# 9 to 15 digits, optionally grouped by spaces, dots or dashes. Dates (2026-11-28) and plain counts do not match.
_PHONE = re.compile(r"(?<![\w+])(?:\+\d|0|62(?=[\s.-]?8))[\d\s.-]{7,20}\d(?![\w])")
_DIGITS = re.compile(r"\d")


def mask_phone(value: str) -> str:
    """Keep the first 5 and last 2 digits (operator prefix and a check for a human), mask the rest."""
    digits = _DIGITS.findall(value)
    if len(digits) < 6:
        return "*" * len(value)
    keep_head, keep_tail = 5, 2
    out = []
    seen = 0
    total = len(digits)
    for ch in value:
        if ch.isdigit():
            out.append(ch if seen < keep_head or seen >= total - keep_tail else "*")
            seen += 1
        else:
            out.append(ch)
    return "".join(out)


def _looks_like_phone(match: str) -> bool:
    n = len(_DIGITS.findall(match))
    return 9 <= n <= 15


def mask_phones_in_text(text: str) -> str:
    return _PHONE.sub(lambda m: mask_phone(m.group(0)) if _looks_like_phone(m.group(0)) else m.group(0), text)


def mask_phones(value: Any) -> Any:
    """A copy of ``value`` (JSON-like data) with every phone-like number in its strings masked."""
    if isinstance(value, str):
        return mask_phones_in_text(value)
    if isinstance(value, dict):
        return {k: mask_phones(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_phones(v) for v in value]
    return value
