"""The monthly road-segment statistics as a batch job over the exported Parquet.

Per segment: the median of its counted drive-pass means with IQR, passes, days and taxis,
and whether it is eligible (`envmon.roads.rank.segment_values`, the very SQL behind the
top/bottom 20 of `envmon roads rank`), then the dirty and clean lists (`ranking`). Run on
Spark or on DuckDB over the month's `road_passes` and the network's `road_segments`. Map
matching (readings → passes) stays with the city's store: the batch ranks what it matched.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from envmon.batch.layout import ROADS_TABLES
from envmon.period import Period
from envmon.roads.rank import SegmentValue, list_length, ranking, segment_values
from envmon.roads.stats import Eligibility
from envmon.timeutil import BEIJING_FIXED

TABLES = ROADS_TABLES
COLUMNS = ("segment_id", "name", "road", "district", "length_m", "value", "q1", "q3",
           "n_passes", "n_days", "n_taxis", "eligible")


@dataclass
class SegmentStats:
    """Every segment with passes in the month (sorted by id), and the two lists."""

    period: Period
    pollutant: str
    engine: str
    segments: list[SegmentValue]
    top: int = 20
    ranking: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"month": self.period.label, "pollutant": self.pollutant,
                "engine": self.engine, "segments": [asdict(s) for s in self.segments],
                "ranking": self.ranking}

    def as_table(self):
        from envmon.render import Column, Table

        labels = {"segment_id": "路段编号", "name": "路段", "road": "道路", "district": "区县",
                  "length_m": "长度(m)", "value": "中位数(µg/m³)", "q1": "Q1", "q3": "Q3",
                  "n_passes": "通过次数", "n_days": "天数", "n_taxis": "车辆数",
                  "eligible": "参与排名"}
        return Table(f"路段统计 {self.period.label} {self.pollutant}",
                     [Column(c, labels[c]) for c in COLUMNS],
                     [tuple(getattr(s, c) for c in COLUMNS) for s in self.segments])

    @property
    def default_stem(self) -> str:
        return f"batch-roads-{self.period.label}-{self.pollutant}"


def run_roads(source, month: Period, pollutant: str = "pm10", top: int = 20,
              eligibility: Eligibility = Eligibility()) -> SegmentStats:
    """The segment statistics of `month` over `source` (a `ParquetDuckDB`/`ParquetSpark`)."""
    values = sorted(segment_values(source, month.start, month.end, pollutant,
                                   eligibility=eligibility), key=lambda v: v.segment_id)
    eligible = sum(1 for v in values if v.eligible)
    start = month.start.astimezone(BEIJING_FIXED)
    end = month.end.astimezone(BEIJING_FIXED)
    lists = ranking(values, start, end, pollutant, list_length(eligible, top))
    return SegmentStats(month, pollutant, getattr(source, "engine", "store"), values, top,
                        lists)
