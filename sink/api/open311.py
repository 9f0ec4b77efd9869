"""Open311 GeoReport v2 shapes (https://wiki.open311.org/GeoReport_v2/): our categories as services, our tickets
as service requests, our statuses mapped to open / closed. Never the reporter, never the raw payload."""

from __future__ import annotations

import re
from typing import Any, Final

from sink.models import CLOSED_STATUSES, DISMISSED, DUPLICATE, IN_PROGRESS, REJECTED, RESOLVED

#: service_code -> (service_name, description, keywords, group). not_complaint is no service.
SERVICES: Final[dict[str, tuple[str, str, str, str]]] = {
    "flood": ("Banjir dan genangan", "Flooding or standing water, clogged drains, failing flood pumps or gates.",
              "banjir, genangan, rob, got mampet, pompa", "Sumber daya air"),
    "garbage": ("Sampah", "Garbage not collected or piling up, illegal dumping, burning trash, problems at a TPS.",
                "sampah, TPS, buang sampah sembarangan, bau", "Lingkungan hidup"),
    "damaged_road": ("Jalan rusak", "Potholes, broken or subsided asphalt, damaged sidewalks, bridges or covers.",
                     "jalan rusak, berlubang, amblas, trotoar, jembatan", "Jalan dan jembatan"),
    "transjakarta": ("Transjakarta", "Transjakarta buses, halte, feeders (Mikrotrans / JakLingko), busway lane.",
                     "transjakarta, TJ, busway, halte, mikrotrans", "Transportasi"),
    "other": ("Pengaduan lain", "Any other concrete problem: streetlights, parking, noise, public services, ...",
              "lampu jalan, parkir liar, macet, KTP, bising", "Lainnya"),
}

#: Public wording of our statuses (status_notes when there is no completion note).
STATUS_NOTES: Final[dict[str, str]] = {
    "new": "Diterima, menunggu verifikasi",
    "dispatched": "Diteruskan ke instansi terkait",
    IN_PROGRESS: "Sedang ditangani",
    RESOLVED: "Selesai",
    REJECTED: "Ditolak",
    DUPLICATE: "Duplikat dari laporan lain",
    DISMISSED: "Bukan pengaduan",
}

SERVICE_FIELDS: Final = ("service_code", "service_name", "description", "metadata", "type", "keywords", "group")
REQUEST_FIELDS: Final = (
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
)


_HANDLE = re.compile(r"(?<![\w@])@\w{2,}")
_PHONE = re.compile(r"(?:\+62|\b62|\b0)[\s.-]?8(?:[\s.-]?\d){7,11}\b")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")


def public_text(text: str) -> str:
    """A complaint's text as the public may see it: handles, phone numbers and e-mail addresses masked (they may
    name the reporter or someone else)."""
    text = _EMAIL.sub("[email]", text)
    text = _PHONE.sub("[nomor]", text)
    return _HANDLE.sub("@[akun]", text)


def services() -> list[dict[str, Any]]:
    return [
        {"service_code": code, "service_name": name, "description": desc, "metadata": False, "type": "realtime",
         "keywords": kw, "group": group}
        for code, (name, desc, kw, group) in SERVICES.items()
    ]


def open_closed(status: str) -> str:
    return "closed" if status in CLOSED_STATUSES else "open"


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def request(row: dict[str, Any]) -> dict[str, Any]:
    """One ticket (public columns) as a GeoReport v2 service request."""
    status = row["status"]
    notes = row.get("completion_note") if status == RESOLVED and row.get("completion_note") else STATUS_NOTES[status]
    name = SERVICES.get(row["category"], (row["category"],))[0]
    address = ", ".join(p for p in (row.get("kelurahan_name"), row.get("kecamatan_name"), row.get("kota_name")) if p)
    media = row.get("completion_photo_url") or next(iter(row.get("media") or []), None)
    return {
        "service_request_id": str(row["id"]),
        "status": open_closed(status),
        "status_notes": notes,
        "service_name": name,
        "service_code": row["category"],
        "description": public_text(row["text"]),
        "agency_responsible": row.get("assignee_agency"),
        "service_notice": None,
        "requested_datetime": _iso(row.get("posted_at") or row.get("received_at")),
        "updated_datetime": _iso(row.get("updated_at")),
        "expected_datetime": None,
        "address": address or None,
        "address_id": row.get("kelurahan_code"),
        "zipcode": None,
        "lat": row.get("lat"),
        "long": row.get("lon"),
        "media_url": media,
    }
