#!/usr/bin/env python3
"""Is jemput's training corpus its own? Near-copies of real tweets in the corpus, reported line by line.

    python bench/corpus_overlap.py [--corpus classifier/corpus/train.jsonl] [--n 6] [--jaccard 0.4]

The shipped classifier must be trained only on text the project wrote. This compares every corpus line with every
tweet of ../shared/data/social (read at run time) and reports two kinds of closeness:

- a run of ``--n`` words in a row that also occurs in some real tweet (after lower-casing and dropping links,
  mentions and punctuation): a copied phrase;
- a word-set Jaccard similarity of at least ``--jaccard`` with a hand-labelled evaluation tweet
  (bench/data/classifier_eval_labels.jsonl): a paraphrase of a held-out message.

Exit status 1 when anything is found. ``tests/unit/test_corpus_overlap.py`` runs the same check.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.common import SOCIAL, real_texts  # noqa: E402

CORPUS = REPO / "classifier" / "corpus" / "train.jsonl"
_NOISE = re.compile(r"https?://\S+|@\w+|&amp;")
_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    return _WORD.findall(_NOISE.sub(" ", text.lower()))


def ngrams(ws: list[str], n: int) -> Iterable[tuple[str, ...]]:
    return (tuple(ws[i:i + n]) for i in range(len(ws) - n + 1))


def copied_phrases(corpus: list[str], tweets: list[str], n: int = 6) -> list[tuple[int, str]]:
    """``(corpus index, phrase)`` for each corpus line sharing a run of ``n`` words with a tweet (first one found)."""
    seen: set[tuple[str, ...]] = set()
    for t in tweets:
        seen.update(ngrams(words(t), n))
    found = []
    for i, text in enumerate(corpus):
        for g in ngrams(words(text), n):
            if g in seen:
                found.append((i, " ".join(g)))
                break
    return found


def paraphrases(corpus: list[str], held_out: list[str], threshold: float = 0.4) -> list[tuple[int, int, float]]:
    """``(corpus index, held-out index, Jaccard)`` for pairs whose word sets overlap at least ``threshold``.

    Only messages of at least four distinct words on both sides count: "banjir ga nih" is not a text one can copy.
    """
    held_sets = [set(words(t)) for t in held_out]
    held_sets = [ws if len(ws) >= 4 else set() for ws in held_sets]
    index: dict[str, list[int]] = {}
    for j, ws in enumerate(held_sets):
        for w in ws:
            index.setdefault(w, []).append(j)
    found = []
    for i, text in enumerate(corpus):
        ws = set(words(text))
        if len(ws) < 4:
            continue
        shared: dict[int, int] = {}
        for w in ws:
            for j in index.get(w, ()):
                shared[j] = shared.get(j, 0) + 1
        best = max(((k / (len(ws) + len(held_sets[j]) - k), j) for j, k in shared.items()), default=(0.0, -1))
        if best[0] >= threshold:
            found.append((i, best[1], round(best[0], 3)))
    return found


def corpus_texts(path: Path = CORPUS) -> list[str]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh if line.strip()]


def labelled_tweets() -> list[str]:
    from bench.classifier_eval import load_labelled

    return [text for text, _ in load_labelled("all")]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", type=Path, default=CORPUS)
    p.add_argument("--n", type=int, default=6, help="words in a row that count as a copied phrase (default 6)")
    p.add_argument("--jaccard", type=float, default=0.4, help="word-set overlap with a labelled tweet (default 0.4)")
    args = p.parse_args()
    corpus = corpus_texts(args.corpus)
    tweets = real_texts(SOCIAL)
    copies = copied_phrases(corpus, tweets, args.n)
    close = paraphrases(corpus, labelled_tweets(), args.jaccard)
    for i, phrase in copies:
        print(f"line {i + 1}: {args.n} words in a row also in a real tweet: {phrase!r}")
    for i, j, score in close:
        print(f"line {i + 1}: word overlap {score} with labelled tweet #{j}")
    print(f"{len(corpus)} corpus lines against {len(tweets)} real tweets: {len(copies)} copied phrases, "
          f"{len(close)} paraphrases of labelled tweets")
    return 1 if copies or close else 0


if __name__ == "__main__":
    sys.exit(main())
