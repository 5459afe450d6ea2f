"""The standard sets: AQI breakpoints (HJ 633), limits (GB 3095) and composite-index divisors.

A standard set is a parameter everywhere (`standard="2012"` or `"2026"`), chosen by date with
`standard_for(day)`: "2012" (GB 3095-2012 / HJ 633-2012 / HJ 663-2013) before 2026-03-01,
"2026" (GB 3095—2026 / HJ 633—2026 / HJ 663—2026) from then on.

What the 2026 set holds is only what is confirmed (standards note §6): the PM2.5 limits (phase 1
transitional Grade II annual 30 / 24-h 60 until 2030-12-31, then 25 / 50). Everything the note
marks unverified (the new PM AQI breakpoints, the other pollutants' limits, the weighted index)
is **not** applied: those entries keep the 2012 values and `Standard.unverified` lists them, so
callers can say so in their output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

POLLUTANTS = ("so2", "no2", "co", "o3", "pm10", "pm25")
# Daily report inputs (HJ 633-2012 §5, Table 1): the five 24-h means and the two O3 terms.
DAILY_TERMS = ("so2", "no2", "co", "pm10", "pm25", "o3_1h", "o3_8h")
# CNEMC wording of the primary pollutant (首要污染物), in CNEMC's order for ties.
CNEMC_NAMES = {
    "so2": "二氧化硫",
    "no2": "二氧化氮",
    "co": "一氧化碳",
    "o3": "臭氧1小时",
    "o3_1h": "臭氧1小时",
    "o3_8h": "臭氧8小时",
    "pm10": "颗粒物(PM10)",
    "pm25": "细颗粒物(PM2.5)",
}
# Short names used in JSON output.
SHORT_NAMES = {
    "so2": "SO2", "no2": "NO2", "co": "CO", "o3": "O3", "o3_1h": "O3_1h", "o3_8h": "O3_8h",
    "pm10": "PM10", "pm25": "PM2.5",
}  # fmt: skip
# Decimals per HJ 663-2013 §6.3 (GB/T 8170): µg/m³ integers, CO (mg/m³) one decimal.
DECIMALS = {"so2": 0, "no2": 0, "co": 1, "o3": 0, "o3_1h": 0, "o3_8h": 0, "pm10": 0, "pm25": 0}

IAQI_LEVELS = (0, 50, 100, 150, 200, 300, 400, 500)

# HJ 633-2012 Table 1. NaN marks "not defined": SO2 1-h above 800 (footnote 2: use the SO2 24-h
# IAQI) and O3 8-h above 800 (footnote 3: use the O3 1-h IAQI).
_NAN = float("nan")
BREAKPOINTS_2012: dict[str, tuple[float, ...]] = {
    "so2_24h": (0, 50, 150, 475, 800, 1600, 2100, 2620),
    "so2_1h": (0, 150, 500, 650, 800, _NAN, _NAN, _NAN),
    "no2_24h": (0, 40, 80, 180, 280, 565, 750, 940),
    "no2_1h": (0, 100, 200, 700, 1200, 2340, 3090, 3840),
    "pm10_24h": (0, 50, 150, 250, 350, 420, 500, 600),
    "co_24h": (0, 2, 4, 14, 24, 36, 48, 60),
    "co_1h": (0, 5, 10, 35, 60, 90, 120, 150),
    "o3_1h": (0, 160, 200, 300, 400, 800, 1000, 1200),
    "o3_8h": (0, 100, 160, 215, 265, 800, _NAN, _NAN),
    "pm25_24h": (0, 35, 75, 115, 150, 250, 350, 500),
}

# GB 3095-2012 Table 1 (µg/m³, CO mg/m³): (Grade I, Grade II).
LIMITS_2012: dict[str, dict[str, tuple[float, float]]] = {
    "annual": {"so2": (20, 60), "no2": (40, 40), "pm10": (40, 70), "pm25": (15, 35)},
    "24h": {"so2": (50, 150), "no2": (80, 80), "co": (4, 4), "pm10": (50, 150), "pm25": (35, 75)},
    "1h": {"so2": (150, 500), "no2": (200, 200), "co": (10, 10), "o3": (160, 200)},
    "8h": {"o3": (100, 160)},
}

# AQI levels (HJ 633-2012 Table 2): upper AQI, 级别, 类别, colour name, RGB, CMYK.
LEVELS = (
    (50, "一级", "优", "绿色", (0, 228, 0), (40, 0, 100, 0)),
    (100, "二级", "良", "黄色", (255, 255, 0), (0, 0, 100, 0)),
    (150, "三级", "轻度污染", "橙色", (255, 126, 0), (0, 52, 100, 0)),
    (200, "四级", "中度污染", "红色", (255, 0, 0), (0, 100, 100, 0)),
    (300, "五级", "重度污染", "紫色", (153, 0, 76), (10, 100, 40, 30)),
    (float("inf"), "六级", "严重污染", "褐红色", (126, 0, 35), (30, 100, 100, 30)),
)


@dataclass(frozen=True)
class Standard:
    name: str
    breakpoints: dict[str, tuple[float, ...]]
    limits: dict[str, dict[str, tuple[float, float]]]
    unverified: tuple[str, ...] = field(default=())

    def limit(self, period: str, pollutant: str, grade: int = 2) -> float:
        return self.limits[period][pollutant][grade - 1]

    def composite_divisors(self) -> dict[str, float]:
        """S_i of the MEE ranking method (standards note §4.2): annual Grade II limits for
        SO2, NO2, PM10, PM2.5; the 24-h CO and 8-h O3 Grade II limits."""
        return {
            "so2": self.limit("annual", "so2"),
            "no2": self.limit("annual", "no2"),
            "pm10": self.limit("annual", "pm10"),
            "pm25": self.limit("annual", "pm25"),
            "co": self.limit("24h", "co"),
            "o3": self.limit("8h", "o3"),
        }

    def breakpoint_arrays(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(concentrations, IAQI) of one Table 1 column, without the undefined top rows."""
        conc = np.asarray(self.breakpoints[term], dtype=float)
        levels = np.asarray(IAQI_LEVELS, dtype=float)
        keep = ~np.isnan(conc)
        return conc[keep], levels[keep]


