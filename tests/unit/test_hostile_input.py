"""Hostile input on every topic: nothing crashes a stage, every record is either passed on or dead-lettered with a
reason, and SQL or HTML inside texts is stored as inert text."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.settings import RunnerSettings, load_settings
from pipeline import topics
from pipeline.contract import RawMessage, encode
from pipeline.runner import StageRunner
from pipeline.transport.memory import MemoryTransport

FAST = RunnerSettings(batch_size=50, poll_timeout_s=0.001, max_attempts=2, backoff_initial_s=0.0, backoff_max_s=0.0)


@pytest.fixture(scope="module")
def processors(tmp_path_factory):
    import classifier.service
    import geocoder.service
    import sink.service

    data = tmp_path_factory.mktemp("hostile")
    s = load_settings(data_dir=data)
    procs = {"classifier": classifier.service.build_processor(s), "geocoder": geocoder.service.build_processor(s),
             "sink": sink.service.build_processor(s)}
    yield procs
    for p in procs.values():
        p.close()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
fields = ["schema_version", "message_id", "channel", "text", "received_at", "gps", "category", "confidence",
          "scores", "model_version", "location", "geocoder_version", "media", "raw"]
near_messages = st.fixed_dictionaries(
    {"schema_version": st.sampled_from([1, 1, 1, 2, "1", None]),
     "message_id": st.one_of(st.just("file:x1"), st.text(max_size=20)),
     "channel": st.sampled_from(["file", "sms", "", "FILE"]),
     "text": st.text(max_size=200)},
    optional={k: json_values for k in fields if k not in ("schema_version", "message_id", "channel", "text")},
)
records = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    near_messages.map(lambda v: json.dumps(v).encode()),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(records, min_size=1, max_size=12), st.sampled_from(["classifier", "geocoder", "sink"]))
def test_any_bytes_on_any_topic_are_passed_on_or_dead_lettered_with_a_reason(processors, values, stage):
    proc = processors[stage]
    t = MemoryTransport()
    p = t.producer()
    for v in values:
        p.send(proc.input_topic, v)
    p.flush()
    runner = StageRunner(proc, t, FAST, rng=random.Random(0))
    for _ in range(20):
        if runner.run_once() == 0 and runner.is_drained():
            break
    assert t.group_lag(runner.group, [proc.input_topic]) == 0  # every record was handled and committed
    dead = t.records(topics.dlq(proc.input_topic))
    assert all((d.header_str(topics.H_DLQ_ERROR) or "").strip() for d in dead)
    passed = len(t.values(proc.output_topic)) if proc.output_topic else runner.state.records - len(dead)
    assert passed + len(dead) == len(values)


HOSTILE_TEXTS = [
    "'); DROP TABLE tickets; -- jalan rusak",
    "<script>alert('x')</script> banjir di kemang",
    "\" OR 1=1 -- sampah numpuk",
    "{{7*7}} ${jndi:ldap://x} %s%s%n halte TJ",
    "\u202e\u0000\ufeff lampu jalan mati \U0001F4A9" * 3,
]


def test_sql_and_html_in_texts_are_stored_verbatim(processors):
    t = MemoryTransport()
    p = t.producer()
    for i, text in enumerate(HOSTILE_TEXTS):
        p.send(topics.RAW, encode(RawMessage(message_id=f"file:hostile-{i}", channel="file", text=text)))
    p.flush()
    for name in ("classifier", "geocoder", "sink"):
        runner = StageRunner(processors[name], t, FAST, rng=random.Random(0))
        while runner.run_once():
            pass
    store = processors["sink"].store
    for i, text in enumerate(HOSTILE_TEXTS):
        ticket = store.get(f"file:hostile-{i}")
        assert ticket is not None and ticket["text"] == text.replace("\x00", "")
    assert store.count() >= len(HOSTILE_TEXTS)  # the table is still there
