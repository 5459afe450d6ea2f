"""Each detector on a series built to fire and on one built not to, near its threshold."""

from __future__ import annotations

import numpy as np

from envmon.screen import clipping, copied, dilution, flag_gaming, flat, inconsistent, periodic
from envmon.screen.series import O2, TEMPERATURE
from tests.screen.helpers import LIMIT, SO2, point, set_corrected


def patterns(findings, factor=None):
    return [(f.pattern, f.factor, f.start, f.end) for f in findings
            if factor is None or f.factor == factor]


def test_an_honest_point_has_no_finding():
    p = point()
    for detector in (flat, dilution, clipping, periodic, flag_gaming, inconsistent, copied):
        assert detector.detect(p) == [], detector.PATTERN


def test_flat_fires_on_days_far_below_the_points_noise_and_not_just_above():
    p = point()
    typical = np.median(np.nanstd(p.days(p.values[SO2]), axis=1))
    first, last = 5 * 24, 8 * 24  # three days at 5 % of the typical spread
    rng = np.random.default_rng(1)
    p.values[SO2][first:last] = 12.0 + rng.normal(0, 0.05 * typical, last - first)
    (found,) = flat.detect(p)
    assert (found.pattern, found.factor) == ("flat", SO2)
    assert (found.start, found.end) == (p.hour(first), p.hour(last))
    assert found.statistic < flat.STD_RATIO and found.threshold == flat.STD_RATIO
    # at 20 % of the typical spread (twice the threshold) the days are not flat
    q = point()
    q.values[SO2][first:last] = 12.0 + rng.normal(0, 0.2 * typical, last - first)
    assert flat.detect(q) == []


def test_flat_sees_a_day_of_three_values():
    p = point()
    p.values[SO2][48:72] = np.resize([12.0, 12.5, 13.0], 24)  # spread kept, 3 values only
    assert patterns(flat.detect(p)) == [("flat", SO2, p.hour(48), p.hour(72))]


def test_copied_finds_a_scaled_copy_of_another_day_and_another_point():
    p, other = point(), point(seed=99, mn="TEST0002")
    p.values[SO2][240:264] = np.round(p.values[SO2][48:72] * 1.07 + 0.3, 3)
    other.values[SO2][300:324] = np.round(p.values[SO2][96:120] * 0.95, 3)
    own = copied.detect(p)
    assert patterns(own) == [("copied", SO2, p.hour(240), p.hour(264))]
    assert own[0].statistic >= copied.MIN_R
    across = copied.detect_fleet([p, other])
    assert patterns(across[1]) == [("copied", SO2, p.hour(300), p.hour(324))]
    assert "TEST0001" in across[1][0].detail


def test_copied_ignores_a_day_that_only_resembles_another():
    p = point()
    rng = np.random.default_rng(5)
    # same shape, but 2 % noise: r ≈ 0.99, far from a copy's 0.9999
    p.values[SO2][240:264] = p.values[SO2][48:72] * (1 + rng.normal(0, 0.02, 24))
    assert copied.detect(p) == []


def test_dilution_fires_when_o2_rises_and_the_corrected_value_hugs_the_limit():
    p = point()
    first, last = 10 * 24, 13 * 24
    p.values[O2][first:last] += 4.0
    set_corrected(p, first, last, np.full(last - first, 0.93 * LIMIT))
    (found,) = dilution.detect(p)
    assert (found.pattern, found.start, found.end) == ("dilution", p.hour(first), p.hour(last))
    assert found.statistic > dilution.Z_THRESHOLD


def test_dilution_needs_both_the_o2_rise_and_the_values_near_the_limit():
    p = point()
    first, last = 10 * 24, 13 * 24
    p.values[O2][first:last] += 4.0  # O2 up, corrected values as usual: a low-load spell
    assert dilution.detect(p) == []
    q = point()
    q.values[O2][first:last] += 1.0  # values near the limit, O2 barely up (< 1.5 pp)
    set_corrected(q, first, last, np.full(last - first, 0.93 * LIMIT))
    assert dilution.detect(q) == []


