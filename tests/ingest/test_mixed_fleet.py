"""A mixed fleet (issue 16): HJ 212-2017 and HJ 212-2025 units, some encrypted, through the real
receiver give the same figures (assessment, alarms, emissions) as the same data all sent in
2017 form. The faults include late hours, which a 2025 unit re-sends marked RF=1."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timedelta

from envmon.alarms import AlarmConfig, AlarmEngine
from envmon.alarms import store as alarm_store
from envmon.assess import AssessConfig, assess
from envmon.emissions.accounting import emissions
from envmon.ingest.keys_api import keys_set
from envmon.ingest.server import Receiver
from envmon.registry.importer import import_rows
from envmon.sim.dau import Faults
from envmon.sim.fleet import Fleet, sim_points_from_store
from envmon.store import open_store
from envmon.timeutil import BEIJING_FIXED
from tests.assess.conftest import GAS, GAS2, OTHER, WATER, registry_rows

P0 = datetime(2026, 11, 3, 0, 0, tzinfo=BEIJING_FIXED)
HOURS = 8
HOUR = timedelta(hours=1)
SPEED = 7200.0
KEYS = {GAS: bytes.fromhex("0123456789abcdeffedcba9876543210"),
        GAS2: bytes.fromhex("00112233445566778899aabbccddeeff")}
VERSIONS = {GAS: 2025, GAS2: 2025, WATER: 2025, OTHER: 2017}  # WATER: 2025 in clear


def h(k: int) -> datetime:
    return P0 + k * HOUR


def faults() -> dict[str, Faults]:
    return {
        GAS: Faults(offline_hours={h(1)}, late_hours={h(3): 900.0, h(5): 3 * 3600.0},
                    invalid_hours={h(4): "D"}, exceed_hours={h(2), h(6)}),
        GAS2: Faults(exceed_hours={h(1)}, late_hours={h(2): 1800.0}),
        WATER: Faults(invalid_hours={h(3): "M"}, late_hours={h(6): 2 * 3600.0}),
        OTHER: Faults(offline_hours={h(4)}, exceed_hours={h(5)}),
    }


def run_fleet(path, mixed: bool) -> dict:
    store = open_store(path)
    import_rows(store, registry_rows())
    points = sim_points_from_store(store)
    if mixed:
        for mn, key in KEYS.items():
            keys_set(store, mn, key)
        points = [dataclasses.replace(p, protocol=VERSIONS[p.mn], key=KEYS.get(p.mn))
                  for p in points]

    async def scenario():
        fleet = Fleet(points, "127.0.0.1", 0, seed=5, speed=SPEED,
                      start=P0 + timedelta(seconds=10), history_hours=0, ack_timeout_s=2.0,
                      realtime=False, minute_data=False)
        receiver = Receiver(store, "127.0.0.1", 0, clock=fleet.clock.now)
        engine = AlarmEngine(store, AlarmConfig(offline_check_s=1e9))
        engine.attach(receiver)
        await receiver.start()
        await engine.start()
        plans = faults()
        for unit in fleet.units:
            unit.port = receiver.port
            unit.faults = plans[unit.point.mn]
        await fleet.run(until=h(HOURS) + timedelta(hours=3, minutes=30))
        await engine.stop()
        await receiver.stop()
        return receiver.stats

    stats = asyncio.run(scenario())
    as_of = h(HOURS) + timedelta(days=11)
    result = assess(store, P0, h(HOURS), AssessConfig(), as_of=as_of)
    figures = {
        "assessment": {level: result.as_json(level)["rows"]
                       for level in ("point", "unit", "city", "province")},
        "alarms": sorted((a.mn, a.factor, a.rule, a.data_from, a.data_to, a.value)
                         for a in alarm_store.list_alarms(store) if a.rule != "offline"),
        "emissions": sorted((r.mn, r.factor, r.kg) for r in
                            emissions(store, P0, h(HOURS))),
        "records": store.query("SELECT COUNT(*), SUM(CASE WHEN resent THEN 1 ELSE 0 END), "
                               "COUNT(DISTINCT mn) FROM records_first")[0],
        "rejected": dict(stats.rejected),
    }
    store.close()
    return figures


def test_a_mixed_2017_2025_fleet_gives_the_figures_of_the_same_data_in_2017_form(tmp_path):
    plain = run_fleet(tmp_path / "all2017.duckdb", mixed=False)
    mixed = run_fleet(tmp_path / "mixed.duckdb", mixed=True)
    assert mixed["rejected"] == {} == plain["rejected"]
    assert plain["records"][1] == 0 and mixed["records"][1] > 0  # re-sent copies, RF=1
    assert mixed["records"][0] == plain["records"][0] and mixed["records"][2] == 4
    for figure in ("assessment", "alarms", "emissions"):
        assert mixed[figure] == plain[figure], figure
    assert any(rule == "exceedance" for _, _, rule, *_ in plain["alarms"])
    assert any(kg for *_, kg in plain["emissions"])
