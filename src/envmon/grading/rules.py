"""The grade of one unit from its month's figures: pure (no store), with the reasons.

`grade(figures, settings)` → (label, reasons): each rule that fired, with its figure, the
threshold it reached and the grade it gives; the unit's grade is the worst of them.
"""

from __future__ import annotations

from typing import Any

from envmon.grading.settings import RULE_FIELDS, GradeSettings

RULE_ZH = {"rate": "有效传输率", "alarms": "报警次数", "exceedance_hours": "超标小时数",
           "bad_marks": "逾期或被驳回的标记", "overdue_notices": "逾期未反馈的督办通知",
           "escalated": "立案督办"}


def _level(rule: str, figure: float | None, thresholds: tuple[float, ...]
           ) -> tuple[int, float | None]:
    """(0 … 3, the threshold reached) for one rule's figure."""
    if figure is None:
        return 0, None
    level, reached = 0, None
    for k, threshold in enumerate(thresholds, start=1):
        if not threshold:
            continue
        fired = figure < threshold if rule == "rate" else figure >= threshold
        if fired:
            level, reached = k, threshold
    return level, reached


def grade(figures: dict[str, Any], settings: GradeSettings | None = None
          ) -> tuple[str, list[dict[str, Any]]]:
    settings = settings or GradeSettings()
    worst, reasons = 0, []
    for rule, name in RULE_FIELDS.items():
        level, threshold = _level(rule, figures.get(rule), getattr(settings, name))
        if level:
            reasons.append({"rule": rule, "name": RULE_ZH[rule], "figure": figures[rule],
                            "threshold": threshold,
                            "compare": "<" if rule == "rate" else ">=",
                            "grade": settings.labels[level]})
            worst = max(worst, level)
    return settings.labels[worst], reasons
