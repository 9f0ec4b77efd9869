"""Write jemput's own labelled training corpus (``classifier/corpus/train.jsonl``).

Every fragment below was written for jemput from ``docs/categories.md`` and everyday Jakarta usage; nothing is
copied from a tweet collection. A message is built from a *frame* of its label (a tweet, an SMS, a complaint-portal
letter, a news line, a reply, a joke...) whose ``{slots}`` are filled from the fragment lists and whose ``[a|b|]``
groups pick one alternative (an empty one makes the group optional). A noise pass then writes it the way people
type: slang and abbreviations, dropped or repeated letters, upper case, hashtags, @mentions, links and emoji.

Beside the frames, ``written/*.jsonl`` holds messages written one by one for jemput (``{"text", "label"}`` per line):
free-form tweets, SMS and letters in every register, and hard negatives that use the topics' words. They are taken
as they are, after the templated ones, and the whole is shuffled with the seed.

Run ``python -m classifier.corpus.generate [--seed N] [--out FILE]``; the same seed writes the same file.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections.abc import Callable
from pathlib import Path

from config.categories import DAMAGED_ROAD, FLOOD, GARBAGE, LABELS, NOT_COMPLAINT, OTHER, TRANSJAKARTA

DEFAULT_OUT = Path(__file__).resolve().parent / "train.jsonl"
WRITTEN = Path(__file__).resolve().parent / "written"

# -- shared slots -------------------------------------------------------------------------------------------------
# fmt: off
S: dict[str, list[str]] = {
    "street": [
        "Jl. Daan Mogot", "Jl Kemang Raya", "jl. casablanca", "Jalan Gatot Subroto", "jln Panjang", "Jl. Fatmawati",
        "Jl. Raya Bogor", "jalan Ciledug Raya", "Jl. Kramat Raya", "Jl. Salemba Raya", "jl Otista", "Jl. DI Panjaitan",
        "Jalan Pramuka", "jl. Pemuda", "Jl. Pluit Karang", "Jl. Sunter Agung", "jl. tanjung duren", "Jl. Kyai Tapa",
        "jl. hayam wuruk", "Jl. Mangga Besar", "Jl. Pasar Minggu", "jalan Tb Simatupang", "jl. Margonda",
        "Jl. Raya Kalimalang", "jl. Condet Raya", "Jl. Raya Ragunan", "jl. Cipinang Muara", "Jl. Pulo Gebang",
        "jl. Meruya Ilir", "Jl. Pesanggrahan", "Jl. Joglo Raya", "Jl. Kebon Jeruk", "jalan Tanah Abang",
        "Jl. Cempaka Putih Raya", "Jl. Bekasi Raya", "jl. raya penggilingan", "Jl. Cilincing Raya", "jl. inspeksi",
        "Jl. Kapten Tendean", "Jl. Warung Buncit", "jl. Mampang Prapatan", "jalan Lenteng Agung", "Jl. Jagakarsa",
        "Jl. Raya Bekasi km 21", "jl. Haji Nawi", "Jl. Wolter Monginsidi", "Jl. Abdul Muis", "Jl. Gunung Sahari",
    ],
    "area": [
        "Kampung Melayu", "Bukit Duri", "Cawang", "Cililitan", "Kelapa Gading", "Pluit", "Muara Angke", "Tanjung Priok",
        "Cengkareng", "Kalideres", "Grogol", "Tomang", "Tebet", "Pancoran", "Mampang", "Cipete", "Cilandak",
        "Pasar Minggu", "Jagakarsa", "Kebon Jeruk", "Kembangan", "Cempaka Putih", "Senen", "Matraman", "Jatinegara",
        "Pulogadung", "Cakung", "Duren Sawit", "Kramat Jati", "Ciracas", "Cipayung", "Pesanggrahan", "Kebayoran Lama",
        "Petamburan", "Tanah Abang", "Menteng", "Sunter", "Koja", "Cilincing", "Penjaringan", "Kapuk", "Rawa Buaya",
        "Kemayoran", "Johar Baru", "Pademangan", "Kampung Rambutan", "Condet", "Kalibata", "Rawamangun", "Pulo Gebang",
        "Klender", "Manggarai", "Kedoya", "Meruya", "Joglo", "Srengseng", "Ulujami", "Bintaro", "Lebak Bulus",
        "Cipinang", "Utan Kayu", "Pejaten", "Ragunan", "Kebagusan", "Semper", "Marunda", "Rorotan", "Kamal Muara",
    ],
    "city": [
        "Bekasi", "Depok", "Tangerang", "Ciledug", "Bogor", "Tangsel", "Cibubur", "Semarang", "Bandung", "Medan",
        "Surabaya", "Makassar", "Palembang", "Pekanbaru", "Cirebon", "Karawang", "Serang", "Cikarang",
    ],
    "rtrw": ["RT 05 RW 03", "rt 03/rw 07", "RT.012/RW.04", "rt 8 rw 2", "RT 01 RW 10", "rt05 rw01", "RT 11/06",
             "rw 09", "RT 4", "gang H. Mali", "gg. Kelinci", "gang Masjid", "gang buntu", "komplek Deplu",
             "perumahan Griya Asri", "blok C", "Gg. Swadaya", "kp. Baru"],
    "mine": ["depan rumah gw", "depan rumah saya", "depan rumahku", "depan gang gw", "dekat rumah", "di komplek gw",
             "di gang rumah", "dekat kantor", "depan sekolah anak saya", "samping masjid", "depan warung",
             "dekat pasar", "di lingkungan kami", "di kampung kami", "depan kosan", "belakang rumah"],
    "dur": ["udah 3 hari", "sudah seminggu", "dari kemarin", "sejak subuh", "dari semalem", "udh 2 minggu",
            "sudah sebulan lebih", "dari pagi", "dari jam 5", "tiap hujan", "berhari-hari", "hampir sebulan",
            "2 hari ini", "dari minggu lalu", "bertahun-tahun", "dari tadi malam"],
    "ask": ["tolong dong", "mohon segera ditindaklanjuti", "tolong diperbaiki", "mohon perhatiannya",
            "pemprov ke mana?", "kapan diberesin?", "tolong ditangani", "mohon dicek", "gimana ini pak?",
            "tolong lah", "plis", "mohon bantuannya", "segera diurus dong", "minta tolong",
            "mana nih pemerintah", "harus nunggu viral dulu?", "udah lapor tapi gak ada respon", ""],
    "feel": ["parah", "parah bgt", "kesel", "capek", "sebel banget", "bikin emosi", "hadeh", "astaga", "duh",
             "ya ampun", "anjir", "miris", "ngeri", "bahaya banget", "gila", "sumpah", "aduh"],
    "who": ["pak lurah", "pak camat", "Pemprov DKI", "pak gub", "pemkot", "dinas terkait", "sudin", "pak RT",
            "pemda", "min", "admin"],
    "n": ["20", "30", "40", "50", "60", "70", "80", "100", "15", "25"],
    "time": ["pagi ini", "tadi pagi", "semalam", "sore ini", "barusan", "tadi subuh", "malam ini", "siang tadi",
             "hari ini", "kemarin sore", "jam 7 tadi"],
    "day": ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"],
    "handle_city": ["@DKIJakarta", "@pemprovdki", "@aniesbaswedan", "@pramonoanung", "@jakartabersih",
                    "@dinas_sda", "@BPBDJakarta", "@TMCPoldaMetro", "@PemkotJaktim", "@jakselmedia", "@pemkotbekasi",
                    "@LaporGub_", "@lapor1708", "@jakpusmedia", "@humasjakfire", "@DLH_DKI"],
    "handle_tj": ["@PT_Transjakarta", "@transjakarta", "@mikrotrans", "@jaklingko"],
    "handle_other": ["@CommuterLine", "@mrtjkt", "@pln_123", "@PAM_JAYA", "@DukcapilDKI", "@BPJSKesehatanRI",
                     "@DishubDKI", "@lrtjakarta", "@KAI121", "@TMCPoldaMetro"],
    "handle_any": ["@txtdrjkt", "@txtdrbekasi", "@infojakarta", "@RadioElshinta", "@ARSIPAJA", "@kompascom",
                   "@detikcom", "@barengwarga", "@jakarta_info", "@temanbus", "@kumparan", "@CNNIndonesia",
                   "@budi_s", "@rina_77", "@andika__", "@mputriw", "@bangdoel", "@kiki_rz"],
    "emo": ["😭", "😡", "🙏", "😤", "🙄", "😩", "😂", "🤣", "😅", "💀", "🥲", "👍", "🔥", "❤️", "😢", "🤬", ""],
}
# fmt: on

S["place"] = ["{street}", "{area}", "{street} {area}", "daerah {area}", "{area} {rtrw}", "{rtrw} {area}",
              "{street} dekat {area}", "kawasan {area}", "{mine}", "{mine} di {area}", "perempatan {area}",
              "{street} arah {area}"]
S["where_any"] = ["{place}", "{place}", "{city}", "{city}", "daerah {city}"]

# -- labels: flood ------------------------------------------------------------------------------------------------
S["flood_p"] = [
    "banjir", "banjir lagi", "banjir setinggi {n} cm", "air masuk rumah", "air udah masuk rumah setinggi {n} cm",
    "tergenang air", "terendam banjir", "kebanjiran", "genangan air", "genangan {n} cm", "air naik terus",
    "kali meluap", "got mampet airnya meluap ke jalan", "saluran air mampet jadi banjir", "air setinggi lutut",
    "air sepinggang", "air sedada orang dewasa", "rob lagi", "banjir rob", "banjir kiriman", "tanggul jebol",
    "pompa air mati pas hujan deres", "rumah pompa gak nyala", "pintu air gak dibuka", "genangan gak surut surut",
    "jalanan jadi kayak sungai", "motor mogok kena genangan", "air comberan meluap", "drainase mampet air menggenang",
    "banjir sebetis", "banjir sepaha", "air kali ciliwung naik", "luapan kali pesanggrahan", "gorong gorong mampet",
    "air got naik ke rumah", "banjir parah", "rumah kerendam", "jalan kerendam", "bnjr lg", "banjirrr",
]
S["flood_imp"] = ["barang-barang basah semua", "anak-anak ngungsi ke masjid", "mobil gak bisa lewat",
                  "listrik dipadamin", "kasur kerendam", "gak bisa berangkat kerja", "warga ngungsi",
                  "ada lansia belum dievakuasi", "motor mogok", "air makin tinggi", "kulkas udah ngambang",
                  "warung tutup semua", "sekolah diliburin"]
# -- garbage
S["garb_p"] = [
    "sampah numpuk", "sampah menumpuk", "sampah gak diangkut", "sampah tidak diangkut {dur}", "bau sampah",
    "bau busuk dari TPS", "tumpukan sampah", "orang buang sampah sembarangan", "ada yang bakar sampah",
    "asap bakar sampah masuk rumah", "TPS penuh meluber ke jalan", "TPS liar", "truk sampah gak dateng",
    "sampah berserakan", "sampah di kali numpuk", "kali penuh sampah plastik", "sampah di got",
    "petugas sampah gak ambil sampah", "gerobak sampah gak lewat", "buang sampah di pinggir jalan",
    "sampah rumah tangga dibuang ke kali", "bak sampah udah meluap", "lalat di mana-mana karena sampah",
    "sampah bekas pasar dibiarin", "kasur dan sofa bekas dibuang di trotoar", "sampahnya baunya nyengat",
    "sampah numpuk kayak gunung", "pembuangan sampah liar", "samph numpuk",
]
S["garb_imp"] = ["baunya sampe ke rumah", "banyak lalat dan tikus", "anak-anak jadi sakit", "jalan jadi sempit",
                 "nyamuk banyak", "gak bisa buka jendela", "warga pada batuk", "kotor dan jorok", "jijik liatnya"]
# -- damaged road
S["road_p"] = [
    "jalan berlubang", "jalan rusak parah", "lubang gede di tengah jalan", "aspal retak", "aspal ngelupas",
    "jalan amblas", "jalanan bolong-bolong", "lubang jalan", "jalan ambles", "jalan bergelombang parah",
    "trotoar rusak", "trotoar ambrol", "jembatan retak", "jembatan rusak", "tutup gorong-gorong hilang",
    "tutup got di jalan bolong", "besi tutup saluran copot", "jalan rusak", "bekas galian gak ditutup rapi",
    "jalan berlubang gede", "jalanan ancur", "banyak lubang", "jalan retak", "aspal mengelupas", "jln rusak",
    "jalan berlobang", "lubangnya dalem banget", "trotoar bolong", "jembatan penyeberangan rusak", "jalan ambrol",
    "paving block copot semua", "aspalnya hancur",
]
S["road_imp"] = ["motor jatuh", "udah banyak yang jatuh", "ban bocor", "mobil gw velgnya penyok", "bahaya kalo malem",
                 "pengendara harus zig-zag", "bikin macet", "ojol sampe jatuh", "ibu-ibu bonceng anak jatuh",
                 "kalau hujan lubangnya gak keliatan", "rawan kecelakaan"]
# -- transjakarta
S["halte"] = ["Harmoni", "Dukuh Atas", "Blok M", "Kota", "Senen", "Cawang UKI", "PGC", "Kampung Melayu", "Grogol",
              "Kalideres", "Pulogadung", "Ragunan", "Tendean", "Bundaran HI", "Tosari", "Sarinah", "Monas", "Juanda",
              "Matraman", "Salemba", "Kuningan", "Pancoran", "Tegal Parang", "Rawamangun", "Cililitan", "Glodok",
              "Pluit", "Kebon Jeruk", "Lebak Bulus", "Velbak", "ASMI", "Pinang Ranti", "Tanjung Priok", "Pasar Baru"]
S["rute"] = ["koridor 1", "koridor 9", "koridor 13", "koridor 3", "koridor 6", "koridor 8", "koridor 10", "rute 6A",
             "rute 9D", "1P", "4F", "5C", "6H", "JAK 36", "JAK 10", "JAK 30", "mikrotrans JAK 41", "royaltrans",
             "T11", "B41", "S22", "2A", "7F", "bus 1Q", "11W", "10H"]
S["tj"] = ["TJ", "tj", "transjakarta", "Transjakarta", "busway", "TransJakarta", "bus TJ", "tije", "jaklingko",
           "mikrotrans", "bus tj", "TJ {rute}", "{rute}"]
S["tj_p"] = [
    "nunggu {tj} {n} menit gak dateng-dateng", "{tj} telat terus", "headway {tj} lama banget",
    "halte {halte} penuh sesak", "antrian di halte {halte} ular banget", "busway diterobos mobil pribadi",
    "jalur busway dipake motor", "pramudi {tj} ugal-ugalan", "sopir {tj} ngebut", "supir jaklingko ngetem lama",
    "tap in gagal saldo kepotong", "saldo kepotong 2x pas tap out", "AC {tj} mati panas banget", "AC bus bocor",
    "halte {halte} lift nya mati", "eskalator halte {halte} rusak", "petugas halte {halte} galak",
    "rute {rute} dialihkan gak ada info", "bus {rute} dikurangin", "{tj} mogok di jalan", "pintu bus gak nutup",
    "bus {rute} gak berhenti di halte", "kartu gak kebaca di gate halte {halte}", "mesin tap di halte {halte} error",
    "{tj} penuh banget gak bisa masuk", "desek-desekan di {tj}", "{tj} lewat doang gak mau berhenti",
    "sopir mikrotrans nurunin penumpang sembarangan", "jaklingko kosong tapi gak mau berhenti",
    "armada {rute} sedikit banget", "halte {halte} bocor kalau hujan", "bus {rute} bau dan kotor",
    "pramudi main hp pas nyetir", "JPO ke halte {halte} gelap", "aplikasi TJ error gak bisa liat posisi bus",
    "ojol ngetem di halte {halte}", "mobil parkir di jalur busway depan halte {halte}",
]
# -- other
S["oth_p"] = [
    "lampu jalan mati", "lampu jalan mati semua gelap banget", "PJU mati", "lampu penerangan jalan padam",
    "lampu merah mati", "lampu lalu lintas mati bikin semrawut", "macet total", "macet parah gak gerak",
    "parkir liar", "juru parkir liar malak", "parkir liar makan badan jalan", "krl telat", "krl gangguan lagi",
    "KRL penuh sesak", "commuter line anjlok", "MRT gangguan", "LRT berhenti lama", "stasiun Manggarai chaos",
    "antrian tap di stasiun parah", "suara knalpot brong tiap malam", "bising banget proyek malam-malam",
    "polusi asap pabrik", "udara kotor banget", "air PAM mati", "air PAM keruh bau", "listrik padam",
    "mati listrik terus", "PLN padam tanpa info", "KTP elektronik belum jadi", "urus KTP dipersulit",
    "BPJS ribet", "pungli di kelurahan", "ada pungli", "begal", "jambret", "copet di stasiun",
    "anjing liar ngejar", "kucing liar", "pohon tumbang nutup jalan", "pohon mau tumbang", "kabel semrawut menjuntai",
    "kabel listrik putus", "PKL tutup trotoar", "tawuran tiap malem", "sinyal hilang", "ojol ngetem makan jalan",
    "genset proyek berisik", "sekolah minta pungutan", "pelayanan puskesmas lama", "akta kelahiran belum jadi",
    "jalan ditutup sembarangan buat hajatan", "balap liar", "asap knalpot bus bikin sesak", "air tanah tercemar",
    "limbah pabrik dibuang ke kali", "bau limbah", "lampu taman mati", "kabel optik jatuh ke jalan",
]
# -- not_complaint fragments
S["meta_flood"] = ["banjir orderan", "banjir diskon", "banjir air mata", "banjir pujian", "banjir job",
                   "banjir rezeki", "banjir ucapan", "banjir hadiah", "banjir pesanan", "banjir like", "banjir cuan",
                   "banjir keringet", "banjir promo", "banjir chat", "banjir DM", "banjir kerjaan",
                   "banjir bonus", "banjir penonton", "banjir komentar", "banjir scatter"]
S["meta_other"] = ["sampah masyarakat", "mantan kayak sampah", "hatiku berlubang", "hidupnya jalan di tempat",
                   "mood gw rusak", "muka gw udah kayak jalan rusak", "otaknya rusak", "pikiran numpuk kayak sampah",
                   "kerjaan numpuk", "tugas numpuk kayak sampah", "jalan hidup gak selalu mulus", "hati gw amblas",
                   "dompet bolong", "akhir bulan dompet kering", "kayak halte, cuma tempat singgah",
                   "jalan bareng doi", "jalan-jalan ke mall", "pikiran lagi macet", "otak macet", "playlist rusak"]
S["pol"] = ["gubernur", "pak Pramono", "Anies", "Ahok", "Jokowi", "pemerintah pusat", "DPRD", "DPR", "pak presiden",
            "walikota", "pejabat", "Prabowo", "pemprov", "partai", "menteri PU", "KDM", "Rano Karno"]
S["agency"] = ["Polri", "TNI-Polri", "BPBD", "Pemprov DKI", "Dinas SDA", "Sudin LH Jaktim", "Satpol PP",
               "Pemkot Jakarta Barat", "Basarnas", "Damkar", "Brimob", "relawan PMI", "DLH DKI", "Pasukan Oranye",
               "Dinas Bina Marga", "Polres Metro Depok", "Pemkot Bekasi", "Kemensos", "Baznas", "Grab", "Gojek"]
S["cs"] = ["Terima kasih atas laporannya, Sobat. Tim kami akan menindaklanjuti secepatnya ya ^{ini}",
           "Sobat, untuk perjalanan ke {halte} bisa gunakan layanan {rute} lalu pindah di {halte}. Salam ^{ini}",
           "Pagi Sobat, keluhanmu sudah tercatat dengan nomor {tiket}, mohon ditunggu kabar selanjutnya ^{ini}",
           "Info jadwal dan rute lengkap tersedia di aplikasi resmi kami ya Sobat. Salam hangat ^{ini}",
           "Sobat, perjalanan KRL terakhir tujuan {city} berangkat pukul 23.05. Cek jadwal lain di aplikasi ya",
           "Kami mohon maaf untuk pengalaman kurang nyaman ini, masukanmu jadi bahan evaluasi kami ^{ini}",
           "Halo, agar bisa kami bantu cek, kirimkan ID pelanggan melalui pesan langsung ya -{ini}",
           "Masukan sudah kami sampaikan ke petugas di lapangan, terima kasih sudah mengingatkan ^{ini}"]
S["ini"] = ["LN", "KR", "YF", "DK", "TS", "DA", "RA", "MP", "AS"]
S["tiket"] = ["402484", "281987", "TW250429", "551023", "773410", "190554"]
S["promo"] = [
    "WTS tiket konser {area} COD area {halte}, harga nego", "open jastip, COD di halte {halte} atau stasiun krl",
    "jual rumah bebas banjir di {city}, SHM, hubungi 0812xxxx", "promo akhir bulan diskon 50%! cek link di bio",
    "slot gacor hari ini banjir scatter, deposit 50rb wd jutaan", "daftar sekarang dapat bonus 100% link di bio",
    "sewa kamera murah area {area}, COD stasiun", "kos murah dekat halte {halte}, 1,2jt/bulan, wifi AC",
    "jasa sedot WC dan saluran mampet 24 jam area {area} hub 0813xxx",
    "jasa angkut sampah dan puing bangunan murah area {area}", "jasa tambal jalan dan pengaspalan, hubungi kami",
    "WTB kartu jaklingko edisi lama, yang punya DM ya", "dijual motor bekas pajak hidup, COD {area}",
    "hotel dekat stasiun dan halte busway, booking sekarang!", "giveaway saldo emoney 100rb, RT dan follow",
]
S["filler"] = [
    "pagi tadi", "td pagi abis nganter anak sekolah", "lagi nunggu ojol", "abis pulang kerja", "sumpah ya",
    "jujur gw bingung", "gw baru bangun", "udah lah capek", "hari senin emang berat", "baru sampe rumah",
    "lagi makan siang", "btw", "eh guys", "kemarin gw pulang dari kantor", "habis hujan deres",
    "lagi di jalan mau ke kantor", "ini serius", "maaf numpang curhat", "barusan banget", "info aja nih",
    "ya gitu deh", "haduh", "kocak", "asli", "gak ngerti lagi", "ya allah", "sedih banget", "untung aja",
    "dari dulu begini", "gw cuma mau bilang", "fyi", "nih ya", "capek banget hari ini", "lagi gabut",
    "pas mau berangkat kerja", "waktu pulang tadi", "tadi abis dari pasar", "mana lagi hujan",
    "anak gw lagi sakit", "lagi ramadan pula", "udah malem", "terus ya", "wkwkwk", "hmm", "tolol emang",
]
# fmt: on


# -- frames -------------------------------------------------------------------------------------------------------
def _frames() -> dict[str, list[str]]:
    flood = [
        "{place} {flood_p} {dur} {feel} {ask}",
        "{time} {place} {flood_p}, {flood_imp}. {ask}",
        "{feel}, {flood_p} di {place}. {flood_imp} {emo}",
        "{handle_city} {flood_p} di {place} {dur}, {ask}",
        "lapor {who}, {flood_p} di {place}. {flood_imp}. mohon dibantu. trims",
        "Dengan hormat, kami warga {area} {rtrw} melaporkan bahwa wilayah kami {flood_p} sejak {time}. "
        "{flood_imp}. Mohon Dinas SDA segera mengerahkan pompa. Terima kasih.",
        "Yth. {who}, saluran air di {place} tersumbat sehingga air meluap ke rumah warga setiap hujan. "
        "Mohon dilakukan pengerukan.",
        "tolong evakuasi di {place}, {flood_p}, {flood_imp}. ada balita sama lansia {emo}",
        "{place} {flood_p} lagi. tiap hujan dikit langsung begini {feel}",
        "hujan sejam doang {place} udah {flood_p} {emo}",
        "update {time}: {street} {flood_p}, ketinggian air {n} cm, kendaraan tidak bisa melintas",
        "{street} arah {area} tergenang {n} cm, motor banyak yang mogok",
        "{place} terendam banjir {n} cm {time}. {flood_imp}",
        "Banjir setinggi {n} cm merendam permukiman warga di {area} {time}",

        "rumah gw di {area} kebanjiran lagi {emo} {flood_imp}",
        "got depan rumah mampet, tiap hujan air masuk rumah. {ask} {handle_city}",
        "pompa di {area} mati pas hujan deres jadi {flood_p} {ask}",
        "{city} {flood_p}, {flood_imp} {emo}",
        "{flood_p} {place} #banjirjakarta",
        "kali {area} meluap, air masuk ke {rtrw} {emo} {ask}",
        "bang ini air makin naik di {place}, udah {n} cm, gimana ini {emo}",
        "di {place} air udah setinggi {n} cm, jalan gak bisa dilewatin",
        "genangan di {street} gak surut-surut {dur}, padahal hujan udah berhenti. drainase jelek",
        "banjir gara-gara got mampet penuh sampah di {place}. {ask}",
        "rob lagi di {area}, air laut masuk permukiman {dur} {feel}",
        "BSK {place}, {flood_p}, mohon info posko terdekat",
        "pas hujan deres tadi {place} {flood_p}, {flood_imp}",
        "Bencana banjir melanda {city} {time}, {flood_imp}", "hujan semalaman, {city} terendam lagi pagi ini",
        "Banjir merendam permukiman warga di {area}, ketinggian air mencapai {n} cm",
        "Dikepung banjir, warga {area} terpaksa mengungsi", "Banjir bandang melanda {city}, rumah warga terendam",

        "{street} masih tergenang {n} cm, kendaraan diimbau mencari jalan lain",
        "semalem beberes karena air masuk rumah, {city} keos banget kalau hujan",
        "rumah gw kena banjir sampe sebetis, tahun lalu gak pernah. drainase jelek banget",
        "{handle_any} banjir setinggi ini gak masuk berita? {pol} ke mana", "{pol} ke mana? {city} banjir lagi, rumah warga terendam",
        "udah {n} tahun banjir terus di {city}, apa yang udah dilakukan pemerintah?",
        "air naik lagi di {area}, suara ambulan dari tadi {emo}", "{city} banjir", "{area} banjir lagi {emo}",
        "takut banjir masuk rumah, air udah sampe teras {emo}", "tolong bantu evakuasi keluarga temen gw kejebak banjir di {area}",
        "mobil-mobil terendam banjir di {area}, jalan lumpuh", "sawah dan rumah warga terendam banjir kiriman",
        "{filler}, rumah gw kebanjiran lagi, {flood_imp}", "ini banjir di {area} udah {n} cm dan terus naik, {ask}",
        "kami sekeluarga kejebak di lantai 2, air udah {n} cm, butuh perahu {handle_city}",
        "tadinya gak pernah banjir, sekarang rumah kena banjir sampe {n} cm. drainasenya jelek",
        "genangan di perempatan {area} tiap hujan, motor mogok semua", "Banjir menggenangi pasar {area}, pedagang merugi",
        "rumah warga di bantaran kali {area} terendam sejak subuh",
        "{time} #Liputan air belum surut di {street}, tingginya sekitar {n} cm", "{city} diterjang banjir dan tanah longsor, akses jalan putus total",
        "Banjir bandang terjang {city}, satu warga terseret arus",
        "Detik-detik air banjir masuk ke permukiman {area}", "Kali {area} meluap, ratusan rumah terendam",
        "Luapan kali merendam {street}, lalu lintas lumpuh", "Genangan setinggi {n} cm di underpass {area}, kendaraan putar balik",
        "Hujan deras sejak malam, {area} dan {area} terendam banjir", "Banjir kembali melanda {city}, warga mengeluh tak kunjung surut",
        "BPBD catat {n} RT terendam banjir di Jakarta Timur, ketinggian hingga {n} cm", "tinggi muka air pintu air Manggarai siaga 2, {area} mulai tergenang",
        "stadion {area} ikut terendam banjir, laga ditunda", "Banjir melanda {city} dini hari, kiriman dari Bogor lewat kali",
        "Rumah terendam banjir, barang-barang jadi korban. PR buat pemerintah",
    ]
    garbage = [
        "{place} {garb_p} {dur} {feel} {ask}",
        "{garb_p} di {place} {dur}, {garb_imp}. {ask}",
        "{handle_city} {garb_p} di {place} {dur}. {ask}",
        "lapor {who}, {garb_p} di {place}. {garb_imp}. mohon diangkut. trims",
        "Dengan hormat, kami warga {area} {rtrw} mengeluhkan sampah yang tidak diangkut {dur}. "
        "{garb_imp}. Mohon Dinas Lingkungan Hidup segera menindaklanjuti.",
        "Yth. {who}, terdapat tempat pembuangan sampah liar di {place}. Mohon ditertibkan.",
        "{feel} {garb_p} {mine}, {garb_imp} {emo}",
        "tiap pagi ada yang buang sampah sembarangan di {place}, {garb_imp}",
        "tetangga bakar sampah tiap sore asapnya masuk rumah {feel} {ask}",
        "TPS {area} udah penuh banget, sampah sampai ke jalan {dur} {emo}",
        "truk sampah gak lewat {dur} di {place}, {garb_imp}",
        "kali di {area} penuh sampah plastik, {garb_imp}. {ask}",

        "Tumpukan sampah di {place} tak kunjung diangkut, warga resah",
        "bau sampah dari TPS {area} nyengat banget {dur} {ask}",
        "{garb_p} di pinggir {street}, {garb_imp} {ask}",
        "sampah2 numpuk di {place} #jakartabersih {handle_city}",
        "ada orang buang kasur sama sampah di trotoar {street}, {ask}",
        "got di {place} penuh sampah, belum banjir sih tapi {garb_imp}. {ask}",
        "petugas kebersihan gak dateng {dur}, sampah di {rtrw} {area} numpuk",
        "{city}: {garb_p} di pasar, {garb_imp}",
        "[VIDEO] tumpukan sampah liar menutup separuh jalan di {area}",
        "sampah kerap menumpuk di pantai {area}, warga minta diangkut rutin", "tumpukan sampah di jembatan {street} bikin bau",
        "sampah medis menumpuk di puskesmas {area}, jorok banget", "pasca banjir sampah menumpuk di {area} dan bau, {ask}",
        "gak ada pengangkutan sampah di kampung gw, terpaksa dibakar sendiri", "sampah di kali {area} numpuk, bau banget {emo}",
        "mohon perhatiannya sampah yang menumpuk di kali {area}, berpotensi banjir",
        "{filler}, sampah di depan gang {area} numpuk lagi, baunya kemana-mana", "kenapa sampah di {street} gak pernah diangkut sih {feel}",
        "ada yang buang sampah bungkusan plastik tiap malem di lahan kosong {area}", "sampah bekas banjir belum diangkut {dur}, bau banget",
        "aduan saya soal tumpukan sampah di tepi jalan malah ditutup kelurahan, padahal sampahnya masih ada",
        "Tumpukan sampah di jalur irigasi {area} bikin aliran tersumbat dan bau",
        "Sampah menumpuk di pinggir {street}, pejabat geram", "Pembuangan sampah liar di jembatan {area} bikin bau dan ganggu jalan",
        "di {area} sampah menumpuk tak kunjung diangkut {dur}", "stadion penuh sampah abis pertandingan, jorok",
    ]
    road = [
        "{place} {road_p} {dur} {feel} {ask}",
        "{road_p} di {place}, {road_imp}. {ask}",
        "{handle_city} {road_p} di {place} {dur}. {ask}",
        "lapor {who}, {road_p} di {place}, {road_imp}. mohon diperbaiki",
        "Dengan hormat, kami melaporkan kerusakan jalan di {street} {area} berupa {road_p}. "
        "{road_imp}. Mohon Dinas Bina Marga segera memperbaiki.",
        "Yth. {who}, {road_p} di {place} sudah lama tidak diperbaiki dan membahayakan pengguna jalan.",
        "jalan {mine} rusak parah, {road_imp} {emo}",
        "{feel} {road_p} {mine}, {road_imp}",
        "{street} {road_p}, hati-hati yang lewat, {road_imp}",
        "udah {road_imp} di {place} gara-gara {road_p}, kapan diperbaiki {who}?",
        "pajak naik terus tapi {road_p} di {place} dibiarin {dur} {feel}",
        "lubang di {street} makin gede {dur}, {road_imp} {ask}",
        "trotoar di {place} rusak, pejalan kaki harus turun ke jalan. {ask}",
        "jembatan di {area} retak, takut ambrol {ask}",
        "tutup gorong-gorong di {street} hilang, bolong di tengah jalan. bahaya {ask}",
        "bekas galian kabel di {place} gak ditutup lagi, {road_imp}",
        "Jalan rusak parah di {street} {area} dikeluhkan warga, {road_imp}",
        "{road_p} {place} #jalanrusak {handle_city}",
        "{city} {road_p} dimana-mana, {road_imp} {emo}",
        "jalan amblas di {street} dekat {area} sedalam {n} cm, {ask}",
        "jembatan rusak, anak-anak harus memutar jalan ke sekolah",
        "{handle_city} mohon jalan di {place} segera diperbaiki, gelap dan rusak, rawan kecelakaan",

        "sejak serah terima ke pemda jalan komplek gak pernah diperbaiki, rusak semua",
        "kendaraan dipajakin tapi jalan rusak didiemin, ban motor gw sampe bocor",
        "jalan di desa gw rusak dari 2010 sampe sekarang gak diperbaiki", "lalu lintas padat imbas jalan berlubang di {street}",
        "{filler}, jalanan rusak parah di {area}, korban udah banyak yang jatuh", "pajak kendaraan bayar terus tapi jalan {mine} bolong-bolong",
        "jalan depan kantor kelurahan {area} aja rusak, gimana yang lain", "tiap hari lewat jalan rusak di {street}, motor gw sampe rusak",
        "Kondisi memprihatinkan, jalan di {area} puluhan tahun tak diperbaiki",
        "Jalan rusak parah di {city}, warga desak pemda bertindak", "Jembatan rusak, warga {area} harus memutar jauh",
    ]
    tj = [
        "{handle_tj} {tj_p} {feel} {ask}",
        "{tj_p} {dur} {feel} {emo}",
        "min {handle_tj} {tj_p}, {ask}",
        "{time} {tj_p}, telat ngantor lagi {feel}",
        "{feel} {tj_p} {emo}",
        "Yth. Transjakarta, {tj_p} di halte {halte} {time}. Mohon dievaluasi.",
        "Dengan hormat, saya pengguna {tj} {rute} ingin menyampaikan keluhan: {tj_p}. Mohon perbaikan layanan.",
        "udah {n} menit di halte {halte} {tj} gak dateng2 {handle_tj} {emo}",
        "{handle_tj} tolong dong {rute} ditambah armadanya, antrian di halte {halte} udah kayak ular",
        "pramudi {rute} ugal-ugalan, penumpang sampe jatuh {handle_tj}",
        "busway di {street} diterobos mobil pribadi terus, {tj} jadi ketahan {feel}",
        "kenapa saldo gw kepotong 2x pas naik {tj}? {handle_tj}",
        "halte {halte} jorok, bau pesing, lampunya mati {handle_tj}",

        "berdiri sejam di {tj} {rute}, AC mati {emo}",
        "sopir jaklingko {rute} marah-marah ke penumpang {feel} {handle_tj}",
        "antrian tap in halte {halte} parah banget pas jam pulang {handle_tj}",

        "sejam berdiri di {tj}, pegel {emo}",
        "ini koridor kenapa sih tiap hari gangguan {handle_tj}",
        "fitur di aplikasi jaklingko error terus udah {dur}", "antrian {tj} ke {city} gila panjangnya",
        "diomelin supir jaklingko cuma karena nanya rute {emo}", "{tj} gak ngejangkau semua tempat, disuruh jalan kaki jauh {feel}",
        "tolong {tj} kalau jam sibuk ditambah armadanya",

        "AC {tj} {rute} gak dingin sama sekali, kayak sauna", "kapan {rute} beroperasi lagi? udah {dur} gak ada",
        "{filler}, {tj} {rute} ngaret lagi, nunggu {n} menit di halte {halte}",
        "sopir jaklingko nurunin gw jauh dari tujuan padahal udah bilang", "{tj} lewat doang padahal gw udah lambai-lambai di bus stop",
        "fitur cash out jaklingko error terus {dur}", "kemana aja {rute} arah {halte}? antri panjang banget",
    ]
    other = [
        "{place} {oth_p} {dur} {feel} {ask}",
        "{oth_p} di {place}, {ask}",
        "{handle_other} {oth_p} {dur} {feel} {ask}",
        "{handle_city} {oth_p} di {place} {dur}. {ask}",
        "lapor {who}, {oth_p} di {place}. mohon ditindaklanjuti",
        "Dengan hormat, kami warga {area} melaporkan {oth_p} di lingkungan kami {dur}. Mohon ditindaklanjuti.",
        "Yth. {who}, {oth_p} di {place} sangat mengganggu warga. Mohon ditertibkan.",
        "{feel} {oth_p} {mine} {emo}",
        "{time} {oth_p} di {place} {feel}",
        "krl {time} telat {n} menit lagi, penumpang numpuk di peron {handle_other}",
        "{handle_other} kenapa krl arah Bogor gangguan terus {dur}? {feel}",
        "lampu jalan di {street} mati {dur}, gelap banget rawan begal {ask}",
        "macet parah di {street} gara-gara parkir liar {feel}",
        "stasiun Manggarai penuh sesak {time}, petugas gak ngatur {feel}",
        "{handle_other} listrik di {area} padam {dur} gak ada info {feel}",
        "air PAM di {area} mati {dur}, {ask} {handle_other}",
        "urus KTP di kelurahan {area} dipingpong terus {dur} {feel}",
        "ada pungli di {place}, diminta 50rb buat surat pengantar {feel}",
        "tetangga knalpot brong tiap malem {feel} {ask}",
        "banyak anjing liar di {place}, anak-anak takut keluar {ask}",
        "pohon tumbang di {street} nutup jalan {time}, {ask}",
        "kabel semrawut menjuntai di {street}, bahaya kena pengendara {ask}",
        "MRT gangguan {time}, nunggu {n} menit di stasiun Lebak Bulus {feel}",
        "PKL tutup trotoar {street}, pejalan kaki harus ke jalan {ask}",
        "lampu merah {area} mati {dur}, semrawut {feel}",
        "pabrik di {area} buang limbah ke kali, bau banget {ask}",
        "sering jambret di {place} malem-malem, {ask} polisi",
        "lampu merah {area} mati, jalan macet, gak ada yang ngatur", "lampu lalu lintas mati, jadi semrawut {emo}",
        "{handle_other} kok mati lampu lagi di {area}??? ada apa",
        "{handle_other} sinyal jelek banget sepanjang jalur kereta", "krl datang telat {n} menit, antrian di stasiun parah",
        "tiap malem lampu jalan di {street} mati, udah lapor ke RT gak dibenerin", "pohon tumbang nimpa motor di {street}",
        "iuran naik tapi lampu jalan sering mati, {feel}",
        "{handle_other} iklan di krl nutupin jendela, tolong dipertimbangkan", "listrik padam dari sore, kulkas udah bau {handle_other}",
        "{filler}, lampu lalu lintas di {area} mati, polisi gak ada, semrawut banget", "mati lampu lagi di {area}?? ada apa {handle_other}",
        "{handle_other} jalan {street} mati lampu lagi, gelap gulita", "rambu lalu lintas rusak di {street}, bahaya",
        "krl ngaret parah, antrean jaklingko mengular sampai parkiran",
    ]
    neg = [
        # metaphors and jokes
        "alhamdulillah {meta_flood} hari ini {emo}", "{meta_flood} terus nih minggu ini, syukurin aja",
        "lagi {meta_flood} guys, makasih ya semuanya {emo}", "{meta_other} {emo}", "{feel} {meta_other}",
        "akhir bulan tapi {meta_flood} {emo}", "{meta_other}, bukan jalanan doang yang rusak wkwk",
        "olshop gw {meta_flood} pas harbolnas", "nonton drakor {meta_flood} {emo}",
        "{meta_other} wkwkwk", "kapan ya gw {meta_flood} kayak dia", "toko sebelah {meta_flood}",
        "hari ini gw naik {tj} ke kantor, nyaman banget", "otw {halte} naik {tj} {emo}",
        "ketemu crush di {tj} {emo}", "ketiduran di {tj} sampe kelewatan halte wkwk",
        "TJ itu Travis Japan ya bukan transjakarta", "pengen jalan-jalan ke {area} naik jaklingko",
        "gw sama doi kayak halte sama bus, cuma singgah", "abis naik krl ke {city} seru juga",
        # praise
        "makasih {who}, {street} udah diaspal mulus sekarang {emo}", "salut sama {agency} gercep banget {emo}",
        "{tj} sekarang bersih dan nyaman, mantap {handle_tj}", "terima kasih petugas kebersihan {area} {emo}",
        "pramudi {rute} ramah banget, semoga sehat selalu pak {emo}", "pelayanan di kelurahan {area} cepet, salut",
        "akhirnya jalan {mine} dibenerin, makasih pak RT", "alhamdulillah {area} gak banjir tahun ini",
        "TJ {rute} AC nya dingin, pramudinya ramah, bintang 5", "keren {agency}, sigap bantu warga {emo}",
        # questions without a problem
        "min {handle_tj} rute ke {halte} dari {halte} naik apa ya?", "{handle_tj} min kalau ke {area} turun halte mana?",
        "tarif {tj} sekarang berapa sih?", "naik mikrotrans bayarnya pakai kartu apa ya?",
        "ada yang tau {area} banjir gak sekarang?",
        "{area} banjir gak nih? mau lewat", "kalau mau bikin KTP di {area} syaratnya apa aja?",
        "ada rekomendasi kos dekat halte {halte}?", "yang tinggal di {area}, aman kan?",
        "{street} lancar gak sore ini?", "naik apa ya dari {area} ke {area} yang paling murah?",
        # news about aid, events, government action

        "{agency} salurkan bantuan sembako untuk korban banjir di {city}",
        "{agency} bagikan makanan dan obat-obatan untuk pengungsi banjir di {area}",
        "Gubernur meninjau pintu air Manggarai dan memastikan pompa siaga menghadapi musim hujan",
        "{agency} gelar kerja bakti bersihkan sampah di kali {area}",
        "{agency} perbaiki jalan rusak di {area}, ditargetkan rampung bulan depan",
        "Pemprov DKI anggarkan Rp {n} miliar untuk perbaikan jalan dan saluran tahun depan",
        "Transjakarta buka rute baru {rute} mulai {day}, tarif Rp3.500",
        "#INFOTRANSJAKARTA | Rute {rute} mengalami pengalihan terkait penutupan jalan di sekitar {area}",
        "{agency} kerahkan personel untuk membantu warga terdampak banjir di {city}, salut {emo}",
        "trauma healing untuk anak-anak korban banjir di {city} oleh {agency}",
        "BMKG: waspada hujan lebat disertai angin kencang di Jabodetabek {time}",
        "BPBD imbau warga di bantaran kali waspada potensi banjir {day} ini",
        "Pemkot targetkan {area} bebas sampah tahun 2026 lewat program bank sampah",


        "Lalu lintas di {street} ramai lancar {time} @TMCPoldaMetro",
        "{time} #LalinSonora arus {street} arah {area} padat merayap, ramai lancar selepas {area}",
        "Festival kuliner di {area} {day} ini, gratis masuk!", "car free day di Bundaran HI {day} pagi ramai banget",
        "posko banjir {area} butuh donasi pakaian dan popok bayi, yuk bantu", "open donasi untuk korban banjir {city}",
        "seminar pengelolaan sampah plastik di kampus {area}, daftar gratis",
        # politics and opinion
        "{pol} gak becus urus Jakarta, banjir mulu tiap tahun", "banjir itu bukan salah {pol}, salah kita juga buang sampah sembarangan",
        "dulu zaman {pol} Jakarta gak banjir, sekarang?", "{pol} cuma pencitraan, turun ke lokasi banjir buat foto doang",
        "pajak naik terus tapi jalan rusak dimana-mana, negara ini kenapa sih", "{pol} sibuk urus partai bukan rakyat",


        "urusan banjir ibukota katanya tanggung jawab pusat, kata {pol} dulu", "{pol} dan {pol} sama aja, rakyat kecil yang susah",
        "kalau {pol} berani turun ke lapangan baru gw percaya", "indonesia butuh pemimpin yang kerja bukan cuma ngomong",
        "masalah banjir Jakarta butuh kerja sama semua pihak, bukan saling menyalahkan",
        "kebijakan ganjil genap gak efektif menurut gw", "harusnya anggaran DPR dipotong buat guru",
        "{pol} tolol, goblok semua pejabat negeri ini", "dasar cebong kampret sama aja",
        "korupsi itu akar masalah jalan rusak dan pendidikan gak merata",
        # hypotheticals, prayers, sympathy
        "semoga {area} gak banjir ya Allah",
        "stay safe buat warga {city} yang kena banjir {emo}", "hati-hati yang di jalan, hujan deres",
        "ikut sedih liat warga {city} kebanjiran, moga airnya lekas turun", "kalau hujan terus bisa banjir nih",
        "jangan lupa bawa payung, mendung banget {area}", "kasian warga {city}, semoga bantuan cepat datang",
        # tips, education
        "cara mencegah banjir: jangan buang sampah sembarangan, bersihkan saluran air secara rutin",
        "yuk pilah sampah dari rumah, kurangi plastik sekali pakai", "tips naik {tj} pas jam sibuk: datang lebih pagi",
        "fakta: jalan beton lebih awet dari aspal", "sampah plastik butuh ratusan tahun untuk terurai",
        # everyday chatter
        "lagi di {area} nih, ada yang mau ngopi?", "mau ke {area} naik krl aja ah", "kangen Jakarta {emo}",
        "hujan-hujan gini enaknya makan mie", "anjir kucing gw lucu banget", "selamat pagi warga {area}!",
        "nonton bola di {area} rame banget", "besok libur gak sih?", "capek kerja pengen liburan",
        "sore ini mendung di {area} enak buat tidur", "gw baru pindah ke {area}, ada rekomendasi makanan?",
        "jalan kaki dari {halte} ke kantor sehat juga", "pengalaman pertama naik MRT, keren juga",
        "udah lama gak naik busway, kangen", "lagi antri di halte sambil dengerin lagu {emo}",
        "{handle_any} wkwkwk bener banget", "{handle_any} setuju bang", "{handle_any} hahaha ada ada aja",
        "gw jadi inget dulu kecil main banjir-banjiran sama temen", "rindu masa kecil di {area}",
        # operator replies
        "{cs}", "{cs}",
        # promotions
        "{promo}", "{promo}",
        # news without a concrete problem / aftermath
        "Banjir di {area} sudah surut, warga mulai membersihkan rumah", "Genangan di {street} sudah surut {time}",
        "Sejarah banjir besar Jakarta 2007 dan 2020, apa bedanya?", "Penyebab banjir Jakarta menurut pakar tata kota",
        "Harga cabai naik jelang Ramadan", "Persija menang 2-0 di GBK {day} malam", "Jakarta Fair dibuka {day} ini",
        "{pol} itu sampah", "rezim sampah", "dasar sampah masyarakat", "omongan lu sampah", "politisi sampah semua",
        "sampah masyarakat kayak lu gak usah komen", "kebiasaan buang sampah sembarangan itu budaya kita yang harus diubah",
        "edukasi sampah sejak dini penting", "bank sampah di {area} bisa jadi contoh", "ayo kurangi sampah plastik",
        "{agency} bersihkan sampah dan lumpur sisa banjir di {area}",
        "Petugas membersihkan sampah yang menumpuk di pesisir {area}", "pemkot siapkan TPA baru untuk atasi sampah",
        "Bupati janji perbaiki jalan rusak di {city} tahun depan", "warga gotong royong tambal jalan berlubang",


        "pajak kita buat apa? jalan rusak, sekolah rusak, {pol} tidur", "korupsi bikin jalan rusak dimana-mana",
        "{pol} gak pernah lewat jalan rusak, naik heli terus", "mendingan jalan tol atau perbaiki jalan kampung? menurut gw jalan kampung",
        "Evakuasi pohon tumbang di {city} oleh {agency}",
        "{agency} tangani pohon tumbang di jalan, lalu lintas kembali normal", "pohon tumbang di film itu serem banget",
        "personel gabungan evakuasi warga terdampak banjir di {area}, termasuk pasien cuci darah",

        "Gubernur bertakziah ke rumah korban banjir di {area}",
        "life after banjir lebih capek, bersihin lumpur seharian", "banjir ini salah {pol}, bukan salah hujan",
        "banjir Jakarta bukan kewenangan pemda, kata {pol}",
        "{pol} pamer nginep di hotel pas warganya kebanjiran", "semoga {city} cepat surut ya, stay safe semua",
        "bantuan buat korban banjir udah dikirim tapi kehalang di tol", "BNPB pantau penanganan darurat banjir di Jabodetabek",
        "open donasi buat korban banjir {city}, kampus jadi tempat pengungsian",
        "naik {tj} ke {halte} terus jalan kaki, enak juga", "kangen supir jaklingko yang ramah",
        "ketemu temen lama di {tj} {emo}", "ketiduran di {tj} sampai kelewatan dua halte", "lagi di jaklingko nahan ngantuk",
        "{handle_tj} min jaklingko {rute} lancar gak ya?",
        "Transjakarta dari Jakarta ke {city} udah ada, tinggal tambah halte", "jaklingko itu contoh angkot yang bagus, daerah lain harus niru",
        "JakLingko laut juga dibutuhin warga pulau",
        "kalau ke {area} enaknya naik krl atau tj?",
        "kereta cepat Jakarta-Bandung utangnya gede", "Warga Jabodetabek ayo datang ke KAI Expo", "kereta baru enak banget, bersih gak berisik",
        "wtb tiket konser, cod stasiun krl",
        "mati lampu pas lagi catokan rambut wkwk", "lampu kamar mati enaknya tidur", "lampu rem mobil depan mati, untung gw jaga jarak",
        "{pol} kerjanya cuma duduk doang", "pejabat korup semua, rakyat yang susah", "presiden 2 periode aja gak becus",
        "gw lahir dan besar di Jakarta, emang Jakarta gitu", "Jakarta kalau malem indah banget", "kangen suasana {area} pas lebaran",
        "polisi ngatur jalan pas mudik, rispek", "nyetir malem-malem pas hujan deres ngeri juga ya",
        "USER USER lu siapa sih ngatur-ngatur", "dasar bego lu", "idol gw ganteng banget {emo}", "persib vs persija panas banget",
        "selamat ulang tahun kak {emo}", "hari ini gw gajian yeay", "yang penting sehat", "gak ngerti lagi sama netizen",
        "gak suka liat barang menumpuk kayak sampah gitu", "sampah menumpuk di badanku abis lebaran wkwk",
        "kerjaan numpuk kayak sampah, pengen resign", "{pol} itu sampah demokrasi", "sampah sampah politik muncul lagi jelang pemilu",
        "kadrun sama cebong sama-sama sampah", "dasar netizen sampah", "lagu ini sampah banget sumpah",
        "gimana ya rasanya nyetir di jalan rusak, mau coba motor trail", "mobil ini suspensinya enak buat jalan rusak",
        "jalan rusak itu ujian kesabaran katanya wkwk", "{agency} himbau pengendara hati-hati melintas di jembatan",
        "beli mobil yang cocok buat jalan rusak apa ya?", "review ban motor buat jalan berlubang, recommended",
        "lampu jalan mati gak bikin gw takut pulang malem", "kemarin lewat jalan sepi, lampu jalan mati, untung aman, tumben gak macet",
        "demo di sekitar DPR masih berlangsung, hindari kawasan {area}", "update demo: massa bergerak ke {area}",
        "ikut berduka buat yang rumahnya kena banjir, semoga diberi kesabaran", "apa cukup parah kena banjirnya? semoga cepat pulih",
        "banjir kemarin bikin acara di stadion dibatalin, kecewa tapi ya gimana", "banjir udah surut, sekarang tinggal bersih-bersih lumpur",
        "pintu air sudah dibuka, pompa siaga, bantuan sudah disalurkan. mantap pak gub", "alhamdulillah Jakarta relatif aman dari banjir tahun ini",
        "jangan salahin pemerintah terus, banjir itu juga karena kita buang sampah sembarangan", "ini banjir kiriman dari bogor, bukan salah Jakarta",
        "Tonton diskusi soal banjir Jakarta malam ini di TV #banjir #banjirjakarta", "hujan deres banget di {area}, semoga gak banjir",
        "coba warga daerah lain naik transportasi umum kayak jaklingko",
        "jaklingko adain kursi khusus dong buat ibu hamil, usul aja", "sistem jaklingko bisa dicontoh kota lain",
        "tiap buka twitter ada aja berita soal koridor", "akhirnya TJ balik lagi ke rute lama", "kantor gw di TJ Priok, tiap hari denger klakson truk wkwk",
        "cara naik jaklingko buat pemula: tap kartu, duduk, bilang turun",
        "kereta cepat enak tapi mahal", "naik kereta ke {city} 12 jam, capek tapi seru", "hari ini kereta sepi, enak banget",
        "polisi periksa warga yang membobol tembok saat banjir", "posko pengungsian di kantor kelurahan {area} buka 24 jam",
        "warga {area} kerja bakti bersihkan got sebelum musim hujan", "Pemkot bagikan tong sampah gratis ke warga {area}",
        "siapa yang mau ikut clean up di pantai {area} {day} ini?", "pandawara bersihin sungai lagi, salut {emo}",
        "anak-anak main air pas banjir, seru katanya", "{pol} blusukan ke lokasi banjir, warga minta foto",
        "mau pindah ke {area}, daerah sana banjir gak ya?", "nyari kontrakan bebas banjir di {area}, ada info?",
    ]
    return {FLOOD: flood, GARBAGE: garbage, DAMAGED_ROAD: road, TRANSJAKARTA: tj, OTHER: other, NOT_COMPLAINT: neg}


# -- expansion and noise -------------------------------------------------------------------------------------------
_SLOT = re.compile(r"\{(\w+)\}")
_GROUP = re.compile(r"\[([^\[\]]*)\]")


def expand(template: str, rng: random.Random, depth: int = 0) -> str:
    """Fill ``{slot}`` from :data:`S` (recursively) and choose one alternative of each ``[a|b|]`` group."""
    text = template
    while True:
        m = _GROUP.search(text)
        if not m:
            break
        text = text[: m.start()] + rng.choice(m.group(1).split("|")) + text[m.end():]
    if depth > 4:
        return text
    return _SLOT.sub(lambda m: expand(rng.choice(S[m.group(1)]), rng, depth + 1), text)


#: Formal word -> ways people type it (the first is the word itself, so it is often kept).
_INFORMAL: dict[str, list[str]] = {
    "yang": ["yang", "yg", "yg"], "tidak": ["tidak", "gak", "ga", "gk", "nggak", "kagak", "tdk"],
    "gak": ["gak", "ga", "gk", "ngga", "nggak"], "sudah": ["sudah", "udah", "udh", "sdh", "dah"],
    "udah": ["udah", "udh", "dah", "uda"], "banget": ["banget", "bgt", "bngt", "bener"],
    "jalan": ["jalan", "jln", "jl", "jalan"], "dengan": ["dengan", "dgn", "sama"], "tolong": ["tolong", "tlg", "tolongg"],
    "sekarang": ["sekarang", "skrg", "skrang"], "kenapa": ["kenapa", "knp", "napa", "kenapa sih"],
    "rumah": ["rumah", "rmh", "rumah"], "karena": ["karena", "krn", "karna", "gara2"], "untuk": ["untuk", "utk", "buat"],
    "sampah": ["sampah", "sampah", "smph"], "banjir": ["banjir", "banjir", "banjir", "bnjr", "BANJIR"],
    "lagi": ["lagi", "lg", "lagii"], "terus": ["terus", "trs", "mulu"], "belum": ["belum", "blm", "belom"],
    "juga": ["juga", "jg"], "hari": ["hari", "hr"], "bisa": ["bisa", "bs"], "mohon": ["mohon", "mhn"],
    "kalau": ["kalau", "kalo", "klo"], "aja": ["aja", "aj", "doang"], "sama": ["sama", "sm", "ama"],
    "parah": ["parah", "parahhh", "parahh"], "transjakarta": ["transjakarta", "TJ", "tije", "Transjakarta"],
    "gimana": ["gimana", "gmn", "gmana"], "dari": ["dari", "dr", "dri"], "tapi": ["tapi", "tp", "tpi"],
    "saya": ["saya", "sy", "aku", "gue", "gw"], "gw": ["gw", "gue", "aku", "w"], "mau": ["mau", "mo", "pengen"],
}
_HASHTAGS = {
    FLOOD: ["#banjirjakarta", "#banjir", "#jakartabanjir", "#BanjirJakarta", "#infobanjir", "#PrayForJakarta"],
    GARBAGE: ["#sampah", "#jakartabersih", "#darurat_sampah", "#SampahJakarta"],
    DAMAGED_ROAD: ["#jalanrusak", "#JalanBerlubang", "#infrastruktur"],
    TRANSJAKARTA: ["#transjakarta", "#TJ", "#busway", "#naikTJ", "#jaklingko"],
    OTHER: ["#jakarta", "#krl", "#macet", "#infojakarta", "#pungli"],
    NOT_COMPLAINT: ["#jakarta", "#fyp", "#viral", "#info", "#banjir", "#WaspadaHadapiBencana", "#BeritaTerkini",
                    "#promo", "#transjakarta", "#JakartaKeren", "#SobatJaktim", "#news"],
}


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 5 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    if kind < 0.4:
        return word[:i] + word[i + 1:]
    if kind < 0.7:
        return word[:i] + word[i] * rng.randint(2, 4) + word[i + 1:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def noisy(text: str, label: str, rng: random.Random) -> str:
    """``text`` typed by a real person: some formal words swapped for slang, a typo or two, case, tags, links."""
    formal = text.startswith(("Dengan hormat", "Yth", "Hai Kak", "Selamat", "Halo Kak", "Mohon maaf", "#INFO"))
    slang = 0.0 if formal else rng.choice([0.0, 0.3, 0.6, 0.9])
    words = text.split(" ")
    out = []
    for w in words:
        key = w.lower()
        if key in _INFORMAL and rng.random() < slang:
            w = rng.choice(_INFORMAL[key])
        elif not formal and rng.random() < 0.03:
            w = _typo(w, rng)
        out.append(w)
    text = " ".join(w for w in out if w)
    r = rng.random()
    if not formal:
        if r < 0.5:
            text = text.lower()
        elif r < 0.56:
            text = text.upper()
    if rng.random() < 0.25:
        text += " " + rng.choice(_HASHTAGS[label])
        if rng.random() < 0.3:
            text += " " + rng.choice(_HASHTAGS[NOT_COMPLAINT])
    if rng.random() < 0.15:
        text = rng.choice(S["handle_any"]) + " " + text
    if rng.random() < 0.12:
        text += " https://t.co/" + "".join(rng.choice("abcdefghijkLMNOPQRS0123456789") for _ in range(10))
    if rng.random() < 0.15:
        text += " " + rng.choice(S["emo"]) * rng.randint(1, 3)
    return " ".join(text.split())


# -- driver ---------------------------------------------------------------------------------------------------------
#: How many messages of each label to write (not_complaint is what a harvester mostly sees).
QUOTA: dict[str, int] = {FLOOD: 900, GARBAGE: 800, DAMAGED_ROAD: 800, TRANSJAKARTA: 800, OTHER: 1000,
                         NOT_COMPLAINT: 1600}


def written(directory: Path = WRITTEN) -> list[dict[str, str]]:
    """The hand-written messages of ``directory/*.jsonl`` in file and line order; each is its own ``frame``."""
    rows: list[dict[str, str]] = []
    for path in sorted(directory.glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                rec = json.loads(line)
                text, label = " ".join(str(rec.get("text", "")).split()), rec.get("label")
                if not text or label not in LABELS:
                    raise ValueError(f"{path.name} line {n}: needs a text and one of the labels {list(LABELS)}")
                rows.append({"text": text, "label": label, "frame": f"written:{path.stem}:{n}"})
    return rows


def generate(seed: int = 13, quota: dict[str, int] | None = None, extra: Path | None = WRITTEN) -> list[dict[str, str]]:
    """Labelled examples ``{"text", "label", "frame"}``, deduplicated, in a seeded random order.

    ``frame`` names the frame a message was built from: training holds out whole frames for calibration, so the
    held-out messages are not near-copies of trained ones. ``extra``: a directory of hand-written messages to add
    (:func:`written`), ``None`` for the templated ones only.
    """
    rng = random.Random(seed)
    frames = _frames()
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    for label, count in (quota or QUOTA).items():
        made = tries = 0
        while made < count and tries < count * 20:
            tries += 1
            k = rng.randrange(len(frames[label]))
            core = expand(frames[label][k], rng)
            r = rng.random()
            if r < 0.2:
                core = f"{expand('{filler}', rng)}, {core}"
            elif r < 0.35:
                core = f"{core}. {expand('{filler}', rng)}"
            text = noisy(core, label, rng)
            if not text or text.lower() in seen:
                continue
            seen.add(text.lower())
            rows.append({"text": text, "label": label, "frame": f"{label}:{k}"})
            made += 1
    for row in written(extra) if extra is not None else ():
        if row["text"].lower() not in seen:
            seen.add(row["text"].lower())
            rows.append(row)
    rng.shuffle(rows)
    return rows


def write(rows: list[dict[str, str]], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None, echo: Callable[[str], None] = print) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = p.parse_args(argv)
    rows = generate(args.seed)
    write(rows, args.out)
    echo(f"wrote {len(rows)} examples to {args.out}")


if __name__ == "__main__":
    main()
