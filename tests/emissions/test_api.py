"""envmon.emissions.api: the use cases without the CLI, on the store of test_cli."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from envmon.emissions.api import (
    EmissionTotals,
    NoReductionScope,
    TaxOptions,
    TotalsLevel,
    TotalsOptions,
    UnitEmissionsOptions,
    emission_totals,
    monthly_tax,
    unit_emissions,
)
from envmon.errors import OptionError, PeriodError
from envmon.period import Period
from envmon.store import open_store
from envmon.timeutil import BEIJING_FIXED

from .test_cli import UNIT, db  # noqa: F401  (the module's store fixture)

NOV = Period.month("2026-11")


def test_unit_emissions_tax_and_totals_agree(db):  # noqa: F811
    path, measured = db
    with open_store(path, read_only=True) as store:
        unit = unit_emissions(store, NOV, UnitEmissionsOptions(UNIT))
        tax = monthly_tax(store, NOV, TaxOptions(no_reduction_scope="taxpayer"))
        totals = emission_totals(store, NOV, TotalsOptions("city", "all"))
        with pytest.raises(OptionError) as err:
            unit_emissions(store, NOV, UnitEmissionsOptions("nope"))
    assert err.value.option == "--unit" and "no unit 'nope'" in err.value.reason
    so2 = next(r for r in unit.as_json()["rows"] if r["factor"] == "a21026")
    assert so2["measured_kg"] == pytest.approx(measured)
    assert unit.default_stem == f"emissions-{UNIT}-2026-11"
    assert unit.bulletin().blocks
    (city_so2,) = [r for r in totals.as_json()["rows"] if r["factor"] == "a21026"]
    assert city_so2 == {"city": "140100", "factor": "a21026", "period": "all",
                        "kg": pytest.approx(so2["kg"]), "t": pytest.approx(so2["kg"] / 1000)}
    assert isinstance(totals, EmissionTotals) and totals.as_json()["level"] == "city"
    lines = {line["factor"]: line for line in tax.as_json()["units"][0]["lines"]}
    assert lines["a21026"]["kg"] == pytest.approx(so2["kg"])
    assert tax.default_stem == "tax-2026-11"
    assert TaxOptions(no_reduction_scope="taxpayer").effective_config.no_reduction_scope == \
        "taxpayer"


def test_a_month_in_progress_is_provisional(db):  # noqa: F811
    from envmon.timeutil import now_beijing

    path, _ = db
    now = now_beijing()
    current = Period(now - timedelta(hours=1), now + timedelta(hours=1))
    with open_store(path, read_only=True) as store:
        results = {"past": (unit_emissions(store, NOV, UnitEmissionsOptions(UNIT)),
                            emission_totals(store, NOV, TotalsOptions()),
                            monthly_tax(store, NOV)),
                   "current": (unit_emissions(store, current, UnitEmissionsOptions(UNIT)),
                               emission_totals(store, current, TotalsOptions()),
                               monthly_tax(store, current))}
    for result in results["past"]:
        assert result.as_json()["provisional"] is False
    for result in results["current"]:
        assert result.as_json()["provisional"] is True
    unit, totals, tax = results["current"]
    assert totals.as_table().title.endswith("（初步统计，统计期未结束）")
    assert not results["past"][1].as_table().title.endswith("（初步统计，统计期未结束）")
    for bulletin in (unit.bulletin(), tax.bulletin()):
        assert bulletin.title.endswith("（初步统计，统计期未结束）")
        assert bulletin.blocks[0].text.endswith("为初步统计（统计期未结束）。")
    assert not results["past"][2].bulletin().title.endswith("（初步统计，统计期未结束）")


def test_invalid_options_name_the_option():
    with pytest.raises(OptionError) as err:
        TotalsOptions(level="province")
    assert err.value.option == "--level" and "point, unit, county, city" in err.value.reason
    with pytest.raises(OptionError) as err:
        TotalsOptions(period="week")
    assert err.value.option == "--period"
    with pytest.raises(OptionError) as err:
        TaxOptions(no_reduction_scope="unit")
    assert err.value.option == "--no-reduction-scope"
    assert TotalsOptions("county").level is TotalsLevel.COUNTY
    assert TaxOptions(no_reduction_scope="pollutant").no_reduction_scope is \
        NoReductionScope.POLLUTANT


def test_totals_period_is_a_month_or_a_year():
    # emissions-totals reads --month/--year through Period.month_or_year
    assert Period.month_or_year("2026-11", None) == NOV
    year = Period.month_or_year(None, 2025)
    assert (year.start, year.end) == (datetime(2025, 1, 1, tzinfo=BEIJING_FIXED),
                                      datetime(2026, 1, 1, tzinfo=BEIJING_FIXED))
    with pytest.raises(OptionError, match="either --month YYYY-MM or --year YYYY"):
        Period.month_or_year("2026-11", 2026)
    with pytest.raises(PeriodError) as err:
        Period.month_or_year("2026-1", None)
    assert err.value.option == "--month" and "YYYY-MM" in err.value.reason


def test_quarter_to_date_alpha_uses_the_beijing_month():
    """An hour given in UTC (2026-09-30T16:00Z = 2026-10-01 00:00 Beijing) belongs to the
    fourth quarter: the capture rate is that of October only."""
    from envmon.emissions.accounting import HourEmission, _QuarterToDate

    sept = datetime(2026, 9, 30, 15, tzinfo=UTC)  # 23:00 Beijing, 30 September
    octo = datetime(2026, 9, 30, 16, tzinfo=UTC)  # 00:00 Beijing, 1 October

    def hour(t, status):
        return HourEmission(t, None, None, None, None, 0.0, status, None, "none")

    alpha = _QuarterToDate([hour(sept, "missing"), hour(octo, "valid")], None)
    assert alpha(octo) == pytest.approx(100.0)  # September's missing hour is Q3
    assert alpha(sept) < 100.0


def test_totals_as_csv_through_the_cli(db, tmp_path):  # noqa: F811
    from typer.testing import CliRunner

    from envmon.cli import app

    out = tmp_path / "totals.csv"
    result = CliRunner().invoke(app, ["emissions-totals", "--db", str(db[0]), "--month",
                                      "2026-11", "--level", "unit", "--format", "csv",
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    header, *rows = out.read_text(encoding="utf-8").strip().splitlines()
    assert header == "unit,factor,period,kg,t"
    assert {r.split(",")[2] for r in rows} == {"2026-11"} and len(rows) == 3


def test_a_month_in_progress_counts_only_the_hours_that_have_ended(db):  # noqa: F811
    """As of 2026-11-03 10:30 the month has had 58 hours (the data of later hours, written
    ahead by the fixture, must not count either): none missing, α as of those hours, no
    figures for days to come."""
    path, _ = db
    as_of = datetime(2026, 11, 3, 10, 30, tzinfo=BEIJING_FIXED)
    with open_store(path, read_only=True) as store:
        unit = unit_emissions(store, NOV, UnitEmissionsOptions(UNIT), as_of=as_of)
        totals = emission_totals(store, NOV, TotalsOptions("unit", "day"), as_of=as_of)
        tax = monthly_tax(store, NOV, as_of=as_of)
        whole = monthly_tax(store, NOV, as_of=datetime(2026, 12, 5, tzinfo=BEIJING_FIXED))
    so2 = next(r for r in unit.as_json()["rows"] if r["factor"] == "a21026")
    assert unit.as_json()["provisional"] is True
    assert so2["missing_hours"] == 0
    assert so2["valid_hours"] + so2["invalid_hours"] == 58
    assert so2["capture_rate_pct"] == round(57 / 58 * 100, 2)
    assert sorted(so2["daily_kg"]) == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert {r["period"] for r in totals.as_json()["rows"]} == {
        "2026-11-01", "2026-11-02", "2026-11-03"}
    assert totals.as_json()["provisional"] is True
    so2_tax = next(line for line in tax.as_json()["units"][0]["lines"]
                   if line["factor"] == "a21026")
    so2_whole = next(line for line in whole.as_json()["units"][0]["lines"]
                     if line["factor"] == "a21026")
    assert so2_tax["kg"] == pytest.approx(so2["kg"]) and so2_tax["kg"] < so2_whole["kg"] / 5
    assert whole.as_json()["provisional"] is False


def test_emission_totals_of_an_unknown_unit_is_refused(db):  # noqa: F811
    path, _ = db
    with open_store(path, read_only=True) as store, pytest.raises(OptionError) as err:
        emission_totals(store, NOV, TotalsOptions(unit="NOSUCH"))
    assert err.value.option == "--unit" and "NOSUCH" in err.value.reason
