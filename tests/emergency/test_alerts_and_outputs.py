"""Alerts as a bureau enters them (registry regions, Chinese levels, cancel, a file imported
twice), a check without units that says why, and the check's outputs in Chinese (region by
name, the region's line in the table, flow and hour-by-hour sheets)."""

from __future__ import annotations

import json

import openpyxl

from tests.emergency.test_cli import db, envmon  # noqa: F401  (db: a fixture)

ADD = ("emergency", "alert", "add", "--from", "2026-12-05T08:00", "--to", "2026-12-06T08:00")


def test_a_region_outside_the_registry_is_refused_naming_region(db):  # noqa: F811
    path, _ = db
    run = envmon(*ADD, "--level", "red", "--region", "999999", "--db", path)
    assert run.returncode == 2, run.stdout
    assert run.stderr.startswith("error: --region: 999999 is not a region of the registry")
    assert len(run.stderr.strip().splitlines()) == 1


def test_chinese_levels_and_the_same_alert_twice(db):  # noqa: F811
    path, alert_id = db
    first = envmon(*ADD, "--level", "橙色", "--region", "140100", "--format", "json",
                   "--db", path)
    assert first.returncode == 0, first.stderr
    added = json.loads(first.stdout)
    assert (added["id"], added["level"], added["existing"]) == (alert_id + 1, "orange", False)
    again = envmon(*ADD, "--level", "orange", "--region", "140100", "--db", path)
    assert again.stdout.strip() == str(alert_id + 1)


def test_reimporting_an_alert_file_does_not_duplicate(db, tmp_path):  # noqa: F811
    path, alert_id = db
    table = tmp_path / "alerts.csv"
    table.write_text("预警级别,开始时间,结束时间,区域代码\n"
                     "黄色,2026-12-01T00:00,2026-12-02T00:00,140100\n"
                     "黄色,2026-12-01T00:00,2026-12-02T00:00,140100\n", encoding="utf-8")
    first = json.loads(envmon("emergency", "alert", "import", table, "--format", "json",
                              "--db", path).stdout)
    assert (first["ids"], first["existing"]) == ([alert_id + 1], [alert_id + 1])
    second = envmon("emergency", "alert", "import", table, "--db", path)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == ("导入预警 0/2 行（" + str(table) + "）：新增编号 无；"
                                     f"已存在 {alert_id + 1}, {alert_id + 1}")
    listed = json.loads(envmon("emergency", "alert", "list", "--format", "json", "--db",
                               path).stdout)["alerts"]
    assert len(listed) == 2


def test_a_cancelled_alert_is_kept_and_no_longer_checked(db):  # noqa: F811
    path, alert_id = db
    run = envmon("emergency", "alert", "cancel", alert_id, "--reason", "预报调整", "--by",
                 "值班员", "--db", path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"alert {alert_id} cancelled"
    listed = json.loads(envmon("emergency", "alert", "list", "--format", "json", "--db",
                               path).stdout)["alerts"]
    assert listed[0]["cancel_reason"] == "预报调整" and listed[0]["cancelled_by"] == "值班员"
    assert "已解除" in envmon("emergency", "alert", "list", "--db", path).stdout
    check = envmon("emergency", "check", "--alert", alert_id, "--db", path)
    assert check.returncode == 2 and check.stderr.startswith("error: --alert: ")
    assert "cancelled" in check.stderr
    again = envmon("emergency", "alert", "cancel", alert_id, "--db", path)
    assert again.returncode == 2 and "already cancelled" in again.stderr


def test_an_unknown_alert_names_the_option(db):  # noqa: F811
    path, _ = db
    run = envmon("emergency", "check", "--alert", "99", "--db", path)
    assert run.returncode == 2 and "--alert" in run.stderr and "99" in run.stderr


def test_a_check_without_listed_units_says_why(db):  # noqa: F811
    path, _ = db
    red = envmon("emergency", "alert", "add", "--from", "2026-11-10T00:00", "--to",
                 "2026-11-11T00:00", "--level", "red", "--region", "140100", "--db",
                 path).stdout.strip()
    run = envmon("emergency", "check", "--alert", red, "--db", path)
    assert run.returncode == 0, run.stderr
    assert "应急减排清单中没有区域" in run.stderr and "红色" in run.stderr
    out = json.loads(envmon("emergency", "check", "--alert", red, "--format", "json", "--db",
                            path).stdout)
    assert out["units"] == [] and "应急减排清单中没有区域" in out["note"]


def test_outputs_in_chinese_with_region_flow_and_hours(scenario_db, tmp_path):
    path, alert_id = scenario_db
    out = json.loads(envmon("emergency", "check", "--alert", alert_id, "--format", "json",
                            "--db", path).stdout)
    region = out["region"]
    assert region["name"] == "太原市"
    for p in region["pollutants"].values():  # actual_kg: the clearer name, same figure
        assert p["actual_kg"] == p["achieved_kg"]
    day = out["units"][0]["days"][0]
    assert "实际减排" in day["reason_zh"] or "可用" in day["reason_zh"]
    table = envmon("emergency", "check", "--alert", alert_id, "--db", path).stdout
    assert table.startswith("区域 太原市 140100，橙色预警，目标减排 ")
    assert "二氧化硫：实际减排 " in table and "achieved" not in table
    run = envmon("emergency", "check", "--alert", alert_id, "--format", "xlsx", "--db", path,
                 cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    book = openpyxl.load_workbook(tmp_path / f"emergency-{alert_id}.xlsx", read_only=True)
    assert {"流量削减", "逐时"} <= set(book.sheetnames)
    evidence = [r for r in book["逐日证据"].iter_rows(values_only=True)]
    assert not any("achieved" in str(c) for r in evidence for c in r)
