"""Find admin-area names in a message and choose the most specific consistent reading.

Reading names
-------------
The text is split into words with their offsets (:func:`geocoder.text.tokenize`). At every word the longest run of
up to :attr:`Matcher.max_words` words whose key (the words joined without spaces) is a gazetteer name or alias is a
*mention*, so "Tanah Abang", "tanahabang" and "Kp. Melayu" are all found and "Kelapa Gading Timur" wins over
"Kelapa Gading". Words right before a mention set its level: "kel."/"kelurahan"/"lurah" (kelurahan),
"kec."/"kecamatan"/"camat" (kecamatan), "kota"/"kab."/"kabupaten"/"kodya" (kota) -- a strong cue that keeps only
candidates of that level.

Each mention has *primary* candidates (the areas it plainly names) and *secondary* ones (readings that need
corroboration):

- a bare name shared by a kecamatan and a kelurahan ("Tebet", "Cengkareng", "Jatinegara") is primarily the
  kecamatan; the kelurahan is secondary, so "Tebet" alone is the kecamatan and "Kel. Tebet" the kelurahan;
- names that are also common words or places outside Jakarta (:data:`WEAK_NAMES`: "Baru", "Tengah", "Gunung",
  "Bintaro", "Kelapa Dua", ...) are only secondary unless a level word precedes them.

Choosing a reading
------------------
Every candidate area is scored by ``(support, primary support)``: how many mentions name it or one of the areas it
lies in, and how many of those do so primarily. Readings without any primary support are dropped. Among the best,
if all lie on one chain (kelurahan -> kecamatan -> kota) the most specific wins; otherwise their lowest common area
is the answer (two kecamatan of Jakarta Selatan -> Jakarta Selatan), or nothing when they share none (Tebet and
Cengkareng). So "Kel. Tegal Alur Kec. Kalideres" gives the kelurahan Tegal Alur, a kelurahan name found in two
kecamatan of one kota gives that kota, and contradicting names give no place.

Passing mentions and contradictions
-----------------------------------
A name named in passing is not read: after "ke" / "arah" / "menuju" / "lewat" (a destination or a way through;
not after a verb of going there to act, "turun ke", "meninjau ke"), the ends of a journey ("dari X ... ke/sampai
Y"), the ends of a route or segment ("X - Y", "X -> Y", "Jl. A - Jl. B", "antara X dan Y"; not a news dateline's dash,
"JAKARTA - ..."), the rest of such a name's address ("ke halte X di Y"), and every name of a message giving transit
advice ("naik rute ...", "turun di halte X", an operator's "rute 8N melayani halte X"; "tidak melayani halte X" is a
disruption there). "di" or a level word written onto a name ("dikwitang", "kelpengadegan") is read as if apart.

When the remaining names contradict the best reading (neither lies in the other, nor within :data:`NEAR_METRES` for
a place), the answer is the area they share, or nothing. Names that never contradict: streets (their names repeat;
also a halte's name after a street word), hashtags, a name lent to a street or a facility ("Jalan Kebon Pala II",
"Pintu Air Manggarai"), a reference point ("dekat Manggarai"), and a name written right before the reading's own (the
smaller part of an address). A street of a name found in every town
(:data:`GENERIC_STREETS`) alone needs "Jakarta", a Jakarta account or another name.

Outside Jakarta
---------------
When the text names a city outside DKI (:data:`NON_DKI`: Bekasi, Depok, Tangerang, Bogor, ...) -- not as part of a
street such as "Jl. Raya Bogor" -- or an account of one ("@txtdrbekasi", "@AboutTNG", "@jeparakabgoid"), the reading
must be backed by more than one lone name: a kota mention, the word "Jakarta" or "DKI", or two consistent mentions
(a level word is not enough: "Kecamatan Gambir Tasikmalaya"). Otherwise the matcher declines ("Pekayon, Bekasi" is
not Pekayon in Pasar Rebo). "Jakarta" counts only next to a used name (within :data:`_DKI_NEAR_CHARS`) and not in a
hashtag, and a kota alone never survives. A city name that is longer than the Jakarta name it starts with wins
("Pancoran Mas" is in Depok, not Pancoran).

Places
------
When the pack has places, :class:`geocoder.places.PlaceFinder` (spaCy PhraseMatcher) reads them; a place is a
reading one step more specific than a kelurahan (precision "street" or "place", its own point). A strong place hit
replaces the admin names inside its span; a weak one only corroborates, unless it is a longer name holding an admin
name that is not a common word ("Senayan Bank DKI" is the halte, not the kelurahan Senayan). A station whose point
lies within :data:`STATION_BORDER_M` of another kelurahan gives only the area they share (railways bound many
kelurahan). The name of a water gauge or floodgate ("Pintu Air Manggarai", "PA Karet", "tinggi air Manggarai")
gives at most its kota (:class:`Evidence` basis ``gauge``). When a place and a kelurahan announced by
its level word tie ("Jl. Mandor Hasan, Kel. Cipayung"), the kelurahan wins: a street's point is one spot of a line.
After a level word, a name one edit away is accepted ("Kecamatan Pesanggarahan"). When the reading is a kelurahan
and the text names one of its RW ("RW 04", "RT 10/05"), the RW's point is given (precision "place").

Spans are character offsets into the original text. The matched text is the name of the chosen area as written;
when the chosen area is a common parent that the text does not name, it spans the mentions it was read from.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Final

from geocoder.gazetteer import Area, Gazetteer, Level, Place
from geocoder.settings import MAX_LOCATE_CHARS, GeocoderSettings
from geocoder.text import Token, name_key, tokenize
from pipeline.contract import Location

if TYPE_CHECKING:
    from geocoder.places import PlaceFinder

__all__ = [
    "DEFAULT_MIN_EVIDENCE",
    "EVIDENCE_CLASSES",
    "LEVEL_WORDS",
    "NON_DKI",
    "WEAK_NAMES",
    "Evidence",
    "Matcher",
    "Mention",
    "Reading",
    "location_for",
]

#: Words announcing the level of the name that follows.
LEVEL_WORDS: Final[Mapping[str, Level]] = {
    "kel": "kelurahan",
    "kelurahan": "kelurahan",
    "lurah": "kelurahan",
    "kelur": "kelurahan",
    "kec": "kecamatan",
    "kecamatan": "kecamatan",
    "camat": "kecamatan",
    "kota": "kota",
    "kab": "kota",
    "kabupaten": "kota",
    "kodya": "kota",
    "kotamadya": "kota",
    "wilayah": "kota",
}
#: Words that may sit between a level word and the name ("Kota Adm. Jakarta Selatan", "Kantor Kelurahan X").
_LEVEL_FILLERS: Final[frozenset[str]] = frozenset({"adm", "administrasi", "kantor"})

# fmt: off
#: Keys of names that are also common words or places outside Jakarta: they need corroboration.
WEAK_NAMES: Final[frozenset[str]] = frozenset(
    name_key(n)
    for n in (
        "Baru", "Tengah", "Gunung", "Pulo", "Jati", "Dukuh", "Gedong", "Karet", "Kamal", "Kramat", "Guntur",
        "Kartini", "Rambutan", "Bangka", "Galur", "Gelora", "Kenari", "Serdang", "Selong", "Setu", "Pekayon",
        "Kelapa Dua", "Kalibaru", "Sumur Batu", "Batu Ampar", "Ceger", "Makasar", "Bintaro", "Joglo", "Munjul",
        "Susukan", "Pasar Baru", "Tanah Tinggi", "Kampung Bali", "Karang Anyar", "Kali Anyar", "Taman Kota",
        "Tangki", "Wijaya Kusuma",
    )
)

#: Street names found in nearly every Indonesian town (heroes, flowers, common words): a street of this name alone,
#: with nothing else placing the message in Jakarta, may be anywhere ("Jalan Pemuda, Bangka", "Jl. RA Kartini
#: Bangil").
GENERIC_STREETS: Final[frozenset[str]] = frozenset(
    name_key(n)
    for n in (
        "Sudirman", "Jenderal Sudirman", "Thamrin", "MH Thamrin", "Gatot Subroto", "Diponegoro", "Ahmad Yani",
        "A Yani", "Pemuda", "Veteran", "Merdeka", "Pahlawan", "Kartini", "RA Kartini", "Inpres", "Gajah Mada",
        "Hayam Wuruk", "Juanda", "Imam Bonjol", "Pramuka", "Cendrawasih", "Melati", "Mawar", "Kenanga",
        "Anggrek", "Flamboyan", "Kamboja", "Dahlia", "Pasir", "Siliwangi", "Pajajaran", "Asia Afrika", "Tugu",
        "Pattimura", "Teuku Umar", "Hasanuddin", "MT Haryono", "DI Panjaitan", "S Parman", "Suprapto",
        "Sutoyo", "Tendean", "Sultan Agung", "Gunung Sahari", "Wahid Hasyim", "Agus Salim", "Yos Sudarso",
        "Martadinata", "Hang Tuah", "Pangeran Antasari", "Antasari", "Sisingamangaraja", "Proklamasi",
        "Kebon Jeruk", "Persatuan", "Perintis", "Perintis Kemerdekaan", "Raya", "Baru", "Industri", "Pelita",
        # more national heroes and events every town names a street after ("Jl. Slamet Riyadi" is Solo's main road
        # as much as a street of Matraman)
        "Slamet Riyadi", "Cut Nyak Dien", "Cut Nyak Dhien", "Cut Mutia", "Cut Meutia", "Dewi Sartika",
        "Sam Ratulangi", "Ki Hajar Dewantara", "Soekarno Hatta", "Sukarno Hatta", "WR Supratman", "Supratman",
        "Adi Sucipto", "Adisucipto", "Abdul Muis", "Cokroaminoto", "Tjokroaminoto", "HOS Cokroaminoto",
        "Ahmad Dahlan", "KH Ahmad Dahlan", "Mas Mansyur", "KH Mas Mansyur", "Dr Sutomo", "Sutomo", "Basuki Rahmat",
        "Urip Sumoharjo", "Panglima Polim", "Teuku Cik Ditiro", "Iskandar Muda", "Raden Saleh", "Halim Perdanakusuma",
        "Letjen Suprapto", "Jenderal Ahmad Yani", "Hasyim Asyari", "Sultan Hasanuddin", "Pangeran Diponegoro",
        "Gunung Agung", "Kusuma Bangsa", "Bhayangkara", "Kemerdekaan", "Pancasila", "Sisingamangaraja XII",
    )
)

#: Cities and regencies around or beyond Jakarta that people name next to (or instead of) Jakarta places.
NON_DKI: Final[frozenset[str]] = frozenset(
    name_key(n)
    for n in (
        "Bekasi", "Depok", "Tangerang", "Tangsel", "Bogor", "Cikarang", "Karawang", "Cibinong", "Cileungsi",
        "Ciledug", "Pamulang", "Serpong", "Ciputat", "Bandung", "Kemang Pratama", "Pondok Gede Permai", "Serang", "Cilegon", "Sukabumi", "Cianjur",
        "Semarang", "Surabaya", "Yogyakarta", "Jogja", "Solo", "Medan", "Makassar", "Palembang", "Malang",
        "Banten", "Jawa Barat", "Jabar",
        # kecamatan and towns of Bekasi, Depok, Tangerang and Bogor that people name without their city
        "Jatiasih", "Jatimakmur", "Pondok Gede", "Bekasi Utara", "Bekasi Timur", "Bekasi Barat", "Bekasi Selatan",
        "Rawalumbu", "Bantar Gebang", "Mustika Jaya", "Medan Satria", "Tambun", "Babelan", "Cibitung", "Pancoran Mas",
        "Sawangan", "Cinere", "Cimanggis", "Bojongsari", "Tapos", "Margonda", "Citayam", "Karawaci", "Cipondoh",
        "Pondok Aren", "Cisarua", "Sentul", "Cileungsi", "Gunung Putri", "Jonggol", "Tangsel", "Ciledug",
        # provinces and large towns elsewhere in Indonesia
        "Aceh", "Sumatera", "Sumut", "Sumbar", "Riau", "Jambi", "Bengkulu", "Lampung", "Jawa Tengah", "Jateng",
        "Jawa Timur", "Jatim", "Bali", "NTB", "NTT", "Kalimantan", "Kalbar", "Kaltim", "Sulawesi", "Maluku",
        "Papua", "Pekanbaru", "Padang", "Denpasar", "Balikpapan", "Samarinda", "Pontianak", "Banjarmasin", "Manado",
        "Kupang", "Mataram", "Jayapura", "Ambon", "Batam", "Tasikmalaya", "Cirebon", "Garut", "Purwakarta",
        "Subang", "Sumedang", "Kediri", "Madiun", "Jember", "Banyuwangi", "Sidoarjo", "Gresik", "Mojokerto",
        "Magelang", "Klaten", "Sleman", "Bantul", "Kudus", "Tegal", "Pekalongan", "Purwokerto", "Cilacap",
        "Salatiga",
    )
)
# fmt: on
_NON_DKI_PREFIXES: Final[frozenset[str]] = frozenset(k[:j] for k in NON_DKI for j in range(1, len(k) + 1))
#: Words before a city name that make it part of a street or a direction, not the place of the message.
_STREET_WORDS: Final[frozenset[str]] = frozenset(
    {"jalan", "jl", "jln", "raya", "tol", "arah", "ke", "menuju"}
)
#: Words before "jalan" that make it part of "lampu jalan" (a streetlight), not a street's name.
_LIGHT_WORDS: Final[frozenset[str]] = frozenset({"lampu", "penerangan", "lampunya"})
#: Words that start a street's name ("Jalan Gabus Raya").
_STREET_NAME_WORDS: Final[frozenset[str]] = frozenset({"jalan", "jl", "jln"})
_DKI_WORDS: Final[frozenset[str]] = frozenset({"jakarta", "dki", "jkt"})
_AND_WORDS: Final[frozenset[str]] = frozenset({"dan", "serta", "atau"})
_RW_NAME = re.compile(r"RW (\d+)\b")
#: "RW 05", "rw.5", "RW05", and the RW of "RT 10/05" / "RT 003 RW 005"
_RW_MENTION = re.compile(
    r"\bRW\.?\s*0*(?P<rw>\d{1,3})\b|\bRT\.?\s*\d{1,3}\s*/\s*0*(?P<rtrw>\d{1,3})\b", re.IGNORECASE
)
_CITY_IN_WORD: Final[tuple[str, ...]] = ("bekasi", "depok", "tangerang", "bogor", "tangsel", "cikarang", "bandung")
_CITY_IN_WORD_RE: Final = re.compile("|".join(_CITY_IN_WORD))
#: Accounts of places outside DKI by their short forms ("@txtdaritng", "@AboutTNG", "@infobks") or of a regency's
#: government ("@jeparakabgoid", "@pemkabbogor"): DKI has no regency but the Thousand Islands.
_ACCOUNT = re.compile(r"@(\w+)")
_NON_DKI_ACCOUNT_ENDS: Final[tuple[str, ...]] = ("tng", "bks", "bgr", "dpk")
_NON_DKI_ACCOUNT_PARTS: Final[tuple[str, ...]] = ("pemkab", "kabgo")


def _non_dki_account(text: str) -> bool:
    """Whether ``text`` mentions an account of a place outside DKI (see :data:`_NON_DKI_ACCOUNT_ENDS`)."""
    for handle in _ACCOUNT.findall(text):
        h = handle.lower()
        if h.endswith(_NON_DKI_ACCOUNT_ENDS) or any(p in h for p in _NON_DKI_ACCOUNT_PARTS):
            return True
    return False


#: Police and army units named after the area they serve ("Polsek Tebet", "Polres Metro Jakarta Barat").
_UNIT_WORDS: Final[frozenset[str]] = frozenset(
    {"polsek", "polres", "polrestro", "kapolsek", "kapolres", "koramil", "danramil", "kodim", "dandim", "polda"}
)
_UNIT_FILLERS: Final[frozenset[str]] = frozenset({"metro", "kota"})
#: Words of administrative units DKI Jakarta does not have (villages, hamlets, Yogyakarta's kapanewon).
_ELSEWHERE_WORDS: Final[frozenset[str]] = frozenset({"desa", "dusun", "kapanewon", "nagari", "kampung" + "adat"})
#: Level words whose following name, when the pack does not know it, points outside DKI ("Kecamatan Kawedanan").
_UNKNOWN_AFTER: Final[frozenset[str]] = frozenset({"kec", "kecamatan", "kabupaten", "kab", "kel", "kelurahan"})
#: Words after a level word that are not names ("kelurahan setempat", "kecamatan dan kelurahan").
_NOT_A_NAME: Final[frozenset[str]] = frozenset(
    {
        "setempat", "dan", "di", "yang", "yg", "ini", "itu", "tersebut", "se", "tidak", "atau", "serta", "untuk",
        "sudah", "masih", "juga", "nya", "mana", "kami", "kita", "saya", "terdekat", "masing", "lain", "baru",
        "dki", "jakarta", "jkt", "administrasi", "adm", "kepulauan", "pulau", "sekitar", "pun", "ke", "dari",
    }
)

#: Words before a name that make it a destination or a way through, not the place of the message ("ke Blok M",
#: "arah Cempaka Putih", "lewat Gambir").
_TO_WORDS: Final[frozenset[str]] = frozenset(
    {
        "ke", "kearah", "arah", "menuju", "tujuan", "jurusan", "lewat", "lwt", "lewatin", "ngelewatin", "via",
        "melewati", "melintasi",
    }
)
#: Origin and "as far as" words: they make a journey when the other end is named ("dari Cipinang sampe Ramayana",
#: "dr otista ke salemba"); "dari halte Kota" alone stays a place.
_FROM_WORDS: Final[frozenset[str]] = frozenset({"dari", "dr", "dri"})
_UNTIL_WORDS: Final[frozenset[str]] = frozenset({"sampai", "sampe", "smp", "sampek", "hingga", "sd"})
#: Words that may stand between such a word and the name ("ke halte Harmoni", "arah Jl. Raya Bogor").
_PASSING_FILLERS: Final[frozenset[str]] = frozenset(
    {
        "halte", "stasiun", "st", "stasion", "terminal", "jl", "jln", "jalan", "raya", "gg", "gang", "tj", "busway",
        "transjakarta", "krl", "mrt", "lrt", "bus", "stop", "sb", "daerah", "kawasan", "area", "sekitar",
        "sekitaran", "depan", "kel", "kelurahan", "kec", "kecamatan", "kota", "pintu", "gerbang", "tol",
    }
)
#: Words before an area's name that make it the name of a street or a facility ("Jalan Kebon Pala", "Pintu Air
#: Manggarai", "Stasiun Tebet"), which may lie outside the area.
_FACILITY_WORDS: Final[frozenset[str]] = frozenset(
    {
        "jl", "jln", "jalan", "gg", "gang", "air", "stasiun", "st", "halte", "terminal", "pasar", "jembatan",
        "kali", "sungai", "tol", "underpass", "flyover", "layang", "mall", "itc", "rs", "rsud", "puskesmas", "sdn",
        "smpn", "sman", "smp", "sma", "masjid", "gor", "taman", "situ", "waduk", "kanal", "komplek", "kompleks",
        "perumahan", "apartemen", "lapangan", "universitas", "kampus", "plaza", "polsek", "gardu", "rusun",
        "rusunawa", "rsu", "rsia", "lapas", "rutan", "stadion",
    }
)
#: Words before a name that make it a water gauge or a floodgate ("Pintu Air Manggarai", "PA Karet", "Pos Angke
#: Hulu", "TMA Manggarai", "tinggi air Manggarai"): a measuring point on a river, which often forms the boundary of
#: kelurahan (and may lie outside DKI: Pos Angke Hulu is in Tangerang). "pos" counts only in a message that gives a
#: water alert ("Siaga 1"; cleaned-up text keeps only "siaga").
_GAUGE_WORDS: Final[frozenset[str]] = frozenset({"pa", "tma", "bendung", "bendungan"})
_GAUGE_PAIRS: Final[frozenset[tuple[str, str]]] = frozenset(
    {("pintu", "air"), ("tinggi", "air"), ("muka", "air"), ("siaga", "air")}
)
#: A water alert level ("Siaga 1", "siaga III"; cleaned-up text keeps only "siaga").
_ALERT = re.compile(r"\bsiaga\b", re.IGNORECASE)
#: "antara X dan Y": the place lies between two named places, neither of which is it (like a segment "X - Y").
_BETWEEN_WORDS: Final[frozenset[str]] = frozenset({"antara", "diantara"})
#: A word after a name that makes it a numbered street or gang ("Kebon Pala II", "Laksana 3").
_NUMBERED = re.compile(r"\d{1,2}|i{1,3}|iv|v|vi{1,3}|ix|x")
#: A place within this distance of an area (a street through it, a halte on its boundary) agrees with it.
NEAR_METRES: Final = 1_000.0
#: A station whose point lies this near another kelurahan is read as the area both share (:meth:`Matcher.read`).
STATION_BORDER_M: Final = 100.0
#: How near (in characters) "Jakarta" must stand to a name to vouch for it when a city outside DKI is named too.
_DKI_NEAR_CHARS: Final = 40
#: Words that anchor a name to where something is, ending the search for a movement word before it ("ke lokasi
#: banjir di Kebon Jeruk").
_HERE_WORDS: Final[frozenset[str]] = frozenset({"di", "dekat", "pada", "dan", "yang", "yg", "tinggal", "warga"})
_SENTENCE_END = re.compile(r"[.!?;:|\n]")
#: Verbs of going somewhere to act or get off: after them "ke X" is where it happens ("turun ke lokasi", "terjun ke
#: Kampung Pulo", "klo turun ke st cikini").
_VISIT_WORDS: Final[frozenset[str]] = frozenset(
    {
        "turun", "terjun", "meninjau", "tinjau", "ditinjau", "datang", "mendatangi", "berkunjung", "hadir",
        "dikerahkan", "diterjunkan", "meluncur", "sampai", "tiba", "evakuasi", "blusukan",
    }
)
_ADVERBS: Final[frozenset[str]] = frozenset({"langsung", "lgsg", "lsg", "lagi", "juga", "segera", "pun"})
#: Reference words: the place is next to the name that follows, which therefore supports but never contradicts
#: the reading ("Pintu air dekat Manggarai di Kelurahan Tebet Timur").
_NEAR_WORDS: Final[frozenset[str]] = frozenset(
    {"dekat", "deket", "dkt", "samping", "sebelah", "seberang", "belakang", "sekitar", "sekitaran"}
)
#: How far (in words) the other end of a journey may be from its origin.
_JOURNEY_WORDS: Final = 12
#: "Pinang Ranti - Pluit", "manggarai-ui", "Cirebon - Gambir (PP)", "rumah -> kantor": the ends of a route or a
#: road segment (a name that itself holds the dash, "Ancol - Priok", is one place).
_DASH_AFTER = re.compile(r"\s*(?:jakarta\s*)?(?:-|–|—|->|→|&gt;)\s*[^\W_]", re.IGNORECASE)
#: A news dateline ("JAKARTA -", "JAKARTA, KOMPAS.com --") at the start of a text: its dash ends no route.
_DATELINE = re.compile(r"\s*[A-Z][A-Z.,\s]{1,40}?\s*(?:-|–|—)+\s*")
_DASH_BEFORE = re.compile(
    r"[^\W_][)\s]*(?:-|–|—|->|→|&gt;)\s*(?:(?:jl|jln|jalan|halte|st|stasiun|gg)\b\.?\s*)?$", re.IGNORECASE
)
#: Transit advice: how to travel, not where something happened ("Silakan naik rute 9C ... turun di halte X").
_ROUTE_ADVICE = re.compile(
    r"\b(?:turun|transit)\s+(?:di\s+)?(?:halte|stasiun|st|bus\s*stop|sb)\b"
    r"|\bnaik\s+(?:rute|koridor)\b|\bsila(?:h)?kan\s+naik\b"
    r"|(?<!tidak )(?<!tdk )(?<!belum )\bmelayani\s+(?:halte|bus\s*stop|sb)\b",  # ("tidak melayani": a disruption)
    re.IGNORECASE,
)
#: A timetable question about a journey ("kereta ... dari stasiun X terakhir jam berapa", "kereta dari A ke B di
#: stasiun C tersedia pukul berapa"): the stations are the ends and stops of a trip, like transit advice.
_TIMETABLE_QUESTION = re.compile(r"\b(?:jam|pukul|pkl)\s+(?:berapa|brp)\b|\bjadwal\b", re.IGNORECASE)
_JOURNEY = re.compile(r"\b(?:kereta|krl|commuter|perjalanan|keberangkatan|berangkat)\b", re.IGNORECASE)


_DKI_ACCOUNT = re.compile(r"@\w*(?:jakarta|dki|jkt)", re.IGNORECASE)
_STREET_PREFIX = re.compile(r"^(?:jalan|jl|jln|gg|gang)\b\.?\s*(?:raya\b\s*)?", re.IGNORECASE)


def _street_key(name: str) -> str:
    return name_key(_STREET_PREFIX.sub("", name))


def _street_ends_before(tokens: Sequence[Token], i: int) -> bool:
    """Whether the "raya" before the city at ``i`` ends a street's name rather than starting one: "Jalan Gabus Raya
    Bekasi" is a street in Bekasi, "Jalan Raya Bekasi" (and "Raya Bogor") a road named after the city."""
    return i >= 3 and tokens[i - 1].norm == "raya" and tokens[i - 3].norm in _STREET_NAME_WORDS


