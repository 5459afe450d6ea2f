"""The compliance arithmetic with known answers (envmon.emergency.compliance)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from envmon.emergency import compliance as cx
from envmon.emergency.settings import EmergencyConfig
from envmon.timeutil import BEIJING_FIXED

ALERT = datetime(2026, 11, 20, tzinfo=BEIJING_FIXED)
HOURS = [ALERT + timedelta(hours=k) for k in range(24)]
CONFIG = EmergencyConfig()


def baseline(value=100.0, days=30, per_day=None):
    """Valid hourly values of the `days` days before the alert (value, or per_day(d))."""
    out = {}
    for d in range(1, days + 1):
        for h in range(24):
            out[ALERT - timedelta(days=d) + timedelta(hours=h)] = (
                per_day(d) if per_day else value)
    return out


def check(alert_value, required=20.0, base=None, **kw):
    days = cx.baseline_dates(ALERT, CONFIG)
    return cx.day_check("a21026", HOURS, {h: alert_value for h in HOURS},
                        base if base is not None else baseline(), days, CONFIG, required, **kw)


def test_exactly_the_required_reduction_complies():
    day = check(80.0)
    assert day.achieved_pct == pytest.approx(20.0)
    assert day.uncertainty_pct == 0.0
    assert (day.usable_hours, day.baseline_days) == (24, 30)
    assert day.baseline_total == pytest.approx(2400.0)
    assert day.verdict == cx.COMPLIED


def test_just_below_the_required_reduction_is_not_complied():
    day = check(80.5)
    assert day.achieved_pct == pytest.approx(19.5)
    assert day.verdict == cx.NOT_COMPLIED
    assert "19.5 %" in day.reason and "20 %" in day.reason


def test_too_few_baseline_days_is_insufficient():
    day = check(50.0, base=baseline(days=6))
    assert day.verdict == cx.INSUFFICIENT
    assert day.achieved_pct is None
    assert "6 of 24 alert hours" not in day.reason  # the hours are there, the days are not


def test_too_few_alert_hours_is_insufficient():
    days = cx.baseline_dates(ALERT, CONFIG)
    day = cx.day_check("a21026", HOURS, {h: 0.0 for h in HOURS[:17]}, baseline(), days,
                       CONFIG, 20.0)
    assert day.verdict == cx.INSUFFICIENT  # 17 / 24 = 71 % < 75 %
    assert "17 of 24" in day.reason
    day = cx.day_check("a21026", HOURS, {h: 0.0 for h in HOURS[:18]}, baseline(), days,
                       CONFIG, 20.0)
    assert day.verdict == cx.COMPLIED  # 18 / 24 = 75 %: judged (stopped hours count as 0)


def test_a_shortfall_within_the_baselines_noise_is_not_a_verdict_against_the_unit():
    # baseline days alternate 90 and 110 kg/h: s of the day ratios = 0.1017 (n = 30),
    # u = 100 × 0.81 × 0.1017 × √(1 + 1/30) = 8.37 %; shortfall 1 % < 1.645 u
    base = baseline(per_day=lambda d: 90.0 if d % 2 else 110.0)
    day = check(81.0, base=base)
    assert day.achieved_pct == pytest.approx(19.0)
    assert day.uncertainty_pct == pytest.approx(8.37, abs=0.01)
    assert day.verdict == cx.COMPLIED
    # 5 % achieved: u = 9.82, 1.645 u = 16.2 > 15 short: still within the noise
    assert check(95.0, base=base).verdict == cx.COMPLIED
    # nothing cut: u = 10.34, 1.645 u = 17.0 < 20 short: 未落实
    assert check(100.0, base=base).verdict == cx.NOT_COMPLIED


def test_baseline_leaves_out_other_alert_days():
    other = (ALERT - timedelta(days=5), ALERT - timedelta(days=3))
    days = cx.baseline_dates(ALERT, CONFIG, [other])
    assert len(days) == 28
    assert (ALERT - timedelta(days=5)).date() not in days
    assert (ALERT - timedelta(days=4)).date() not in days
    assert (ALERT - timedelta(days=3)).date() in days


def test_verdicts_combine():
    assert cx.combine([cx.COMPLIED, cx.COMPLIED]) == cx.COMPLIED
    assert cx.combine([cx.COMPLIED, cx.INSUFFICIENT]) == cx.INSUFFICIENT
    assert cx.combine([cx.INSUFFICIENT, cx.NOT_COMPLIED]) == cx.NOT_COMPLIED
    assert cx.combine([]) == cx.INSUFFICIENT
