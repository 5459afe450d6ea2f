"""The air use cases called directly (envmon.air.api), on the worked example of conftest.py
(figures explained in test_cli.py's docstring)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from envmon.air import api
from envmon.errors import OptionError
from envmon.period import Period
from envmon.store import open_store
from envmon.timeutil import BEIJING_FIXED

NOVEMBER = ("2025-11-01", "2025-11-30")


def test_summary_and_ranking(air_db):
    with open_store(air_db, read_only=True) as store:
        period = Period.days_between(*NOVEMBER)
        got = api.city_summary(store, period, api.SummaryOptions("太原市")).as_json()
        assert (got["composite_index"], got["good_days"], got["valid_days"]) == (4.52, 30, 30)
        assert got["yoy"]["composite_index"] == -14.4
        assert (got["from"], got["to"]) == NOVEMBER
        ranked = api.city_ranking(store, period, api.RankOptions(method="hj663")).as_json()
        assert ranked["method"] == "hj663"
        assert [(c["city"], c["rank"]) for c in ranked["cities"]] == [("大同市", 1),
                                                                      ("太原市", 2)]


def test_station_aqi_hours_by_their_end(air_db):
    with open_store(air_db, read_only=True) as store:
        rows = api.station_aqi(store, Period.parse("2025-11-01T00:00", "2025-11-01T02:00"),
                               api.AqiOptions("1001A")).as_json()
    assert [(r["time"], r["aqi"]) for r in rows] == [("2025-11-01T01:00:00+08:00", 60),
                                                    ("2025-11-01T02:00:00+08:00", 60)]


def test_monthly_bulletin(air_db):
    with open_store(air_db, read_only=True) as store:
        result = api.monthly_bulletin(store, Period.month("2025-11"),
                                      api.BulletinOptions(city="太原市"))
    assert result.default_stem == "air-2025-11"
    assert result.bulletin().title == "太原市2025年11月环境空气质量状况"


def test_days_between_is_whole_beijing_days():
    p = Period.days_between("2025-02-01", "2025-02-28")
    assert p.start == datetime(2025, 2, 1, tzinfo=BEIJING_FIXED)
    assert p.end == datetime(2025, 3, 1, tzinfo=BEIJING_FIXED)
    assert p.days()[-1] == date(2025, 2, 28)
    with pytest.raises(OptionError) as error:
        Period.days_between("2025-11-01", "2025-10-31")
    assert error.value.option == "--from"
    with pytest.raises(OptionError, match="has not begun"):
        Period.days_between("2025-11-01", "2025-11-30",
                            now=datetime(2025, 10, 1, tzinfo=BEIJING_FIXED))


def test_invalid_options_name_the_option(tmp_path):
    with pytest.raises(OptionError) as error:
        api.RankOptions(method="x")
    assert error.value.option == "--method" and "mee, hj663" in error.value.reason
    with pytest.raises(OptionError) as error:
        api.SummaryOptions("太原市", standard="2020")
    assert error.value.option == "--standard"
    with pytest.raises(OptionError) as error:
        Period.days_between("2025-13-01", "2025-11-30")
    assert error.value.option == "--from" and "not a date" in error.value.reason
    with pytest.raises(OptionError) as error:
        api.ImportOptions((tmp_path / "none.csv",), "daily")
    assert "no such file" in error.value.reason
    with pytest.raises(OptionError) as error:
        api.excluded_days(tmp_path / "none.csv")
    assert error.value.option == "--exclude"


def test_unknown_city_is_an_air_error(air_db):
    with open_store(air_db, read_only=True) as store, pytest.raises(api.AirError,
                                                                    match="unknown city"):
        api.city_summary(store, Period.days_between(*NOVEMBER), api.SummaryOptions("北京市"))


def test_bulletin_labels_come_from_the_period():
    from envmon.reports.air import period_label

    assert period_label(Period.month("2025-11")) == "2025年11月"
    assert period_label(Period.days_between("2025-11-01", "2025-11-30")) == "2025年11月"
    assert period_label(Period.days_between("2025-11-01", "2025-11-29")) == \
        "2025-11-01至2025-11-29"
    assert period_label(Period.days_between("2025-02-01", "2025-02-28")) == "2025年2月"


def test_a_period_in_progress_is_provisional(air_db):
    from envmon.timeutil import now_beijing

    today = now_beijing().date()
    with open_store(air_db, read_only=True) as store:
        past = api.city_summary(store, Period.days_between(*NOVEMBER),
                                api.SummaryOptions("太原市"))
        now = api.city_summary(store, Period.days_between(today, today),
                               api.SummaryOptions("太原市"))
        assert past.as_json()["provisional"] is False and "初步统计" not in past.sentence()
        assert now.as_json()["provisional"] is True
        assert "（初步统计，统计期未结束）" in now.sentence()
        assert "初步统计" in now.as_table().title
        ranked = api.city_ranking(store, Period.days_between(today, today))
        assert ranked.as_json()["provisional"] is True and "初步统计" in ranked.as_table().title
        assert api.city_ranking(store, Period.days_between(*NOVEMBER)).as_json()[
            "provisional"] is False
        final = api.monthly_bulletin(store, Period.month("2025-11"),
                                     api.BulletinOptions(city="太原市"))
        assert final.as_json()["provisional"] is False
        assert final.as_json()["period"]["provisional"] is False
        current = api.monthly_bulletin(store, Period.month(f"{today:%Y-%m}"),
                                       api.BulletinOptions(city="太原市"))
        assert current.as_json()["provisional"] is True
        assert current.bulletin().title.endswith("（初步统计，统计期未结束）")


def test_stations_import_options(tmp_path):
    with pytest.raises(OptionError) as error:
        api.StationsImportOptions(tmp_path / "none.csv")
    assert error.value.option == "FILE" and "no such file" in error.value.reason


def test_a_bulletin_under_the_2026_standard_notes_in_chinese(air_db):
    """zh-CN bulletins carry no English notes: the notes on the 2026 standard's unverified
    parts are in Chinese (issue 11, item 27)."""
    with open_store(air_db, read_only=True) as store:
        bulletin = api.monthly_bulletin(store, Period.month("2026-04"),
                                        api.BulletinOptions(city="太原市")).bulletin()
    notes = [n for n in bulletin.footnotes if "未核实" in n]
    assert len(notes) == 2
    assert not any("breakpoints" in n or "used" in n for n in bulletin.footnotes)
    # It cites the standard whose PM2.5 limit it used, not GB 3095-2012 alone.
    assert "评价依据：GB 3095—2026" in bulletin.footnotes[0]


def test_a_bulletin_under_the_2012_standard_cites_it(air_db):
    with open_store(air_db, read_only=True) as store:
        bulletin = api.monthly_bulletin(store, Period.month("2025-11"),
                                        api.BulletinOptions(city="太原市")).bulletin()
    assert bulletin.footnotes[0].startswith("评价依据：GB 3095-2012《环境空气质量标准》")
    assert "2026" not in bulletin.footnotes[0]