def _address_order(area: Area | Place, used: Sequence[Mention]) -> bool:
    """Whether the names a reading rests on come in an address's order, each no finer than the one before it."""
    last = None
    for m in sorted(used, key=lambda m: m.start):
        ranks = [c.rank for c in m.candidates if c.code in area.chain]
        if not ranks:
            continue
        rank = max(ranks)
        if last is not None and rank > last:
            return False
        last = rank
    return True


def _in_tag(text: str, start: int) -> bool:
    """Whether the word starting at ``start`` is (part of) a hashtag or an account name."""
    j = start - 1
    while j >= 0 and (text[j].isalnum() or text[j] == "_"):
        j -= 1
    return j >= 0 and text[j] in "#@"


def _mark_passing(text: str, tokens: Sequence[Token], found: Sequence[Mention]) -> list[Mention]:
    """``found`` with the mentions named in passing (destinations, journeys, route ends), in hashtags, and lent to a
    street or a facility marked."""
    starts = [t.start for t in tokens]
    out: list[Mention] = []
    alert = _ALERT.search(text) is not None
    between_end = -1  # where the first end of "antara X dan Y" ended, while its second end is awaited
    dateline = _DATELINE.match(text) if text[:1].isupper() else None
    for m in found:
        i = bisect_left(starts, m.start)
        j = max(i, bisect_left(starts, m.end) - 1)
        cue, k = _cue_before(text, tokens, i)
        between = _word_before(tokens, i) in _BETWEEN_WORDS
        if not between and between_end >= 0 and _word_before(tokens, i) in _AND_WORDS:
            between = m.start - between_end <= 60  # "antara Stasiun Taman Kota dan Stasiun Bojong Indah"
        between_end = m.end if between and between_end < 0 else -1
        window_after = tokens[j + 1 : j + 1 + _JOURNEY_WORDS]
        if cue in _TO_WORDS:
            # "ke Blok M", "arah Cempaka Putih", "lewat Gambir", "ke Plaza Senayan" -- but not where someone goes to
            # act or alights: "Polres turun ke Tebet Timur", "meninjau ke Kampung Pulo", "turun ke st Cikini"
            passing = not (cue == "ke" and _visit_before(tokens, k))
        elif cue in _FROM_WORDS:
            # a journey: "dari Cipinang sampe Ramayana", "arah Kalideres dri GBK"
            window_before = tokens[max(0, k - _JOURNEY_WORDS // 2) : k]
            passing = (
                any(t.norm in _TO_WORDS or t.norm in _UNTIL_WORDS for t in window_after)
                or any(t.norm in _TO_WORDS for t in window_before)
                or _DASH_AFTER.match(text, m.end) is not None
            )
        elif cue in _UNTIL_WORDS:
            passing = any(t.norm in _FROM_WORDS for t in tokens[max(0, k - _JOURNEY_WORDS) : k])
        else:
            passing = False
        passing = passing or between
        if not passing:
            # "Pinang Ranti - Pluit", "manggarai-ui": the ends of a route or a segment
            passing = bool(
                _DASH_AFTER.match(text, m.end)
                or (
                    _DASH_BEFORE.search(text, max(0, m.start - 16), m.start)
                    # (not a news dateline: "JAKARTA - Jl. X terendam")
                    and not (dateline and m.start - 16 <= dateline.end() <= m.start)
                )
            )
        if not passing and out and out[-1].passing and _adjacent(text, out[-1].end, m.start, address=True):
            passing = True  # the rest of a destination's address: "ke daerah Duri Utara, Tambora", "ke halte X di Y"
        tag = _in_tag(text, m.start)
        borrowed = not any(isinstance(c, Place) for c in m.candidates) and (
            _facility_before(tokens, i)
            or (j + 1 < len(tokens) and _NUMBERED.fullmatch(tokens[j + 1].norm) is not None)
            or _near_before(tokens, i)
        )
        gauge = _gauge_before(tokens, i, alert) or (
            # the gauge's own address: "Pintu Air Manggarai, Menteng" is still the floodgate
            bool(out) and out[-1].gauge and _adjacent(text, out[-1].end, m.start)
        )
        borrowed = borrowed or gauge
        if passing or tag or borrowed:
            m = replace(m, passing=passing, tag=tag, borrowed=borrowed, gauge=gauge)
        out.append(m)
    return out


def _facility_before(tokens: Sequence[Token], i: int) -> bool:
    """Whether the word before ``i`` makes the name there a street's or a facility's ("Jalan Kebon Pala"); not the
    "jalan" of "lampu jalan" (streetlights: "lampu jalan senayan senen kwitang udh mati" names three places)."""
    if i == 0 or tokens[i - 1].norm not in _FACILITY_WORDS:
        return False
    return not (tokens[i - 1].norm in _STREET_NAME_WORDS and i >= 2 and tokens[i - 2].norm in _LIGHT_WORDS)


def _word_before(tokens: Sequence[Token], i: int) -> str:
    """The word before token ``i``, skipping the kind words of a place ("antara Stasiun X", "dan Halte Y")."""
    k = i - 1
    while k >= 0 and tokens[k].norm in _PASSING_FILLERS:
        k -= 1
    return tokens[k].norm if k >= 0 else ""


def _gauge_before(tokens: Sequence[Token], i: int, alert: bool) -> bool:
    """Whether the name at token ``i`` is that of a water gauge or floodgate (see :data:`_GAUGE_WORDS`)."""
    if i == 0:
        return False
    word = tokens[i - 1].norm
    if word in _GAUGE_WORDS or (word == "pos" and alert):
        return True
    return i >= 2 and (tokens[i - 2].norm, word) in _GAUGE_PAIRS


def _cue_before(text: str, tokens: Sequence[Token], i: int) -> tuple[str, int]:
    """The movement word before token ``i`` (skipping fillers such as "halte" and up to two other words, not across
    "di" or a sentence end), with its index; ("", -1) when there is none."""
    k = i - 1
    others = 0
    while k >= 0 and i - k <= 4:
        word = tokens[k].norm
        if word not in _PASSING_FILLERS and _SENTENCE_END.search(text, tokens[k].end, tokens[k + 1].start):
            break  # (a dot after "St." or "Jl." ends no sentence)
        if word in _TO_WORDS or word in _FROM_WORDS or word in _UNTIL_WORDS:
            return word, k
        if word in _PASSING_FILLERS:
            k -= 1
            continue
        if word in _HERE_WORDS or others == 2:
            break
        others += 1
        k -= 1
    return "", -1


def _visit_before(tokens: Sequence[Token], k: int) -> bool:
    """Whether the "ke" at ``k`` follows a verb of going somewhere to act ("turun (langsung) ke", "terjun ke")."""
    j = k - 1
    if j >= 0 and tokens[j].norm in _ADVERBS:
        j -= 1
    return j >= 0 and tokens[j].norm in _VISIT_WORDS


def _near_before(tokens: Sequence[Token], i: int) -> bool:
    """Whether a reference word stands before token ``i`` ("dekat Manggarai", "samping halte X")."""
    k = i - 1
    while k >= 0 and i - k <= 3 and tokens[k].norm in _PASSING_FILLERS:
        k -= 1
    return k >= 0 and tokens[k].norm in _NEAR_WORDS


#: Words written onto the name that follows ("dikwitang", "kelpengadegan") -> the level each announces, if any.
_GLUED_WORDS: Final[Mapping[str, Level | None]] = {"di": None, "kel": "kelurahan", "kec": "kecamatan"}
_GLUED_STARTS: Final[frozenset[str]] = frozenset(w[:2] for w in _GLUED_WORDS)


def _glued(norm: str) -> tuple[int, Level | None] | None:
    """The length and level of a word written onto the start of ``norm`` (see :data:`_GLUED_WORDS`), if any."""
    for word, level in _GLUED_WORDS.items():
        if norm.startswith(word):
            return len(word), level
    return None


def _adjacent(text: str, end: int, start: int, address: bool = False) -> bool:
    """Whether only spaces and commas stand between two names ("Duri Utara, Tambora"); with ``address`` also "di"
    ("halte Pramuka di Cakung": the second name says where the first one is)."""
    if 0 <= start - end <= 3 and not text[end:start].strip(" ,"):
        return True
    return address and 0 <= start - end <= 6 and text[end:start].strip(" ,").lower() == "di"


@dataclass(frozen=True)
class Mention:
    """A name found in the text."""

    start: int
    end: int
    text: str
    #: The level a preceding level word asked for, if any.
    level_hint: Level | None
    primary: tuple[Area | Place, ...]
    secondary: tuple[Area | Place, ...]
    #: Named in passing (a destination, an origin of a journey, a route's end, ...): not the message's place.
    passing: bool = False
    #: Written as part of a hashtag ("#SobatJaktim"): may support a reading, never contradicts one.
    tag: bool = False
    #: An area's name lent to a street or a facility ("Jalan Kebon Pala II", "Pintu Air Manggarai", "Pasar
    #: Minggu"): it supports the area it names but does not contradict a nearby one.
    borrowed: bool = False
    #: A place hit's trigger word ("halte" in "Halte Harmoni", "jl" in "Jl. Kemang Raya"), "" without one.
    trigger: str = ""
    #: The name of a water gauge or floodgate ("Pintu Air Manggarai", "PA Karet"): it gives at most a kota.
    gauge: bool = False

    @property
    def candidates(self) -> tuple[Area | Place, ...]:
        return self.primary + self.secondary


@dataclass(frozen=True)
class _Scan:
    mentions: tuple[Mention, ...]
    non_dki: bool
    #: character offsets of the words "Jakarta" / "DKI" / "Jkt" outside hashtags and account names
    dki_words: tuple[int, ...] = ()
    #: the message gives transit advice ("naik rute 9C ... turun di halte X"): no place of it is the message's
    route_advice: bool = False
    #: the message is addressed to a Jakarta account ("@DKIJakarta", "@BinaMargaDKI", "@PT_Transjakarta")
    dki_account: bool = False

    @property
    def dki_word(self) -> bool:
        return bool(self.dki_words)


#: Evidence classes of a text reading, weakest first; a reading's :attr:`Evidence.score` indexes this tuple.
EVIDENCE_CLASSES: Final[tuple[str, ...]] = ("weak", "bare", "named", "address", "marked")
#: Score of each basis before the adjustments (see :class:`Evidence`).
_BASIS_SCORE: Final[Mapping[str, int]] = {
    "weak": 0, "gauge": 0, "bare": 1, "street_stop": 1, "place": 2, "stop": 3, "address": 3, "marked": 4,
}
#: Trigger words announcing a halte or a station (not a street word before a halte's name: "jalan RA Kartini").
#: (the triggers of :data:`geocoder.places.TRIGGERS` that announce more than a street; a test keeps them in step)
_STOP_TRIGGERS: Final[frozenset[str]] = frozenset(
    {"halte", "busway", "shelter", "tj", "transjakarta", "stasiun", "st", "krl", "mrt", "lrt"}
)
#: Street words before a place's name: the hit is a street (named like a halte, perhaps), which never contradicts.
_STREET_TRIGGERS: Final[frozenset[str]] = frozenset({"jl", "jln", "jlnt", "jalan", "gg", "gang"})
#: First words of an area's alias that make it a landmark ("Gedung DPR", "Stasiun Jakarta Kota", "GOR Otista").
_PLACE_WORDS: Final[frozenset[str]] = frozenset(
    {"gedung", "stasiun", "st", "gor", "terminal", "kompleks", "komplek", "depan", "gerbang", "dpr"}
)
#: Words right before a bare area name that say it is a place ("daerah Johar Baru", "kawasan Kebon Jeruk").
_AREA_BEFORE: Final = re.compile(r"\b(?:daerah|kawasan|area|lingkungan)\s+$", re.IGNORECASE)
#: Default of the setting ``geocoder.min_evidence`` (chosen on the dev labels): readings below the kota scoring less
#: are coarsened to their kota. A Matcher or Locator built directly keeps every reading unless told otherwise.
DEFAULT_MIN_EVIDENCE: Final[int] = GeocoderSettings.model_fields["min_evidence"].default
#: This many other names of places below the kota, not supporting the reading, make a text crowded.
_CROWDED: Final = 2


@dataclass(frozen=True)
class Evidence:
    """How strongly a text reading is supported; ``score`` 0-4 indexes :data:`EVIDENCE_CLASSES`.

    ``basis`` is what the reading below the kota rests on, strongest first:

    - ``marked`` (4): its name is announced by a level word ("Kel. Tebet Timur", "Kecamatan Ciracas") or an RW of
      its kelurahan is named;
    - ``address`` (3): two different names agree (a street or halte and its kelurahan, a kelurahan and its
      kecamatan: "Jl. Bungur Besar, Kemayoran");
    - ``stop`` (3): a halte or station announced by its trigger word ("Halte Harmoni", "Stasiun Tebet");
    - ``place`` (2): a street with its street word, or a long landmark or street name, alone (a street is a line:
      its point is one spot of it); also an area's alias that is a landmark named with its kind word ("Gedung DPR",
      "Stasiun Jakarta Kota", "GOR Otista"), and an area's name after a word saying it is an area ("daerah Johar
      Baru", "kawasan Kebon Jeruk");
    - ``bare`` (1): an area's name alone, without any word saying it is a place ("banjir di Cipinang");
    - ``street_stop`` (1): a street named with its street word that the pack knows only as a halte or station of
      that name ("Jl. Cakung Cilincing Raya": the halte is one spot of a road that may cross several kecamatan; on
      the 1,640 real traffic-report place names of ``bench/geocoder_place_names.py``, scoring these 2 gave 94
      answers below the kota with 9 in a wrong kecamatan, 8 of them such readings; at 1: 47 answers, 1 wrong). A
      pack with OpenStreetMap streets reads the street itself instead;
    - ``weak`` (0): only a reading that needs corroboration (a name that is also a common word or a place outside
      Jakarta, a halte's name without its trigger);
    - ``gauge`` (0): only the name of a water gauge or floodgate ("Pintu Air Manggarai", "PA Karet", "tinggi air
      Manggarai"): it stands on a river that often bounds kelurahan, and a water level there is news of the river,
      not of one kelurahan, so it gives at most the kota (with "Jakarta" or the kota named).

    Adjustments (``flags``): ``with_kota`` +1 when its kota is named or "Jakarta" / "DKI" stands next to the name;
    -1 each for ``tag`` (the names are only in hashtags or account names), ``elsewhere`` (the text names a city
    outside DKI), ``contested`` (other names contradict the reading) and ``crowded`` (the text names two or more
    other places below the kota that do not support it: a list, a report of several places).
    """

    score: int
    basis: str
    flags: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return EVIDENCE_CLASSES[self.score]


@dataclass(frozen=True)
class Reading:
    """What :meth:`Matcher.read` makes of a text: the location, its evidence (None when no name was read), and
    whether a finer reading was coarsened for want of evidence."""

    location: Location
    evidence: Evidence | None
    coarsened: bool = False


def _below_kota(c: Area | Place) -> bool:
    return isinstance(c, Place) or c.level != "kota"


def _on_chain(c: Area | Place, area: Area | Place) -> bool:
    """Whether ``c`` is ``area``, lies in it, or contains it."""
    return c.code in area.chain or area.code in c.chain


def _is_stop(c: Area | Place) -> bool:
    return isinstance(c, Place) and c.kind in {"halte", "station"}


def _kota_doubtful(evidence: Evidence) -> bool:
    """Whether even the kota of a doubtful reading is unsure: a weak name, or a bare one in a hashtag or next to a
    city outside DKI, with neither its kota nor "Jakarta" named. The name of a water gauge or floodgate is a Jakarta
    name and keeps its kota unless it is only in a hashtag or a city outside DKI is named ("Pintu Air Manggarai"
    alone is Jakarta Selatan)."""
    if "with_kota" in evidence.flags:
        return False
    if evidence.basis == "gauge":
        return "tag" in evidence.flags or "elsewhere" in evidence.flags
    return evidence.score == 0


def location_for(gazetteer: Gazetteer, area: Area | Place, **extra: object) -> Location:
    """A Location naming ``area`` and the areas it lies in, at its centroid unless ``extra`` says otherwise.

    A :class:`~geocoder.gazetteer.Place` gives precision "street" or "place", its own point and the codes of the
    kelurahan, kecamatan and kota it lies in.
    """
    if isinstance(area, Place):
        fields_p: dict[str, object] = {"precision": area.level, "lat": area.lat, "lon": area.lon}
        for level in ("kota", "kecamatan", "kelurahan"):
            parent = gazetteer.get(getattr(area, f"{level}_code"))
            if parent is not None:
                fields_p[f"{level}_code"] = parent.code
                fields_p[f"{level}_name"] = parent.name
        fields_p.update(extra)
        return Location.model_validate(fields_p)
    kota = gazetteer.kota_of(area)
    kecamatan = gazetteer.kecamatan_of(area) if area.level != "kota" else None
    fields: dict[str, object] = {
        "precision": area.level,
        "lat": area.centroid[0],
        "lon": area.centroid[1],
        "kota_code": kota.code if kota else area.kota_code,
        "kota_name": kota.name if kota else None,
    }
    if kecamatan is not None:
        fields["kecamatan_code"] = kecamatan.code
        fields["kecamatan_name"] = kecamatan.name
    if area.level == "kelurahan":
        fields["kelurahan_code"] = area.code
        fields["kelurahan_name"] = area.name
    fields.update(extra)
    return Location.model_validate(fields)


class Matcher:
    """Reads admin-area names in text against one gazetteer. Pure and thread-safe after construction."""

    def __init__(
        self, gazetteer: Gazetteer, max_chars: int = MAX_LOCATE_CHARS, *, min_evidence: int = 0
    ) -> None:
        self.gazetteer = gazetteer
        self.max_chars = max_chars
        #: Readings below the kota whose evidence scores less are coarsened to their kota (0 keeps them all).
        self.min_evidence = min_evidence
        self._names = gazetteer.names
        longest = max((len(k) for k in self._names), default=1)
        # A name of n characters spans at most n words; cap it so scanning stays linear.
        self.max_words = min(6, longest)
        #: every prefix of every name key: scanning stops as soon as the words read start no name
        self._prefixes = frozenset(k[:j] for k in self._names for j in range(1, len(k) + 1))
        self._by_level: dict[str, dict[str, tuple[Area, ...]]] = {}
        self._name_starts: frozenset[str] | None = None
        self._deletion_index: dict[str, dict[str, tuple[str, ...]]] = {}
        self.places: PlaceFinder | None = None
        #: (kelurahan code, RW number) -> the RW's point
        self._rw: dict[tuple[str, int], Place] = {}
        #: station id -> the area a station near a kelurahan boundary gives (:meth:`_station_area`), filled lazily
        self._station_areas: dict[str, Area | Place] = {}
        for place in gazetteer.places:
            number = _RW_NAME.match(place.name)
            if place.kind == "rw" and place.kelurahan_code and number:
                self._rw.setdefault((place.kelurahan_code, int(number.group(1))), place)
        if gazetteer.places:
            from geocoder.places import PlaceFinder

            self.places = PlaceFinder(gazetteer)

    # -- reading names -------------------------------------------------------------------------------------------
    def mentions(self, text: str) -> list[Mention]:
        """Every admin-area name in ``text`` (only its first ``max_chars`` characters are read)."""
        return list(self._scan(text).mentions)

    def _scan(self, text: str) -> _Scan:
        text = text[: self.max_chars]
        tokens = tokenize(text)
        found: list[Mention] = []
        non_dki = False
        dki_words: list[int] = []
        hint: Level | None = None
        last_hint: Level | None = None  # the level word of the previous name, for "Kelurahan A dan B"
        prefixes = self._prefixes
        i = 0
        while i < len(tokens):
            # (a word that starts no name and no city needs no look further: most words of a message)
            norm = tokens[i].norm
            hit = self._longest_name(tokens, i) if norm in prefixes else None
            if hit is None and len(norm) >= 7 and norm[:2] in _GLUED_STARTS:
                glue = _glued(norm)
                if glue is not None and norm[glue[0] :] in prefixes:
                    # "di" or a level word written onto the name, as informal or cleaned-up text has it:
                    # "dikwitang", "ditanah abang", "kelpengadegan", "kecpancoran"
                    cut, level = glue
                    glued = [*tokens[:i], Token(norm[cut:], tokens[i].start + cut, tokens[i].end), *tokens[i + 1 :]]
                    hit = self._longest_name(glued, i)
                    if hit is not None:
                        tokens, norm = glued, norm[cut:]
                        hint = level or hint
            n_city = self._city_at(tokens, i) if norm in _NON_DKI_PREFIXES else 0
            if hit is None and hint is not None:
                hit = self._fuzzy_name(tokens, i, hint)
            if hit is not None and n_city > hit[0]:
                hit = None  # "Pancoran Mas" is a kecamatan of Depok, not Pancoran
            if hit is not None:
                n, areas = hit
                start, end = tokens[i].start, tokens[i + n - 1].end
                if hint is None and self._after_unit(tokens, i) and not any(a.level == "kota" for a in areas):
                    # "Polsek Johar Baru", "Koramil 04/Kebayoran Lama": a police or army unit named after its area
                    # reports from elsewhere too, so its name is not read (a kota's, "Polres Jakarta Timur", is:
                    # the unit works inside its kota)
                    hint = None
                    i += n
                    continue
                found.append(self._mention(text[start:end], start, end, hint, areas))
                last_hint, hint = hint, None
                i += n
                continue
            word = tokens[i].norm
            if word in _ELSEWHERE_WORDS or (
                word in _UNKNOWN_AFTER and self._unknown_area_after(tokens, i)
            ):
                non_dki = True  # "Desa Mernek", "Kecamatan Kawedanan": DKI has kelurahan, and knows its names
            if word in LEVEL_WORDS:
                hint = LEVEL_WORDS[word]
            elif word in _AND_WORDS and last_hint is not None and found and found[-1].end == tokens[i - 1].end:
                hint = last_hint
            elif not (hint is not None and word in _LEVEL_FILLERS):
                hint = None
            if word in _DKI_WORDS:
                if not _in_tag(text, tokens[i].start):  # "#banjirjakarta", "#jakarta" say nothing of the place
                    dki_words.append(tokens[i].start)
            elif (
                len(word) > 7
                and _CITY_IN_WORD_RE.search(word) is not None  # (a quick test: most words hold no city at all)
                and any(city in word and city != word for city in _CITY_IN_WORD)
            ):
                non_dki = True  # "@txtdrbekasi", "#banjirbekasi": the account or tag says where
            if n_city:
                if i == 0 or tokens[i - 1].norm not in _STREET_WORDS or _street_ends_before(tokens, i):
                    non_dki = True
                i += n_city
                continue
            i += 1
        if self.places is not None and self._may_name_place(tokens):
            found = self._with_places(text, found)
        if found and not non_dki and "@" in text and _non_dki_account(text):
            non_dki = True
        if found:
            found = _mark_passing(text, tokens, found)
        advice = bool(found) and (
            _ROUTE_ADVICE.search(text) is not None
            or (_TIMETABLE_QUESTION.search(text) is not None and _JOURNEY.search(text) is not None)
        )
        account = bool(found) and _DKI_ACCOUNT.search(text) is not None
        return _Scan(tuple(found), non_dki, tuple(dki_words), advice, account)

    def _unknown_area_after(self, tokens: Sequence[Token], i: int) -> bool:
        """Whether the level word at ``i`` is followed by a word that starts no area name of the pack."""
        j = i + 1
        while j < len(tokens) and tokens[j].norm in _LEVEL_FILLERS:
            j += 1
        if j >= len(tokens):
            return False
        word = tokens[j].norm
        if word in _NOT_A_NAME or word.isdigit() or word in LEVEL_WORDS or self._starts_name(word):
            return False
        return not any(self._fuzzy_name(tokens, j, level) for level in ("kecamatan", "kelurahan"))

    def _starts_name(self, word: str) -> bool:
        if self._name_starts is None:
            starts: set[str] = set()
            for area in self.gazetteer:
                for text in (area.name, *area.aliases):
                    words = tokenize(text)
                    if words:
                        starts.add(words[0].norm)
                        # names written together ("tanahabang") start with their whole key
                        starts.add(name_key(text))
            self._name_starts = frozenset(starts)
        return word in self._name_starts

    @staticmethod
    def _after_unit(tokens: Sequence[Token], i: int) -> bool:
        j = i - 1
        while j >= 0 and (tokens[j].norm in _UNIT_FILLERS or tokens[j].norm.isdigit()):
            j -= 1
        return j >= 0 and tokens[j].norm in _UNIT_WORDS

    def _may_name_place(self, tokens: Sequence[Token]) -> bool:
        """Whether some run of up to six words has the key of a place (then spaCy reads the text)."""
        assert self.places is not None
        keys, first = self.places.keys, self.places.first_words
        for i, token in enumerate(tokens):
            if token.norm not in first:
                continue
            key = ""
            for n in range(min(6, len(tokens) - i)):
                key += tokens[i + n].norm
                if key in keys:
                    return True
        return False

    def _with_places(self, text: str, found: list[Mention]) -> list[Mention]:
        """Add the place hits: a strong hit replaces the admin names inside it, a weak one only corroborates."""
        assert self.places is not None
        for hit in self.places.find(text):
            overlapping = [m for m in found if m.start < hit.end and hit.start < m.end]
            covered = all(hit.start <= m.start and m.end <= hit.end for m in overlapping)
            # the longest name wins, as among admin names: "Senayan Bank DKI" is the halte, not the kelurahan
            # Senayan ("Kec. Tebet", a name announced by its level word, stays the kecamatan; "jembatan baru" is a
            # new bridge, not the halte Jembatan Baru: a name that is also a common word does not make it longer)
            longer = (
                bool(overlapping)
                and covered
                and all(m.primary and m.level_hint is None for m in overlapping)
                and len(text[hit.start : hit.end].split()) > sum(len(m.text.split()) for m in overlapping)
            )
            if hit.strong or longer:
                if not covered:
                    continue  # "Jalan Kuningan Barat Raya": the admin name is longer than the place "Kuningan"
                found = [m for m in found if m not in overlapping]
                found.append(
                    Mention(hit.start, hit.end, text[hit.start : hit.end], None, hit.places, (), trigger=hit.trigger)
                )
            elif not overlapping:
                found.append(Mention(hit.start, hit.end, text[hit.start : hit.end], None, (), hit.places))
        return sorted(found, key=lambda m: m.start)

    def _longest_name(self, tokens: Sequence[Token], i: int) -> tuple[int, tuple[Area, ...]] | None:
        key = ""
        best: tuple[int, tuple[Area, ...]] | None = None
        prefixes = self._prefixes
        for n in range(1, min(self.max_words, len(tokens) - i) + 1):
            key += tokens[i + n - 1].norm
            if key not in prefixes:  # no name starts so: stop extending
                break
            areas = self._names.get(key)
            if areas:
                best = (n, areas)
        return best

    def _fuzzy_name(self, tokens: Sequence[Token], i: int, level: Level) -> tuple[int, tuple[Area, ...]] | None:
        """After a level word only: a name of that level one edit away ("Kecamatan Pesanggarahan")."""
        key = ""
        for n in range(1, min(4, len(tokens) - i) + 1):
            key += tokens[i + n - 1].norm
            if len(key) < 6:
                continue
            names = self._level_names(level)
            areas = names.get(key)
            if areas is None:
                # symmetric deletes: a name one edit away shares a one-letter deletion with the key (or is one)
                index = self._deletions(level)
                for variant in (key, *_deletions_of(key)):
                    for name in index.get(variant, ()):
                        if _one_edit(name, key):
                            areas = names[name]
                            break
                    if areas:
                        break
            if areas:
                return n, areas
        return None

    def _deletions(self, level: Level) -> dict[str, tuple[str, ...]]:
        cached = self._deletion_index.get(level)
        if cached is None:
            index: dict[str, list[str]] = {}
            for name in self._level_names(level):
                for variant in (name, *_deletions_of(name)):
                    index.setdefault(variant, []).append(name)
            cached = {k: tuple(v) for k, v in index.items()}
            self._deletion_index[level] = cached
        return cached

    def _level_names(self, level: Level) -> dict[str, tuple[Area, ...]]:
        cached = self._by_level.get(level)
        if cached is None:
            cached = {}
            for key, areas in self._names.items():
                at_level = tuple(a for a in areas if a.level == level)
                if at_level and len(key) >= 6:
                    cached[key] = at_level
            self._by_level[level] = cached
        return cached

    @staticmethod
    def _city_at(tokens: Sequence[Token], i: int) -> int:
        key = ""
        for n in range(1, min(3, len(tokens) - i) + 1):
            key += tokens[i + n - 1].norm
            if key not in _NON_DKI_PREFIXES:
                return 0
            if key in NON_DKI:
                return n
        return 0

    @staticmethod
    def _mention(text: str, start: int, end: int, hint: Level | None, areas: tuple[Area, ...]) -> Mention:
        if hint is not None:
            at_level = tuple(a for a in areas if a.level == hint)
            if at_level:
                return Mention(start, end, text, hint, at_level, ())
            # a level word that does not fit the name says nothing of it ("wilayah Kebon Pala": "wilayah" announces
            # a kota, Kebon Pala is a kelurahan): the name is read as if bare
            hint = None
        if name_key(text) in WEAK_NAMES:
            return Mention(start, end, text, hint, (), areas)
        if any(a.level == "kecamatan" for a in areas):
            primary = tuple(a for a in areas if a.level != "kelurahan")
            secondary = tuple(a for a in areas if a.level == "kelurahan")
            return Mention(start, end, text, hint, primary, secondary)
        return Mention(start, end, text, hint, areas, ())

    # -- choosing a reading ----------------------------------------------------------------------------------------
    def read(self, text: str) -> Reading:
        """The place ``text`` names with the strength of its evidence (:class:`Evidence`).

        A reading below the kota whose evidence scores under :attr:`min_evidence` is coarsened to its kota
        (``coarsened`` is set; the matched text stays the finer name it was read from), or to no place when the kota
        itself rests on nothing but that doubtful name (:func:`_kota_doubtful`).
        """
        scan = self._scan(text)
        chosen = self._choose(scan)
        if chosen is None:
            return Reading(Location.model_validate({}), None)
        area, used, contested = chosen
        evidence = self._evidence(area, used, scan, contested, False, text)
        area = self._station_area(area)
        rw = self._rw_in(text, area)
        if rw is not None:
            evidence = self._evidence(area, used, scan, contested, True, text)
        if area.level != "kota" and evidence.score < self.min_evidence:
            kota = self.gazetteer.get(area.kota_code) if area.kota_code else None
            if kota is None or _kota_doubtful(evidence):
                return Reading(Location.model_validate({}), evidence, coarsened=True)
            start, end = min(m.start for m in used), max(m.end for m in used)
            found = location_for(self.gazetteer, kota, matched_text=text[start:end], span=(start, end), method="gazetteer")
            return Reading(found, evidence, coarsened=True)
        if rw is not None:
            place, start, end = rw
            found = location_for(
                self.gazetteer, place, matched_text=text[start:end], span=(start, end), method="gazetteer"
            )
            return Reading(found, evidence)
        direct = [m for m in used if area in m.primary] or [m for m in used if area in m.secondary]
        if direct:
            start, end = direct[0].start, direct[0].end
        else:
            start, end = min(m.start for m in used), max(m.end for m in used)
        found = location_for(
            self.gazetteer,
            area,
            matched_text=text[start:end],
            span=(start, end),
            method="gazetteer",
        )
        return Reading(found, evidence)

    def _evidence(
        self, area: Area | Place, used: Sequence[Mention], scan: _Scan, contested: bool, rw: bool, text: str
    ) -> Evidence:
        """How strongly the text supports reading ``area`` (see :class:`Evidence`)."""
        fine = [m for m in used if any(_below_kota(c) and _on_chain(c, area) for c in m.candidates)]
        solid = [m for m in fine if not m.tag]
        gauges_only = bool(solid) and all(m.gauge for m in solid)
        if not gauges_only:  # a gauge's name beside other names adds nothing to them
            fine = [m for m in fine if not m.gauge] or fine
        kota_named = any(
            not m.tag and any(isinstance(c, Area) and c.level == "kota" for c in m.primary) for m in used
        )
        near_dki = any(
            m.start - _DKI_NEAR_CHARS <= pos <= m.end + _DKI_NEAR_CHARS for m in fine for pos in scan.dki_words
        )
        keys = {name_key(m.text) for m in fine if not m.tag}
        if gauges_only:
            basis = "gauge"
        elif rw or any(m.level_hint in {"kelurahan", "kecamatan"} for m in fine):
            basis = "marked"
        elif len(keys) >= 2:
            basis = "address"
        elif any(m.trigger in _STOP_TRIGGERS and any(_is_stop(c) for c in m.primary) for m in fine):
            basis = "stop"
        elif fine and all(
            m.trigger in _STREET_TRIGGERS and m.primary and all(_is_stop(c) for c in m.primary) for m in fine
        ):
            basis = "street_stop"
        elif any(m.primary and all(isinstance(c, Place) for c in m.primary) for m in fine):
            basis = "place"
        elif any(
            m.text.split() and name_key(m.text.split()[0]) in _PLACE_WORDS and any(_below_kota(c) for c in m.primary)
            for m in fine
        ):
            basis = "place"  # a landmark named with its kind word: "Gedung DPR", "Stasiun Jakarta Kota", "GOR Otista"
        elif any(
            _AREA_BEFORE.search(text, max(0, m.start - 12), m.start) and any(_below_kota(c) for c in m.primary)
            for m in fine
        ):
            basis = "place"  # an area word says the name is a place: "daerah Johar Baru", "di kawasan Kebon Jeruk"
        elif any(any(_below_kota(c) and _on_chain(c, area) for c in m.primary) for m in fine):
            basis = "bare"
        else:
            basis = "weak"
        score = _BASIS_SCORE[basis]
        flags: list[str] = []
        if kota_named or near_dki:
            flags.append("with_kota")
            score += 1
        if fine and all(m.tag for m in fine):
            flags.append("tag")
            score -= 1
        if scan.non_dki:
            flags.append("elsewhere")
            score -= 1
        if contested:
            flags.append("contested")
            score -= 1
        others = {
            name_key(m.text)
            for m in scan.mentions
            if m not in used and not m.tag and any(_below_kota(c) for c in m.primary)
        }
        if len(others) >= _CROWDED:
            flags.append("crowded")
            score -= 1
        return Evidence(max(0, min(score, len(EVIDENCE_CLASSES) - 1)), basis, tuple(flags))

    def _station_area(self, area: Area | Place) -> Area | Place:
        """A station, or the area it shares with the kelurahan next to it.

        Railway lines and the rivers beside them bound many kelurahan, a station spans a hundred metres or more of
        track, and its point (the feeder stop at one entrance) lies on one side: when another kelurahan lies within
        :data:`STATION_BORDER_M` of the point, the reading is the lowest area they all share (Stasiun Tebet:
        kecamatan Tebet, its platforms in Kebon Baru and Tebet Timur), or the kota of its point when they share none
        (Stasiun Sudirman, by Menteng, Kebon Melati and Setiabudi). A halte, on one side of its road, keeps its
        point.
        """
        if not isinstance(area, Place) or area.kind != "station" or not self.gazetteer.has_polygons:
            return area
        cached = self._station_areas.get(area.id)
        if cached is not None:
            return cached
        result: Area | Place = area
        own = self.gazetteer.get(area.kelurahan_code) if area.kelurahan_code else None
        if own is not None:
            common = set(own.chain)
            for other in self.gazetteer:
                if (
                    other.level == "kelurahan"
                    and other.code not in common
                    and _distance_m(other.centroid, (area.lat, area.lon)) <= 5_000  # (a kelurahan is smaller)
                ):
                    distance = self.gazetteer.distance_m(other, area.lat, area.lon)
                    if distance is not None and distance <= STATION_BORDER_M:
                        common &= other.chain
            if own.code not in common:
                # across a kota boundary (Stasiun Sudirman: Jakarta Pusat and Setiabudi), the kota of its point
                shared = [a for a in (self.gazetteer.get(c) for c in common or {own.kota_code}) if a is not None]
                if shared:
                    result = max(shared, key=lambda a: a.rank)
        self._station_areas[area.id] = result
        return result

    def _rw_in(self, text: str, area: Area | Place) -> tuple[Place, int, int] | None:
        """An RW of the chosen kelurahan that the text names ("RW 05", "RT 10/05", "Rw.5"), with its span."""
        if not self._rw or isinstance(area, Place) or area.level != "kelurahan":
            return None
        for m in _RW_MENTION.finditer(text[: self.max_chars]):
            number = m.group("rw") or m.group("rtrw")
            place = self._rw.get((area.code, int(number)))
            if place is not None:
                return place, m.start(), m.end()
        return None

    def _choose(self, scan: _Scan) -> tuple[Area, list[Mention], bool] | None:
        """The best reading, the mentions it rests on, and whether other names contradicted it."""
        if scan.route_advice:
            return None  # "Silakan naik rute 9C ... turun di halte X": every place of it is on the way
        mentions = [m for m in scan.mentions if not m.passing]
        if not mentions:
            return None
        readings: dict[str, Area] = {}
        for m in mentions:
            for a in m.candidates:
                readings.setdefault(a.code, a)
        scored: list[tuple[tuple[int, int], Area, list[Mention]]] = []
        # each mention's candidate codes, once (a street of many pieces makes many readings to weigh)
        coded = [(m, frozenset(c.code for c in m.primary), frozenset(c.code for c in m.secondary)) for m in mentions]
        for area in readings.values():
            support, primary, used = self._support(area, coded)
            if primary > 0 and not (isinstance(area, Place) and not self._place_backed(area, used)):
                scored.append(((support, primary), area, used))
        if not scored:
            return None
        best_score = max(s for s, _, _ in scored)
        top = [(a, used) for s, a, used in scored if s == best_score]
        if len(top) > 1:
            # "Halte Busway Cempaka Putih (Jalan Pulo Mas Timur)": a halte's name after a street word is a street
            # named like it, a looser reading than a halte or an area named outright
            firm = [
                (a, u) for a, u in top if not (isinstance(a, Place) and all(m.trigger in _STREET_TRIGGERS for m in u))
            ]
            top = firm or top
        if any(isinstance(a, Place) for a, _ in top) and any(
            not isinstance(a, Place) and any(m.level_hint is not None for m in used) for a, used in top
        ):
            # "Jl. Mandor Hasan Kel. Cipayung": a street's point is one spot of a long line, the named kelurahan wins
            top = [(a, used) for a, used in top if not isinstance(a, Place)]
        most_specific = max((a for a, _ in top), key=lambda a: (a.rank, a.code))
        if all(a.code in most_specific.chain for a, _ in top):
            area = most_specific
            used = next(u for a, u in top if a is most_specific)
        else:
            common = frozenset.intersection(*(a.chain for a, _ in top))
            if not common:
                return None
            parents = [self.gazetteer.get(c) for c in common]
            area = max((p for p in parents if p is not None), key=lambda a: a.rank)
            used = sorted({id(m): m for _, u in top for m in u}.values(), key=lambda m: m.start)
        # names of an address run from the smallest to the largest ("Kebon Pala, Kampung Melayu, Jatinegara"); in a
        # list they need not ("senayan senen kwitang"), and a name before them is then one more place of the list
        address_order = _address_order(area, used)
        conflicting = [
            m
            for m in mentions
            if m.primary
            and not (m.tag or m.borrowed or m in used)
            and not all(isinstance(c, Place) and c.kind == "street" for c in m.primary)
            and m.trigger not in _STREET_TRIGGERS  # "Jalan Pulo Mas Timur": a street named like a halte
            and not (address_order and any(0 <= u.start - m.end <= 2 for u in used))
            and not any(self._compatible(c, area) for c in m.primary)
        ]
        if conflicting:
            # "Halte Tebet Eco Park dan Halte Cikoko", "Pengadegan ... Kelurahan Pancoran": names that disagree give
            # only the area they share (or nothing). Not contradicting: streets (their names repeat across the city),
            # names lent to a street or a facility, hashtags, and a name written right before the reading's own
            # names, which is the smaller part of an address ("Kebon Pala, Kampung Melayu, Jatinegara")
            common = set(area.chain)
            for m in conflicting:
                common &= frozenset.intersection(*(c.chain for c in m.primary))
            shared = [a for a in (self.gazetteer.get(c) for c in common) if a is not None]
            if not shared:
                return None
            area = max(shared, key=lambda a: a.rank)
            used = sorted([*used, *conflicting], key=lambda m: m.start)
        if scan.non_dki and not self._backed(area, used, scan):
            return None
        street_named = bool(used) and all(
            m.trigger in _STREET_TRIGGERS and m.primary and all(isinstance(c, Place) for c in m.primary) for m in used
        )  # (several halte of the street's name give the area they share: still only the street was named)
        if (
            (
                isinstance(area, Place)
                # a street, or a halte named like the street the text names ("jalan RA Kartini": the halte RA Kartini)
                and (area.kind == "street" or all(m.trigger in _STREET_TRIGGERS for m in used if area in m.primary))
                or street_named
            )
            and len({name_key(m.text) for m in used}) < 2
            and not (scan.dki_word or scan.dki_account)
            and any(_street_key(m.text) in GENERIC_STREETS for m in used)
        ):
            return None  # "Jalan Pemuda" alone may be in any town
        return area, used, bool(conflicting)

    def _compatible(self, named: Area | Place, area: Area | Place) -> bool:
        """Whether a name's area and a reading can both be true: one lies in the other, or a place (a street, a halte
        on a boundary) lies within :data:`NEAR_METRES` of the other."""
        if named.code in area.chain or area.code in named.chain:
            return True
        if isinstance(named, Place) and isinstance(area, Place):
            return _distance_m((named.lat, named.lon), (area.lat, area.lon)) <= NEAR_METRES
        if isinstance(named, Place) or isinstance(area, Place):
            place, other = (named, area) if isinstance(named, Place) else (area, named)
            assert isinstance(place, Place) and isinstance(other, Area)
            distance = self.gazetteer.distance_m(other, place.lat, place.lon)
            return distance is not None and distance <= NEAR_METRES
        return False

    @staticmethod
    def _place_backed(place: Place, used: Sequence[Mention]) -> bool:
        """A place named only weakly ("warga", a halte's name that is a common word) needs its kelurahan or kecamatan
        named too: a kota alone does not make "warga" the halte Warga."""
        if any(place in m.primary for m in used):
            return True
        near = {place.kelurahan_code, place.kecamatan_code} - {None}
        return any(a.code in near for m in used for a in m.primary)

    @staticmethod
    def _support(
        area: Area, mentions: Sequence[tuple[Mention, frozenset[str], frozenset[str]]]
    ) -> tuple[int, int, list[Mention]]:
        """(support, primary support, supporting mentions) of reading ``area``; ``mentions`` come with the codes of
        their primary and secondary candidates (codes are unique in a pack).

        A mention that names ``area`` itself counts as primary or secondary as it names it; a mention that names an
        area ``area`` lies in counts as primary when that name is primary (it corroborates).
        """
        support = primary = 0
        used: list[Mention] = []
        code = area.code
        chain = area.chain
        for m, primary_codes, secondary_codes in mentions:
            if code in primary_codes:
                # a name announced by its level word counts double: "Pintu Air Manggarai di Kelurahan Setiabudi"
                weight = 2 if m.level_hint is not None else 1
                support += weight
                primary += weight
            elif code in secondary_codes:
                support += 1
            elif not chain.isdisjoint(primary_codes):
                support += 1
                primary += 1
            elif not chain.isdisjoint(secondary_codes):
                support += 1
            else:
                continue
            used.append(m)
        return support, primary, used

    @staticmethod
    def _backed(area: Area, used: Sequence[Mention], scan: _Scan) -> bool:
        """Whether a reading survives a mention of a city outside Jakarta.

        A kota alone does not ("Polres Jakarta Pusat ... banjir di Bekasi", "bekasi dan jaktim banjir"); a finer
        reading needs two different names, a kota name, or "Jakarta" / "DKI" written next to its name (not in a
        hashtag, not elsewhere in the text: "tinggal di Cikini ... perusahaan di Jakarta ... banjir Bekasi").
        """
        if area.level == "kota":
            return False
        if len({name_key(m.text) for m in used}) >= 2:
            return True
        if any(m.start - _DKI_NEAR_CHARS <= pos <= m.end + _DKI_NEAR_CHARS for m in used for pos in scan.dki_words):
            return True
        # a level word alone does not: "Kecamatan Gambir, Tasikmalaya" is not Gambir in Jakarta
        return any(any(a.level == "kota" for a in m.primary) for m in used)


def _distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    dlat = (a[0] - b[0]) * 111_320.0
    dlon = (a[1] - b[1]) * 111_320.0 * math.cos(math.radians((a[0] + b[0]) / 2))
    return math.hypot(dlat, dlon)


def _deletions_of(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by at most one insertion, deletion or substitution."""
    if a == b:
        return True
    if len(a) > len(b):
        a, b = b, a
    if len(b) - len(a) > 1:
        return False
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]
