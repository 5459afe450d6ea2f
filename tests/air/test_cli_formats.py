"""`--format`/`--output` of the air commands through envmon.render (json stays the contract)."""

from __future__ import annotations

import csv
import io

from typer.testing import CliRunner

from envmon.cli import app

runner = CliRunner()
NOVEMBER = ["--from", "2025-11-01", "--to", "2025-11-30"]


def test_rank_as_csv_table_and_text(air_db, tmp_path):
    got = runner.invoke(app, ["air", "rank", *NOVEMBER, "--format", "csv", "--db", str(air_db)])
    assert got.exit_code == 0, got.output
    rows = list(csv.DictReader(io.StringIO(got.stdout)))
    assert [(r["city"], r["composite_index"], r["rank"]) for r in rows] == [
        ("大同市", "4.23", "1"), ("太原市", "4.52", "2")]
    table = runner.invoke(app, ["air", "rank", *NOVEMBER, "--format", "table",
                                "--db", str(air_db)])
    assert "综合指数" in table.stdout and "大同市" in table.stdout
    text = runner.invoke(app, ["air", "rank", *NOVEMBER, "--format", "text", "--db", str(air_db)])
    assert text.stdout == table.stdout
    out = tmp_path / "rank.xlsx"
    written = runner.invoke(app, ["air", "rank", *NOVEMBER, "--format", "xlsx", "--output",
                                  str(out), "--db", str(air_db)])
    assert written.exit_code == 0, written.output
    assert out.read_bytes()[:2] == b"PK" and str(out) in written.stdout


def test_summary_daily_csv_and_bad_format(air_db):
    got = runner.invoke(app, ["air", "summary", "--city", "太原市", *NOVEMBER, "--format", "csv",
                              "--db", str(air_db)])
    assert got.exit_code == 0, got.output
    rows = list(csv.DictReader(io.StringIO(got.stdout)))
    assert len(rows) == 30 and rows[0]["aqi"] == "100" and rows[0]["pm25"] == "40"
    bad = runner.invoke(app, ["air", "summary", "--city", "太原市", *NOVEMBER, "--format",
                              "pdf", "--db", str(air_db)])
    assert bad.exit_code == 2 and "--format" in bad.output


def test_report_air_single_format_to_a_file(air_db, tmp_path):
    target = tmp_path / "月报.html"
    got = runner.invoke(app, ["report", "air", "--month", "2025-11", "--format", "html",
                              "--output", str(target), "--db", str(air_db)])
    assert got.exit_code == 0, got.output
    assert "综合指数" in target.read_text(encoding="utf-8")
    bad = runner.invoke(app, ["report", "air", "--month", "2025-1", "--db", str(air_db)])
    assert bad.exit_code == 2 and "--month" in bad.output


def test_report_air_checks_every_format_before_writing(air_db, tmp_path):
    out = tmp_path / "out"
    bad = runner.invoke(app, ["report", "air", "--month", "2025-11", "--formats", "xlsx,bogus",
                              "--out", str(out), "--db", str(air_db)])
    assert bad.exit_code == 2 and "--formats" in bad.output and "bogus" in bad.output
    assert not out.exists() or not any(out.iterdir())
    good = runner.invoke(app, ["report", "air", "--month", "2025-11", "--formats", "xlsx,html",
                               "--out", str(out), "--db", str(air_db)])
    assert good.exit_code == 0, good.output
    assert good.stdout.split() == [str(out / "air-2025-11.xlsx"), str(out / "air-2025-11.html")]
