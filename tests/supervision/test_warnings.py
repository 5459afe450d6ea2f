"""The warning rules with known inputs: a point at 91 % with pass mark 90 % and margin 2
points warns, at 95 % it does not; a repeated alarm; a missing mark; each warned once."""

from __future__ import annotations

from datetime import timedelta

from envmon.alarms import store as alarm_store
from envmon.assess.marks import add_exemption
from envmon.supervision import api
from envmon.supervision.settings import SupervisionSettings
from envmon.supervision.warnings import missing_mark, near_pass, repeated_alarm
from tests.assess.conftest import GAS, HOUR, NOV, rec, write

UNIT = "91140100MA0GAS0001"
GAS_FACTORS = ("a21026", "a21002", "a34013")


def _hours(store, n_valid: int) -> None:
    write(store, [rec(GAS, f, NOV + k * HOUR) for k in range(n_valid) for f in GAS_FACTORS])


def _gas_findings(store):
    now = NOV + 100 * HOUR  # 100 hours due
    return [f for f in near_pass(store, now, SupervisionSettings(near_pass_margin=2.0))
            if f.mn == GAS]


def test_a_point_at_91_percent_warns(store):
    _hours(store, 91)
    findings = _gas_findings(store)
    assert {f.evidence["variant"] for f in findings} == {"instant", "complete"}
    assert findings[0].evidence["rate_pct"] == 91.0
    assert findings[0].evidence["warn_below_pct"] == 92.0 and "临近" in findings[0].reason


def test_a_point_at_95_percent_does_not(store):
    _hours(store, 95)
    assert _gas_findings(store) == []


def test_a_point_below_the_pass_mark_warns_too(store):
    _hours(store, 80)
    assert "低于" in _gas_findings(store)[0].reason


def test_repeated_alarm(store):
    settings = SupervisionSettings(repeat_alarms=3, repeat_days=7)
    now = NOV + timedelta(days=10)
    for days in (8, 9):
        alarm_store.open_alarm(store, mn=GAS, unit_id=UNIT, factor="a21026", rule="exceedance",
                               data_time=None, value=1, limit=0, detail="",
                               at=NOV + timedelta(days=days))
    alarm_store.open_alarm(store, mn=GAS, unit_id=UNIT, factor="a21026", rule="exceedance",
                           data_time=None, value=1, limit=0, detail="",
                           at=NOV + timedelta(days=1))  # outside the 7 days
    assert repeated_alarm(store, now, settings) == []
    alarm_store.open_alarm(store, mn=GAS, unit_id=UNIT, factor="a21002", rule="exceedance",
                           data_time=None, value=1, limit=0, detail="",
                           at=NOV + timedelta(days=9, hours=1))
    (finding,) = repeated_alarm(store, now, settings)
    assert finding.evidence["alarms"] == 3 and finding.mn == GAS


def test_missing_mark_after_its_deadline_only(store):
    settings = SupervisionSettings(mark_deadline_hours=24)
    start, end = NOV + timedelta(days=1), NOV + timedelta(days=1, hours=5)
    alarm = alarm_store.open_alarm(store, mn=GAS, unit_id=UNIT, factor="", rule="offline",
                                   data_time=None, value=None, limit=None, detail="离线",
                                   at=start)
    alarm_store.close(store, alarm.id, "engine", at=end)
    assert missing_mark(store, end + timedelta(hours=23), settings) == []  # not yet due
    (finding,) = missing_mark(store, end + timedelta(hours=25), settings)
    assert finding.evidence["alarm_id"] == alarm.id
    add_exemption(store, kind="停产", start=start, end=end, by="企业", reason="检修",
                  unit_id=UNIT, at=end + timedelta(hours=2))  # filed in time
    assert missing_mark(store, end + timedelta(hours=25), settings) == []


def test_generate_warnings_opens_each_finding_once(store):
    _hours(store, 91)
    now = NOV + 100 * HOUR
    first = api.generate_warnings(store, now=now)
    assert first.opened and all(c.state == "warning" for c in first.opened)
    assert any(c.mn == GAS and c.source == "near_pass" for c in first.opened)
    again = api.generate_warnings(store, now=now + HOUR)
    assert again.opened == () or all(c.mn != GAS for c in again.opened)
    assert len(again.cases) >= len(first.opened)


def _file(store, start, end, at, mark_type="comm_interrupt"):
    from envmon.marks import review
    from envmon.marks.settings import MarksSettings

    return review.file_mark(store, MarksSettings(), mn=GAS, type_name=mark_type, subtype=None,
                            start=start, end=end, by="企业", filed_from="cli", unit_id=UNIT,
                            factor=None, note=None, at=at)


def test_a_data_mark_filed_in_time_answers_the_warning_until_rejected(store):
    """Issue 13: supervision reads the marks with review — a submitted mark answers a
    missing-mark warning (the bureau has it to review), a rejected one does not."""
    from envmon.marks import review

    settings = SupervisionSettings(mark_deadline_hours=24)
    start, end = NOV + timedelta(days=1), NOV + timedelta(days=1, hours=5)
    alarm = alarm_store.open_alarm(store, mn=GAS, unit_id=UNIT, factor="", rule="offline",
                                   data_time=None, value=None, limit=None, detail="离线",
                                   at=start)
    alarm_store.close(store, alarm.id, "engine", at=end)
    due = end + timedelta(hours=25)
    mark_id = _file(store, start, end, end + timedelta(hours=2))
    assert missing_mark(store, due, settings) == []  # submitted, in time
    review.reject(store, mark_id, by="局", reason="无证明", reviewed_from="cli",
                  at=end + timedelta(hours=3))
    (finding,) = missing_mark(store, due, settings)
    assert finding.evidence["alarm_id"] == alarm.id


def test_mark_behaviour_counts_late_and_rejected_marks_not_withdrawn_ones(store):
    from envmon.marks import review
    from envmon.supervision.marks_source import mark_behaviour

    day = timedelta(days=1)
    on_time = _file(store, NOV + day, NOV + day + 5 * HOUR, NOV + day + 6 * HOUR)
    _file(store, NOV + 2 * day, NOV + 2 * day + 5 * HOUR, NOV + 9 * day)  # a week late
    gone = _file(store, NOV + 3 * day, NOV + 3 * day + HOUR, NOV + 3 * day + 2 * HOUR)
    review.reject(store, on_time, by="局", reason="无证明", reviewed_from="cli")
    review.withdraw(store, gone, by="企业")
    counts = mark_behaviour(store, NOV, NOV + 30 * day, late_after_hours=24)
    assert counts == {UNIT: {"late": 1, "rejected": 1}}
