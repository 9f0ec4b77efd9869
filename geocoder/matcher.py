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
"Jakarta" or "DKI", or two consistent mentions (a level word is not enough: "Kecamatan Gambir Tasikmalaya").
Otherwise the matcher declines ("Pekayon, Bekasi" is not Pekayon in Pasar Rebo). A city name that is longer than
the Jakarta name it starts with wins ("Pancoran Mas" is in Depok, not Pancoran).

Places
------
When the pack has places, :class:`geocoder.places.PlaceFinder` (spaCy PhraseMatcher) reads them; a place is a
reading one step more specific than a kelurahan (precision "street" or "place", its own point). A strong place hit
replaces the admin names inside its span; a weak one only corroborates. When a place and a kelurahan announced by
its level word tie ("Jl. Mandor Hasan, Kel. Cipayung"), the kelurahan wins: a street's point is one spot of a line.
After a level word, a name one edit away is accepted ("Kecamatan Pesanggarahan"). When the reading is a kelurahan
and the text names one of its RW ("RW 04", "RT 10/05"), the RW's point is given (precision "place").

Spans are character offsets into the original text. The matched text is the name of the chosen area as written;
when the chosen area is a common parent that the text does not name, it spans the mentions it was read from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from geocoder.gazetteer import Area, Gazetteer, Level, Place
from geocoder.settings import MAX_LOCATE_CHARS
from geocoder.text import Token, name_key, tokenize
from pipeline.contract import Location

if TYPE_CHECKING:
    from geocoder.places import PlaceFinder

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
        # kecamatan and towns of Bekasi, Depok, Tangerang and Bogor that people name without their city
        "Jatiasih", "Jatimakmur", "Pondok Gede", "Bekasi Utara", "Bekasi Timur", "Bekasi Barat", "Bekasi Selatan",
        "Rawalumbu", "Bantar Gebang", "Mustika Jaya", "Medan Satria", "Tambun", "Babelan", "Cibitung", "Pancoran Mas",
        "Sawangan", "Cinere", "Cimanggis", "Bojongsari", "Tapos", "Margonda", "Citayam", "Karawaci", "Cipondoh",
        "Pondok Aren", "Cisarua", "Sentul", "Cileungsi", "Gunung Putri", "Jonggol", "Tangsel", "Ciledug",
        # provinces and large towns elsewhere in Indonesia
        "Aceh", "Sumatera", "Sumut", "Sumbar", "Riau", "Jambi", "Bengkulu", "Lampung", "Jawa Tengah", "Jateng",
        "Jawa Timur", "Jatim", "Bali", "NTB", "NTT", "Kalimantan", "Kalbar", "Kaltim", "Sulawesi", "Maluku",
        "Papua", "Pekanbaru", "Padang", "Denpasar", "Balikpapan", "Samarinda", "Pontianak", "Banjarmasin", "Manado",
        "Kupang", "Mataram", "Jayapura", "Ambon", "Batam", "Tasikmalaya", "Cirebon", "Garut", "Purwakarta",
        "Subang", "Sumedang", "Kediri", "Madiun", "Jember", "Banyuwangi", "Sidoarjo", "Gresik", "Mojokerto",
        "Magelang", "Klaten", "Sleman", "Bantul", "Kudus", "Tegal", "Pekalongan", "Purwokerto", "Cilacap",
        "Salatiga",
    )
)
# fmt: on
_NON_DKI_PREFIXES: Final[frozenset[str]] = frozenset(k[:j] for k in NON_DKI for j in range(1, len(k) + 1))
#: Words before a city name that make it part of a street or a direction, not the place of the message.
_STREET_WORDS: Final[frozenset[str]] = frozenset(
    {"jalan", "jl", "jln", "raya", "tol", "arah", "ke", "menuju"}
)
_DKI_WORDS: Final[frozenset[str]] = frozenset({"jakarta", "dki", "jkt"})
_AND_WORDS: Final[frozenset[str]] = frozenset({"dan", "serta", "atau"})
_RW_NAME = re.compile(r"RW (\d+)\b")
#: "RW 05", "rw.5", "RW05", and the RW of "RT 10/05" / "RT 003 RW 005"
_RW_MENTION = re.compile(
    r"\bRW\.?\s*0*(?P<rw>\d{1,3})\b|\bRT\.?\s*\d{1,3}\s*/\s*0*(?P<rtrw>\d{1,3})\b", re.IGNORECASE
)
_CITY_IN_WORD: Final[tuple[str, ...]] = ("bekasi", "depok", "tangerang", "bogor", "tangsel", "cikarang", "bandung")
#: Police and army units named after the area they serve ("Polsek Tebet", "Polres Metro Jakarta Barat").
_UNIT_WORDS: Final[frozenset[str]] = frozenset(
    {"polsek", "polres", "polrestro", "kapolsek", "kapolres", "koramil", "danramil", "kodim", "dandim", "polda"}
)
_UNIT_FILLERS: Final[frozenset[str]] = frozenset({"metro", "kota"})
#: Words of administrative units DKI Jakarta does not have (villages, hamlets, Yogyakarta's kapanewon).
_ELSEWHERE_WORDS: Final[frozenset[str]] = frozenset({"desa", "dusun", "kapanewon", "nagari", "kampung" + "adat"})
#: Level words whose following name, when the pack does not know it, points outside DKI ("Kecamatan Kawedanan").
_UNKNOWN_AFTER: Final[frozenset[str]] = frozenset({"kec", "kecamatan", "kabupaten", "kab", "kel", "kelurahan"})
#: Words after a level word that are not names ("kelurahan setempat", "kecamatan dan kelurahan").
_NOT_A_NAME: Final[frozenset[str]] = frozenset(
    {
        "setempat", "dan", "di", "yang", "yg", "ini", "itu", "tersebut", "se", "tidak", "atau", "serta", "untuk",
        "sudah", "masih", "juga", "nya", "mana", "kami", "kita", "saya", "terdekat", "masing", "lain", "baru",
        "dki", "jakarta", "jkt", "administrasi", "adm", "kepulauan", "pulau", "sekitar", "pun", "ke", "dari",
    }
)


