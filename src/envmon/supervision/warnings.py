"""事前预警: the rules that find what needs a notice, each a function of the store and a
clock returning `Finding`s (nothing written here; `api.generate_warnings` opens a case for
each finding not seen before, by its `key`).

* `near_pass`: a point whose month-to-date 即时 or 补全 effective transmission rate (assessed
  as `envmon.assess.compute.assess` does, elapsed hours only) is below the pass mark plus
  `near_pass_margin` percentage points (a point already below the mark warns too);
* `repeated_alarm`: `repeat_alarms` alarms of one rule on one point opened within
  `repeat_days` days;
* `missing_mark`: an alarm of `mark_rules` (offline) ended more than `mark_deadline_hours`
  ago and no mark covering its period was filed by then (`marks_source.marks_filed`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from envmon.supervision.settings import SupervisionSettings

RULES = ("near_pass", "repeated_alarm", "missing_mark")
RULE_ZH = {"near_pass": "传输有效率临近考核线", "repeated_alarm": "重复报警",
           "missing_mark": "缺少标记", "alarm": "报警督办", "manual": "人工立项"}
VARIANT_ZH = {"instant": "即时", "complete": "补全"}


@dataclass(frozen=True)
class Finding:
    rule: str
    key: str
    unit_id: str
    mn: str | None
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)


def near_pass(store, now: datetime, settings: SupervisionSettings,
              assess_config=None) -> list[Finding]:
    from envmon.assess.compute import assess
    from envmon.assess.config import AssessConfig
    from envmon.period import month_start, next_month

    config = assess_config or AssessConfig()
    start = month_start(now - timedelta(microseconds=1))  # the month `now` ends or is in
    result = assess(store, start, next_month(start), config, as_of=now)  # elapsed hours
    line = Decimal(str(config.pass_mark)) + Decimal(str(settings.near_pass_margin))
    month = start.strftime("%Y-%m")
    out = []
    for point in result.points:
        for variant in ("instant", "complete"):
            rate = point.exact_rate(variant)
            if rate is None or Decimal(rate.numerator) / Decimal(rate.denominator) >= line:
                continue
            percent = float(rate)
            unit_id = point.parent["unit_id"]
            where = "低于" if not config.passes(rate) else "临近"
            out.append(Finding(
                "near_pass", f"near_pass:{point.code}:{month}:{variant}", unit_id, point.code,
                f"{month} {VARIANT_ZH[variant]}有效传输率 {percent:.2f}% {where}考核线 "
                f"{config.pass_mark}%（预警线 {line}%）",
                {"month": month, "variant": variant, "rate_pct": round(percent, 4),
                 "pass_mark_pct": float(config.pass_mark), "warn_below_pct": float(line)}))
    return out


def repeated_alarm(store, now: datetime, settings: SupervisionSettings) -> list[Finding]:
    since = now - timedelta(days=settings.repeat_days)
    out = []
    for mn, unit_id, rule, n, first_id, last_id in store.query(
            "SELECT mn, MAX(unit_id), rule, COUNT(*), MIN(id), MAX(id) FROM alarms "
            "WHERE opened_at >= ? AND opened_at <= ? AND unit_id IS NOT NULL "
            "GROUP BY mn, rule HAVING COUNT(*) >= ? ORDER BY mn, rule",
            [since, now, settings.repeat_alarms]):
        # One warning per run of alarms: a later run (after the first alarm counted here)
        # is a new finding only once no case of this point and rule was opened in the window.
        if store.query("SELECT 1 FROM supervision_cases WHERE source = 'repeated_alarm' "
                       "AND mn = ? AND source_key LIKE ? AND created_at >= ? LIMIT 1",
                       [mn, f"repeated_alarm:{mn}:{rule}:%", since]):
            continue
        out.append(Finding(
            "repeated_alarm", f"repeated_alarm:{mn}:{rule}:{first_id}", unit_id, mn,
            f"{settings.repeat_days:g} 天内同一规则（{rule}）报警 {n} 次",
            {"rule": rule, "alarms": int(n), "days": settings.repeat_days,
             "first_alarm_id": int(first_id), "last_alarm_id": int(last_id)}))
    return out


def missing_mark(store, now: datetime, settings: SupervisionSettings) -> list[Finding]:
    from envmon.supervision.marks_source import marks_filed

    deadline = timedelta(hours=settings.mark_deadline_hours)
    if not settings.mark_rules:
        return []
    rules = list(settings.mark_rules)
    out = []
    for alarm_id, mn, unit_id, rule, opened_at, closed_at in store.query(
            "SELECT id, mn, unit_id, rule, opened_at, closed_at FROM alarms "
            f"WHERE rule IN ({', '.join('?' * len(rules))}) AND closed_at IS NOT NULL "
            "AND closed_at <= ? AND unit_id IS NOT NULL ORDER BY id",
            [*rules, now - deadline]):
        if marks_filed(store, unit_id, mn, opened_at, closed_at, closed_at + deadline):
            continue
        out.append(Finding(
            "missing_mark", f"missing_mark:alarm:{alarm_id}", unit_id, mn,
            f"{opened_at:%Y-%m-%d %H:%M}–{closed_at:%Y-%m-%d %H:%M} 的{rule}时段在 "
            f"{settings.mark_deadline_hours:g} 小时内未登记标记",
            {"alarm_id": int(alarm_id), "rule": rule, "from": opened_at.isoformat(),
             "to": closed_at.isoformat(),
             "mark_due": (closed_at + deadline).isoformat()}))
    return out


def find_all(store, now: datetime, settings: SupervisionSettings,
             assess_config=None) -> list[Finding]:
    return [*near_pass(store, now, settings, assess_config),
            *repeated_alarm(store, now, settings), *missing_mark(store, now, settings)]
