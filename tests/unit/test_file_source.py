"""The file source: JSONL and CSV records become RawMessages; bad records are rejected with where and why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harvester.errors import RecordRejected, SourceError
from harvester.pollers.file import FileSourceOptions, read_file
from pipeline.contract import RawMessage

KEY = "test-key-not-a-secret"
SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "complaints.jsonl"


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return p


def test_jsonl_fields_map_onto_the_contract(tmp_path):
    p = write(tmp_path, "a.jsonl", json.dumps({
        "id": 42, "text": "jalan rusak", "posted_at": "2026-01-02T03:04:05+07:00", "lat": "-6.2", "lon": 106.8,
        "author": "@Budi", "media": "http://example.org/1.jpg", "lang": "id", "rt": "05"}) + "\n")
    [m] = list(read_file(p, KEY))
    assert isinstance(m, RawMessage)
    assert m.message_id == "file:42" and m.channel == "file" and m.text == "jalan rusak"
    assert m.posted_at.isoformat() == "2026-01-02T03:04:05+07:00"
    assert (m.gps.lat, m.gps.lon) == (-6.2, 106.8)
    assert m.media == ("http://example.org/1.jpg",) and m.lang == "id"
    assert m.raw == {"source": "file", "rt": "05"}
    assert m.author_ref and m.author_ref.startswith("a1:") and "budi" not in json.dumps(m.model_dump(mode="json")).lower()


def test_same_author_same_ref_whatever_the_spelling(tmp_path):
    p = write(tmp_path, "a.jsonl", "\n".join(json.dumps({"text": f"t{i}", "author": a}) for i, a in
                                             enumerate(["@Budi", "budi", "  @BUDI "])))
    refs = {m.author_ref for m in read_file(p, KEY)}
    assert len(refs) == 1


def test_ids_are_stable_content_hashes_without_an_id(tmp_path):
    p = write(tmp_path, "a.jsonl", '{"text": "banjir"}\n{"text": "banjir"}\n{"text": "banjir", "author": "x"}\n')
    ids = [m.message_id for m in read_file(p, KEY)]
    assert ids[0] == ids[1] != ids[2]
    assert ids == [m.message_id for m in read_file(p, KEY)]  # same file, same ids, every time


def test_bad_records_are_rejected_with_line_and_reason_and_the_rest_goes_on(tmp_path):
    lines = [
        '{"id": "1", "text": "ok satu"}',
        "{not json",
        '["a list"]',
        '{"id": "3"}',
        '{"id": "4", "text": "   "}',
        '{"id": "5", "text": "x", "lat": -6.2}',
        '{"id": "6", "text": "x", "lat": "north", "lon": 1}',
        '{"id": "7", "text": "x", "posted_at": "yesterday"}',
        '{"id": "8", "text": "x", "lat": 99, "lon": 106}',
        "",
        '{"id": "9", "text": "ok dua"}',
    ]
    p = write(tmp_path, "a.jsonl", "\n".join(lines) + "\n")
    items = list(read_file(p, KEY))
    good = [i.message_id for i in items if isinstance(i, RawMessage)]
    bad = {i.where: i.reason for i in items if isinstance(i, RecordRejected)}
    assert good == ["file:1", "file:9"]
    assert bad["line 2"].startswith("not JSON")
    assert "expected a JSON object" in bad["line 3"]
    assert bad["line 4"] == "missing 'text'"
    assert bad["line 5"] == "empty 'text'"
    assert "both 'lat' and 'lon'" in bad["line 6"]
    assert "lat: not a number" in bad["line 7"]
    assert "posted_at" in bad["line 8"]
    assert "gps.lat" in bad["line 9"]


def test_invalid_utf8_is_reported_not_crashed(tmp_path):
    p = write(tmp_path, "a.jsonl", b'{"text": "ok"}\n{"text": "\xff\xfe"}\n')
    items = list(read_file(p, KEY))
    assert isinstance(items[0], RawMessage)
    assert isinstance(items[1], RecordRejected) and "UTF-8" in items[1].reason and items[1].where == "line 2"


def test_csv_with_a_chosen_text_column(tmp_path):
    p = write(tmp_path, "a.csv", "no,isi,lat,lon\n1,\"sampah numpuk, bau\",-6.1,106.8\n2,,,\n")
    items = list(read_file(p, KEY, FileSourceOptions(text_column="isi", id_column="no")))
    assert isinstance(items[0], RawMessage) and items[0].message_id == "file:1"
    assert items[0].text == "sampah numpuk, bau" and items[0].gps.lat == -6.1
    assert isinstance(items[1], RecordRejected) and items[1].where == "row 3"


def test_csv_without_the_text_column_is_a_clear_source_error(tmp_path):
    p = write(tmp_path, "a.csv", "a,b\n1,2\n")
    with pytest.raises(SourceError, match="no column 'text'.*--text-column"):
        list(read_file(p, KEY))


def test_unknown_suffix_asks_for_format(tmp_path):
    with pytest.raises(SourceError, match="--format"):
        list(read_file(write(tmp_path, "a.txt", "x"), KEY))


def test_channel_prefixes_the_id(tmp_path):
    p = write(tmp_path, "a.jsonl", '{"id": "77", "text": "x"}\n')
    [m] = list(read_file(p, KEY, FileSourceOptions(channel="sms")))
    assert m.message_id == "sms:77" and m.channel == "sms"


def test_the_shipped_sample_is_all_valid_and_distinct():
    items = list(read_file(SAMPLE, KEY))
    assert items and all(isinstance(i, RawMessage) for i in items)
    assert len({i.message_id for i in items}) == len(items)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(
    st.dictionaries(st.sampled_from(["id", "text", "posted_at", "lat", "lon", "author", "media", "lang", "x"]),
                    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30),
                              st.lists(st.text(max_size=5), max_size=2)), max_size=8),
    st.text(max_size=40)), max_size=8))
def test_any_file_yields_messages_or_rejections_never_an_exception(tmp_path, rows):
    content = "\n".join(json.dumps(r) if isinstance(r, dict) else r.replace("\n", " ") for r in rows)
    p = write(tmp_path, "fuzz.jsonl", content)
    for item in read_file(p, KEY):
        assert isinstance(item, RawMessage | RecordRejected)
