"""Routing: which agency answers a ticket, from its category and, where needed, its area or sub-topic.

The table is TOML (see ``routing_default.toml`` shipped next to this module, and the setting
``desk.routing_table``). Routing is pure Python and costs a few dictionary look-ups per ticket, so
:meth:`sink.store.TicketStore.write_batch` applies it to every new ticket without slowing the sink.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sink.errors import SinkError

DEFAULT_TABLE = Path(__file__).resolve().parent / "routing_default.toml"
#: Agency value meaning "the kelurahan office of the ticket's kelurahan".
KELURAHAN: str = "@kelurahan"
#: Longest agency name the store keeps (tickets.assignee_agency).
AGENCY_LEN = 64


class RoutingError(SinkError):
    """The routing table cannot be read or is invalid."""


@dataclass(frozen=True, slots=True)
class Rule:
    category: str
    agency: str
    kota_code: str | None = None
    kecamatan_code: str | None = None
    keywords: tuple[str, ...] = ()

    @property
    def specificity(self) -> int:
        return (4 if self.kecamatan_code else 0) + (2 if self.kota_code else 0) + (1 if self.keywords else 0)

    def matches(self, category: str, kota_code: str | None, kecamatan_code: str | None, text_lower: str) -> bool:
        if self.category not in ("*", category):
            return False
        if self.kota_code and self.kota_code != kota_code:
            return False
        if self.kecamatan_code and self.kecamatan_code != kecamatan_code:
            return False
        return not self.keywords or any(k in text_lower for k in self.keywords)


class Router:
    """A loaded routing table. ``route(...)`` returns the agency or None (no rule: e.g. not_complaint)."""

    def __init__(self, rules: list[Rule], default_agency: str, source: str = "<memory>") -> None:
        self.default_agency = default_agency
        self.source = source
        # Most specific first; sorted() is stable, so the file order breaks ties.
        self.rules = sorted(rules, key=lambda r: -r.specificity)
        self._by_category: dict[str, list[Rule]] = {}
        for r in self.rules:
            self._by_category.setdefault(r.category, []).append(r)
        self._needs_text = any(r.keywords for r in self.rules)

    @classmethod
    def load(cls, path: Path | None = None) -> Router:
        path = path or DEFAULT_TABLE
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise RoutingError(f"cannot read the routing table {path}: {exc}") from None
        return cls.from_dict(data, str(path))

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "<memory>") -> Router:
        allowed = {"category", "agency", "kota_code", "kecamatan_code", "keywords"}
        rules: list[Rule] = []
        for i, raw in enumerate(data.get("rule", []), 1):
            unknown = set(raw) - allowed
            if unknown:
                raise RoutingError(f"{source}: rule {i}: unknown key(s) {', '.join(sorted(unknown))}")
            if not raw.get("category") or not raw.get("agency"):
                raise RoutingError(f"{source}: rule {i}: needs a category and an agency")
            if len(raw["agency"]) > AGENCY_LEN:
                raise RoutingError(f"{source}: rule {i}: agency longer than {AGENCY_LEN} characters")
            kw = raw.get("keywords", [])
            if not isinstance(kw, list) or not all(isinstance(k, str) and k.strip() for k in kw):
                raise RoutingError(f"{source}: rule {i}: keywords must be a list of non-empty strings")
            rules.append(Rule(category=raw["category"], agency=raw["agency"], kota_code=raw.get("kota_code"),
                              kecamatan_code=raw.get("kecamatan_code"),
                              keywords=tuple(k.lower() for k in kw)))
        default = data.get("default_agency", "Pemprov DKI Jakarta")
        unknown_top = set(data) - {"rule", "default_agency"}
        if unknown_top:
            raise RoutingError(f"{source}: unknown key(s) {', '.join(sorted(unknown_top))}")
        return cls(rules, default, source)

    def route(self, category: str, *, kota_code: str | None = None, kecamatan_code: str | None = None,
              kelurahan_name: str | None = None, text: str = "") -> str | None:
        candidates = self._by_category.get(category, []) + self._by_category.get("*", [])
        if not candidates:
            return None
        lower = text.lower() if self._needs_text else ""
        best: Rule | None = None
        for r in candidates:
            if r.matches(category, kota_code, kecamatan_code, lower) and (
                best is None or r.specificity > best.specificity
            ):
                best = r
        if best is None:
            return None
        if best.agency == KELURAHAN:
            return f"Kelurahan {kelurahan_name}"[:AGENCY_LEN] if kelurahan_name else self.default_agency
        return best.agency

    def route_row(self, row: dict[str, Any]) -> str | None:
        """The agency of a ``tickets`` row (a dict with category, kota_code, kecamatan_code, kelurahan_name, text)."""
        return self.route(row["category"], kota_code=row.get("kota_code"), kecamatan_code=row.get("kecamatan_code"),
                          kelurahan_name=row.get("kelurahan_name"), text=row.get("text") or "")
