"""Counting rules on hand-built records (transmission.md §2–3, §8), written straight into the
store with chosen received times."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from envmon.assess import AssessConfig, assess, competition_ranks, percent, round_gbt8170
from envmon.assess.marks import MarkError, add_correction, add_exemption, revoke

from .conftest import DEC, GAS, GAS2, HOUR, NOV, OTHER, WATER, rec, write

DAY = timedelta(days=1)
AS_OF = DEC + timedelta(days=20)


def test_gbt8170_rounding_is_half_to_even_on_the_exact_value():
    assert round_gbt8170(Fraction(12345, 1000)) == Decimal("12.34")  # 5 then nothing: even
    assert round_gbt8170(Fraction(12355, 1000)) == Decimal("12.36")
    assert round_gbt8170(Fraction(123451, 10000)) == Decimal("12.35")  # 5 then 1: up
    assert round_gbt8170(Fraction(2, 3) * 100) == Decimal("66.67")
    assert percent(600, 644) == Decimal("93.17")
    assert percent(0, 0) is None
    assert percent(0, 5) == Decimal("0.00")


def test_ties_share_a_rank_and_undefined_rates_are_unranked():
    values = [Decimal("99"), Decimal("98"), Decimal("98"), Decimal("97"), None]
    assert competition_ranks(values, lambda v: v) == [1, 2, 2, 4, None]


def test_worked_example_of_transmission_md_section_8(store):
    """One wastewater outlet, COD only, a 30-day month: 2 days 停产 with proof, one 标样核查
    hour each other day; 620 hours on time (600 valid), 14 more within the window (12 valid).
    Published: 即时 96.27 / 96.77 / 93.17 %, 补全 98.45 / 96.53 / 95.03 %."""
    store.execute("DELETE FROM point_factors WHERE mn = ? AND factor <> 'w01018'", [WATER])
    add_exemption(store, unit_id="91140100MA0WAT0001", kind="停产", start=NOV,
                  end=NOV + 2 * DAY, by="张三", reason="检修停产", proof="停产报告-001",
                  at=NOV + 2 * DAY)
    records = []
    hours = [NOV + 2 * DAY + k * HOUR for k in range(28 * 24)]
    check_hours = {h for h in hours if h.hour == 3}  # one standard-sample check a day: C
    plain = [h for h in hours if h not in check_hours]  # 644 hours
    on_time, late = plain[:620], plain[620:634]
    for k, h in enumerate(on_time):
        records.append(rec(WATER, "w01018", h, flag="N" if k < 600 else "M"))
    for k, h in enumerate(late):
        records.append(rec(WATER, "w01018", h, flag="N" if k < 12 else "D",
                           delay=timedelta(days=3)))
    for h in check_hours:
        records.append(rec(WATER, "w01018", h, flag="C"))
    write(store, records)
    result = assess(store, NOV, DEC, AssessConfig(), as_of=AS_OF)
    (row,) = [r for r in result.level("point") if r.code == WATER]
    assert row.counts.should == 644
    assert (row.counts.instant_received, row.counts.instant_valid) == (620, 600)
    assert (row.counts.complete_received, row.counts.complete_valid) == (634, 612)
    assert row.rates["instant"] == {"transmission_rate": Decimal("96.27"),
                                    "valid_rate": Decimal("96.77"),
                                    "effective_rate": Decimal("93.17")}
    assert row.rates["complete"] == {"transmission_rate": Decimal("98.45"),
                                     "valid_rate": Decimal("96.53"),
                                     "effective_rate": Decimal("95.03")}
    # Without the standard-sample rule the check hours are due, received and invalid.
    plain_cfg = AssessConfig(standard_sample_exemption=False)
    (row,) = [r for r in assess(store, NOV, DEC, plain_cfg, as_of=AS_OF).level("point")
              if r.code == WATER]
    assert row.counts.should == 644 + 28
    assert row.counts.instant_received == 620 + 28


def test_instant_cutoff_duplicates_flags_and_window(store):
    h = NOV + 5 * HOUR
    write(store, [
        rec(GAS, "a21026", h, delay=2 * HOUR),  # exactly at the instant cutoff: counts
        rec(GAS, "a21002", h, delay=2 * HOUR + timedelta(seconds=1)),  # complete only
        rec(GAS, "a34013", h, flag="S"),  # received, invalid
        rec(GAS, "a34013", h, delay=3 * HOUR),  # a later copy does not replace the first
        rec(GAS, "a21026", h + HOUR, delay=10 * DAY + timedelta(seconds=1)),  # too late
        rec(GAS, "a00000", h),  # not an assessed factor
        rec(GAS, "a21026", DEC, delay=HOUR),  # next month
    ])
    result = assess(store, NOV, DEC, as_of=AS_OF)
    (row,) = [r for r in result.level("point") if r.code == GAS]
    assert row.counts.should == 720 * 3
    assert (row.counts.instant_received, row.counts.instant_valid) == (2, 1)
    assert (row.counts.complete_received, row.counts.complete_valid) == (3, 2)
    wider = assess(store, NOV, DEC, AssessConfig(instant_hours=3, valid_flags=("N", "S")),
                   as_of=AS_OF)
    (row,) = [r for r in wider.level("point") if r.code == GAS]
    assert (row.counts.instant_received, row.counts.instant_valid) == (3, 3)
    # as_of before the late copies arrived: the assessment as it stood then
    early = assess(store, NOV, DEC, as_of=h + 2 * HOUR)
    (row,) = [r for r in early.level("point") if r.code == GAS]
    assert row.counts.complete_received == 2


def test_exemptions_and_corrections_have_an_audit_trail(store):
    h = NOV + 10 * HOUR
    write(store, [rec(GAS, f, h) for f in ("a21026", "a21002", "a34013")])
    ex = add_exemption(store, mn=GAS2, kind="停运", start=NOV, end=NOV + DAY, by="李四",
                       reason="脱硫设施检修", proof="检修记录", at=NOV + DAY)
    bad = add_correction(store, mn=GAS, factor="a21026", action="invalidate", start=h,
                         end=h + HOUR, by="王五", reason="数据失真", at=NOV + DAY)
    add_correction(store, mn=GAS, action="repair", start=h + HOUR, end=h + 3 * HOUR,
                   by="王五", reason="补录手工监测数据", proof="监测报告", value=12.0,
                   at=h + 5 * DAY)
    add_correction(store, mn=GAS, action="repair", start=h + 3 * HOUR, end=h + 4 * HOUR,
                   by="王五", reason="过期补录", at=h + 12 * DAY)  # outside the 10-day window
    result = assess(store, NOV, DEC, as_of=AS_OF)
    rows = {r.code: r for r in result.level("point")}
    assert rows[GAS2].counts.should == (720 - 24) * 3
    gas = rows[GAS].counts
    assert (gas.instant_received, gas.instant_valid) == (3, 2)
    assert (gas.complete_received, gas.complete_valid) == (3 + 6, 2 + 6)
    # Revoking keeps the row and restores the hours.
    revoke(store, "exemptions", ex, by="李四", reason="无证明材料", at=DEC)
    revoke(store, "corrections", bad, by="王五", reason="误标", at=DEC)
    rows = {r.code: r for r in assess(store, NOV, DEC, as_of=AS_OF).level("point")}
    assert rows[GAS2].counts.should == 720 * 3
    assert rows[GAS].counts.instant_valid == 3
    assert store.query("SELECT COUNT(*) FROM exemptions WHERE revoked_by = '李四'") == [(1,)]
    assert store.query("SELECT COUNT(*) FROM records")[0][0] == 3  # records untouched
    # As of before the revocation, the marks still applied.
    # (and the month's last hour, still running at that moment, was not yet due)
    rows = {r.code: r for r in assess(store, NOV, DEC, as_of=DEC - HOUR).level("point")}
    assert rows[GAS2].counts.should == (720 - 24 - 1) * 3
    with pytest.raises(MarkError):
        add_exemption(store, unit_id="nope", kind="停产", start=NOV, end=DEC, by="x", reason="y")
    with pytest.raises(MarkError):
        add_correction(store, mn=GAS, action="repair", start=NOV, end=DEC, by="", reason="y")


def test_roll_up_network_rate_and_ranking(store):
    hours = [NOV + k * HOUR for k in range(720)]
    records = [rec(GAS, f, h) for h in hours for f in ("a21026", "a21002", "a34013")]
    records += [rec(OTHER, "a21026", h) for h in hours[:360]]
    write(store, records, online=[(GAS, NOV + HOUR), (OTHER, NOV + HOUR), (WATER, NOV + HOUR)])
    result = assess(store, NOV, DEC, as_of=AS_OF)
    units = {r.code: r for r in result.level("unit")}
    assert units["91140100MA0GAS0001"].networked == 0  # GAS2 never sent anything
    assert units["91140100MA0WAT0001"].networked == 1
    assert units["91140100MA0NOPT001"].points == 0
    assert units["91140100MA0NOPT001"].networked == 0
    assert units["91140100MA0NOPT001"].rates["complete"]["effective_rate"] is None
    cities = result.level("city")
    assert [c.code for c in cities] == ["140200", "140100"]
    taiyuan = cities[1]
    assert (taiyuan.must_network, taiyuan.networked) == (3, 1)
    assert taiyuan.network_rate == Decimal("33.33")
    assert taiyuan.counts.should == 720 * 3 * 2 + 720 * 2
    assert taiyuan.counts.complete_valid == 720 * 3
    assert taiyuan.rate("complete") == percent(2160, 5760)
    assert [c.rank for c in cities] == [1, 2]
    (province,) = result.level("province")
    assert province.name == "山西省" and province.points == 4
    mean = assess(store, NOV, DEC, AssessConfig(aggregate="mean_of_units"), as_of=AS_OF)
    taiyuan = [c for c in mean.level("city") if c.code == "140100"][0]
    # units: 甲 (2160 of 4320 = 50 %), 乙 (0 %), 丙 (no should: left out)
    assert taiyuan.rate("complete") == Decimal("25.00")
    data = result.as_json("county")
    assert set(data) == {"from", "to", "instant_hours", "complete_days", "rows"}
    row = data["rows"][0]
    assert set(row) == {"level", "code", "name", "must_network", "networked", "network_rate",
                        "points", "should", "instant", "complete", "rank"}
    assert set(row["instant"]) == {"received", "valid", "transmission_rate", "valid_rate",
                                   "effective_rate"}


def test_datatime_off_the_hour_is_not_an_hourly_value_and_switches(store):
    h = NOV + 3 * HOUR
    write(store, [rec(OTHER, "a21026", h), rec(OTHER, "a21026", h + timedelta(minutes=30))],
          online=[(OTHER, h)])
    (row,) = [r for r in assess(store, NOV, DEC, as_of=AS_OF).level("point") if r.code == OTHER]
    assert row.counts.complete_received == 1
    # any_point: 甲电厂 is networked as soon as one of its points sent something
    write(store, [], online=[(GAS, h)])
    strict = {r.code: r for r in assess(store, NOV, DEC, as_of=AS_OF).level("unit")}
    loose = {r.code: r for r in assess(store, NOV, DEC, AssessConfig(networked_rule="any_point"),
                                       as_of=AS_OF).level("unit")}
    assert strict["91140100MA0GAS0001"].networked == 0
    assert loose["91140100MA0GAS0001"].networked == 1
    # a packet received after the period does not network the point for this period
    write(store, [], online=[(WATER, DEC + HOUR)])
    units = {r.code: r for r in assess(store, NOV, DEC, as_of=AS_OF).level("unit")}
    assert units["91140100MA0WAT0001"].networked == 0


def test_pass_mark_operator_and_config_checks():
    cfg = AssessConfig()
    assert cfg.passes(Decimal("90.00")) is True and cfg.passes(None) is None
    assert AssessConfig(pass_inclusive=False).passes(Decimal("90.00")) is False
    for bad in ({"aggregate": "median"}, {"instant_hours": 0}, {"valid_flags": ()},
                {"valid_flags": ("N'; DROP",)}):
        with pytest.raises(ValueError):
            AssessConfig(**bad)


def test_not_assessed_units_have_no_should(store):
    store.execute("UPDATE units SET assessed = FALSE WHERE unit_id = '91140200MA0GAS0003'")
    result = assess(store, NOV, DEC, as_of=AS_OF)
    (datong,) = [c for c in result.level("city") if c.code == "140200"]
    assert datong.counts.should == 0 and datong.rate("complete") is None
    assert datong.rank is None and result.level("city")[-1].code == "140200"
    assert len(assess(store, NOV, DEC, AssessConfig(assessed_only=False), as_of=AS_OF)
               .level("city")[0].members) >= 1


def test_counting_in_day_chunks_gives_the_same_counts(store):
    from envmon.assess.compute import chunks

    start = NOV + 5 * HOUR
    assert chunks(start, DEC, 7)[:2] == [(start, NOV + 7 * DAY), (NOV + 7 * DAY, NOV + 14 * DAY)]
    assert chunks(start, DEC, None) == [(start, DEC)]
    records = []
    for k in range(0, 720, 1):
        h = NOV + k * HOUR
        if k % 7:
            records.append(rec(WATER, "w01018", h, flag="C" if k % 24 in (3, 4) else "N",
                               delay=timedelta(hours=1 + k % 4)))
        if k % 5:
            records.append(rec(GAS, "a21026", h, flag="N" if k % 11 else "D"))
    write(store, records, online=[(GAS, NOV + 30 * DAY - HOUR)])
    add_exemption(store, mn=GAS, kind="停运", start=NOV + 6 * DAY + 20 * HOUR,
                  end=NOV + 8 * DAY + 3 * HOUR, by="x", reason="y", proof="p", at=NOV)
    whole = assess(store, start, DEC, as_of=AS_OF, chunk_days=None)
    for days in (1, 3, 7):
        pieces = assess(store, start, DEC, as_of=AS_OF, chunk_days=days)
        for level in ("point", "unit", "city"):
            assert pieces.as_json(level) == whole.as_json(level), (days, level)


def test_problem_hours_follow_the_counting_rules(store):
    from envmon.assess import problem_hours

    day = [NOV + k * HOUR for k in range(24)]
    write(store, [rec(WATER, "w01018", h, flag="C" if h.hour in (3, 4) else "N") for h in day]
          + [rec(WATER, "w21003", h) for h in day if h.hour != 7])
    add_correction(store, mn=WATER, factor="w01018", action="invalidate", start=day[9],
                   end=day[10], by="x", reason="y", at=NOV)
    add_exemption(store, mn=WATER, kind="停排", start=day[20], end=DEC, by="x", reason="y",
                  proof="p", at=NOV)
    got = problem_hours(store, AssessConfig(), [WATER], NOV, NOV + DAY, as_of=AS_OF)
    assert [(f, h.hour, flag, action) for _, f, h, flag, action in got] == [
        ("w01018", 4, "C", None),  # the 03:00 check is the day's exempt one
        ("w21003", 7, None, None),
        ("w01018", 9, "N", "invalidate"),
    ]


def test_marks_need_proof_and_the_deadline(store):
    """An exemption counts with a proof entered by the 10th of the next month; a repair
    counts with a proof (both switchable)."""
    add_exemption(store, mn=GAS, kind="停产", start=NOV, end=NOV + DAY, by="x", reason="无证明",
                  at=NOV)
    add_exemption(store, mn=GAS2, kind="停产", start=NOV, end=NOV + DAY, by="x", reason="迟交",
                  proof="p", at=DEC + 10 * DAY)  # after the 10th of December
    add_exemption(store, mn=OTHER, kind="停产", start=NOV, end=NOV + DAY, by="x", reason="按时",
                  proof="p", at=DEC + 9 * DAY + 23 * HOUR)  # still the 10th
    add_correction(store, mn=WATER, action="repair", start=NOV, end=NOV + HOUR, by="x",
                   reason="无证明", at=NOV + DAY)
    late = DEC + 20 * DAY

    def should(cfg):
        rows = {r.code: r.counts for r in assess(store, NOV, DEC, cfg, as_of=late).points}
        return [rows[m].should for m in (GAS, GAS2, OTHER)], rows[WATER].complete_received

    # Both deadlines apply by default: OTHER's mark came by the 10th of December but 39 days
    # after its data, past the 10 days of the data (issue 11, item 9).
    assert should(AssessConfig()) == ([720 * 3, 720 * 3, 720], 0)
    assert should(AssessConfig(mark_within_days=None)) == ([720 * 3, 720 * 3, 720 - 24], 0)
    assert should(AssessConfig(marks_require_proof=False, mark_deadline_day=None,
                               mark_within_days=None)) == (
        [(720 - 24) * 3, (720 - 24) * 3, 720 - 24], 2)


def test_a_month_in_progress_counts_only_the_hours_that_have_ended(store):
    h = NOV + 10 * HOUR
    write(store, [rec(GAS, f, h) for f in ("a21026", "a21002", "a34013")])
    # On 3 November 12:30 only 60 hours of November have ended; the rest is not yet due.
    now = NOV + 2 * DAY + 12 * HOUR + timedelta(minutes=30)
    rows = {r.code: r for r in assess(store, NOV, DEC, as_of=now).level("point")}
    assert rows[GAS].counts.should == 60 * 3
    assert rows[GAS].counts.instant_valid == 3
    (province,) = assess(store, NOV, DEC, as_of=NOV).level("province")
    assert province.counts.should == 0  # nothing due yet: rates "—", not 0
    assert province.as_json()["complete"]["effective_rate"] is None


def test_a_copy_from_elsewhere_does_not_count_for_the_unit(store):
    """The copy policy (envmon.store.core_tables): a forged copy received in time, with a
    valid flag, neither makes the hour 即时 nor valid when the unit's own copy came late with
    an invalid flag; the unit's copy counts, as `records_first` shows it."""
    h = NOV + 10 * HOUR
    forged = rec(GAS, "a21026", h, delay=HOUR)._replace(peer="10.9.9.9:1", trusted=False)
    own = rec(GAS, "a21026", h, flag="D", delay=3 * DAY)
    write(store, [forged, own])
    (row,) = [r for r in assess(store, NOV, DEC, as_of=AS_OF).level("point") if r.code == GAS]
    assert (row.counts.instant_received, row.counts.instant_valid) == (0, 0)
    assert (row.counts.complete_received, row.counts.complete_valid) == (1, 0)
    assert store.query("SELECT flag, trusted FROM records_first WHERE mn = ?", [GAS]) == [
        ("D", True)]



