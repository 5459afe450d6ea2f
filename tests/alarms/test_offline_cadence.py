"""Offline on each point's own cadence (issue 11, alarms 3): a unit that sends only hourly
data is not offline every hour; the cadence learned from its packets is kept in the store
and still applies after a restart."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from envmon.alarms import AlarmConfig, AlarmEngine
from envmon.store import open_store
from tests.alarms.test_rules import MN, _registry

CONFIG = AlarmConfig(offline_after_s=1800.0, offline_check_s=3600.0, refresh_s=3600.0)


def test_an_hourly_unit_is_offline_after_two_missed_hours_even_after_a_restart(tmp_path):
    now = [0.0]  # the engine's clock, in seconds

    async def engine_at(store) -> AlarmEngine:
        engine = AlarmEngine(store, CONFIG, monotonic=lambda: now[0])
        await engine.start()
        return engine

    async def scenario(store):
        first = await engine_at(store)
        first.on_commit(SimpleNamespace(mn=MN, cn="2061"), [])  # an hourly upload
        now[0] = 3700.0  # the next hour's upload is due, not missing
        assert first.check_offline() == []
        assert first.offline_after(MN) == 2 * 3600.0
        now[0] = 7300.0
        assert [(t.rule, t.limit) for t in first.check_offline()] == [("offline", 7200.0)]
        await first.stop()
        # a restart: the cadence comes back from the store
        now[0] = 10_000.0
        again = await engine_at(store)
        assert again.offline_after(MN) == 7200.0
        now[0] = 10_000.0 + 3700.0
        assert again.check_offline() == []
        # a point that sends minute data is held to the global threshold
        again.on_commit(SimpleNamespace(mn=MN, cn="2051"), [])
        now[0] += 1900.0
        assert [t.rule for t in again.check_offline()] == ["offline"]
        await again.stop()

    with open_store(tmp_path / "o.duckdb") as store:
        _registry(store)
        asyncio.run(scenario(store))


def test_a_registered_upload_interval_sets_the_offline_threshold(tmp_path):
    """A point registered with 数据上传间隔 3600 s is not offline after 40 minutes of silence,
    even when it sent minute data (learned cadence 60 s), but is after two of its periods."""
    from envmon.registry.importer import import_rows

    now = [0.0]

    async def scenario(store):
        engine = AlarmEngine(store, CONFIG, monotonic=lambda: now[0])
        await engine.start()
        engine.on_commit(SimpleNamespace(mn=MN, cn="2051"), [])  # learned: a minute
        assert engine.offline_after(MN) == 7200.0
        now[0] = 40 * 60.0
        assert engine.check_offline() == []
        now[0] = 7300.0
        assert [(t.rule, t.limit) for t in engine.check_offline()] == [("offline", 7200.0)]
        await engine.stop()

    with open_store(tmp_path / "r.duckdb") as store:
        _registry(store)
        (row,) = store.registry_rows()
        report = import_rows(store, [{
            "city_code": row.city_code, "county_code": row.county_code,
            "unit_id": row.unit_id, "unit_name": row.unit_name, "outlet_id": row.outlet_id,
            "kind": row.kind, "mn": MN, "pw": row.pw, "factors": "a21026:35",
            "o2_ref": "6", "数据上传间隔(秒)": "3600"}])
        assert report.ok, report.rejected
        assert store.list_points()[0].expected_interval_s == 3600
        asyncio.run(scenario(store))
