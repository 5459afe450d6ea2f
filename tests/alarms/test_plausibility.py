"""Alarms on implausible values (issue 10): the receiver's records, as it stores them, raise
`implausible` (flag X, with the reason the record keeps) or `out_of_range` (flag T, a value
outside the registered instrument range; emissions.md §8), and a valid value clears them."""

from __future__ import annotations

from datetime import datetime, timedelta

from envmon.alarms import AlarmConfig, PointRules, RuleEvaluator
from envmon.alarms.rules import Clear, Raise
from envmon.hj212 import codec
from envmon.ingest.records import records_from_packet
from envmon.timeutil import BEIJING_FIXED

T0 = datetime(2026, 11, 2, 0, 0, tzinfo=BEIJING_FIXED)
MN = "010000A8900016F000169DC0"


def stored(k: int, so2: str, ranges=None) -> list:
    """The records the receiver stores for an upload whose a21026-Avg is the text `so2`."""
    t = T0 + timedelta(hours=k)
    frame = codec.build_packet(
        qn=codec.make_qn(t), st="31", cn="2061", pw="123456", mn=MN, flag=5,
        cp=f"DataTime={codec.format_time(t)};a21026-Avg={so2},a21026-Flag=N;"
           "a19001-Avg=8,a19001-Flag=N;a00000-Avg=100,a00000-Flag=N")
    return records_from_packet(codec.decode(frame), t + timedelta(minutes=5), ranges=ranges)


def test_an_implausible_value_raises_implausible_with_its_reason_and_a_valid_one_clears():
    ev = RuleEvaluator(AlarmConfig(), {MN: PointRules("gas", {"a21026": 35.0}, 6.0)})
    [raised] = ev.evaluate(stored(0, "1e308"))
    assert isinstance(raised, Raise)
    assert (raised.factor, raised.rule) == ("a21026", "implausible")
    assert "a21026-Avg: 1e308 is of implausible magnitude" in raised.detail
    assert ev.evaluate(stored(1, "abc")) == []  # still open: raised once
    [cleared] = ev.evaluate(stored(2, "20"))
    assert isinstance(cleared, Clear) and cleared.rule == "implausible"


def test_a_value_outside_the_instrument_range_raises_out_of_range():
    ev = RuleEvaluator(AlarmConfig(), {MN: PointRules("gas", {"a21026": 35.0}, 6.0)})
    out = ev.evaluate(stored(0, "2500", ranges={"a21026": (0.0, 2000.0)}))
    assert [(type(t).__name__, t.factor, t.rule) for t in out] == [
        ("Raise", "a21026", "out_of_range")]
