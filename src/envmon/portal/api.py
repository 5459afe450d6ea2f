"""The portal's use cases: the public card (`public_card`) and the enterprise's own view
(`summary`), composed from the domains' use cases (point states, the assessment, alarms,
supervision notices, grades); `envmon.portal.rates` gives the rates and what lowers them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from envmon.portal.rates import DAY, day_start, unit_rates
from envmon.timeutil import BEIJING_FIXED, now_beijing

__all__ = ["GRADE_COLOURS", "grade_of", "public_card", "summary"]

GRADE_COLOURS = ("#2e7d32", "#1565c0", "#f9a825", "#c62828")
"""The four grades' colours, best first: green, blue, yellow, red (the 绿/蓝/黄/红 of
分级分类监管)."""
ALARM_RULES_ZH = {"exceedance": "超标", "offline": "离线", "constant": "恒值", "zero": "零值",
                  "negative": "负值", "out_of_range": "超量程", "fault": "故障"}
STATES_ZH = {"online": "在线", "offline": "离线", "alarm": "报警", "stopped": "停产"}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def grade_of(store, unit_id: str, labels: tuple[str, ...] = ("A", "B", "C", "D"),
             *, reasons: bool = False) -> dict | None:
    """The unit's latest grade with its colour (and its reasons when asked)."""
    from envmon.grading.api import unit_history

    rows = unit_history(store, unit_id).rows
    if not rows:
        return None
    last = rows[-1]
    index = labels.index(last["grade"]) if last["grade"] in labels else None
    out = {"month": last["month"], "grade": last["grade"],
           "colour": GRADE_COLOURS[index] if index is not None else "#757575"}
    if reasons:
        out["reasons"] = last["reasons"]
    return out


def _points(store, unit_id: str, now: datetime, alarm_config: Any = None) -> list[dict]:
    from envmon.overview.states import open_alarm_rules, point_states

    county = store.query("SELECT county_code FROM units WHERE unit_id = ?", [unit_id])[0][0]
    rules = open_alarm_rules(store)
    return [{"mn": p.mn, "outlet": p.outlet_name, "kind": p.kind, "state": p.state,
             "state_zh": STATES_ZH.get(p.state, p.state),
             "exceeding": p.state == "alarm" and "exceedance" in rules.get(p.mn, ()),
             "last_seen_at": _iso(p.last_seen_at)}
            for p in point_states(store, now, alarm_config=alarm_config, region=county or "")
            if p.unit_id == unit_id]


def _open_alarms(store, unit_id: str) -> list[tuple]:
    return store.query(
        "SELECT a.id, a.mn, a.factor, a.rule, a.status, a.opened_at, a.data_time, a.value, "
        "a.limit_value, (SELECT COUNT(*) FROM alarm_answers x WHERE x.alarm_id = a.id) "
        "FROM alarms a JOIN points p ON p.mn = a.mn WHERE p.unit_id = ? "
        "AND a.status <> 'closed' ORDER BY a.opened_at DESC, a.id DESC", [unit_id])


def _month_start(now: datetime) -> datetime:
    return day_start(now).replace(day=1)


def public_card(store, unit_id: str, *, now: datetime | None = None, assess_config=None,
                grade_labels: tuple[str, ...] = ("A", "B", "C", "D")) -> dict[str, Any]:
    """What anyone holding the unit's code may see: its name, outlets and today's state of
    each point, the month's 即时/补全 effective rates, how many alarms are open by kind, and
    its grade with its colour. No MN password, no value, no other unit."""
    now = (now or now_beijing()).astimezone(BEIJING_FIXED)
    name = store.unit_names([unit_id]).get(unit_id, unit_id)
    points = _points(store, unit_id, now)
    start = _month_start(now)
    month = unit_rates(store, unit_id, start, (start + timedelta(days=32)).replace(day=1),
                       now, assess_config)
    by_rule: dict[str, int] = {}
    for row in _open_alarms(store, unit_id):
        by_rule[row[3]] = by_rule.get(row[3], 0) + 1
    unit = month.unit or {}
    return {
        "unit_name": name, "as_of": now.isoformat(), "month": now.strftime("%Y-%m"),
        "outlets": [{"outlet": p["outlet"], "kind": p["kind"], "state": p["state"],
                     "state_zh": p["state_zh"], "exceeding": p["exceeding"]} for p in points],
        "rates": {"instant": (unit.get("instant") or {}).get("effective_rate"),
                  "complete": (unit.get("complete") or {}).get("effective_rate")},
        "alarms": {"open": sum(by_rule.values()),
                   "by_kind": [{"rule": r, "rule_zh": ALARM_RULES_ZH.get(r, r), "count": n}
                               for r, n in sorted(by_rule.items())]},
        "grade": grade_of(store, unit_id, grade_labels),
    }


def _latest(store, mns: list[str]) -> dict[str, dict]:
    """Each point's latest hourly record: its time and every factor's average."""
    if not mns:
        return {}
    marks = ", ".join("?" for _ in mns)
    out: dict[str, dict] = {}
    for mn, at, factor, avg, flag in store.query(
            f"SELECT r.mn, r.data_time, r.factor, r.avg, r.flag FROM records r JOIN ("
            f"SELECT mn, MAX(data_time) AS t FROM records WHERE cn = '2061' AND mn IN "
            f"({marks}) GROUP BY mn) m ON m.mn = r.mn AND m.t = r.data_time "
            f"WHERE r.cn = '2061' ORDER BY r.mn, r.factor, r.received_at", mns):
        entry = out.setdefault(mn, {"data_time": at.isoformat(), "values": {}})
        entry["values"].setdefault(factor, {"avg": avg, "flag": flag})
    return out


def summary(store, unit_id: str, *, now: datetime | None = None, assess_config=None,
            grade_labels: tuple[str, ...] = ("A", "B", "C", "D")) -> dict[str, Any]:
    """The enterprise's home (企业首页): its points with their state and latest data, open
    alarms (with how many answers each has), the rates of D-1 and of the month so far, its
    open supervision notices, and its grade with the reasons."""
    from envmon.supervision.api import unit_notices

    now = (now or now_beijing()).astimezone(BEIJING_FIXED)
    points = _points(store, unit_id, now)
    latest = _latest(store, [p["mn"] for p in points])
    for p in points:
        p["latest"] = latest.get(p["mn"])
    yesterday = day_start(now) - DAY
    d1 = unit_rates(store, unit_id, yesterday, yesterday + DAY, now, assess_config)
    month = unit_rates(store, unit_id, _month_start(now), day_start(now) + DAY, now,
                       assess_config)
    alarms = [{"id": a, "mn": mn, "factor": f, "rule": rule,
               "rule_zh": ALARM_RULES_ZH.get(rule, rule), "status": status,
               "opened_at": _iso(opened), "data_time": _iso(dt), "value": value,
               "limit": limit, "answers": answers}
              for a, mn, f, rule, status, opened, dt, value, limit, answers
              in _open_alarms(store, unit_id)]
    return {
        "unit_id": unit_id, "unit_name": store.unit_names([unit_id]).get(unit_id, unit_id),
        "as_of": now.isoformat(), "points": points, "alarms": alarms,
        "rates": {"d1": {"day": yesterday.date().isoformat(), **d1.as_json()},
                  "month": {"month": now.strftime("%Y-%m"), **month.as_json()}},
        "notices": unit_notices(store, unit_id, now=now).as_json(),
        "grade": grade_of(store, unit_id, grade_labels, reasons=True),
    }