def test_pass_mark_compares_the_full_value_not_the_rounded_rate():
    """GB/T 8170-2008 §4.3.1 全数值比较法 (issue 11 item 10): 89.9955 % is published as 90.00 %
    but fails a 90 % pass mark; "rounded" (§4.3.2 修约值比较法) is the switch that passes it."""
    from envmon.assess.compute import Counts, Row

    cfg = AssessConfig()
    exact = Fraction(899955, 10000)
    assert round_gbt8170(exact) == Decimal("90.00")
    assert cfg.passes(exact) is False
    assert AssessConfig(pass_compare="rounded").passes(exact) is True
    assert cfg.passes(Fraction(90)) is True
    assert AssessConfig(pass_inclusive=False, pass_compare="rounded").passes(exact) is False
    with pytest.raises(ValueError, match="pass_compare"):
        AssessConfig(pass_compare="approx")
    row = Row("point", GAS, "x", counts=Counts(25_000, 0, 0, 25_000, 22_499))  # 89.996 %
    row.rates = {"complete": {"effective_rate": percent(22_499, 25_000)}}
    assert row.rate("complete") == Decimal("90.00")
    assert row.passes(cfg) is False
    assert row.passes(AssessConfig(pass_compare="rounded")) is True


def test_the_bulletin_judges_the_pass_mark_on_the_full_value(store):
    """715 valid hours of 720 are 99.3055… %, published 99.31 %: below a 99.31 % pass mark in
    the 通报 (unit 丁钢铁 listed), above it when comparing rounded values."""
    from envmon.period import Period
    from envmon.reports.transmission import build_bulletin

    hours = [NOV + k * HOUR for k in range(720)]
    write(store, [rec(OTHER, "a21026", h) for h in hours[5:]], online=[(OTHER, NOV + DAY)])

    def judged(compare):
        cfg = AssessConfig(pass_mark=Decimal("99.31"), pass_compare=compare)
        result = assess(store, NOV, DEC, cfg, as_of=AS_OF)
        (row,) = [r for r in result.level("unit") if r.code == "91140200MA0GAS0003"]
        assert row.rate("complete") == Decimal("99.31")
        tables = [b for b in build_bulletin(store, result, Period(NOV, DEC)).blocks
                  if getattr(b, "sheet", None) == "未达标单位"]
        return row.passes(cfg), any(r["unit"] == "丁钢铁" for r in tables[0].rows)

    assert judged("full") == (False, True)
    assert judged("rounded") == (True, False)


