"""`Scope`: the part of the registry a user may see — all of it, the units whose county code
starts with a region prefix (GB/T 2260: province ``14`` of 140000, city ``1401`` of 140100,
county ``140105``), or one unit. The principal carries it; `access.isolation` turns it into
the MNs and units it holds, and `web.isolation` enforces it on every route.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Scope", "region_prefix"]


def region_prefix(code: str) -> str:
    """The prefix of the county codes under a GB/T 2260 code: 140000 → 14, 140100 → 1401,
    140105 → 140105."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


@dataclass(frozen=True)
class Scope:
    kind: str  # "all" | "region" | "unit"
    region: str | None = None  # the GB/T 2260 code (kind "region")
    unit_id: str | None = None  # kind "unit"

    @classmethod
    def everything(cls) -> Scope:
        return cls("all")

    @classmethod
    def of_region(cls, code: str) -> Scope:
        return cls("region", region=code)

    @classmethod
    def of_unit(cls, unit_id: str) -> Scope:
        return cls("unit", unit_id=unit_id)

    @property
    def prefix(self) -> str | None:
        return region_prefix(self.region) if self.region else None

    @property
    def is_all(self) -> bool:
        return self.kind == "all"

    def allows_region(self, code: str | None) -> bool:
        """Whether a region (a county code, or a city/province code for a whole area) lies in
        this scope. A unit scope allows no region as a whole."""
        if self.kind == "all":
            return True
        if self.kind == "region" and code:
            return region_prefix(code).startswith(self.prefix or "\0")
        return False

    def allows_unit(self, unit_id: str | None, region: str | None) -> bool:
        """Whether the unit `unit_id` in county `region` lies in this scope."""
        if self.kind == "all":
            return True
        if self.kind == "region":
            return bool(region) and region.startswith(self.prefix or "\0")
        return unit_id is not None and unit_id == self.unit_id

    def describe(self) -> str:
        if self.kind == "all":
            return "all"
        return f"region {self.region}" if self.kind == "region" else f"unit {self.unit_id}"
