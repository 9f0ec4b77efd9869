"""The throughput fast paths give exactly the answers of the plain code they replace (issue 7)."""

from __future__ import annotations

import os
import random
import re

import numpy as np
import pytest
from kafka.partitioner.default import DefaultPartitioner, murmur2

from classifier import normalise
from classifier.keywords import KeywordClassifier, Prediction
from classifier.lexicon import TANJUNG_NEXT
from classifier.model import _NC, _TIE_ORDER, RUNNER_UP_RATIO, _predictions
from config.categories import LABELS
from config.settings import RunnerSettings
from pipeline import topics
from pipeline.contract import ClassifiedMessage, RawMessage, encode
from pipeline.metrics import stage_metrics
from pipeline.runner import StageRunner
from pipeline.stage import Processor
from pipeline.transport.kafka import _KeyPartitioner, _murmur2
from pipeline.transport.memory import MemoryTransport

TEXTS = [
    "", " ", "tj priok banjir", "TJ Priok", "tj", "tj tj priok", "sampah2 numpuk 50cm", "Jln rusakkk bgt!!",
    "https://t.co/x banjir", "www.x.com/a", "x.com/abc jalan", "a.b.co/ x", "http:/a", "WWW.X.ID/a",
    "#banjirjakarta #savejakarta #tebetbanjir #a", "@dkijakarta tolong", "＠dkijakarta tolong", "＃banjir",
    "ＢＡＮＪＩＲ Bánjir", "\\xf0\\x9f banjir \\n", "???", "!!!", "123 456", "a2 bb2 ccc2 2", "ba\u0301njir",
    "🌊🌊 banjir", "kok tiap hari", "#####a", "@@@", "# # #", "ﬁle ﬂood", "sampah_dki", "jalan-jalan rusak",
    "tergenang air sejak pagi, kebanjiran lagi", "air meluap ke jalan, rumah terendam", "halte tj rusak parah",
    "banjir\nsetinggi 50 cm", "genangan\ndi jalan", "sudah 3 hari sampah tidak diangkut",
]


def _tokens_reference(text: str) -> list[str]:
    """:func:`classifier.normalise.tokens` as it was before the fast paths: every pass on every text."""
    text = normalise.fold(text)
    if "\\" in text:
        text = normalise._ESCAPE.sub(" ", text)
    text = normalise._URL.sub(" ", text)
    text = normalise._MENTION.sub(" ", text)
    text = normalise._HASHTAG.sub(lambda m: " " + " ".join(normalise.split_hashtag(m.group(1))) + " ", text)
    raw = normalise._TOKEN.findall(text)
    vocab = normalise.vocabulary()
    out: list[str] = []
    for i, tok in enumerate(raw):
        if tok == "tj" and i + 1 < len(raw) and raw[i + 1] in TANJUNG_NEXT:
            out.append("tanjung")
            continue
        m = normalise._REDUPLICATED.fullmatch(tok)
        for piece in [m.group(1), m.group(1)] if m else normalise._PIECE.findall(tok):
            out.extend([piece] if piece[0].isdigit() else normalise._map_word_uncached(piece, vocab))
    return out


def _mixed_texts(n: int = 400) -> list[str]:
    rng = random.Random(7)
    out = list(TEXTS)
    for _ in range(n):
        a, b = rng.choice(TEXTS), rng.choice(TEXTS)
        out.append(a[: rng.randrange(len(a) + 1)] + rng.choice(["", " ", "#", "@", "2", "tj ", "/", "www.", "?"]) + b)
    return out


@pytest.mark.parametrize("text", _mixed_texts())
def test_tokens_match_the_plain_pipeline(text: str) -> None:
    assert normalise.tokens(text) == _tokens_reference(text)
    assert normalise.tokens(text) == _tokens_reference(text)  # again, from the caches


def test_word_atoms_match_the_glob_regexes() -> None:
    kw = KeywordClassifier()
    rng = random.Random(1)
    words = set(normalise.vocabulary()) | {w for t in _mixed_texts() for w in normalise.tokens(t)}
    prefixes = list(kw._by_prefix)
    for _ in range(5000):
        words.add(rng.choice(prefixes) + "".join(rng.choice("abgenrdmlu\n_2") for _ in range(rng.randrange(6))))
        words.add("".join(rng.choice("abgenrdmlu\n") for _ in range(rng.randrange(10)))
                  + rng.choice(["genang", "rendam", "luap", "", "gena"]) + "x" * rng.randrange(2))
    for w in words:
        slow = dict.fromkeys(kw._by_exact.get(w, ()))
        if w.isdigit():
            slow.update(dict.fromkeys(kw._number_atoms))
        slow.update(dict.fromkeys(a for a in kw._glob_atoms if any(g.fullmatch(w) for g in a.globs)))
        assert kw._atoms_of(w) == tuple(slow), w


