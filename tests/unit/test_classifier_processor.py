"""The classifier stage: carries every raw field, sets the verdict and the review flag, wires from settings."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from classifier.errors import UnsupportedMessageError
from classifier.keywords import MODEL_VERSION, KeywordClassifier
from classifier.model import ModelError, TextClassifier
from classifier.processor import ClassifierProcessor
from classifier.service import build_processor
from config.categories import FLOOD, LABELS, NOT_COMPLAINT
from config.settings import ClassifierSettings, Settings
from pipeline import topics
from pipeline.contract import GPS, ClassifiedMessage, RawMessage, decode, encode
from pipeline.errors import PermanentError


def raw(text: str = "banjir setinggi lutut di gang kami, tolong", **extra: object) -> RawMessage:
    fields: dict[str, object] = {
        "message_id": "sms:628123-42",
        "channel": "sms",
        "received_at": datetime(2026, 1, 15, 7, 30, tzinfo=UTC),
        "posted_at": datetime(2026, 1, 15, 7, 29, tzinfo=UTC),
        "text": text,
        "author_ref": "a1:0123456789abcdef0123456789abcdef",
        "reply_to": "sms:628123-41",
        "gps": GPS(lat=-6.2297, lon=106.8524, accuracy_m=12.5),
        "media": ("https://example.invalid/photo.jpg",),
        "lang": "id",
        "raw": {"gateway": "test", "nested": {"n": 1}},
        "trace_id": "trace-1",
    }
    fields.update(extra)
    return RawMessage.model_validate(fields)


def processor(threshold: float = 0.6) -> ClassifierProcessor:
    """The stage around the keyword baseline: its verdicts are fixed by hand-written rules, so the tests below
    pin the stage's own behaviour (fields, threshold, batches) independently of the trained model."""
    return ClassifierProcessor(ClassifierSettings(review_threshold=threshold), KeywordClassifier())


@pytest.fixture(scope="module")
def shipped() -> ClassifierProcessor:
    return ClassifierProcessor(ClassifierSettings())


def test_stage_identity() -> None:
    assert ClassifierProcessor.name == "classifier"
    assert ClassifierProcessor.input_topic == topics.RAW
    assert ClassifierProcessor.output_topic == topics.CLASSIFIED
    assert ClassifierProcessor.input_model is RawMessage


def test_carries_every_raw_field_and_sets_the_verdict() -> None:
    message = raw()
    out = processor().process(message)
    assert isinstance(out, ClassifiedMessage)
    for name in RawMessage.model_fields:
        assert getattr(out, name) == getattr(message, name), name
    assert out.category == FLOOD
    assert out.model_version == MODEL_VERSION
    assert list(out.scores) == list(LABELS)
    assert math.isclose(sum(out.scores.values()), 1.0, abs_tol=1e-9)
    assert out.confidence == max(out.scores.values())


def test_output_survives_the_wire() -> None:
    out = processor().process(raw())
    assert decode(ClassifiedMessage, encode(out)) == out


@pytest.mark.parametrize(
    ("text", "threshold", "needs_review"),
    [
        ("banjir setinggi lutut di gang kami, tolong", 0.6, False),
        ("😀😀😀", 0.6, True),
        ("", 0.6, True),
        ("banjir setinggi lutut di gang kami, tolong", 1.0, True),
        ("😀😀😀", 0.0, False),
    ],
)
def test_needs_review_below_the_threshold(text: str, threshold: float, needs_review: bool) -> None:
    out = processor(threshold).process(raw(text))
    assert out.needs_review is needs_review
    assert (out.confidence < threshold) is needs_review


def test_runner_up_is_passed_on() -> None:
    out = processor().process(raw("naik tj ke kantor tiap hari"))
    assert out.category == NOT_COMPLAINT
    assert out.runner_up == "transjakarta"


def test_a_classified_message_is_classified_afresh() -> None:
    first = processor().process(raw())
    replay = first.model_copy(update={"text": "selamat pagi jakarta"})
    again = processor().process(replay)
    assert again.category == NOT_COMPLAINT
    assert again.message_id == first.message_id


def test_anything_else_is_a_permanent_error() -> None:
    with pytest.raises(UnsupportedMessageError) as info:
        processor().process("not a message")  # type: ignore[arg-type]
    assert isinstance(info.value, PermanentError)


def test_batches_go_through_the_base_class() -> None:
    outcomes = processor().process_batch([raw(), raw("selamat pagi", message_id="sms:2")])
    assert [o.category for o in outcomes] == [FLOOD, NOT_COMPLAINT]  # type: ignore[union-attr]


def test_build_processor_uses_the_shipped_model_and_the_settings() -> None:
    built = build_processor(Settings(classifier={"review_threshold": 0.95}))
    assert isinstance(built, ClassifierProcessor)
    assert isinstance(built.classifier, TextClassifier)
    assert built.settings.review_threshold == 0.95
    assert built.model_version.startswith("jemput-textcat-")
    assert built.model_version in built.check() and "0.95" in built.check()


def test_build_processor_reads_model_dir_and_fails_clearly_without_a_model(tmp_path) -> None:
    with pytest.raises(ModelError, match="no classifier model"):
        build_processor(Settings(classifier={"model_dir": str(tmp_path)}))


def test_the_shipped_model_in_the_stage(shipped: ClassifierProcessor) -> None:
    out = shipped.process(raw())
    assert out.category == FLOOD
    assert out.model_version == shipped.model_version
    assert list(out.scores) == list(LABELS)
    assert math.isclose(sum(out.scores.values()), 1.0, abs_tol=1e-6)
    assert out.confidence == max(out.scores.values())
    assert out.needs_review is (out.confidence < 0.6)
    emoji = shipped.process(raw("😀😀😀"))
    assert emoji.needs_review and emoji.category == NOT_COMPLAINT


def test_a_batch_is_one_model_pass_with_the_same_answers(shipped: ClassifierProcessor) -> None:
    texts = ["banjir setinggi lutut di gang kami, tolong", "selamat pagi jakarta", "",
             "sampah di TPS udah 5 hari gak diangkut, bau banget", "halte harmoni penuh, tj gak dateng 40 menit"]
    batch = [raw(t, message_id=f"sms:{i}") for i, t in enumerate(texts)]
    outcomes = shipped.process_batch([*batch[:2], "junk", *batch[2:]])  # type: ignore[list-item]
    assert isinstance(outcomes[2], UnsupportedMessageError)
    singles = [shipped.process(m) for m in batch]
    got = [o for i, o in enumerate(outcomes) if i != 2]
    for one, many in zip(singles, got, strict=True):
        assert isinstance(many, ClassifiedMessage)
        assert many.message_id == one.message_id
        assert many.category == one.category
        assert many.scores == pytest.approx(one.scores, abs=1e-9)
