"""Wiring of the classifier stage: build its processor from the settings."""

from __future__ import annotations

from classifier.processor import ClassifierProcessor
from classifier.settings import Settings, section
from pipeline.stage import Processor


def build_processor(settings: Settings) -> Processor:
    """The classifier processor for ``settings``: the trained model (``classifier.model_dir``, default the shipped
    one). A missing or unreadable model raises :class:`classifier.model.ModelError`."""
    from classifier.model import TextClassifier

    conf = section(settings)
    return ClassifierProcessor(conf, TextClassifier(conf.model_dir, conf.dismiss_threshold))
