"""`envmon emissions` and `envmon tax` on a store filled with a month of simulated hourly
data (written directly, no receiver), JSON and XLSX (Chinese)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from envmon.cli import app
from envmon.emissions.formulas import gas_emission_kg
from envmon.sim.values import SimPoint, period_values
from envmon.store import RawPacketRow, RecordRow, open_store
from envmon.timeutil import BEIJING_FIXED

runner = CliRunner()
MONTH = datetime(2026, 11, 1, tzinfo=BEIJING_FIXED)
UNIT = "91140100MA0GCLI001"
MN = "CLI000000000000000000001"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    from envmon.registry.importer import import_rows

    path = tmp_path_factory.mktemp("emcli") / "cli.duckdb"
    store = open_store(path)
    import_rows(store, [{
        "province": "山西省", "city": "太原市", "city_code": "140100", "county": "小店区",
        "county_code": "140105", "unit_id": UNIT, "unit_name": "测试热电厂",
        "must_network": "1", "assessed": "1", "outlet_id": "DA001", "outlet_name": "1号烟囱",
        "kind": "gas", "mn": MN, "pw": "123456", "factors": "a21026:35;a21002:100;a34013:10",
        "o2_ref": "6", "standard": "GB 13223-2011",
    }])
    point = SimPoint(MN, "123456", "gas", {"a21026": 35.0, "a21002": 100.0, "a34013": 10.0},
                     6.0, UNIT)
    records, expected = [], 0.0
    for k in range(720):
        hour = MONTH + timedelta(hours=k)
        flag = "D" if k == 30 else "N"
        values = period_values(point, hour, 3600, 5, flag=flag)
        if flag == "N":
            expected += float(gas_emission_kg(values["a21026"]["Avg"], values["a00000"]["Cou"]))
        for code, fields in values.items():
            records.append(RecordRow(
                MN, "2061", hour, code, code, None, fields.get("Avg"), fields.get("Min"),
                fields.get("Max"), fields.get("Cou"), None, fields.get("ZsAvg"),
                fields.get("Flag"), None, None, hour + timedelta(hours=1), None))
    store.write_batch([RawPacketRow(MONTH, "test", "accepted", None, MN, "2061", None, b"")],
                      records)
    store.close()
    return path, expected


def test_emissions_json_and_xlsx(db, tmp_path):
    path, measured = db
    result = runner.invoke(app, ["emissions", "--db", str(path), "--unit", UNIT, "--month",
                                 "2026-11", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["unit_name"] == "测试热电厂"
    so2 = next(r for r in data["rows"] if r["factor"] == "a21026")
    assert so2["measured_kg"] == pytest.approx(measured)
    assert so2["substituted_hours"] == 1 and so2["substituted"][0]["rule"] == "max180"
    assert so2["kg"] == pytest.approx(measured + so2["substituted"][0]["kg"])
    assert so2["invalid_hours"] == 1 and so2["missing_hours"] == 0
    assert so2["capture_rate_pct"] == round(719 / 720 * 100, 2)
    assert len(so2["daily_kg"]) == 30
    out = tmp_path / "e.xlsx"
    result = runner.invoke(app, ["emissions", "--db", str(path), "--unit", UNIT, "--month",
                                 "2026-11", "--format", "xlsx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    assert {"通报", "汇总", "日排放量", "替代明细"} <= set(wb.sheetnames)
    assert "污染物排放量核算表" in wb["通报"]["A1"].value
    bad = runner.invoke(app, ["emissions", "--db", str(path), "--unit", "nope", "--month",
                              "2026-11"])
    assert bad.exit_code == 2


def test_tax_json_and_xlsx(db, tmp_path):
    path, _ = db
    result = runner.invoke(app, ["tax", "--db", str(path), "--month", "2026-11"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    (unit,) = data["units"]
    lines = {line["factor"]: line for line in unit["lines"]}
    assert set(lines) == {"a21026", "a21002", "a34013"}
    so2 = lines["a21026"]
    assert so2["pollutant"] == "二氧化硫" and so2["rate"] == 1.8
    assert so2["equivalents"] == pytest.approx(so2["kg"] / 0.95)
    assert so2["tax"] == pytest.approx(so2["equivalents"] * 1.8 * so2["reduction"])
    assert lines["a34013"]["pollutant"] == "烟尘"
    assert unit["tax_yuan"] == pytest.approx(sum(x["tax"] for x in lines.values()), abs=0.01)
    out = tmp_path / "t.xlsx"
    result = runner.invoke(app, ["tax", "--db", str(path), "--month", "2026-11", "--format",
                                 "xlsx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    assert {"明细", "合计"} <= set(wb.sheetnames)
    assert "污染物" in {c.value for row in wb["明细"].iter_rows() for c in row}


def test_tax_rates_from_configuration(db, tmp_path):
    path, _ = db
    conf = tmp_path / "tax.toml"
    conf.write_text('[tax]\nno_reduction_scope = "taxpayer"\n[[tax.rates]]\n'
                    'province_code = "140000"\nprovince = "山西省"\nair = 2.4\nwater = 2.8\n'
                    "valid_from = 2026-01-01\n", encoding="utf-8")
    result = runner.invoke(app, ["tax", "--db", str(path), "--month", "2026-11",
                                 "--tax-config", str(conf)])
    assert result.exit_code == 0, result.output
    lines = json.loads(result.output)["units"][0]["lines"]
    assert {line["rate"] for line in lines} == {2.4}
    # before the new rate's validity the default (Shanxi 1.8) applies
    from envmon.emissions.tax import load_tax_config, rate_for

    cfg = load_tax_config(conf)
    from datetime import date

    assert rate_for(cfg.rates, "140000", date(2025, 6, 1)).air_yuan == 1.8
    bad = tmp_path / "bad.toml"
    bad.write_text("[[rates]]\nprovince_code = \"140000\"\nair = 20\nwater = 2\n"
                   "valid_from = 2026-01-01\n", encoding="utf-8")
    result = runner.invoke(app, ["tax", "--db", str(path), "--month", "2026-11",
                                 "--tax-config", str(bad)])
    assert result.exit_code == 2 and "statutory band" in result.output


def test_alarm_config_from_toml_table():
    import tomllib

    from envmon.alarms.config import alarm_config_from_dict

    cfg = alarm_config_from_dict(tomllib.loads(
        'offline_after_s = 600\nfault_flags = ["D", "B"]\n'
        '[constant_min_periods]\n"2061" = 8\n'))
    assert cfg.offline_after_s == 600.0 and cfg.fault_flags == ("D", "B")
    assert cfg.constant_min_periods == {"2051": 60, "2061": 8, "2031": 3}
    with pytest.raises(ValueError, match="unknown alarm keys"):
        alarm_config_from_dict({"offline": 1})


def test_emission_totals(db, monkeypatch):
    path, _ = db
    # 2026 as it reads once it has ended: while it is in progress, the hours of December that
    # have already ended (no data in this store) are missing hours, substituted (HJ 75-2017)
    import envmon.emissions.api

    monkeypatch.setattr(envmon.emissions.api, "now_beijing",
                        lambda: datetime(2027, 1, 1, tzinfo=BEIJING_FIXED))
    result = runner.invoke(app, ["emissions-totals", "--db", str(path), "--month", "2026-11",
                                 "--level", "city", "--period", "day"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    so2 = [r for r in data["rows"] if r["factor"] == "a21026"]
    assert len(so2) == 30 and {r["city"] for r in so2} == {"140100"}
    monthly = runner.invoke(app, ["emissions-totals", "--db", str(path), "--year", "2026",
                                  "--level", "unit", "--period", "year"])
    assert monthly.exit_code == 0, monthly.output
    (year_so2,) = [r for r in json.loads(monthly.output)["rows"] if r["factor"] == "a21026"]
    assert year_so2["kg"] == pytest.approx(sum(r["kg"] for r in so2))
    assert year_so2["t"] == pytest.approx(year_so2["kg"] / 1000)
    for future in (["--year", "2099"], ["--month", "2099-01"]):
        refused = runner.invoke(app, ["emissions-totals", "--db", str(path), *future])
        assert refused.exit_code == 2
        assert f"{future[0]}: " in refused.stderr and "has not begun yet" in refused.stderr


def test_exemption_periods_are_stopped_hours(db, tmp_path):
    """Hours without valid data inside a 停运 exemption (envmon.assess marks) are stopped:
    0 kg, not substituted, outside α (emissions.md §5)."""
    import shutil

    from envmon.assess.marks import add_exemption
    from envmon.emissions.accounting import emissions
    from envmon.timeutil import BEIJING_FIXED

    src = tmp_path / "copy.duckdb"
    shutil.copy(db[0], src)
    with open_store(src) as store:
        before = {r.factor: r for r in emissions(store, MONTH, MONTH + timedelta(days=30))}
        add_exemption(store, kind="停运", start=MONTH + timedelta(hours=30),
                      end=MONTH + timedelta(hours=31), by="测试", reason="检修停炉",
                      unit_id=UNIT, proof="停运报告-001",  # a mark counts with its proof
                      at=datetime(2026, 11, 1, tzinfo=BEIJING_FIXED))
        after = {r.factor: r for r in emissions(store, MONTH, MONTH + timedelta(days=30))}
    so2_before, so2_after = before["a21026"], after["a21026"]
    assert so2_before.substituted_hours == 1 and so2_after.substituted_hours == 0
    assert so2_after.count("stopped") == 1 and so2_after.alpha_pct == 100.0
    assert so2_after.kg == pytest.approx(so2_before.kg - so2_before.substituted_kg)


def test_emissions_take_exemptions_by_the_assessment_rules(db, tmp_path):
    """Issue 11 item 15: a 停产 mark without proof, or entered after the 10th of the next
    month, does not make hours stopped in the emissions either; the same rules as the
    assessment (envmon.assess.exemption_rules), with the same settings."""
    import shutil

    from envmon.assess import AssessConfig
    from envmon.assess.marks import add_exemption
    from envmon.emissions.accounting import AccountingConfig, emissions

    src = tmp_path / "copy.duckdb"
    shutil.copy(db[0], src)
    month_end = MONTH + timedelta(days=30)
    hours = (MONTH + timedelta(hours=30), MONTH + timedelta(hours=31))
    with open_store(src) as store:
        before = {r.factor: r for r in emissions(store, MONTH, month_end)}
        add_exemption(store, kind="停产", start=hours[0], end=hours[1], by="测试",
                      reason="无证明", unit_id=UNIT, at=MONTH + timedelta(days=1))
        add_exemption(store, kind="停产", start=hours[0], end=hours[1], by="测试",
                      reason="迟交", unit_id=UNIT, proof="p",
                      at=MONTH + timedelta(days=42))  # 12 December: after the 10th
        late = {r.factor: r for r in emissions(store, MONTH, month_end)}
        lenient = AccountingConfig(exemption_rules=AssessConfig(
            marks_require_proof=False, mark_deadline_day=None))
        counted = {r.factor: r for r in emissions(store, MONTH, month_end, config=lenient)}
    assert late["a21026"].count("stopped") == 0
    assert late["a21026"].kg == pytest.approx(before["a21026"].kg)
    assert counted["a21026"].count("stopped") == 1


def test_emissions_and_tax_as_csv_and_table(db):
    import csv
    import io

    path, _ = db
    common = ["--db", str(path), "--month", "2026-11"]
    emissions_csv = runner.invoke(app, ["emissions", *common, "--unit", UNIT, "--format", "csv"])
    assert emissions_csv.exit_code == 0, emissions_csv.output
    rows = list(csv.DictReader(io.StringIO(emissions_csv.stdout)))
    so2 = next(r for r in rows if r["factor"] == "a21026")
    assert so2["mn"] == MN and so2["invalid_hours"] == "1" and so2["substituted_hours"] == "1"
    assert len(so2["kg"].split(".")[1]) <= 3
    tax_csv = runner.invoke(app, ["tax", *common, "--format", "csv"])
    assert tax_csv.exit_code == 0, tax_csv.output
    lines = list(csv.DictReader(io.StringIO(tax_csv.stdout)))
    assert {line["unit_id"] for line in lines} == {UNIT} and lines[0]["tax"]
    for command in (["emissions", *common, "--unit", UNIT], ["tax", *common]):
        table = runner.invoke(app, [*command, "--format", "table"])
        assert table.exit_code == 0 and "排放量(kg)" in table.stdout, table.output


def test_emission_totals_csv_shows_rounded_kg(db):
    path, _ = db
    result = runner.invoke(app, ["emissions-totals", "--db", str(path), "--month", "2026-11",
                                 "--format", "csv"])
    assert result.exit_code == 0, result.output
    header, *rows = result.stdout.splitlines()
    kg_at, t_at = header.split(",").index("kg"), header.split(",").index("t")
    for row in rows:
        kg, t = row.split(",")[kg_at], row.split(",")[t_at]
        assert len(kg.partition(".")[2]) <= 3 and len(t.partition(".")[2]) <= 6, row
    raw = json.loads(runner.invoke(app, ["emissions-totals", "--db", str(path), "--month",
                                         "2026-11"]).stdout)
    assert any(len(str(r["kg"]).partition(".")[2]) > 3 for r in raw["rows"])  # JSON as computed


def test_the_emission_commands_take_the_exemption_rules_of_the_config_file(db, tmp_path):
    """Issue 11 item 15: `envmon emissions` and `emissions-totals` read `[assess]` of the
    configuration, as `envmon assess` does: a proof-less 停产 mark counts only where the
    configuration says marks need no proof."""
    import shutil

    from envmon.assess.marks import add_exemption

    src = tmp_path / "copy.duckdb"
    shutil.copy(db[0], src)
    with open_store(src) as store:
        add_exemption(store, kind="停产", start=MONTH + timedelta(hours=30),
                      end=MONTH + timedelta(hours=31), by="测试", reason="无证明",
                      unit_id=UNIT, at=MONTH + timedelta(days=1))
    lenient = tmp_path / "lenient.toml"
    lenient.write_text("[assess]\nmarks_require_proof = false\n", encoding="utf-8")
    strict = tmp_path / "strict.toml"
    strict.write_text("[assess]\nmarks_require_proof = true\n", encoding="utf-8")

    def stopped(config) -> int:
        result = runner.invoke(app, ["emissions", "--db", str(src), "--unit", UNIT, "--month",
                                     "2026-11", "--format", "json", "--config", str(config)])
        assert result.exit_code == 0, result.output
        so2 = [r for r in json.loads(result.stdout)["rows"] if r["factor"] == "a21026"]
        return so2[0]["stopped_hours"]

    assert stopped(strict) == 0
    assert stopped(lenient) == 1


def test_the_emission_settings_are_read_from_the_emissions_section(db, tmp_path):
    """`[emissions]` sets the accounting's settings (issue 11 items 18/19 made them settings:
    `stopped_over_minutes`, `water_units`, `colour_multiple` …); a bad key or value is one
    line naming `[emissions] key` and exit 2, never a traceback."""
    from envmon.emissions.api import accounting_config

    config = tmp_path / "envmon.toml"
    config.write_text('[emissions]\nstopped_over_minutes = 20\ncolour_multiple = "ratio"\n'
                      '[emissions.water_units]\nw20111 = "mg/L"\n'
                      '[emissions.substitution]\nshort_gap_hours = 12\n', encoding="utf-8")
    accounting = accounting_config(config)
    assert accounting.stopped_over_minutes == 20 and accounting.colour_multiple == "ratio"
    assert accounting.water_units == (("w20111", "mg/L"),)
    assert accounting.substitution.short_gap_hours == 12
    for text, named in (("[emissions]\nstopped_over_minute = 20\n", "stopped_over_minute"),
                        ('[emissions]\ncolour_multiple = "double"\n', "colour_multiple"),
                        ('[emissions.water_units]\nw20111 = "ppm"\n', "water_units w20111"),
                        ('[emissions]\nmin_valid_minutes = "many"\n', "min_valid_minutes")):
        config.write_text(text, encoding="utf-8")
        result = runner.invoke(app, ["tax", "--db", str(db[0]), "--month", "2026-11",
                                     "--config", str(config)])
        assert result.exit_code == 2, result.output
        (line,) = result.stderr.strip().splitlines()
        assert "[emissions]" in line and named in line, line
