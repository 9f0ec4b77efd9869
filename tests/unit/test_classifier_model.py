"""The trained classifier: the shipped model, reproducible training, calibration maths, hostile input."""

from __future__ import annotations

import json
import math
import socket
from pathlib import Path

import numpy as np
import pytest

from classifier.model import (
    DEFAULT_MODEL_DIR,
    EVIDENCE_WORDS,
    MARK_UNKNOWN,
    ModelError,
    TextClassifier,
    calibrate,
    fit_temperature,
    load_model,
    save_model,
    shrink,
    train,
)
from config.categories import LABELS, NOT_COMPLAINT

CORPUS = Path(__file__).resolve().parents[2] / "classifier" / "corpus" / "train.jsonl"

TINY = [
    ("banjir setinggi lutut di gang kami", "flood"), ("air masuk rumah, kali meluap", "flood"),
    ("jalan tergenang air sepinggang", "flood"), ("rumah kebanjiran lagi tolong", "flood"),
    ("sampah numpuk gak diangkut", "garbage"), ("bau sampah dari tps", "garbage"),
    ("orang buang sampah sembarangan di kali", "garbage"), ("truk sampah gak dateng seminggu", "garbage"),
    ("jalan berlubang depan rumah", "damaged_road"), ("aspal retak dan amblas", "damaged_road"),
    ("trotoar rusak parah", "damaged_road"), ("lubang gede di tengah jalan", "damaged_road"),
    ("tj koridor 9 telat terus", "transjakarta"), ("halte harmoni penuh sesak", "transjakarta"),
    ("busway diterobos mobil pribadi", "transjakarta"), ("pramudi transjakarta ngebut", "transjakarta"),
    ("lampu jalan mati semua", "other"), ("krl gangguan lagi", "other"), ("parkir liar di trotoar", "other"),
    ("urus ktp dipersulit", "other"),
    ("banjir orderan alhamdulillah", "not_complaint"), ("selamat pagi jakarta", "not_complaint"),
    ("makasih pak lurah jalan sudah mulus", "not_complaint"), ("rute ke blok m naik apa ya", "not_complaint"),
    ("semoga tidak banjir ya allah", "not_complaint"), ("promo diskon akhir bulan", "not_complaint"),
]


@pytest.fixture(scope="module")
def shipped() -> TextClassifier:
    return TextClassifier()


def test_the_shipped_model_loads_offline_and_classifies(monkeypatch) -> None:
    def no_network(*_a, **_k):
        raise AssertionError("the classifier must not touch the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    clf = TextClassifier()
    assert clf.model_dir == DEFAULT_MODEL_DIR
    assert clf.model_version.startswith("jemput-textcat-")
    assert clf.nlp.lang == "id"
    assert clf.nlp.pipe_names == ["textcat"]
    assert sum(f.stat().st_size for f in DEFAULT_MODEL_DIR.iterdir()) < 8 * 1024 * 1024
    p = clf.classify("Jl. Kemang Raya banjir setinggi lutut, air masuk rumah, tolong")
    assert p.category == "flood"
    assert set(p.scores) == set(LABELS)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Pak @DKIJakarta tolong, Jl. Kemang Raya banjir lagi setinggi lutut, motor pada mogok", "flood"),
        ("sampah di TPS Kalideres udah 5 hari ga diangkut, baunya parah bgt", "garbage"),
        ("jalan berlubang gede banget di Cempaka Putih, udh 2 motor jatuh minggu ini", "damaged_road"),
        ("@PT_Transjakarta halte Harmoni penuh sesak, koridor 1 gak dateng 40 menit", "transjakarta"),
        ("lampu jalan di jl panjang mati udah seminggu, gelap banget", "other"),
        ("alhamdulillah banjir orderan hari ini, makasih semuanya", "not_complaint"),
    ],
)
def test_the_shipped_model_on_clear_messages(shipped: TextClassifier, text: str, label: str) -> None:
    assert shipped.classify(text).category == label


@pytest.mark.parametrize(
    "text",
    ["", "   ", "😀😭🙏" * 10, "x" * 100_000, "The weather is lovely today and I am going to the park",
     "今日はいい天気ですね", "\x00\x01\x02", "#### @@@ !!! ???", "1234567890 " * 50],
)
def test_bad_input_gives_a_low_confidence_answer(shipped: TextClassifier, text: str) -> None:
    p = shipped.classify(text)
    assert p.category in LABELS
    assert math.isclose(sum(p.scores.values()), 1.0, abs_tol=1e-6)
    assert p.confidence < 0.6, (text[:40], p)


def test_no_evidence_at_all_is_uniform_and_not_a_complaint(shipped: TextClassifier) -> None:
    p = shipped.classify("")
    assert p.category == NOT_COMPLAINT
    assert p.confidence == pytest.approx(1 / len(LABELS))


