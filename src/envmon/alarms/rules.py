"""Alarm rules as a pure state machine: records in, transitions out (no I/O).

`RuleEvaluator.evaluate(records)` takes the records of committed uploads (long format, as the
receiver's `after_commit` hook hands them) and returns `Raise` / `Clear` transitions. It keeps
at most one not-closed alarm per (MN, factor, rule): a condition that persists raises nothing
new, and a Clear is only produced for an alarm that is not closed.

Rules (emissions.md §6, §8; parameters in `AlarmConfig`):
- exceedance: valid hourly O2-corrected concentration (ZsAvg, else computed from Avg and the
  packet's O2 with the point's reference O2) above the point's limit (gas); valid daily mean
  above the limit (water). Data with a flag other than a valid one is never evidence.
- constant, zero, negative, out_of_range, o2_high on valid values; fault_flag and maintenance
  on flags. Run lengths are consecutive periods of the same command code.
- implausible: the receiver stored the item with flag X (empty, not a number, not finite, of
  implausible magnitude, repeated with different values: `envmon.ingest.records`); raised at
  once, with the reason the record keeps, cleared by the next valid value. A value outside the
  point's registered instrument range is stored with flag T and raises out_of_range.
- not_judged: a valid hourly gas concentration that cannot be corrected (O2 invalid or
  missing and no ZsAvg, with a reference O2 registered) is not judged for exceedance: said
  as an alarm of its own, cleared by the next hour that is judged.
- offline is the engine's (no records for it).
- conflict: a copy of a stored record arrived with other values (`conflicts`, from what the
  store did with a group: `envmon.store.WriteResult`); it stays open until someone closes it
  (which copy is right is a person's call), one open alarm per point and factor.

Alarms are on the evidence's data time: a `Raise` carries the first and last data time of its
evidence (`data_from`, `data_time`); while the condition lasts, an `Extend` (collected apart,
`take_extends`) widens the span of the not-closed alarm and makes its text current ("持续 N
小时"); a period inside the span again (a re-sent hour) changes nothing. The engine also asks
the store whether a closed alarm already holds the evidence (`store.already_raised`), so a
restart or a second run of the same data opens no second alarm.

Records older than the latest seen for the same (MN, CN) (late uploads, 补遗 answers) may still
raise an exceedance but never clear anything, and no alarm is raised from data older than the
data that cleared it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from envmon.alarms.config import FLOW_FACTORS, FURNACE_CN, O2_FACTOR, AlarmConfig
from envmon.emissions.formulas import o2_corrected_mg_m3
from envmon.hj212.codes import IMPLAUSIBLE_FLAG
from envmon.period import beijing_midnight
from envmon.store.models import PointHistory
from envmon.timeutil import BEIJING_FIXED

Key = tuple[str, str, str]  # mn, factor, rule


@dataclass(frozen=True, slots=True)
class Raise:
    mn: str
    factor: str
    rule: str
    data_time: datetime | None
    value: float | None
    limit: float | None
    detail: str
    data_from: datetime | None = None
    """First data time of the evidence (a run's first period); None: `data_time`."""

    @property
    def key(self) -> Key:
        return (self.mn, self.factor, self.rule)

    @property
    def span(self) -> tuple[datetime | None, datetime | None]:
        return (self.data_from or self.data_time, self.data_time)


@dataclass(frozen=True, slots=True)
class Extend:
    """The condition of a not-closed alarm goes on (or late evidence widens it): its data span
    becomes [data_from, data_to] and its detail text the current one."""

    mn: str
    factor: str
    rule: str
    data_from: datetime
    data_to: datetime
    detail: str

    @property
    def key(self) -> Key:
        return (self.mn, self.factor, self.rule)


@dataclass(frozen=True, slots=True)
class Clear:
    mn: str
    factor: str
    rule: str
    data_time: datetime | None
    detail: str

    @property
    def key(self) -> Key:
        return (self.mn, self.factor, self.rule)


@dataclass(frozen=True, slots=True)
class PointRules:
    """What the rules need of a point (from the registry)."""

    kind: str  # gas | water
    limits: dict[str, float | None]
    o2_ref: float | None = None
    history: PointHistory | None = None
    """The point's versioned limits and reference O2: an hour is judged by the values in
    force at its data time (a re-sent old hour by the old limit)."""
    expected_interval_s: float | None = None
    """Seconds between the point's uploads as registered (数据上传间隔): the offline rule's
    cadence instead of the learned one; None: learned from its packets."""

    def limit_at(self, factor: str, t) -> float | None:
        current = self.limits.get(factor)
        return current if self.history is None else self.history.limit_at(factor, t, current)

    def o2_ref_at(self, t) -> float | None:
        return self.o2_ref if self.history is None else self.history.o2_ref_at(t, self.o2_ref)


class RuleEvaluator:
    def __init__(self, config: AlarmConfig | None = None,
                 points: dict[str, PointRules] | None = None):
        self.config = config or AlarmConfig()
        self.points: dict[str, PointRules] = points or {}
        self.active: set[Key] = set()
        self._runs: dict[tuple, int] = {}
        self._last_value: dict[tuple, float] = {}
        self._last_time: dict[tuple[str, str], datetime] = {}
        self._cleared_at: dict[Key, datetime] = {}
        self._water_days: dict[tuple[str, str], list] = {}  # (mn, factor) -> day, Σ, n, t
        self._o2_note = ""  # why the O2 of the group being judged is not usable
        self._since: dict[tuple, datetime] = {}  # run key -> first data time of the run
        self.spans: dict[Key, list] = {}
        self._extends: dict[Key, Extend] = {}  # not-closed alarm -> [data_from, data_to]

    # ------------------------------------------------------------------ transitions
    def _raise(self, out: list, mn, factor, rule, t, value, limit, detail, *,
               since: datetime | None = None) -> None:
        """`detail` is the text, or a function of the evidence span (first, last data time)
        for a text that grows as the condition lasts ("持续 N 小时"). `since`: the first
        data time of the evidence when it is a run."""
        key = (mn, factor, rule)
        first = since or t
        if key in self.active:
            span = self.spans.get(key)
            if span is None or t is None or span[0] is None:
                return
            if span[0] <= first and t <= span[1]:
                return  # the same evidence again (a re-sent period): nothing new
            span[0], span[1] = min(span[0], first), max(span[1], t)
            text = detail(span[0], span[1]) if callable(detail) else detail
            # Kept aside, the latest per alarm (`take_extends`): `evaluate` answers only
            # what opens or closes, and one write per alarm and batch is enough.
            self._extends[key] = Extend(mn, factor, rule, span[0], span[1], text)
            return
        cleared = self._cleared_at.get(key)
        if cleared is not None and t is not None and t < cleared:
            return
        self.active.add(key)
        if t is not None:
            self.spans[key] = [first, t]
        text = detail(first, t) if callable(detail) else detail
        out.append(Raise(mn, factor, rule, t, value, limit, text, since))

    def _run_since(self, run_key: tuple, t: datetime) -> datetime:
        """The first data time of the run `run_key` is in (its count is 1 at its start)."""
        if self._runs.get(run_key, 0) <= 1 or run_key not in self._since:
            self._since[run_key] = t
        return self._since[run_key]

    def take_extends(self) -> list[Extend]:
        """The alarms whose condition went on since the last call (their span and text)."""
        out, self._extends = list(self._extends.values()), {}
        return out

    def forget(self, key: Key) -> None:
        """The store already holds this evidence (`Raise` not written): not open here."""
        self.active.discard(key)
        self.spans.pop(key, None)
        self._extends.pop(key, None)

    def _clear(self, out: list, mn, factor, rule, t, detail, *, live: bool) -> None:
        key = (mn, factor, rule)
        if not live:
            return
        if t is not None:
            self._cleared_at[key] = t
        if key in self.active:
            self.active.discard(key)
            self.spans.pop(key, None)
            self._extends.pop(key, None)
            out.append(Clear(mn, factor, rule, t, detail))

    def clear_point_rule(self, mn: str, factor: str, rule: str, t, detail: str) -> list:
        out: list = []
        self._clear(out, mn, factor, rule, t, detail, live=True)
        return out

    def raise_point_rule(self, mn, factor, rule, t, value, limit, detail) -> list:
        out: list = []
        self._raise(out, mn, factor, rule, t, value, limit, detail)
        return out

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, records: Iterable) -> list[Raise | Clear]:
        """Records (objects with mn, cn, data_time, factor, rtd, avg, zs_avg, flag) →
        transitions, in order. Records of one upload share (mn, cn, data_time)."""
        groups: dict[tuple, list] = {}
        out: list[Raise | Clear] = []
        for r in records:
            if r.cn in self.config.cns:
                groups.setdefault((r.mn, r.cn, r.data_time), []).append(r)
            elif r.cn == FURNACE_CN:
                self._furnace(out, r)
        for (mn, cn, t), group in groups.items():
            point = self.points.get(mn)
            if point is None:
                continue
            last = self._last_time.get((mn, cn))
            live = last is None or t >= last
            if live:
                self._last_time[(mn, cn)] = t
            self._group(out, point, mn, cn, t, group, live)
        return out

    def _group(self, out, point: PointRules, mn, cn, t, group, live: bool) -> None:
        c = self.config
        valid_flags = c.valid_flags

        def value_of(r):
            return r.avg if r.avg is not None else r.rtd

        flow = o2 = None
        self._o2_note = "无氧含量数据"
        for r in group:
            if r.factor in FLOW_FACTORS and (r.flag or "N") in valid_flags:
                flow = value_of(r)
            elif r.factor == O2_FACTOR and (r.flag or "N") in valid_flags:
                o2 = value_of(r)
            elif r.factor == O2_FACTOR:
                self._o2_note = f"氧含量无效（标记 {r.flag}）"
        monitored = set(point.limits) | set(FLOW_FACTORS) | {O2_FACTOR}
        if live and flow is not None and flow >= 0:
            self._flow_anomaly(out, point, mn, cn, t, group, flow)
        for r in group:
            factor = r.factor
            if factor not in monitored:
                continue
            flag = r.flag or "N"
            value = value_of(r)
            valid = flag in valid_flags and value is not None and math.isfinite(value)
            if live:
                self._flag_runs(out, mn, cn, t, factor, flag)
                if flag == IMPLAUSIBLE_FLAG:
                    self._raise(out, mn, factor, "implausible", t, None, None,
                                f"数值不可信：{_invalid_reason(r)}")
                elif valid:
                    self._clear(out, mn, factor, "implausible", t, "恢复", live=True)
            # out of range: flag T, or above the analyser range
            upper = c.instrument_range.get(factor)
            if flag in c.range_flags or (valid and upper is not None and value > upper):
                if live:
                    self._raise(out, mn, factor, "out_of_range", t, value, upper,
                                f"标记 {flag}" if flag in c.range_flags else
                                f"{value:g} > 量程 {upper:g}")
            elif valid:
                self._clear(out, mn, factor, "out_of_range", t, "恢复", live=live)
            if not valid:
                continue
            if not live:
                self._exceedance(out, point, mn, cn, t, r, value, o2, live=False)
                continue
            # negative
            if value < 0:
                self._runs[(mn, cn, factor, "zero")] = 0
                self._clear(out, mn, factor, "zero", t, "恢复", live=True)
                self._raise(out, mn, factor, "negative", t, value, 0.0, f"负值 {value:g}")
                continue
            self._clear(out, mn, factor, "negative", t, "恢复", live=True)
            is_pollutant = factor in point.limits
            # zero concentration while the flow runs and O2 is normal
            if is_pollutant:
                zkey = (mn, cn, factor, "zero")
                o2_normal = o2 is None or o2 < c.o2_high_pct
                if value == 0 and (flow is None or flow > c.flow_floor) and o2_normal:
                    self._runs[zkey] = self._runs.get(zkey, 0) + 1
                    since = self._run_since(zkey, t)
                    if self._runs[zkey] >= c.zero_min_periods.get(cn, 1):
                        self._raise(out, mn, factor, "zero", t, value, None,
                                    f"零值 {self._runs[zkey]} 个连续{_period_zh(cn)}",
                                    since=since)
                elif value != 0:
                    self._runs[zkey] = 0
                    self._clear(out, mn, factor, "zero", t, "恢复", live=True)
            # constant value
            if is_pollutant or factor in FLOW_FACTORS:
                ckey = (mn, cn, factor)
                rounded = round(value, c.constant_decimals)
                if self._last_value.get(ckey) == rounded:
                    self._runs[ckey] = self._runs.get(ckey, 1) + 1
                else:
                    self._runs[ckey] = 1
                    self._last_value[ckey] = rounded
                    self._clear(out, mn, factor, "constant", t, "数值变化", live=True)
                since = self._run_since(ckey, t)
                need = c.constant_min_periods.get(cn)
                if need and self._runs[ckey] >= need:
                    self._raise(out, mn, factor, "constant", t, value, None,
                                f"恒值 {rounded:g} 持续 {self._runs[ckey]} 个{_period_zh(cn)}",
                                since=since)
            # O2 too high with flow
            if factor == O2_FACTOR and point.kind == "gas":
                if value >= c.o2_high_pct and (flow is None or flow > c.flow_floor):
                    self._raise(out, mn, factor, "o2_high", t, value, c.o2_high_pct,
                                f"氧含量 {value:g}% ≥ {c.o2_high_pct:g}%")
                elif value < c.o2_high_pct:
                    self._clear(out, mn, factor, "o2_high", t, "恢复", live=True)
            self._exceedance(out, point, mn, cn, t, r, value, o2, live=True)

    def _furnace(self, out, r) -> None:
        """A furnace-temperature 5-minute mean (CN 2111): below `furnace_min_c` raises,
        a valid mean at or above it clears. Invalid means are no evidence either way."""
        if r.mn not in self.points or (r.flag or "N") not in self.config.valid_flags:
            return
        value = _value(r)
        if value is None or not math.isfinite(value):
            return
        limit = self.config.furnace_min_c
        if value < limit:
            self._raise(out, r.mn, r.factor, "furnace_temperature", r.data_time, value, limit,
                        f"炉膛温度5分钟均值 {value:g}℃ < {limit:g}℃")
        else:
            self._clear(out, r.mn, r.factor, "furnace_temperature", r.data_time, "恢复",
                        live=True)

    def _exceedance(self, out, point, mn, cn, t, r, value, o2, *, live: bool) -> None:
        limit = point.limit_at(r.factor, t)
        if limit is None:
            return
        c = self.config
        if point.kind == "gas":
            if cn not in c.gas_exceedance_cns:
                return
            corrected = r.zs_avg
            o2_ref = point.o2_ref_at(t)
            if corrected is None and o2_ref is not None and o2 is not None:
                corrected = o2_corrected_mg_m3(value, o2, o2_ref, c.o2_cutoff_pct)
            if corrected is None and o2_ref is None:
                corrected = value  # no reference O2 registered: the measured value
            if corrected is None:
                # A valid concentration that cannot be corrected to the reference O2 is not
                # judged: said, as an alarm of its own, never silently skipped.
                note = self._o2_note

                def detail(first, last):
                    return (f"{note}且无折算值 ZsAvg，未判定超标，"
                            f"持续 {_periods(first, last, 3600)} 小时")

                self._raise(out, mn, r.factor, "not_judged", t, value, limit, detail)
                return
            self._clear(out, mn, r.factor, "not_judged", t, "恢复判定", live=live)
            if math.isnan(corrected):
                return
            what = "折算浓度"
        else:
            if cn == "2061" and c.water_daily_from_hourly:
                if live:
                    self._water_hour(out, mn, r.factor, t, value, limit)
                return
            if cn not in c.water_exceedance_cns:
                return
            corrected, what = value, "日均值"
        if corrected > limit:
            period = 3600 if point.kind == "gas" else 86400
            unit = "小时" if point.kind == "gas" else "日"

            def detail(first, last):
                return (f"{what} {corrected:.3f} > 限值 {limit:g}，"
                        f"持续 {_periods(first, last, period)} {unit}")

            self._raise(out, mn, r.factor, "exceedance", t, corrected, limit, detail)
        else:
            self._clear(out, mn, r.factor, "exceedance", t, f"{what} {corrected:.3f} ≤ 限值",
                        live=live)

    def _flow_anomaly(self, out, point, mn, cn, t, group, flow) -> None:
        """Flow at or below the floor while concentrations are above zero (emissions.md §8)."""
        c = self.config
        code = next(r.factor for r in group if r.factor in FLOW_FACTORS)
        key = (mn, cn, code, "flow_anomaly")
        if flow <= c.flow_floor:
            nonzero = [r.factor for r in group if r.factor in point.limits
                       and (r.flag or "N") in c.valid_flags and (r.avg or r.rtd or 0) > 0]
            if nonzero:
                self._runs[key] = self._runs.get(key, 0) + 1
                since = self._run_since(key, t)
                if self._runs[key] >= c.flow_anomaly_min_periods.get(cn, 1):
                    self._raise(out, mn, code, "flow_anomaly", t, flow, c.flow_floor,
                                f"流量 {flow:g} 而浓度不为零（{', '.join(nonzero)}）",
                                since=since)
            return
        self._runs[key] = 0
        self._clear(out, mn, code, "flow_anomaly", t, "流量恢复", live=True)

    def _water_hour(self, out, mn, factor, t, value, limit) -> None:
        """Accumulate a valid hourly water value; judge the day's mean when it is complete."""
        key = (mn, factor)
        # The day is the Beijing day whatever zone the record's time came in (a store may
        # hand back UTC): cut at Beijing midnight, close it at its 23:00 hour.
        day_start = beijing_midnight(t)
        day = day_start.date()
        state = self._water_days.get(key)
        if state is not None and state[0] != day:
            self._judge_day(out, mn, factor, state, limit)
            state = None
        if state is None:
            state = [day, 0.0, 0, day_start]
        state[1] += value
        state[2] += 1
        if t.astimezone(BEIJING_FIXED).hour == 23:
            self._judge_day(out, mn, factor, state, limit)
            self._water_days.pop(key, None)
        else:
            self._water_days[key] = state

    def _judge_day(self, out, mn, factor, state, limit) -> None:
        day, total, n, day_start = state
        if n < self.config.water_min_hours:
            return
        mean = total / n
        if mean > limit:
            def detail(first, last):
                return (f"{day} 日均值 {mean:.3f} > 限值 {limit:g}（{n} 个有效小时），"
                        f"持续 {_periods(first, last, 86400)} 日")

            self._raise(out, mn, factor, "exceedance", day_start, mean, limit, detail)
        else:
            self._clear(out, mn, factor, "exceedance", day_start,
                        f"{day} 日均值 {mean:.3f} ≤ 限值", live=True)

    def _flag_runs(self, out, mn, cn, t, factor, flag) -> None:
        c = self.config
        for rule, flags, need in (("fault_flag", c.fault_flags, c.fault_min_periods),
                                  ("maintenance", c.maintenance_flags,
                                   c.maintenance_min_periods)):
            key = (mn, cn, factor, rule)
            if flag in flags:
                self._runs[key] = self._runs.get(key, 0) + 1
                since = self._run_since(key, t)
                if self._runs[key] >= need.get(cn, 1):
                    self._raise(out, mn, factor, rule, t, None, None,
                                f"标记 {flag} 持续 {self._runs[key]} 个{_period_zh(cn)}",
                                since=since)
            else:
                self._runs[key] = 0
                self._clear(out, mn, factor, rule, t, f"标记恢复为 {flag}", live=True)


    def conflicts(self, conflicts: Iterable) -> list[Raise | Clear]:
        """`conflict` for each conflicting copy (envmon.store.Conflict) of a known point."""
        out: list[Raise | Clear] = []
        for conflict in conflicts:
            new, old = conflict.record, conflict.earlier
            if new.mn not in self.points:
                continue
            self._raise(out, new.mn, new.factor, "conflict", new.data_time,
                        _value(new), None, conflict_detail(new, old))
        return out


