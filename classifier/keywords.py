"""The keyword baseline: weighted hand-written rules over normalised tokens, turned into a distribution.

How a message is scored (the rules themselves are in :mod:`classifier.lexicon`):

1. The first :data:`~classifier.settings.MAX_CLASSIFY_CHARS` characters are normalised
   (:func:`classifier.normalise.tokens`) and every rule pattern is matched once; @mentions of city or operator
   accounts add their cues.
2. Matched rules add to four kinds of evidence: a *problem* score per topic label (``banjir``, ``jalan
   berlubang``), a *topic* score per topic label (``halte``, ``krl``: about the domain, not yet a problem),
   a generic *complaint* score (``tolong``, ``sudah 3 hari``, ``tidak diangkut``) and a *not-complaint* score
   (metaphors, thanks, promotions, aid news, hypotheticals, politics). Negative weights cancel ("banjir orderan").
3. A topic label's logit is its problem score plus its topic score; the topic score counts only
   :data:`TOPIC_ONLY_FACTOR` of its weight when nothing in the message says something is wrong (no problem
   and complaint cues below :data:`CUE_THRESHOLD`): "naik tj ke kantor" is not a complaint. Complaint cues
   add :data:`CUE_BONUS` per unit (up to three units) to every topic that is present.
4. ``not_complaint``'s logit is :data:`NOT_COMPLAINT_BASE` plus its cues, plus small structural cues: a link
   (:data:`LINK_CUE`), three or more hashtags (:data:`HASHTAGS_CUE`), a question mark when nothing is wrong
   (:data:`QUESTION_CUE`). A message without any topic is therefore ``not_complaint`` -- with low confidence
   unless a cue backs it up.
5. Scores are the softmax of the logits; confidence is the top score; the runner-up is named when its score is
   at least :data:`RUNNER_UP_RATIO` of the top one.

The rules of ``docs/categories.md`` are built into the weights: a road under water scores as flood (flood words
outweigh the weak ``jalan`` topic), flooding caused by garbage stays flood, a KRL/MRT station is ``other``.
Deterministic and pure; never raises on any string.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

from classifier.lexicon import COMPLAINT, HANDLE_CUES, RULES
from classifier.normalise import mentions, tokens
from classifier.settings import MAX_CLASSIFY_CHARS
from config.categories import LABELS, NOT_COMPLAINT

__all__ = [
    "CUE_BONUS",
    "MODEL_VERSION",
    "NOT_COMPLAINT_BASE",
    "RUNNER_UP_RATIO",
    "TOPIC_ONLY_FACTOR",
    "KeywordClassifier",
    "Prediction",
]

MODEL_VERSION = "keywords-0.1"

#: Share of a topic score that counts when the message says nothing is wrong.
TOPIC_ONLY_FACTOR = 0.3
#: Added to each present topic per unit of complaint cue (at most three units).
CUE_BONUS = 0.5
#: The not_complaint logit before any cue: what "no evidence at all" is worth.
NOT_COMPLAINT_BASE = 1.0
#: Complaint cues below this (a lone "kok", "tiap hari") do not yet say that something is wrong.
CUE_THRESHOLD = 1.0
#: Not-complaint evidence of a question mark in a message with no complaint cue and no problem.
QUESTION_CUE = 0.5
#: Not-complaint evidence of a link (news, promotions and operator replies carry links far more than reports).
LINK_CUE = 0.5
#: Not-complaint evidence of three or more hashtags (news and promotion style).
HASHTAGS_CUE = 0.7
#: The second label is reported when its score is at least this share of the top score.
RUNNER_UP_RATIO = 0.5

_TOPIC_LABELS: tuple[str, ...] = tuple(label for label in LABELS if label != NOT_COMPLAINT)
_TOPIC_SUFFIX = ":topic"
_TOPIC_KEYS: tuple[str, ...] = tuple(label + _TOPIC_SUFFIX for label in _TOPIC_LABELS)
_NOT_COMPLAINT_INDEX = LABELS.index(NOT_COMPLAINT)
_LINK = re.compile(r"https?://|www\.", re.IGNORECASE)
_HASHTAG = re.compile(r"#\w")


@dataclass(frozen=True)
class Prediction:
    """The classifier's answer for one text."""

    category: str
    #: Probability per label; every label of :data:`config.categories.LABELS`, summing to 1.
    scores: dict[str, float]
    #: The top score.
    confidence: float
    #: The second-best label when it is close (see :data:`RUNNER_UP_RATIO`), else None.
    runner_up: str | None
    #: The rule patterns and handle cues that matched, for explanations and debugging.
    evidence: tuple[str, ...] = field(default=())


