"""A fleet of simulated units with a seeded fault plan."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import ClassVar

from envmon.sim.clock import SimClock
from envmon.sim.dau import DataAcquisitionUnit, Faults
from envmon.sim.values import SimPoint


@dataclass
class FaultRates:
    """Probabilities per point-hour (or per point for `wrong_pw`)."""

    offline: float = 0.0
    late: float = 0.0
    invalid: float = 0.0
    exceed: float = 0.0
    corrupt_crc: float = 0.0
    wrong_pw: float = 0.0
    late_delay_s: float = 3 * 3600

    @classmethod
    def demo(cls) -> FaultRates:
        return cls(offline=0.02, late=0.02, invalid=0.02, exceed=0.01, corrupt_crc=0.01,
                   wrong_pw=0.01)


def plan_faults(points: list[SimPoint], hours: list[datetime], rates: FaultRates,
                seed: int) -> dict[str, Faults]:
    """Draw each point's faults from the seed: the same seed gives the same plan."""
    rng = random.Random(seed)
    plans: dict[str, Faults] = {}
    for point in points:
        faults = Faults(wrong_pw=rng.random() < rates.wrong_pw)
        for hour in hours:
            r = rng.random()
            if r < rates.offline:
                faults.offline_hours.add(hour)
            elif r < rates.offline + rates.late:
                faults.late_hours[hour] = rates.late_delay_s
            if rng.random() < rates.invalid:
                faults.invalid_hours[hour] = rng.choice("DMCB")  # HJ 212-2017 Table 8
            if rng.random() < rates.exceed:
                faults.exceed_hours.add(hour)
            if rng.random() < rates.corrupt_crc:
                faults.corrupt_crc_hours.add(hour)
        plans[point.mn] = faults
    return plans


@dataclass
class FleetSummary:
    """What a simulation run sent and what was answered (`envmon simulate` prints it)."""

    units: int
    uploads: Counter
    acked: int
    unacked: int
    requests_answered: int
    unconnected: int = 0  # units that never reached the receiver (not in the JSON contract)
    json_layout: ClassVar[str] = "compact"  # one line, as simulate always printed

    def as_json(self) -> dict:
        return {"units": self.units, "uploads_by_cn": dict(self.uploads), "acked": self.acked,
                "unacked": self.unacked, "requests_answered": self.requests_answered}

    as_dict = as_json

    def as_table(self):
        from envmon.render import Column, Table

        rows = [("units", self.units),
                *((f"uploads CN={cn}", n) for cn, n in sorted(self.uploads.items())),
                ("acked", self.acked), ("unacked", self.unacked),
                ("requests_answered", self.requests_answered)]
        return Table("模拟结果", [Column("item", "项目"), Column("count", "数量")], rows)


class Fleet:
    def __init__(self, points: list[SimPoint], host: str, port: int, *, seed: int = 1,
                 speed: float = 1.0, start: datetime, rates: FaultRates | None = None,
                 history_hours: int = 24, horizon_hours: int = 24 * 31, **dau_options):
        self.clock = SimClock(start, speed)
        self.history_hours = history_hours
        first = start.replace(minute=0, second=0, microsecond=0) - timedelta(hours=history_hours)
        hours = [first + timedelta(hours=k) for k in range(history_hours + horizon_hours)]
        plans = plan_faults(points, hours, rates or FaultRates(), seed)
        self.units = [
            DataAcquisitionUnit(p, host, port, clock=self.clock, seed=seed,
                                faults=plans[p.mn], **dau_options)
            for p in points
        ]

    async def run(self, until: datetime | None = None) -> FleetSummary:
        # Stagger connections a little, as real units do after a platform restart.
        async def one(k: int, unit: DataAcquisitionUnit) -> None:
            await asyncio.sleep(min(k * 0.002, 2.0))
            await unit.run(history_hours=self.history_hours, until=until)

        try:
            await asyncio.gather(*(one(k, u) for k, u in enumerate(self.units)))
        finally:
            await asyncio.gather(*(u.close() for u in self.units), return_exceptions=True)
        return self.summary()

    def summary(self) -> FleetSummary:
        uploads = Counter(s.cn for u in self.units for s in u.sent)
        acked = sum(s.acked for u in self.units for s in u.sent)
        total = sum(len(u.sent) for u in self.units)
        return FleetSummary(len(self.units), uploads, acked, total - acked,
                            sum(u.requests_answered for u in self.units),
                            unconnected=sum(not u.connected for u in self.units))


def sim_points_from_store(store) -> list[SimPoint]:
    """One simulated unit per monitoring point of the store's registry: a point registered
    as HJ 212-2025 speaks 2025, encrypted when the store holds its key."""
    from envmon.ingest.keystore import store_keys

    keys = store_keys(store)
    return [
        SimPoint(mn=p.mn, pw=p.pw, kind=p.kind, factors=dict(p.factors), o2_ref=p.o2_ref,
                 unit_id=p.unit_id, protocol=2025 if p.protocol == "2025" else 2017,
                 key=keys.get(p.mn) if p.protocol == "2025" else None)
        for p in store.list_points()
    ]


def sim_points_from_file(registry: str | Path) -> list[SimPoint]:
    """One simulated unit per point of a registry file (CSV/XLSX), read by the registry's own
    importer into a throw-away store: one parser for registry files."""
    import tempfile

    from envmon.registry.importer import import_file
    from envmon.store import open_store

    with tempfile.TemporaryDirectory() as tmp, open_store(Path(tmp) / "r.duckdb") as store:
        import_file(store, Path(registry))
        return sim_points_from_store(store)
