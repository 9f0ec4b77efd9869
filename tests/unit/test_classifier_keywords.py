"""The keyword baseline and the normaliser: hand-written Jakarta messages per label, the hard-case rules of
docs/categories.md, hostile input, and properties (never raises, always a distribution, normalising is idempotent)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.keywords import MODEL_VERSION, KeywordClassifier, Prediction
from classifier.lexicon import RULES, SLANG
from classifier.normalise import mentions, normalise, split_hashtag, squeeze, tokens
from config.categories import DAMAGED_ROAD, FLOOD, GARBAGE, LABELS, NOT_COMPLAINT, OTHER, TRANSJAKARTA

REVIEW_THRESHOLD = 0.6  # the default of ClassifierSettings.review_threshold


@pytest.fixture(scope="module")
def clf() -> KeywordClassifier:
    return KeywordClassifier()


# Written for these tests: the way people in Jakarta tweet, text and chat about problems (and about other things).
CASES: dict[str, list[str]] = {
    FLOOD: [
        "Banjir lagi di Jl. Kemang Raya, air sudah setinggi lutut. Tolong @BPBDJakarta",
        "rumah kami kebanjiran sejak subuh, air masuk sampai kamar",
        "Jl. Bungur Besar terendam 50 cm, motor pada mogok",
        "got depan rumah mampet, tiap hujan dikit langsung tergenang",
        "pompa air di Pluit mati pas hujan deras, air udah naik ke jalan",
        "banjir rob lagi di Muara Baru, warga mohon bantuan evakuasi",
        "#banjirjakarta Cipinang Melayu udah sepinggang, tolong kirim perahu karet",
        "kali meluap, gang kami tergenang air setinggi 40cm",
        "bannjiirrr lagiii di perumahan kami, parah bgt",
    ],
    GARBAGE: [
        "sampah numpuk di TPS Pasar Minggu udah seminggu gak diangkut, baunya nyengat",
        "Tolong truk sampah belum lewat 5 hari, sampah di gang kami sudah menggunung",
        "ada yang buang sampah sembarangan ke kali Ciliwung tiap malam",
        "warga bakar sampah tiap sore, asapnya masuk rumah",
        "TPS liar di bawah flyover makin parah, bau busuk sampai ke jalan",
        "sampah berserakan di trotoar depan pasar, kotor banget",
        "tumpukan sampah di pinggir jalan Daan Mogot belum diangkut petugas",
        "sampahnya udah numpuk di pinggir kali, ga ada yang angkut",
        "sampah2 di depan sekolah bau, lalat dimana mana",
    ],
    DAMAGED_ROAD: [
        "Jalan depan rumah gw rusak parah, lubangnya gede banget udah 2 bulan ga dibenerin",
        "jl. raya bogor berlubang di mana-mana, tadi ada motor jatuh",
        "aspal di jalan Pemuda mengelupas, bahaya buat pengendara",
        "trotoar di Sudirman rusak dan retak, susah buat pejalan kaki",
        "jembatan di kampung kami sudah lapuk dan miring, tolong diperbaiki",
        "tutup got di jalan Kramat hilang, lubangnya menganga bahaya",
        "jalan amblas di depan SD, kapan diperbaiki?",
        "jalanan bergelombang dan retak sepanjang jalan Kalimalang",
        "#jalanrusak di Cilincing makin parah",
    ],
    TRANSJAKARTA: [
        "TJ koridor 9 lama banget datengnya, udah nunggu 40 menit di halte Semanggi",
        "busway dipake motor lagi di Mampang, ga ada petugas",
        "halte Transjakarta Cawang atapnya bocor, penumpang kehujanan",
        "supir mikrotrans JAK 10 ugal-ugalan, hampir nabrak",
        "@PT_Transjakarta bus 6A penuh sesak, AC mati, panas banget",
        "jaklingko tadi ngetem lama banget di depan pasar",
        "antrean di halte Harmoni panjang banget, armada kurang",
        "tije 4D telat terus tiap pagi, kapan ditambah armadanya",
    ],
    OTHER: [
        "lampu jalan di gang kami mati sudah seminggu, gelap banget rawan begal",
        "parkir liar di depan stasiun Tebet bikin macet",
        "air PDAM mati dari kemarin, tolong dicek",
        "knalpot brong tiap malam bising banget di komplek",
        "pohon tumbang di jalan Panglima Polim, menutup jalan",
        "mati lampu lagi di Cempaka Putih, udah 3 jam",
        "urus KTP di kelurahan dipersulit, udah 3 minggu belum jadi",
        "macet parah di Cawang, lampu merah mati",
    ],
    NOT_COMPLAINT: [
        "banjir orderan hari ini alhamdulillah",
        "selamat pagi jakarta",
        "Pemprov DKI salurkan bantuan sembako untuk korban banjir di Kampung Melayu",
        "terima kasih petugas kebersihan, jalanan jadi bersih",
        "promo diskon 50% hari ini aja, yuk order!",
        "naik tj ke kantor tiap hari",
        "semoga tahun ini Jakarta bebas banjir",
        "mengisi jurnal dengan banjir air mata",
        "wkwk dia mah sampah masyarakat",
        "seru banget jalan jalan ke kota tua kemarin",
        "Alhamdulillah banjir di rumah sudah surut, terima kasih relawan",
        "bank sampah di RW kami buka setiap Sabtu, yuk setor sampah plastik",
        "Ada yang tau rute TJ dari Blok M ke Kota?",
    ],
}


@pytest.mark.parametrize(("label", "text"), [(label, t) for label, texts in CASES.items() for t in texts])
def test_hand_written_messages(clf: KeywordClassifier, label: str, text: str) -> None:
    prediction = clf.classify(text)
    assert prediction.category == label, (prediction.scores, prediction.evidence)


def test_every_label_has_at_least_eight_cases() -> None:
    assert set(CASES) == set(LABELS)
    assert all(len(texts) >= 8 for texts in CASES.values())


@pytest.mark.parametrize("text", [t for texts in CASES.values() for t in texts])
def test_scores_are_a_distribution_over_all_labels(clf: KeywordClassifier, text: str) -> None:
    p = clf.classify(text)
    assert list(p.scores) == list(LABELS)
    assert math.isclose(sum(p.scores.values()), 1.0, abs_tol=1e-9)
    assert all(0.0 <= s <= 1.0 for s in p.scores.values())
    assert p.confidence == max(p.scores.values()) == p.scores[p.category]
    if p.runner_up is not None:
        assert p.runner_up != p.category
        assert p.scores[p.runner_up] >= 0.5 * p.confidence


# -- the hard-case rules of docs/categories.md --------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "jalan di depan kantor walikota terendam air, mobil ga bisa lewat",
        "Jl. Daan Mogot tergenang 30 cm, jalannya ga kelihatan",
    ],
)
def test_a_road_under_water_is_flood_not_damaged_road(clf: KeywordClassifier, text: str) -> None:
    assert clf.classify(text).category == FLOOD


def test_flood_caused_by_garbage_is_flood_with_garbage_second(clf: KeywordClassifier) -> None:
    p = clf.classify("banjir karena got mampet penuh sampah, pemprov tolong dikeruk")
    assert p.category == FLOOD
    ranked = sorted(p.scores, key=p.scores.__getitem__, reverse=True)
    assert ranked[1] == GARBAGE


@pytest.mark.parametrize(
    "text",
    [
        "KRL pagi ini penuh sesak, stasiun Manggarai kacau",
        "MRT Lebak Bulus gangguan, kereta tertahan 20 menit",
        "macet total di Gatot Subroto dari tadi",
    ],
)
def test_rail_stations_and_traffic_jams_are_other(clf: KeywordClassifier, text: str) -> None:
    assert clf.classify(text).category == OTHER


def test_a_transjakarta_halte_is_transjakarta(clf: KeywordClassifier) -> None:
    assert clf.classify("halte busway Senen rusak parah, banyak coretan").category == TRANSJAKARTA


def test_a_concrete_instance_counts_without_a_precise_place(clf: KeywordClassifier) -> None:
    assert clf.classify("jalan depan rumah gw rusak parah").category == DAMAGED_ROAD


def test_a_topic_without_anything_wrong_leans_not_complaint(clf: KeywordClassifier) -> None:
    p = clf.classify("naik tj ke kantor tiap hari")
    assert p.category == NOT_COMPLAINT
    assert p.runner_up == TRANSJAKARTA
    assert p.confidence < REVIEW_THRESHOLD


def test_metaphors_are_not_floods(clf: KeywordClassifier) -> None:
    for text in (
        "banjir orderan",
        "lagi banjir rezeki",
        "banjir diskon akhir tahun",
        "banjir air mata nonton drakor",
    ):
        assert clf.classify(text).category == NOT_COMPLAINT, text


def test_news_of_aid_is_not_a_complaint_but_a_flood_report_is(clf: KeywordClassifier) -> None:
    aid = clf.classify("Relawan menyalurkan bantuan logistik untuk warga terdampak banjir di Cawang")
    report = clf.classify("114 RT di Jakarta masih terendam banjir pagi ini, paling tinggi 3 meter")
    assert aid.category == NOT_COMPLAINT
    assert report.category == FLOOD


# -- hostile and odd input ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "x" * 100_000,
        "lorem ipsum dolor " * 6_000,
        "😀🎉🔥🙏",
        "I love sunny days in the park with my friends",
        "東京は今日も雨です。傘を忘れました。",
        "\x00\x01\u200b\ufeff",
    ],
)
def test_bad_input_gives_a_label_with_low_confidence(clf: KeywordClassifier, text: str) -> None:
    p = clf.classify(text)
    assert p.category in LABELS
    assert p.confidence < REVIEW_THRESHOLD
    assert math.isclose(sum(p.scores.values()), 1.0, abs_tol=1e-9)


def test_only_the_first_characters_are_read(clf: KeywordClassifier) -> None:
    assert clf.classify("banjir setinggi lutut " + "x " * 50_000).category == FLOOD
    assert clf.classify("x " * 50_000 + "banjir setinggi lutut").category == NOT_COMPLAINT


def test_deterministic_and_versioned(clf: KeywordClassifier) -> None:
    text = "sampah numpuk di pinggir kali"
    assert clf.classify(text) == KeywordClassifier().classify(text)
    assert MODEL_VERSION == clf.model_version == "keywords-0.1"


def test_evidence_names_the_rules_that_fired(clf: KeywordClassifier) -> None:
    p = clf.classify("lampu jalan mati, tolong @dkijakarta")
    assert isinstance(p, Prediction)
    assert any("lampu" in e for e in p.evidence)
    assert "@dkijakarta" in p.evidence


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_classify_never_raises_and_returns_a_distribution(text: str) -> None:
    p = KeywordClassifier().classify(text)
    assert p.category in LABELS
    assert set(p.scores) == set(LABELS)
    assert math.isclose(sum(p.scores.values()), 1.0, abs_tol=1e-9)
    assert 0.0 < p.confidence <= 1.0


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(sorted({w for t in CASES.values() for s in t for w in s.split()})), max_size=30)
)
def test_classify_on_shuffled_real_words(words: list[str]) -> None:
    p = KeywordClassifier().classify(" ".join(words))
    assert math.isclose(sum(p.scores.values()), 1.0, abs_tol=1e-9)


def test_every_rule_pattern_compiles() -> None:
    clf = KeywordClassifier()
    assert clf.rule_count == sum(len(patterns) for _, patterns in RULES)


# -- the normaliser ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("#banjirjakarta", "banjir jakarta"),
        ("#JalanRusak #SampahMenumpuk", "jalan rusak sampah menumpuk"),
        ("Bannjiirrr", "banjir"),
        ("parahhhh bangettt", "parah banget"),
        ("gk ga gak nggak", "tidak tidak tidak tidak"),
        ("jl. Sudirman jln Thamrin", "jalan sudirman jalan thamrin"),
        ("bnjr lg", "banjir lagi"),
        ("tj koridor 1", "transjakarta koridor 1"),
        ("Tj. Priok macet", "tanjung priok macet"),
        ("sampah2 numpuk", "sampah sampah menumpuk"),
        ("udh 3hr", "sudah 3 hari"),
        ("air 50cm", "air 50 cm"),
        ("dgn yg dr dll", "dengan yang dari dan lain lain"),
        ("lapor @dkijakarta https://t.co/abc123 www.example.com", "lapor"),
        ("ＢＡＮＪＩＲ Cengkaréng", "banjir cengkareng"),
        ("maaf saat itu", "maaf saat itu"),
        ("RT 05/RW 03", "rt 05 rw 03"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_mentions_are_listed_apart() -> None:
    assert mentions("tolong @DKIJakarta dan @PT_Transjakarta") == ["dkijakarta", "pt_transjakarta"]
    assert "dkijakarta" not in tokens("tolong @DKIJakarta")


def test_hashtag_splitting_keeps_unknown_runs_whole() -> None:
    assert split_hashtag("banjirjakarta") == ["banjir", "jakarta"]
    assert split_hashtag("tebetbanjir") == ["tebet", "banjir"]
    assert split_hashtag("qwertyzxcv") == ["qwertyzxcv"]
    assert split_hashtag("a" * 200) == ["a" * 200]


def test_squeeze_only_runs_of_three() -> None:
    assert squeeze("bannjiirrr") == "bannjiir"
    assert squeeze("maaf") == "maaf"


def test_slang_values_are_already_normal() -> None:
    for value in SLANG.values():
        assert normalise(value) == value, value


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_normalise_is_idempotent_and_never_raises(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
    assert "  " not in once and once == once.strip()


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_tokens_are_words(text: str) -> None:
    for token in tokens(text):
        assert token and " " not in token
