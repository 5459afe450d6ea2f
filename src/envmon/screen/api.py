"""Use case of falsification screening: `screen(store, period, options) -> Screening`
(`envmon screen`, `GET /api/v1/screen`). The JSON contract (issue 15 §1):
`{"from", "to", "points": [{"mn", "unit_id", "score", "findings": [{"pattern", "factor",
"from", "to", "statistic", "threshold", "detail"}]}]}` (each finding also has its `score`;
the result also says how many points were `screened`). When there is something to say
(`note`, also on stderr) — no point had data, or the period is not over — it adds
`points_with_data`, `provisional` and `note`: an empty list is "clean" only with data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from envmon.errors import OptionError
from envmon.period import Period
from envmon.timeutil import now_beijing


@dataclass(frozen=True)
class ScreenOptions:
    unit: str | None = None

    def __post_init__(self) -> None:
        if self.unit is not None and not self.unit.strip():
            raise OptionError("--unit", "give a unit (统一社会信用代码)")


@dataclass(frozen=True)
class Screening:
    period: Period
    points: list  # of rank.RankedPoint
    screened: int
    points_with_data: int | None = None  # None: not counted (built without a store)
    provisional: bool = False  # the period runs past now: later data can change it
    note: str | None = None

    def as_json(self) -> dict[str, Any]:
        out = {"from": self.period.start.isoformat(), "to": self.period.end.isoformat(),
               "screened": self.screened, "points": [p.as_json() for p in self.points]}
        if self.note is not None:  # only then: a finished month with data keeps its 4 keys
            out.update(points_with_data=self.points_with_data, provisional=self.provisional,
                       note=self.note)
        return out

    def as_table(self):
        from envmon.render import Column, Table
        from envmon.screen import PATTERN_ZH

        columns = [Column("rank", "序号"), Column("mn", "监测点位 MN", 26),
                   Column("unit_id", "单位", 20), Column("score", "得分", 8, "0.0"),
                   Column("patterns", "疑似特征", 40)]
        rows = [(k + 1, p.series.mn, p.series.unit_id, round(p.score, 1),
                 "、".join(dict.fromkeys(PATTERN_ZH[f.pattern] for f in p.findings)))
                for k, p in enumerate(self.points)]
        state = "，未结束（临时结果）" if self.provisional else ""
        return Table(f"数据造假筛查（{self.period.describe()}{state}）", columns, rows)

    def bulletin(self):
        from envmon.screen.report import screening_bulletin

        return screening_bulletin(self)

    @property
    def default_stem(self) -> str:
        return f"screen-{self.period.label or self.period.start.date().isoformat()}"


def screen(store, period: Period, options: ScreenOptions | None = None, *,
           progress: Callable[[str, int, int], None] | None = None) -> Screening:
    """Screen every gas point (or one unit's) over `period` (whole hours)."""
    from envmon.screen.rank import screen_fleet
    from envmon.screen.series import load_series

    options = options or ScreenOptions()
    period.require_on_the_hour()
    if options.unit is not None:
        from envmon.registry.api import require_known_unit

        require_known_unit(store, options.unit)

    def step(what: str):
        return None if progress is None else (lambda done, total: progress(what, done, total))

    fleet = load_series(store, period, unit=options.unit, progress=step("load"))
    ranked = screen_fleet(fleet, progress=step("screen"))
    with_data = sum(1 for s in fleet if any(np.isfinite(v).any() for v in s.values.values()))
    provisional = period.end > now_beijing()
    return Screening(period, ranked, len(fleet), with_data, provisional,
                     _note(period, len(fleet), with_data, provisional))


def _note(period: Period, screened: int, with_data: int, provisional: bool) -> str | None:
    """Why an empty result is not a clean one; that a result is provisional."""
    if screened == 0:
        return f"{period.describe()}：没有可筛查的废气监测点位，未筛查"
    if with_data == 0:
        return (f"{period.describe()}：{screened} 个废气点位均无小时数据，未能筛查"
                "（不代表没有异常）")
    if provisional:
        return (f"{period.describe()} 尚未结束：临时结果，{with_data}/{screened} 个点位有数据")
    return None
