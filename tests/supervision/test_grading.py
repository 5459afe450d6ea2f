"""Grading: each rule with a known answer, the reasons, and the history kept."""

from __future__ import annotations

from datetime import timedelta

import pytest

from envmon.alarms import store as alarm_store
from envmon.grading.api import grade_month, list_grades, unit_history
from envmon.grading.rules import grade
from envmon.grading.settings import GradeSettings
from envmon.supervision import api
from tests.assess.conftest import DEC, GAS, NOV

CLEAN = {"rate": 99.0, "alarms": 0, "exceedance_hours": 0, "bad_marks": 0,
         "overdue_notices": 0, "escalated": 0}
UNIT = "91140100MA0GAS0001"


@pytest.mark.parametrize(("rule", "figure", "expected"), [
    ("rate", 96.0, "A"), ("rate", 94.9, "B"), ("rate", 89.0, "C"), ("rate", 79.9, "D"),
    ("alarms", 4, "A"), ("alarms", 5, "B"), ("alarms", 20, "C"), ("alarms", 50, "D"),
    ("exceedance_hours", 1, "B"), ("exceedance_hours", 12, "C"), ("exceedance_hours", 48, "D"),
    ("bad_marks", 1, "B"), ("bad_marks", 3, "C"), ("bad_marks", 6, "D"),
    ("overdue_notices", 1, "B"), ("overdue_notices", 2, "C"), ("overdue_notices", 3, "D"),
    ("escalated", 1, "C"), ("escalated", 2, "D"),
])
def test_each_rule(rule, figure, expected):
    label, reasons = grade({**CLEAN, rule: figure})
    assert label == expected
    if expected == "A":
        assert reasons == []
    else:
        (reason,) = reasons
        assert reason["rule"] == rule and reason["figure"] == figure
        assert reason["grade"] == expected


def test_the_worst_rule_wins_and_labels_are_configurable():
    settings = GradeSettings(labels=("绿", "蓝", "黄", "红"))
    label, reasons = grade({**CLEAN, "alarms": 5, "bad_marks": 6}, settings)
    assert label == "红" and {r["rule"] for r in reasons} == {"alarms", "bad_marks"}
    assert grade({**CLEAN, "rate": None}, settings)[0] == "绿"  # no hours: no rate rule


def test_grade_month_keeps_history(store):
    now = DEC + timedelta(days=20)
    for k in range(5):
        alarm_store.open_alarm(store, mn=GAS, unit_id=UNIT, factor="a21026",
                               rule="exceedance", data_time=NOV + timedelta(hours=k),
                               value=1, limit=0, detail="", at=NOV + timedelta(hours=k))
    case = api.open_case(store, actor=api.Actor("王"), unit_id=UNIT, reason="x", now=NOV).case
    api.notify(store, case.id, actor=api.Actor("王"), action="整改",
               deadline=(NOV + timedelta(days=1)).isoformat(), now=NOV)
    api.sweep(store, now=NOV + timedelta(days=2))
    november = grade_month(store, "2026-11", now=now)
    row = next(r for r in november.rows if r["unit_id"] == UNIT)
    assert row["figures"]["alarms"] == 5 and row["figures"]["exceedance_hours"] == 5
    assert row["figures"]["overdue_notices"] == 1 and row["figures"]["escalated"] == 1
    assert row["grade"] == "D"  # rate 0 % (no data) → D
    assert {r["rule"] for r in row["reasons"]} >= {"alarms", "exceedance_hours",
                                                   "overdue_notices", "escalated"}
    grade_month(store, "2026-10", now=now)
    grade_month(store, "2026-11", now=now)  # again: replaced, not doubled
    assert [r["month"] for r in unit_history(store, UNIT).rows] == ["2026-10", "2026-11"]
    assert list_grades(store, now=now).month == "2026-11"
    assert len(list_grades(store, "2026-11", now=now).rows) == 4
