"""The message contract every stage speaks.

``RawMessage`` (harvester) -> ``ClassifiedMessage`` (classifier) -> ``LocatedMessage`` (geocoder) -> ticket (sink).

Each model is frozen and serialised as UTF-8 JSON. Every message carries ``schema_version``; a consumer that gets
another version raises :class:`DecodeError` (the message goes to the dead-letter topic, it is never guessed at).
Additive fields get defaults and keep the version; a breaking change gets a new version and new topics
(``complaints.raw.v2``). Unknown fields are ignored so that an older consumer can read a newer producer's
additive fields.

``message_id`` is ``"{channel}:{provider_id}"`` and is the idempotency key all the way to the ticket store.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from config.categories import LABELS

SCHEMA_VERSION = 1
#: Longest text a message may carry (characters). Longer input is cut by sources, rejected by decoders.
MAX_TEXT_CHARS = 100_000
#: Longest message id.
MAX_ID_CHARS = 512

Precision = Literal["point", "street", "place", "kelurahan", "kecamatan", "kota", "none"]
LocationMethod = Literal["gps", "gazetteer", "geocoding_service", "none"]


class DecodeError(ValueError):
    """The bytes are not a valid message of the expected kind. Permanent: retrying cannot help."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=False)


class GPS(_Frozen):
    lat: float = Field(..., ge=-90, le=90, description="Latitude, WGS84.")
    lon: float = Field(..., ge=-180, le=180, description="Longitude, WGS84.")
    accuracy_m: float | None = Field(None, ge=0, description="Reported accuracy radius in metres, when known.")


def utcnow() -> datetime:
    return datetime.now(UTC)


class RawMessage(_Frozen):
    """What a harvester source produced: one citizen message, with no personal data in clear."""

    schema_version: int = Field(SCHEMA_VERSION, description="Contract version of this message.")
    message_id: str = Field(
        ...,
        min_length=3,
        max_length=MAX_ID_CHARS,
        pattern=r"^[a-z][a-z0-9_-]*:\S.*$",
        description="'{channel}:{provider_id}', stable across redeliveries: the idempotency key.",
    )
    channel: str = Field(..., pattern=r"^[a-z][a-z0-9_-]*$", description="Source channel (twitter, sms, file, ...).")
    received_at: datetime = Field(default_factory=utcnow, description="When jemput received it (UTC).")
    posted_at: datetime | None = Field(None, description="When the author posted it, if the provider says.")
    text: str = Field(..., max_length=MAX_TEXT_CHARS, description="The message text as written.")
    author_ref: str | None = Field(
        None, max_length=128, description="Keyed hash of the author's handle or number; never the handle itself."
    )
    reply_to: str | None = Field(None, max_length=MAX_ID_CHARS, description="message_id this one answers, if any.")
    gps: GPS | None = Field(None, description="Coordinates sent with the message (app, geotagged tweet).")
    media: tuple[str, ...] = Field((), description="URLs of attached photos or files.")
    lang: str | None = Field(None, max_length=16, description="Language code if the provider gives one.")
    raw: dict[str, Any] | None = Field(None, description="The provider's payload, for audit and reprocessing.")
    trace_id: str | None = Field(None, max_length=64, description="Trace id carried through every stage.")

    @field_validator("text")
    @classmethod
    def _no_nul(cls, v: str) -> str:
        # NUL never carries meaning in a message and PostgreSQL refuses it in text: drop it at the boundary.
        return v.replace("\x00", "") if "\x00" in v else v

    @field_validator("received_at", "posted_at")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.tzinfo is None:
            return v.replace(tzinfo=UTC)
        return v

    @model_validator(mode="after")
    def _channel_prefix(self) -> RawMessage:
        if not self.message_id.startswith(self.channel + ":"):
            raise ValueError(f"message_id {self.message_id!r} must start with its channel {self.channel!r} + ':'")
        return self


class ClassifiedMessage(RawMessage):
    """A raw message with the classifier's verdict."""

    category: str = Field(..., description="One of the labels in docs/categories.md.")
    scores: dict[str, float] = Field(default_factory=dict, description="Score per label, summing to about 1.")
    confidence: float = Field(..., ge=0, le=1, description="Confidence in 'category'.")
    needs_review: bool = Field(False, description="True when a person should check the category.")
    runner_up: str | None = Field(None, description="Second-best label when it is close.")
    model_version: str = Field(..., min_length=1, description="Version of the model that classified it.")

    @field_validator("category", "runner_up")
    @classmethod
    def _known_label(cls, v: str | None) -> str | None:
        if v is not None and v not in LABELS:
            raise ValueError(f"unknown category {v!r}; expected one of {', '.join(LABELS)}")
        return v


