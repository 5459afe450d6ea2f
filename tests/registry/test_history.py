"""Issue 11 item 17: a registry re-import does not rewrite the past. Limits, reference O2,
standards and passwords are versioned with the day they take effect; November's emissions and
tax keep the values in force in November; the import reports what it changed."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from typer.testing import CliRunner

from envmon.cli import app
from envmon.emissions.accounting import emissions, monthly_tax
from envmon.registry.importer import import_rows
from envmon.store import RawPacketRow, RecordRow, open_store
from envmon.timeutil import BEIJING_FIXED

from .conftest import MN_1, UNIT_A, csv_text, line

NOVEMBER = datetime(2026, 11, 1, tzinfo=BEIJING_FIXED)
DECEMBER = datetime(2026, 12, 1, tzinfo=BEIJING_FIXED)
HOUR = timedelta(hours=1)
runner = CliRunner()


def point_row(**kw: str) -> dict[str, str]:
    row = {
        "province": "山西省", "city": "太原市", "city_code": "140100", "county": "小店区",
        "county_code": "140105", "unit_id": UNIT_A, "unit_name": "小店恒泰热电有限公司",
        "must_network": "1", "assessed": "1", "outlet_id": "DA001", "outlet_name": "1号锅炉排口",
        "kind": "gas", "mn": MN_1, "pw": "123456", "factors": "a21026:35", "o2_ref": "6",
        "standard": "GB 13223-2011",
    }  # fmt: skip
    row.update(kw)
    return row


def write_november(store) -> None:
    """720 hours of SO2 20 mg/m³ measured at O2 9 %, no ZsAvg: corrected to o2_ref 6 it is
    25 mg/m³ (not below 70 % of 35: no reduction); to o2_ref 9 it is 20 (below: 75 %)."""
    records = []
    for k in range(720):
        hour = NOVEMBER + k * HOUR
        for code, avg, cou in (("a21026", 20.0, None), ("a19001", 9.0, None),
                               ("a00000", 100.0, 360000.0)):
            records.append(RecordRow(MN_1, "2061", hour, code, code, None, avg, None, None,
                                     cou, None, None, "N", None, None, hour + HOUR, None))
    store.write_batch([RawPacketRow(NOVEMBER, "test", "accepted", None, MN_1, "2061", None,
                                    b"")], records)


def november_figures(store):
    (so2,) = emissions(store, NOVEMBER, DECEMBER)
    (tax,) = monthly_tax(store, NOVEMBER, DECEMBER, results=[so2])
    return so2, tax


@pytest.fixture
def registered(tmp_path):
    with open_store(tmp_path / "h.duckdb") as store:
        report = import_rows(store, [point_row()], effective=date(2026, 10, 1))
        assert report.ok and report.changes == ()
        write_november(store)
        yield store


def test_a_later_limit_or_o2_ref_change_keeps_novembers_tax(registered):
    store = registered
    so2, tax = november_figures(store)
    assert so2.mean_concentration == pytest.approx(25.0) and so2.limit == 35.0
    assert tax.reduction == 1.0
    before = (so2.kg, so2.mean_concentration, tax.tax_yuan, tax.reduction)

    report = import_rows(store, [point_row(factors="a21026:100", o2_ref="9")],
                         effective=date(2026, 12, 1))
    assert report.ok
    changed = {(c.field, c.factor): (c.old, c.new) for c in report.changes}
    assert changed == {("limit", "a21026"): ("35", "100"), ("o2_ref", ""): ("6", "9")}
    assert all(c.effective_from == DECEMBER for c in report.changes)

    so2, tax = november_figures(store)
    assert (so2.kg, so2.mean_concentration, tax.tax_yuan, tax.reduction) == before
    assert so2.limit == 35.0
    # December uses the new values: corrected to 9 % O2 and judged against 100
    (dec,) = emissions(store, DECEMBER, DECEMBER + 24 * HOUR)
    assert dec.limit == 100.0


def test_a_change_mid_month_applies_from_its_day(registered):
    store = registered
    import_rows(store, [point_row(factors="a21026:22", o2_ref="9")],
                effective=date(2026, 11, 16))
    so2, _ = november_figures(store)
    by_hour = {h.hour: h for h in so2.hours}
    early, late = by_hour[NOVEMBER + 24 * HOUR], by_hour[datetime(2026, 11, 20, 5,
                                                                  tzinfo=BEIJING_FIXED)]
    assert early.corrected == pytest.approx(25.0) and early.limit == 35.0
    assert late.corrected == pytest.approx(20.0) and late.limit == 22.0
    # 25 > 35? no; 20 > 22? no: not exceeded, although 25 > the later limit 22
    assert not so2.exceeded


def test_password_change_is_versioned_and_the_receiver_uses_the_current(registered):
    store = registered
    report = import_rows(store, [point_row(pw="654321")], effective=date(2026, 11, 20))
    (change,) = report.changes
    assert (change.field, change.old, change.new) == ("pw", "******", "******")
    assert store.point_auth(MN_1).pw == "654321"
    history = store.registry_history([MN_1])[MN_1]
    assert history.value_at("pw", "", datetime(2026, 11, 19, tzinfo=BEIJING_FIXED),
                            None) == "123456"
    assert history.value_at("pw", "", datetime(2026, 11, 20, tzinfo=BEIJING_FIXED),
                            None) == "654321"
    # an unchanged re-import records nothing new
    again = import_rows(store, [point_row(pw="654321")], effective=date(2026, 11, 25))
    assert again.changes == ()


def test_cli_reports_the_changes_and_checks_the_date(tmp_path):
    db = tmp_path / "cli.duckdb"
    first = tmp_path / "a.csv"
    first.write_text(csv_text(line()), encoding="utf-8")
    second = tmp_path / "b.csv"
    second.write_text(csv_text(line(factors="a21026:50;a21002:50;a34013:10", o2_ref="9")),
                      encoding="utf-8")
    assert runner.invoke(app, ["registry", "import", str(first), "--db", str(db)]).exit_code == 0
    result = runner.invoke(app, ["registry", "import", str(second), "--db", str(db),
                                 "--effective", "2026-11-01", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["effective_from"] == "2026-11-01"
    assert {(c["field"], c["factor"], c["old"], c["new"]) for c in data["changes"]} == {
        ("limit", "a21026", "35", "50"), ("o2_ref", None, "6", "9")}
    text = runner.invoke(app, ["registry", "import", str(first), "--db", str(db),
                               "--effective", "2026-11-02"])
    assert text.exit_code == 0 and "values changed from 2026-11-02" in text.output
    for bad in ("2026-13-01", "2999-01-01"):
        result = runner.invoke(app, ["registry", "import", str(first), "--db", str(db),
                                     "--effective", bad])
        assert result.exit_code == 2 and "--effective" in result.output, result.output


def test_factors_added_and_removed_are_reported(registered):
    store = registered
    removed = import_rows(store, [point_row(factors="a21002:50")], effective=date(2026, 12, 1))
    assert {(c.field, c.factor, c.old, c.new) for c in removed.changes} == {
        ("factor", "a21026", "a21026", None), ("factor", "a21002", None, "a21002")}
    back = import_rows(store, [point_row(factors="a21002:50;a21026:80")],
                       effective=date(2026, 12, 2))
    assert [(c.field, c.new) for c in back.changes] == [("factor", "a21026")]
    history = store.registry_history([MN_1])[MN_1]
    assert history.limit_at("a21026", datetime(2026, 11, 5, tzinfo=BEIJING_FIXED), 80.0) == 35.0
    assert history.limit_at("a21026", datetime(2026, 12, 5, tzinfo=BEIJING_FIXED), 80.0) == 80.0


# ---- issue 11 item 17 leftovers: per-row dates, scheduled changes, removed factors, history
def test_a_row_effective_date_overrides_the_import_date(registered):
    store = registered
    report = import_rows(store, [point_row(factors="a21026:22", effective_from="2026-11-16")],
                         effective=date(2026, 11, 1))
    assert report.ok, report.rejected
    (change,) = report.changes
    assert change.effective_from == datetime(2026, 11, 16, tzinfo=BEIJING_FIXED)
    history = store.registry_history([MN_1])[MN_1]
    assert history.limit_at("a21026", datetime(2026, 11, 15, tzinfo=BEIJING_FIXED), 22) == 35.0
    assert history.limit_at("a21026", datetime(2026, 11, 16, tzinfo=BEIJING_FIXED), 22) == 22.0
    bad = import_rows(store, [point_row(effective_from="2026-02-30")])
    assert [(p.column, p.line) for p in bad.rejected] == [("effective_from", 2)]


def test_a_future_change_is_scheduled_and_used_only_from_its_day(registered):
    from types import SimpleNamespace

    from envmon.alarms import AlarmConfig, RuleEvaluator
    from envmon.alarms.engine import point_rules
    from envmon.timeutil import now_beijing

    def upload(t, so2, o2):
        return [SimpleNamespace(mn=MN_1, cn="2061", data_time=t, factor=f, rtd=None, avg=v,
                                zs_avg=None, flag="N")
                for f, v in (("a21026", so2), ("a19001", o2), ("a00000", 100.0))]

    store = registered
    today = now_beijing().date()
    day = today + timedelta(days=40)
    starts = datetime(day.year, day.month, day.day, tzinfo=BEIJING_FIXED)
    report = import_rows(store, [point_row(factors="a21026:100", o2_ref="9", pw="654321",
                                           effective_from=day.isoformat())])
    assert report.ok and {c.field for c in report.changes} == {"limit", "o2_ref", "pw"}
    assert all(c.as_json()["scheduled"] for c in report.changes)
    # the current values stay those in force now: the receiver and the alarms use them
    (point,) = store.list_points()
    assert point.factors == {"a21026": 35.0} and point.o2_ref == 6.0
    assert store.point_auth(MN_1).pw == "123456"
    history = store.registry_history([MN_1])[MN_1]
    assert history.limit_at("a21026", starts - HOUR, 35.0) == 35.0
    assert history.limit_at("a21026", starts, 35.0) == 100.0
    listed = store.registry_changes(MN_1)
    assert {(e.field, e.scheduled) for e in listed if e.effective_from == starts} == {
        ("limit", True), ("o2_ref", True), ("pw", True)}
    # an hour before the day is judged by the limit in force then, an hour after by the new
    rules, _ = point_rules(store)
    evaluator = RuleEvaluator(AlarmConfig(), rules)
    so2 = 30.0  # at O2 9 %: 37.5 at o2_ref 6 (> 35), 30 at o2_ref 9 (< 100)
    before = [x for x in evaluator.evaluate(upload(starts - 2 * HOUR, so2, 9.0))
              if x.rule == "exceedance"]
    assert [(x.limit, x.value) for x in before] == [(35.0, 37.5)]
    after = RuleEvaluator(AlarmConfig(), point_rules(store)[0])
    assert [x for x in after.evaluate(upload(starts + 2 * HOUR, so2, 9.0))
            if x.rule == "exceedance"] == []
    # the same file imported again changes nothing
    again = import_rows(store, [point_row(factors="a21026:100", o2_ref="9", pw="654321",
                                          effective_from=day.isoformat())])
    assert again.changes == ()


def test_a_factor_dropped_by_a_re_import_keeps_earlier_months_tax(registered):
    store = registered
    so2, tax = november_figures(store)
    before = (so2.factor, so2.kg, tax.tax_yuan)
    report = import_rows(store, [point_row(factors="a21002:50")], effective=date(2026, 12, 1))
    assert ("factor", "a21026", "a21026", None) in {
        (c.field, c.factor, c.old, c.new) for c in report.changes}
    results = emissions(store, NOVEMBER, DECEMBER)
    (so2,) = [r for r in results if r.factor == "a21026"]
    (tax_so2,) = [t for t in monthly_tax(store, NOVEMBER, DECEMBER, results=[so2])]
    assert (so2.factor, so2.kg, tax_so2.tax_yuan) == before
    assert so2.limit == 35.0
    # December (after the removal) no longer counts it
    assert [r.factor for r in emissions(store, DECEMBER, DECEMBER + 24 * HOUR)] == ["a21002"]


def test_history_command_lists_every_versioned_change(tmp_path):
    import csv
    import io

    db = tmp_path / "hist.duckdb"
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text(csv_text(line()), encoding="utf-8")
    second.write_text(csv_text(line(factors="a21026:50;a21002:50", o2_ref="9")),
                      encoding="utf-8")
    for path, day in ((first, None), (second, "2026-11-01")):
        args = ["registry", "import", str(path), "--db", str(db)]
        result = runner.invoke(app, args + (["--effective", day] if day else []))
        assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["registry", "history", "--db", str(db), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    changes = {(r["mn"], r["factor"], r["field"], r["old"], r["new"], r["effective_from"])
               for r in rows}
    assert (MN_1, "a21026", "limit", "35", "50", "2026-11-01") in changes
    assert (MN_1, None, "o2_ref", "6", "9", "2026-11-01") in changes
    assert (MN_1, "a34013", "factor", "a34013", None, "2026-11-01") in changes
    assert all(r["imported_at"] and r["status"] == "in_force" for r in rows)
    text = runner.invoke(app, ["registry", "history", "--db", str(db), "--mn", MN_1])
    assert text.exit_code == 0 and "o2_ref" in text.output, text.output
    as_csv = runner.invoke(app, ["registry", "history", "--db", str(db), "--format", "csv"])
    header = next(csv.reader(io.StringIO(as_csv.output)))
    assert header[:7] == ["mn", "factor", "field", "old", "new", "effective_from",
                          "imported_at"]
    unknown = runner.invoke(app, ["registry", "history", "--db", str(db), "--mn", "NOSUCH"])
    assert unknown.exit_code == 2 and "--mn" in unknown.output


def test_cli_schedules_a_change_for_a_later_day(tmp_path):
    from envmon.timeutil import now_beijing

    db, first, second = tmp_path / "s.duckdb", tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text(csv_text(line()), encoding="utf-8")
    second.write_text(csv_text(line(o2_ref="9")), encoding="utf-8")
    assert runner.invoke(app, ["registry", "import", str(first), "--db", str(db)]).exit_code == 0
    day = (now_beijing().date() + timedelta(days=31)).isoformat()
    result = runner.invoke(app, ["registry", "import", str(second), "--db", str(db),
                                 "--effective", day, "--format", "json"])
    assert result.exit_code == 0, result.output
    (change,) = json.loads(result.output)["changes"]
    assert (change["field"], change["effective_from"], change["scheduled"]) == (
        "o2_ref", day, True)
    listed = runner.invoke(app, ["registry", "history", "--db", str(db), "--format", "json"])
    assert {(r["field"], r["status"]) for r in json.loads(listed.output)
            if r["effective_from"] == day} == {("o2_ref", "scheduled")}
