"""The training corpus is jemput's own: no copied phrase of a real tweet, no paraphrase of a held-out one."""

from pathlib import Path

from bench.classifier_eval import load_labelled
from bench.common import real_texts
from bench.corpus_overlap import copied_phrases, corpus_texts, paraphrases
from classifier.corpus import generate

UNUSED = Path(generate.__file__).resolve().parent / "unused"


def test_the_checks_find_what_they_look_for():
    tweets = ["Air setinggi lutut masuk ke rumah warga di gang sebelah tadi malam", "TJ 9 lama banget hari ini kak"]
    corpus = ["pagi ini air setinggi lutut masuk ke rumah kami", "TJ 9 lama banget hari ini ya kak", "halo semua"]
    assert copied_phrases(corpus, tweets, 6) == [(0, "air setinggi lutut masuk ke rumah"), (1, "tj 9 lama banget hari ini")]
    close = paraphrases(corpus, tweets, 0.4)
    assert [(i, j) for i, j, _ in close] == [(0, 0), (1, 1)]
    assert paraphrases(["halo semua apa kabar"], ["banjir ga nih"], 0.1) == []  # too short to be copied


def test_the_shipped_corpus_is_written_by_the_project(shared_data: Path):
    corpus = corpus_texts(generate.DEFAULT_OUT)
    tweets = real_texts(shared_data / "social")
    assert copied_phrases(corpus, tweets, 6) == []
    assert paraphrases(corpus, [t for t, _ in load_labelled("all", shared=shared_data)], 0.4) == []


def test_the_unused_long_messages_are_written_by_the_project_too(shared_data: Path):
    # classifier/corpus/unused: written for jemput, measured, not in the shipped corpus (see classifier/README.md)
    corpus = [t for path in sorted(UNUSED.glob("*.jsonl")) for t in corpus_texts(path)]
    assert len(corpus) > 2000
    tweets = real_texts(shared_data / "social")
    assert copied_phrases(corpus, tweets, 6) == []
    assert paraphrases(corpus, [t for t, _ in load_labelled("all", shared=shared_data)], 0.4) == []
