"""envmon.period: months and ranges cut in Beijing time, strict YYYY-MM, no future periods."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from envmon.errors import PeriodError
from envmon.period import Period, beijing_midnight, parse_time
from envmon.timeutil import BEIJING_FIXED

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=BEIJING_FIXED)


def bj(*args) -> datetime:
    return datetime(*args, tzinfo=BEIJING_FIXED)


def test_month_bounds_in_beijing_time():
    p = Period.month("2026-10", now=NOW)
    assert (p.start, p.end, p.label) == (bj(2026, 10, 1), bj(2026, 11, 1), "2026-10")
    assert len(p.days()) == 31 and p.n_hours == 31 * 24
    december = Period.month("2025-12", now=NOW)
    assert december.end == bj(2026, 1, 1)


@pytest.mark.parametrize("text", ["2026-1", "2026-13", "2026-00", "26-10", "2026/10", "2026-10-01",
                                  " ", "２０２６-10"])
def test_month_is_strict(text):
    with pytest.raises(PeriodError) as err:
        Period.month(text, now=NOW)
    assert err.value.option == "--month" and "YYYY-MM" in err.value.reason


def test_future_refused_in_progress_provisional():
    with pytest.raises(PeriodError, match="has not begun"):
        Period.month("2027-01", now=NOW)
    current = Period.month("2026-12", now=NOW)
    assert current.in_progress(NOW)
    assert current.ended_hours_end(NOW) == NOW.replace(minute=0)  # the hours that have ended
    assert not Period.month("2026-11", now=NOW).in_progress(NOW)


def test_parse_range_and_errors():
    p = Period.parse("2026-10-01T08:00", "2026-10-02T08:00+08:00", now=NOW)
    assert p.start == bj(2026, 10, 1, 8) and p.end == bj(2026, 10, 2, 8)
    with pytest.raises(PeriodError) as err:
        Period.parse("2026-10-02", "2026-10-01", now=NOW)
    assert err.value.option == "--from" and "not before" in err.value.reason
    with pytest.raises(PeriodError, match="not on the hour"):
        Period.parse("2026-10-01T08:30", "2026-10-02", on_the_hour=True, now=NOW)
    with pytest.raises(PeriodError) as err:
        Period.parse("yesterday", "2026-10-02", now=NOW)
    assert err.value.option == "--from"


def test_from_options_month_or_range():
    assert Period.from_options("2026-10", None, None, now=NOW).label == "2026-10"
    with pytest.raises(PeriodError, match="not both"):
        Period.from_options("2026-10", "2026-10-01", None, now=NOW)
    with pytest.raises(PeriodError, match="both --from and --to"):
        Period.from_options(None, "2026-10-01", None, now=NOW)


def test_cuts_are_beijing_midnights_whatever_the_input_zone():
    # 2026-10-01 20:00 UTC is 2026-10-02 04:00 in Beijing: the first day piece ends at 10-03 00:00.
    p = Period(datetime(2026, 10, 1, 20, tzinfo=UTC),
               datetime(2026, 10, 4, 1, tzinfo=UTC))
    bounds = list(p.day_bounds())
    assert [b for _, b in bounds][:2] == [bj(2026, 10, 3), bj(2026, 10, 4)]
    assert bounds[-1][1] == p.end
    assert p.days() == [date(2026, 10, 2), date(2026, 10, 3), date(2026, 10, 4)]
    three = Period.month("2026-10", now=NOW).chunks(10)
    assert [c.start.day for c in three] == [1, 11, 21, 31] and three[-1].end == bj(2026, 11, 1)
    assert Period.month("2026-10", now=NOW).chunks(None)[0].end == bj(2026, 11, 1)
    assert beijing_midnight(datetime(2026, 10, 1, 17, tzinfo=UTC)) == bj(2026, 10, 2)


def test_hours_months_year_before():
    p = Period(bj(2026, 10, 1, 8, 30), bj(2026, 10, 1, 11))
    assert p.hours() == [bj(2026, 10, 1, 9), bj(2026, 10, 1, 10)]
    span = Period(bj(2026, 9, 20), bj(2026, 11, 2))
    assert [m.label for m in span.months()] == ["2026-09", "2026-10", "2026-11"]
    leap = Period.month("2024-02", now=NOW).year_before()
    assert (leap.start, leap.end, leap.label) == (bj(2023, 2, 1), bj(2023, 3, 1), "2023-02")
    assert Period.day(date(2024, 2, 29)).year_before().start == bj(2023, 2, 28)
    assert Period.year(2025).n_hours == 365 * 24


def test_parse_time_defaults_to_beijing():
    assert parse_time("2026-10-01T08:00").utcoffset() == timedelta(hours=8)
    with pytest.raises(PeriodError) as err:
        parse_time("2026-13-01", "--to")
    assert err.value.option == "--to"


def test_days_between_years_and_month_or_year():
    p = Period.days_between("2026-10-01", "2026-10-31", now=NOW)
    assert (p.start, p.end) == (bj(2026, 10, 1), bj(2026, 11, 1))
    assert p.first_last_days() == (date(2026, 10, 1), date(2026, 10, 31))
    for bad in ("2026-11-01junk", "2026-1-01", "2026-02-30"):
        with pytest.raises(PeriodError) as err:
            Period.days_between(bad, "2026-11-02", now=NOW)
        assert err.value.option == "--from" and "YYYY-MM-DD" in err.value.reason
    with pytest.raises(PeriodError, match="before it starts"):
        Period.days_between("2026-10-02", "2026-10-01", now=NOW)
    with pytest.raises(PeriodError, match="has not begun"):
        Period.days_between("2027-01-01", "2027-01-02", now=NOW)
    assert Period.month_or_year(None, 2025, now=NOW).label == "2025"
    with pytest.raises(PeriodError) as err:
        Period.month_or_year(None, 2099, now=NOW)
    assert err.value.option == "--year"
    with pytest.raises(PeriodError, match="either --month"):
        Period.month_or_year("2026-10", 2026, now=NOW)
    assert Period.month("2026-12", now=NOW).as_json(NOW)["provisional"] is True
    assert Period.month("2026-11", now=NOW).as_json(NOW)["provisional"] is False


def test_require_on_the_hour_names_the_bound_and_says_why():
    Period.parse("2026-10-01T08:00", "2026-10-01T10:00", now=NOW).require_on_the_hour()
    period = Period.parse("2026-10-01T08:00", "2026-10-01T10:30", now=NOW)
    with pytest.raises(PeriodError) as err:
        period.require_on_the_hour(("--from", "--to"), why=" (whole hours)")
    assert err.value.option == "--to"
    assert err.value.reason == "2026-10-01T10:30:00+08:00 is not on the hour (whole hours)"


def test_ended_hours_end_is_the_start_of_the_running_hour():
    month = Period.month("2026-11", now=NOW)
    running = datetime(2026, 11, 12, 9, 41, tzinfo=BEIJING_FIXED)
    assert month.ended_hours_end(running) == datetime(2026, 11, 12, 9, tzinfo=BEIJING_FIXED)
    assert month.ended_hours_end(month.end + timedelta(minutes=5)) == month.end
    assert month.ended_hours_end(month.start - timedelta(hours=3)) == month.start
    assert month.ended_hours_end(month.start + timedelta(minutes=20)) == month.start


def test_ended_hours_are_cut_on_beijing_hours_whatever_the_zone():
    india = timezone(timedelta(hours=5, minutes=30))
    as_of = datetime(2026, 12, 1, 4, 10, tzinfo=india)  # 06:40 in Beijing
    assert Period.month("2026-12", now=NOW).ended_hours_end(as_of) == bj(2026, 12, 1, 6)
    assert Period.month("2026-11", now=NOW).ended_hours_end(as_of) == bj(2026, 12, 1)
