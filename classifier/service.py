"""Wiring of the classifier stage: build its processor from the settings."""

from __future__ import annotations

from classifier.keywords import KeywordClassifier
from classifier.processor import ClassifierProcessor
from classifier.settings import MAX_CLASSIFY_CHARS, Settings, section
from pipeline.stage import Processor


def build_processor(settings: Settings) -> Processor:
    """The classifier processor for ``settings`` (the keyword baseline until a trained model ships)."""
    return ClassifierProcessor(section(settings), KeywordClassifier(max_chars=MAX_CLASSIFY_CHARS))
