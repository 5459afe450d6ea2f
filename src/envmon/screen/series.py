"""A point's hourly series on the period's hour grid, as numpy arrays: what every detector
reads. `load_series(store, period)` builds them from the store's 2061 uploads through the
store's record loader (`Store.query_records`: the copy policy's copy of each hour), the
3020 site-information times and the exemption marks (`envmon.assess.marks.list_marks`);
`PointSeries` can also be built directly from arrays (the simulator's falsifying mode, the
benchmark, the tests).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from envmon.emissions.formulas import O2_CUTOFF_PCT, o2_corrected_mg_m3
from envmon.screen.findings import HOUR

O2, FLOW, TEMPERATURE = "a19001", "a00000", "a01012"
VALID_FLAG = "N"
"""HJ 212-2017 Table 8: only N is normal data; M maintenance, C calibration, F stopped."""


@dataclass
class PointSeries:
    """One point over `n_hours` hours from `start`: per factor the measured value (`values`,
    NaN where nothing was received) and its flag (`flags`, "" where nothing); per pollutant
    the O2-corrected value (`corrected`, 折算). `limits`: pollutant → limit (mg/m³ at the
    reference O2) or None. `changes`: times of 3020 site-information uploads (device
    parameters); `marks`: exemption marks (start, end) of the point or its unit."""

    mn: str
    unit_id: str
    unit_name: str
    kind: str
    start: datetime
    n_hours: int
    limits: dict[str, float | None]
    values: dict[str, np.ndarray]
    flags: dict[str, np.ndarray]
    corrected: dict[str, np.ndarray] = field(default_factory=dict)
    o2_ref: float | None = None
    changes: list[datetime] = field(default_factory=list)
    marks: list[tuple[datetime, datetime]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for factor in self.limits:
            if factor not in self.corrected and factor in self.values:
                self.corrected[factor] = self._corrected(factor)

    def _corrected(self, factor: str) -> np.ndarray:
        measured = self.values[factor]
        if self.kind != "gas" or self.o2_ref is None or O2 not in self.values:
            return measured.copy()
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(o2_corrected_mg_m3(measured, self.values[O2], self.o2_ref,
                                                 O2_CUTOFF_PCT), float)

    @property
    def pollutants(self) -> list[str]:
        return [f for f in self.limits if f in self.values]

    def hour(self, index: int) -> datetime:
        return self.start + index * HOUR

    def valid(self, factor: str) -> np.ndarray:
        """Hours with a finite value flagged N."""
        return (self.flags[factor] == VALID_FLAG) & np.isfinite(self.values[factor])

    def valid_corrected(self, factor: str) -> np.ndarray:
        """The corrected values of valid hours, NaN elsewhere."""
        return np.where(self.valid(factor), self.corrected[factor], np.nan)

    def valid_values(self, factor: str) -> np.ndarray:
        return np.where(self.valid(factor), self.values[factor], np.nan)

    @property
    def n_days(self) -> int:
        return self.n_hours // 24

    def days(self, array: np.ndarray) -> np.ndarray:
        """The whole days of the grid as a (days, 24) view."""
        return array[: self.n_days * 24].reshape(self.n_days, 24)


def load_series(store, period, *, unit: str | None = None,
                progress: Callable[[int, int], None] | None = None) -> list[PointSeries]:
    """Every gas point (or one unit's) of the registry over `period` (an envmon Period, on
    whole hours), from its 2061 uploads. Water points are not screened yet: the signatures
    below are those of flue-gas CEMS (O2, 折算, flow, temperature)."""
    points = [p for p in store.list_points()
              if p.kind == "gas" and (unit is None or p.unit_id == unit)]
    n_hours = int((period.end - period.start) / HOUR)
    out = []
    for k, point in enumerate(points):
        records = store.query_records(point.mn, "2061", period.start, period.end,
                                      columns=("data_time", "factor", "avg", "zs_avg", "flag"))
        values: dict[str, np.ndarray] = {}
        flags: dict[str, np.ndarray] = {}
        zs: dict[str, np.ndarray] = {}
        for r in records:
            index = int((r["data_time"] - period.start) / HOUR)
            factor = r["factor"]
            if factor not in values:
                values[factor] = np.full(n_hours, np.nan)
                flags[factor] = np.full(n_hours, "", dtype="<U1")
                zs[factor] = np.full(n_hours, np.nan)
            if r["avg"] is not None:
                values[factor][index] = r["avg"]
            if r["zs_avg"] is not None:
                zs[factor][index] = r["zs_avg"]
            flags[factor][index] = (r["flag"] or VALID_FLAG)[:1]
        series = PointSeries(point.mn, point.unit_id, point.unit_name, point.kind,
                             period.start, n_hours, dict(point.factors), values, flags,
                             o2_ref=point.o2_ref)
        for factor in series.pollutants:  # the unit's own ZsAvg where it sent one
            sent = zs[factor]
            series.corrected[factor] = np.where(np.isfinite(sent), sent,
                                                series.corrected[factor])
        series.changes = sorted({r["data_time"] for r in store.query_records(
            point.mn, "3020", period.start, period.end, columns=("data_time", "factor"))})
        series.marks = exemption_marks(store, point.mn, period)
        out.append(series)
        if progress is not None:
            progress(k + 1, len(points))
    return out


def exemption_marks(store, mn: str, period) -> list[tuple[datetime, datetime]]:
    """(start, end) of the exemption marks (停产/停运/停排) of the point or its unit that are
    not revoked and overlap `period`: today's marks (`envmon.assess.marks`); the one place to
    change when marks gain a review."""
    from envmon.assess.marks import list_marks

    return [(m["start_time"], m["end_time"]) for m in list_marks(store, "exemptions", mn)
            if m["revoked_at"] is None and m["end_time"] > period.start
            and m["start_time"] < period.end]
