"""Drive passes, idle filtering, flicker smoothing (roads.md §4 steps 3–4)."""

from __future__ import annotations

import numpy as np

from envmon.roads.stats import (
    PassConfig,
    bootstrap_ci,
    idle_mask,
    passes,
    point_speed_kmh,
    smooth_flicker,
)


def test_idle_runs_longer_than_60_s_are_dropped_short_stops_kept():
    t = np.arange(300, dtype=float)
    speed = np.full(300, 30.0)
    speed[20:50] = 0.0  # 30 s at a traffic light: kept
    speed[100:220] = 0.5  # 2 min at a taxi rank: dropped
    dev = np.array(["A"] * 300, dtype=object)
    idle = idle_mask(dev, t, speed)
    assert not idle[20:50].any()
    assert idle[100:220].all()
    assert idle.sum() == 120


def test_speed_from_a_window_ignores_gps_jitter_of_a_parked_taxi():
    rng = np.random.default_rng(1)
    t = np.arange(200, dtype=float)
    x, y = rng.normal(0, 4, 200), rng.normal(0, 4, 200)
    dev = np.array(["A"] * 200, dtype=object)
    consecutive = np.hypot(np.diff(x), np.diff(y)).mean() * 3.6
    assert consecutive > 10  # naive speed of a parked taxi
    assert np.nanmedian(point_speed_kmh(dev, t, x, y)) < 2.0


def test_flicker_between_neighbouring_roads_is_smoothed():
    seg = np.array([1, 1, 1, 2, 1, 1, 3, 3, 3, 3, 4, 4, 4])
    dev = np.array(["A"] * len(seg), dtype=object)
    traj = np.zeros(len(seg), dtype=int)
    out = smooth_flicker(dev, traj, seg)
    assert out.tolist() == [1, 1, 1, 1, 1, 1, 3, 3, 3, 3, 4, 4, 4]


def test_passes_split_at_segment_change_gap_and_device():
    t = np.array([0, 1, 2, 3, 4, 5, 100, 101, 102, 0, 1], dtype=float)
    dev = np.array(["A"] * 9 + ["B"] * 2, dtype=object)
    seg = np.array([0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0])
    x = np.array([0, 10, 20, 0, 10, 20, 20, 30, 40, 0, 300], dtype=float)
    pm = np.arange(11, dtype=float)
    traj = np.zeros(11, dtype=int)
    keep = np.ones(11, dtype=bool)
    p = passes(dev, t, traj, seg, x, np.zeros(11), pm, pm, keep, np.array([400.0, 400.0]),
               PassConfig())
    assert p["n"].tolist() == [3, 3, 3, 2]
    assert p["pm25"].tolist() == [1.0, 4.0, 7.0, 9.5]
    # device B: 2 readings but covers 300 m of 400 m (≥ 30 %): counts
    assert p["counted"].tolist() == [True, True, True, True]
    keep[9] = False
    p = passes(dev, t, traj, seg, x, np.zeros(11), pm, pm, keep, np.array([400.0, 400.0]))
    assert p["counted"].tolist()[-1] is False


def test_bootstrap_ci_brackets_the_median():
    values = np.random.default_rng(0).lognormal(4, 0.3, 40)
    lo, hi = bootstrap_ci(values)
    assert lo < np.median(values) < hi