def _value(r) -> float | None:
    return r.avg if r.avg is not None else r.rtd


def _copy_zh(r) -> str:
    from envmon.store.recordkeys import values_of

    shown = [f"{name}={value:g}" if isinstance(value, float) else f"{name}={value}"
             for name, value in zip(("Rtd", "Avg", "Min", "Max", "Cou", "ZsRtd", "ZsAvg", "Flag",
                                     "EFlag", "extra"), values_of(r), strict=True)
             if value is not None]
    trust = "" if r.trusted is None or r.trusted else "，非常用地址"
    at = r.received_at.astimezone(BEIJING_FIXED).strftime("%Y-%m-%d %H:%M:%S")
    return f"{' '.join(shown) or '无数值'}（{r.peer or '地址未知'}{trust}，{at} 收到）"


def conflict_detail(new, old) -> str:
    """Both copies with their values, addresses and receipt times."""
    t = new.data_time.astimezone(BEIJING_FIXED).strftime("%Y-%m-%d %H:%M")
    return f"{new.cn} {t} 数据冲突：已存 {_copy_zh(old)}；新到 {_copy_zh(new)}"


def _invalid_reason(record) -> str:
    """The reason the receiver kept in the record's `extra` ("invalid"), else the flag."""
    extra = getattr(record, "extra", None)
    if isinstance(extra, str):
        try:
            extra = json.loads(extra)
        except ValueError:
            extra = None
    reason = extra.get("invalid") if isinstance(extra, dict) else None
    return str(reason) if reason else f"标记 {IMPLAUSIBLE_FLAG}"


def _periods(first: datetime, last: datetime, seconds: int) -> int:
    """Periods of `seconds` from `first` to `last`, both counted."""
    return int((last - first).total_seconds() // seconds) + 1


def _period_zh(cn: str) -> str:
    return {"2051": "分钟", "2061": "小时", "2031": "日", "2011": "实时值"}.get(cn, "周期")
