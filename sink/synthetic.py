"""Synthetic located messages, for benchmarks, demonstrations and tests of the desk (never for real data)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from pipeline.contract import LocatedMessage, Location

#: (kota code, kota, kecamatan code, kecamatan, kelurahan code, kelurahan, lat, lon)
AREAS: tuple[tuple[str, str, str, str, str, str, float, float], ...] = (
    ("31.71", "Kota Administrasi Jakarta Pusat", "31.71.01", "Gambir", "31.71.01.1001", "Gambir", -6.176, 106.822),
    ("31.71", "Kota Administrasi Jakarta Pusat", "31.71.01", "Gambir", "31.71.01.1002", "Cideng", -6.170, 106.810),
    ("31.74", "Kota Administrasi Jakarta Selatan", "31.74.05", "Mampang Prapatan", "31.74.05.1001", "Bangka",
     -6.262, 106.817),
    ("31.75", "Kota Administrasi Jakarta Timur", "31.75.01", "Matraman", "31.75.01.1001", "Pisangan Baru",
     -6.212, 106.866),
    ("31.01", "Kabupaten Administrasi Kepulauan Seribu", "31.01.01", "Kepulauan Seribu Selatan",
     "31.01.01.1001", "Pulau Tidung", -5.797, 106.500),
)
TEXTS: dict[str, tuple[str, ...]] = {
    "flood": ("banjir setinggi 50 cm di jalan {n}", "got mampet air tergenang di gang {n}"),
    "garbage": ("sampah menumpuk di TPS {n} tidak diangkut", "bau sampah di pinggir kali {n}"),
    "damaged_road": ("jalan berlubang besar di Jl {n}", "aspal amblas dekat jembatan {n}"),
    "transjakarta": ("bus transjakarta koridor {n} telat 40 menit", "halte TJ {n} rusak"),
    "other": ("lampu jalan mati di gang {n}", "parkir liar bikin macet di Jl {n}", "pelayanan KTP lambat {n}"),
    "not_complaint": ("banjir orderan hari ini {n} alhamdulillah",),
}
CHANNELS = ("twitter", "sms", "app", "email", "telegram")


def synthetic_messages(n: int, *, seed: int = 6, start: datetime | None = None, prefix: str = "syn",
                       days: int = 28) -> Iterator[LocatedMessage]:
    """``n`` varied, reproducible located messages spread over ``days`` days from ``start``."""
    rnd = random.Random(seed)
    start = start or datetime(2026, 11, 1, tzinfo=UTC)
    cats = list(TEXTS)
    for i in range(n):
        cat = cats[rnd.randrange(len(cats))]
        kc, kn, kec, kecn, kel, keln, lat, lon = AREAS[rnd.randrange(len(AREAS))]
        posted = start + timedelta(seconds=rnd.randrange(days * 86400))
        text = rnd.choice(TEXTS[cat]).format(n=i % 97)
        channel = CHANNELS[i % len(CHANNELS)]
        yield LocatedMessage(
            message_id=f"{channel}:{prefix}-{i}", channel=channel, text=text,
            author_ref=f"author-{rnd.randrange(max(1, n // 3))}", posted_at=posted, received_at=posted,
            media=(f"https://img.example/{i}.jpg",) if i % 4 == 0 else (), raw={"synthetic": i},
            category=cat, scores={cat: 0.9}, confidence=0.9, model_version="clf-syn", geocoder_version="geo-syn",
            location=Location(precision="kelurahan", lat=lat + rnd.uniform(-0.004, 0.004),
                              lon=lon + rnd.uniform(-0.004, 0.004), kota_code=kc, kota_name=kn,
                              kecamatan_code=kec, kecamatan_name=kecn, kelurahan_code=kel, kelurahan_name=keln,
                              method="gazetteer"),
        )
