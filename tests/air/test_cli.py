"""`envmon air …` and `envmon report air` on real DuckDB files (typer CliRunner).

Expected figures are worked by hand from the synthetic data of conftest.py:
- 太原市 November 2025: every city-station hour is the standards-note §4.2 example (PM2.5 40,
  PM10 70, SO2 12, NO2 35, CO 1.2, O3 160) → composite index 4.5179 → 4.52 with load shares
  25.3/22.1/22.1/19.4/6.6/4.4 % (airquality.md §4.2); daily AQI: PM2.5 40 → 57, PM10 70 → 60,
  O3 MDA8 160 → 100 (HJ 633 Table 1) → 100, 良, primary 臭氧8小时; 30 good days of 30.
  The control station (PM2.5 900) is excluded (HJ 663 Annex A: city stations only).
- 太原市 November 2024: PM2.5 150 on days 1–5 (IAQI 200, not good), 50 after → mean 66.67,
  composite 5.2798 → 5.28; YoY (4.517857 − 5.279762)/5.279762 = −14.43 % → −14.4; good days
  25 → +5; PM2.5 (40 − 66.667)/66.667 = −40.0 %.
- 大同市: 2025-11-02 has 19 hours → no valid 24-h values (GB 3095 Table 4) → 29 valid days;
  PM2.5 30 → composite 4.5179 − 40/35 + 30/35 = 4.2321 → 4.23.
"""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from envmon.cli import app

from .conftest import write_stations

runner = CliRunner()


def run(*args: str):
    result = runner.invoke(app, list(args))
    return result


def test_summary_json_matches_the_worked_example(air_db):
    result = run("air", "summary", "--city", "太原市", "--from", "2025-11-01", "--to",
                 "2025-11-30", "--format", "json", "--db", str(air_db))
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    assert got["standard"] == "2012"
    assert (got["valid_days"], got["good_days"], got["good_rate"]) == (30, 30, 100.0)
    assert got["composite_index"] == 4.52
    assert got["load_shares"] == {"so2": 4.4, "no2": 19.4, "pm10": 22.1, "pm25": 25.3,
                                  "co": 6.6, "o3": 22.1}
    assert got["concentrations"] == {"so2": 12, "no2": 35, "pm10": 70, "pm25": 40, "co": 1.2,
                                     "o3": 160}
    day = got["daily"][0]
    assert day == {"date": "2025-11-01", "aqi": 100, "level": "良", "primary": ["臭氧8小时"],
                   "concentrations": {"so2": 12, "no2": 35, "co": 1.2, "pm10": 70, "pm25": 40,
                                      "o3_1h": 160, "o3_8h": 160}}
    assert len(got["daily"]) == 30
    # HJ 663 §5: PM2.5 40 > 35 → B = 0.14; every daily value within the 24-h limit → 100.0 %
    assert got["compliance"]["pm25"] == {"exceedance_multiple": 0.14, "compliance_rate": 100.0}
    assert got["compliance"]["o3"] == {"exceedance_multiple": None, "compliance_rate": 100.0}
    yoy = got["yoy"]
    assert yoy["composite_index"] == -14.4 and yoy["composite_index_last"] == 5.28
    assert yoy["good_days"] == 5 and yoy["good_days_last"] == 25
    assert yoy["concentrations"]["pm25"] == -40.0 and yoy["concentrations_last"]["pm25"] == 67


def test_summary_city_validity_and_no_yoy_without_last_year(air_db):
    result = run("air", "summary", "--city", "大同市", "--from", "2025-11-01", "--to",
                 "2025-11-30", "--db", str(air_db))
    got = json.loads(result.stdout)
    assert got["valid_days"] == 29 and got["composite_index"] == 4.23
    assert got["daily"][1]["aqi"] is None
    one_week = json.loads(run("air", "summary", "--city", "大同市", "--from", "2025-11-10",
                              "--to", "2025-11-16", "--db", str(air_db)).stdout)
    assert one_week["valid_days"] == 7 and one_week["composite_index"] == 4.23
    early = json.loads(run("air", "summary", "--city", "大同市", "--from", "2023-11-10",
                           "--to", "2023-11-16", "--db", str(air_db)).stdout)
    assert "yoy" not in early and early["composite_index"] is None


