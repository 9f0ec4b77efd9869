"""Tokens of a text with their character offsets, and the matching key of a place name.

Names are compared by their *key*: folded words (lower case, Latin accents dropped) joined without spaces, so
"Tanah Abang", "tanah-abang" and "TanahAbang" are one key (``tanahabang``), and so are "Pal Merah" and "Palmerah".
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from pipeline.text import drop_latin_marks

_WORD = re.compile(r"[^\W_]+")


def fold_word(word: str) -> str:
    """Lower-case ``word`` and drop accents from Latin letters (``Cengkaréng`` -> ``cengkareng``)."""
    if word.isascii():
        return word.lower()
    return drop_latin_marks(unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", word).casefold()))


class Token(NamedTuple):
    """One word of a text: its folded form and its character offsets in the original text.

    A named tuple, not a dataclass: a text has dozens of them and a frozen dataclass costs twice as much to make
    (the geocoder stage's hot spot)."""

    norm: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    """The words of ``text`` with offsets into ``text`` itself."""
    if text.isascii():  # (most texts: lower-casing keeps every offset, and is then the whole fold)
        return [Token(m.group(), m.start(), m.end()) for m in _WORD.finditer(text.lower())]
    return [Token(fold_word(m.group()), m.start(), m.end()) for m in _WORD.finditer(text)]


def name_key(name: str) -> str:
    """The matching key of a name: its folded words joined without spaces."""
    return "".join(fold_word(m.group()) for m in _WORD.finditer(name))
