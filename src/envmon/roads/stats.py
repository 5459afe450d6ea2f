"""Drive passes and segment statistics (roads.md §4, steps 3–6), vectorised with numpy.

- **Idle filtering:** readings in a run of speed < 2 km/h lasting more than 60 s are dropped
  (taxi ranks); shorter stops (traffic lights) stay.
- **Flicker smoothing:** a run of ≤ 2 matched points on another segment between two runs on
  the same segment is put back on that segment (roads.md §8: 南长安街 ↔ 吉泰路 ↔ 南长安街).
- **Pass** = consecutive matched points of one vehicle on one segment, split at gaps ≥ 60 s;
  pass value = mean; a pass counts with ≥ 3 readings or ≥ 30 % of the segment length covered.
- **Segment value** = median of pass means (Apte et al. 2017, ES&T 51:6999; ILK Labs "median
  of means"), with IQR, bootstrap 90 % CI, n_passes, n_days, n_taxis.
- **Eligibility:** ≥ 8 distinct days, ≥ 15 passes, ≥ 2 taxis in the period; others are
  "数据不足" (Messier et al. 2018; Apte et al. 2017; Van den Bossche et al. 2015).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PassConfig:
    idle_speed_kmh: float = 2.0
    idle_max_s: float = 60.0
    gap_s: float = 60.0
    min_readings: int = 3
    min_cover_fraction: float = 0.30
    flicker_max_points: int = 2


@dataclass(frozen=True)
class Eligibility:
    min_days: int = 8
    min_passes: int = 15
    min_taxis: int = 2


def _runs(labels_change: np.ndarray) -> np.ndarray:
    """Run id per element from a boolean 'starts a new run' array."""
    return np.cumsum(labels_change) - 1


def point_speed_kmh(device: np.ndarray, t: np.ndarray, x: np.ndarray, y: np.ndarray,
                    half_window: int = 15) -> np.ndarray:
    """Speed at each fix from the displacement between the fixes `half_window` before and
    after it (same device). A window, not consecutive fixes: GPS jitter of a few metres at
    1 Hz reads as ~20 km/h between consecutive fixes of a parked taxi, but as ~1 km/h over
    30 s (Valhalla's `interpolation_distance` serves the same purpose)."""
    n = len(t)
    if n == 0:
        return np.zeros(0)
    new = np.ones(n, dtype=bool)
    new[1:] = device[1:] != device[:-1]
    starts = np.nonzero(new)[0]
    group = np.cumsum(new) - 1
    lo = starts[group]
    hi = np.append(starts[1:], n)[group] - 1
    idx = np.arange(n)
    a = np.maximum(idx - half_window, lo)
    b = np.minimum(idx + half_window, hi)
    dt = t[b] - t[a]
    d = np.hypot(x[b] - x[a], y[b] - y[a])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(dt > 0, d / dt * 3.6, np.nan)


def idle_mask(device: np.ndarray, t: np.ndarray, speed_kmh: np.ndarray,
              config: PassConfig = PassConfig()) -> np.ndarray:
    """True for readings in a slow run (< idle_speed_kmh) lasting more than idle_max_s."""
    n = len(t)
    if n == 0:
        return np.zeros(0, dtype=bool)
    slow = np.nan_to_num(speed_kmh, nan=np.inf) < config.idle_speed_kmh
    new = np.ones(n, dtype=bool)
    new[1:] = ((device[1:] != device[:-1]) | (slow[1:] != slow[:-1])
               | (np.diff(t) >= config.gap_s))
    run = _runs(new)
    t_first = np.full(run[-1] + 1, np.inf)
    t_last = np.full(run[-1] + 1, -np.inf)
    np.minimum.at(t_first, run, t)
    np.maximum.at(t_last, run, t)
    return slow & ((t_last - t_first)[run] > config.idle_max_s)


def smooth_flicker(device: np.ndarray, traj: np.ndarray, seg: np.ndarray,
                   max_points: int = 2) -> np.ndarray:
    """Relabel short runs sandwiched between two runs of the same segment (same trajectory)."""
    seg = seg.copy()
    n = len(seg)
    if n < 3:
        return seg
    new = np.ones(n, dtype=bool)
    new[1:] = (seg[1:] != seg[:-1]) | (traj[1:] != traj[:-1])
    run = _runs(new)
    starts = np.nonzero(new)[0]
    lengths = np.diff(np.append(starts, n))
    label = seg[starts]
    rtraj = traj[starts]
    k = np.arange(1, len(starts) - 1)
    if len(k) == 0:
        return seg
    fix = ((lengths[k] <= max_points) & (label[k - 1] == label[k + 1]) & (label[k - 1] >= 0)
           & (rtraj[k - 1] == rtraj[k]) & (rtraj[k + 1] == rtraj[k]))
    relabel = np.full(len(starts), -2, dtype=np.int64)
    relabel[k[fix]] = label[k[fix] - 1]
    target = relabel[run]
    seg[target != -2] = target[target != -2]
    return seg


def passes(device: np.ndarray, t: np.ndarray, traj: np.ndarray, seg: np.ndarray,
           x: np.ndarray, y: np.ndarray, pm25: np.ndarray, pm10: np.ndarray,
           keep: np.ndarray, seg_length_m: np.ndarray, config: PassConfig = PassConfig()
           ) -> dict[str, np.ndarray]:
    """Drive passes from points sorted by (device, time).

    `seg`: segment index per point (−1: unmatched or unnamed way); `keep`: False for idle or
    otherwise dropped readings (they neither join nor split a pass).
    """
    sel = np.nonzero(keep & (seg >= 0))[0]
    empty = {k: np.zeros(0) for k in ("segment", "point", "start", "end", "n", "covered",
                                       "pm25", "pm10", "counted")}
    if len(sel) == 0:
        return empty
    d, tt, tr, sg = device[sel], t[sel], traj[sel], seg[sel]
    new = np.ones(len(sel), dtype=bool)
    new[1:] = ((d[1:] != d[:-1]) | (sg[1:] != sg[:-1]) | (tr[1:] != tr[:-1])
               | (np.diff(tt) >= config.gap_s))
    pid = _runs(new)
    npass = pid[-1] + 1
    counts = np.bincount(pid, minlength=npass)
    step = np.zeros(len(sel))
    step[1:] = np.where(new[1:], 0.0, np.hypot(np.diff(x[sel]), np.diff(y[sel])))
    covered = np.bincount(pid, weights=step, minlength=npass)

    def mean(values: np.ndarray) -> np.ndarray:
        v = values[sel]
        ok = np.isfinite(v)
        s = np.bincount(pid[ok], weights=v[ok], minlength=npass)
        c = np.bincount(pid[ok], minlength=npass)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(c > 0, s / np.maximum(c, 1), np.nan)

    first = np.nonzero(new)[0]
    last = np.append(first[1:], len(sel)) - 1
    segment = sg[first]
    counted = (counts >= config.min_readings) | (
        covered >= config.min_cover_fraction * seg_length_m[segment])
    return {"segment": segment, "point": sel[first], "start": tt[first], "end": tt[last],
            "n": counts, "covered": covered, "pm25": mean(pm25), "pm10": mean(pm10),
            "counted": counted}


def bootstrap_ci(values: np.ndarray, level: float = 0.90, n_boot: int = 500,
                 seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap CI of the median (roads.md §4.4)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    meds = np.median(rng.choice(values, size=(n_boot, len(values)), replace=True), axis=1)
    lo, hi = np.quantile(meds, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(lo), float(hi)
