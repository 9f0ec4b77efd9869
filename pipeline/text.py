"""Text helpers every stage that reads words shares."""

from __future__ import annotations

import unicodedata


def drop_latin_marks(decomposed: str) -> str:
    """From an NFKD-decomposed string, drop the combining marks that sit on an ASCII letter (``é`` -> ``e``) and
    recompose; marks on letters of other scripts stay."""
    out: list[str] = []
    base_is_ascii = False
    for c in decomposed:
        if unicodedata.category(c).startswith("M"):
            if base_is_ascii:
                continue
        else:
            base_is_ascii = c.isascii()
        out.append(c)
    return unicodedata.normalize("NFC", "".join(out))