def test_huge_input_is_read_only_up_to_the_limit(shipped: TextClassifier) -> None:
    head = "jalan berlubang depan rumah gw, motor jatuh, tolong diperbaiki. "
    long = shipped.classify(head + "lorem ipsum " * 50_000)
    assert long.category == shipped.classify(head + "lorem ipsum " * 400).category


def test_unknown_words_become_one_token(shipped: TextClassifier) -> None:
    doc = shipped.tokenizer("qwertyzz banjir")
    assert doc[0].text == MARK_UNKNOWN and doc[1].text == "banjir"


def test_batched_and_single_answers_agree(shipped: TextClassifier) -> None:
    texts = [t for t, _ in TINY]
    many = list(shipped.classify_many(texts, batch_size=7))
    for t, p in zip(texts, many, strict=True):
        one = shipped.classify(t)
        assert one.category == p.category
        assert one.scores == pytest.approx(p.scores, abs=1e-9)


def test_calibration_maths() -> None:
    raw = np.array([[0.7, 0.2, 0.1], [1 / 3, 1 / 3, 1 / 3]])
    assert np.allclose(calibrate(raw, 1.0), raw)
    hot = calibrate(raw, 2.0)
    assert np.allclose(hot.sum(axis=1), 1.0)
    assert hot[0, 0] < 0.7 and hot[0].argmax() == 0  # a higher temperature flattens, never reorders
    assert np.allclose(hot[1], 1 / 3)
    s = shrink(np.array([[1.0, 0.0, 0.0]] * 3), np.array([0, 1, EVIDENCE_WORDS]))
    assert np.allclose(s[0], 1 / 3) and np.allclose(s[2], [1.0, 0.0, 0.0])
    assert s[1, 0] == pytest.approx(0.5 + 0.5 / 3)


def test_fit_temperature_flattens_overconfident_wrong_answers() -> None:
    raw = np.array([[0.98, 0.01, 0.01]] * 10)
    gold = np.array([0] * 6 + [1] * 4)  # right only 60% of the time while claiming 98%
    assert fit_temperature(raw, gold) > 1.5


def test_training_is_reproducible_and_round_trips(tmp_path: Path) -> None:
    a = train(TINY, seed=3, epochs=5, calibration_share=0.0)
    b = train(TINY, seed=3, epochs=5, calibration_share=0.0)
    save_model(a.nlp, a.meta, tmp_path / "a")
    save_model(b.nlp, b.meta, tmp_path / "b")
    assert (tmp_path / "a" / "model.bin").read_bytes() == (tmp_path / "b" / "model.bin").read_bytes()
    ca, cb = TextClassifier(tmp_path / "a"), TextClassifier(tmp_path / "b")
    probes = ["banjir di gang", "sampah numpuk", "halte penuh", "selamat pagi", "jalan berlubang"]
    pa, pb = list(ca.classify_many(probes)), list(cb.classify_many(probes))
    assert [p.scores for p in pa] == [p.scores for p in pb]
    assert ca.model_version == cb.model_version and ".s3" in ca.model_version
    assert pa[0].category == "flood" and pa[1].category == "garbage"
    c = train(TINY, seed=4, epochs=5, calibration_share=0.0)
    assert c.meta["version"] != a.meta["version"]


def test_training_rejects_unknown_labels() -> None:
    from classifier.errors import ClassifierError

    with pytest.raises(ClassifierError, match="unknown label"):
        train([*TINY, ("apa ini", "weather")], seed=0, epochs=1)


def test_load_model_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="missing"):
        load_model(tmp_path)
    a = train(TINY, seed=0, epochs=1, calibration_share=0.0)
    save_model(a.nlp, a.meta, tmp_path / "m")
    (tmp_path / "m" / "model.bin").write_bytes(b"garbage")
    with pytest.raises(ModelError):
        load_model(tmp_path / "m")


def test_the_shipped_model_matches_the_committed_corpus() -> None:
    meta = json.loads((DEFAULT_MODEL_DIR / "meta.json").read_text(encoding="utf-8"))
    from classifier.model import corpus_hash

    rows = [json.loads(line) for line in CORPUS.open(encoding="utf-8")]
    assert meta["training"]["corpus_sha1"] == corpus_hash([(r["text"], r["label"]) for r in rows])
    assert meta["training"]["examples"] == len(rows) >= 3000


