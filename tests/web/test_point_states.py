"""Point states (在线 / 离线 / 报警 / 停产) and where a point is drawn."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from envmon.alarms import store as alarm_store
from envmon.overview.api import PointStatesOptions, point_states
from envmon.overview.states import CITY_SEATS, SPREAD_DEG, placed
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


def _rule_store(tmp_path):
    """Four demo points, each in one case of the rule (see the test below)."""
    file = tmp_path / "registry.csv"
    demo_registry(DemoOptions(file, points=4))
    store = open_store(tmp_path / "rule.duckdb")
    import_registry(store, ImportOptions(file))
    now = now_beijing()
    mns = [mn for (mn,) in store.query("SELECT mn FROM points ORDER BY mn")]
    seen = {mns[0]: now - timedelta(minutes=10), mns[1]: now - timedelta(minutes=10),
            mns[2]: now - timedelta(minutes=5), mns[3]: now - timedelta(minutes=90)}
    for mn, at in seen.items():
        store.execute("INSERT INTO alarm_point_state (mn, last_seen_at) VALUES (?, ?)", [mn, at])
    (unit,) = store.query("SELECT unit_id FROM points WHERE mn = ?", [mns[1]])[0]
    store.execute(
        "INSERT INTO exemptions (id, unit_id, mn, kind, start_time, end_time, reason, "
        "created_by, created_at) VALUES (1, ?, ?, '停产', ?, ?, '检修', 'test', ?)",
        [unit, mns[1], now - timedelta(days=1), now + timedelta(days=1), now])
    hour = (now - timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    store.execute(
        "INSERT INTO records (id, mn, cn, data_time, factor, factor_raw, avg, flag, "
        "received_at) VALUES (1, ?, '2061', ?, 'a21026', 'a21026', 0, 'F', ?)",
        [mns[2], hour, now - timedelta(minutes=5)])
    # Registered upload every 2 h (数据上传间隔): 90 min of silence is not offline yet.
    store.execute("UPDATE points SET expected_interval_s = 7200 WHERE mn = ?", [mns[3]])
    return store, mns


def test_one_rule_for_the_api_the_page_and_the_live_states(tmp_path):
    """online; stopped by an exemption; stopped by flag F (停运); online within its own
    (registered) interval though silent beyond the default threshold — the same answer from
    `GET /api/v1/overview`, the page's `/overview/data` and the live tracker."""
    import httpx

    from envmon.alarms.store import Alarm
    from envmon.web.app import create_app
    from envmon.web.context import WebContext
    from envmon.web.events import EventHub
    from envmon.web.publish import PointStates

    store, mns = _rule_store(tmp_path)
    expected = dict(zip(mns, ["online", "stopped", "stopped", "online"], strict=True))
    async def ask(path: str) -> dict:
        transport = httpx.ASGITransport(create_app(WebContext(store=store)))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            answer = await client.get(path)
        return {p["mn"]: p["state"] for p in answer.json()["points"]}

    with store:
        api, page = asyncio.run(ask("/api/v1/overview")), asyncio.run(ask("/overview/data"))
        assert api == page == expected
        hub = EventHub()
        live = PointStates(hub)
        live.load(store)
        assert live.states == expected

        async def watch():
            with hub.subscribe() as events:
                def alarm(id_, rule, status):
                    return Alarm(id=id_, mn=mns[0], unit_id=None, factor="", rule=rule,
                                 status=status, opened_at=now_beijing(), closed_at=None,
                                 value=None, limit=None, detail="")
                live.alarms_changed([alarm(1, "offline", "open")])
                live.alarms_changed([alarm(2, "exceedance", "open")])  # still offline
                live.alarms_changed([alarm(1, "offline", "closed")])
                live.alarms_changed([alarm(2, "exceedance", "closed")])
                live.connected(mns[0])  # no change: no event
                got = []
                while hub.subscribers and len(got) < 3:
                    got.append((await events.get()).data["state"])
                return got

        assert asyncio.run(watch()) == ["offline", "alarm", "online"]


def test_a_reconciliation_keeps_the_live_changes_made_while_it_read(tmp_path):
    """The store is read in a thread; an alarm the engine opens meanwhile is newer than that
    read: the reconciliation leaves that point's live inputs alone (no spurious flip back)."""
    import threading

    from envmon.alarms.store import Alarm
    from envmon.web.events import EventHub
    from envmon.web.publish import PointStates

    store, mns = _rule_store(tmp_path)
    with store:
        states = PointStates(EventHub())
        states.load(store)
        assert states.states[mns[0]] == "online"
        stale = states.read  # what the store says before the alarm is written

        async def main():
            loop = asyncio.get_running_loop()
            changed = threading.Event()

            def live_alarm():
                states.alarms_changed([Alarm(
                    id=9, mn=mns[0], unit_id=None, factor="", rule="offline", status="open",
                    opened_at=now_beijing(), closed_at=None, value=None, limit=None,
                    detail="")])
                changed.set()

            def read_while_an_alarm_opens(store, live, now=None):
                answer = stale(store, live, now)
                loop.call_soon_threadsafe(live_alarm)  # the engine, on the loop
                assert changed.wait(10)
                return answer

            states.read = read_while_an_alarm_opens
            await states.load_async(store)

        asyncio.run(main())
        assert states.states[mns[0]] == "offline"
        assert ("", "offline") in states.open_alarms[mns[0]]


def test_the_live_states_use_the_configured_alarms_when_no_engine_runs(tmp_path):
    """[alarms] offline_after_s of 5 minutes: a point silent for 10 is offline, in the API
    and in the live tracker alike (the defaults, 30 minutes, would call it online)."""
    import httpx

    from envmon.config import Config
    from envmon.web.app import create_app
    from envmon.web.context import WebContext
    from envmon.web.events import EventHub
    from envmon.web.publish import PointStates

    store, mns = _rule_store(tmp_path)
    config = Config(alarms={"offline_after_s": 300})

    async def ask() -> dict:
        app = create_app(WebContext(store=store, config=config))
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            answer = await client.get("/api/v1/overview")
        return {p["mn"]: p["state"] for p in answer.json()["points"]}

    with store:
        api = asyncio.run(ask())
        assert api[mns[0]] == "offline"
        states = PointStates(EventHub(), None, config)
        states.load(store)
        assert states.states == api