def test_a_point_is_assessed_only_between_its_assessed_dates(store):
    """Issue 11 item 7: a point registered on 16 November and perfect afterwards is at 100 %,
    not 51.72 %; a re-import with other dates keeps the history, one without the columns
    changes nothing, an empty cell is unbounded."""
    from envmon.registry.assessed import current_dates
    from envmon.registry.importer import import_rows

    from .conftest import registry_rows

    rows = registry_rows()
    (other,) = [r for r in rows if r.get("mn") == OTHER]
    other["考核开始日期"] = "2026-11-16"
    assert import_rows(store, rows).ok
    start = NOV + 15 * DAY
    write(store, [rec(OTHER, "a21026", start + k * HOUR) for k in range(15 * 24)],
          online=[(OTHER, start + DAY)])

    def point():
        (row,) = [r for r in assess(store, NOV, DEC, as_of=AS_OF).points if r.code == OTHER]
        return row

    assert point().counts.should == 15 * 24
    assert point().rate("complete") == Decimal("100.00")
    assert import_rows(store, registry_rows()).ok  # no date columns: the dates stay
    assert point().counts.should == 15 * 24
    other["考核结束日期"] = "2026-11-20"
    assert import_rows(store, rows).ok
    assert point().counts.should == 5 * 24
    other["考核开始日期"], other["考核结束日期"] = "", ""  # empty: unbounded
    assert import_rows(store, rows).ok
    assert point().counts.should == 720
    history = store.query("SELECT assessed_from, assessed_to FROM point_assessed_periods "
                          "WHERE mn = ? ORDER BY id", [OTHER])
    assert [tuple(str(v) if v else None for v in r) for r in history] == [
        ("2026-11-16", None), ("2026-11-16", "2026-11-20"), (None, None)]
    assert current_dates(store)[OTHER] == (None, None)


