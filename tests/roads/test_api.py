"""The roads use cases called directly (envmon.roads.api), as the web app will call them."""

from __future__ import annotations

from datetime import datetime

import pytest

from envmon.errors import OptionError, PeriodError
from envmon.period import Period
from envmon.roads import api
from envmon.roads.stats import Eligibility
from envmon.store import open_store
from envmon.timeutil import BEIJING_FIXED

ANY = Eligibility(1, 1, 1)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """Three simulated taxis over two days of the synthetic grid, imported."""
    tmp = tmp_path_factory.mktemp("api")
    db = tmp / "a.duckdb"
    with open_store(db) as store:
        sim = api.simulate_taxis(store, Period.month("2026-10"), api.SimulateOptions(
            out=tmp / "t.csv", taxis=3, days=2, minutes=30, do_import=True))
    return db, sim.as_json()


def test_simulation_imports_every_reading(fleet):
    _, summary = fleet
    imported = summary["import"]
    assert imported["received"] == summary["readings"] > 1000
    assert imported["accepted"] + imported["rejected_total"] == imported["received"]
    assert summary["segments"] > 50


def test_match_cuts_beijing_days_and_rank_keeps_the_statistics(fleet):
    db, summary = fleet
    period = Period.month("2026-10")
    steps: list[tuple[int, int]] = []
    with open_store(db) as store:
        matched = api.match(store, period, progress=lambda d, t: steps.append((d, t)))
        assert steps[-1] == (31, 31) and len(steps) == 31  # one step per Beijing day
        days = {c["day"] for c in matched.as_json()["coverage"]}
        assert days == {"2026-10-01", "2026-10-02"}
        result = api.rank(store, period, api.RankOptions(top=5, eligibility=ANY, detail=True))
        ranking = result.as_json()
        eligible = sorted((v.value for v in result.values if v.eligible), reverse=True)
        assert [i["value"] for i in ranking["dirty"]] == [round(v, 1) for v in eligible[:5]]
        assert [i["value"] for i in ranking["clean"]] == [round(v, 1)
                                                          for v in eligible[::-1][:5]]
        assert ranking["from"] == "2026-10-01T00:00:00+08:00"
        kept = store.query("SELECT COUNT(*) FROM road_segment_stats WHERE pollutant = 'pm10'")
        assert kept[0][0] == len(result.values)
        assert result.default_stem == "roads-2026-10-pm10"
        assert set(result.ci) == result.listed
        layer = result.geojson()
        assert len(layer["features"]) == summary["segments"]
        assert sorted(f["properties"]["dirty_rank"] for f in layer["features"]
                      if f["properties"]["dirty_rank"]) == [1, 2, 3, 4, 5]
        cov = api.coverage(store, period).as_json()
        assert [d["day"] for d in cov["daily"]] == ["2026-10-01", "2026-10-02"]
        assert cov["with_data"] == len(result.values)


def test_invalid_options_name_the_option():
    with pytest.raises(OptionError) as error:
        api.RankOptions(pollutant="so2")
    assert error.value.option == "--pollutant" and "pm10, pm25" in error.value.reason
    with pytest.raises(OptionError) as error:
        api.RankOptions(normalise="x")
    assert error.value.option == "--normalise"
    with pytest.raises(OptionError) as error:
        api.CalibrateOptions("T1", "yesterday")
    assert error.value.option == "--from"
    assert api.RankOptions(pollutant="pm25").pollutant is api.Pollutant.PM25


def test_periods_are_strict_months():
    with pytest.raises(PeriodError) as error:
        Period.from_options("2026-1", None, None)
    assert error.value.option == "--month"
    with pytest.raises(PeriodError):
        Period.from_options("2026-10", "2026-10-01T00:00", None)
    p = Period.from_options(None, "2026-10-01T08:00", "2026-10-02T08:00")
    assert (p.start, p.end) == (datetime(2026, 10, 1, 8, tzinfo=BEIJING_FIXED),
                                datetime(2026, 10, 2, 8, tzinfo=BEIJING_FIXED))


