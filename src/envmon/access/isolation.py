"""Isolation: what part of the registry a principal's answer may hold (issue 13, item 2).

Three pieces, used by the web platform's one enforcement point (`envmon.web.isolation`):

* `Rule` — what a route is: which roles may call it and how far it reaches (`REACHES`).
  Every route of the app has one, in `access.policy.SCOPE`; a route without one is refused.
* `Allowed` — the MNs and unit ids of a scope, read from the registry once a request
  (`allowed_for`). `targets_in_scope` checks the ids a request names (a point, a unit, an
  alarm, a case, a command, a mark): an id outside the scope answers exactly like an id that
  does not exist (`not_found_text`), so nobody can probe which MNs exist.
* `narrow(result, allowed)` — a use case's result (or a page's values) with every row of
  another unit or point taken out, before it is paged and rendered (so JSON, CSV, XLSX and
  HTML are narrowed alike and ``X-Total-Count`` counts what is shown). A row is a dataclass
  or dict with an ``mn`` or ``unit_id`` (``unit``) field; a row of a region's figures (a
  ``county_code``, or a ``code`` with a region ``level``) is kept inside a region scope only
  (an enterprise sees no area's rates or ranking line); a dict keyed by MNs or unit ids loses
  the keys outside the scope. What a result derives from its rows when rendered (a
  region's rates from its units) is then derived from the narrowed rows.

A new kind of id a route may name: a line in `TARGETS` (its table and the columns that give
its unit and point).
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from envmon.access.scope import Scope, region_prefix

__all__ = ["REACHES", "TARGETS", "Allowed", "Rule", "allowed_for", "narrow",
           "not_found_text", "target_of"]

# How far a route reaches:
# * "scope": rows of units and points, narrowed to the principal's scope (ids checked,
#   results narrowed);
# * "area": the whole city's environment (ambient air, road dust) — no unit in it; which
#   roles see it is the rule's `roles`;
# * "whole": figures of every unit at once that cannot be narrowed (a city bulletin, a
#   city-wide run): only a principal whose scope is everything;
# * "none": nothing of the registry (the caller's own credentials, configuration, the docs).
REACHES = ("scope", "area", "whole", "none")


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]  # who may call it ("public": anybody, even without a credential)
    reach: str = "scope"
    # The kinds of the ids the route names, where a name alone is ambiguous (mark_id of an
    # exemption): {parameter: TARGETS key}. Default: `DEFAULT_KINDS`.
    targets: Mapping[str, str] = field(default_factory=dict)
    public: bool = False

    def __post_init__(self) -> None:
        if self.reach not in REACHES:
            raise ValueError(f"unknown reach {self.reach!r}")


# An id kind → (SQL giving (unit_id, mn) of one id, the Chinese/English word of the 404).
TARGETS: dict[str, tuple[str, str]] = {
    "point": ("SELECT unit_id, mn FROM points WHERE mn = ?", "point"),
    "unit": ("SELECT unit_id, NULL FROM units WHERE unit_id = ?", "unit"),
    "alarm": ("SELECT unit_id, mn FROM alarms WHERE id = ?", "alarm"),
    "case": ("SELECT unit_id, mn FROM supervision_cases WHERE id = ?", "case"),
    "command": ("SELECT NULL, mn FROM commands WHERE id = ?", "command"),
    "mark": ("SELECT unit_id, mn FROM marks WHERE id = ?", "mark"),
    "exemption": ("SELECT unit_id, mn FROM exemptions WHERE id = ?", "exemption"),
    "correction": ("SELECT NULL, mn FROM corrections WHERE id = ?", "correction"),
}
# Parameter (path, query or JSON body) → the kind of id it names.
DEFAULT_KINDS = {"mn": "point", "point": "point", "unit_id": "unit", "unit": "unit",
                 "alarm_id": "alarm", "alarm": "alarm", "case_id": "case",
                 "command_id": "command", "mark_id": "mark"}


def not_found_text(kind: str, value: Any) -> str:
    """The one text of an id that does not exist or lies outside the scope (the API's 404
    rule: "no … with id …")."""
    return f"no {TARGETS[kind][1]} with id {value}"


@dataclass(frozen=True)
class Allowed:
    """The registry's part a scope sees: its MNs and unit ids, and every MN and unit id the
    registry knows (a row naming an id outside both is taken out too)."""

    scope: Scope
    mns: frozenset[str]
    units: frozenset[str]
    region_codes: frozenset[str] = frozenset()  # the county codes of its units
    known: frozenset[str] = frozenset()  # every MN and unit id of the registry

    def has_point(self, mn: Any) -> bool:
        return mn in self.mns

    def has_unit(self, unit_id: Any) -> bool:
        return unit_id in self.units

    def allows_row(self, unit_id: Any, mn: Any) -> bool:
        """A row of `unit_id`/`mn` (None where the row has none) is shown."""
        if unit_id is None and mn is None:
            return True
        if unit_id is not None and unit_id not in self.units:
            return False
        return mn is None or mn in self.mns

    def shows_region(self, code: str) -> bool:
        """Whether a region's own figures (its rates, its line in a ranking) are shown: a
        region inside a region scope; never to a unit scope (an enterprise sees no
        rankings of areas)."""
        return self.scope.kind == "region" and region_prefix(code).startswith(
            self.scope.prefix or "\0")

    def allows_region(self, code: str | None) -> bool:
        """A region filter the principal may ask for: inside its region, or (a unit scope)
        its own unit's county."""
        if not code:
            return True
        return self.scope.allows_region(code) or code in self.region_codes