def test_assessed_dates_are_checked_naming_the_column(store):
    from envmon.registry.importer import import_rows

    from .conftest import registry_rows

    rows = registry_rows()
    (other,) = [r for r in rows if r.get("mn") == OTHER]
    other.update(assessed_from="2026-11-31", assessed_to="2026-11-01")
    report = import_rows(store, rows)
    assert not report.ok
    assert [(p.column, "not a date" in p.message) for p in report.rejected] == [
        ("assessed_from", True)]
    other.update(assessed_from="2026-11-10", assessed_to="2026-11-01")
    (problem,) = import_rows(store, rows).rejected
    assert problem.column == "assessed_to" and "before" in problem.message


def test_parameters_registered_as_factors_are_not_assessed(store):
    """Issue 11 item 11: flow, O2, temperature, pressure and moisture registered with a gas
    point (needed to convert) do not inflate should; the set is a setting."""
    store.execute("INSERT INTO point_factors (mn, factor) VALUES (?, 'a00000'), (?, 'a19001'), "
                  "(?, 'a01012'), (?, 'a01013'), (?, 'a01014')", [OTHER] * 5)
    hours = [NOV + k * HOUR for k in range(720)]
    write(store, [rec(OTHER, "a21026", h) for h in hours], online=[(OTHER, NOV + DAY)])

    def point(cfg):
        (row,) = [r for r in assess(store, NOV, DEC, cfg, as_of=AS_OF).points if r.code == OTHER]
        return row

    assert point(AssessConfig()).counts.should == 720
    assert point(AssessConfig()).rate("complete") == Decimal("100.00")
    assert point(AssessConfig(non_assessed_factors=())).counts.should == 720 * 6
    with pytest.raises(ValueError, match="non_assessed_factors"):
        AssessConfig(non_assessed_factors=("a00000'; --",))