def test_summary_text_is_the_bulletin_sentence(air_db):
    result = run("air", "summary", "--city", "太原市", "--from", "2025-11-01", "--to",
                 "2025-11-30", "--format", "text", "--db", str(air_db))
    assert result.exit_code == 0, result.output
    assert "2025年11月，太原市环境空气质量综合指数为4.52，同比下降14.4%" in result.stdout
    assert "优良天数同比增加5天" in result.stdout


def test_rank_orders_by_index_and_yoy(air_db):
    result = run("air", "rank", "--from", "2025-11-01", "--to", "2025-11-30",
                 "--db", str(air_db))
    assert result.exit_code == 0, result.output
    cities = json.loads(result.stdout)["cities"]
    assert [(c["city"], c["composite_index"], c["rank"]) for c in cities] == [
        ("大同市", 4.23, 1), ("太原市", 4.52, 2)]
    by = {c["city"]: c for c in cities}
    assert by["太原市"]["yoy"] == -14.4 and by["太原市"]["yoy_rank"] == 1
    assert by["大同市"]["yoy"] == 0.0 and by["大同市"]["yoy_rank"] == 2
    assert by["大同市"]["meets_grade_ii"] and not by["太原市"]["meets_grade_ii"]
    text = run("air", "rank", "--from", "2025-11-01", "--to", "2025-11-30", "--format", "text",
               "--db", str(air_db))
    assert "大同市" in text.stdout


def test_aqi_hourly_realtime(air_db):
    result = run("air", "aqi", "--station", "1001A", "--from", "2025-11-01T00:00", "--to",
                 "2025-11-01T03:00", "--format", "json", "--db", str(air_db))
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    # real-time rules (note §1.3): PM10 70 with the 24-h column → 60; PM2.5 40 → 57;
    # O3 1-h 160 → 50; NO2 1-h 35 → 18 …
    assert rows == [
        {"time": f"2025-11-01T0{h}:00:00+08:00", "station": "1001A", "aqi": 60, "level": "良",
         "primary": ["颗粒物(PM10)"]} for h in (1, 2, 3)
    ]
    unknown = run("air", "aqi", "--station", "X", "--from", "2025-11-01", "--to", "2025-11-02",
                  "--db", str(air_db))
    assert unknown.exit_code == 2 and "unknown station" in unknown.output


def test_unknown_city_and_bad_options(air_db):
    result = run("air", "summary", "--city", "北京市", "--from", "2025-11-01", "--to",
                 "2025-11-30", "--db", str(air_db))
    assert result.exit_code == 2 and "unknown city" in result.output
    bad = run("air", "summary", "--city", "太原市", "--from", "2025-13-01", "--to",
              "2025-11-30", "--db", str(air_db))
    assert bad.exit_code == 2 and "not a date" in bad.output
    for start, end in (("2025-11-01junk", "2025-11-30"), ("2025-11-01", "2025-11-30T08:00")):
        bad = run("air", "rank", "--from", start, "--to", end, "--db", str(air_db))
        assert bad.exit_code == 2 and "not a date" in bad.output, (start, end)
    bad = run("air", "rank", "--from", "2025-11-01", "--to", "2025-11-30", "--method", "x",
              "--db", str(air_db))
    assert bad.exit_code == 2


def test_stations_import_reports_bad_rows(tmp_path):
    db = tmp_path / "s.duckdb"
    path = write_stations(tmp_path / "st.csv", extra=["3001A,某站,阳泉市,street,1,2",
                                                      ",无编码,阳泉市,city,,"])
    result = run("air", "stations", "import", str(path), "--db", str(db))
    # issue 11 item 23: rejected rows exit 1, as `registry import` does (was 0)
    assert result.exit_code == 1, result.output
    assert "6 stations imported, 2 rows rejected" in result.stdout
    assert "st.csv:8: type 'street' is not one of" in result.stderr
    assert "st.csv:9: code is empty" in result.stderr


CNEMC_HEADER = ("timepoint,stationcode,longitude,latitude,area,positionname,primarypollutant,"
                "aqi,pm10,pm10_24h,pm2_5,pm2_5_24h,o3,o3_24h,o3_8h,o3_8h_24h,no2,no2_24h,so2,"
                "so2_24h,co,co_24h")


