"""inconsistent: related quantities that contradict each other.

Two checks:

- production pattern: hours when the flue-gas temperature (a01012) is below `COLD` (0.5) ×
  the point's median while the flow (a00000) stays at or above `RUNNING_FLOW` (0.5) × its
  median and a pollutant is reported as normal data (N). A cold stack means the unit is not
  firing; a normal flow and normal concentrations then come from somewhere else (cases:
  "停产期间在线数据仍正常上传"). Fires on runs of at least `MIN_HOURS` (6) hours, longer than
  a start-up or shut-down transition.
- a device-parameter change (3020 site information, stored by the receiver as CN 3020
  records): a pollutant whose mean over the `JUMP_HOURS` (24) valid hours after the change
  differs from the mean of the 24 before by more than `JUMP_SIGMA` (5) standard errors and
  by more than `JUMP_SHARE` (30 %): a level moved by a setting (range, slope, offset), not
  by the process.

NOx vs O2 vs temperature and flow vs load (production data) need figures the store does not
hold yet (the unit's load); they are not checked. Thresholds are our own calibration.
"""

from __future__ import annotations

import numpy as np

from envmon.screen.findings import HOUR, Finding, runs, score_of
from envmon.screen.series import FLOW, TEMPERATURE, PointSeries

PATTERN = "inconsistent"
COLD = 0.5
RUNNING_FLOW = 0.5
MIN_HOURS = 6
JUMP_HOURS = 24
JUMP_SIGMA = 5.0
JUMP_SHARE = 0.3


def _production(series: PointSeries) -> list[Finding]:
    if TEMPERATURE not in series.values or FLOW not in series.values:
        return []
    temperature = series.valid_values(TEMPERATURE)
    flow = series.valid_values(FLOW)
    if np.isfinite(temperature).sum() < 48 or np.isfinite(flow).sum() < 48:
        return []
    t_usual, q_usual = np.nanmedian(temperature), np.nanmedian(flow)
    reporting = np.zeros(series.n_hours, bool)
    for factor in series.pollutants:
        reporting |= series.valid(factor)
    with np.errstate(invalid="ignore"):
        contradiction = ((temperature < COLD * t_usual) & (flow >= RUNNING_FLOW * q_usual)
                         & reporting)
    out = []
    for first, last in runs(contradiction):
        if last - first < MIN_HOURS:
            continue
        out.append(Finding(
            PATTERN, TEMPERATURE, series.hour(first), series.hour(last), last - first,
            MIN_HOURS,
            f"{last - first} 小时烟温 {np.nanmean(temperature[first:last]):.1f}℃ 低于常态 "
            f"{t_usual:.1f}℃ 的一半（停炉特征），流量与污染物仍按正常数据上报",
            score_of(last - first, MIN_HOURS) + 1.0))
    return out


def _parameter_jumps(series: PointSeries) -> list[Finding]:
    out = []
    for change in series.changes:
        at = int((change - series.start) / HOUR) + 1  # the first whole hour after it
        for factor in series.pollutants:
            values = series.valid_values(factor)
            before = values[max(0, at - 3 * JUMP_HOURS):at]
            after = values[at:at + 3 * JUMP_HOURS]
            before = before[np.isfinite(before)][-JUMP_HOURS:]
            after = after[np.isfinite(after)][:JUMP_HOURS]
            if len(before) < JUMP_HOURS // 2 or len(after) < JUMP_HOURS // 2:
                continue
            m0, m1 = before.mean(), after.mean()
            error = np.sqrt(before.var(ddof=1) / len(before) + after.var(ddof=1) / len(after))
            sigma = abs(m1 - m0) / error if error > 0 else np.inf
            if sigma > JUMP_SIGMA and abs(m1 - m0) > JUMP_SHARE * max(abs(m0), 1e-9):
                out.append(Finding(
                    PATTERN, factor, series.hour(at), series.hour(at + JUMP_HOURS),
                    float(min(sigma, 1e6)), JUMP_SIGMA,
                    f"{change:%Y-%m-%d %H:%M} 现场参数变更（3020）后均值由 {m0:.3g} 变为 "
                    f"{m1:.3g}（{sigma:.0f} 倍标准误）",
                    score_of(min(sigma, 1e6), JUMP_SIGMA)))
    return out


def detect(series: PointSeries) -> list[Finding]:
    return _production(series) + _parameter_jumps(series)
