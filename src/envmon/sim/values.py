"""Plausible, reproducible monitoring values for simulated points.

Every value is a pure function of (seed, MN, factor, period start), so a test can recompute
what a simulated unit sent without having to record it.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime

# Flue-gas point: the three assessed pollutants plus the flue-gas parameters an HJ 75 CEMS
# reports with them (hj212.md §11, Table B.2). Typical levels for an ultra-low-emission unit.
GAS_POLLUTANTS = {"a21026": 18.0, "a21002": 30.0, "a34013": 4.0}  # mg/m3, dry standard
GAS_PARAMETERS = {"a19001": 8.5, "a01012": 55.0, "a01011": 12.0, "a01013": 0.1, "a01014": 9.0}
GAS_FLOW = "a00000"  # m3/s; -Cou is m3 over the period
WATER_POLLUTANTS = {"w01018": 25.0, "w21003": 1.2, "w21011": 0.2, "w21001": 8.0}  # mg/L
WATER_FLOW = "w00000"  # L/s


@dataclass(frozen=True)
class SimPoint:
    mn: str
    pw: str
    kind: str  # gas | water
    factors: dict[str, float | None]  # assessed factor -> limit
    o2_ref: float | None = None
    unit_id: str = ""
    protocol: int = 2017  # the HJ 212 version it speaks (2017 or 2025)
    key: bytes | None = None  # HJ 212-2025: its SM4 key (its data regions are encrypted)


def _rng(seed: int, mn: str, factor: str, start: datetime) -> random.Random:
    return random.Random(f"{seed}|{mn}|{factor}|{start:%Y%m%d%H%M%S}")


def _diurnal(start: datetime) -> float:
    return 1.0 + 0.15 * math.sin((start.hour + start.minute / 60) / 24 * 2 * math.pi)


def level(point: SimPoint, factor: str) -> float:
    base = {**GAS_POLLUTANTS, **WATER_POLLUTANTS}.get(factor, 10.0)
    limit = point.factors.get(factor)
    if limit:
        # Below its own limit even at the daily peak (×1.15), the noise (×1.2) and the O2
        # correction to the reference (×1.25 at 9 % O2): only injected exceedances exceed.
        base = min(base, 0.45 * limit)
    return base


def period_values(
    point: SimPoint, start: datetime, seconds: int, seed: int, *, exceed: bool = False,
    flag: str = "N", scale: float = 1.0,
) -> dict[str, dict[str, float | str]]:
    """Factor → suffix → value for one minute/hour/day period (CN 2051/2061/2031).

    Concentrations are Min/Avg/Max with -Cou the mass in kg over the period (HJ 212-2017
    Appendix D: G = C × Q × 1e-6 for mg/m3 × m3); gas points also carry ZsAvg (O2-corrected).
    `exceed` raises the assessed pollutants to 1.3–1.8 × their limit. `scale` multiplies
    the flow (a unit running at 70 % of its production sends 0.7 × its flue gas, and so
    0.7 × its emissions: limited production under an emergency alert).
    """
    out: dict[str, dict[str, float | str]] = {}
    diurnal = _diurnal(start)
    if point.kind == "gas":
        rng = _rng(seed, point.mn, GAS_FLOW, start)
        flow_m3_s = round(120.0 * diurnal * rng.uniform(0.9, 1.1) * scale, 2)
        volume_m3 = flow_m3_s * seconds
        out[GAS_FLOW] = {
            "Min": round(flow_m3_s * 0.95, 2), "Avg": flow_m3_s, "Max": round(flow_m3_s * 1.05, 2),
            "Cou": round(volume_m3, 1), "Flag": flag,
        }
        o2_rng = _rng(seed, point.mn, "a19001", start)
        o2 = round(GAS_PARAMETERS["a19001"] * o2_rng.uniform(0.95, 1.05), 2)
        o2_ref = point.o2_ref if point.o2_ref is not None else 6.0
        correction = (21.0 - o2_ref) / (21.0 - o2)  # HJ 75-2017 formula for 折算浓度
        for code in point.factors or GAS_POLLUTANTS:
            avg = _concentration(point, code, start, seed, diurnal, exceed)
            out[code] = {
                "Min": round(avg * 0.8, 3), "Avg": avg, "Max": round(avg * 1.2, 3),
                "ZsAvg": round(avg * correction, 3), "Cou": round(avg * volume_m3 * 1e-6, 4),
                "Flag": flag,
            }
        out["a19001"] = {"Avg": o2, "Flag": flag}
        for code, base in GAS_PARAMETERS.items():
            if code != "a19001":
                value = base * _rng(seed, point.mn, code, start).uniform(0.95, 1.05)
                out[code] = {"Avg": round(value, 2), "Flag": flag}
    else:
        rng = _rng(seed, point.mn, WATER_FLOW, start)
        flow_l_s = round(40.0 * diurnal * rng.uniform(0.8, 1.2) * scale, 2)
        volume_m3 = flow_l_s * seconds / 1000.0
        out[WATER_FLOW] = {"Avg": flow_l_s, "Cou": round(volume_m3, 2), "Flag": flag}
        for code in point.factors or WATER_POLLUTANTS:
            avg = _concentration(point, code, start, seed, diurnal, exceed)
            out[code] = {
                "Min": round(avg * 0.9, 3), "Avg": avg, "Max": round(avg * 1.1, 3),
                "Cou": round(avg * volume_m3 * 1e-3, 4), "Flag": flag,
            }
        ph = 7.2 * _rng(seed, point.mn, "w01001", start).uniform(0.97, 1.03)
        out["w01001"] = {"Avg": round(ph, 2), "Flag": flag}
    return out


def realtime_values(point: SimPoint, at: datetime, seed: int) -> dict[str, dict[str, float | str]]:
    """Factor → {Rtd, Flag} for a real-time upload (CN 2011)."""
    hourly = period_values(point, at, 60, seed)
    return {code: {"Rtd": fields["Avg"], "Flag": "N"} for code, fields in hourly.items()}


def _concentration(
    point: SimPoint, code: str, start: datetime, seed: int, diurnal: float, exceed: bool
) -> float:
    rng = _rng(seed, point.mn, code, start)
    limit = point.factors.get(code)
    if exceed and limit:
        return round(limit * rng.uniform(1.3, 1.8), 3)
    return round(level(point, code) * diurnal * rng.uniform(0.8, 1.2), 3)
