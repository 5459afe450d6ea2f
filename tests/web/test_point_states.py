"""Point states (在线 / 离线 / 报警 / 停产) and where a point is drawn."""

from __future__ import annotations

from datetime import timedelta

from envmon.alarms import store as alarm_store
from envmon.alarms.api import PointStatesOptions, point_states
from envmon.alarms.states import CITY_SEATS, SPREAD_DEG, placed
from envmon.registry.api import DemoOptions, ImportOptions, demo_registry, import_registry
from envmon.store import open_store
from envmon.timeutil import now_beijing


def test_states_follow_the_alarms_and_the_data_of_the_demo(web):
    store = web.context.store  # the demo's store, open in the served app
    now = now_beijing()
    states = point_states(store, PointStatesOptions(now))
    assert len(states.points) == 300 and sum(states.counts().values()) == 300
    not_closed = {}
    for alarm in alarm_store.list_alarms(store):
        if alarm.status != "closed":
            not_closed.setdefault(alarm.mn, set()).add(alarm.rule)
    for point in states.points:
        if point.state in ("alarm",):
            assert not_closed.get(point.mn), point.mn
        if point.state == "online":
            assert not not_closed.get(point.mn) and point.last_seen_at is not None
            assert point.last_seen_at >= now - timedelta(seconds=1800)
    assert states.counts()["online"] > 0
    # A later clock: every point has been silent for longer than the threshold.
    later = point_states(store, PointStatesOptions(now + timedelta(hours=2)))
    assert later.counts()["offline"] == 300


def test_points_sit_near_their_city_unless_the_registry_places_them(tmp_path):
    lon, lat = placed("MN-A", "140100")
    assert (lon, lat) == placed("MN-A", "140100")  # the same place on every page and run
    seat = CITY_SEATS["140100"]
    assert abs(lon - seat[0]) <= SPREAD_DEG and abs(lat - seat[1]) <= SPREAD_DEG
    file = tmp_path / "registry.csv"
    demo_registry(DemoOptions(file, points=3))
    with open_store(tmp_path / "s.duckdb") as store:
        import_registry(store, ImportOptions(file))
        before = point_states(store, PointStatesOptions(now_beijing())).points
        assert {p.state for p in before} == {"offline"}  # never heard from
        store.query("ALTER TABLE points ADD COLUMN longitude DOUBLE PRECISION")
        store.query("ALTER TABLE points ADD COLUMN latitude DOUBLE PRECISION")
        store.query("UPDATE points SET longitude = 112.5, latitude = 37.8 WHERE mn = ?",
                    [before[0].mn])
        after = {p.mn: p for p in point_states(store, PointStatesOptions(now_beijing())).points}
        assert (after[before[0].mn].longitude, after[before[0].mn].latitude) == (112.5, 37.8)
        other = before[1]
        assert (after[other.mn].longitude, after[other.mn].latitude) == (other.longitude,
                                                                         other.latitude)
