"""Simulated units over TCP into a real Receiver with the AlarmEngine attached: an injected
exceedance, a constant-value run, a fault flag and an outage each raise exactly one alarm,
with the data span of its evidence, and each closes itself when cleared.

The units and the engine run on one simulated clock that moves only when every unit waits on
it (`EventClock`): a packet is answered before time goes on, so a slow or loaded machine makes
the test slower but never changes what is sent, in what data time, or what is judged."""

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
OFFLINE_AFTER_S = 1800.0  # half an hour of silence (minutes arrive every 60 s)
KINDS = ("exceed", "constant", "fault", "outage")


def registry() -> list[dict]:
    return [{
        "province": "山西省", "city": "太原市", "city_code": "140100", "county": "小店区",
        "county_code": "140105", "unit_id": f"91140100MA0GALM{k:03d}", "unit_name": f"单位{k}",
        "must_network": "1", "assessed": "1", "outlet_id": "DA001", "outlet_name": "排口",
        "kind": "gas", "mn": f"ALM{k:021d}", "pw": f"{200000 + k}",
        "factors": "a21026:35;a21002:100;a34013:10", "o2_ref": "6", "standard": "",
    } for k in range(len(KINDS))]


class EventClock(SimClock):
    """Simulated time that moves to the earliest wake-up once all `parties` wait on it (a
    discrete-event clock); `on_advance` callbacks run at each new time."""

    def __init__(self, start: datetime, parties: int):
        super().__init__(start, 1.0)
        self._now = start
        self.parties = parties
        self._waiting: list[tuple[datetime, asyncio.Future]] = []
        self.on_advance: list = []

    def now(self) -> datetime:
        return self._now

    async def sleep_until(self, when: datetime) -> None:
        if when <= self._now:
            await asyncio.sleep(0)
            return
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((when, future))
        self._advance()
        await future

    def leave(self) -> None:
        self.parties -= 1
        self._advance()

    def _advance(self) -> None:
        if not self._waiting or len(self._waiting) < self.parties:
            return
        self._now = min(when for when, _ in self._waiting)
        for callback in self.on_advance:
            callback(self._now)
        due = [f for when, f in self._waiting if when <= self._now]
        self._waiting = [(when, f) for when, f in self._waiting if when > self._now]
        for future in due:
            future.set_result(None)


class FaultyUnit(DataAcquisitionUnit):
    """A unit with one injected condition on SO2 (a21026) or one outage window."""

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.hours = {"exceed": {H0 + timedelta(hours=2)},
                      "constant": {H0 + timedelta(hours=k) for k in range(1, 3)},
                      "fault": {H0 + timedelta(hours=3)}}.get(kind, set())
        self.outage = (H0 + timedelta(hours=2), H0 + timedelta(hours=3))

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
    # The offline check runs at every step of the simulated clock, not on a wall-clock timer.
    config = AlarmConfig(offline_after_s=OFFLINE_AFTER_S, offline_check_s=3600.0)

    async def scenario():
        clock = EventClock(START, parties=len(KINDS))
        receiver = Receiver(store, "127.0.0.1", 0)
        engine = AlarmEngine(store, config,
                             monotonic=lambda: (clock.now() - START).total_seconds())
        engine.attach(receiver)
        await receiver.start()
        await engine.start()
        clock.on_advance.append(lambda _: engine._enqueue(engine.check_offline()))
        # a generous answer timeout: a loaded machine answers late, never wrongly
        units = [FaultyUnit(points[f"ALM{k:021d}"], "127.0.0.1", receiver.port, clock=clock,
                            seed=3, kind=kind, ack_timeout_s=60.0, realtime=False)
                 for k, kind in enumerate(KINDS)]
        until = H0 + timedelta(hours=4, minutes=5)

        async def run(unit):
            try:
                await unit.run(until=until)
            finally:
                clock.leave()

        try:
            await asyncio.gather(*(run(u) for u in units))
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
            # raised at the first check after the silence passed the threshold (the clock
            # steps a minute at a time), closed by the next packet
            assert OFFLINE_AFTER_S < alarm.value <= OFFLINE_AFTER_S + 60.0, alarm
            assert alarm.limit == OFFLINE_AFTER_S
            assert alarm.close_note.startswith("收到数据"), alarm
            continue
        # the data span of the evidence (data time, not receipt time)
        hour = {"exceed": 2, "constant": 1, "fault": 3}[kind]
        assert alarm.data_from == H0 + timedelta(hours=hour), (kind, alarm)
        if kind == "exceed":
            assert alarm.value == 84.0 and alarm.limit == 35.0
            assert alarm.data_time == alarm.data_to == H0 + timedelta(hours=2)
        else:  # a run of minutes: it went on to the end of the injected hours
            last = H0 + timedelta(hours=3 if kind == "constant" else 4, minutes=-1)
            assert alarm.data_to == last, (kind, alarm)
    assert engine.stats["raised"] == len(KINDS) and engine.stats["closed"] == len(KINDS)
    store.close()
