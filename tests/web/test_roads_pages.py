"""道路颗粒物 over HTTP (no browser): the page's two lists are `envmon roads rank`'s for the
same month and thresholds, a month that cannot be ranked is the page with the reason, bad input
is a 400 naming the field, a segment's page lists its passes."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from envmon.cli import app as cli_app
from envmon.web.pages.roads import class_breaks, daily_means
from tests.web.conftest import ROADS_ELIGIBILITY, ROADS_MONTH
from tests.web.test_pages import get


def _cli_rank(url: str) -> dict:
    thresholds = [a for k, v in ROADS_ELIGIBILITY.items()
                  for a in (f"--{k.replace('_', '-')}", str(v))]
    result = CliRunner().invoke(cli_app, ["roads", "rank", "--month", ROADS_MONTH, "--url", url,
                                          *thresholds])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _list(body: str, side: str) -> list[tuple[str, str, str]]:
    table = re.search(rf'<table class="data roads-list" id="roads-{side}">(.*?)</table>', body,
                      re.S).group(1)
    return re.findall(r'<tr data-segment="([^"]+)"><td>\d+</td><td class="name">([^<]*)</td>'
                      r'<td>([^<]*)</td>', table)


def test_the_roads_page_shows_the_lists_of_envmon_roads_rank(roads_web):
    status, body, _ = get(roads_web, f"/roads?month={ROADS_MONTH}")
    assert status == 200, body
    ranked = _cli_rank(roads_web.base)
    for side in ("dirty", "clean"):
        assert len(ranked[side]) == 20
        assert _list(body, side) == [(i["segment_id"], i["name"], i["district"])
                                     for i in ranked[side]], side
    counts = dict(re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td><td>\d+</td></tr>",
                             body.split('id="roads-districts"')[1].split("</table>")[0]))
    assert {d: int(n) for d, n in counts.items() if int(n)} == ranked["district_counts"]["dirty"]
    layer = json.loads(re.search(r'<script id="roads-data" type="application/json">(.*?)'
                                 r"</script>", body, re.S).group(1))["layer"]
    listed = {f["properties"]["segment_id"] for f in layer["features"]
              if f["properties"]["dirty_rank"] or f["properties"]["clean_rank"]}
    assert listed == {i["segment_id"] for i in ranked["dirty"] + ranked["clean"]}
    assert 'id="roads-reason"' not in body and 'id="roads-legend"' in body


def test_a_month_without_readings_or_network_says_why(roads_web, web):
    status, body, _ = get(web, "/roads?month=2026-10")  # the demo store: no road network
    assert status == 200
    assert re.search(r'<p class="warn" id="roads-reason">无法排名：[^<]*no road network', body)
    assert "roads-data" not in body
    status, body, _ = get(roads_web, "/roads?month=2026-08")  # the network, no readings
    assert status == 200 and re.search(r'id="roads-reason">[^<]*no readings in 2026-08', body)


@pytest.mark.parametrize("path, status, names", [
    ("/roads?month=2026-13", 400, "month"),
    ("/roads?month=26-10", 400, "month"),
    ("/roads?month=2026-10&pollutant=so2", 400, "pollutant"),
    ("/roads/segments/S1?month=2026-1", 400, "month"),
    ("/roads/segments/no-such-segment?month=2026-10", 404, "no-such-segment"),
])
def test_bad_input_is_a_4xx_naming_the_field(roads_web, path, status, names):
    got, body, _ = get(roads_web, path)
    assert got == status and names in body, body


def test_a_segment_page_lists_its_passes(roads_web):
    ranked = _cli_rank(roads_web.base)
    first = ranked["dirty"][0]
    status, body, _ = get(roads_web, f"/roads/segments/{first['segment_id']}?month={ROADS_MONTH}")
    assert status == 200 and first["name"] in body
    rows = re.findall(r"<tr><td>[^<]+</td><td>2026-10-", body)
    passes = json.loads(get(roads_web, f"/api/v1/roads/segments/{first['segment_id']}/passes"
                                       f"?month={ROADS_MONTH}")[1])
    assert len(rows) == len(passes) >= first["n_passes"]


def test_class_breaks_and_daily_medians():
    assert class_breaks([]) == []
    assert class_breaks([10.0, 20.0, 30.0, 40.0, 50.0, 60.0]) == [20.0, 30.0, 40.0, 50.0]
    passes = [{"start": "2026-10-01T08:00:00+08:00", "counted": True, "pm25": 10.0, "pm10": 30.0},
              {"start": "2026-10-01T09:00:00+08:00", "counted": True, "pm25": 20.0, "pm10": None},
              {"start": "2026-10-01T10:00:00+08:00", "counted": True, "pm25": 60.0, "pm10": 50.0},
              {"start": "2026-10-02T08:00:00+08:00", "counted": False, "pm25": 99.0,
               "pm10": 99.0}]
    assert daily_means(passes) == [{"date": "2026-10-01", "passes": 3, "pm25": 20.0,
                                    "pm10": 40.0}]