class Location(_Frozen):
    precision: Precision = Field("none", description="How exactly the message is placed.")
    lat: float | None = Field(None, ge=-90, le=90, description="Point, or centroid of the matched area.")
    lon: float | None = Field(None, ge=-180, le=180)
    kota_code: str | None = Field(None, description="Kemendagri code of the kota (e.g. 31.71).")
    kota_name: str | None = None
    kecamatan_code: str | None = Field(None, description="Kemendagri code of the kecamatan (e.g. 31.71.01).")
    kecamatan_name: str | None = None
    kelurahan_code: str | None = Field(None, description="Kemendagri code of the kelurahan (e.g. 31.71.01.1001).")
    kelurahan_name: str | None = None
    matched_text: str | None = Field(None, description="The words of the message the place was read from.")
    span: tuple[int, int] | None = Field(None, description="Character offsets of matched_text in the text.")
    method: LocationMethod = Field("none", description="gps, gazetteer, geocoding_service or none.")


class LocatedMessage(ClassifiedMessage):
    """A classified message placed on the map."""

    location: Location = Field(default_factory=Location)
    geocoder_version: str = Field(..., min_length=1)


M = TypeVar("M", bound=RawMessage)

_set_attr = object.__setattr__
_FIELD_NAMES: dict[type[RawMessage], frozenset[str]] = {}


def derived(model: type[M], values: dict[str, Any]) -> M:
    """A ``model`` holding ``values`` as they are, without validating them again.

    For a stage's output built from a message it decoded (and so validated) plus fields of its own that it checked
    itself: ``values`` must give every field of ``model`` exactly once, each already of its declared type and
    valid. What pydantic's ``model_construct`` does, without its work for defaults and aliases, which makes that
    slower than validating; the result equals the validated model (``==``, :func:`encode`, ``model_fields_set``;
    a unit test holds it to that). Every message read from a topic goes through :func:`decode` instead.
    """
    names = _FIELD_NAMES.get(model)
    if names is None:
        names = _FIELD_NAMES[model] = frozenset(model.model_fields)
    if values.keys() != names:
        missing, unknown = sorted(names - values.keys()), sorted(values.keys() - names)
        raise ValueError(f"{model.__name__}: fields missing {missing}, unknown {unknown}")
    message = model.__new__(model)
    _set_attr(message, "__dict__", values)
    _set_attr(message, "__pydantic_fields_set__", set(values))
    _set_attr(message, "__pydantic_extra__", None)
    _set_attr(message, "__pydantic_private__", None)
    return message


_CARRIED: dict[tuple[type[RawMessage], tuple[str, ...]], tuple[str, ...]] = {}


def derived_from(model: type[M], base: RawMessage, **new: Any) -> M:
    """:func:`derived` of ``model`` holding ``base``'s values for every field not in ``new``, and ``new``.

    A stage's output from the message it decoded: ``derived_from(ClassifiedMessage, raw, category=..., ...)``.
    """
    key = (model, tuple(new))
    carried = _CARRIED.get(key)
    if carried is None:
        carried = _CARRIED[key] = tuple(n for n in model.model_fields if n not in new)
    fields = base.__dict__
    try:
        values = {name: fields[name] for name in carried}
    except KeyError as exc:
        raise ValueError(f"{model.__name__}: {type(base).__name__} has no field {exc.args[0]!r}") from None
    values.update(new)
    return derived(model, values)


def encode(message: RawMessage) -> bytes:
    """Serialise a message for a topic: the UTF-8 bytes of ``message.model_dump_json()``, taken from pydantic's
    serializer as bytes (``model_dump_json`` decodes them to a str, which this would encode again)."""
    return message.__pydantic_serializer__.to_json(message, exclude_none=False)


def decode(model: type[M], data: bytes | str) -> M:
    """Parse ``data`` as a ``model``; any problem raises :class:`DecodeError` with the reason."""
    if isinstance(data, bytes | str):
        # Fast path: pydantic's own JSON parser. Whatever it refuses goes through the slow path below, which
        # says precisely why.
        try:
            message = model.model_validate_json(data)
        except (ValidationError, ValueError):
            pass
        else:
            if message.schema_version == SCHEMA_VERSION and "schema_version" in message.model_fields_set:
                return message
            if "schema_version" in message.model_fields_set:
                raise DecodeError(
                    f"unsupported schema_version {message.schema_version!r}; this consumer reads {SCHEMA_VERSION}"
                )
    if isinstance(data, bytes | bytearray | memoryview):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecodeError(f"not UTF-8: {exc.reason} at byte {exc.start}") from None
    else:
        text = data
    try:
        obj = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise DecodeError(f"not JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise DecodeError(f"expected a JSON object, got {type(obj).__name__}")
    version = obj.get("schema_version")
    if version != SCHEMA_VERSION:
        raise DecodeError(f"unsupported schema_version {version!r}; this consumer reads {SCHEMA_VERSION}")
    try:
        return model.model_validate(obj)
    except ValidationError as exc:
        parts = []
        for err in exc.errors()[:5]:
            loc = ".".join(str(p) for p in err["loc"]) or "(message)"
            parts.append(f"{loc}: {err['msg']}")
        raise DecodeError(f"invalid {model.__name__}: " + "; ".join(parts)) from None