def test_cnemc_import_adds_stations_keeps_published_and_reads_swapped_o3(tmp_path):
    db = tmp_path / "c.duckdb"
    path = tmp_path / "2025-11-01T16.csv"
    path.write_text(
        CNEMC_HEADER + "\n"
        # o3 = max 1-h over 24 h (300), o3_24h = the latest 1-h value (20): swapped columns
        "2025-11-01T16:00:00,1001A,112.43,37.99,太原市,上兰,细颗粒物(PM2.5),82,50,48,60,58,"
        "300,20,90,80,30,28,10,9,0.8,0.7\n"
        "2025-11-01T16:00:00,1099A,112.5,37.9,太原市,新站,,,,,,,,,,,,,,,,\n"
        "2025-11-01T1X:00:00,1001A,,,太原市,上兰,,,,,,,,,,,,,,,,\n"
        "2025-11-01T17:00:00,1001A,112.43,37.99,太原市,上兰,,abc,50,48,60,58,300,20,90,80,30,"
        "28,10,9,0.8,0.7\n",
        encoding="utf-8",
    )
    result = run("air", "import", str(path), "--format", "cnemc", "--db", str(db))
    # issue 11 item 23: rejected rows exit 1 (was 0)
    assert result.exit_code == 1, result.output
    assert "2 rows imported from 1 file(s), 2 new stations, 2 rows rejected" in result.stdout
    assert ":4: timepoint" in result.stderr and ":5: aqi: 'abc' is not a number" in result.stderr
    from envmon.store import open_store

    with open_store(db, read_only=True) as store:
        # issue 11 item 20: stations CNEMC lists are added untyped (were typed "city")
        assert store.query("SELECT code, city, type FROM air_stations ORDER BY code") == [
            ("1001A", "太原市", None), ("1099A", "太原市", None)]
        assert store.query(
            "SELECT o3, pm25, CAST(start_time AS VARCHAR), CAST(end_time AS VARCHAR) "
            "FROM air_hourly WHERE station_code = '1001A'") == [
            (20.0, 60.0, "2025-11-01 15:00:00+08", "2025-11-01 16:00:00+08")]
        assert store.query("SELECT published_aqi, published_primary, o3_1h_max_24h, o3_8h_max "
                           "FROM air_published WHERE station_code = '1001A'") == [
            (82.0, "细颗粒物(PM2.5)", 300.0, 90.0)]
    rows = json.loads(run("air", "aqi", "--station", "1001A", "--from", "2025-11-01T15:00",
                          "--to", "2025-11-01T16:00", "--db", str(db)).stdout)
    # our own AQI reproduces the published 82 (PM2.5 60 → 81.25 → 82, note §1.2)
    assert rows == [{"time": "2025-11-01T16:00:00+08:00", "station": "1001A", "aqi": 82,
                     "level": "良", "primary": ["细颗粒物(PM2.5)"]}]


def test_daily_import_feeds_the_summary(tmp_path):
    db = tmp_path / "d.duckdb"
    write_stations(tmp_path / "st.csv")
    assert run("air", "stations", "import", str(tmp_path / "st.csv"), "--db", str(db)
               ).exit_code == 0
    lines = ["station_code,date,so2,no2,co,pm10,pm25,o3_1h_max,o3_8h_max"]
    for code in ("2001A", "2002A"):
        for day in range(1, 8):
            lines.append(f"{code},2025-03-{day:02d},12,35,1.2,70,{40 if day < 7 else ''},"
                         "180,160")
    lines.append("2001A,2025-03-32,1,1,1,1,1,1,1")
    (tmp_path / "daily.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("air", "import", str(tmp_path / "daily.csv"), "--format", "daily",
                 "--db", str(db))
    assert "14 rows imported" in result.stdout and "not YYYY-MM-DD" in result.stderr
    summary = tmp_path / "import.txt"
    again = run("air", "import", str(tmp_path / "daily.csv"), "--format", "daily",
                "--output", str(summary), "--db", str(db))
    # the file still holds the bad date: exit 1 (issue 11 item 23; was 0)
    assert again.exit_code == 1 and "rows imported" not in again.stdout
    assert summary.read_text(encoding="utf-8").startswith("14 rows imported from 1 file(s)")
    got = json.loads(run("air", "summary", "--city", "大同市", "--from", "2025-03-01", "--to",
                         "2025-03-07", "--db", str(db)).stdout)
    # day 7 has no PM2.5 → no valid daily AQI (all pollutants required) → 6 valid days
    assert got["valid_days"] == 6 and got["composite_index"] == 4.52


