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
    number = False
    for alt in item.split("|"):
        if alt == "#":
            number = True
        elif "*" in alt:
            globs.append(re.compile(".*".join(re.escape(part) for part in alt.split("*"))))
        elif alt:
            exact.add(alt)
    return _Atom(frozenset(exact), tuple(globs), number)


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
_NOWHERE: frozenset[int] = frozenset()


class _Positions(dict):
    """Atom -> positions where it matched; an atom that matched nowhere has no positions."""

    def __missing__(self, _atom: _Atom) -> frozenset[int]:
        return _NOWHERE


def _matches(pattern: _Pattern, positions_of: dict[_Atom, frozenset[int]]) -> bool:
    if len(pattern.atoms) == 1:
        return bool(positions_of[pattern.atoms[0]])
    current = positions_of[pattern.atoms[0]]
    for atom, gap in zip(pattern.atoms[1:], pattern.gaps[1:], strict=True):
        if not current:
            return False
        targets = positions_of[atom]
        current = frozenset(j for p in current for j in range(p + 1, p + gap + 1) if j in targets)
    return bool(current)


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
        #: rule indices by their first atom: only rules whose first word occurs are tried
        self._rules_by_first: dict[_Atom, list[int]] = {}
        for i, rule in enumerate(self._rules):
            self._rules_by_first.setdefault(rule.atoms[0], []).append(i)
        self._atoms_cache: dict[str, tuple[_Atom, ...]] = {}

    def _atoms_of(self, word: str) -> tuple[_Atom, ...]:
        """The atoms ``word`` matches (memoised: the vocabulary of real text is small)."""
        hit = self._atoms_cache.get(word)
        if hit is None:
            atoms = dict.fromkeys(self._by_exact.get(word, ()))
            if word.isdigit():
                atoms.update(dict.fromkeys(self._number_atoms))
            atoms.update(dict.fromkeys(a for a in self._glob_atoms if any(g.fullmatch(word) for g in a.globs)))
            hit = tuple(atoms)
            if len(self._atoms_cache) < _ATOM_CACHE_SIZE:
                self._atoms_cache[word] = hit
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
        by_word: dict[str, list[int]] = {}
        for i, w in enumerate(words):
            by_word.setdefault(w, []).append(i)
        found: dict[_Atom, set[int]] = {}
        for w, where in by_word.items():
            for atom in self._atoms_of(w):
                found.setdefault(atom, set()).update(where)
        positions_of = _Positions(found)

        totals: dict[str, float] = {}
        evidence: list[str] = []
        candidates = sorted({i for atom in found for i in self._rules_by_first.get(atom, ())})
        for rule in (self._rules[i] for i in candidates):
            if _matches(rule, positions_of):
                evidence.append(rule.source)
                for key, weight in rule.effects.items():
                    totals[key] = totals.get(key, 0.0) + weight
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
        if len(_HASHTAG.findall(text)) >= 3:
            evidence.append("<hashtags>")
            totals[NOT_COMPLAINT] = totals.get(NOT_COMPLAINT, 0.0) + HASHTAGS_CUE
        return self._decide(totals, question="?" in text, evidence=tuple(evidence))

    def _decide(
        self, totals: Mapping[str, float], *, question: bool, evidence: tuple[str, ...]
    ) -> Prediction:
        problem = {label: max(0.0, totals.get(label, 0.0)) for label in _TOPIC_LABELS}
        topic = {label: max(0.0, totals.get(label + _TOPIC_SUFFIX, 0.0)) for label in _TOPIC_LABELS}
        cue = max(0.0, totals.get(COMPLAINT, 0.0))
        not_cue = max(0.0, totals.get(NOT_COMPLAINT, 0.0))
        any_problem = any(v > 0 for v in problem.values())
        something_wrong = any_problem or cue >= CUE_THRESHOLD
        topic_factor = 1.0 if something_wrong else TOPIC_ONLY_FACTOR
        if question and not something_wrong:
            not_cue += QUESTION_CUE

        logits: dict[str, float] = {}
        for label in _TOPIC_LABELS:
            value = problem[label] + topic_factor * topic[label]
            if value > 0:
                value += CUE_BONUS * min(cue, 3.0)
            logits[label] = value
        logits[NOT_COMPLAINT] = NOT_COMPLAINT_BASE + not_cue

        top = max(logits.values())
        exps = {label: math.exp(logits[label] - top) for label in LABELS}
        total = sum(exps.values())
        scores = {label: exps[label] / total for label in LABELS}
        # LABELS order breaks ties deterministically.
        ranked = sorted(LABELS, key=lambda label: -scores[label])
        best, second = ranked[0], ranked[1]
        confidence = min(1.0, scores[best])
        runner_up = second if scores[second] >= RUNNER_UP_RATIO * scores[best] else None
        return Prediction(best, scores, confidence, runner_up, evidence)
