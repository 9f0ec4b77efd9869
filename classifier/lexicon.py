"""The keyword baseline's hand-written vocabulary: slang, keyword rules and cue words.

Everything here was written for jemput from ``docs/categories.md`` and everyday Jakarta usage; nothing is copied
from a published lexicon. It is data only (no logic) so that :mod:`classifier.normalise` and
:mod:`classifier.keywords` can both read it without importing each other.

Rule patterns are matched against *normalised* tokens (see :mod:`classifier.normalise`), so they are written in
the normal form: ``tidak`` not ``gak``, ``sudah`` not ``udah``, ``jalan`` not ``jl``, ``transjakarta`` not ``tj``.

Pattern syntax, one rule per string:

- words separated by spaces must follow each other directly: ``"lampu jalan"``;
- ``~N`` between two words lets the second come up to ``N`` tokens after the first: ``"jalan ~4 rusak"`` matches
  "jalan depan rumah gw rusak";
- ``a|b`` is either word; ``*`` inside a word is a wildcard (``"*genang*"`` matches genangan, tergenang);
- ``#`` is any number (``"sudah # hari"``).

Each rule carries effects, keyed by a channel:

- ``"<label>"``: evidence that the message reports that label's *problem* ("banjir", "jalan berlubang");
- ``"<label>:topic"``: the message is *about* that label's domain but does not by itself say something is wrong
  ("halte", "krl"): it counts fully only together with a complaint cue or a problem;
- ``"complaint"``: generic complaint signals ("tolong", "parah", "sudah 3 hari", "tidak diangkut");
- ``"not_complaint"``: signals of jokes, metaphors, thanks, promotions, aid news, hypotheticals, politics.

Negative weights cancel: "banjir orderan" takes back the flood evidence of "banjir" and adds not-complaint evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from config.categories import DAMAGED_ROAD, FLOOD, GARBAGE, NOT_COMPLAINT, OTHER, TRANSJAKARTA

COMPLAINT: Final = "complaint"

# -- slang and abbreviations -------------------------------------------------------------------------------------
#: Informal spelling -> normal form, token by token. Values may be several words; no value is itself a key,
#: so normalising twice changes nothing.
# fmt: off
SLANG: Final[Mapping[str, str]] = {
    # negation
    "gak": "tidak", "ga": "tidak", "gk": "tidak", "nggak": "tidak", "ngga": "tidak", "enggak": "tidak",
    "engga": "tidak", "ndak": "tidak", "kagak": "tidak", "tdk": "tidak", "tak": "tidak", "gx": "tidak",
    "nda": "tidak",
    "gada": "tidak ada", "gaada": "tidak ada", "gabisa": "tidak bisa", "gbs": "tidak bisa",
    "gamau": "tidak mau", "gapernah": "tidak pernah", "blm": "belum", "belom": "belum", "blum": "belum",
    "bkn": "bukan",
    # time and degree
    "udah": "sudah", "udh": "sudah", "sdh": "sudah", "dah": "sudah", "uda": "sudah", "sudh": "sudah",
    "bgt": "banget", "bngt": "banget", "bgtt": "banget", "bnget": "banget", "bet": "banget",
    "skrg": "sekarang", "skrang": "sekarang", "skg": "sekarang", "lg": "lagi", "lgi": "lagi",
    "trs": "terus", "trus": "terus", "msh": "masih", "masi": "masih", "hr": "hari", "bln": "bulan",
    "mgg": "minggu", "thn": "tahun", "th": "tahun", "jm": "jam", "tgl": "tanggal", "bbrp": "beberapa",
    "sdg": "sedang", "pst": "pasti", "emg": "memang", "emang": "memang",
    # function words
    "yg": "yang", "dgn": "dengan", "dg": "dengan", "dr": "dari", "dri": "dari", "dll": "dan lain lain",
    "dsb": "dan sebagainya", "utk": "untuk", "untk": "untuk", "krn": "karena", "krna": "karena",
    "karna": "karena", "tp": "tapi", "tpi": "tapi", "sm": "sama", "ama": "sama", "aja": "saja", "aj": "saja",
    "jg": "juga", "jga": "juga", "kalo": "kalau", "klo": "kalau", "kl": "kalau", "klw": "kalau",
    "gmn": "bagaimana", "gimana": "bagaimana", "gmna": "bagaimana", "knp": "kenapa", "ngapa": "kenapa",
    "kpn": "kapan", "dmn": "dimana", "pdhl": "padahal", "org": "orang", "rmh": "rumah", "bs": "bisa",
    "sy": "saya", "sya": "saya", "ak": "aku", "gw": "gue", "gua": "gue", "w": "gue", "lu": "lo",
    "tlg": "tolong", "tolongin": "tolong", "mhn": "mohon", "pls": "please", "plis": "please",
    "plz": "please", "makasih": "terima kasih", "makasi": "terima kasih", "mksh": "terima kasih",
    "trims": "terima kasih", "thx": "terima kasih", "tq": "terima kasih", "terimakasih": "terima kasih",
    "thanks": "terima kasih", "alhamdulilah": "alhamdulillah", "hamdalah": "alhamdulillah",
    # places, roads and transport
    "jl": "jalan", "jln": "jalan", "jlan": "jalan", "jalanan": "jalan", "jkt": "jakarta",
    "tj": "transjakarta", "tije": "transjakarta", "transjkt": "transjakarta",
    "jaklinko": "jaklingko", "commuterline": "krl", "lrtj": "lrt",
    "lmp": "lampu", "gub": "gubernur", "kel": "kelurahan", "kec": "kecamatan",
    # the problems themselves
    "bnjr": "banjir", "bjr": "banjir", "banjr": "banjir", "bnjir": "banjir", "banjirr": "banjir",
    "smph": "sampah", "sampa": "sampah", "sampahh": "sampah", "smpah": "sampah",
    "numpuk": "menumpuk", "mampat": "mampet", "mampeet": "mampet",
    "lobang": "lubang", "lbg": "lubang", "bolong": "berlubang", "bolongnya": "berlubang",
    "ambles": "amblas", "amblesan": "amblas", "mcet": "macet", "macettt": "macet",
    "ngantri": "antre", "antrian": "antre", "antrean": "antre", "antri": "antre", "ngantre": "antre",
    "brenti": "berhenti", "berenti": "berhenti", "nunggu": "menunggu", "nungguin": "menunggu",
    "dibenerin": "diperbaiki", "benerin": "diperbaiki", "dibetulin": "diperbaiki", "betulin": "diperbaiki",
    "diberesin": "diperbaiki", "kesel": "kesal", "cape": "capek", "parahh": "parah",
}
# fmt: on

#: When ``tj`` precedes one of these words it is "Tanjung" (Tj. Priok), not Transjakarta.
TANJUNG_NEXT: Final[frozenset[str]] = frozenset(
    {"priok", "duren", "barat", "perak", "pinang", "karang", "gerem", "pasir", "uban", "balai", "selor"}
)

#: Words the hashtag splitter and the repeated-letter fixer may use besides the rule vocabulary.
# fmt: off
COMMON_WORDS: Final[frozenset[str]] = frozenset((
    "jakarta", "dki", "info", "warga", "lagi", "terus", "hari", "ini", "kita", "save", "stop", "darurat",
    "update", "pagi", "siang", "sore", "malam", "selamat", "kota", "indonesia", "hujan", "deras", "cuaca",
    "lalu", "lintas", "lalin", "kerja", "bakti", "peduli", "bersih", "hijau", "sehat", "aman", "utara",
    "selatan", "barat", "timur", "pusat", "jaksel", "jaktim", "jakpus", "jakbar", "jakut", "seribu",
    "kepulauan", "rumah", "kami", "dan", "yang", "di", "ke", "dari", "ada", "tidak", "sudah", "belum",
    "parah", "banget", "tolong", "mohon", "segera", "pak", "bu", "gubernur",
))

#: Everyday Indonesian (and Jakarta slang) function words. A text of several words with none of these and none of
#: the classifier's known words is taken to be in another language: the classifier answers with low confidence.
FUNCTION_WORDS: Final[frozenset[str]] = frozenset((
    "aja", "ajah", "aku", "apa", "atau", "bagi", "bakal", "banyak", "baru", "bisa", "biar", "bukan", "buat", "cuma",
    "dah", "dalam", "dan", "dari", "dengan", "dia", "dong", "emang", "engga", "enggak", "ga", "gak", "gimana",
    "gitu", "gua", "gue", "gw", "harus", "ini", "itu", "jadi", "juga", "kalau", "kalo", "kamu", "kan", "karena",
    "kau", "ke", "kenapa", "kok", "kita", "lagi", "lah", "lo", "lu", "luh", "mah", "mana", "masih", "mau", "mereka",
    "nah", "nggak", "nya", "oleh", "pada", "para", "pun", "saja", "sama", "sampai", "sampe", "saya", "semua",
    "sini", "situ", "sih", "siapa", "sudah", "tapi", "telah", "tidak", "udah", "untuk", "ya", "yang", "yg", "wkwk",
))
# fmt: on

# -- rules ---------------------------------------------------------------------------------------------------------
Effects = Mapping[str, float]

_RULES: list[tuple[Effects, tuple[str, ...]]] = []


def _add(effects: Effects, *patterns: str) -> None:
    _RULES.append((dict(effects), patterns))


_TOPIC = ":topic"

# flood ---------------------------------------------------------------------------------------------------------
_add({FLOOD: 2.0}, "banjir*|kebanjir*|dibanjir*")
_add({FLOOD: 1.0}, "kebanjiran")
_add(
    {FLOOD: 1.5},
    "melanda|dilanda|dikepung|mengepung|menerjang|diterjang|merendam|menggenangi|tenggelam|hanyut|terseret",
)
_add(
    {FLOOD: 1.0},
    "banjir* ~1 besar|parah|tinggi|lagi|datang|masuk|sampai|sampe|naik|setinggi|di|lumpur|susulan",
)
_add({FLOOD: 1.0}, "kembali|lagi ~2 banjir*|dilanda|terendam|tergenang", "titik|lokasi ~1 banjir*|genangan")
_add(
    {FLOOD: 1.0},
    "rumah|gang|jalan|rt|rw|komplek|kompleks|perumahan|depan|kampung|kawasan|kontrakan|kos|sekolah ~3 banjir*"
    "|kebanjir*|tergenang|terendam",
)
_add({FLOOD: 3.0}, "*genang*")
_add({FLOOD: 2.5}, "*rendam*")
_add({FLOOD: 2.5}, "rob")
_add({FLOOD: 2.0}, "*luap*", "banjir* bandang")
_add({FLOOD: 1.0}, "masih|lagi|sedang|mulai ~1 banjir*|kebanjir*|tergenang|terendam")
_add({FLOOD: 1.5}, "air ~2 naik|pasang|tinggi|deras")
_add({FLOOD: 1.5}, "air ~3 masuk ~3 rumah|gang|jalan|kamar|dapur")
_add({FLOOD: 1.5}, "setinggi|sedalam|ketinggian ~2 # ~1 cm|meter|m|senti|centimeter|sentimeter")
_add({FLOOD: 2.0}, "selutut|sepinggang|sebetis|sepaha|sedada|sedengkul|sepinggul|sedagu|seleher")
_add({FLOOD: 2.0}, "semata kaki", "setinggi|sebatas ~1 lutut|pinggang|dada|betis|paha|atap")
_add(
    {FLOOD: 2.5},
    "got|selokan|saluran|drainase|gorong|kali|sungai|kanal|parit ~3 mampet|tersumbat|buntu|dangkal",
)
_add({FLOOD: 1.0}, "mampet|tersumbat")
_add({FLOOD: 2.5}, "pompa ~3 mati|rusak|macet|jebol|ngadat")
_add({FLOOD: 2.5}, "pompa ~3 tidak ~1 berfungsi|jalan|nyala|menyala|beroperasi")
_add({FLOOD + _TOPIC: 1.0}, "pompa|katulampa|tanggul|waduk", "pintu air")
_add({FLOOD: 3.0}, "tanggul ~2 jebol|bocor|retak|ambrol|longsor")
_add({FLOOD: 2.0}, "belum|tidak ~2 surut")
_add({FLOOD + _TOPIC: 1.0}, "evakuasi|dievakuasi|mengungsi|pengungsi", "perahu karet")
_add({FLOOD + _TOPIC: 0.5}, "hujan")
# metaphors and negations of flood
_add(
    {FLOOD: -3.5, NOT_COMPLAINT: 2.5},
    "banjir* ~2 orderan|order|rezeki|rejeki|pesanan|diskon|promo|hadiah|cuan|job|kerjaan|pujian|like|likes"
    "|komentar|ucapan|doa|berkah|pembeli|penonton|pengunjung|customer|klien|endorse|cashback|bonus|voucher"
    "|followers|notif|notifikasi|informasi|hoax|hujatan|cinta|perhatian|tawaran|undangan|duit|uang|chat|dm"
    "|penumpang|peminat|pendaftar|lamaran|gol|emosi|kenangan|nostalgia|inspirasi|ide|meme|konten|airmata",
    "banjir* air ~1 mata",
    "banjir* keringat|keringet|keringetan|darah|bahagia|tawa",
)
_add({FLOOD: -3.5, NOT_COMPLAINT: 1.5}, "tidak|bukan|bebas|anti|tanpa ~2 banjir*|kebanjir*|*genang*")
# "banjir ga nih?": asking whether it floods
_add({FLOOD: -1.5, NOT_COMPLAINT: 0.5}, "banjir* tidak ~1 nih|ya|sih|kah|tuh")
_add({FLOOD: -1.5, NOT_COMPLAINT: 1.5}, "sudah|telah|mulai ~2 surut|kering|normal|mereda|reda")
_add(
    {FLOOD: -2.0, NOT_COMPLAINT: 1.5},
    "pengendalian|penanganan|penanggulangan|antisipasi|mencegah|pencegahan|atasi|mengatasi|solusi ~2 banjir*",
)
_add(
    {FLOOD: -1.0, NOT_COMPLAINT: 1.0},
    "normalisasi|naturalisasi",
    "sumur resapan",
    "giant sea wall",
    "tanggul laut",
)
_add({FLOOD: -1.5}, "akibat|karena|pasca|setelah|bekas|sisa|sehabis|imbas|dampak|terdampak ~1 banjir*")
_add({FLOOD: -1.0, NOT_COMPLAINT: 1.0}, "terhindar|dijauhkan|lindungi ~3 banjir*")
_add({FLOOD: -2.0, NOT_COMPLAINT: 1.0}, "rawan|potensi|ancaman|risiko|berpotensi ~2 banjir*")

# garbage -------------------------------------------------------------------------------------------------------
_add({GARBAGE + _TOPIC: 2.0}, "sampah*|persampahan")
_add(
    {GARBAGE: 3.0},
    "sampah* ~5 menumpuk|bertumpuk|tumpuk|berserakan|berceceran|menggunung|dibuang|dibakar|busuk|meluber"
    "|berantakan|bau|penuh|mengganggu|dimana|sembarangan|liar|diangkut|numpuk",
    "menumpuk|tumpukan|gunungan|timbunan|onggokan ~3 sampah*",
    "buang|membuang|dibuang|pembuangan ~2 sampah* ~3 sembarangan|liar|kali|sungai|got|selokan",
    "bakar|membakar|pembakaran|dibakar ~2 sampah*",
)
_add({GARBAGE: -3.0, GARBAGE + _TOPIC: -2.0, NOT_COMPLAINT: 1.5}, "sampah* ~2 hati|pikiran|perasaan|kenangan")
_add({GARBAGE: 2.0}, "tidak|belum ~3 diangkut|terangkut|diambil")
_add({GARBAGE + _TOPIC: 1.5}, "tps|tpst|tpa|bantargebang|pemulung", "gerobak sampah", "truk sampah")
_add({GARBAGE: 2.5}, "tps|tpst ~3 penuh|liar|bau|meluber|menumpuk")
_add({GARBAGE: 1.0, COMPLAINT: 1.0}, "bau ~2 busuk|menyengat|amis|nyengat", "bau ~2 tidak ~1 sedap")
_add({GARBAGE + _TOPIC: 0.5, COMPLAINT: 1.0}, "kotor|jorok|kumuh")
_add({GARBAGE: 1.0}, "lalat|belatung|lindi")
_add({GARBAGE: 1.0}, "sungai|kali|got|selokan ~4 sampah*", "sampah* ~3 sungai|kali|got|selokan")
# garbage as an insult, and garbage-related events that are not problems
_add(
    {GARBAGE + _TOPIC: -2.0, GARBAGE: -3.0, NOT_COMPLAINT: 2.0},
    "sampah masyarakat|negara|visual|demokrasi|politik|sejarah",
    "otak|mulut|mulutmu|manusia|akun|film|lagu|kayak|seperti|dasar|pemimpin|pejabat|partai ~1 sampah",
)
_add(
    {GARBAGE + _TOPIC: -1.5, NOT_COMPLAINT: 2.0},
    "bank sampah",
    "daur ulang",
    "pilah|memilah|pemilahan ~2 sampah*",
    "kompos|ecobrick|maggot",
    "zero waste",
)
_add(
    {GARBAGE + _TOPIC: -1.0, NOT_COMPLAINT: 1.5},
    "kerja bakti",
    "gotong royong",
    "bersih bersih",
    "aksi bersih",
)

# damaged road --------------------------------------------------------------------------------------------------
_add({DAMAGED_ROAD + _TOPIC: 0.5}, "jalan|ruas|aspal|trotoar|jembatan")
_add(
    {DAMAGED_ROAD: 3.0},
    "jalan|jalur|ruas ~4 rusak|berlubang|hancur|amblas|retak|bergelombang|longsor|ambrol|keropos|jelek|ancur"
    "|terkelupas|mengelupas",
)
_add({DAMAGED_ROAD: 2.0}, "berlubang|lubang|lubangnya|kubangan")
_add({DAMAGED_ROAD: 2.5}, "amblas|ambrol")
_add({DAMAGED_ROAD: 1.5}, "retak|retakan|tambal|ditambal|tambalan")
_add({DAMAGED_ROAD + _TOPIC: 1.0}, "aspal|pengaspalan|diaspal")
_add({DAMAGED_ROAD: 3.0}, "aspal ~3 rusak|mengelupas|terkelupas|berlubang|hancur|tipis|ngelupas|retak")
_add({DAMAGED_ROAD: 3.0}, "trotoar ~4 rusak|hancur|berlubang|amblas|retak|pecah|copot|dirusak|jebol")
_add({DAMAGED_ROAD: 3.0}, "jembatan ~6 rusak|ambruk|putus|retak|roboh|ambrol|keropos|lapuk|miring|berlubang")
_add(
    {DAMAGED_ROAD: 3.0},
    "tutup|penutup ~1 got|saluran|gorong|selokan|manhole|drainase ~3 hilang|rusak|terbuka|jebol|berlubang"
    "|patah|pecah|copot|dicuri|amblas",
    "manhole ~3 hilang|rusak|terbuka|jebol|patah|pecah|copot|dicuri",
)
_add({DAMAGED_ROAD: 1.5}, "got|saluran|selokan ~2 terbuka", "tanpa tutup")
_add(
    {DAMAGED_ROAD: -2.5, DAMAGED_ROAD + _TOPIC: -0.5, OTHER + _TOPIC: 1.5},
    "lampu jalan",
    "penerangan jalan",
    "lampu penerangan",
)
_add({DAMAGED_ROAD: -2.0}, "lubang buaya", "lubang hidung", "lubang kunci")
_add({DAMAGED_ROAD + _TOPIC: -1.0, NOT_COMPLAINT: 1.0}, "jalan jalan", "jalan ~2 mulus")

# transjakarta ---------------------------------------------------------------------------------------------------
_add({TRANSJAKARTA + _TOPIC: 3.0}, "transjakarta|busway|mikrotrans|jaklingko|royaltrans|metrotrans|koridor")
_add({TRANSJAKARTA + _TOPIC: 3.0}, "jak lingko", "jak #")
_add({TRANSJAKARTA + _TOPIC: 2.0}, "halte")
_add({TRANSJAKARTA + _TOPIC: 0.7}, "bus|bis")
_add({TRANSJAKARTA: 2.0}, "halte ~4 rusak|bocor|kotor|gelap|penuh|sempit|ditutup|bau|licin|banjir|dirusak")
_add(
    {TRANSJAKARTA: 2.5},
    "jalur|lajur ~1 busway|transjakarta ~4 diterobos|menerobos|masuk|nyerobot|diserobot|pemotor|motor|mobil"
    "|pribadi",
)
_add({TRANSJAKARTA: 1.0}, "pramudi")

# other ---------------------------------------------------------------------------------------------------------
_add({OTHER: 3.5}, "lampu|pju|penerangan ~10 mati|padam|rusak|redup|kedip|berkedip|gelap|byarpet")
_add({OTHER: 3.5}, "lampu|pju|penerangan ~10 tidak ~1 menyala|nyala")
_add({OTHER: 1.5}, "gelap gulita")
_add({OTHER: 2.0, COMPLAINT: 0.5}, "macet|kemacetan|kemacetannya")
_add(
    {OTHER: 3.0},
    "parkir ~1 liar|sembarangan|sembarang|trotoar|bahu|badan",
    "juru parkir",
    "jukir|pungli|calo",
    "pungutan liar",
)
_add({OTHER + _TOPIC: 2.5}, "krl|kereta|mrt|lrt|kai|stasiun|whoosh|kcic|tol")
_add({OTHER + _TOPIC: 1.0}, "ojol|ojek|angkot|taksi|bajaj|kopaja|metromini")
_add({OTHER: 2.5}, "bising|berisik|kebisingan", "knalpot brong", "suara keras")
_add({OTHER: 2.0}, "polusi|pencemaran|tercemar|limbah|ispa|debu|asap", "udara kotor")
_add({OTHER: 3.0}, "air ~2 mati|keruh|kotor|kecil|bau", "air ~2 tidak ~1 mengalir|keluar|ngalir")
_add({OTHER + _TOPIC: 2.0}, "pdam|palyja|aetra", "pam jaya", "air bersih")
_add({OTHER: 3.0}, "mati lampu", "mati listrik", "pemadaman|byarpet", "listrik ~2 padam|mati")
_add({OTHER + _TOPIC: 1.5}, "pln|listrik")
_add(
    {OTHER + _TOPIC: 1.5},
    "ktp|ektp|kk|akta|dukcapil|bpjs|kjp|kjmu|izin|perizinan|pbb|puskesmas|rsud|ppdb|bansos|kis|dtks|disdukcapil",
    "kartu keluarga",
    "rumah sakit",
)
_add(
    {OTHER: 2.5},
    "preman|premanisme|begal|jambret|copet|maling|pencurian|dicuri|tawuran|narkoba|judi|rampok|perampokan"
    "|kriminal|pelecehan|mesum|miras",
    "balap liar",
)
_add({OTHER: 2.0}, "anjing ~1 liar|galak", "kucing liar", "tikus|ular|nyamuk|dbd|monyet", "demam berdarah")
_add({OTHER: 3.0}, "pohon ~2 tumbang|roboh|patah|rawan|miring", "dahan ~2 patah|jatuh")
_add({OTHER: 3.0}, "kabel ~3 menjuntai|semrawut|putus|berantakan|kusut|jatuh|melintang|terjuntai")
_add({OTHER: 2.0}, "tiang ~3 miring|roboh|tumbang|hampir")
_add(
    {OTHER: 2.0},
    "pkl|gelandangan|pengemis|odgj",
    "pedagang kaki lima",
    "lapak|bangunan liar",
    "manusia silver",
)
_add({OTHER: 2.0}, "kebakaran|terbakar")
_add({OTHER: 3.0}, "lampu merah ~3 mati|rusak|padam|error", "traffic light|apill ~3 mati|rusak|padam|error")
_add({OTHER + _TOPIC: 1.0}, "jpo|marka|rambu|fasum|taman", "zebra cross", "fasilitas umum", "toilet umum")
_add({OTHER + _TOPIC: 0.7}, "rusak")

# complaint signals -----------------------------------------------------------------------------------------------
_add({COMPLAINT: 1.0}, "tolong|mohon|please|segera|harap|minta")
_add({COMPLAINT: -1.0}, "mohon|minta maaf")
_add({COMPLAINT: 1.0}, "parah|kacau|payah|buruk|jelek|ancur|hancur|rusak|parahnya")
_add(
    {COMPLAINT: 2.0},
    "kapan ~3 diperbaiki|diangkut|dibersihkan|ditangani|ditindak|diurus|diperhatikan|dikeruk|selesai|beres"
    "|diatasi|dibenahi",
)
_add(
    {COMPLAINT: 1.5},
    "sudah|sejak|selama ~1 # ~1 hari|minggu|bulan|tahun|jam|pekan|harian|mingguan|bulanan|tahunan",
)
_add(
    {COMPLAINT: 1.5},
    "sudah|sejak|selama ~2 seminggu|sebulan|setahun|sepekan|berhari|berminggu|berbulan|bertahun",
)
_add({COMPLAINT: 1.5}, "berhari|berminggu|berbulan|bertahun|seharian|semalaman")
_add({COMPLAINT: 1.0}, "tiap|setiap ~2 hujan")
_add({COMPLAINT: 0.7}, "sudah ~3 tidak", "masih ~3 tidak|belum")
_add(
    {COMPLAINT: 1.5},
    "tidak|belum ~2 diperbaiki|diangkut|dibersihkan|ditangani|ditindak|ditanggapi|direspon|berfungsi|menyala"
    "|nyala|datang|beroperasi|diurus|diperhatikan|dikeruk",
    "tidak ada ~1 tindakan|respon|perbaikan|solusi|petugas",
    "tidak ada tindak lanjut",
)
_add(
    {COMPLAINT: 1.0},
    "kecewa|kesal|sebel|capek|muak|jengkel|geram|resah|meresahkan|mengganggu|terganggu|bahaya|berbahaya"
    "|membahayakan|celaka|kecelakaan|terjatuh|jatuh|emosi|stres|stress",
)
_add({COMPLAINT: 1.0}, "lapor|melapor|laporan|aduan|mengadu|keluhan|mengeluh|mengeluhkan|komplain|protes")
_add({COMPLAINT: 0.7}, "mati|padam|bocor|susah|sulit|bau")
_add(
    {COMPLAINT: 1.0},
    "lama|lambat|lelet|telat|terlambat|ngaret|ngetem|mogok|penuh|sesak|berdesakan|kelamaan|ugal|kasar|jutek"
    "|error|gangguan|tertahan|anjlok|ditolak|dipersulit|berbelit",
)
_add({COMPLAINT: 0.5}, "antre|menunggu|galak|nyerobot|menerobos|diterobos|desak|dempet|panas|mahal|berdiri")
_add({COMPLAINT: 1.5}, "armada|bus|bis ~2 kurang|sedikit|dikit|jarang")
_add({COMPLAINT: 1.0}, "menunggu|antre ~4 lama|panjang|kelamaan|berjam|setengah|sejam")
_add({COMPLAINT: -1.0}, "tidak|anti ~1 ngetem|telat|terlambat|macet|antre|penuh|lama|ngaret|mogok")
_add({COMPLAINT: 1.5}, "tidak ~1 dapat|kebagian ~1 kursi|duduk|tempat", "tidak ~1 berhenti|mau ~1 berhenti")
_add({COMPLAINT: 1.0}, "rusak|banjir*|mati|macet|menumpuk|berlubang ~1 lagi", "lagi lagi")
_add({COMPLAINT: 0.5}, "woi|woy|hadeh|astaga|astagfirullah|duh|aduh|kok|masa|tega")
_add({COMPLAINT: 0.4}, "pemprov|pemkot|sudin|dinas|dishub|lurah|camat|gubernur|walikota|pemda|bpbd|dlh")
_add(
    {COMPLAINT: 1.5, NOT_COMPLAINT: -2.0},
    "butuh|minta|perlu|mohon ~1 bantuan|evakuasi|pertolongan",
    "tolong bantu",
)

# not-complaint signals -------------------------------------------------------------------------------------------
_add(
    {NOT_COMPLAINT: 1.5},
    "selamat ~1 pagi|siang|sore|malam|datang|ulang|hari|idul|tahun|menjalankan|berbuka|menikmati|berakhir|pekan",
)
_add(
    {NOT_COMPLAINT: 1.2},
    "apresiasi|salut|bangga|hebat|keren|mantap|mantul|juara|bagus|nyaman|rapi|asri|indah|cantik|puas|terbaik"
    "|recommended",
    "terima kasih",
)
_add({NOT_COMPLAINT: 1.5}, "alhamdulillah|syukur|bersyukur", "puji tuhan")
_add(
    {NOT_COMPLAINT: 1.5},
    "promo|diskon|cashback|giveaway|voucher|ongkir|dijual|jual|lowongan|loker|rekrutmen|endorse|reseller|katalog",
)
_add({NOT_COMPLAINT: 1.0}, "kalau|seandainya|andai|misalnya|misal|bayangkan|jika|apabila|bila|nanti")
_add({NOT_COMPLAINT: 0.8}, "semoga|moga|amin|aamiin|berdoa|doakan|insyaallah")
_add({NOT_COMPLAINT: 1.2}, "wkwk*|haha*|hehe*|lol|ngakak|lucu|bercanda|candaan|meme|kocak")
_add(
    {NOT_COMPLAINT: 1.5},
    "bantuan|sembako|donasi|santunan|logistik|sumbangan",
    "menyalurkan|disalurkan|salurkan|penyaluran|membagikan|dibagikan|menyerahkan|diserahkan",
)
_add({NOT_COMPLAINT: 1.0}, "posko|relawan", "dapur umum", "galang dana")
_add({NOT_COMPLAINT: 1.0}, "untuk|bagi|kepada ~1 korban|warga|pengungsi|masyarakat|penyintas")
_add(
    {NOT_COMPLAINT: 1.2},
    "acara|festival|lomba|konser|event|pameran|peresmian|diresmikan|meresmikan|launching|peluncuran|kunjungan"
    "|meninjau|tinjau|blusukan|rapat|sidang|pelantikan|webinar|seminar|sosialisasi",
)
_add(
    {NOT_COMPLAINT: 0.8},
    "pilkada|pilgub|pemilu|capres|cagub|paslon|partai|kampanye|koalisi|oposisi|presiden|jokowi|prabowo|anies"
    "|ahok|pramono|dpr|menteri|korupsi|dikorupsi|rezim|buzzer|politik|politisi|demokrasi|pajak|negara|rakyat",
)
_add(
    {NOT_COMPLAINT: 0.6},
    "kebijakan|regulasi|peraturan|perda|pergub|undang|anggaran|apbd|wacana|tender|rencana|program|strategi",
)
_add(
    {NOT_COMPLAINT: 0.6},
    "bagaimana cara",
    "cara|apakah|berapa|tanya|nanya",
    "info ~1 dong",
    "ada yang ~1 tahu|tau",
)
_add(
    {NOT_COMPLAINT: 2.0, COMPLAINT: -1.0},
    "sudah|telah|akhirnya ~2 diperbaiki|dibersihkan|diangkut|beres|selesai|teratasi|ditangani|dibenahi|mulus"
    "|lancar|normal",
)
_add({NOT_COMPLAINT: 1.0}, "lancar|lengang|sepi")
_add({NOT_COMPLAINT: 0.8}, "belajar|tugas|skripsi|penelitian|jurnal|artikel|edukasi|materi")
_add({NOT_COMPLAINT: 1.0}, "rindu|kangen|cinta|sayang|galau|mantan|pacar|jodoh|baper|ayang")
_add({NOT_COMPLAINT: 0.6}, "game|film|lagu|musik|anime|drakor|nonton|konten")
_add({NOT_COMPLAINT: 1.0}, "jasa|melayani|hubungi|whatsapp")
_add({NOT_COMPLAINT: 0.6}, "dulu|zaman|kenangan|sejarah")
_add(
    {NOT_COMPLAINT: 0.8},
    "pemerintah|pemerintahan|kewenangan|nyalahin|menyalahkan|disalahkan|salahin|salah|becus|pencitraan|janji"
    "|kinerja|pejabat|aparat|oknum|bupati|sekda|menko",
    "kambing hitam",
)
_add({NOT_COMPLAINT: 1.0}, "demo|ricuh|kerusuhan|provokator|provokasi|massa|pendemo|anarkis", "unjuk rasa")
_add(
    {NOT_COMPLAINT: 1.0},
    "personel|dikerahkan|mengerahkan|menerjunkan|diterjunkan|sigap|memantau|koordinasi|berkoordinasi"
    "|menggandeng|sinergi|sinergitas|kolaborasi|instansi|polri|brimob|tni|basarnas|bnpb|polres|polda|kapolres"
    "|kapolda|humas|takziah|bertakziah|penanganan",
    "trauma healing",
    "bergerak cepat",
)
_add(
    {NOT_COMPLAINT: 1.5},
    "hai|halo|hallo|hi ~1 kak|kakak",
    "ketidaknyamanan|silakan|silahkan",
    "kami ~1 bantu|cek|informasikan|teruskan|tindaklanjuti",
    "melalui|via ~1 dm",
)
_add(
    {NOT_COMPLAINT: 1.0},
    "info|informasi ~1 lengkap|selengkapnya|lanjut",
    "dapat|bisa ~1 dilihat|diakses|diunduh",
    "unduh|download|selengkapnya",
    "baca ~1 selengkapnya|juga",
)
_add({NOT_COMPLAINT: 0.8}, "liburan|wisata|seru|asyik|asik|kuliner|jajan")
_add({NOT_COMPLAINT: 1.0}, "banyak ~1 jalan ~1 rusak", "misal ~2 ada")
_add({NOT_COMPLAINT: 1.0}, "prakiraan|prediksi|diprediksi|diperkirakan|berpotensi", "peringatan dini")

#: Every rule as (effects, pattern strings). Each pattern counts once per message.
RULES: Final[tuple[tuple[Effects, tuple[str, ...]], ...]] = tuple(_RULES)

# -- @mentions -----------------------------------------------------------------------------------------------------
#: Parts of a mentioned handle -> effects. A message that tags a city or operator account is usually a report.
HANDLE_CUES: Final[tuple[tuple[str, Effects], ...]] = (
    ("transjakarta", {TRANSJAKARTA + _TOPIC: 2.5, COMPLAINT: 0.5}),
    ("jaklingko", {TRANSJAKARTA + _TOPIC: 2.5, COMPLAINT: 0.5}),
    ("commuterline", {OTHER + _TOPIC: 2.5, COMPLAINT: 0.5}),
    ("krl", {OTHER + _TOPIC: 2.5, COMPLAINT: 0.5}),
    ("mrtjkt", {OTHER + _TOPIC: 2.5, COMPLAINT: 0.5}),
    ("pln", {OTHER + _TOPIC: 1.5, COMPLAINT: 0.5}),
    ("pamjaya", {OTHER + _TOPIC: 1.5, COMPLAINT: 0.5}),
    ("bpbd", {FLOOD + _TOPIC: 0.5, COMPLAINT: 0.5}),
    ("dkijakarta", {COMPLAINT: 0.5}),
    ("pemprov", {COMPLAINT: 0.5}),
    ("dishub", {COMPLAINT: 0.5}),
    ("lapor", {COMPLAINT: 0.5}),
    ("jakartaprov", {COMPLAINT: 0.5}),
    ("binamarga", {DAMAGED_ROAD + _TOPIC: 1.0, COMPLAINT: 0.5}),
    ("dinaslh", {GARBAGE + _TOPIC: 1.0, COMPLAINT: 0.5}),
)
