"""The classifier stage: :class:`ClassifierProcessor` turns a RawMessage into a ClassifiedMessage."""

from __future__ import annotations

from typing import ClassVar

from classifier.errors import UnsupportedMessageError
from classifier.keywords import KeywordClassifier
from classifier.settings import ClassifierSettings
from pipeline import topics
from pipeline.contract import ClassifiedMessage, RawMessage
from pipeline.stage import Processor

_RAW_FIELDS = tuple(RawMessage.model_fields)


class ClassifierProcessor(Processor):
    """Classify each message's text; flag it for review when the confidence is below the threshold.

    Every RawMessage field is carried over unchanged. A message that already carries a verdict (a replay of a
    ClassifiedMessage) is classified afresh: only its RawMessage fields are read.
    """

    name: ClassVar[str] = "classifier"
    input_topic: ClassVar[str] = topics.RAW
    output_topic: ClassVar[str | None] = topics.CLASSIFIED
    input_model: ClassVar[type[RawMessage]] = RawMessage

    def __init__(self, settings: ClassifierSettings, classifier: KeywordClassifier | None = None) -> None:
        self.settings = settings
        self.classifier = classifier or KeywordClassifier()

    @property
    def model_version(self) -> str:
        return self.classifier.model_version

    def process(self, message: RawMessage) -> ClassifiedMessage:
        if not isinstance(message, RawMessage):
            raise UnsupportedMessageError(f"expected a RawMessage, got {type(message).__name__}")
        prediction = self.classifier.classify(message.text)
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

    def check(self) -> str:
        return (
            f"{self.model_version}: {self.classifier.rule_count} keyword rules, "
            f"review below {self.settings.review_threshold:.2f}"
        )
