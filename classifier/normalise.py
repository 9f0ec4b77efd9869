"""Text normalisation for informal Indonesian (tweets, SMS, chat).

:func:`normalise` returns lower-case words separated by single spaces:

- Unicode is folded (NFKC, case-folded, accents dropped), so ``ＢＡＮＪＩＲ`` and ``Bánjir`` read ``banjir``;
- URLs and @mentions are removed (:func:`mentions` lists the handles for callers that want them);
- hashtags are split into known words (``#banjirjakarta`` -> ``banjir jakarta``, see :func:`split_hashtag`);
- letters repeated three or more times are squeezed to one (``parahhh`` -> ``parah``); a word that is still
  unknown is also tried with doubled letters squeezed (``bannjiir`` -> ``banjir``), kept only when that gives a
  known word, so ``saat`` or ``maaf`` stay as they are;
- reduplication written with a 2 is spelled out (``sampah2`` -> ``sampah sampah``); numbers glued to words are
  split off (``50cm`` -> ``50 cm``), numbers themselves are kept;
- slang and abbreviations become their normal form (``gak`` -> ``tidak``, ``jl`` -> ``jalan``, ``tj`` ->
  ``transjakarta`` but ``tj priok`` -> ``tanjung priok``), from the hand-written :data:`~classifier.lexicon.SLANG`.

Everything here is a pure function; :func:`normalise` is idempotent (normalising twice changes nothing) and runs
in time linear in the length of the text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache

from classifier.lexicon import COMMON_WORDS, RULES, SLANG, TANJUNG_NEXT
from pipeline.text import drop_latin_marks

__all__ = ["fold", "mentions", "normalise", "split_hashtag", "squeeze", "tokens", "vocabulary"]

#: Byte and character escapes left in text by careless exports (``\\xf0\\x9f\\x98\\x82``, ``\\n``): noise, not words.
_ESCAPE = re.compile(r"\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[nrt])")
_URL = re.compile(r"(?:https?://|www\.)\S*|\b[\w-]+\.(?:com|id|co|ly|net|org|me|io)/\S*")
_MENTION = re.compile(r"@(\w{1,50})")
_HASHTAG = re.compile(r"#(\w+)")
_TOKEN = re.compile(r"[^\W_]+")
_PIECE = re.compile(r"\d+|[^\W\d_]+")
_REDUPLICATED = re.compile(r"([^\W\d_]{2,})2")
_RUN3 = re.compile(r"(\w)\1{2,}")
_RUN2 = re.compile(r"(\w)\1")

#: Hashtags longer than this are not split (the splitter is quadratic in the word length it tries).
_MAX_HASHTAG = 60
_MAX_WORD = 16
_UNKNOWN_CHAR_COST = 5


def _strip_latin_accents(text: str) -> str:
    """Drop combining marks that sit on an ASCII letter (``é`` -> ``e``); other scripts keep theirs."""
    decomposed = unicodedata.normalize("NFKD", text)
    if decomposed.isascii() or not any(unicodedata.combining(c) for c in decomposed):
        return unicodedata.normalize("NFC", decomposed)
    return drop_latin_marks(decomposed)


def fold(text: str) -> str:
    """NFKC, case-fold and drop accents from Latin letters; repeated until nothing changes (a few rounds)."""
    if text.isascii():
        # ASCII is its own NFKC form and has no accents: lower-casing is the whole fold (the common case)
        return text.lower()
    for _ in range(4):
        result = _strip_latin_accents(unicodedata.normalize("NFKC", text).casefold())
        if result == text:
            return result
        text = result
    return text


@cache
def _hashtag_words() -> frozenset[str]:
    """Words the hashtag splitter may cut out: known words of three letters or more, minus abbreviations
    (``bet``, ``tak``) that would cut place names apart."""
    return frozenset(w for w in vocabulary() if len(w) >= 3 and w not in SLANG)


@cache
def vocabulary() -> frozenset[str]:
    """Known words: every plain word of the keyword rules, the slang forms, and a few common words."""
    words: set[str] = set(COMMON_WORDS)
    for key, value in SLANG.items():
        words.add(key)
        words.update(value.split())
    for _effects, patterns in RULES:
        for pattern in patterns:
            for item in pattern.split():
                if item.startswith("~") or item == "#":
                    continue
                for alt in item.split("|"):
                    if "*" not in alt:
                        words.add(alt)
                    elif alt.endswith("*") and "*" not in alt[:-1]:
                        words.add(alt[:-1])
    return frozenset(w for w in words if len(w) >= 2)


def squeeze(word: str) -> str:
    """Squeeze letters repeated three or more times to one: ``bannjiirrr`` -> ``bannjiir``."""
    return _RUN3.sub(r"\1", word)


_MAP_CACHE: dict[str, list[str]] = {}
_MAP_CACHE_SIZE = 200_000


def _map_word(word: str, vocab: frozenset[str]) -> list[str]:
    """One alphabetic word -> its normal form (possibly several words); memoised (the caller copies the list)."""
    hit = _MAP_CACHE.get(word)
    if hit is None:
        hit = _map_word_uncached(word, vocab)
        if len(_MAP_CACHE) < _MAP_CACHE_SIZE:
            _MAP_CACHE[word] = hit
    return hit


def _map_word_uncached(word: str, vocab: frozenset[str]) -> list[str]:
    first = squeeze(word)
    if first in SLANG:
        return SLANG[first].split()
    if first in vocab:
        return [first]
    second = _RUN2.sub(r"\1", first)
    if second != first:
        if second in SLANG:
            return SLANG[second].split()
        if second in vocab:
            return [second]
    return [first]


def split_hashtag(tag: str) -> list[str]:
    """Split a (folded) hashtag body into known words: ``banjirjakarta`` -> ``["banjir", "jakarta"]``.

    Chooses the segmentation that leaves the fewest characters unknown, then the fewest words; unknown runs stay
    whole (``savejakarta`` -> ``["save", "jakarta"]``, ``tebetbanjir`` -> ``["tebet", "banjir"]``). A tag with
    no known word in it, or longer than 60 characters, is returned whole.
    """
    tag = tag.strip("_")
    n = len(tag)
    if n == 0:
        return []
    if n > _MAX_HASHTAG:
        return [tag]
    vocab = _hashtag_words()
    inf = (1 << 30, 0)
    # best[i] = (cost, number of pieces) of the best split of tag[:i]; back[i] = (start, known?)
    best: list[tuple[int, int]] = [inf] * (n + 1)
    back: list[tuple[int, bool]] = [(0, False)] * (n + 1)
    best[0] = (0, 0)
    for i in range(n):
        if best[i] == inf:
            continue
        cost, pieces = best[i]
        # one unknown character
        cand = (cost + _UNKNOWN_CHAR_COST, pieces)
        if cand < best[i + 1]:
            best[i + 1], back[i + 1] = cand, (i, False)
        for j in range(i + 3, min(n, i + _MAX_WORD) + 1):
            if tag[i:j] in vocab:
                cand = (cost + 1, pieces + 1)
                if cand < best[j]:
                    best[j], back[j] = cand, (i, True)
    parts: list[tuple[str, bool]] = []
    j = n
    while j > 0:
        i, known = back[j]
        parts.append((tag[i:j], known))
        j = i
    parts.reverse()
    if not any(known for _, known in parts):
        return [tag]
    merged: list[str] = []
    unknown = ""
    for piece, known in parts:
        if known:
            if unknown:
                merged.append(unknown)
                unknown = ""
            merged.append(piece)
        else:
            unknown += piece
    if unknown:
        merged.append(unknown)
    return [p for p in (m.strip("_") for m in merged) if p]


def mentions(text: str) -> list[str]:
    """The @handles in ``text``, folded, without the ``@``."""
    return [m.group(1) for m in _MENTION.finditer(fold(text))]


_EXPAND_CACHE: dict[str, tuple[str, ...]] = {}


def _expand_token(tok: str, vocab: frozenset[str]) -> tuple[str, ...]:
    """The normal words of one raw token (other than ``tj``, which depends on the next one); memoised."""
    hit = _EXPAND_CACHE.get(tok)
    if hit is None:
        m = _REDUPLICATED.fullmatch(tok)
        pieces = [m.group(1), m.group(1)] if m else _PIECE.findall(tok)
        out: list[str] = []
        for piece in pieces:
            if piece[0].isdigit():
                out.append(piece)
            else:
                out.extend(_map_word(piece, vocab))
        hit = tuple(out)
        if len(_EXPAND_CACHE) < _MAP_CACHE_SIZE:
            _EXPAND_CACHE[tok] = hit
    return hit


def _expand(raw_tokens: Iterable[str]) -> list[str]:
    vocab = vocabulary()
    raw = raw_tokens if isinstance(raw_tokens, list) else list(raw_tokens)
    out: list[str] = []
    cache_get = _EXPAND_CACHE.get
    last = len(raw) - 1
    for i, tok in enumerate(raw):
        if tok == "tj" and i < last and raw[i + 1] in TANJUNG_NEXT:
            out.append("tanjung")
            continue
        hit = cache_get(tok)
        out.extend(hit if hit is not None else _expand_token(tok, vocab))
    return out


def tokens(text: str) -> list[str]:
    """The normalised words of ``text`` (see the module docstring)."""
    text = fold(text)
    # each pattern below needs its marker character: skip the passes that cannot match (most texts)
    if "\\" in text:
        text = _ESCAPE.sub(" ", text)
    if "/" in text or "www." in text:
        text = _URL.sub(" ", text)
    if "@" in text:
        text = _MENTION.sub(" ", text)
    if "#" in text:
        text = _HASHTAG.sub(lambda m: " " + " ".join(split_hashtag(m.group(1))) + " ", text)
    return _expand(_TOKEN.findall(text))


def normalise(text: str) -> str:
    """``text`` as normalised words separated by single spaces."""
    return " ".join(tokens(text))