@dataclass(frozen=True)
class Mention:
    """A name found in the text."""

    start: int
    end: int
    text: str
    #: The level a preceding level word asked for, if any.
    level_hint: Level | None
    primary: tuple[Area | Place, ...]
    secondary: tuple[Area | Place, ...]

    @property
    def candidates(self) -> tuple[Area | Place, ...]:
        return self.primary + self.secondary


@dataclass(frozen=True)
class _Scan:
    mentions: tuple[Mention, ...]
    non_dki: bool
    dki_word: bool


def location_for(gazetteer: Gazetteer, area: Area | Place, **extra: object) -> Location:
    """A Location naming ``area`` and the areas it lies in, at its centroid unless ``extra`` says otherwise.

    A :class:`~geocoder.gazetteer.Place` gives precision "street" or "place", its own point and the codes of the
    kelurahan, kecamatan and kota it lies in.
    """
    if isinstance(area, Place):
        fields_p: dict[str, object] = {"precision": area.level, "lat": area.lat, "lon": area.lon}
        for level in ("kota", "kecamatan", "kelurahan"):
            parent = gazetteer.get(getattr(area, f"{level}_code"))
            if parent is not None:
                fields_p[f"{level}_code"] = parent.code
                fields_p[f"{level}_name"] = parent.name
        fields_p.update(extra)
        return Location.model_validate(fields_p)
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
        #: every prefix of every name key: scanning stops as soon as the words read start no name
        self._prefixes = frozenset(k[:j] for k in self._names for j in range(1, len(k) + 1))
        self._by_level: dict[str, dict[str, tuple[Area, ...]]] = {}
        self._name_starts: frozenset[str] | None = None
        self._deletion_index: dict[str, dict[str, tuple[str, ...]]] = {}
        self.places: PlaceFinder | None = None
        #: (kelurahan code, RW number) -> the RW's point
        self._rw: dict[tuple[str, int], Place] = {}
        for place in gazetteer.places:
            number = _RW_NAME.match(place.name)
            if place.kind == "rw" and place.kelurahan_code and number:
                self._rw.setdefault((place.kelurahan_code, int(number.group(1))), place)
        if gazetteer.places:
            from geocoder.places import PlaceFinder

            self.places = PlaceFinder(gazetteer)

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
        last_hint: Level | None = None  # the level word of the previous name, for "Kelurahan A dan B"
        i = 0
        while i < len(tokens):
            hit = self._longest_name(tokens, i)
            n_city = self._city_at(tokens, i)
            if hit is None and hint is not None:
                hit = self._fuzzy_name(tokens, i, hint)
            if hit is not None and n_city > hit[0]:
                hit = None  # "Pancoran Mas" is a kecamatan of Depok, not Pancoran
            if hit is not None:
                n, areas = hit
                start, end = tokens[i].start, tokens[i + n - 1].end
                if hint is None and self._after_unit(tokens, i) and not any(a.level == "kota" for a in areas):
                    # "Polsek Johar Baru", "Koramil 04/Kebayoran Lama": a police or army unit named after its area
                    # reports from elsewhere too, so its name is not read (a kota's, "Polres Jakarta Timur", is:
                    # the unit works inside its kota)
                    hint = None
                    i += n
                    continue
                found.append(self._mention(text[start:end], start, end, hint, areas))
                last_hint, hint = hint, None
                i += n
                continue
            word = tokens[i].norm
            if word in _ELSEWHERE_WORDS or (
                word in _UNKNOWN_AFTER and self._unknown_area_after(tokens, i)
            ):
                non_dki = True  # "Desa Mernek", "Kecamatan Kawedanan": DKI has kelurahan, and knows its names
            if word in LEVEL_WORDS:
                hint = LEVEL_WORDS[word]
            elif word in _AND_WORDS and last_hint is not None and found and found[-1].end == tokens[i - 1].end:
                hint = last_hint
            elif not (hint is not None and word in _LEVEL_FILLERS):
                hint = None
            if word in _DKI_WORDS:
                dki_word = True
            elif len(word) > 7 and any(city in word and city != word for city in _CITY_IN_WORD):
                non_dki = True  # "@txtdrbekasi", "#banjirbekasi": the account or tag says where
            if n_city:
                if i == 0 or tokens[i - 1].norm not in _STREET_WORDS:
                    non_dki = True
                i += n_city
                continue
            i += 1
        if self.places is not None and self._may_name_place(tokens):
            found = self._with_places(text, found)
        return _Scan(tuple(found), non_dki, dki_word)

    def _unknown_area_after(self, tokens: Sequence[Token], i: int) -> bool:
        """Whether the level word at ``i`` is followed by a word that starts no area name of the pack."""
        j = i + 1
        while j < len(tokens) and tokens[j].norm in _LEVEL_FILLERS:
            j += 1
        if j >= len(tokens):
            return False
        word = tokens[j].norm
        if word in _NOT_A_NAME or word.isdigit() or word in LEVEL_WORDS or self._starts_name(word):
            return False
        return not any(self._fuzzy_name(tokens, j, level) for level in ("kecamatan", "kelurahan"))

    def _starts_name(self, word: str) -> bool:
        if self._name_starts is None:
            starts: set[str] = set()
            for area in self.gazetteer:
                for text in (area.name, *area.aliases):
                    words = tokenize(text)
                    if words:
                        starts.add(words[0].norm)
                        # names written together ("tanahabang") start with their whole key
                        starts.add(name_key(text))
            self._name_starts = frozenset(starts)
        return word in self._name_starts

    @staticmethod
    def _after_unit(tokens: Sequence[Token], i: int) -> bool:
        j = i - 1
        while j >= 0 and (tokens[j].norm in _UNIT_FILLERS or tokens[j].norm.isdigit()):
            j -= 1
        return j >= 0 and tokens[j].norm in _UNIT_WORDS

    def _may_name_place(self, tokens: Sequence[Token]) -> bool:
        """Whether some run of up to six words has the key of a place (then spaCy reads the text)."""
        assert self.places is not None
        keys, first = self.places.keys, self.places.first_words
        for i, token in enumerate(tokens):
            if token.norm not in first:
                continue
            key = ""
            for n in range(min(6, len(tokens) - i)):
                key += tokens[i + n].norm
                if key in keys:
                    return True
        return False

    def _with_places(self, text: str, found: list[Mention]) -> list[Mention]:
        """Add the place hits: a strong hit replaces the admin names inside it, a weak one only corroborates."""
        assert self.places is not None
        for hit in self.places.find(text):
            overlapping = [m for m in found if m.start < hit.end and hit.start < m.end]
            if hit.strong:
                covered = all(hit.start <= m.start and m.end <= hit.end for m in overlapping)
                if not covered:
                    continue  # "Jalan Kuningan Barat Raya": the admin name is longer than the place "Kuningan"
                found = [m for m in found if m not in overlapping]
                found.append(Mention(hit.start, hit.end, text[hit.start : hit.end], None, hit.places, ()))
            elif not overlapping:
                found.append(Mention(hit.start, hit.end, text[hit.start : hit.end], None, (), hit.places))
        return sorted(found, key=lambda m: m.start)

    def _longest_name(self, tokens: Sequence[Token], i: int) -> tuple[int, tuple[Area, ...]] | None:
        key = ""
        best: tuple[int, tuple[Area, ...]] | None = None
        prefixes = self._prefixes
        for n in range(1, min(self.max_words, len(tokens) - i) + 1):
            key += tokens[i + n - 1].norm
            if key not in prefixes:  # no name starts so: stop extending
                break
            areas = self._names.get(key)
            if areas:
                best = (n, areas)
        return best

    def _fuzzy_name(self, tokens: Sequence[Token], i: int, level: Level) -> tuple[int, tuple[Area, ...]] | None:
        """After a level word only: a name of that level one edit away ("Kecamatan Pesanggarahan")."""
        key = ""
        for n in range(1, min(4, len(tokens) - i) + 1):
            key += tokens[i + n - 1].norm
            if len(key) < 6:
                continue
            names = self._level_names(level)
            areas = names.get(key)
            if areas is None:
                # symmetric deletes: a name one edit away shares a one-letter deletion with the key (or is one)
                index = self._deletions(level)
                for variant in (key, *_deletions_of(key)):
                    for name in index.get(variant, ()):
                        if _one_edit(name, key):
                            areas = names[name]
                            break
                    if areas:
                        break
            if areas:
                return n, areas
        return None

    def _deletions(self, level: Level) -> dict[str, tuple[str, ...]]:
        cached = self._deletion_index.get(level)
        if cached is None:
            index: dict[str, list[str]] = {}
            for name in self._level_names(level):
                for variant in (name, *_deletions_of(name)):
                    index.setdefault(variant, []).append(name)
            cached = {k: tuple(v) for k, v in index.items()}
            self._deletion_index[level] = cached
        return cached

    def _level_names(self, level: Level) -> dict[str, tuple[Area, ...]]:
        cached = self._by_level.get(level)
        if cached is None:
            cached = {}
            for key, areas in self._names.items():
                at_level = tuple(a for a in areas if a.level == level)
                if at_level and len(key) >= 6:
                    cached[key] = at_level
            self._by_level[level] = cached
        return cached

    @staticmethod
    def _city_at(tokens: Sequence[Token], i: int) -> int:
        key = ""
        for n in range(1, min(3, len(tokens) - i) + 1):
            key += tokens[i + n - 1].norm
            if key not in _NON_DKI_PREFIXES:
                return 0
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
        rw = self._rw_in(text, area)
        if rw is not None:
            place, start, end = rw
            return location_for(
                self.gazetteer, place, matched_text=text[start:end], span=(start, end), method="gazetteer"
            )
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

    def _rw_in(self, text: str, area: Area | Place) -> tuple[Place, int, int] | None:
        """An RW of the chosen kelurahan that the text names ("RW 05", "RT 10/05", "Rw.5"), with its span."""
        if not self._rw or isinstance(area, Place) or area.level != "kelurahan":
            return None
        for m in _RW_MENTION.finditer(text[: self.max_chars]):
            number = m.group("rw") or m.group("rtrw")
            place = self._rw.get((area.code, int(number)))
            if place is not None:
                return place, m.start(), m.end()
        return None

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
            if primary > 0 and not (isinstance(area, Place) and not self._place_backed(area, used)):
                scored.append(((support, primary), area, used))
        if not scored:
            return None
        best_score = max(s for s, _, _ in scored)
        top = [(a, used) for s, a, used in scored if s == best_score]
        if any(isinstance(a, Place) for a, _ in top) and any(
            not isinstance(a, Place) and any(m.level_hint is not None for m in used) for a, used in top
        ):
            # "Jl. Mandor Hasan Kel. Cipayung": a street's point is one spot of a long line, the named kelurahan wins
            top = [(a, used) for a, used in top if not isinstance(a, Place)]
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
    def _place_backed(place: Place, used: Sequence[Mention]) -> bool:
        """A place named only weakly ("warga", a halte's name that is a common word) needs its kelurahan or kecamatan
        named too: a kota alone does not make "warga" the halte Warga."""
        if any(place in m.primary for m in used):
            return True
        near = {place.kelurahan_code, place.kecamatan_code} - {None}
        return any(a.code in near for m in used for a in m.primary)

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
                # a name announced by its level word counts double: "Pintu Air Manggarai di Kelurahan Setiabudi"
                weight = 2 if m.level_hint is not None else 1
                support += weight
                primary += weight
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
        # a level word alone does not: "Kecamatan Gambir, Tasikmalaya" is not Gambir in Jakarta
        return any(any(a.level == "kota" for a in m.primary) for m in used)


def _deletions_of(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by at most one insertion, deletion or substitution."""
    if a == b:
        return True
    if len(a) > len(b):
        a, b = b, a
    if len(b) - len(a) > 1:
        return False
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]
