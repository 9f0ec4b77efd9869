"""Normalisation of informal Indonesian: examples, and properties that must hold for any string."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.normalise import _strip_latin_accents, fold, normalise, split_hashtag, tokens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jln depan rumah gw RUSAKKK parahhh!!!", "jalan depan rumah gue rusak parah"),
        ("bnjr lg di kemang gk surut2", "banjir lagi di kemang tidak surut surut"),
        ("#banjirjakarta @DKIJakarta tolong https://t.co/abc123", "banjir jakarta tolong"),
        ("air 50cm masuk rmh", "air 50 cm masuk rumah"),
        ("naik TJ dari tj priok", "naik transjakarta dari tanjung priok"),
        ("ＢＡＮＪＩＲ di Cipete", "banjir di cipete"),
        ("sampah2 numpuk", "sampah sampah menumpuk"),
        (r"USER emg produk cina \xf0\x9f\x92\xaf\xf0\x9f\x92\xaf lucu\nbanget", "user memang produk cina lucu banget"),
        ("", ""),
        ("😭😭😭", ""),
    ],
)
def test_examples(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_hashtags_split_into_known_words() -> None:
    assert split_hashtag("banjirjakarta") == ["banjir", "jakarta"]
    assert split_hashtag("zzqx") == ["zzqx"]


def test_ascii_fast_path_matches_the_full_fold() -> None:
    for text in ("Jalan RUSAK", "Hello World 123", "@PT_Transjakarta #TJ!"):
        slow = text
        for _ in range(4):
            slow = _strip_latin_accents(unicodedata.normalize("NFKC", slow).casefold())
        assert fold(text) == slow


_informal = st.lists(
    st.sampled_from(list("abcdeghijklmnoprstuwyABJKRST0123456789 #@!?.,:/_-\\\n😭é")
                    + ["jln ", "bnjr", "tj ", "yg ", "http://x.co/a ", "#banjirjakarta", "@pemprov", "2"]),
    max_size=80,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_string_gives_lowercase_words_and_is_idempotent(text: str) -> None:
    words = tokens(text)
    assert all(w and " " not in w for w in words)
    assert all(w == w.casefold() for w in words)
    once = normalise(text)
    assert normalise(once) == once


@settings(max_examples=300, deadline=None)
@given(_informal)
def test_informal_text_is_idempotent_and_has_no_urls_or_mentions(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
    assert "@" not in once and "#" not in once and "http" not in once.split()


def test_long_input_is_linear_enough() -> None:
    words = normalise("jalan rusak parah " * 20_000)
    assert words.split()[:3] == ["jalan", "rusak", "parah"]