def test_clipping_fires_on_values_piled_under_the_limit():
    p = point(level=0.6)
    rng = np.random.default_rng(3)
    first, last = 5 * 24, 12 * 24
    true = LIMIT * rng.uniform(0.95, 1.3, last - first)
    set_corrected(p, first, last, np.where(true >= LIMIT, LIMIT * rng.uniform(0.9, 0.99,
                                                                              last - first),
                                           true))
    (found,) = clipping.detect(p)
    assert found.pattern == "clipping" and found.statistic >= clipping.MIN_SHARE


def test_clipping_accepts_a_smooth_density_across_the_limit():
    p = point(level=0.85)  # honest, near the limit: many hours on both sides of it
    assert clipping.detect(p) == []


def test_periodic_fires_on_a_sine_the_process_does_not_make():
    p = point()
    first, last = 8 * 24, 12 * 24
    t = np.arange(last - first)
    set_corrected(p, first, last, 14.0 * (1 + 0.05 * np.sin(2 * np.pi * t / 7.3)))
    found = periodic.detect(p)
    assert found and all(f.pattern == "periodic" for f in found)
    assert any(f.start < p.hour(last) and p.hour(first) < f.end for f in found)
    assert "7." in found[0].detail


def test_periodic_leaves_a_daily_cycle_alone():
    p = point()
    t = np.arange(p.n_hours)
    daily = 1 + 0.2 * np.sin(2 * np.pi * t / 24) + 0.1 * np.sin(2 * np.pi * t / 12)
    set_corrected(p, 0, p.n_hours, p.corrected[SO2] * daily)
    assert periodic.detect(p) == []


def _peaks(p, runs, *, flag: str, keep: bool):
    """Peaks over the limit on `runs` (first hour, hours), flagged `flag`; edges at 0.9."""
    for first, hours in runs:
        set_corrected(p, first - 1, first, [0.9 * LIMIT])
        set_corrected(p, first + hours, first + hours + 1, [0.92 * LIMIT])
        set_corrected(p, first, first + hours, np.full(hours, 1.4 * LIMIT))
        if not keep:
            p.corrected[SO2][first:first + hours] = 0.9 * LIMIT
        p.flags[SO2][first:first + hours] = flag


def test_flag_gaming_fires_on_maintenance_flags_over_peaks():
    p = point()
    runs = [(50, 3), (170, 2), (300, 4), (420, 3)]
    _peaks(p, runs, flag="M", keep=False)
    found = flag_gaming.detect(p)
    assert [(f.start, f.end) for f in found] == [(p.hour(a), p.hour(a + n)) for a, n in runs]
    assert all(f.statistic < flag_gaming.MAX_P for f in found)


def test_flag_gaming_leaves_routine_calibration_and_two_coincidences_alone():
    p = point()
    p.flags[SO2][3::24] = "C"  # calibration at 03:00 every day
    _peaks(p, [(50, 3), (300, 4)], flag="M", keep=True)  # two runs only: below MIN_RUNS
    assert flag_gaming.detect(p) == []


def test_flag_gaming_counts_exemption_marks_around_peaks():
    p = point()
    runs = [(50, 3), (170, 2), (300, 4)]
    _peaks(p, runs, flag="N", keep=True)
    p.marks = [(p.hour(a), p.hour(a + n)) for a, n in runs]
    found = flag_gaming.detect(p)
    assert len(found) == 3 and "豁免" in found[0].detail


def test_inconsistent_fires_on_a_cold_stack_with_normal_flow_and_data():
    p = point()
    p.values[TEMPERATURE][200:212] = 18.0  # 12 h: not firing, yet flow and SO2 normal
    (found,) = inconsistent.detect(p)
    assert (found.pattern, found.factor) == ("inconsistent", TEMPERATURE)
    assert (found.start, found.end) == (p.hour(200), p.hour(212))
    q = point()
    q.values[TEMPERATURE][200:205] = 18.0  # 5 h: a shut-down transition, below MIN_HOURS
    assert inconsistent.detect(q) == []


def test_inconsistent_sees_a_level_jump_after_a_parameter_change():
    p = point()
    p.changes = [p.hour(300)]
    p.values[SO2][301:] *= 0.5  # the slope halved by a 3020 setting
    (found,) = inconsistent.detect(p)
    assert found.factor == SO2 and found.start == p.hour(301)
    q = point()
    q.changes = [q.hour(300)]  # a change without effect
    assert inconsistent.detect(q) == []
