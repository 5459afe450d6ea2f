"""The furnace-temperature rule (issue 16): HJ 212-2025 CN 2111 carries the furnace's 5-minute
mean temperature; a valid mean below 850 ℃ (GB 18485-2014) raises `furnace_temperature`, a
mean at or above it clears, invalid means and other CNs are no evidence."""

from __future__ import annotations

from datetime import timedelta

from envmon.alarms import RULES
from envmon.alarms.config import RULE_NAMES_ZH
from tests.alarms.test_rules import MN, T0, evaluator, kinds, rec


def five_min(k: int, celsius: float, *, flag: str = "N", cn: str = "2111"):
    return [rec("a01901", celsius, cn=cn, t=T0 + timedelta(minutes=5 * k), flag=flag)]


def test_a_furnace_below_850_raises_on_its_5_minute_mean_and_clears_at_850():
    ev = evaluator()
    assert ev.evaluate(five_min(0, 900.0)) == []
    out = ev.evaluate(five_min(1, 842.5))
    assert kinds(out) == [("Raise", "a01901", "furnace_temperature")]
    assert (out[0].value, out[0].limit, out[0].mn) == (842.5, 850.0, MN)
    assert "842.5℃ < 850℃" in out[0].detail
    assert ev.evaluate(five_min(2, 820.0)) == []  # still below: one alarm
    assert ev.evaluate(five_min(3, 700.0, flag="D")) == []  # a fault-flagged mean: no evidence
    assert kinds(ev.evaluate(five_min(4, 850.0))) == [("Clear", "a01901", "furnace_temperature")]


def test_only_the_5_minute_means_of_cn_2111_and_a_configurable_floor():
    assert ev_of(five_min(0, 800.0, cn="2011")) == []
    assert kinds(evaluator(furnace_min_c=900.0).evaluate(five_min(0, 880.0))) == [
        ("Raise", "a01901", "furnace_temperature")]
    assert "furnace_temperature" in RULES and RULE_NAMES_ZH["furnace_temperature"]


def ev_of(records):
    return evaluator().evaluate(records)
