"""Issue 11 item 17 in the alarm rules: an hour is judged by the limit and reference O2 in force
at its data time, so a re-sent November hour is judged by November's limit after a change."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from envmon.alarms import AlarmConfig, PointRules, RuleEvaluator
from envmon.store import PointHistory
from envmon.timeutil import BEIJING_FIXED

MN = "GAS0000000000000000017"
DECEMBER = datetime(2026, 12, 1, tzinfo=BEIJING_FIXED)
HISTORY = PointHistory(MN, (
    ("limit", "a21026", None, "35.0"), ("o2_ref", "", None, "6.0"),
    ("limit", "a21026", DECEMBER, "100.0"), ("o2_ref", "", DECEMBER, "9.0"),
))


def upload(t: datetime, so2: float, o2: float) -> list:
    return [SimpleNamespace(mn=MN, cn="2061", data_time=t, factor=f, rtd=None, avg=v,
                            zs_avg=None, flag="N")
            for f, v in (("a21026", so2), ("a19001", o2), ("a00000", 100.0))]


def exceedances(t: datetime) -> list:
    # the registry now holds the December values (100, o2_ref 9)
    ev = RuleEvaluator(AlarmConfig(), {MN: PointRules("gas", {"a21026": 100.0}, 9.0, HISTORY)})
    return [x for x in ev.evaluate(upload(t, 30.0, 9.0)) if x.rule == "exceedance"]


def test_a_november_hour_is_judged_by_novembers_limit_and_o2_ref():
    (raised,) = exceedances(datetime(2026, 11, 10, 9, tzinfo=BEIJING_FIXED))
    assert raised.limit == 35.0 and raised.value == 37.5  # 30 × (21 − 6)/(21 − 9)
    assert exceedances(datetime(2026, 12, 10, 9, tzinfo=BEIJING_FIXED)) == []
