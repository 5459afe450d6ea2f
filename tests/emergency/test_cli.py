"""`envmon emergency …`: alerts, list import with bad rows, the check's JSON contract and
files, bad options as one line and exit code 2."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from envmon.sim.emergency import EXPECTED


def envmon(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "envmon", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def db(scenario_db, tmp_path):
    """A copy of the scenario's store (these tests write)."""
    path, alert_id = scenario_db
    copy = tmp_path / "copy.duckdb"
    shutil.copy(path, copy)
    return copy, alert_id


def test_check_json_contract(scenario_db):
    path, alert_id = scenario_db
    run = envmon("emergency", "check", "--alert", alert_id, "--format", "json", "--db", path)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert {"alert", "units", "region"} <= set(out)
    assert out["alert"]["id"] == alert_id and out["alert"]["level"] == "orange"
    for unit in out["units"]:
        assert {"unit_id", "verdict", "required_pct", "achieved_pct", "days"} <= set(unit)
        assert unit["verdict"] in ("落实", "未落实", "数据不足")
        for day in unit["days"]:
            assert {"date", "verdict", "required_pct", "achieved_pct", "pollutants", "flow",
                    "hours"} <= set(day)
    assert {u["unit_id"]: u["verdict"] for u in out["units"]} == EXPECTED
    assert {"code", "level", "target_pct", "pollutants", "worst"} <= set(out["region"])


def test_check_table_xlsx_and_html(scenario_db, tmp_path):
    path, alert_id = scenario_db
    run = envmon("emergency", "check", "--alert", alert_id, "--db", path)
    assert run.returncode == 0, run.stderr
    assert "未落实" in run.stdout and "数据不足" in run.stdout
    for fmt in ("xlsx", "html"):
        run = envmon("emergency", "check", "--alert", alert_id, "--format", fmt, "--db", path,
                     cwd=tmp_path)
        assert run.returncode == 0, run.stderr
        assert (tmp_path / f"emergency-{alert_id}.{fmt}").stat().st_size > 1000
    html = (tmp_path / f"emergency-{alert_id}.html").read_text(encoding="utf-8")
    assert "区域减排效果" in html and "逐日证据" in html


@pytest.mark.parametrize(("args", "option"), [
    (("check", "--alert", "x"), "--alert"),
    (("check", "--alert", "99"), "no alert with id 99"),
    (("check", "--alert", "1", "--format", "pdf"), "--format"),
    (("alert", "add", "--level", "purple", "--from", "2026-11-01T00:00", "--to",
      "2026-11-02T00:00", "--region", "140100"), "--level"),
    (("alert", "add", "--level", "red", "--from", "2026-11-01T00:30", "--to",
      "2026-11-02T00:00", "--region", "140100"), "--from"),
    (("alert", "add", "--level", "red", "--from", "2026-11-02T00:00", "--to",
      "2026-11-01T00:00", "--region", "140100"), "--to"),
    (("alert", "add", "--level", "red", "--from", "2026-11-01T00:00", "--to",
      "2026-11-02T00:00", "--region", "Taiyuan"), "--region"),
    (("list", "show", "--level", "blue"), "--level"),
])
def test_bad_options_are_one_line_and_exit_2(db, args, option):
    path, _ = db
    run = envmon("emergency", *args, "--db", path)
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert option in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert "Traceback" not in run.stderr


