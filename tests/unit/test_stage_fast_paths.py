"""The second round of throughput fast paths (issue 7) gives exactly what the plain code gives: stage outputs built
without validating again, the sink's one-statement PostgreSQL write, the runner's garbage-collector tuning."""

from __future__ import annotations

import gc
import json
import math
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from classifier.keywords import KeywordClassifier, Prediction
from classifier.processor import ClassifierProcessor
from config.categories import FLOOD, LABELS, NOT_COMPLAINT
from config.settings import ClassifierSettings
from geocoder.gazetteer import Gazetteer
from geocoder.locate import Locator
from geocoder.processor import GeocoderProcessor
from pipeline.contract import (
    GPS,
    ClassifiedMessage,
    LocatedMessage,
    Location,
    RawMessage,
    decode,
    derived,
    derived_from,
    encode,
)
from pipeline.runner import GC_GEN0_THRESHOLD, tune_gc
from sink.models import Ticket
from sink.routing import Router
from sink.store import _EVENT_DATA, _created_event, _PgWrite, _ticket_row

TEXTS = [
    "banjir setinggi lutut di Kel. Tebet Timur, tolong",
    "sampah numpuk di pinggir kali Ciliwung dekat Kampung Melayu",
    "jalan rusak parah di Jl. Kemang Raya, Jakarta Selatan",
    "halte tj Harmoni atapnya bocor",
    "selamat pagi semua",
    "",
    "Polsek Tebet turun ke lokasi banjir di Cawang",
]


def raw(i: int, text: str, **extra: object) -> RawMessage:
    fields: dict[str, object] = {"message_id": f"sms:62-{i}", "channel": "sms", "text": text,
                                 "received_at": datetime(2026, 1, 15, 7, 30, i, tzinfo=UTC)}
    if i % 2:
        fields.update(posted_at=datetime(2026, 1, 15, 7, 29, tzinfo=UTC), author_ref=f"a1:{i:032x}",
                      reply_to="sms:62-0", gps=GPS(lat=-6.2297, lon=106.8524, accuracy_m=12.5),
                      media=("https://example.invalid/p.jpg",), lang="id", raw={"gateway": "t", "n": {"i": i}},
                      trace_id=f"trace-{i}")
    fields.update(extra)
    return decode(RawMessage, encode(RawMessage.model_validate(fields)))


def same(a: RawMessage, b: RawMessage) -> None:
    assert type(a) is type(b)
    assert a == b
    assert encode(a) == encode(b)
    assert a.model_fields_set == b.model_fields_set
    assert decode(type(a), encode(a)) == decode(type(b), encode(b))


# -- derived() ------------------------------------------------------------------------------------------------------
def test_derived_equals_the_validated_model() -> None:
    for i, text in enumerate(TEXTS):
        message = raw(i, text)
        verdict = {"category": FLOOD, "scores": {label: 1 / len(LABELS) for label in LABELS}, "confidence": 0.5,
                   "needs_review": True, "runner_up": None, "model_version": "m-1"}
        values = {**{k: getattr(message, k) for k in RawMessage.model_fields}, **verdict}
        same(derived(ClassifiedMessage, dict(values)), ClassifiedMessage(**values))
        location = Location(precision="kota", lat=-6.2, lon=106.8, kota_code="31.71", kota_name="Jakarta Pusat",
                            matched_text="x", span=(0, 1), method="gazetteer")
        located = {**values, "location": location, "geocoder_version": "g-1"}
        same(derived(LocatedMessage, dict(located)), LocatedMessage(**located))


def test_derived_needs_every_field_exactly() -> None:
    values = {k: getattr(raw(0, "x"), k) for k in RawMessage.model_fields}
    with pytest.raises(ValueError, match="missing"):
        derived(ClassifiedMessage, values)
    with pytest.raises(ValueError, match="unknown"):
        derived(RawMessage, {**values, "category": FLOOD})


def test_derived_from_carries_the_base_message_and_adds_the_new_fields() -> None:
    message = raw(2, "banjir")
    verdict = {"category": FLOOD, "scores": {FLOOD: 1.0}, "confidence": 0.9, "needs_review": False,
               "runner_up": None, "model_version": "m-1"}
    classified = derived_from(ClassifiedMessage, message, **verdict)
    same(classified, ClassifiedMessage(**{k: getattr(message, k) for k in RawMessage.model_fields}, **verdict))
    location = Location(precision="none")
    same(derived_from(LocatedMessage, classified, location=location, geocoder_version="g-1"),
         LocatedMessage(**classified.model_dump(), location=location, geocoder_version="g-1"))
    with pytest.raises(ValueError, match="has no field 'category'"):
        derived_from(LocatedMessage, message, location=location, geocoder_version="g-1")


