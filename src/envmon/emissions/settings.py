"""`[emissions]` of the configuration file: the emission accounting's settings.

    [emissions]
    min_valid_minutes = 45          # an hour from minutes needs this many valid ones
    stopped_over_minutes = 30       # ... else stopped when more minutes than this are F
    o2_cutoff_pct = 19.0            # no O2 correction at or above this O2
    lookback_hours = 2160           # history read for the substitution windows (HJ 75 §4)
    use_exemptions = true           # registered 停产/停运/停排 hours are stopped hours
    colour_multiple = "excess"      # 色度超标倍数: "excess" (value − limit) ÷ limit or "ratio"
    [emissions.water_units]         # the unit a water factor's values arrive in
    w20111 = "mg/L"                 # e.g. units that send mercury in mg/L
    [emissions.substitution]        # HJ 75-2017 substitution (SubstitutionConfig)
    other_rule = "max_preceding"

Every key is a field of `accounting.AccountingConfig` (or of `substitution.SubstitutionConfig`
under `[emissions.substitution]`), documented there with the reason for its default. The
exemption rules are not here: they are the assessment's (`[assess]`), one set for both.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

from envmon.emissions.accounting import MG_PER_L_SCALE, AccountingConfig
from envmon.emissions.substitution import SubstitutionConfig

__all__ = ["accounting_settings"]

_NOT_HERE = {"exemption_rules", "substitution", "water_units"}


def _fields(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls) if f.init}


def _flat(table: dict, cls: type, where: str, skip: set[str]) -> dict[str, Any]:
    from envmon.config import _coerce

    known = {name: kind for name, kind in _fields(cls).items() if name not in skip}
    unknown = sorted(set(table) - set(known) - skip)
    if unknown:
        everything = sorted({*known, *skip})
        raise ValueError(f"{where}: unknown key{'s' if len(unknown) > 1 else ''} "
                         f"{', '.join(unknown)} (known: {', '.join(everything)})")
    return {key: _coerce(f"{where} {key}", value, known[key])
            for key, value in table.items() if key in known}


def accounting_settings(table: dict, source: str = "[emissions]") -> dict[str, Any]:
    """`AccountingConfig` keyword arguments from the `[emissions]` table; a bad key or value
    is a ValueError naming `[emissions] key`."""
    values = _flat(table, AccountingConfig, source, _NOT_HERE)
    units = table.get("water_units", {})
    if not isinstance(units, dict):
        raise ValueError(f"{source} water_units: expected a table of factor = unit, "
                         f"got {units!r}")
    for factor, unit in units.items():
        if unit not in MG_PER_L_SCALE:
            raise ValueError(f"{source} water_units {factor}: unknown unit {unit!r} "
                             f"(known: {', '.join(MG_PER_L_SCALE)})")
    if units:
        values["water_units"] = tuple(sorted(units.items()))
    substitution = table.get("substitution")
    if substitution is not None:
        if not isinstance(substitution, dict):
            raise ValueError(f"{source} substitution: expected a table, got {substitution!r}")
        values["substitution"] = SubstitutionConfig(
            **_flat(substitution, SubstitutionConfig, f"{source} substitution", set()))
    try:
        AccountingConfig(**values)  # its own checks (colour_multiple …)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{source}: {error}") from None
    return values
