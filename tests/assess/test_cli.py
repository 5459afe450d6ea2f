"""`envmon assess`, its marks and `envmon report transmission` on a small store."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from envmon.assess.marks import add_exemption
from envmon.cli import app
from envmon.store import open_store
from envmon.timeutil import BEIJING_FIXED

from .conftest import GAS, GAS2, HOUR, NOV, OTHER, WATER, rec, registry_rows, write

runner = CliRunner()
DAY = timedelta(days=1)


def make_db(tmp_path):
    from envmon.registry.importer import import_rows

    path = tmp_path / "cli.duckdb"
    with open_store(path) as store:
        import_rows(store, registry_rows())
        hours = [NOV + k * HOUR for k in range(720)]
        records = [rec(GAS, f, h) for h in hours for f in ("a21026", "a21002", "a34013")]
        records += [rec(GAS2, f, h, flag="D" if k % 5 == 0 else "N")
                    for k, h in enumerate(hours[:600]) for f in ("a21026", "a21002", "a34013")]
        records += [rec(WATER, f, h) for h in hours[:700] for f in ("w01018", "w21003")]
        records += [rec(OTHER, "a21026", h) for h in hours]
        write(store, records, online=[(m, NOV + HOUR) for m in (GAS, GAS2, WATER, OTHER)])
    return path


def invoke(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.stdout  # a note on stderr is not the answer


# The figures below are as known at a fixed time after November (and before this machine's
# clock), so they do not change with the day the tests run: November's data all arrived by
# 1 Dec 01:05, and the exemption is entered at ENTERED (within 10 days of its hours, before
# the 10th of December), before AS_OF.
AS_OF = "2026-12-01T06:00"
ENTERED = datetime(2026, 12, 1, 3, 0, tzinfo=BEIJING_FIXED)


def test_assess_json_marks_and_bulletin(tmp_path):
    db = make_db(tmp_path)
    out = json.loads(invoke("assess", "--db", db, "--month", "2026-11", "--level", "city",
                            "--as-of", AS_OF))
    assert out["from"] == "2026-11-01T00:00:00+08:00" and out["instant_hours"] == 2
    assert out["provisional"] is False  # November has ended
    assert [r["code"] for r in out["rows"]] == ["140200", "140100"]
    datong, taiyuan = out["rows"]
    assert datong["complete"]["effective_rate"] == 100.0 and datong["rank"] == 1
    assert taiyuan["network_rate"] == 66.67  # 丙公司 has no point: not networked
    should = 720 * 3 * 2 + 720 * 2
    valid = 720 * 3 + 480 * 3 + 700 * 2
    assert taiyuan["should"] == should
    assert taiyuan["complete"]["valid"] == valid

    with open_store(db) as store:  # entered at a known time (the CLI enters marks at now)
        add_exemption(store, mn=GAS2, kind="停运", start=NOV + 25 * DAY, end=NOV + 30 * DAY,
                      by="李四", reason="停炉检修", proof="晋环函〔2026〕1号", at=ENTERED)
    lines = invoke("assess", "exemption", "list", "--db", db).strip().splitlines()
    assert json.loads(lines[0])["created_by"] == "李四"
    out = json.loads(invoke("assess", "--db", db, "--from", "2026-11-01T00:00",
                            "--to", "2026-12-01T00:00", "--level", "unit",
                            "--as-of", AS_OF))
    unit = [r for r in out["rows"] if r["code"] == "91140100MA0GAS0001"][0]
    assert unit["should"] == 720 * 3 + 600 * 3
    nopt = [r for r in out["rows"] if r["code"] == "91140100MA0NOPT001"][0]
    assert nopt["complete"]["effective_rate"] is None and nopt["rank"] is None
    assert out["rows"][-1]["rank"] is None  # unranked rows last
    loose = json.loads(invoke("assess", "--db", db, "--month", "2026-11", "--level", "unit",
                              "--as-of", AS_OF, "--marks-without-proof",
                              "--mark-deadline-day", "0"))
    assert [r["should"] for r in loose["rows"]] == [r["should"] for r in out["rows"]]
    invoke("assess", "correction", "add", "--db", db, "--mn", GAS, "--action", "invalidate",
           "--from", "2026-11-01", "--to", "2026-11-02", "--by", "王五", "--reason", "数据失真")
    invoke("assess", "correction", "revoke", "--db", db, "1", "--by", "王五", "--reason", "误标")
    (line,) = invoke("assess", "correction", "list", "--db", db).strip().splitlines()
    mark = json.loads(line)
    assert (mark["action"], mark["created_by"], mark["revoked_by"]) == ("invalidate", "王五",
                                                                        "王五")
    assert invoke("assess", "backfill-log", "--db", db).strip() == ""
    assert invoke("assess", "backfill-log", "--db", db, "--mn", GAS).strip() == ""
    typo = runner.invoke(app, ["assess", "backfill-log", "--db", str(db), "--mn", "NOSUCH"])
    assert typo.exit_code == 2 and "--mn: unknown MN 'NOSUCH'" in typo.output
    bad = runner.invoke(app, ["assess", "exemption", "add", "--db", str(db), "--unit", "nope",
                              "--kind", "停产", "--from", "2026-11-01", "--to", "2026-11-02",
                              "--by", "x", "--reason", "y"])
    assert bad.exit_code == 2 and "unknown unit" in bad.output

    xlsx = tmp_path / "a.xlsx"
    invoke("assess", "--db", db, "--month", "2026-11", "--level", "point", "--format", "xlsx",
           "-o", xlsx)
    assert load_workbook(xlsx).sheetnames[-1] == "考核结果"
    page = tmp_path / "a.html"
    invoke("assess", "--db", db, "--month", "2026-11", "--level", "unit", "--format", "html",
           "-o", page)
    assert "丙公司" in page.read_text(encoding="utf-8")
    bad = runner.invoke(app, ["assess", "--db", str(db), "--month", "2026-13"])
    assert bad.exit_code == 2

    invoke("report", "transmission", "--db", db, "--month", "2026-11", "--out", tmp_path,
           "--as-of", AS_OF, "--pass-mark", "95")
    page = (tmp_path / "transmission-2026-11.html").read_text(encoding="utf-8")
    assert "全省应联网重点单位4家，其中已联网3家，联网率75.00%；" in page
    assert "监控点位4个，即时有效传输率93.46%，补全有效传输率93.46%；" in page
    assert "补全有效传输率排名前三的市为大同市、太原市" in page
    failing = page.split("三、未达标单位")[1]
    assert "甲电厂" in failing and "乙水厂" not in failing  # 90.91 % and 97.22 % against 95
    assert "故障(D)120小时" in failing and "无数据120" not in failing  # missing hours: exempt
    assert "1号炉" not in failing  # only the points below the mark
    assert "丙公司" in failing  # must network, no point registered
    assert "<svg" in page
    wb = load_workbook(tmp_path / "transmission-2026-11.xlsx")
    assert {"各市", "未达标单位"} <= set(wb.sheetnames)


def test_report_transmission_checks_every_format_before_writing(tmp_path):
    db = make_db(tmp_path)
    out = tmp_path / "out"
    bad = runner.invoke(app, ["report", "transmission", "--db", str(db), "--month", "2026-11",
                              "--out", str(out), "--formats", "xlsx,bogus"])
    assert bad.exit_code == 2
    assert "--formats: 'bogus' is not available here" in bad.stderr
    assert not out.exists()
    written = invoke("report", "transmission", "--db", db, "--month", "2026-11", "--out", out,
                     "--formats", "html", "--as-of", AS_OF).splitlines()
    assert written == [str(out / "transmission-2026-11.html")]


@pytest.mark.parametrize(("args", "line"), [
    (["--pass-mark", "150"], "--pass-mark: pass_mark is a percentage, 0–100, not 150"),
    (["--pass-mark", "-5"], "--pass-mark: pass_mark is a percentage, 0–100, not -5"),
    (["--valid-flags", "N,X"], "--valid-flags: 'X' is not an HJ 212 data flag"),
    (["--mark-deadline-day", "40"],
     "--mark-deadline-day: give a day 1–28 of the next month, or 0 for no deadline, not 40"),
])
def test_assess_refuses_nonsense_settings_naming_the_option(tmp_path, args, line):
    db = make_db(tmp_path)
    result = runner.invoke(app, ["assess", "--db", str(db), "--month", "2026-11", *args])
    assert result.exit_code == 2 and line in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("command", [["assess"], ["report", "transmission", "--out", "."]])
def test_a_future_as_of_is_refused_naming_the_option(tmp_path, monkeypatch, command):
    db = make_db(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, [*command, "--db", str(db), "--month", "2026-11",
                                 "--as-of", "2099-01-01T00:00"])
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: --as-of: 2099-01-01 00:00 is in the future (now is ")
    assert result.stdout == "" and not list(tmp_path.glob("transmission-*"))


def test_an_as_of_a_few_seconds_ahead_is_now_not_the_future(tmp_path):
    from envmon.assess.api import checked_as_of

    now = datetime(2026, 12, 1, 6, 0, tzinfo=BEIJING_FIXED)
    ahead = now + timedelta(seconds=30)  # another machine's clock, a little fast
    assert checked_as_of(ahead, now) == ahead and checked_as_of(None, now) is None


@pytest.mark.parametrize(("args", "line"), [
    (["exemption", "add", "--unit", "X", "--kind", "停产"], "--unit: unknown unit 'X'"),
    (["exemption", "add", "--mn", "X", "--kind", "停产"], "--mn: unknown MN 'X'"),
    (["exemption", "add", "--mn", GAS, "--kind", "停产", "--from", "2026-11-01T00:30"],
     "--from: 2026-11-01T00:30:00+08:00 is not on the hour"),
    (["correction", "add", "--mn", GAS, "--action", "repair"],
     "--value: a repair supplies the hourly value"),
    (["correction", "add", "--mn", GAS, "--action", "invalidate", "--factor", "w01018"],
     "--factor: 'w01018' is not an assessed factor"),
    (["correction", "add", "--mn", "X", "--action", "invalidate"], "--mn: unknown MN 'X'"),
])
def test_mark_errors_name_the_option(tmp_path, args, line):
    db = make_db(tmp_path)
    base = ["--from", "2026-11-01T00:00", "--to", "2026-11-02T00:00", "--by", "x",
            "--reason", "y"]
    if "--from" in args:
        base = base[2:]
    result = runner.invoke(app, ["assess", *args[:2], "--db", str(db), *args[2:], *base])
    assert result.exit_code == 2 and line in result.output, result.output


def test_report_transmission_json_has_the_bulletin_and_one_format_option(tmp_path):
    db = make_db(tmp_path)
    out = json.loads(invoke("report", "transmission", "--db", db, "--month", "2026-11",
                            "--format", "json"))
    assert out["rows"] and out["provisional"] is False  # the city rows as before
    bulletin = out["bulletin"]
    assert "2026年11月" in bulletin["title"] and bulletin["sentences"]
    assert bulletin["tables"] and all(t["columns"] and "rows" in t for t in bulletin["tables"])
    assert any("联网" in c["header"] for t in bulletin["tables"] for c in t["columns"])
    both = runner.invoke(app, ["report", "transmission", "--db", str(db), "--month", "2026-11",
                               "--format", "xlsx", "--formats", "html", "--out", str(tmp_path)])
    assert both.exit_code == 2 and "--formats: give --format (one) or --formats" in both.output
    assert not list(tmp_path.glob("transmission-*"))
    empty = runner.invoke(app, ["report", "transmission", "--db", str(db), "--month", "2026-11",
                                "--formats", "", "--out", str(tmp_path)])
    assert empty.exit_code == 2 and "--formats: give at least one" in empty.output


def test_mark_and_backfill_tables_have_chinese_headers_and_english_csv_keys(tmp_path):
    db = make_db(tmp_path)
    invoke("assess", "exemption", "add", "--db", db, "--mn", GAS, "--kind", "停产",
           "--from", "2026-11-01T00:00", "--to", "2026-11-02T00:00", "--by", "李四",
           "--reason", "检修", "--proof", "p-1")
    table = invoke("assess", "exemption", "list", "--db", db, "--format", "table")
    assert "开始时间" in table and "录入人" in table and "start_time" not in table
    header = invoke("assess", "exemption", "list", "--db", db, "--format", "csv").splitlines()[0]
    assert header.split(",")[:4] == ["id", "unit_id", "mn", "kind"]
    for command in (("correction", "list"), ("backfill-log",)):
        shown = invoke("assess", *command, "--db", db, "--format", "table")
        assert "编号" in shown and "id" not in shown.split()