def test_networked_is_judged_on_data_time_not_receipt_time(store):
    """Issue 11 item 8: a unit whose November data all arrived late (on 3 December) was
    networked in November; `networked_by = "received_at"` keeps the receipt-time rule."""
    hours = [NOV + k * HOUR for k in range(0, 720, 24)]
    late = DEC + 2 * DAY - NOV
    write(store, [rec(OTHER, "a21026", h, delay=late - (h - NOV)) for h in hours],
          online=[(OTHER, DEC + 2 * DAY)])

    def networked(cfg, as_of=AS_OF):
        units = {u.code: u for u in assess(store, NOV, DEC, cfg, as_of=as_of).units}
        return units["91140200MA0GAS0003"].networked

    assert networked(AssessConfig()) == 1
    assert networked(AssessConfig(), as_of=DEC + DAY) == 0  # not yet arrived at that time
    assert networked(AssessConfig(networked_by="received_at")) == 0
    with pytest.raises(ValueError, match="networked_by"):
        AssessConfig(networked_by="packets")


def test_networked_by_and_pass_compare_are_options_naming_themselves():
    from envmon.assess.api import AssessSettings
    from envmon.errors import OptionError

    settings = AssessSettings(networked_by="received_at", pass_compare="rounded")
    assert (settings.config.networked_by, settings.config.pass_compare) == (
        "received_at", "rounded")
    assert AssessSettings().config.networked_by == "data_time"
    with pytest.raises(OptionError, match="--networked-by"):
        AssessSettings(networked_by="packets")
    with pytest.raises(OptionError, match="--pass-compare"):
        AssessSettings(pass_compare="approx")


