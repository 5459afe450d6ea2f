"""What a detector returns: a `Finding` (the evidence of one signature on one factor over one
span of hours) and the small helpers every detector shares to cut spans of hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Finding:
    """One signature found: `pattern` (screen.PATTERNS), `factor` (HJ 212 code), the hours
    [start, end), the `statistic` and the `threshold` it passed (above it for ratios, shares
    and z-scores; below it for flat's spread ratio and flag_gaming's p-value: each detector's
    docstring says which), a `detail` in Chinese and a `score` (≥ 1: how far past the
    threshold; the ranking adds them up). Evidence, never a verdict."""

    pattern: str
    factor: str
    start: datetime
    end: datetime
    statistic: float
    threshold: float
    detail: str
    score: float

    def as_json(self) -> dict[str, Any]:
        return {"pattern": self.pattern, "factor": self.factor, "from": self.start.isoformat(),
                "to": self.end.isoformat(), "statistic": round(float(self.statistic), 6),
                "threshold": round(float(self.threshold), 6), "detail": self.detail,
                "score": round(float(self.score), 3)}


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[(first, last + 1)] of each run of True in a boolean array."""
    padded = np.concatenate(([False], np.asarray(mask, bool), [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def score_of(statistic: float, threshold: float, *, above: bool = True) -> float:
    """1 at the threshold, growing with the log of how far past it (capped at 10)."""
    if above:
        ratio = statistic / threshold if threshold > 0 else 10.0
    else:
        ratio = threshold / statistic if statistic > 0 else 10.0
    return float(min(10.0, 1.0 + np.log10(max(ratio, 1.0))))
