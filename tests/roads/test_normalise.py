"""Background normalisation against the hourly mean of the city stations (roads.md §4.5)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from envmon.roads.rank import segment_values
from envmon.roads.stats import Eligibility
from envmon.store import open_store
from envmon.timeutil import BEIJING_FIXED

T0 = datetime(2026, 10, 1, tzinfo=BEIJING_FIXED)


@pytest.fixture()
def store(tmp_path):
    with open_store(tmp_path / "n.duckdb") as st:
        st.execute("INSERT INTO road_networks VALUES ('N1', 'test', 'EPSG:32649', 1, 2, now())")
        st.execute("INSERT INTO road_segments VALUES ('N1', 'S1', '甲路乙路口至丙路口', '甲路', "
                   "'乙路口', '丙路口', '小店区', 'primary', 400, '1', 1, 2, "
                   "'LINESTRING (112.5 37.8, 112.51 37.8)')")
        st.execute("INSERT INTO air_stations (code, name, city, type, lat, lon, updated_at) "
                   "VALUES ('1001A', '站1', '太原市', 'city', 37.8, "
                   "112.5, now()), ('1002A', '站2', '太原市', 'city', 37.8, 112.5, now())")
        # two passes: 100 at 08:xx when the city background is 50, 60 at 14:xx when it is 30
        for hour, value, bg in ((8, 100.0, 50.0), (14, 60.0, 30.0)):
            t = T0 + timedelta(hours=hour, minutes=10)
            st.execute("INSERT INTO road_passes VALUES ('N1', 'S1', 'A', ?, ?, 5, 300, ?, ?, "
                       "true)", [t, t + timedelta(seconds=5), value / 2, value])
            for code, b in (("1001A", bg - 5), ("1002A", bg + 5)):
                st.execute("INSERT INTO air_hourly (station_code, start_time, end_time, pm10, "
                           "pm25, source, imported_at) VALUES (?, ?, ?, ?, ?, 'hourly', now())",
                           [code, T0 + timedelta(hours=hour), T0 + timedelta(hours=hour + 1),
                            b, b / 2])
        yield st


def test_multiplicative_and_additive(store):
    end = T0 + timedelta(days=1)
    anyone = Eligibility(1, 1, 1)
    raw = segment_values(store, T0, end, "pm10", eligibility=anyone)[0]
    assert raw.value == pytest.approx(80.0)  # median of 100 and 60
    mult = segment_values(store, T0, end, "pm10", eligibility=anyone,
                          normalise="multiplicative")[0]
    # B̄ = 40: 100·40/50 = 80, 60·40/30 = 80
    assert mult.value == pytest.approx(80.0) and mult.q1 == pytest.approx(80.0)
    add = segment_values(store, T0, end, "pm10", eligibility=anyone, normalise="additive")[0]
    # 100 − 50 + 40 = 90, 60 − 30 + 40 = 70 → median 80
    assert (add.q1, add.q3) == (pytest.approx(75.0), pytest.approx(85.0))
    assert raw.n_passes == 2 and raw.n_days == 1 and raw.n_taxis == 1


def test_bulletin_publishes_raw_beside_normalised(store, tmp_path):
    from typer.testing import CliRunner

    from envmon.cli import app

    db = store.target
    store.close()
    out = tmp_path / "n.html"
    r = CliRunner().invoke(app, ["roads", "rank", "--db", db, "--from", "2026-10-01T00:00",
                                 "--to", "2026-10-02T00:00", "--normalise", "multiplicative",
                                 "--min-days", "1", "--min-passes", "1", "--min-taxis", "1",
                                 "--format", "html", "--out", str(out)])
    assert r.exit_code == 0, r.output
    html = out.read_text(encoding="utf-8")
    assert "背景校正浓度" in html and "实测浓度" in html
