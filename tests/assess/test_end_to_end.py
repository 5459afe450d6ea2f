"""Simulated units with known faults → the real receiver over TCP, with the BackfillScheduler
attached → the assessment at every level, checked against ground truth computed here.

Clock. The simulator runs fast (SimClock, speed 7200: a simulated hour every half second).
The receiver stamps received_at with its `clock`; this test gives it the simulator's clock,
so received_at is the simulated instant at which the packet reached the receiver,
consistent with the simulated DataTime. Everything else is real: TCP, HJ 212 framing and
CRC, 9014 after commit, 补遗 2061 requests answered 9011 → uploads → 9012 by the units from
their history.

Ground truth (one assessed factor set per point, a 12-hour period P0..P0+12h):
- live hours are uploaded at hour end (+ milliseconds): 即时 and 补全;
- a 15-minute-late hour still arrives before DataTime + 2 h: 即时;
- offline hours and hours late by 4 h or 20 days are fetched by the scheduler, which only
  asks for hours that ended 2 h ago: received later than DataTime + 2 h: 补全 only;
- flags D/M/B: received, invalid; water C: the first per day leaves should, the next is invalid;
- the exemption period of 丁钢铁 leaves should; the point with a wrong password sends nothing
  accepted (its unit is not networked); 丙公司 has no point (not networked, no rates).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from envmon.assess import AssessConfig, assess, percent
from envmon.assess.marks import add_exemption
from envmon.ingest.backfill import BackfillScheduler, BackfillSettings
from envmon.ingest.server import Receiver
from envmon.sim.dau import Faults
from envmon.sim.fleet import Fleet, sim_points_from_store
from envmon.timeutil import BEIJING_FIXED

from .conftest import GAS, GAS2, OTHER, WATER

P0 = datetime(2026, 11, 3, 0, 0, tzinfo=BEIJING_FIXED)
P1 = P0 + timedelta(hours=12)
HOUR = timedelta(hours=1)
SPEED = 7200.0


def h(k: int) -> datetime:
    return P0 + k * HOUR


FAULTS = {
    GAS: Faults(offline_hours={h(1), h(2), h(6)},
                late_hours={h(4): 900.0, h(7): 4 * 3600.0, h(9): 20 * 86400.0},
                invalid_hours={h(5): "D", h(6): "M"}),
    GAS2: Faults(wrong_pw=True),
    WATER: Faults(invalid_hours={h(3): "C", h(4): "C", h(8): "M"}, offline_hours={h(10)}),
    OTHER: Faults(offline_hours={h(3), h(9)}, invalid_hours={h(8): "B"}),
}
EXEMPT = {OTHER: {h(2), h(3), h(4)}}


def truth(factors: dict[str, list[str]]) -> dict[str, dict[str, int]]:
    """Per point: should, instant/complete received/valid."""
    out = {}
    for mn, faults in FAULTS.items():
        n = len(factors[mn])
        c = dict.fromkeys(("should", "ir", "iv", "cr", "cv"), 0)
        seen_check_days = set()
        for k in range(12):
            hour = h(k)
            if hour in EXEMPT.get(mn, ()):
                continue
            flag = faults.invalid_hours.get(hour, "N")
            if flag == "C" and hour.date() not in seen_check_days:  # water COD/NH3-N
                seen_check_days.add(hour.date())
                continue
            c["should"] += n
            if faults.wrong_pw:
                continue
            late = faults.late_hours.get(hour, 0.0)
            instant = hour not in faults.offline_hours and late < 3600
            valid = flag == "N"
            c["cr"] += n
            c["cv"] += n * valid
            c["ir"] += n * instant
            c["iv"] += n * (instant and valid)
        out[mn] = c
    return out


def expected_row(counts: dict[str, int], must: int, networked: int, points: int) -> dict:
    def variant(prefix):
        received, valid = counts[prefix + "r"], counts[prefix + "v"]
        rates = [percent(received, counts["should"]), percent(valid, received),
                 percent(valid, counts["should"])]
        return {"received": received, "valid": valid,
                **dict(zip(("transmission_rate", "valid_rate", "effective_rate"),
                           [None if r is None else float(r) for r in rates], strict=True))}

    rate = percent(networked, must)
    return {"must_network": must, "networked": networked,
            "network_rate": None if rate is None else float(rate), "points": points,
            "should": counts["should"], "instant": variant("i"), "complete": variant("c")}


def add(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    return {k: a.get(k, 0) + v for k, v in b.items()}


def test_faults_through_tcp_and_backfill_give_the_true_rates(store):
    add_exemption(store, mn=OTHER, kind="停产", start=h(2), end=h(5), by="赵六",
                  reason="停产检修", proof="停产报告", at=P0 - timedelta(days=1))
    points = sim_points_from_store(store)
    factors = {p.mn: sorted(p.factors) for p in points}

    async def scenario():
        fleet = Fleet(points, "127.0.0.1", 0, seed=3, speed=SPEED,
                      start=P0 + timedelta(seconds=10), history_hours=0,
                      ack_timeout_s=0.5, realtime=False, minute_data=False)
        receiver = Receiver(store, "127.0.0.1", 0, clock=fleet.clock.now)
        await receiver.start()
        for unit in fleet.units:
            unit.port = receiver.port
        for unit in fleet.units:
            unit.faults = FAULTS[unit.point.mn]
            if unit.faults.wrong_pw:
                unit.pw = unit.point.pw[::-1]
        scheduler = BackfillScheduler(
            receiver,
            BackfillSettings(interval_s=0.25, settle_hours=2.0, lookback_hours=48,
                             not_before=P0, answer_timeout_s=5.0, retry_after_s=0.5,
                             online_delay_s=0),
            clock=fleet.clock.now,
        )
        scheduler.attach()
        scheduler.start()
        await fleet.run(until=P1 + timedelta(hours=6))
        await scheduler.stop()
        await receiver.stop()
        return scheduler

    scheduler = asyncio.run(scenario())
    assert scheduler.requests_sent > 0
    log = store.query("SELECT mn, begin_time, end_time, outcome FROM backfill_requests "
                      "WHERE outcome <> 'pending' ORDER BY id")
    fetched = set()
    for mn, begin, end, outcome in log:
        assert outcome == "completed"
        fetched |= {(mn, begin + k * HOUR) for k in range(int((end - begin) / HOUR) + 1)}
    must_fetch = {(GAS, h(k)) for k in (1, 2, 6, 7, 9)} | {(WATER, h(10)), (OTHER, h(9))}
    assert must_fetch <= fetched
    assert {(mn, hour) for mn, hour in fetched if hour < P1} <= must_fetch  # nothing else
    assert (OTHER, h(3)) not in fetched  # offline but exempt: not asked
    assert not any(mn == GAS2 for mn, *_ in log)  # never accepted, never asked

    expected = truth(factors)
    as_of = P1 + timedelta(days=11)
    result = assess(store, P0, P1, AssessConfig(), as_of=as_of)

    def check(level: str, want: dict[str, dict]) -> None:
        rows = {r["code"]: r for r in result.as_json(level)["rows"]}
        assert set(rows) == set(want), level
        for code, row in want.items():
            got = {k: rows[code][k] for k in row}
            assert got == row, (level, code)

    networked = {GAS: 1, GAS2: 0, WATER: 1, OTHER: 1}
    check("point", {mn: expected_row(c, 1, networked[mn], 1) for mn, c in expected.items()})
    units = {
        "91140100MA0GAS0001": ([GAS, GAS2], 0),
        "91140100MA0WAT0001": ([WATER], 1),
        "91140100MA0NOPT001": ([], 0),
        "91140200MA0GAS0003": ([OTHER], 1),
    }
    unit_counts = {}
    for unit_id, (mns, _) in units.items():
        total: dict[str, int] = dict.fromkeys(("should", "ir", "iv", "cr", "cv"), 0)
        for mn in mns:
            total = add(total, expected[mn])
        unit_counts[unit_id] = total
    check("unit", {u: expected_row(unit_counts[u], 1, net, len(units[u][0]))
                   for u, (_, net) in units.items()})
    regions = {
        "county": {"140105": ["91140100MA0GAS0001"],
                   "140106": ["91140100MA0WAT0001", "91140100MA0NOPT001"],
                   "140213": ["91140200MA0GAS0003"]},
        "city": {"140100": ["91140100MA0GAS0001", "91140100MA0WAT0001",
                            "91140100MA0NOPT001"],
                 "140200": ["91140200MA0GAS0003"]},
        "province": {"140000": list(units)},
    }
    for level, groups in regions.items():
        want = {}
        for code, members in groups.items():
            total = {}
            for unit_id in members:
                total = add(total, unit_counts[unit_id])
            want[code] = expected_row(total, len(members), sum(units[u][1] for u in members),
                                      sum(len(units[u][0]) for u in members))
        check(level, want)
    # The scenario exercises every path: the instant and complete figures differ.
    (province,) = result.level("province")
    assert province.counts.instant_received < province.counts.complete_received
    assert province.counts.complete_valid < province.counts.complete_received
