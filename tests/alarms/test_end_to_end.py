"""Simulated units over TCP into a real Receiver with the AlarmEngine attached: an injected
exceedance, a constant-value run, a fault flag and an outage each raise exactly one alarm
within seconds of the packet (or of the threshold), and each closes itself when cleared."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from envmon.alarms import AlarmConfig, AlarmEngine
from envmon.alarms import store as alarm_store
from envmon.ingest.server import Receiver
from envmon.sim.clock import SimClock
from envmon.sim.dau import DataAcquisitionUnit
from envmon.sim.fleet import sim_points_from_store
from envmon.store import open_store
from envmon.timeutil import BEIJING_FIXED

START = datetime(2026, 11, 2, 0, 0, 30, tzinfo=BEIJING_FIXED)
H0 = START.replace(second=0)
SPEED = 1800.0  # one simulated hour = 2 s
KINDS = ("exceed", "constant", "fault", "outage")


def registry() -> list[dict]:
    return [{
        "province": "山西省", "city": "太原市", "city_code": "140100", "county": "小店区",
        "county_code": "140105", "unit_id": f"91140100MA0GALM{k:03d}", "unit_name": f"单位{k}",
        "must_network": "1", "assessed": "1", "outlet_id": "DA001", "outlet_name": "排口",
        "kind": "gas", "mn": f"ALM{k:021d}", "pw": f"{200000 + k}",
        "factors": "a21026:35;a21002:100;a34013:10", "o2_ref": "6", "standard": "",
    } for k in range(len(KINDS))]


class FaultyUnit(DataAcquisitionUnit):
    """A unit with one injected condition on SO2 (a21026) or one outage window."""

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.hours = {"exceed": {H0 + timedelta(hours=2)},
                      "constant": {H0 + timedelta(hours=k) for k in range(1, 5)},
                      "fault": {H0 + timedelta(hours=3)}}.get(kind, set())
        self.outage = (H0 + timedelta(hours=2), H0 + timedelta(hours=5))

    def period_data(self, cn: str, start: datetime) -> dict:
        key = (cn, start)
        if key not in self.history:
            data = super().period_data(cn, start)
            if start.replace(minute=0) in self.hours:
                so2 = data["a21026"]
                if self.kind == "exceed":  # minutes vary around the hourly 70
                    wobble = 0.0 if cn == "2061" else (start.minute - 30) * 0.01
                    so2.update(Avg=70.0 + wobble, ZsAvg=round((70.0 + wobble) * 1.2, 3))
                elif self.kind == "constant":
                    so2.update(Avg=12.5, ZsAvg=15.0)
                elif self.kind == "fault":
                    so2["Flag"] = "D"
        return self.history[key]

    async def send_upload(self, cn, data_time, factors, **kwargs) -> bool:
        if self.kind == "outage" and self.outage[0] <= self.clock.now() < self.outage[1]:
            return False  # the unit is silent
        return await super().send_upload(cn, data_time, factors, **kwargs)


def test_alarms_end_to_end(tmp_path):
    from envmon.registry.importer import import_rows

    store = open_store(tmp_path / "e2e.duckdb")
    import_rows(store, registry())
    points = {p.mn: p for p in sim_points_from_store(store)}
    # 3 s of silence (1.5 simulated hours; minutes arrive every 33 ms) is an outage
    config = AlarmConfig(offline_after_s=3.0, offline_check_s=0.1)

    async def scenario():
        receiver = Receiver(store, "127.0.0.1", 0)
        engine = AlarmEngine(store, config)
        engine.attach(receiver)
        await receiver.start()
        await engine.start()
        clock = SimClock(START, SPEED)
        units = [FaultyUnit(points[f"ALM{k:021d}"], "127.0.0.1", receiver.port, clock=clock,
                            seed=3, kind=kind, ack_timeout_s=2.0, realtime=False)
                 for k, kind in enumerate(KINDS)]
        until = H0 + timedelta(hours=6, minutes=5)
        try:
            await asyncio.gather(*(u.run(until=until) for u in units))
        finally:
            await asyncio.gather(*(u.close() for u in units), return_exceptions=True)
        await engine.stop()
        await receiver.stop()
        return engine

    engine = asyncio.run(scenario())
    alarms = alarm_store.list_alarms(store)
    by_mn: dict[str, list] = {}
    for alarm in alarms:
        by_mn.setdefault(alarm.mn, []).append(alarm)
    expected = {"exceed": ("a21026", "exceedance"), "constant": ("a21026", "constant"),
                "fault": ("a21026", "fault_flag"), "outage": ("", "offline")}
    for k, kind in enumerate(KINDS):
        mn = f"ALM{k:021d}"
        got = by_mn.get(mn, [])
        assert [(a.factor, a.rule) for a in got] == [expected[kind]], (kind, got)
        (alarm,) = got
        assert alarm.status == "closed" and alarm.closed_by == "auto", alarm
        assert alarm.unit_id == f"91140100MA0GALM{k:03d}"
        if kind == "outage":
            # raised once the silence passed the threshold, closed by the next packet
            last_before = store.query(
                "SELECT MAX(received_at) FROM raw_packets WHERE mn = ? AND received_at < ?",
                [mn, alarm.opened_at])[0][0]
            silence = (alarm.opened_at - last_before).total_seconds()
            assert config.offline_after_s <= silence < config.offline_after_s + 2.0
            first_after = store.query(
                "SELECT MIN(received_at) FROM raw_packets WHERE mn = ? AND received_at > ?",
                [mn, alarm.opened_at])[0][0]
            assert 0 <= (alarm.closed_at - first_after).total_seconds() < 2.0
            continue
        # within seconds of the packet carrying the evidence
        evidence = store.query(
            "SELECT MIN(received_at) FROM records WHERE mn = ? AND data_time = ? "
            "AND factor = 'a21026' AND cn = ?",
            [mn, alarm.data_time, "2061" if kind == "exceed" else "2051"])[0][0]
        latency = (alarm.opened_at - evidence).total_seconds()
        assert 0 <= latency < 1.0, (kind, latency)
        if kind == "exceed":
            assert alarm.value == 84.0 and alarm.limit == 35.0
            assert alarm.data_time == H0 + timedelta(hours=2)
    assert engine.stats["raised"] == len(KINDS) and engine.stats["closed"] == len(KINDS)
    store.close()