STANDARD_2012 = Standard("2012", BREAKPOINTS_2012, LIMITS_2012)


def _limits_2026(day: date) -> dict[str, dict[str, tuple[float, float]]]:
    limits = {period: dict(values) for period, values in LIMITS_2012.items()}
    if day <= date(2030, 12, 31):  # phase 1: transitional Grade II
        limits["annual"]["pm25"] = (10, 30)
        limits["24h"]["pm25"] = (25, 60)
    else:
        limits["annual"]["pm25"] = (10, 25)
        limits["24h"]["pm25"] = (25, 50)
    return limits


UNVERIFIED_2026 = (
    "HJ 633—2026 PM2.5/PM10 AQI breakpoints (2012 breakpoints used)",
    "GB 3095—2026 limits other than PM2.5 (2012 limits used)",
)
# The same notes in the bulletins' language (zh-CN pages must not carry English notes).
UNVERIFIED_2026_ZH = {
    UNVERIFIED_2026[0]: "HJ 633—2026 的 PM2.5/PM10 空气质量分指数分段尚未核实，沿用 2012 年分段",
    UNVERIFIED_2026[1]: "GB 3095—2026 中 PM2.5 以外的浓度限值尚未核实，沿用 2012 年限值",
}
STANDARD_2026_START = date(2026, 3, 1)


def standard_for(day: date | None = None, name: str = "auto") -> Standard:
    """The standard set in force on `day` ("auto"), or the one named ("2012", "2026")."""
    if name == "auto":
        name = "2026" if day is not None and day >= STANDARD_2026_START else "2012"
    if name == "2012":
        return STANDARD_2012
    if name == "2026":
        return Standard("2026", BREAKPOINTS_2012, _limits_2026(day or STANDARD_2026_START),
                        UNVERIFIED_2026)
    raise ValueError(f"unknown standard {name!r}; allowed: auto, 2012, 2026")