@pytest.mark.parametrize("formats", ["xlsx,html"])
def test_report_air_writes_xlsx_and_html(air_db, tmp_path, formats):
    out = tmp_path / "out"
    result = run("report", "air", "--month", "2025-11", "--city", "太原市", "--out", str(out),
                 "--formats", formats, "--db", str(air_db))
    assert result.exit_code == 0, result.output
    wb = load_workbook(out / "air-2025-11.xlsx")
    assert {"通报", "污染物", "AQI日历", "每日", "排名"} <= set(wb.sheetnames)
    cover = [c.value for c in wb["通报"]["A"] if c.value]
    assert any("综合指数为4.52，同比下降14.4%" in str(v) for v in cover)
    pollutants = wb["污染物"]
    assert pollutants["A3"].value == "细颗粒物(PM2.5)" and pollutants["D3"].value == 40
    assert pollutants["F3"].value == -40.0
    calendar = wb["AQI日历"]
    # 2025-11-01 is a Saturday: first week row 3, column F; AQI 100 → 良, yellow
    assert calendar["F3"].value == "1日\n100"
    assert calendar["F3"].fill.fgColor.rgb.endswith("FFFF00")
    ranking = wb["排名"]
    assert [ranking.cell(row=r, column=2).value for r in (3, 4)] == ["大同市", "太原市"]
    html = (out / "air-2025-11.html").read_text(encoding="utf-8")
    assert "2025年11月，太原市环境空气质量综合指数为4.52，同比下降14.4%" in html
    assert "优良天数同比增加5天" in html
    assert 'class="calendar"' in html and "background:#FFFF00" in html
    assert "<svg" in html  # the daily AQI chart, inline


def test_report_air_pdf(air_db, tmp_path):
    from envmon.reports.pdf import pdf_available

    # WeasyPrint is a dependency and .ci/run installs its pango libraries: no skip.
    assert pdf_available(), "PDF needs WeasyPrint and Debian's pango (see .ci/run)"
    result = run("report", "air", "--month", "2025-11", "--out", str(tmp_path), "--formats",
                 "pdf", "--db", str(air_db))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "air-2025-11.pdf").read_bytes().startswith(b"%PDF")


def test_excluded_days_switch(air_db, tmp_path):
    # standards note §1.5: sand-dust (扣沙) / exceptional-event days are taken out by a switch.
    # Taking out 2024-11-01…05 (PM2.5 150) leaves last year 25 valid days, all good, PM2.5 50;
    # taking out 2025-11-01 leaves 29 valid days this year.
    path = tmp_path / "dust.csv"
    path.write_text("city,date,reason\n" + "".join(
        f"太原市,2024-11-0{d},沙尘\n" for d in range(1, 6)) + "太原市,2025-11-01,沙尘\n",
        encoding="utf-8")
    result = run("air", "summary", "--city", "太原市", "--from", "2025-11-01", "--to",
                 "2025-11-30", "--exclude", str(path), "--no-validity", "--db", str(air_db))
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    assert got["valid_days"] == 29 and got["excluded_days"] == ["2025-11-01"]
    assert got["yoy"]["valid_days_last"] == 25 and got["yoy"]["good_days_last"] == 25
    assert got["yoy"]["concentrations_last"]["pm25"] == 50
    ranked = json.loads(run("air", "rank", "--from", "2025-11-01", "--to", "2025-11-30",
                            "--exclude", str(path), "--no-validity", "--db", str(air_db)).stdout)
    assert {c["city"]: c["valid_days"] for c in ranked["cities"]} == {"太原市": 29, "大同市": 29}
    bad = tmp_path / "bad.csv"
    bad.write_text("city,date\n太原市,2025-11-31\n", encoding="utf-8")
    result = run("air", "summary", "--city", "太原市", "--from", "2025-11-01", "--to",
                 "2025-11-30", "--exclude", str(bad), "--db", str(air_db))
    assert result.exit_code == 2 and "bad.csv:2" in result.output


def test_summary_annex_c_method(air_db):
    # HJ 663 Annex C (note §4.1): constant daily values → percentiles equal the means, so
    # I_i = max(mean/S_annual, pct/S_24h): SO2 max(0.2, 0.08), NO2 max(0.875, 0.4375),
    # PM10 max(1, 0.467), PM2.5 max(1.143, 0.533), CO 0.3, O3 1 → 4.52 as well
    got = json.loads(run("air", "summary", "--city", "太原市", "--from", "2025-11-01", "--to",
                         "2025-11-30", "--method", "hj663", "--db", str(air_db)).stdout)
    assert got["method"] == "hj663" and got["composite_index"] == 4.52
    assert got["single_indices"]["pm25"] == 1.14
