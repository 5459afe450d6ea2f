"""Rough edges a new user met: the bulletin's city and data horizon, default file names,
unknown cities, a mistyped --db (each assertion failed before its fix)."""

from __future__ import annotations

from typer.testing import CliRunner

from envmon.air import api
from envmon.cli import app
from envmon.period import Period
from envmon.store import open_store

from .conftest import write_stations

runner = CliRunner()
NOVEMBER = ["--from", "2025-11-01", "--to", "2025-11-30"]


def test_report_air_default_city_is_the_registry_first_and_said(air_db, tmp_path):
    # two cities: 大同市 ranks first (4.23) but 太原市 holds the first station code (1001A);
    # the default is the registry's, whatever the data, and stderr says so
    got = runner.invoke(app, ["report", "air", "--month", "2025-11", "--format", "html",
                              "--output", str(tmp_path / "m.html"), "--db", str(air_db)])
    assert got.exit_code == 0, got.output
    assert "--city not given: the bulletin is for 太原市" in got.stderr
    html = (tmp_path / "m.html").read_text(encoding="utf-8")
    assert "太原市2025年11月环境空气质量状况" in html
    assert "数据截至 2025-12-01 00:00（北京时间）" in html
    named = runner.invoke(app, ["report", "air", "--month", "2025-11", "--city", "大同市",
                                "--format", "html", "--output", str(tmp_path / "d.html"),
                                "--db", str(air_db)])
    assert named.exit_code == 0 and "--city not given" not in named.stderr


def test_bulletin_of_a_month_in_progress_says_up_to_when(air_db):
    from envmon.timeutil import now_beijing

    month = f"{now_beijing():%Y-%m}"
    with open_store(air_db, read_only=True) as store:
        current = api.monthly_bulletin(store, Period.month(month), api.BulletinOptions())
        final = api.monthly_bulletin(store, Period.month("2025-11"), api.BulletinOptions())
    assert current.city == "太原市" and final.city == "太原市"
    assert current.as_json()["data_until"] is None
    texts = [getattr(b, "text", "") for b in current.bulletin().blocks]
    assert "统计期内尚无监测数据。" in texts  # said under the summary of a provisional month
    assert final.as_json()["data_until"] == "2025-12-01T00:00:00+08:00"
    assert "数据截至 2025-12-01 00:00（北京时间）。" in final.bulletin().footnotes


def test_file_formats_without_output_get_a_default_name(air_db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cases = [
        (["air", "aqi", "--station", "1001A", "--from", "2025-11-01", "--to", "2025-11-03"],
         "air-aqi-1001A-20251101-20251102.xlsx"),
        (["air", "summary", "--city", "太原市", *NOVEMBER],
         "air-summary-太原市-20251101-20251130.xlsx"),
        (["air", "rank", *NOVEMBER], "air-rank-20251101-20251130.xlsx"),
    ]
    for args, name in cases:
        got = runner.invoke(app, [*args, "--format", "xlsx", "--db", str(air_db)])
        assert got.exit_code == 0, got.output
        assert (tmp_path / name).exists(), (name, got.output)
    html = runner.invoke(app, ["air", "rank", *NOVEMBER, "--format", "html", "--db",
                               str(air_db)])
    assert html.exit_code == 0 and (tmp_path / "air-rank-20251101-20251130.html").exists()


def test_unknown_city_names_the_option_and_the_known_cities(air_db):
    got = runner.invoke(app, ["air", "summary", "--city", "X", *NOVEMBER, "--db", str(air_db)])
    assert got.exit_code == 2
    assert "--city: unknown city 'X'" in got.output and "太原市" in got.output
    assert "Traceback" not in got.output
    bad = runner.invoke(app, ["report", "air", "--month", "2025-11", "--city", "X",
                              "--db", str(air_db)])
    assert bad.exit_code == 2 and "--city: unknown city 'X'" in bad.output


def test_stations_import_of_a_bad_file_creates_no_store(tmp_path):
    db = tmp_path / "typo.duckdb"
    bad = tmp_path / "reg.csv"
    bad.write_text("MN,name\n1,a\n", encoding="utf-8")
    got = runner.invoke(app, ["air", "stations", "import", str(bad), "--db", str(db)])
    assert got.exit_code == 2 and "missing column" in got.output
    assert not db.exists()
    good = write_stations(tmp_path / "st.csv")
    assert runner.invoke(app, ["air", "stations", "import", str(good), "--db", str(db)]
                         ).exit_code == 0
    assert db.exists()
