"""The geocoder stage: :class:`GeocoderProcessor` turns a ClassifiedMessage into a LocatedMessage."""

from __future__ import annotations

from typing import ClassVar

from geocoder.errors import UnsupportedMessageError
from geocoder.locate import Locator
from pipeline import topics
from pipeline.contract import ClassifiedMessage, LocatedMessage, Location, RawMessage, derived_from
from pipeline.stage import Processor

_CLASSIFIED_FIELDS = tuple(ClassifiedMessage.model_fields)


class GeocoderProcessor(Processor):
    """Place every message, not_complaint ones too (it is cheap and keeps the output uniform).

    Every ClassifiedMessage field is carried over unchanged; a replayed LocatedMessage is placed afresh.
    """

    name: ClassVar[str] = "geocoder"
    input_topic: ClassVar[str] = topics.CLASSIFIED
    output_topic: ClassVar[str | None] = topics.LOCATED
    input_model: ClassVar[type[RawMessage]] = ClassifiedMessage

    def __init__(self, locator: Locator) -> None:
        self.locator = locator

    @property
    def geocoder_version(self) -> str:
        return self.locator.version

    def process(self, message: RawMessage) -> LocatedMessage:
        if not isinstance(message, ClassifiedMessage):
            raise UnsupportedMessageError(f"expected a ClassifiedMessage, got {type(message).__name__}")
        location = self.locator.locate(message.text, message.gps)
        version = self.geocoder_version
        if type(location) is Location and type(version) is str and version:
            # The ClassifiedMessage fields come from a decoded (validated) message, the location is a validated
            # Location: build the output without validating it all again.
            return derived_from(LocatedMessage, message, location=location, geocoder_version=version)
        carried = {name: getattr(message, name) for name in _CLASSIFIED_FIELDS}
        return LocatedMessage(**carried, location=location, geocoder_version=version)

    def check(self) -> str:
        gazetteer = self.locator.gazetteer
        counts = ", ".join(
            f"{gazetteer.count(level)} {level}" for level in ("kota", "kecamatan", "kelurahan")
        )
        shapes = "with polygons" if gazetteer.has_polygons else "names only"
        service = f"; fallback {self.locator.service.provider}" if self.locator.service is not None else ""
        return (
            f"{self.geocoder_version}: {counts} ({shapes}), {len(gazetteer.places)} places from {gazetteer.origin}"
            f"{service}"
        )
