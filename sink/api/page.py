"""The public page at ``/``: a map of complaints with a choropleth of kelurahan, weekly counts per category, and
the list of complaints answered and still open, filterable by category and area.

Everything is served by the app itself (no tile server, no CDN): the kelurahan polygons come from the gazetteer
pack (``settings.gazetteer_path``, format in :mod:`geocoder.gazetteer`), are simplified and projected once, and
drawn as inline SVG by a small script in the page. Only public tickets are shown (never dismissed or
not_complaint ones), and only public fields (no reporter, no raw payload, no operators' notes).
"""

from __future__ import annotations

import json
import math
import threading
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from config.settings import DeskSettings
from sink.api import open311
from sink.models import Ticket
from sink.query import Reader, TicketFilter

_t = Ticket.__table__
PAGE = Path(__file__).resolve().parent / "static" / "index.html"
#: Kepulauan Seribu lies 30-150 km offshore; drawn, it would shrink the mainland to a corner, so the map leaves
#: it out and the page counts its complaints in a note.
OFFSHORE_KOTA = "31.01"
PAGE_ROWS = 200


def _rings(geom: Any) -> list[list[list[float]]]:
    if isinstance(geom, dict):
        kind, coords = geom.get("type"), geom.get("coordinates")
    else:
        kind, coords = None, geom
    if kind == "Polygon":
        return list(coords)
    if kind == "MultiPolygon":
        return [ring for poly in coords for ring in poly]
    # bare coordinates: guess by depth
    depth, x = 0, coords
    while isinstance(x, list) and x:
        depth, x = depth + 1, x[0]
    if depth == 3:
        return list(coords)
    if depth == 4:
        return [ring for poly in coords for ring in poly]
    return []


def _simplify(ring: list[list[float]], tol: float) -> list[list[float]]:
    """Drop vertices closer than ``tol`` degrees to the last kept one (cheap; enough for a city map)."""
    out = [ring[0]]
    for p in ring[1:]:
        q = out[-1]
        if abs(p[0] - q[0]) >= tol or abs(p[1] - q[1]) >= tol:
            out.append(p)
    return out if len(out) >= 3 else []