def test_without_a_network_the_error_says_what_to_run(tmp_path):
    with open_store(tmp_path / "e.duckdb") as store, pytest.raises(api.RoadsDataError,
                                                                    match="roads network"):
        api.rank(store, Period.month("2026-10"))


def test_intake_refuses_other_bodies(tmp_path):
    with open_store(tmp_path / "i.duckdb") as store:
        with pytest.raises(api.PayloadError, match="crs must be one of wgs84, gcj02"):
            api.intake_readings(store, {"crs": "bd09", "readings": []})
        with pytest.raises(api.PayloadError):
            api.intake_readings(store, {"readings": 3})
        got = api.intake_readings(store, [{"device_id": "A", "time": "2026-10-02T08:00:00",
                                           "lat": 37.85, "lon": 112.55, "pm25": 20,
                                           "pm10": 40}])
        assert got.as_json() == {"received": 1, "accepted": 1, "rejected": {},
                                 "rejected_total": 0, "duplicates": 0}


def test_bulletin_labels_come_from_the_period():
    from envmon.reports.roads import period_label

    assert period_label(Period.month("2026-10")) == "2026年10月"
    assert period_label(Period.parse("2026-10-01T00:00", "2026-11-01T00:00")) == "2026年10月"
    assert period_label(Period.parse("2026-10-01T08:00", "2026-10-09T08:00")) == \
        "2026年10月01日至2026年10月09日"


def test_a_period_in_progress_is_provisional(fleet):
    from datetime import timedelta

    from envmon.timeutil import now_beijing

    db, _ = fleet
    now = now_beijing()
    current = Period.parse(now - timedelta(days=1), now + timedelta(days=1))
    past = Period.month("2026-10")
    with open_store(db) as store:
        ranked = api.rank(store, current, api.RankOptions(top=5, eligibility=ANY, detail=True))
        assert ranked.as_json()["provisional"] is True
        assert ranked.as_table().title.endswith("（初步统计，统计期未结束）")
        assert ranked.geojson()["provisional"] is True
        assert ranked.bulletin().title.endswith("（初步统计，统计期未结束）")
        final = api.rank(store, past, api.RankOptions(top=5, eligibility=ANY, detail=True))
        assert final.as_json()["provisional"] is False
        assert "初步统计" not in final.as_table().title + final.bulletin().title
        assert api.coverage(store, current).as_json()["provisional"] is True
        assert "初步统计" in api.coverage(store, current).as_table().title
        assert api.coverage(store, past).as_json()["provisional"] is False


def test_options_are_parsed_once_in_their_dataclass():
    calibration = api.CalibrateOptions("T1", "2026-10-01")
    assert calibration.valid_from == datetime(2026, 10, 1, tzinfo=BEIJING_FIXED)
    assert calibration.valid_from_text == "2026-10-01"  # the JSON says it as given
    assert api.CalibrateOptions("T1", datetime(2026, 10, 1, 8)).valid_from == \
        datetime(2026, 10, 1, 8, tzinfo=BEIJING_FIXED)
    with pytest.raises(OptionError) as error:
        api.CalibrateOptions("T1", "2026-10-01junk")
    assert error.value.option == "--from"
    with pytest.raises(OptionError) as error:
        api.IntakeOptions("bd09")
    assert error.value.option == "--crs" and "wgs84, gcj02" in error.value.reason
    assert api.IntakeOptions("gcj02").default_crs is api.Datum.GCJ02
    with pytest.raises(OptionError) as error:
        api.CoverageOptions(Eligibility(1, -1, 1))
    assert error.value.option == "--min-passes"


def test_intake_takes_the_default_datum_from_its_options(tmp_path):
    reading = {"device_id": "A", "time": "2026-10-02T08:00:00", "lat": 37.85, "lon": 112.55,
               "pm25": 20, "pm10": 40}
    with open_store(tmp_path / "d.duckdb") as store:
        api.intake_readings(store, [reading], api.IntakeOptions("gcj02"))
        api.intake_readings(store, {"crs": "wgs84", "readings": [{**reading, "device_id": "B"}]},
                            api.IntakeOptions("gcj02"))
        rows = store.query("SELECT device_id, datum FROM road_readings ORDER BY device_id")
    assert rows == [("A", "gcj02"), ("B", "wgs84")]