def allowed_for(store: Any, scope: Scope) -> Allowed | None:
    """The scope's `Allowed`, None for the scope of everything (nothing to narrow)."""
    if scope.is_all:
        return None
    rows = store.query("SELECT u.unit_id, u.county_code, p.mn FROM units u "
                       "LEFT JOIN points p ON p.unit_id = u.unit_id")
    mns, units, counties, known = set(), set(), set(), set()
    for unit_id, county, mn in rows:
        known.update(x for x in (unit_id, mn) if x is not None)
        if scope.allows_unit(unit_id, county):
            units.add(unit_id)
            counties.add(county)
            if mn is not None:
                mns.add(mn)
    return Allowed(scope, frozenset(mns), frozenset(units), frozenset(counties),
                   frozenset(known))


def target_of(store: Any, kind: str, value: Any) -> tuple[Any, Any] | None:
    """(unit_id, mn) of the id `value` of `kind`, None when there is no such thing."""
    sql = TARGETS[kind][0]
    if kind not in ("point", "unit"):
        try:
            value = int(value)
        except (TypeError, ValueError):
            return None
    rows = store.query(sql, [value])
    return (rows[0][0], rows[0][1]) if rows else None


def in_scope(store: Any, allowed: Allowed, kind: str, value: Any) -> bool:
    """Whether the `kind` id `value` exists and lies in `allowed`."""
    found = target_of(store, kind, value)
    if found is None:
        return False
    unit_id, mn = found
    if unit_id is None:  # a command, a correction, an alarm of no unit: its point's
        return mn is not None and allowed.has_point(mn)
    return allowed.has_unit(unit_id) and (mn is None or allowed.has_point(mn))


# ---------------------------------------------------------------- narrowing results
_MN_FIELDS = ("mn",)
_UNIT_FIELDS = ("unit_id", "unit")


def _field(row: Any, names: tuple[str, ...]) -> Any:
    for name in names:
        if isinstance(row, Mapping):
            if name in row and isinstance(row[name], str):
                return row[name]
        elif hasattr(row, name) and isinstance(getattr(row, name, None), str):
            return getattr(row, name)
    return None


def _is_row(row: Any) -> bool:
    return isinstance(row, Mapping) or dataclasses.is_dataclass(row)


_REGION_LEVELS = ("province", "city", "county")
_GB2260 = re.compile(r"\d{6}")


def _region_of(row: Any) -> str | None:
    """The GB/T 2260 code a row of figures is about (a county's or city's rates, a ranking
    line): its ``county_code``, or ``code`` with a region ``level`` or a ``network_rate``."""
    county = _field(row, ("county_code",))
    if county:
        return county
    code = _field(row, ("code",))
    if code and _GB2260.fullmatch(code) and (_field(row, ("level",)) in _REGION_LEVELS
                                             or _has(row, "network_rate")):
        return code  # a region's line: of a ranking, or of the overview's cities
    return None


def _has(row: Any, name: str) -> bool:
    return name in row if isinstance(row, Mapping) else hasattr(row, name)


def _keeps(row: Any, allowed: Allowed) -> bool:
    if not _is_row(row):
        return True
    unit_id, mn = _field(row, _UNIT_FIELDS), _field(row, _MN_FIELDS)
    code = _field(row, ("code",))
    if unit_id is None and mn is None and code in allowed.known:  # a unit's or point's line
        return code in allowed.units or code in allowed.mns
    if unit_id is None and mn is None:
        region = _region_of(row)
        if region is not None:  # a region's figures: inside a region scope only
            return allowed.shows_region(region)
    return allowed.allows_row(unit_id, mn)


def narrow(value: Any, allowed: Allowed | None, _depth: int = 0) -> Any:
    """`value` with every row outside `allowed` taken out (see the module docstring); the
    value itself when nothing changes (or `allowed` is None: the scope of everything)."""
    if allowed is None or _depth > 12:
        return value
    if isinstance(value, (str, bytes, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        kept = [narrow(item, allowed, _depth + 1) for item in value if _keeps(item, allowed)]
        if len(kept) == len(value) and all(a is b for a, b in zip(kept, value, strict=True)):
            return value
        return type(value)(kept) if isinstance(value, list) or type(value) is tuple \
            else tuple(kept)
    if isinstance(value, Mapping):
        out, changed = {}, False
        for key, item in value.items():
            if isinstance(key, str) and _foreign_key(key, allowed):
                changed = True
                continue
            new = narrow(item, allowed, _depth + 1)
            changed = changed or new is not item
            out[key] = new
        return (type(value)(out) if isinstance(value, dict) else out) if changed else value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        replaced = {}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name, None)
            new = narrow(item, allowed, _depth + 1)
            if new is not item:
                replaced[f.name] = new
        if not replaced:
            return value
        clone = copy.copy(value)
        for name, new in replaced.items():
            object.__setattr__(clone, name, new)
        return clone
    return value


def _foreign_key(key: str, allowed: Allowed) -> bool:
    """A dict key that is an MN or unit id outside the scope (a series keyed by point)."""
    return key in allowed.known and key not in allowed.mns and key not in allowed.units
