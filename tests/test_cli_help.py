"""Issue 11 item 27: help keeps its bracketed words and shows the defaults; bulletins are
dated in Beijing time whatever zone the machine is set to."""

from __future__ import annotations

import os
import time

import pytest
from typer.testing import CliRunner

from envmon.cli import app
from envmon.timeutil import now_beijing

runner = CliRunner()


def _help(*command: str) -> str:
    result = runner.invoke(app, [*command, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def test_help_keeps_bracketed_words_and_shows_defaults():
    roads = _help("roads", "rank")
    assert "([sensors], [match], [passes], [eligibility], [naming];" in roads
    assert "default: the [roads] tables of the configuration" in roads
    serve = _help("serve")
    assert "[config: ingest.idle_timeout_s, 600]" in serve
    assert "[config: ingest.commit_interval_ms, 5]" in serve
    report = _help("report", "transmission")
    assert "received by DataTime + H hours (default 2)" in report
    assert "received by DataTime + D days (default 10)" in report


@pytest.fixture
def machine_zone_a_day_off():
    """Set the process's zone so that the machine's date is not Beijing's date now."""
    if not hasattr(time, "tzset"):
        pytest.skip("needs time.tzset")
    before = os.environ.get("TZ")
    # UTC-12 is 20 h behind Beijing, UTC+14 6 h ahead: one of them is on another date
    os.environ["TZ"] = "Etc/GMT+12" if now_beijing().hour < 20 else "Etc/GMT-14"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_bulletins_are_dated_in_beijing_time(machine_zone_a_day_off):
    from datetime import date

    from envmon.period import Period
    from envmon.render.bulletins import table_bulletin
    from envmon.render.table import Column, Table
    from envmon.reports.roads import build_roads_bulletin

    beijing = now_beijing().date()
    assert date.today() != beijing  # the fixture did its job
    table = table_bulletin(Table("数据", [Column("a", "甲")], [(1,)]))
    assert table.issued == beijing
    empty = {"from": "2026-10-01T00:00:00+08:00", "to": "2026-11-01T00:00:00+08:00",
             "pollutant": "pm10", "dirty": [], "clean": [],
             "district_counts": {"dirty": {}, "clean": {}},
             "sentence": {"dirty": "其中，无路段入列。", "clean": "其中，无路段入列。"},
             "insufficient": 0}
    roads = build_roads_bulletin(empty, Period.month("2026-10"), {}, None)
    assert roads.issued == beijing