def test_derived_messages_stay_frozen() -> None:
    m = derived(RawMessage, {k: getattr(raw(1, "x"), k) for k in RawMessage.model_fields})
    with pytest.raises(ValidationError):
        m.text = "changed"  # type: ignore[misc]


# -- the classifier's verdict ---------------------------------------------------------------------------------------
def validated_verdict(proc: ClassifierProcessor, message: RawMessage, p: Prediction) -> ClassifiedMessage:
    """The verdict as the stage built it before the fast path."""
    carried = {name: getattr(message, name) for name in RawMessage.model_fields}
    return ClassifiedMessage(**carried, category=p.category, scores=dict(p.scores), confidence=p.confidence,
                             needs_review=p.confidence < proc.settings.review_threshold, runner_up=p.runner_up,
                             model_version=proc.model_version)


def test_classifier_outputs_equal_the_validated_ones() -> None:
    proc = ClassifierProcessor(ClassifierSettings(review_threshold=0.6), KeywordClassifier())
    messages = [raw(i, t) for i, t in enumerate(TEXTS * 3)]
    outs = proc.process_batch(messages)
    for m, out in zip(messages, outs, strict=True):
        assert isinstance(out, ClassifiedMessage)
        same(out, validated_verdict(proc, m, proc.classifier.classify(m.text)))


@pytest.mark.parametrize(
    "change",
    [
        {"confidence": 0.0},
        {"confidence": 1.0},
        {"runner_up": FLOOD},
        {"scores": {label: 0.0 for label in LABELS}},
    ],
)
def test_edge_verdicts_take_the_fast_path_with_the_same_answer(change: dict) -> None:
    proc = ClassifierProcessor(ClassifierSettings(), KeywordClassifier())
    p = replace(Prediction(category=NOT_COMPLAINT, scores={NOT_COMPLAINT: 0.7, FLOOD: 0.3}, confidence=0.7,
                           runner_up=None), **change)
    m = raw(3, "x")
    same(proc._verdict(m, p), validated_verdict(proc, m, p))


@pytest.mark.parametrize(
    "change",
    [
        {"category": "no_such_label"},
        {"runner_up": "no_such_label"},
        {"confidence": 1.5},
        {"confidence": -0.1},
        {"confidence": math.nan},
        {"scores": {FLOOD: "high"}},
    ],
)
def test_invalid_verdicts_are_still_refused(change: dict) -> None:
    proc = ClassifierProcessor(ClassifierSettings(), KeywordClassifier())
    p = replace(Prediction(category=FLOOD, scores={FLOOD: 0.7}, confidence=0.7, runner_up=None), **change)
    with pytest.raises(ValidationError):
        proc._verdict(raw(1, "x"), p)


def test_other_value_types_are_validated_and_converted_as_before() -> None:
    proc = ClassifierProcessor(ClassifierSettings(), KeywordClassifier())
    p = Prediction(category=FLOOD, scores={FLOOD: 1, NOT_COMPLAINT: 0}, confidence=1, runner_up=None)  # ints
    m = raw(2, "x")
    out = proc._verdict(m, p)
    same(out, validated_verdict(proc, m, p))
    assert type(out.confidence) is float and all(type(v) is float for v in out.scores.values())


def test_a_classified_message_given_to_the_classifier_keeps_only_its_raw_fields() -> None:
    proc = ClassifierProcessor(ClassifierSettings(), KeywordClassifier())
    m = raw(1, TEXTS[0])
    replay = proc.process(proc.process(m))
    same(replay, proc.process(m))


# -- the geocoder's output ------------------------------------------------------------------------------------------
def test_geocoder_outputs_equal_the_validated_ones() -> None:
    classifier = ClassifierProcessor(ClassifierSettings(), KeywordClassifier())
    geocoder = GeocoderProcessor(Locator(Gazetteer.builtin()))
    for i, text in enumerate(TEXTS):
        message = decode(ClassifiedMessage, encode(classifier.process(raw(i, text))))
        out = geocoder.process(message)
        carried = {name: getattr(message, name) for name in ClassifiedMessage.model_fields}
        expected = LocatedMessage(**carried, location=geocoder.locator.locate(message.text, message.gps),
                                  geocoder_version=geocoder.geocoder_version)
        same(out, expected)
        # a replayed LocatedMessage is placed afresh and gives the same output
        same(geocoder.process(decode(LocatedMessage, encode(out))), out)


