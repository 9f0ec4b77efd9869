"""The classifier stage: :class:`ClassifierProcessor` turns RawMessages into ClassifiedMessages, a batch at a time."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar, Protocol

from classifier.errors import UnsupportedMessageError
from classifier.keywords import Prediction
from classifier.settings import ClassifierSettings
from config.categories import LABELS
from pipeline import topics
from pipeline.contract import ClassifiedMessage, RawMessage, derived_from
from pipeline.stage import Outcome, Processor

_RAW_FIELDS = tuple(RawMessage.model_fields)
_LABELS = frozenset(LABELS)


class Classifier(Protocol):
    """What the stage needs of a classifier: the trained model (:class:`classifier.model.TextClassifier`) or the
    keyword baseline (:class:`classifier.keywords.KeywordClassifier`)."""

    model_version: str

    def classify(self, text: str) -> Prediction: ...


def predict_many(classifier: Classifier, texts: list[str]) -> Iterator[Prediction]:
    """Batched predictions when the classifier can batch (the trained model: one nlp batch), else one by one."""
    many = getattr(classifier, "classify_many", None)
    if many is not None:
        return iter(many(texts, batch_size=max(1, len(texts))))
    return (classifier.classify(t) for t in texts)


class ClassifierProcessor(Processor):
    """Classify each message's text; flag it for review when the confidence is below the threshold.

    Every RawMessage field is carried over unchanged. A message that already carries a verdict (a replay of a
    ClassifiedMessage) is classified afresh: only its RawMessage fields are read. A batch is classified in one
    pass of the model (:meth:`process_batch`).
    """

    name: ClassVar[str] = "classifier"
    input_topic: ClassVar[str] = topics.RAW
    output_topic: ClassVar[str | None] = topics.CLASSIFIED
    input_model: ClassVar[type[RawMessage]] = RawMessage

    def __init__(self, settings: ClassifierSettings, classifier: Classifier | None = None) -> None:
        self.settings = settings
        if classifier is None:
            from classifier.model import TextClassifier

            classifier = TextClassifier(settings.model_dir, settings.dismiss_threshold)
        self.classifier = classifier

    @property
    def model_version(self) -> str:
        return self.classifier.model_version

    def _verdict(self, message: RawMessage, prediction: Prediction) -> ClassifiedMessage:
        category, runner_up, confidence, scores = (
            prediction.category, prediction.runner_up, prediction.confidence, prediction.scores
        )
        model_version = self.model_version
        if (
            category in _LABELS
            and (runner_up is None or runner_up in _LABELS)
            and type(confidence) is float
            and 0.0 <= confidence <= 1.0
            and type(model_version) is str
            and model_version
            and type(scores) is dict
            and all(type(k) is str and type(v) is float for k, v in scores.items())
        ):
            # Everything ClassifiedMessage would check holds: the RawMessage fields come from a decoded (validated)
            # message, and the verdict's own were checked just above. Build it without validating again.
            return derived_from(
                ClassifiedMessage, message, category=category, scores=dict(scores), confidence=confidence,
                needs_review=confidence < self.settings.review_threshold, runner_up=runner_up,
                model_version=model_version,
            )
        # Anything else (a classifier of another kind, a value out of range) is validated, and refused if invalid.
        carried = {name: getattr(message, name) for name in _RAW_FIELDS}
        return ClassifiedMessage(
            **carried,
            category=prediction.category,
            scores=dict(prediction.scores),
            confidence=prediction.confidence,
            needs_review=prediction.confidence < self.settings.review_threshold,
            runner_up=prediction.runner_up,
            model_version=self.model_version,
        )

    def process(self, message: RawMessage) -> ClassifiedMessage:
        if not isinstance(message, RawMessage):
            raise UnsupportedMessageError(f"expected a RawMessage, got {type(message).__name__}")
        return self._verdict(message, self.classifier.classify(message.text))

    def process_batch(self, messages: list[RawMessage]) -> list[Outcome]:
        """Classify the batch's messages together; a non-message in the batch fails alone."""
        out: list[Outcome] = [None] * len(messages)
        good = [i for i, m in enumerate(messages) if isinstance(m, RawMessage)]
        for i, m in enumerate(messages):
            if not isinstance(m, RawMessage):
                out[i] = UnsupportedMessageError(f"expected a RawMessage, got {type(m).__name__}")
        predictions: Iterable[Prediction] = predict_many(self.classifier, [messages[i].text for i in good])
        for i, prediction in zip(good, predictions, strict=True):
            try:
                out[i] = self._verdict(messages[i], prediction)
            except Exception as exc:  # noqa: BLE001 - the runner classifies it
                out[i] = exc
        return out

    def check(self) -> str:
        describe = getattr(self.classifier, "describe", None)
        what = describe() if describe else f"{self.model_version}: {self.classifier.rule_count} keyword rules"
        return f"{what}, review below {self.settings.review_threshold:.2f}"