def test_alert_add_prints_the_id_and_list_shows_it(db):
    path, alert_id = db
    run = envmon("emergency", "alert", "add", "--level", "red", "--from", "2026-11-25T08:00",
                 "--to", "2026-11-26T08:00", "--region", "140100", "--db", path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == str(alert_id + 1)
    out = json.loads(envmon("emergency", "alert", "list", "--format", "json", "--db",
                            path).stdout)
    assert [a["level"] for a in out["alerts"]] == ["orange", "red"]
    assert out["alerts"][1]["from"] == "2026-11-25T08:00:00+08:00"


def test_list_import_names_every_bad_row_and_keeps_the_good(db, tmp_path):
    path, _ = db
    good = "91140100MA0EMGC000"
    table = tmp_path / "清单.csv"
    table.write_text(
        "统一社会信用代码,预警级别,绩效分级,措施,减排比例(%),污染物\n"
        f"{good},红色,B,限产,40,SO2、NOx\n"          # 2: good
        f"{good},紫色,B,限产,40,SO2\n"              # 3: level
        "91140100MA0NOWHERE,红色,B,限产,40,SO2\n"    # 4: unit_id
        f"{good},黄色,B,限产,140,SO2\n"             # 5: reduction_pct
        f"{good},黄色,B,停机,20,SO2\n"              # 6: measure
        f"{good},黄色,E,限产,20,CO\n"               # 7: grade and pollutants
        f"{good},黄色,A,停产,,PM\n",                # 8: good (停产 is 100 %)
        encoding="utf-8")
    run = envmon("emergency", "list", "import", table, "--format", "json", "--db", path)
    assert run.returncode == 1, run.stderr
    out = json.loads(run.stdout)
    assert (out["rows_read"], out["rows_imported"]) == (7, 2)
    assert [(p["line"], p["field"]) for p in out["rejected"]] == [
        (3, "level"), (4, "unit_id"), (5, "reduction_pct"), (6, "measure"),
        (7, "pollutants"), (7, "grade")]
    shown = json.loads(envmon("emergency", "list", "show", "--level", "red", "--format",
                              "json", "--db", path).stdout)
    assert shown["entries"] == [{"unit_id": good, "level": "red", "grade": "B",
                                 "measure": "限产", "reduction_pct": 40.0,
                                 "pollutants": ["a21026", "a21002"]}]
    yellow = json.loads(envmon("emergency", "list", "show", "--level", "yellow", "--format",
                               "json", "--db", path).stdout)["entries"]
    assert [(e["measure"], e["reduction_pct"]) for e in yellow] == [("停产", 100.0)]
    assert shown["imports"][-1]["rows_rejected"] == 5


def test_alert_import_from_xlsx(db, tmp_path):
    import openpyxl

    path, alert_id = db
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["预警级别", "开始时间", "结束时间", "区域代码"])
    sheet.append(["黄色", "2026-12-01T00:00", "2026-12-02T00:00", "140100"])
    sheet.append(["黄色", "2026-12-03T00:00", "2026-12-02T00:00", "140100"])
    book.save(tmp_path / "alerts.xlsx")
    run = envmon("emergency", "alert", "import", tmp_path / "alerts.xlsx", "--format", "json",
                 "--db", path)
    assert run.returncode == 1
    out = json.loads(run.stdout)
    assert out["ids"] == [alert_id + 1]
    assert [(p["line"], p["field"]) for p in out["rejected"]] == [(3, "to")]


def test_demo_with_the_scenario_then_check_on_the_demo_province(tmp_path):
    run = envmon("demo", "--db", "demo.duckdb", "--points", "10", "--hj212-port", "0",
                 "--no-web", "--no-roads-air", "--emergency", "--duration", "2", cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "应急管控: an orange alert (id 1)" in run.stdout + run.stderr
    check = envmon("emergency", "check", "--alert", "1", "--format", "json", "--db",
                   tmp_path / "demo.duckdb")
    assert check.returncode == 0, check.stderr
    assert {u["unit_id"]: u["verdict"] for u in json.loads(check.stdout)["units"]} == EXPECTED


def test_settings_from_the_configuration(scenario_db, tmp_path):
    path, alert_id = scenario_db
    config = tmp_path / "envmon.toml"
    config.write_text("[emergency]\nbaseline_days = 40\nmin_baseline_days = 31\n"
                      "[emergency.targets]\norange = 40\n", encoding="utf-8")
    run = envmon("emergency", "check", "--alert", alert_id, "--format", "json", "--db", path,
                 "--config", config)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["region"]["target_pct"] == 40.0
    # the store holds 30 days before the alert, < 31: nobody can be judged
    assert {u["verdict"] for u in out["units"]} == {"数据不足"}
    config.write_text("[emergency]\nbaseline_dayz = 3\n", encoding="utf-8")
    run = envmon("emergency", "check", "--alert", alert_id, "--db", path, "--config", config)
    assert run.returncode == 2 and "baseline_dayz" in run.stderr


def test_demo_emergency_on_an_existing_store_seeds_it_once(tmp_path):
    base = ("demo", "--db", "demo.duckdb", "--points", "5", "--hj212-port", "0", "--no-web",
            "--no-roads-air", "--duration", "1")
    run = envmon(*base, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    run = envmon(*base, "--emergency", cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "应急管控: an orange alert (id 1)" in run.stdout + run.stderr
    run = envmon(*base, "--emergency", cwd=tmp_path)
    assert "应急管控: the scenario is already in this store (orange alert id 1)" in (
        run.stdout + run.stderr)
    alerts = json.loads(envmon("emergency", "alert", "list", "--format", "json", "--db",
                               tmp_path / "demo.duckdb").stdout)["alerts"]
    assert [a["id"] for a in alerts] == [1]
