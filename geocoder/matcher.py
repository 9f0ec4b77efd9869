"""Find admin-area names in a message and choose the most specific consistent reading.

Reading names
-------------
The text is split into words with their offsets (:func:`geocoder.text.tokenize`). At every word the longest run of
up to :attr:`Matcher.max_words` words whose key (the words joined without spaces) is a gazetteer name or alias is a
*mention*, so "Tanah Abang", "tanahabang" and "Kp. Melayu" are all found and "Kelapa Gading Timur" wins over
"Kelapa Gading". Words right before a mention set its level: "kel."/"kelurahan"/"lurah" (kelurahan),
"kec."/"kecamatan"/"camat" (kecamatan), "kota"/"kab."/"kabupaten"/"kodya" (kota) -- a strong cue that keeps only
candidates of that level.

Each mention has *primary* candidates (the areas it plainly names) and *secondary* ones (readings that need
corroboration):

- a bare name shared by a kecamatan and a kelurahan ("Tebet", "Cengkareng", "Jatinegara") is primarily the
  kecamatan; the kelurahan is secondary, so "Tebet" alone is the kecamatan and "Kel. Tebet" the kelurahan;
- names that are also common words or places outside Jakarta (:data:`WEAK_NAMES`: "Baru", "Tengah", "Gunung",
  "Bintaro", "Kelapa Dua", ...) are only secondary unless a level word precedes them.

Choosing a reading
------------------
Every candidate area is scored by ``(support, primary support)``: how many mentions name it or one of the areas it
lies in, and how many of those do so primarily. Readings without any primary support are dropped. Among the best,
if all lie on one chain (kelurahan -> kecamatan -> kota) the most specific wins; otherwise their lowest common area
is the answer (two kecamatan of Jakarta Selatan -> Jakarta Selatan), or nothing when they share none (Tebet and
Cengkareng). So "Kel. Tegal Alur Kec. Kalideres" gives the kelurahan Tegal Alur, a kelurahan name found in two
kecamatan of one kota gives that kota, and contradicting names give no place.

Outside Jakarta
---------------
When the text names a city outside DKI (:data:`NON_DKI`: Bekasi, Depok, Tangerang, Bogor, ...) -- not as part of a
street such as "Jl. Raya Bogor" -- the reading must be backed by more than one lone name: a kota mention, the word
"Jakarta" or "DKI", a level word, or two consistent mentions. Otherwise the matcher declines ("Pekayon, Bekasi" is
not Pekayon in Pasar Rebo).

Spans are character offsets into the original text. The matched text is the name of the chosen area as written;
when the chosen area is a common parent that the text does not name, it spans the mentions it was read from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from geocoder.gazetteer import Area, Gazetteer, Level
from geocoder.settings import MAX_LOCATE_CHARS
from geocoder.text import Token, name_key, tokenize
from pipeline.contract import Location

__all__ = ["LEVEL_WORDS", "NON_DKI", "WEAK_NAMES", "Matcher", "Mention", "location_for"]

#: Words announcing the level of the name that follows.
LEVEL_WORDS: Final[Mapping[str, Level]] = {
    "kel": "kelurahan",
    "kelurahan": "kelurahan",
    "lurah": "kelurahan",
    "kelur": "kelurahan",
    "kec": "kecamatan",
    "kecamatan": "kecamatan",
    "camat": "kecamatan",
    "kota": "kota",
    "kab": "kota",
    "kabupaten": "kota",
    "kodya": "kota",
    "kotamadya": "kota",
    "wilayah": "kota",
}
#: Words that may sit between a level word and the name ("Kota Adm. Jakarta Selatan", "Kantor Kelurahan X").
_LEVEL_FILLERS: Final[frozenset[str]] = frozenset({"adm", "administrasi", "kantor"})

# fmt: off
#: Keys of names that are also common words or places outside Jakarta: they need corroboration.
WEAK_NAMES: Final[frozenset[str]] = frozenset(
    name_key(n)
    for n in (
        "Baru", "Tengah", "Gunung", "Pulo", "Jati", "Dukuh", "Gedong", "Karet", "Kamal", "Kramat", "Guntur",
        "Kartini", "Rambutan", "Bangka", "Galur", "Gelora", "Kenari", "Serdang", "Selong", "Setu", "Pekayon",
        "Kelapa Dua", "Kalibaru", "Sumur Batu", "Batu Ampar", "Ceger", "Makasar", "Bintaro", "Joglo", "Munjul",
        "Susukan", "Pasar Baru", "Tanah Tinggi", "Kampung Bali", "Karang Anyar", "Kali Anyar",
    )
)

#: Cities and regencies around or beyond Jakarta that people name next to (or instead of) Jakarta places.
NON_DKI: Final[frozenset[str]] = frozenset(
    name_key(n)
    for n in (
        "Bekasi", "Depok", "Tangerang", "Tangsel", "Bogor", "Cikarang", "Karawang", "Cibinong", "Cileungsi",
        "Ciledug", "Pamulang", "Serpong", "Ciputat", "Bandung", "Serang", "Cilegon", "Sukabumi", "Cianjur",
        "Semarang", "Surabaya", "Yogyakarta", "Jogja", "Solo", "Medan", "Makassar", "Palembang", "Malang",
        "Banten", "Jawa Barat", "Jabar",
    )
)
# fmt: on
#: Words before a city name that make it part of a street or a direction, not the place of the message.
_STREET_WORDS: Final[frozenset[str]] = frozenset(
    {"jalan", "jl", "jln", "raya", "tol", "arah", "ke", "menuju"}
)
_DKI_WORDS: Final[frozenset[str]] = frozenset({"jakarta", "dki", "jkt"})


@dataclass(frozen=True)
class Mention:
    """A name found in the text."""

    start: int
    end: int
    text: str
    #: The level a preceding level word asked for, if any.
    level_hint: Level | None
    primary: tuple[Area, ...]
    secondary: tuple[Area, ...]

    @property
    def candidates(self) -> tuple[Area, ...]:
        return self.primary + self.secondary


@dataclass(frozen=True)
class _Scan:
    mentions: tuple[Mention, ...]
    non_dki: bool
    dki_word: bool


def location_for(gazetteer: Gazetteer, area: Area, **extra: object) -> Location:
    """A Location naming ``area`` and the areas it lies in, at its centroid unless ``extra`` says otherwise."""
    kota = gazetteer.kota_of(area)
    kecamatan = gazetteer.kecamatan_of(area) if area.level != "kota" else None
    fields: dict[str, object] = {
        "precision": area.level,
        "lat": area.centroid[0],
        "lon": area.centroid[1],
        "kota_code": kota.code if kota else area.kota_code,
        "kota_name": kota.name if kota else None,
    }
    if kecamatan is not None:
        fields["kecamatan_code"] = kecamatan.code
        fields["kecamatan_name"] = kecamatan.name
    if area.level == "kelurahan":
        fields["kelurahan_code"] = area.code
        fields["kelurahan_name"] = area.name
    fields.update(extra)
    return Location.model_validate(fields)


class Matcher:
    """Reads admin-area names in text against one gazetteer. Pure and thread-safe after construction."""

    def __init__(self, gazetteer: Gazetteer, max_chars: int = MAX_LOCATE_CHARS) -> None:
        self.gazetteer = gazetteer
        self.max_chars = max_chars
        self._names = gazetteer.names
        longest = max((len(k) for k in self._names), default=1)
        # A name of n characters spans at most n words; cap it so scanning stays linear.
        self.max_words = min(6, longest)

    # -- reading names -------------------------------------------------------------------------------------------
    def mentions(self, text: str) -> list[Mention]:
        """Every admin-area name in ``text`` (only its first ``max_chars`` characters are read)."""
        return list(self._scan(text).mentions)

    def _scan(self, text: str) -> _Scan:
        text = text[: self.max_chars]
        tokens = tokenize(text)
        found: list[Mention] = []
        non_dki = False
        dki_word = False
        hint: Level | None = None
        i = 0
        while i < len(tokens):
            hit = self._longest_name(tokens, i)
            if hit is not None:
                n, areas = hit
                start, end = tokens[i].start, tokens[i + n - 1].end
                found.append(self._mention(text[start:end], start, end, hint, areas))
                hint = None
                i += n
                continue
            word = tokens[i].norm
            if word in LEVEL_WORDS:
                hint = LEVEL_WORDS[word]
            elif not (hint is not None and word in _LEVEL_FILLERS):
                hint = None
            if word in _DKI_WORDS:
                dki_word = True
            n_city = self._city_at(tokens, i)
            if n_city:
                if i == 0 or tokens[i - 1].norm not in _STREET_WORDS:
                    non_dki = True
                i += n_city
                continue
            i += 1
        return _Scan(tuple(found), non_dki, dki_word)

    def _longest_name(self, tokens: Sequence[Token], i: int) -> tuple[int, tuple[Area, ...]] | None:
        key = ""
        best: tuple[int, tuple[Area, ...]] | None = None
        for n in range(1, min(self.max_words, len(tokens) - i) + 1):
            key += tokens[i + n - 1].norm
            areas = self._names.get(key)
            if areas:
                best = (n, areas)
        return best

    @staticmethod
    def _city_at(tokens: Sequence[Token], i: int) -> int:
        key = ""
        for n in range(1, min(3, len(tokens) - i) + 1):
            key += tokens[i + n - 1].norm
            if key in NON_DKI:
                return n
        return 0

    @staticmethod
    def _mention(text: str, start: int, end: int, hint: Level | None, areas: tuple[Area, ...]) -> Mention:
        if hint is not None:
            at_level = tuple(a for a in areas if a.level == hint)
            if at_level:
                return Mention(start, end, text, hint, at_level, ())
        if name_key(text) in WEAK_NAMES:
            return Mention(start, end, text, hint, (), areas)
        if any(a.level == "kecamatan" for a in areas):
            primary = tuple(a for a in areas if a.level != "kelurahan")
            secondary = tuple(a for a in areas if a.level == "kelurahan")
            return Mention(start, end, text, hint, primary, secondary)
        return Mention(start, end, text, hint, areas, ())

    # -- choosing a reading ----------------------------------------------------------------------------------------
    def match(self, text: str) -> Location:
        """The place ``text`` names, or a Location with precision "none"."""
        scan = self._scan(text)
        chosen = self._choose(scan)
        if chosen is None:
            return Location.model_validate({})
        area, used = chosen
        direct = [m for m in used if area in m.primary] or [m for m in used if area in m.secondary]
        if direct:
            start, end = direct[0].start, direct[0].end
        else:
            start, end = min(m.start for m in used), max(m.end for m in used)
        return location_for(
            self.gazetteer,
            area,
            matched_text=text[start:end],
            span=(start, end),
            method="gazetteer",
        )

    def _choose(self, scan: _Scan) -> tuple[Area, list[Mention]] | None:
        mentions = scan.mentions
        if not mentions:
            return None
        readings: dict[str, Area] = {}
        for m in mentions:
            for a in m.candidates:
                readings.setdefault(a.code, a)
        scored: list[tuple[tuple[int, int], Area, list[Mention]]] = []
        for area in readings.values():
            support, primary, used = self._support(area, mentions)
            if primary > 0:
                scored.append(((support, primary), area, used))
        if not scored:
            return None
        best_score = max(s for s, _, _ in scored)
        top = [(a, used) for s, a, used in scored if s == best_score]
        most_specific = max((a for a, _ in top), key=lambda a: (a.rank, a.code))
        if all(a.code in most_specific.chain for a, _ in top):
            area = most_specific
            used = next(u for a, u in top if a is most_specific)
        else:
            common = frozenset.intersection(*(a.chain for a, _ in top))
            if not common:
                return None
            parents = [self.gazetteer.get(c) for c in common]
            area = max((p for p in parents if p is not None), key=lambda a: a.rank)
            used = sorted({id(m): m for _, u in top for m in u}.values(), key=lambda m: m.start)
        if scan.non_dki and not self._backed(area, used, scan):
            return None
        return area, used

    @staticmethod
    def _support(area: Area, mentions: Sequence[Mention]) -> tuple[int, int, list[Mention]]:
        """(support, primary support, supporting mentions) of reading ``area``.

        A mention that names ``area`` itself counts as primary or secondary as it names it; a mention that names an
        area ``area`` lies in counts as primary when that name is primary (it corroborates).
        """
        support = primary = 0
        used: list[Mention] = []
        chain = area.chain
        for m in mentions:
            if area in m.primary:
                support += 1
                primary += 1
            elif area in m.secondary:
                support += 1
            elif any(a.code in chain for a in m.primary):
                support += 1
                primary += 1
            elif any(a.code in chain for a in m.secondary):
                support += 1
            else:
                continue
            used.append(m)
        return support, primary, used

    @staticmethod
    def _backed(area: Area, used: Sequence[Mention], scan: _Scan) -> bool:
        """Whether a reading survives a mention of a city outside Jakarta."""
        if scan.dki_word or len(used) >= 2:
            return True
        return any(m.level_hint is not None or any(a.level == "kota" for a in m.primary) for m in used)
