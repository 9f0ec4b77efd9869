"""Concatenation headers (UDH) of Gammu inbox rows: the two documented forms, and no crash on anything else."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harvester.pollers.gammu import Concat, parse_udh


@pytest.mark.parametrize(
    ("udh", "expected"),
    [
        ("050003A70201", Concat(0xA7, 2, 1)),  # IEI 00: 8-bit reference
        ("050003a70302", Concat(0xA7, 3, 2)),
        ("0608041234030 3".replace(" ", ""), Concat(0x1234, 3, 3)),  # IEI 08: 16-bit reference
        # Another element (application port addressing, IEI 05) before the concatenation element.
        ("0B05040B8423F00003A70201", Concat(0xA7, 2, 1)),
        ("", None),
        (None, None),
        ("zz", None),
        ("050003A70203", None),  # part 3 of 2
        ("050003A70000", None),  # zero parts
        ("0A0500030102", None),  # header longer than the data
        ("0504040B8423F0", None),  # only port addressing
    ],
)
def test_parse_udh(udh, expected):
    assert parse_udh(udh) == expected


@given(st.integers(0, 255), st.integers(1, 255), st.data())
def test_eight_bit_reference_round_trips(ref, total, data):
    seq = data.draw(st.integers(1, total))
    assert parse_udh(f"050003{ref:02X}{total:02X}{seq:02X}") == Concat(ref, total, seq)


@given(st.integers(0, 65535), st.integers(1, 255), st.data())
def test_sixteen_bit_reference_round_trips(ref, total, data):
    seq = data.draw(st.integers(1, total))
    assert parse_udh(f"060804{ref:04X}{total:02X}{seq:02X}") == Concat(ref, total, seq)


@settings(max_examples=500)
@given(st.binary(max_size=40).map(bytes.hex) | st.text(max_size=40))
def test_anything_else_never_crashes(udh):
    result = parse_udh(udh)
    assert result is None or (1 <= result.seq <= result.total)