def test_dismiss_threshold_sends_doubtful_messages_to_review() -> None:
    from classifier.model import _predictions

    def _prediction(row: np.ndarray, dismiss_threshold: float = 0.0):
        return _predictions(row[None, :], dismiss_threshold)[0]

    row = np.array([0.25, 0.02, 0.02, 0.02, 0.04, 0.65])  # LABELS order: flood ... not_complaint
    assert _prediction(row).category == NOT_COMPLAINT
    doubtful = _prediction(row, dismiss_threshold=0.9)
    assert doubtful.category == "flood" and doubtful.confidence == pytest.approx(0.25)
    assert doubtful.runner_up == NOT_COMPLAINT
    assert _prediction(row, dismiss_threshold=0.6).category == NOT_COMPLAINT
    uniform = np.full(6, 1 / 6)
    assert _prediction(uniform, dismiss_threshold=0.9).category == NOT_COMPLAINT  # no evidence: nothing to report


def test_dismiss_threshold_raises_complaint_recall_on_the_shipped_model() -> None:
    texts = [t for t, _ in TINY]
    plain = [p.category for p in TextClassifier().classify_many(texts)]
    strict = [p.category for p in TextClassifier(dismiss_threshold=0.999).classify_many(texts)]
    assert sum(c != NOT_COMPLAINT for c in strict) >= sum(c != NOT_COMPLAINT for c in plain)
    assert all(a == b for a, b in zip(plain, strict, strict=True) if a != NOT_COMPLAINT)


def test_worker_processes_give_the_same_answers_in_order(shipped: TextClassifier) -> None:
    texts = [t for t, _ in TINY] * 3
    single = list(shipped.classify_many(texts, batch_size=4))
    fanned = list(shipped.classify_many(texts, batch_size=4, n_process=2))
    assert [p.category for p in fanned] == [p.category for p in single]
    assert [p.scores for p in fanned] == [pytest.approx(p.scores, abs=1e-12) for p in single]


def test_keyword_weight_mixes_in_the_baseline_scores(tmp_path: Path) -> None:
    from classifier.keywords import KeywordClassifier

    plain = train(TINY, seed=5, epochs=3, calibration_share=0.0)
    mixed = train(TINY, seed=5, epochs=3, calibration_share=0.0, keyword_weight=0.5)
    assert mixed.meta["version"] == plain.meta["version"] + ".kw0.5"
    save_model(plain.nlp, plain.meta, tmp_path / "p")
    save_model(mixed.nlp, mixed.meta, tmp_path / "m")
    text = "banjir setinggi lutut di gang kami, rumah kebanjiran, tolong"
    p = TextClassifier(tmp_path / "p").classify(text)
    m = TextClassifier(tmp_path / "m").classify(text)
    kw = KeywordClassifier().classify(text)
    for label in LABELS:
        assert m.scores[label] == pytest.approx(0.5 * p.scores[label] + 0.5 * kw.scores[label], abs=1e-9)
    with pytest.raises(Exception, match="keyword_weight"):
        train(TINY, seed=5, epochs=1, keyword_weight=1.5)


def test_a_model_without_keyword_features_trains_and_answers_on_texts_with_no_words(tmp_path: Path) -> None:
    # Without the keyword verdict tokens an emoji-only text would be an empty doc, which the n-gram layer cannot take.
    result = train([*TINY, ("🙏🙏🙏", NOT_COMPLAINT), ("", NOT_COMPLAINT)], seed=1, epochs=2, calibration_share=0.0,
                   keyword_features=False)
    save_model(result.nlp, result.meta, tmp_path / "m")
    clf = TextClassifier(tmp_path / "m")
    for text in ("", "😀😀", "!!!", "banjir di gang"):
        answer = clf.classify(text)
        assert answer.category in LABELS and abs(sum(answer.scores.values()) - 1) < 1e-6
    assert clf.classify("😀").confidence == pytest.approx(1 / len(LABELS))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The weather is lovely today and I am going to the park", True),
        ("Heute ist das Wetter in Berlin sehr schön", True),
        ("okay so the bus just skipped Halte Pejaten entirely", False),  # "halte": an Indonesian word we know
        ("USER USER semua pada mabok", False),  # function words say Indonesian
        ("Hello world", False),  # too short to tell
        ("banjir di depan rumah gw", False),
    ],
)
def test_another_language_is_recognised(text: str, expected: bool) -> None:
    from classifier.model import foreign
    from classifier.normalise import tokens

    assert foreign(tokens(text)) is expected


def test_another_language_lowers_confidence_but_keeps_the_order(shipped: TextClassifier) -> None:
    from classifier.model import shrink

    p = np.array([[0.7, 0.1, 0.05, 0.05, 0.05, 0.05]])
    low = shrink(p, np.array([10]), trust=np.array([0.4]))
    assert list(np.argsort(-low[0])) == list(np.argsort(-p[0])) and low[0, 0] == pytest.approx(0.4 * 0.7 + 0.6 / 6)
    english = shipped.classify("My landlord says the rent goes up again next month, what a week")
    assert english.confidence < 0.5
