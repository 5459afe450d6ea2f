"""Run every detector over a fleet of point series and rank the points for inspection: a
point's score is the sum of its findings' scores (more signatures, further past their
thresholds, first). `copied` runs once over the whole fleet (copies between points)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from envmon.screen import (
    clipping,
    copied,
    dilution,
    flag_gaming,
    flat,
    inconsistent,
    periodic,
)
from envmon.screen.findings import Finding
from envmon.screen.series import PointSeries

DETECTORS = (flat, dilution, clipping, periodic, flag_gaming, inconsistent)
"""The per-point detectors (copied works on the fleet: `copied.detect_fleet`)."""


@dataclass
class RankedPoint:
    series: PointSeries
    findings: list[Finding] = field(default_factory=list)

    @property
    def score(self) -> float:
        return round(sum(f.score for f in self.findings), 3)

    def as_json(self) -> dict:
        return {"mn": self.series.mn, "unit_id": self.series.unit_id, "score": self.score,
                "findings": [f.as_json() for f in self.findings]}


def screen_fleet(fleet: list[PointSeries], *,
                 progress: Callable[[int, int], None] | None = None) -> list[RankedPoint]:
    """Points with at least one finding, highest score first (then MN)."""
    copies = copied.detect_fleet(fleet)
    ranked = []
    for k, series in enumerate(fleet):
        findings = list(copies.get(k, []))
        for detector in DETECTORS:
            findings += detector.detect(series)
        if findings:
            findings.sort(key=lambda f: (f.start, f.pattern, f.factor))
            ranked.append(RankedPoint(series, findings))
        if progress is not None:
            progress(k + 1, len(fleet))
    ranked.sort(key=lambda p: (-p.score, p.series.mn))
    return ranked