def test_exemptions_need_both_deadlines(store):
    """Issue 11 item 9: transmission.md §1 gives two deadlines for 停产 information: within 10
    days of the data (mark_within_days) and proof by the 10th of the next month. A mark for
    1 November entered on 9 December meets the second only."""
    add_exemption(store, mn=OTHER, kind="停产", start=NOV, end=NOV + DAY, by="x", reason="y",
                  proof="p", at=DEC + 8 * DAY)
    add_exemption(store, mn=GAS, kind="停产", start=NOV + 20 * DAY, end=NOV + 21 * DAY, by="x",
                  reason="y", proof="p", at=NOV + 25 * DAY)

    def should(cfg):
        rows = {r.code: r.counts.should for r in assess(store, NOV, DEC, cfg, as_of=AS_OF).points}
        return rows[OTHER], rows[GAS]

    assert should(AssessConfig()) == (720, (720 - 24) * 3)  # both apply by default
    assert should(AssessConfig(mark_within_days=10)) == (720, (720 - 24) * 3)
    assert should(AssessConfig(mark_within_days=None)) == (720 - 24, (720 - 24) * 3)
    with pytest.raises(ValueError, match="mark_within_days"):
        AssessConfig(mark_within_days=0)


def test_the_exemption_rules_say_the_same_in_sql_and_in_python(store):
    """envmon.assess.exemption_rules renders each rule twice (the assessment's SQL, the
    emissions' Python): on a grid of marks and settings they take out the same hours."""
    from envmon.assess.exemption_rules import ExemptionMark, counts, sql_conditions

    hours = [NOV + k * 7 * HOUR for k in range(103)]  # in November, the marks' span
    marks = [ExemptionMark(NOV, DEC, at, proof)
             for at in (NOV, NOV + 9 * DAY, DEC + 9 * DAY + 23 * HOUR, DEC + 10 * DAY)
             for proof in (None, "", "p")]
    configs = [AssessConfig(), AssessConfig(mark_within_days=10),
               AssessConfig(marks_require_proof=False, mark_deadline_day=None),
               AssessConfig(mark_deadline_day=3, mark_within_days=2.5)]
    for cfg in configs:
        for mark in marks:
            got = {r[0] for r in store.query(
                "SELECT hours.h FROM (SELECT CAST(? AS TIMESTAMPTZ) AS start_time, "
                "CAST(? AS TIMESTAMPTZ) AS created_at, CAST(? AS TEXT) AS proof) e "
                "CROSS JOIN (SELECT UNNEST(?::TIMESTAMPTZ[]) AS h) hours WHERE TRUE"
                + sql_conditions(cfg, "e", "hours.h"),
                [mark.start, mark.created_at, mark.proof, hours])}
            want = {h for h in hours if counts(cfg, mark, h, AS_OF)}
            assert {h.timestamp() for h in got} == {h.timestamp() for h in want}, (cfg, mark)


