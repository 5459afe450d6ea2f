"""Transmission assessment (transmission.md): 联网率, 传输率, 有效率, 即时/补全有效传输率,
per point → unit → county → city → province, with rankings.

    from envmon.assess import AssessConfig, assess
    result = assess(store, start, end, AssessConfig(instant_hours=2, complete_days=10))
    rows = result.level("city")

`api` holds the use cases of `envmon assess …` and `envmon report transmission` (a `Period`
and typed options in, result dataclasses out); `tables` the exemption, correction and
back-fill tables as numbered migrations; `sql` lists every counting rule.
"""

from envmon.assess.compute import LEVELS, Assessment, Counts, Row, assess, problem_hours
from envmon.assess.config import AssessConfig
from envmon.assess.rates import competition_ranks, display, percent, round_gbt8170

__all__ = [
    "LEVELS",
    "AssessConfig",
    "Assessment",
    "Counts",
    "Row",
    "assess",
    "competition_ranks",
    "display",
    "percent",
    "problem_hours",
    "round_gbt8170",
]