class AreaShapes:
    """Kelurahan outlines as SVG paths, loaded from the pack once (and again when the file changes)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[float, int] | None = None
        self._data: dict[str, Any] = {"areas": [], "viewBox": None, "source": None}

    def get(self) -> dict[str, Any]:
        if self.path is None or not self.path.is_file():
            return {"areas": [], "viewBox": None, "source": None}
        st = self.path.stat()
        stamp = (st.st_mtime, st.st_size)
        with self._lock:
            if stamp != self._stamp:
                self._data = self._load(self.path)
                self._stamp = stamp
            return self._data

    @staticmethod
    def _load(path: Path) -> dict[str, Any]:
        try:
            pack = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"areas": [], "viewBox": None, "source": None}
        areas = [a for a in pack.get("areas", []) if a.get("level") == "kelurahan" and a.get("polygon")
                 and a.get("kota_code") != OFFSHORE_KOTA]
        names = {a.get("code"): a.get("name") for a in pack.get("areas", [])}
        shapes = [(a, [r for r in (_simplify(ring, 0.0004) for ring in _rings(a["polygon"])) if r]) for a in areas]
        pts = [p for _, rings in shapes for r in rings for p in r]
        if not pts:
            return {"areas": [], "viewBox": None, "source": str(path.name)}
        lat0 = sum(p[1] for p in pts) / len(pts)
        kx = math.cos(math.radians(lat0))
        min_x = min(p[0] for p in pts) * kx
        max_y = max(p[1] for p in pts)
        scale = 10000.0  # 1 unit = 1e-4 degree, about 11 m

        def xy(p: list[float]) -> str:
            return f"{(p[0] * kx - min_x) * scale:.0f} {(max_y - p[1]) * scale:.0f}"

        out = []
        for a, rings in shapes:
            d = "".join("M" + "L".join(xy(p) for p in r) + "Z" for r in rings)
            out.append({"code": a["code"], "name": a.get("name"), "kecamatan_code": a.get("kecamatan_code"),
                        "kecamatan": names.get(a.get("kecamatan_code")), "kota_code": a.get("kota_code"),
                        "kota": names.get(a.get("kota_code")), "d": d})
        width = (max(p[0] for p in pts) * kx - min_x) * scale
        height = (max_y - min(p[1] for p in pts)) * scale
        return {"areas": out, "viewBox": [0, 0, round(width), round(height)], "source": path.name,
                "projection": {"kx": kx, "min_x": min_x, "max_y": max_y, "scale": scale}}


def mount(app: FastAPI, reader: Reader, settings: DeskSettings, gazetteer_path: Path | None) -> None:
    shapes = AreaShapes(gazetteer_path)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> HTMLResponse:
        return HTMLResponse(PAGE.read_text(encoding="utf-8"), headers={"Cache-Control": "no-cache"})

    @app.get("/public/areas.json", tags=["public"], summary="Kelurahan outlines as SVG paths (from the gazetteer)")
    def areas() -> Response:
        return Response(json.dumps(shapes.get(), separators=(",", ":")), media_type="application/json",
                        headers={"Cache-Control": "public, max-age=3600"})

    @app.get("/public/data.json", tags=["public"],
             summary="Public complaints for the page: counts per kelurahan and per category and week, latest list")
    def data(
        category: Annotated[list[str] | None, Query()] = None,
        kota: Annotated[list[str] | None, Query()] = None,
        kecamatan: Annotated[list[str] | None, Query()] = None,
        kelurahan: Annotated[list[str] | None, Query()] = None,
        state: Annotated[str | None, Query(pattern="^(open|closed)$", description="open or closed")] = None,
    ) -> dict[str, Any]:
        statuses: tuple[str, ...] = ()
        if state:
            statuses = tuple(s for s in open311.STATUS_NOTES if open311.open_closed(s) == state and s != "dismissed")
        flt = TicketFilter(category=tuple(category or ()), kota=tuple(kota or ()), kecamatan=tuple(kecamatan or ()),
                           kelurahan=tuple(kelurahan or ()), status=statuses, public=True)
        by_kel = reader._all(flt.apply(select(_t.c.kelurahan_code, func.max(_t.c.kelurahan_name).label("name"),
                                              _t.c.kota_code, func.count().label("n"))
                                       ).group_by(_t.c.kelurahan_code, _t.c.kota_code), "counting per kelurahan")
        weekly = reader.counts(flt, period="week", area=None)
        total, rows = reader.page(flt, limit=min(PAGE_ROWS, settings.public_max_rows), order="-id", columns=(
            "id", "category", "status", "text", "kelurahan_name", "kecamatan_name", "kota_name", "lat", "lon",
            "posted_at", "received_at", "resolved_at", "completion_note", "assignee_agency"))
        by_state = reader._all(flt.apply(select(_t.c.status, func.count().label("n"))).group_by(_t.c.status),
                               "counting per status")
        answered = sum(r["n"] for r in by_state if r["status"] == "resolved")
        still_open = sum(r["n"] for r in by_state if open311.open_closed(r["status"]) == "open")
        items = []
        for r in rows:
            rep: datetime | None = r["posted_at"] or r["received_at"]
            items.append({
                "id": r["id"], "category": r["category"],
                "service": open311.SERVICES.get(r["category"], (r["category"],))[0],
                "state": open311.open_closed(r["status"]), "status": r["status"],
                "status_notes": (r["completion_note"] if r["status"] == "resolved" and r["completion_note"]
                                 else open311.STATUS_NOTES[r["status"]]),
                "text": open311.public_text(r["text"])[:400], "kelurahan": r["kelurahan_name"], "kecamatan": r["kecamatan_name"],
                "kota": r["kota_name"], "agency": r["assignee_agency"], "lat": r["lat"], "lon": r["lon"],
                "reported": rep.isoformat() if rep else None,
                "resolved": r["resolved_at"].isoformat() if r["resolved_at"] else None,
            })
        return {
            "total": total, "answered": answered, "open": still_open,
            "services": {code: v[0] for code, v in open311.SERVICES.items()},
            "by_kelurahan": [{"code": r["kelurahan_code"], "name": r["name"], "kota_code": r["kota_code"],
                              "count": r["n"]} for r in by_kel if r["kelurahan_code"]],
            "unplaced": sum(r["n"] for r in by_kel if not r["kelurahan_code"]),
            "offshore": sum(r["n"] for r in by_kel if r["kota_code"] == OFFSHORE_KOTA),
            "weekly": weekly, "items": items,
        }
