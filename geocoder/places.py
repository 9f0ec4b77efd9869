"""Find the pack's places (halte, stations, streets, landmarks) in text with spaCy's PhraseMatcher.

Texts and names are split into words by one regular expression (:data:`_PIECE`: runs of letters and digits, and each
other visible character alone, so "Jl.Kemang" and "st.manggarai" split at the dot) and made spaCy Docs. Each place
contributes phrase patterns (matched on the lower-case form of the tokens) for its name, its aliases, and both
without a kind word ("Halte Harmoni" -> "harmoni", "Jl. Kemang Raya" -> "kemang raya", "Stasiun Tebet" -> "tebet"),
and, for names of two or three words, the words written together ("kemangraya"); a halte or station named with
the number of one of a pair ("BNN 1" and "BNN 2" standing together) is also found without it ("halte BNN"); "SMAN 1"
and "SMAN 58", far apart, are not.

A hit is *strong* -- it places the message by itself -- when

- a trigger word stands right before it (a street word before a one-word name only when it is a street: "Jl.
  Perintis Kemerdekaan" reads the halte on that road, but "Gang Perintis" is a lane named like the halte Perintis,
  a weak hit): "halte", "busway", "shelter", "tj" (a halte or station is preferred),
  "stasiun", "st", "krl", "mrt", "lrt" (a station), "jl", "jln", "jalan", "gg", "gang" (a street); or
- it names a street, station or landmark of two or more words and at least eight letters that is not also an admin
  area's name and not a line such as a toll road ("Kemang Raya"; "Blok M" is too short and needs its trigger).

Other hits are weak: they only corroborate a reading other words made (a bare halte name such as "Senen" stays the
admin area when one has that name). Hits that overlap keep the longest. A hit that has the key of an admin area and
no trigger is dropped (the admin matcher reads it), and so is one whose name is shorter than four letters or a
common word ("Kota", "Pasar") without its trigger: "halte Kota" and "halte BNN" are read, "kota" and "bnn" alone
are not, and neither is "jalan kota" ("jalan" is also the verb "walk"). Such a name must also be a landmark or a
place of the first kind its trigger announces: "Halte Kota" is the halte, "halte BNN" the landmark, but "stasiun
baru" or "KRL baru" (a new station, a new train) is no place although a halte is called "Gg. Baru".
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from spacy.lang.lex_attrs import LEX_ATTRS
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc
from spacy.util import filter_spans
from spacy.vocab import Vocab

from geocoder.text import name_key, tokenize

if TYPE_CHECKING:
    from geocoder.gazetteer import Gazetteer, Place

__all__ = ["TRIGGERS", "PlaceFinder", "PlaceHit"]

#: Trigger word -> the kinds of place it announces.
TRIGGERS: Final[Mapping[str, tuple[str, ...]]] = {
    "halte": ("halte", "station"),
    "busway": ("halte", "station"),
    "shelter": ("halte", "station"),
    "tj": ("halte", "station"),
    "transjakarta": ("halte", "station"),
    "stasiun": ("station", "halte"),
    "st": ("station", "halte"),
    "krl": ("station",),
    "mrt": ("station", "halte"),
    "lrt": ("station", "halte"),
    "jl": ("street",),
    "jln": ("street",),
    "jalan": ("street",),
    "jlnt": ("street",),
    "gg": ("street",),
    "gang": ("street",),
}
_PREFIX = re.compile(
    r"^(?:halte|stasiun|st|jl|jln|jlnt|jalan|gg|gang)\b\.?\s*(?:(?:tj|transjakarta|busway|raya)\b\s*)?",
    re.IGNORECASE,
)
#: Words that are place names of some stop somewhere but mean something else far more often.
_COMMON: Final[frozenset[str]] = frozenset(
    {
        "jalan", "raya", "pasar", "masjid", "sekolah", "kantor", "gereja", "taman", "gang", "pintu", "simpang",
        "pertigaan", "perempatan", "terminal", "stasiun", "halte", "kampus", "rumah", "sakit", "pos", "polisi",
        "bank", "tol", "kali", "jembatan", "lampu", "merah", "depan", "belakang", "pondok", "permai", "indah",
        "utama", "baru", "lama", "timur", "barat", "utara", "selatan", "tengah", "pusat", "kota", "jakarta",
        "warga", "banjir", "posko", "besar", "kecil", "panjang", "lurus", "kampung", "gedung", "makam",
    }
)
#: Triggers that are also ordinary words ("jalan" = walk, "gang" = gang): after them a common or short name is
#: not read as a place ("jalan baru diaspal", "jalan kota saya").
_WEAK_TRIGGERS: Final[frozenset[str]] = frozenset({"jalan", "gang"})
#: Words of names that are long lines, not places: toll roads, flyovers, elevated roads.
_LINE_WORDS: Final[frozenset[str]] = frozenset({"tol", "jorr", "jlnt", "flyover", "underpass", "layang", "jakarta"})
_MIN_KEY: Final = 4
_STRONG_BARE_KEY: Final = 8


@dataclass(frozen=True)
class PlaceHit:
    start: int
    end: int
    places: tuple[Place, ...]
    strong: bool
    triggered: bool
    #: The trigger word before the name ("halte", "jl"), or "" without one.
    trigger: str = ""


#: The number of one of a pair of halte ("BNN 1", "Cawang Sentral 2"): people write the name without it.
_STOP_NUMBER = re.compile(r"\s+\d{1,2}$")


#: Numbered halte of one name within this distance of each other are one pair ("BNN 1", "BNN 2"); farther apart
#: the number tells different places apart ("SMAN 1", "SMAN 58").
_PAIR_METRES: Final = 500.0


#: A stop named after the street it stands on ("Jln. Cikini 7", "Gg. Baru 2").
_STREET_NAMED = re.compile(r"^(?:jl|jln|jalan|gg|gang)\b", re.IGNORECASE)


def _variants(place: Place, paired: frozenset[str] = frozenset()) -> set[str]:
    """The lower-case forms a place is found by: its names, without their kind word, and a paired stop's name without
    its number. A stop named after its street and numbered ("Jln. Cikini 7") is not found by the street's bare name
    ("cikini"): "st cikini" is the station, not the seventh stop along Jl. Cikini (with the street word, "Jln.
    Cikini" is still found, as a street)."""
    out: set[str] = set()
    for name in (place.name, *place.aliases):
        street_named = _STREET_NAMED.match(name) is not None
        for form in (name, _PREFIX.sub("", name)):
            stripped = form != name
            form = " ".join(form.lower().split())
            if form:
                out.add(form)
                if place.id in paired and not (street_named and stripped):
                    bare = _STOP_NUMBER.sub("", form)
                    if bare and bare != form:
                        out.add(bare)
    return out


def _paired(places: Sequence[Place]) -> frozenset[str]:
    """Ids of the halte and stations that are one of a numbered pair or group: all the places named "<name> <n>"
    lie within :data:`_PAIR_METRES` of each other, and no place is called just "<name>"."""
    groups: dict[str, list[Place]] = {}
    plain: set[str] = set()
    for place in places:
        if place.kind not in {"halte", "station"}:
            continue
        name = " ".join(place.name.lower().split())
        base = _STOP_NUMBER.sub("", name)
        if base == name:
            plain.add(name)
        elif base and not base.isdigit():
            groups.setdefault(base, []).append(place)
    out: set[str] = set()
    for base, members in groups.items():
        if base in plain:
            continue
        first = members[0]
        if all(_distance_m(first, p) <= _PAIR_METRES for p in members):
            out.update(p.id for p in members)
    return frozenset(out)


def _distance_m(a: Place, b: Place) -> float:
    dlat = (a.lat - b.lat) * 111_320.0
    dlon = (a.lon - b.lon) * 111_320.0 * math.cos(math.radians((a.lat + b.lat) / 2))
    return math.hypot(dlat, dlon)


#: The words of a text as the PlaceFinder reads it: runs of letters and digits, and every other visible character
#: on its own ("Jl.Kemang" -> "Jl" "." "Kemang", "A-B" -> "A" "-" "B"). Place names need no more than that, and one
#: regex pass is several times cheaper than spaCy's rule tokenizer with its affix tables; names and texts are
#: tokenized alike, so what the PhraseMatcher compares is consistent.
_PIECE = re.compile(r"[^\W_]+|\S")
#: Words that may stand between a trigger and the name ("Jl. Raya X", "halte TJ X", "Stasiun KRL X").
_TRIGGER_FILLERS: Final[frozenset[str]] = frozenset({"raya", "transjakarta", "busway", "tj", "krl", "mrt", "lrt"})
#: What a word that is in no place name becomes (no :data:`_PIECE` word looks like it).
_OTHER: Final = "<->"


class PlaceFinder:
    """Finds places of one gazetteer in text. Thread-safe for reading after construction."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        #: spaCy's string store and lexemes: the docs are built from :data:`_PIECE` words, no language pipeline needed
        self.vocab = Vocab(lex_attr_getters=LEX_ATTRS)
        self.matcher = PhraseMatcher(self.vocab, attr="LOWER")
        admin_keys = frozenset(gazetteer.names)
        by_label: dict[str, list[Place]] = {}
        bare_ok: dict[str, bool] = {}
        trigger_only: set[str] = set()
        first_words: set[str] = set()
        patterns: dict[str, str] = {}
        paired = _paired(gazetteer.places)
        for place in gazetteer.places:
            if place.kind == "rw":  # RW are read by the matcher next to their kelurahan ("RW 05 Kel. X")
                continue
            for form in _variants(place, paired):
                key = name_key(form)
                if not key:
                    continue
                if len(key) < _MIN_KEY or key in _COMMON:
                    # "halte BNN", "halte Kota": short or common names are read only after a trigger word
                    trigger_only.add(key)
                words_of_key = tokenize(form)
                if words_of_key:
                    first_words.add(words_of_key[0].norm)
                places = by_label.setdefault(key, [])
                if place not in places:
                    places.append(place)
                words = form.split()
                patterns.setdefault(form, key)
                if 2 <= len(words) <= 3:
                    patterns.setdefault(key, key)
                strong_bare = (
                    place.kind in {"street", "station", "landmark"}
                    and len(words) >= 2
                    and len(key) >= _STRONG_BARE_KEY
                    and key not in admin_keys
                    and not any(w.strip(".") in _LINE_WORDS for w in words)
                )
                bare_ok[key] = bare_ok.get(key, False) or strong_bare
        by_pattern_label: dict[str, list[str]] = {}
        for form, key in patterns.items():
            by_pattern_label.setdefault(key, []).append(form)
        for key, forms in by_pattern_label.items():
            self.matcher.add(key, [Doc(self.vocab, words=_PIECE.findall(form)) for form in forms])
        #: Lower-case words a match or its trigger can be made of; any other word of a text becomes one placeholder
        #: (:data:`_OTHER`) before spaCy sees it: it could not be part of a match, and the vocabulary stays bounded
        #: in a long-running stage (every new word would otherwise become a lexeme for good).
        self._words = frozenset(
            {w.lower() for form in patterns for w in _PIECE.findall(form)} | set(TRIGGERS) | _TRIGGER_FILLERS | {"."}
        )
        self._places = {k: tuple(v) for k, v in by_label.items()}
        self._bare_ok = bare_ok
        self._trigger_only = frozenset(trigger_only)
        #: Keys of every pattern and the first word of each (folded as :func:`geocoder.text.tokenize` does): a cheap
        #: prefilter, so that spaCy only sees texts that may name a place.
        self.keys = frozenset(by_label)
        self.first_words = frozenset(first_words)
        self._admin_keys = admin_keys
        self._strings = self.vocab.strings

    def _doc(self, text: str) -> tuple[Doc, list[tuple[int, int]]]:
        """``text`` as a spaCy Doc of :data:`_PIECE` words, with each word's character offsets in ``text``."""
        pieces = list(_PIECE.finditer(text))
        known = self._words
        # (lower-cased: the matcher compares LOWER, and a text's casings of a name are not new lexemes either)
        words = [w if (w := m.group().lower()) in known else _OTHER for m in pieces]
        offsets = [m.span() for m in pieces]
        return Doc(self.vocab, words=words), offsets

    def __len__(self) -> int:
        return len(self._places)

    def find(self, text: str) -> list[PlaceHit]:
        """Place hits in ``text``, in text order, not overlapping."""
        if not self._places or not text:
            return []
        doc, offsets = self._doc(text)
        raw = self.matcher(doc)
        spans = [doc[s:e] for _, s, e in raw]
        labels = {(s, e): self._strings[m] for m, s, e in raw}
        hits: list[PlaceHit] = []
        for span in filter_spans(spans):
            key = labels[(span.start, span.end)]
            places = self._places.get(key, ())
            trigger = self._trigger(doc, span.start)
            if trigger is None and len(span) > 1 and span[0].lower_ in TRIGGERS:
                trigger = span[0].lower_  # the name includes its kind word: "Jl. Baru", "Halte Kota"
            if trigger in _WEAK_TRIGGERS and key in self._trigger_only:
                continue
            if trigger is not None and key in self._trigger_only:
                # a short or common name must be a place of the very kind its trigger names: "Halte Kota" is the
                # halte, "stasiun baru" / "KRL baru" (a new station, a new train) is no place
                places = tuple(p for p in places if p.kind in {TRIGGERS[trigger][0], "landmark"})
                if not places:
                    continue
            if trigger is not None:
                announced = False
                for kind in TRIGGERS[trigger]:  # the first kind the trigger announces that has such places
                    preferred = tuple(p for p in places if p.kind == kind)
                    if preferred:
                        places, announced = preferred, True
                        break
                # "Gang Perintis" is a lane named like the halte Perintis, not the halte: it only corroborates
                words = sum(1 for t in span if t.is_alpha and t.lower_ not in TRIGGERS)
                strong = announced or TRIGGERS[trigger] != ("street",) or words >= 2
                hits.append(PlaceHit(offsets[span.start][0], offsets[span.end - 1][1], places, strong, True, trigger))
            elif key in self._admin_keys or key in self._trigger_only:
                continue
            else:
                hits.append(
                    PlaceHit(offsets[span.start][0], offsets[span.end - 1][1], places, self._bare_ok.get(key, False),
                             False)
                )
        return hits

    @staticmethod
    def _trigger(doc: Sequence, start: int) -> str | None:  # type: ignore[type-arg]
        i = start - 1
        # skip a dot after an abbreviation and one filler ("Jl. Raya X", "halte TJ X", "Stasiun KRL X")
        steps = 0
        while i >= 0 and steps < 3:
            word = doc[i].lower_
            if word == ".":
                i -= 1
                steps += 1
                continue
            if word in TRIGGERS:
                return word
            if word in _TRIGGER_FILLERS:
                i -= 1
                steps += 1
                continue
            return None
        return None
