"""IAQI and AQI (HJ 633-2012), vectorised over numpy arrays.

- `iaqi(term, conc)`: one column of HJ 633-2012 Table 1, continuous segments (§5.1, formula 1),
  rounded **up** (ceil) as CNEMC publishes (standards note §1.2).
- `daily_aqi(...)`: the daily report (日报, §1.3): the 24-h means of SO2, NO2, CO, PM10,
  PM2.5 with the 24-h columns, O3 daily max 1-h with the O3 1-h column and MDA8 with the O3 8-h
  column.
- `realtime_aqi(...)`: the real-time report (实时报): SO2/NO2/CO/O3 1-h values with the 1-h
  columns, PM10 and PM2.5 1-h values with the 24-h columns (CNEMC practice).
- `level_of(aqi)`, `primary_pollutants(...)`, `exceeding_pollutants(...)` (§1.4).

Units: µg/m³, CO mg/m³. Missing values are NaN and give NaN.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from envmon.air.rounding import ceil_iaqi, round_gbt8170_array
from envmon.air.standards import (
    CNEMC_NAMES,
    DECIMALS,
    LEVELS,
    STANDARD_2012,
    Standard,
)

# Terms above their top breakpoint with no defined IAQI (HJ 633-2012 Table 1 notes 2 and 3).
UNDEFINED_ABOVE_TOP = ("so2_1h", "o3_8h")
TOP_IAQI = 500.0  # published above the top breakpoint (standards note §1.1)


def iaqi(term: str, conc: np.ndarray | float, standard: Standard = STANDARD_2012) -> np.ndarray:
    """IAQI_P of HJ 633-2012 §5.1 formula (1) for one Table 1 column `term`
    (e.g. "pm25_24h", "so2_1h", "o3_8h"), rounded up to an integer.

    IAQI_P = (IAQI_Hi − IAQI_Lo)/(BP_Hi − BP_Lo)·(C_P − BP_Lo) + IAQI_Lo with continuous
    segments (BP_Lo = the previous row). Above the top breakpoint: 500 (CNEMC practice), except
    SO2 1-h > 800 and O3 8-h > 800, which give NaN: Table 1 notes 2 and 3 replace them with the
    SO2 24-h and O3 1-h IAQI (`daily_aqi` and `realtime_aqi` do that). Negative or NaN
    concentrations give NaN. Examples (standards note §1.2, §5): PM2.5 60 → 82; 75 → 100;
    75.4 → 101; CO 2.5 → 63.
    """
    bp, levels = standard.breakpoint_arrays(term)
    c = np.asarray(conc, dtype=float)
    with np.errstate(invalid="ignore"):
        value = np.interp(c, bp, levels)
        over = c > bp[-1]
        value = np.where(over, np.nan if term in UNDEFINED_ABOVE_TOP else TOP_IAQI, value)
        value = np.where(np.isnan(c) | (c < 0), np.nan, value)
    return ceil_iaqi(value)


def round_concentration(pollutant: str, conc: np.ndarray | float) -> np.ndarray:
    """Concentration rounded per GB/T 8170 to the decimals of HJ 663-2013 §6.3 (µg/m³ integers,
    CO one decimal), as the AQI is computed from published (rounded) values."""
    return round_gbt8170_array(np.asarray(conc, dtype=float), DECIMALS[pollutant])


def _nanmax(stack: np.ndarray) -> np.ndarray:
    valid = ~np.isnan(stack)
    out = np.max(np.where(valid, stack, -np.inf), axis=0)
    return np.where(valid.any(axis=0), out, np.nan)


@dataclass
class AqiResult:
    """AQI with the IAQI of every term (arrays of one shape)."""

    aqi: np.ndarray
    iaqi: dict[str, np.ndarray]

    def primary(self, i: int | tuple[int, ...]) -> list[str]:
        return primary_pollutants(self.aqi[i], {k: v[i] for k, v in self.iaqi.items()})

    def exceeding(self, i: int | tuple[int, ...]) -> list[str]:
        return exceeding_pollutants({k: v[i] for k, v in self.iaqi.items()})


def _term_iaqis(conc: Mapping[str, np.ndarray], terms: dict[str, str], standard: Standard,
                round_inputs: bool) -> dict[str, np.ndarray]:
    """IAQI of each pollutant present in `conc`, by the Table 1 column `terms[pollutant]`."""
    values: dict[str, np.ndarray] = {}
    for key, term in terms.items():
        if key in conc:
            c = np.asarray(conc[key], dtype=float)
            if round_inputs:
                c = round_concentration(key, c)
            values[key] = iaqi(term, c, standard)
    return values


def daily_aqi(
    conc: Mapping[str, np.ndarray],
    standard: Standard = STANDARD_2012,
    *,
    round_inputs: bool = True,
    require_all: bool = True,
) -> AqiResult:
    """Daily AQI (日报, HJ 633-2012 §5, standards note §1.3).

    `conc` holds daily values keyed "so2", "no2", "co", "pm10", "pm25" (24-h means), "o3_1h"
    (daily max 1-h O3) and "o3_8h" (MDA8). With `round_inputs` they are first rounded per
    GB/T 8170 (HJ 663 §6.3). MDA8 > 800: the O3 1-h IAQI is used (Table 1 note 3).

    `require_all` (default): the AQI is valid only when the five 24-h means and MDA8 are all
    valid (HJ 663 §3.1: a missing pollutant makes a multi-pollutant result invalid — applied to
    the day as an ASSUMPTION); the daily max 1-h O3 is used when present. Without it, the AQI is
    the max over whatever is present.
    """
    terms = {
        "so2": "so2_24h", "no2": "no2_24h", "co": "co_24h", "pm10": "pm10_24h",
        "pm25": "pm25_24h", "o3_1h": "o3_1h", "o3_8h": "o3_8h",
    }  # fmt: skip
    values = _term_iaqis(conc, terms, standard, round_inputs)
    if "o3_8h" in values and "o3_1h" in values:
        o3_8h = np.asarray(conc["o3_8h"], dtype=float)
        values["o3_8h"] = np.where(o3_8h > 800, values["o3_1h"], values["o3_8h"])
    stack = np.stack(list(values.values()))
    aqi = _nanmax(stack)
    if require_all:
        needed = [values[k] for k in ("so2", "no2", "co", "pm10", "pm25", "o3_8h")
                  if k in values]
        if len(needed) < 6:
            aqi = np.full_like(aqi, np.nan)
        else:
            aqi = np.where(np.isnan(np.stack(needed)).any(axis=0), np.nan, aqi)
    return AqiResult(aqi, values)


def realtime_aqi(
    conc: Mapping[str, np.ndarray],
    standard: Standard = STANDARD_2012,
    *,
    so2_24h: np.ndarray | None = None,
    o3_8h: np.ndarray | None = None,
    round_inputs: bool = True,
    require_all: bool = True,
) -> AqiResult:
    """Real-time (hourly) AQI, 实时报 (standards note §1.3).

    `conc`: 1-h values "so2", "no2", "co", "o3", "pm10", "pm25". SO2, NO2, CO and O3 use the
    1-h columns; PM10 and PM2.5 the 24-h columns applied to the 1-h value (CNEMC practice,
    confirmed against published data). SO2 1-h > 800: the SO2 24-h IAQI of `so2_24h` (the
    rolling 24-h mean) replaces it (Table 1 note 2). `o3_8h` (rolling 8-h O3), when given,
    adds an O3 8-h term (the switch of §1.3, default off).

    `require_all` (default): no AQI when any of the six 1-h values is missing — CNEMC
    publishes none then (observed in the archived real-time release of 2023-01-15T16:00,
    stations 1017A, 1046A, 1109A, 1116A …; see tests/air/test_cnemc.py). Without it, the AQI
    is the max over the terms present.
    """
    terms = {
        "so2": "so2_1h", "no2": "no2_1h", "co": "co_1h", "o3": "o3_1h", "pm10": "pm10_24h",
        "pm25": "pm25_24h",
    }  # fmt: skip
    values = _term_iaqis(conc, terms, standard, round_inputs)
    if "so2" in values:
        raw = np.asarray(conc["so2"], dtype=float)
        fallback = (
            iaqi("so2_24h", round_concentration("so2", so2_24h), standard)
            if so2_24h is not None
            else np.full_like(values["so2"], np.nan)
        )
        values["so2"] = np.where(raw > 800, fallback, values["so2"])
    if o3_8h is not None:
        c8 = round_concentration("o3", o3_8h) if round_inputs else np.asarray(o3_8h, float)
        v8 = iaqi("o3_8h", c8, standard)
        if "o3" in values:
            v8 = np.where(c8 > 800, values["o3"], v8)
        values["o3_8h"] = v8
    result = _nanmax(np.stack(list(values.values())))
    if require_all:
        present = [np.asarray(conc[k], dtype=float) for k in terms if k in conc]
        if len(present) < len(terms):
            result = np.full_like(result, np.nan)
        else:
            result = np.where(np.isnan(np.stack(present)).any(axis=0), np.nan, result)
    return AqiResult(result, values)


def primary_pollutants(aqi: float, iaqis: Mapping[str, float]) -> list[str]:
    """首要污染物 (HJ 633-2012 §5.2): when AQI > 50, every pollutant whose IAQI equals the AQI,
    in CNEMC wording (e.g. ["颗粒物(PM10)", "细颗粒物(PM2.5)"]); none when AQI ≤ 50 or missing."""
    if aqi is None or np.isnan(aqi) or aqi <= 50:
        return []
    names = [CNEMC_NAMES[k] for k, v in iaqis.items() if not np.isnan(v) and v == aqi]
    return list(dict.fromkeys(names))


def exceeding_pollutants(iaqis: Mapping[str, float]) -> list[str]:
    """超标污染物 (HJ 633-2012 §5.2): IAQI > 100."""
    names = [CNEMC_NAMES[k] for k, v in iaqis.items() if not np.isnan(v) and v > 100]
    return list(dict.fromkeys(names))


@dataclass(frozen=True)
class Level:
    level: str  # 级别
    category: str  # 类别
    colour: str  # 颜色
    rgb: tuple[int, int, int]
    cmyk: tuple[int, int, int, int]

    @property
    def hex(self) -> str:
        return "#{:02X}{:02X}{:02X}".format(*self.rgb)


LEVEL_OBJECTS = tuple(Level(lv, cat, col, rgb, cmyk) for _, lv, cat, col, rgb, cmyk in LEVELS)
_UPPER = np.array([upper for upper, *_ in LEVELS[:-1]], dtype=float)


def level_index(aqi: np.ndarray | float) -> np.ndarray:
    """0 (优, AQI 0–50) … 5 (严重污染, > 300); −1 where the AQI is missing."""
    a = np.asarray(aqi, dtype=float)
    index = np.searchsorted(_UPPER, a, side="left")
    return np.where(np.isnan(a), -1, index)


def level_of(aqi: float | None) -> Level | None:
    """AQI level, category and colour (HJ 633-2012 Table 2); None when missing."""
    if aqi is None or np.isnan(aqi):
        return None
    return LEVEL_OBJECTS[int(level_index(aqi))]