# -- pattern compilation ---------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Atom:
    """One word position of a pattern: exact words, glob words, or any number. Compared and hashed by identity
    (each pattern owns its atoms; hashing the field values on every lookup was the classifier's hot spot)."""

    exact: frozenset[str]
    globs: tuple[re.Pattern[str], ...]
    number: bool
    #: The globs of the form ``word*`` as their plain prefixes (``word``), for a quick test of new words.
    prefixes: tuple[str, ...] = ()
    #: The globs of the form ``*word*`` as their plain infixes (``word``).
    infixes: tuple[str, ...] = ()
    #: The other globs (``wo*rd``).
    other_globs: tuple[re.Pattern[str], ...] = ()

    def matches(self, token: str) -> bool:
        if token in self.exact:
            return True
        if self.number and token.isdigit():
            return True
        return any(g.fullmatch(token) for g in self.globs)


@dataclass(frozen=True)
class _Pattern:
    source: str
    atoms: tuple[_Atom, ...]
    #: gaps[k]: how far after atom k-1 atom k may come (1 = the next token); gaps[0] is unused.
    gaps: tuple[int, ...]
    effects: Mapping[str, float]


def _compile_atom(item: str) -> _Atom:
    exact: set[str] = set()
    globs: list[re.Pattern[str]] = []
    prefixes: list[str] = []
    infixes: list[str] = []
    other_globs: list[re.Pattern[str]] = []
    number = False
    for alt in item.split("|"):
        if alt == "#":
            number = True
        elif "*" in alt:
            glob = re.compile(".*".join(re.escape(part) for part in alt.split("*")))
            globs.append(glob)
            if alt.endswith("*") and "*" not in alt[:-1]:
                prefixes.append(alt[:-1])
            elif len(alt) > 2 and alt.startswith("*") and alt.endswith("*") and "*" not in alt[1:-1]:
                infixes.append(alt[1:-1])
            else:
                other_globs.append(glob)
        elif alt:
            exact.add(alt)
    return _Atom(frozenset(exact), tuple(globs), number, tuple(prefixes), tuple(infixes), tuple(other_globs))


def _compile_pattern(source: str, effects: Mapping[str, float]) -> _Pattern:
    atoms: list[_Atom] = []
    gaps: list[int] = []
    gap = 1
    for item in source.split():
        if item.startswith("~"):
            gap = int(item[1:])
            continue
        atoms.append(_compile_atom(item))
        gaps.append(gap)
        gap = 1
    if not atoms:
        raise ValueError(f"empty rule pattern {source!r}")
    return _Pattern(source, tuple(atoms), tuple(gaps), effects)


@cache
def _compiled_rules() -> tuple[_Pattern, ...]:
    return tuple(_compile_pattern(p, effects) for effects, patterns in RULES for p in patterns)


_ATOM_CACHE_SIZE = 200_000
_DECIDED_CACHE_SIZE = 100_000
@dataclass(frozen=True, slots=True)
class _WordHits:
    """What one word contributes to rule matching (memoised per word, see :meth:`KeywordClassifier._hits_of`)."""

    #: The atoms the word matches.
    atoms: tuple[_Atom, ...]
    #: Indices of the one-word rules the word alone makes match.
    single: frozenset[int]
    #: Indices of the longer rules whose first atom the word matches (they still need the words after it).
    multi: frozenset[int]
    #: The atoms of :attr:`atoms` that occur in longer rules: only their positions are ever looked at.
    chained: tuple[_Atom, ...]


#: What a word that matches no atom contributes (most words).
_NO_HITS = _WordHits((), frozenset(), frozenset(), ())


# -- the classifier ----------------------------------------------------------------------------------------------