# -- the sink's PostgreSQL statement --------------------------------------------------------------------------------
def _row(i: int, category: str = FLOOD) -> tuple[dict, LocatedMessage, datetime]:
    classifier = ClassifierProcessor(ClassifierSettings(), KeywordClassifier())
    geocoder = GeocoderProcessor(Locator(Gazetteer.builtin()))
    m = geocoder.process(classifier.process(raw(i, TEXTS[i % len(TEXTS)])))
    if category != m.category:
        m = m.model_copy(update={"category": category})
    now = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
    return _ticket_row(m, now, Router.load()), m, now


def test_event_data_is_what_it_always_was() -> None:
    for i, category in enumerate([FLOOD, NOT_COMPLAINT, FLOOD, NOT_COMPLAINT]):
        row, m, now = _row(i, category)
        event = _created_event(7, m.message_id, row, now)
        assert event["data"] == {
            "category": m.category,
            "confidence": m.confidence,
            "model_version": m.model_version,
            "geocoder_version": m.geocoder_version,
            "kelurahan_code": m.location.kelurahan_code,
            "agency": row["assignee_agency"],
            "trace_id": m.trace_id,
        }
        assert event["note"] == ("classified not_complaint" if category == NOT_COMPLAINT else None)
    assert {c for _, c in _EVENT_DATA} <= set(Ticket.__table__.c.keys())


def test_pg_rows_carry_every_value_under_short_keys() -> None:
    rows, now = [], None
    for i in range(6):
        row, _, now = _row(i)
        rows.append(row)
    pg = _PgWrite(tuple(rows[0]))
    aliases = [a for _, a in pg.keys]
    assert len(set(aliases)) == len(aliases)
    params = pg.params(rows, now)
    assert params["now"] == now
    packed = json.loads(params["rows"])
    back = {a: c for c, a in pg.keys}
    for row, got in zip(rows, packed, strict=True):
        # the batch's columns are the same for every row, the left-out ones are NULL for every new ticket
        assert row["created_at"] == row["updated_at"] == now
        assert all(row[c] is None for c in _PgWrite.NULL)
        expected = {c: v for c, v in row.items() if c not in _PgWrite.PER_BATCH and c not in _PgWrite.NULL}
        unpacked = {back[a]: v for a, v in got.items()}
        for c, v in expected.items():
            if v is None:
                assert c not in unpacked
            elif isinstance(v, datetime):
                assert datetime.fromisoformat(unpacked[c]) == v
            elif isinstance(v, tuple):
                assert unpacked[c] == list(v)
            else:
                assert unpacked[c] == v
    sql = str(pg.statement)
    assert "ON CONFLICT (message_id) DO NOTHING" in sql and 'INSERT INTO "ticket_events"' in sql
    for key, _ in _EVENT_DATA:
        assert f"'{key}'" in sql


# -- the runner's garbage collector ---------------------------------------------------------------------------------
def test_tune_gc_freezes_once_and_raises_the_young_threshold() -> None:
    tune_gc()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[0] >= GC_GEN0_THRESHOLD
    assert tune_gc() is False  # once per process
    assert gc.isenabled()


# -- the matcher's scan ---------------------------------------------------------------------------------------------
def test_a_word_that_starts_no_name_or_city_is_skipped_exactly_as_the_full_look_would() -> None:
    """The scan asks :meth:`Matcher._longest_name` / :meth:`Matcher._city_at` only for a word that starts a name /
    a city: for any other word both would have answered None / 0."""
    from geocoder.matcher import _NON_DKI_PREFIXES, Matcher
    from geocoder.text import tokenize

    matcher = Matcher(Gazetteer.builtin())
    words = ["banjir", "di", "jakarta", "selatan", "bekasi", "kota", "tangerang", "selatan", "jl", "x", "pusat",
             "jakartaselatan", "de", "depok", "bogor", "raya", "kebayoran", "lama", "ke", "tangsel"]
    texts = [" ".join(words[j:j + k]) for j in range(len(words)) for k in (1, 2, 3, 5)] + TEXTS
    for text in texts:
        tokens = tokenize(text)
        for i, token in enumerate(tokens):
            if token.norm not in matcher._prefixes:
                assert matcher._longest_name(tokens, i) is None
            if token.norm not in _NON_DKI_PREFIXES:
                assert Matcher._city_at(tokens, i) == 0
