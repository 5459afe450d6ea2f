"""Every verdict of the simulator's scenario (sim.emergency), from data sent over TCP."""

from __future__ import annotations

import pytest

from envmon.emergency import api
from envmon.sim.emergency import EXPECTED
from envmon.store import open_store


@pytest.fixture(scope="module")
def result(scenario_db):
    path, alert_id = scenario_db
    with open_store(path, read_only=True) as store:
        return api.check_alert(store, api.CheckOptions(alert_id)).as_json()


def test_every_unit_gets_the_scenarios_verdict(result):
    assert {u["unit_id"]: u["verdict"] for u in result["units"]} == EXPECTED


def test_achieved_reductions_match_what_the_units_did(result):
    units = {u["unit_id"][-3:]: u for u in result["units"]}
    assert units["000"]["achieved_pct"] == pytest.approx(30, abs=3)  # ran at 70 %
    assert units["001"]["achieved_pct"] == pytest.approx(15, abs=3)  # 85 %, 30 % required
    assert units["002"]["achieved_pct"] == pytest.approx(0, abs=3)  # ignored it
    assert units["003"]["achieved_pct"] == 100.0  # stopped: flag F, 0 kg
    assert units["004"]["achieved_pct"] is None  # 3 baseline days
    assert "at most 3 baseline days" in units["004"]["days"][0]["reason"]


def test_the_worst_units_come_first_and_the_region_is_held_against_the_target(result):
    order = [u["unit_id"][-3:] for u in result["units"]]
    assert order[:2] == ["002", "001"]  # 20 points short, then 15
    assert order[2] == "004"  # 数据不足 before those that complied
    region = result["region"]
    assert region["target_pct"] == 20.0  # orange
    assert [w["unit_id"][-3:] for w in region["worst"]] == ["002", "001", "004"]
    assert region["verdicts"] == {"落实": 2, "未落实": 2, "数据不足": 1}
    for code in ("a21026", "a21002", "a34013"):
        p = region["pollutants"][code]
        # four units judged: 30 + 15 + 0 + 100 over four similar units ≈ 36 %
        assert p["achieved_pct"] == pytest.approx(36, abs=4)
        assert p["met"] is True and p["units"] == 4


def test_days_carry_the_hour_by_hour_evidence(result):
    unit = result["units"][0]
    assert [d["date"] for d in unit["days"]] == ["2026-11-20", "2026-11-21"]
    day = unit["days"][0]
    assert len(day["hours"]) == 24
    hour = day["hours"][0]
    assert set(hour["baseline"]) == {"a21026", "a21002", "a34013", "flow"}
    assert hour["achieved"]["flow"] == pytest.approx(hour["baseline"]["flow"], rel=0.2)
    p = day["pollutants"]["a21026"]
    assert p["baseline_days"] == 30 and p["usable_hours"] == 24
    assert p["verdict"] == "未落实" and p["uncertainty_pct"] > 0