def _unit_reasons(store, as_of, unit="丁钢铁"):
    from envmon.period import Period
    from envmon.reports.transmission import build_bulletin

    result = assess(store, NOV, DEC, as_of=as_of)
    bulletin = build_bulletin(store, result, Period(NOV, DEC))
    (table,) = [b for b in bulletin.blocks if getattr(b, "sheet", None) == "未达标单位"]
    (row,) = [r for r in table.rows if r["unit"] == unit]
    return row["reasons"], bulletin, table


def test_the_bulletin_says_late_apart_from_missing_and_labels_factor_hours(store):
    """Issue 11 item 13: 480 hours that arrived after the 补全 window are 迟报, not 无数据; the
    should column holds factor-hours and says so."""
    from envmon.reports.transmission import _rate_columns

    hours = [NOV + k * HOUR for k in range(720)]
    write(store, [rec(OTHER, "a21026", h, delay=DEC + 15 * DAY - h) for h in hours[:480]]
          + [rec(OTHER, "a21026", h) for h in hours[480:700]], online=[(OTHER, NOV + DAY)])
    reasons, _, table = _unit_reasons(store, DEC + 20 * DAY)
    assert reasons.startswith("迟报480小时（11-01 00:00–11-21 00:00）；无数据20小时")
    assert "迟报" in table.note and "按因子计" in table.note
    assert [c.header for c in _rate_columns() if c.key == "should"] == ["应传因子小时数"]


