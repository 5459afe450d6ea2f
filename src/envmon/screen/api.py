"""Use case of falsification screening: `screen(store, period, options) -> Screening`
(`envmon screen`, `GET /api/v1/screen`). The JSON contract (issue 15 §1):
`{"from", "to", "points": [{"mn", "unit_id", "score", "findings": [{"pattern", "factor",
"from", "to", "statistic", "threshold", "detail"}]}]}` (each finding also has its `score`;
the result also says how many points were `screened`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from envmon.errors import OptionError
from envmon.period import Period


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

    def as_json(self) -> dict[str, Any]:
        return {"from": self.period.start.isoformat(), "to": self.period.end.isoformat(),
                "screened": self.screened, "points": [p.as_json() for p in self.points]}

    def as_table(self):
        from envmon.render import Column, Table
        from envmon.screen import PATTERN_ZH

        columns = [Column("rank", "序号"), Column("mn", "监测点位 MN", 26),
                   Column("unit_id", "单位", 20), Column("score", "得分", 8, "0.0"),
                   Column("patterns", "疑似特征", 40)]
        rows = [(k + 1, p.series.mn, p.series.unit_id, round(p.score, 1),
                 "、".join(dict.fromkeys(PATTERN_ZH[f.pattern] for f in p.findings)))
                for k, p in enumerate(self.points)]
        return Table(f"数据造假筛查（{self.period.describe()}）", columns, rows)

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
    return Screening(period, ranked, len(fleet))