def test_keyword_verdicts_are_deterministic_across_the_memo() -> None:
    """The memoised verdict of a set of totals is the one computed afresh (fresh classifier, empty caches)."""
    texts = _mixed_texts(200)
    first = [KeywordClassifier().classify(t) for t in texts]
    shared = KeywordClassifier()
    assert [shared.classify(t) for t in texts] == first
    assert [shared.classify(t) for t in texts] == first


def _prediction(row: np.ndarray, dismiss_threshold: float = 0.0) -> Prediction:
    """The decision for one row, written plainly with numpy: the reference the batched one is held to."""
    order = np.argsort(-(row + _TIE_ORDER), kind="stable")
    if order[0] == _NC and row[_NC] < dismiss_threshold and row[_NC] > 1.0 / len(row):
        order = np.concatenate([order[1:2], order[:1], order[2:]])
    top, second = int(order[0]), int(order[1])
    scores = {label: float(row[i]) for i, label in enumerate(LABELS)}
    runner = LABELS[second] if row[second] >= RUNNER_UP_RATIO * row[top] else None
    return Prediction(category=LABELS[top], scores=scores, confidence=float(row[top]), runner_up=runner)


def test_batched_predictions_match_row_by_row() -> None:
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(6) * 0.5, size=2000)
    p = np.vstack([p, np.full((2, 6), 1 / 6), [[0.3, 0.3, 0.1, 0.1, 0.1, 0.1], [0.1, 0.1, 0.1, 0.1, 0.1, 0.5]]])
    for threshold in (0.0, 0.5, 0.6, 0.9):
        batched = _predictions(p, threshold)
        assert batched == [_prediction(row, threshold) for row in p]
        assert all(type(v) is float for b in batched for v in (b.confidence, *b.scores.values()))
    assert _predictions(np.zeros((0, 6))) == []


class _Cluster:
    def __init__(self, partitions: set[int]) -> None:
        self._partitions = partitions

    def topics(self) -> set[str]:
        return {"t"}

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return set(self._partitions) if topic == "t" else None

    def available_partitions_for_topic(self, topic: str) -> set[int]:
        return set(self._partitions)


def test_murmur2_and_key_partitioner_match_kafka_python() -> None:
    rng = random.Random(3)
    keys = [os.urandom(rng.randrange(0, 40)) for _ in range(3000)] + [f"file:b{i}".encode() for i in range(3000)]
    assert [_murmur2(k) for k in keys] == [murmur2(k) for k in keys]
    ours, theirs = _KeyPartitioner(), DefaultPartitioner()
    for partitions in ({0}, set(range(6)), set(range(7)), {0, 2, 5, 9}):
        cluster = _Cluster(partitions)
        assert [ours.partition("t", k, k, b"v", b"v", cluster) for k in keys] == \
            [theirs.partition("t", k, k, b"v", b"v", cluster) for k in keys]
    with pytest.raises(ValueError):
        ours.partition("missing", b"k", b"k", b"v", b"v", _Cluster({0}))


class _Echo(Processor):
    name = "fastpath-echo"
    input_topic = topics.RAW
    output_topic = topics.CLASSIFIED
    input_model = RawMessage

    def process(self, m: RawMessage) -> ClassifiedMessage:
        if m.text == "bad":
            raise ValueError("bad")
        return ClassifiedMessage(**m.model_dump(), category="flood", confidence=1.0, model_version="t")


def test_runner_counts_messages_per_channel_once_per_batch() -> None:
    metrics = stage_metrics()

    def count(counter, channel: str) -> float:
        return counter.labels(_Echo.name, channel)._value.get()

    before = {c: (count(metrics.messages_in, c), count(metrics.messages_out, c)) for c in ("file", "sms", "unknown")}
    t = MemoryTransport()
    p = t.producer()
    for i in range(7):
        p.send(topics.RAW, encode(RawMessage(message_id=f"file:{i}", channel="file", text="banjir")))
    for i in range(3):
        p.send(topics.RAW, encode(RawMessage(message_id=f"sms:{i}", channel="sms", text="banjir" if i else "bad")))
    p.send(topics.RAW, b"not json")
    p.flush()
    r = StageRunner(_Echo(), t, RunnerSettings(batch_size=100, poll_timeout_s=0.01), rng=random.Random(1))
    assert r.run_once() == 11
    got = {c: (count(metrics.messages_in, c) - before[c][0], count(metrics.messages_out, c) - before[c][1])
           for c in before}
    assert got == {"file": (7, 7), "sms": (3, 2), "unknown": (1, 0)}
    out = t.records(topics.CLASSIFIED)
    assert len(out) == 9
    assert all(rec.header(topics.H_SCHEMA) == b"1" and rec.header(topics.H_TRACE) == rec.key for rec in out)
    assert re.fullmatch(rb"(file|sms):\d+", out[0].key)