def test_a_month_in_progress_gives_reasons_for_the_hours_that_have_ended(store):
    """On 1 November 12:00 only 12 hours are due: "无数据12小时", never "无数据720小时"; the
    subtitle ends at the last hour that has ended."""
    reasons, bulletin, _ = _unit_reasons(store, NOV + 12 * HOUR)
    assert reasons == "无数据12小时（11-01 00:00–12:00）"
    assert bulletin.subtitle == "统计时段：2026年11月01日至2026年11月01日"


def test_a_month_not_begun_as_of_is_refused(store):
    from envmon.assess.api import TransmissionReportOptions, transmission_report
    from envmon.errors import OptionError
    from envmon.period import Period

    with pytest.raises(OptionError, match="--month.*has not begun"):
        transmission_report(store, Period(DEC, DEC + 31 * DAY, label="2026-12"),
                            TransmissionReportOptions(as_of=NOV + DAY))


def test_an_hour_needs_45_valid_minutes_where_minute_data_exist(store):
    """Issue 11 item 12 (transmission.md §4): an hour flagged N whose minute data hold 40 valid
    minutes is not valid; 50 valid minutes or no minute data at all: valid. A setting."""
    from envmon.assess import problem_hours

    def minutes(hour, valid):
        return [rec(OTHER, "a21026", hour + timedelta(minutes=m), flag="N" if m < valid else "D",
                    delay=timedelta(minutes=2))._replace(cn="2051") for m in range(60)]

    h10, h11, h12 = (NOV + k * HOUR for k in (10, 11, 12))
    write(store, [rec(OTHER, "a21026", h) for h in (h10, h11, h12)]
          + minutes(h10, 40) + minutes(h11, 50), online=[(OTHER, h10)])

    def counts(cfg):
        (row,) = [r for r in assess(store, NOV, DEC, cfg, as_of=AS_OF).points if r.code == OTHER]
        return row.counts.complete_received, row.counts.complete_valid, row.counts.instant_valid

    assert counts(AssessConfig()) == (3, 2, 2)
    assert counts(AssessConfig(min_valid_minutes=None)) == (3, 3, 3)
    assert counts(AssessConfig(min_valid_minutes=55)) == (3, 1, 1)
    got = problem_hours(store, AssessConfig(), [OTHER], NOV + 10 * HOUR, NOV + 13 * HOUR,
                        as_of=AS_OF)
    assert [(h.hour, flag, action) for _, _, h, flag, action in got] == [
        (10, "N", "short_minutes")]
    with pytest.raises(ValueError, match="min_valid_minutes"):
        AssessConfig(min_valid_minutes=61)


def test_backfill_windows_follow_the_assess_windows():
    """Issue 11 item 12: [backfill] lookback_hours / settle_hours default to the [assess]
    补全 and 即时 windows; set explicitly, they stay."""
    from envmon.config import Config, parse_config

    linked = parse_config({"assess": {"complete_days": 7, "instant_hours": 3}})
    assert (linked.backfill.lookback_hours, linked.backfill.settle_hours) == (168, 3.0)
    own = parse_config({"assess": {"complete_days": 7},
                        "backfill": {"lookback_hours": 100, "settle_hours": 1}})
    assert (own.backfill.lookback_hours, own.backfill.settle_hours) == (100, 1.0)
    defaults = Config()
    assert defaults.backfill.lookback_hours == defaults.assess.complete_days * 24
    assert defaults.backfill.settle_hours == defaults.assess.instant_hours