class KeywordClassifier:
    """Keyword baseline over the six labels. Cheap to build; :meth:`classify` is pure and thread-safe."""

    model_version = MODEL_VERSION

    def __init__(self, max_chars: int = MAX_CLASSIFY_CHARS) -> None:
        if max_chars < 1:
            raise ValueError("max_chars must be positive")
        self.max_chars = max_chars
        self._rules = _compiled_rules()
        atoms = tuple({a: None for r in self._rules for a in r.atoms})
        self._atoms = atoms
        self._by_exact: dict[str, list[_Atom]] = {}
        for atom in atoms:
            for word in atom.exact:
                self._by_exact.setdefault(word, []).append(atom)
        self._number_atoms = tuple(a for a in atoms if a.number)
        self._glob_atoms = tuple(a for a in atoms if a.globs)
        self._by_prefix: dict[str, list[_Atom]] = {}
        for atom in self._glob_atoms:
            for prefix in atom.prefixes:
                self._by_prefix.setdefault(prefix, []).append(atom)
        self._prefix_lengths = tuple(sorted({len(p) for p in self._by_prefix}))
        self._other_glob_atoms = tuple(a for a in self._glob_atoms if a.infixes or a.other_globs)
        #: rule indices by their first atom: only rules whose first word occurs are tried
        self._rules_by_first: dict[_Atom, list[int]] = {}
        for i, rule in enumerate(self._rules):
            self._rules_by_first.setdefault(rule.atoms[0], []).append(i)
        #: (atoms, gaps) of each rule, by index, for matching the longer rules
        self._chains = tuple((rule.atoms, rule.gaps) for rule in self._rules)
        #: The atoms after the first of every rule: all must occur somewhere for the rule to match.
        self._later_atoms = tuple(frozenset(rule.atoms[1:]) for rule in self._rules)
        #: (source, effects) of each rule, by index, for the scoring loop
        self._rule_effects: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] = tuple(
            (rule.source, tuple(rule.effects.items())) for rule in self._rules
        )
        self._chained_atoms = frozenset(a for r in self._rules if len(r.atoms) > 1 for a in r.atoms)
        self._atoms_cache: dict[str, tuple[_Atom, ...]] = {}
        self._hits_cache: dict[str, _WordHits] = {}
        self._decided: dict[tuple, tuple[str, tuple[float, ...], float, str | None]] = {}

    def _atoms_of(self, word: str) -> tuple[_Atom, ...]:
        """The atoms ``word`` matches (memoised: the vocabulary of real text is small)."""
        hit = self._atoms_cache.get(word)
        if hit is None:
            atoms = dict.fromkeys(self._by_exact.get(word, ()))
            if word.isdigit():
                atoms.update(dict.fromkeys(self._number_atoms))
            if "\n" in word:  # "word*" globs compile to "word.*", and "." does not match a newline
                globbed = {a for a in self._glob_atoms if any(g.fullmatch(word) for g in a.globs)}
            else:  # same answer: "word*" matches exactly the words starting with "word", "*word*" those with it
                get = self._by_prefix.get
                globbed = set()
                for n in self._prefix_lengths:
                    if n > len(word):
                        break
                    globbed.update(get(word[:n], ()))
                for a in self._other_glob_atoms:
                    if a not in globbed and (any(infix in word for infix in a.infixes)
                                             or any(g.fullmatch(word) for g in a.other_globs)):
                        globbed.add(a)
            if globbed:
                atoms.update(dict.fromkeys(a for a in self._glob_atoms if a in globbed))
            hit = tuple(atoms)
            if len(self._atoms_cache) < _ATOM_CACHE_SIZE:
                self._atoms_cache[word] = hit
        return hit

    def _hits_of(self, word: str) -> _WordHits:
        """:class:`_WordHits` of ``word`` (memoised like :meth:`_atoms_of`)."""
        hit = self._hits_cache.get(word)
        if hit is None:
            atoms = self._atoms_of(word)
            single: set[int] = set()
            multi: set[int] = set()
            for atom in atoms:
                for i in self._rules_by_first.get(atom, ()):
                    (single if len(self._rules[i].atoms) == 1 else multi).add(i)
            chained = tuple(a for a in atoms if a in self._chained_atoms)
            hit = _WordHits(atoms, frozenset(single), frozenset(multi), chained) if atoms else _NO_HITS
            if len(self._hits_cache) < _ATOM_CACHE_SIZE:
                self._hits_cache[word] = hit
        return hit

    @property
    def rule_count(self) -> int:
        return len(self._rules)

    def classify(self, text: str) -> Prediction:
        """Classify ``text``; only its first ``max_chars`` characters are read."""
        text = text[: self.max_chars] if isinstance(text, str) else ""
        return self.classify_tokens(tokens(text), text)

    def classify_tokens(self, words: list[str], text: str) -> Prediction:
        """Classify already normalised ``words`` (:func:`classifier.normalise.tokens` of ``text``); ``text`` is
        read for mentions, links and question marks only."""
        # A rule matches when its first atom occurs and (longer rules) its other atoms follow within their gaps.
        # One-word rules need no positions; positions are only collected when a longer rule may match.
        cached = self._hits_cache.get
        no_hits = _NO_HITS
        matched: set[int] = set()
        multi: set[int] = set()
        chained_at: list[tuple[int, tuple[_Atom, ...]]] = []
        for i, w in enumerate(words):
            h = cached(w)
            if h is None:
                h = self._hits_of(w)
            if h is no_hits:  # most words
                continue
            if h.single:
                matched |= h.single
            if h.multi:
                multi |= h.multi
            if h.chained:
                chained_at.append((i, h.chained))
        if multi:
            found: dict[_Atom, set[int]] = {}
            for i, atoms in chained_at:
                for atom in atoms:
                    where = found.get(atom)
                    if where is None:
                        found[atom] = {i}
                    else:
                        where.add(i)
            chains = self._chains
            present = found.keys()
            later = self._later_atoms
            for r in multi:  # what _matches does, inlined: the chain of positions, atom after atom
                if not present >= later[r]:
                    continue  # (most candidates: a later atom does not occur at all)
                atoms, gaps = chains[r]
                current = found[atoms[0]]  # the first atom of every candidate occurs (that made it one)
                for k in range(1, len(atoms)):
                    targets = found.get(atoms[k])
                    if not targets:
                        break
                    gap = gaps[k]
                    if gap == 1:
                        current = {p + 1 for p in current if p + 1 in targets}
                    else:
                        current = {j for p in current for j in range(p + 1, p + gap + 1) if j in targets}
                    if not current:
                        break
                else:
                    matched.add(r)

        totals: dict[str, float] = {}
        evidence: list[str] = []
        effects_of = self._rule_effects
        for i in sorted(matched):  # rule order: the sums are added up in the same order every time
            source, effects = effects_of[i]
            evidence.append(source)
            for key, weight in effects:
                totals[key] = totals.get(key, 0.0) + weight
        if "@" in text or not text.isascii():  # folding can make an @ (a full-width one) out of non-ASCII only
            for handle in dict.fromkeys(mentions(text)):
                for part, effects in HANDLE_CUES:
                    if part in handle:
                        evidence.append("@" + handle)
                        for key, weight in effects.items():
                            totals[key] = totals.get(key, 0.0) + weight
                        break

        if _LINK.search(text):
            evidence.append("<link>")
            totals[NOT_COMPLAINT] = totals.get(NOT_COMPLAINT, 0.0) + LINK_CUE
        if "#" in text and len(_HASHTAG.findall(text)) >= 3:
            evidence.append("<hashtags>")
            totals[NOT_COMPLAINT] = totals.get(NOT_COMPLAINT, 0.0) + HASHTAGS_CUE
        return self._decide(totals, question="?" in text, evidence=tuple(evidence))

    def _decide(
        self, totals: Mapping[str, float], *, question: bool, evidence: tuple[str, ...]
    ) -> Prediction:
        # The verdict depends on the totals and the question mark only, and few combinations occur: memoised.
        key = (question, *totals.items())
        hit = self._decided.get(key)
        if hit is None:
            hit = self._decide_uncached(totals, question)
            if len(self._decided) < _DECIDED_CACHE_SIZE:
                self._decided[key] = hit
        category, values, confidence, runner_up = hit
        return Prediction(category, dict(zip(LABELS, values, strict=True)), confidence, runner_up, evidence)

    def _decide_uncached(
        self, totals: Mapping[str, float], question: bool
    ) -> tuple[str, tuple[float, ...], float, str | None]:
        get = totals.get
        problem = [max(0.0, get(label, 0.0)) for label in _TOPIC_LABELS]
        topic = [max(0.0, get(key, 0.0)) for key in _TOPIC_KEYS]
        cue = max(0.0, get(COMPLAINT, 0.0))
        not_cue = max(0.0, get(NOT_COMPLAINT, 0.0))
        any_problem = any(v > 0 for v in problem)
        something_wrong = any_problem or cue >= CUE_THRESHOLD
        topic_factor = 1.0 if something_wrong else TOPIC_ONLY_FACTOR
        if question and not something_wrong:
            not_cue += QUESTION_CUE

        bonus = CUE_BONUS * min(cue, 3.0)
        logits: list[float] = []
        for p, t in zip(problem, topic, strict=True):
            value = p + topic_factor * t
            if value > 0:
                value += bonus
            logits.append(value)
        logits.insert(_NOT_COMPLAINT_INDEX, NOT_COMPLAINT_BASE + not_cue)  # now in LABELS order

        top = max(logits)
        exps = [math.exp(v - top) for v in logits]
        total = sum(exps)
        values = [e / total for e in exps]
        # LABELS order breaks ties deterministically (sorted is stable).
        ranked = sorted(range(len(LABELS)), key=lambda k: -values[k])
        best, second = ranked[0], ranked[1]
        confidence = min(1.0, values[best])
        runner_up = LABELS[second] if values[second] >= RUNNER_UP_RATIO * values[best] else None
        return LABELS[best], tuple(values), confidence, runner_up
