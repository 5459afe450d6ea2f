"""Pollution equivalents of the tax law's per-tonne water items (环境保护税法附表二 三: pH值,
色度, 大肠菌群数（超标）, 余氯量), counted from a month's hourly water data (emissions.md §9.2).

Each valid hour (its value and the outlet's flow both valid, accounting.HourEmission `valid`)
contributes the tonnes of wastewater it discharged (1 m³ counted as 1 t):

- pH: tonnes ÷ the band's tonnes per equivalent (tax.PH_BANDS; 6–9 contributes nothing);
- 色度: tonnes × 超标倍数 ÷ 5 (吨水·倍), 超标倍数 from the hour's value and the colour limit
  in force at the hour (`colour_multiple`; not above the limit: nothing);
- 大肠菌群数（超标）/ 余氯量: the tonnes of the hours above the limit ÷ 3.3.

Why per hour, not per day: the Annex prices the water discharged at a given pH; a day's mean
pH would hide the acid and the alkaline hours of one day (pH 3 and pH 11 average to 7, which is
not taxed) and pH is logarithmic, so its mean is no concentration mean. The same hourly basis
for 色度 and the coliform keeps the tonnes of one month counted once, each at its own value.

A factor that cannot be counted (no valid hour, no limit for 色度/大肠菌群数) gets a reason
and is reported by accounting.not_taxed, never dropped."""

from __future__ import annotations

from dataclasses import dataclass

from envmon.emissions.tax import (
    PER_TONNE_EQUIVALENT_T,
    WATER_PER_TONNE_BY_FACTOR,
    ph_tonnes_per_equivalent,
)

COLOUR_MULTIPLES = ("excess", "ratio")


def colour_multiple(value: float, limit: float, how: str = "excess") -> float:
    """色度超标倍数 of a value against its limit; 0 when not above the limit.

    "excess" (default): (value − limit) ÷ limit, the usual definition of 超标倍数 in Chinese
    environmental evaluation (地表水环境质量评价办法（试行）, 环办〔2011〕22号:
    超标倍数 = (浓度值 − 标准值) ÷ 标准值). "ratio": value ÷ limit, for a bureau whose tax
    office reads the multiple as the dilution ratio to the standard."""
    if how not in COLOUR_MULTIPLES:
        raise ValueError(f"colour_multiple must be one of {', '.join(COLOUR_MULTIPLES)}")
    if limit <= 0 or value <= limit:
        return 0.0
    return (value - limit) / limit if how == "excess" else value / limit


@dataclass(frozen=True)
class PerTonne:
    """The month's count of one per-tonne factor of one outlet."""

    item: str
    equivalents: float | None
    """None when it cannot be counted (`reason` says why)."""
    water_t: float
    """Tonnes of wastewater of the valid hours."""
    taxed_t: float
    """Tonnes of the hours that count (pH outside 6–9; above the limit)."""
    hours: int
    reason: str = ""
    basis: str = ""


def count(factor: str, hours, limit: float | None, how: str = "excess") -> PerTonne:
    """Equivalents of `factor` (a key of WATER_PER_TONNE_BY_FACTOR) over `hours` (objects with
    `status`, `conc`, `volume_m3` and `limit` — accounting.HourEmission); `limit`: the
    factor's limit for the period when an hour has none."""
    item = WATER_PER_TONNE_BY_FACTOR[factor]
    valid = [h for h in hours if h.status == "valid" and h.conc is not None
             and h.volume_m3 is not None]
    water_t = sum(h.volume_m3 for h in valid)
    if not valid:
        return PerTonne(item, None, 0.0, 0.0, 0, reason=(
            f"{item}按污水吨数计算污染当量（附表二第三部分），本月没有{item}与流量同时有效的"
            "小时：未计税"))
    equivalents = taxed_t = 0.0
    if factor == "w01001":
        for h in valid:
            per_eq = ph_tonnes_per_equivalent(h.conc)
            if per_eq is not None:
                equivalents += h.volume_m3 / per_eq
                taxed_t += h.volume_m3
        basis = (f"按污水吨数计：{len(valid)} 个有效小时 {water_t:.1f} 吨，其中 pH 超出 6–9 的 "
                 f"{taxed_t:.1f} 吨按分档当量值（附表二第三部分）")
        return PerTonne(item, equivalents, water_t, taxed_t, len(valid), basis=basis)
    limits = [h.limit if getattr(h, "limit", None) is not None else limit for h in valid]
    if any(x is None or x <= 0 for x in limits):
        return PerTonne(item, None, water_t, 0.0, len(valid), reason=(
            f"{item}按超标的污水吨数计算污染当量（附表二第三部分），点位未登记{item}的排放标准"
            "限值，无法判断超标：未计税，请在登记表中补充限值"))
    per_eq = PER_TONNE_EQUIVALENT_T[item]
    for h, lim in zip(valid, limits, strict=True):
        if factor == "w01002":
            multiple = colour_multiple(h.conc, lim, how)
            if multiple > 0:
                equivalents += h.volume_m3 * multiple / per_eq
                taxed_t += h.volume_m3
        elif h.conc > lim:
            equivalents += h.volume_m3 / per_eq
            taxed_t += h.volume_m3
    what = "吨×超标倍数÷5（吨水·倍）" if factor == "w01002" else f"吨÷{per_eq:g}"
    basis = (f"按污水吨数计：{len(valid)} 个有效小时 {water_t:.1f} 吨，其中超标的 "
             f"{taxed_t:.1f} 吨按{what}（附表二第三部分）")
    return PerTonne(item, equivalents, water_t, taxed_t, len(valid), basis=basis)
