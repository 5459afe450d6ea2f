"""Use cases of emergency control (`envmon emergency …`, `GET /api/v1/emergency/…`).

`(store, options) -> Result`: options are frozen dataclasses checked in `__post_init__`
(`OptionError` naming the CLI option), results have `as_json()` (the command's JSON
contract), `as_table()` and, for the check, `bulletin()` (XLSX/HTML in Chinese). The
arithmetic is in `compliance`; the hourly emissions are the emissions module's
(`envmon.emissions.accounting.emissions`: measured kg and flue-gas volume per hour), never
recomputed here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from envmon.choices import choice
from envmon.emergency import compliance as cx
from envmon.emergency import files, records
from envmon.emergency.settings import LEVEL_ZH, EmergencyConfig
from envmon.errors import EnvmonError, OptionError
from envmon.timeutil import now_beijing

FLOW = "flow"
FLOW_FACTORS = ("a21026", "a21002", "a34013")  # a result whose hours carry the flow volume


class Level(StrEnum):
    YELLOW = "yellow"
    ORANGE = "orange"
    RED = "red"


def config_from_file(config_file: Path | None) -> EmergencyConfig:
    """The `[emergency]` settings of the configuration (defaults without one)."""
    from envmon.config import ConfigError, load_config
    from envmon.emergency.settings import emergency_settings

    try:
        return emergency_settings(load_config(config_file).emergency)
    except (ConfigError, ValueError) as error:
        raise OptionError("--config", str(error)) from None


# ------------------------------------------------------------------------------- alerts
def level_of(value: Any, option: str = "--level") -> str:
    """yellow | orange | red from English or Chinese (黄色/橙色/红色), as the list import."""
    return choice(Level, files.level_of(value) or str(value), option).value


@dataclass(frozen=True)
class AlertOptions:
    level: str
    start: str | datetime
    end: str | datetime
    region: str
    created_by: str | None = None

    def __post_init__(self) -> None:
        from envmon.assess.api import region_prefix
        from envmon.period import parse_time, require_on_the_hour

        object.__setattr__(self, "level", level_of(self.level))
        for name, option in (("start", "--from"), ("end", "--to")):
            value = getattr(self, name)
            if not isinstance(value, datetime):
                value = parse_time(str(value), option)
            require_on_the_hour(value, option, " (an alert covers whole hours)")
            object.__setattr__(self, name, value)
        if self.end <= self.start:
            raise OptionError("--to", f"{self.end.isoformat()} is not after --from "
                                      f"{self.start.isoformat()}")
        if (self.end - self.start).days > 31:
            raise OptionError("--to", "an alert lasts at most 31 days")
        region_prefix(self.region)
        object.__setattr__(self, "region", str(self.region).strip())


@dataclass(frozen=True)
class AlertAdded:
    alert: records.Alert
    existing: bool = False  # the same alert (level, period, region) was there: not added
    json_layout = "compact"

    def as_json(self) -> dict:
        return {**self.alert.as_json(), "existing": self.existing}

    def as_text(self) -> str:
        return str(self.alert.id)


def _check_region(store, region: str) -> None:
    from envmon.assess.api import region_prefix

    if not records.region_known(store, region, region_prefix(region)):
        raise OptionError("--region", f"{region} is not a region of the registry (GB/T 2260 "
                                      "codes of its units' provinces, cities and counties; "
                                      "`envmon registry points`)")


def _existing(store, o: AlertOptions) -> records.Alert | None:
    return next((a for a in records.alerts(store, active_only=True)
                 if a.same_as(o.level, o.start, o.end, o.region)), None)


def add_alert(store, options: AlertOptions, *, at: datetime | None = None) -> AlertAdded:
    """A new alert, or the one already there with the same level, period and region."""
    _check_region(store, options.region)
    found = _existing(store, options)
    if found is not None:
        return AlertAdded(found, existing=True)
    new_id = records.insert_alert(store, options.level, options.start, options.end,
                                  options.region, options.created_by, at)
    return AlertAdded(records.alert(store, new_id))


@dataclass(frozen=True)
class CancelOptions:
    alert: int
    reason: str | None = None
    by: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "alert", _alert_id(self.alert, "ID"))
        if self.reason is not None and len(self.reason) > 2000:
            raise OptionError("--reason", "at most 2000 characters")


@dataclass(frozen=True)
class AlertCancelled:
    alert: records.Alert
    json_layout = "compact"

    def as_json(self) -> dict:
        return self.alert.as_json()

    def as_text(self) -> str:
        return f"alert {self.alert.id} cancelled"


def cancel_alert(store, options: CancelOptions, *, at: datetime | None = None
                 ) -> AlertCancelled:
    """Stamp an alert cancelled: kept in the list, no longer checked nor in others'
    baselines' exclusions."""
    found = records.alert(store, options.alert)
    if found is None:
        raise EnvmonError(f"no alert with id {options.alert} (`envmon emergency alert list`)")
    if found.cancelled:
        raise OptionError("ID", f"alert {found.id} was already cancelled "
                                f"{found.cancelled_at.isoformat()}")
    records.cancel_alert(store, found.id, options.by, options.reason, at)
    return AlertCancelled(records.alert(store, found.id))


@dataclass(frozen=True)
class AlertList:
    alerts: list = field(default_factory=list)
    region_names: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"alerts": [a.as_json() for a in self.alerts]}

    def as_table(self):
        from envmon.render import Column, Table

        return Table("重污染天气预警", [
            Column("id", "编号", 6), Column("level", "级别", 8), Column("from", "开始", 26),
            Column("to", "结束", 26), Column("region", "区域", 16), Column("state", "状态", 8)],
            [(a.id, LEVEL_ZH[a.level], a.start.isoformat(), a.end.isoformat(),
              region_label(a.region, self.region_names.get(a.region)),
              "已解除" if a.cancelled else "") for a in self.alerts])


def region_label(code: str, name: str | None) -> str:
    """"太原市 140100", or the code alone when the registry has no name for it."""
    return f"{name} {code}" if name else code


def list_alerts(store) -> AlertList:
    found = records.alerts(store)
    names = {a.region: records.region_name(store, a.region) for a in found}
    return AlertList(found, names)


# ------------------------------------------------------------------------------ imports
@dataclass(frozen=True)
class ImportResult:
    kind: str
    source: str
    rows_read: int
    rows_imported: int
    problems: list = field(default_factory=list)  # of files.RowProblem
    ids: list = field(default_factory=list)  # alerts: the new ids
    existing: list = field(default_factory=list)  # alerts: ids of rows already there

    def as_json(self) -> dict:
        out = {"kind": self.kind, "source": self.source, "rows_read": self.rows_read,
               "rows_imported": self.rows_imported,
               "rejected": [p.as_json() for p in self.problems]}
        if self.kind == "alerts":
            out["ids"] = self.ids
            out["existing"] = self.existing
        return out

    def summary(self) -> str:
        """The one line of a good import: what was read, kept, and the alerts' ids."""
        what = "预警" if self.kind == "alerts" else "应急减排清单"
        line = f"导入{what} {self.rows_imported}/{self.rows_read} 行（{self.source}）"
        if self.kind == "alerts":
            line += "：新增编号 " + (", ".join(map(str, self.ids)) or "无")
            if self.existing:
                line += "；已存在 " + ", ".join(map(str, self.existing))
        return line

    def as_table(self):
        from envmon.render import Column, Table

        rows = [(p.line, p.field, p.reason) for p in self.problems]
        return Table(self.summary(), [Column("line", "行", 6), Column("field", "字段", 14),
                                      Column("reason", "原因", 60)], rows)


def _read(path: Path, aliases, required, option: str) -> files.TableRows:
    try:
        return files.read_table(path, aliases, required)
    except files.TableFileError as error:
        raise OptionError(option, str(error)) from None


def read_list_file(path: Path) -> files.TableRows:
    """An emission-reduction list file as rows (`import_list_rows`; the CLI sends them)."""
    return _read(path, files.LIST_ALIASES, files.LIST_REQUIRED, "FILE")


def read_alert_file(path: Path) -> files.TableRows:
    return _read(path, files.ALERT_ALIASES, files.ALERT_REQUIRED, "FILE")


def import_list(store, path: Path, *, at: datetime | None = None) -> ImportResult:
    """Import an emission-reduction list: each good row replaces its (unit, level)."""
    return import_list_rows(store, read_list_file(path), at=at)


def import_list_rows(store, table: files.TableRows, *, at: datetime | None = None
                     ) -> ImportResult:
    rows = table.rows
    known_units = {p.unit_id for p in store.list_points()}
    good: list[records.ListEntry] = []
    problems: list[files.RowProblem] = []
    for line, row in rows:
        bad = len(problems)
        unit = files.text(row.get("unit_id"))
        if not unit:
            problems.append(files.RowProblem(line, "unit_id", "empty"))
        elif unit not in known_units:
            problems.append(files.RowProblem(line, "unit_id", f"{unit!r} is not a unit of "
                                             "the registry (with monitoring points)"))
        level = files.level_of(row.get("level"))
        if level is None:
            problems.append(files.RowProblem(line, "level", f"{files.text(row.get('level'))!r}"
                                             " is not yellow, orange or red (黄色/橙色/红色)"))
        measure, pct_in_measure = files.measure_of(row.get("measure"))
        if measure is None:
            problems.append(files.RowProblem(line, "measure", f"{files.text(row.get('measure'))!r}"
                                             " is not 停产, 限产, 错峰 or 减排"))
        pct = _percent(row.get("reduction_pct"), pct_in_measure, measure)
        if isinstance(pct, str):
            problems.append(files.RowProblem(line, "reduction_pct", pct))
        pollutants, unknown = files.pollutants_of(row.get("pollutants"))
        if unknown or not pollutants:
            problems.append(files.RowProblem(
                line, "pollutants", f"{', '.join(unknown)!r} not understood (SO2, NOx, PM)"
                if unknown else "empty (SO2, NOx, PM)"))
        grade = files.text(row.get("grade")).upper() or None
        if grade is not None and grade not in files.GRADES:
            problems.append(files.RowProblem(line, "grade", f"{grade!r} is not A, B, C or D"))
        if len(problems) == bad:
            good.append(records.ListEntry(unit, level, grade, measure, float(pct), pollutants))
    records.replace_entries(store, good, at)
    records.record_import(store, "list", table.source, len(rows), len(good),
                          len(rows) - len(good), at)
    return ImportResult("list", table.source, len(rows), len(good), problems)


def _percent(value: Any, in_measure: float | None, measure: str | None) -> float | str:
    """The required reduction, %: 停产 is 100; else the column (or the % in the measure)."""
    if measure == "停产":
        return 100.0
    raw = files.text(value).rstrip("%")
    if not raw:
        if in_measure is not None:
            return in_measure
        return "empty (the required reduction, %)"
    try:
        pct = float(raw)
    except ValueError:
        return f"{files.text(value)!r} is not a number"
    if not 0 < pct <= 100:
        return f"{pct:g} is not a percentage above 0 and at most 100"
    return pct


def import_alerts(store, path: Path, *, at: datetime | None = None) -> ImportResult:
    return import_alert_rows(store, read_alert_file(path), at=at)


def import_alert_rows(store, table: files.TableRows, *, at: datetime | None = None
                      ) -> ImportResult:
    """Import alerts: a row equal to an alert already there (level, period, region) is
    reported in `existing`, not added again (a file imported twice)."""
    rows = table.rows
    problems: list[files.RowProblem] = []
    ids: list[int] = []
    existing: list[int] = []
    fields = {"--level": "level", "--from": "from", "--to": "to", "--region": "region"}
    for line, row in rows:
        try:
            options = AlertOptions(files.text(row.get("level")), files.text(row.get("from")),
                                   files.text(row.get("to")), files.text(row.get("region")),
                                   files.text(row.get("created_by")) or None)
            added = add_alert(store, options, at=at)
        except OptionError as error:
            problems.append(files.RowProblem(line, fields.get(error.option, error.option),
                                             error.reason))
            continue
        (existing if added.existing else ids).append(added.alert.id)
    records.record_import(store, "alerts", table.source, len(rows), len(ids),
                          len(rows) - len(ids) - len(existing), at)
    return ImportResult("alerts", table.source, len(rows), len(ids), problems, ids, existing)


def _import_table(result: ImportResult, stream) -> None:
    """`--format table`: one line when every row was good, else the rejected rows."""
    if result.problems:
        from envmon.render.terminal import write_table

        write_table(result.as_table(), stream)
    else:
        stream.write(result.summary() + "\n")


@dataclass(frozen=True)
class ListShow:
    entries: list = field(default_factory=list)
    imports: list = field(default_factory=list)

    def as_json(self) -> dict:
        return {"entries": [e.as_json() for e in self.entries], "imports": self.imports}

    def as_table(self):
        from envmon.render import Column, Table

        return Table("应急减排清单", [
            Column("unit_id", "统一社会信用代码", 22), Column("level", "级别", 6),
            Column("grade", "绩效分级", 8), Column("measure", "措施", 6),
            Column("reduction_pct", "减排比例(%)", 10), Column("pollutants", "污染物", 24)],
            [(e.unit_id, LEVEL_ZH[e.level], e.grade or "", e.measure, e.reduction_pct,
              "、".join(files.POLLUTANT_ZH.get(p, p) for p in e.pollutants))
             for e in self.entries])


def show_list(store, level: str | None = None) -> ListShow:
    if level is not None:
        level = choice(Level, level, "--level").value
    return ListShow(records.entries(store, level), records.imports(store))


# -------------------------------------------------------------------------------- check
def _alert_id(value: Any, option: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise OptionError(option, f"{value!r} is not an alert id (a number; "
                                  "`envmon emergency alert list`)") from None
    if number < 1:
        raise OptionError(option, f"{number} is not an alert id (1 or more)")
    return number


@dataclass(frozen=True)
class CheckOptions:
    alert: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "alert", _alert_id(self.alert, "--alert"))


@dataclass(frozen=True)
class EmergencyCheck:
    alert: records.Alert
    units: list  # of dict (the JSON rows)
    region: dict
    config: EmergencyConfig
    provisional_as_of: datetime | None = None
    note: str | None = None  # why there is no unit to check (stderr, JSON `note`)

    def as_json(self) -> dict[str, Any]:
        return {"alert": self.alert.as_json(), "units": self.units, "region": self.region,
                "provisional": self.provisional_as_of is not None, "note": self.note}

    def region_lines(self) -> list[str]:
        """The region's line per pollutant: achieved vs target (the table's foot)."""
        r = self.region
        target = "—" if r["target_pct"] is None else f"{r['target_pct']:g}%"
        lines = [f"区域 {region_label(r['code'], r.get('name'))}，{LEVEL_ZH[r['level']]}预警，"
                 f"目标减排 {target}"]
        for p in r["pollutants"].values():
            pct = "—" if p["achieved_pct"] is None else f"{p['achieved_pct']:.1f}%"
            met = {None: "无法判定", True: "达标", False: "未达标"}[p["met"]]
            lines.append(f"  {p['name']}：实际减排 {pct}（基准 {p['baseline_kg']:g} kg，实际 "
                         f"{p['actual_kg']:g} kg，{p['units']} 家单位）— {met}")
        return lines

    def as_table(self):
        from envmon.render import Column, Table

        return Table(f"重污染天气应急管控落实情况（{LEVEL_ZH[self.alert.level]}预警 "
                     f"{self.alert.id}）", [
            Column("unit_id", "统一社会信用代码", 22), Column("unit_name", "单位", 16),
            Column("measure", "措施", 6), Column("required_pct", "要求减排(%)", 10),
            Column("achieved_pct", "实际减排(%)", 10), Column("verdict", "结论", 8),
            Column("reason", "依据", 40)],
            [(u["unit_id"], u["unit_name"], u["measure"], u["required_pct"],
              u["achieved_pct"], u["verdict"], _unit_reason_zh(u)) for u in self.units])

    def bulletin(self):
        from envmon.emergency.report import check_bulletin

        return check_bulletin(self)

    @property
    def default_stem(self) -> str:
        return f"emergency-{self.alert.id}"


def _in_region(point, prefix: str) -> bool:
    return any((code or "").startswith(prefix) for code in (point.county_code, point.city_code))


def unit_hours(results: list, quantities: tuple[str, ...]
               ) -> dict[str, tuple[dict[datetime, float], dict[datetime, float]]]:
    """Per quantity (factor code, or `FLOW`): ({hour: usable value}, {hour: valid value}) of
    a unit, summed over its gas points: a valid hour counts its measured kg (flow: m³), a
    stopped hour 0 (usable, not valid); an hour is the unit's only when every point has it."""
    by_point: dict[str, dict[str, Any]] = {}
    for r in results:
        if r.kind == "gas":
            by_point.setdefault(r.mn, {})[r.factor] = r
    out = {}
    for q in quantities:
        sums: dict[datetime, list] = {}
        for factors in by_point.values():
            source = factors.get(q) if q != FLOW else next(
                (factors[f] for f in FLOW_FACTORS if f in factors), None)
            if source is None:
                continue
            for h in source.hours:
                if h.status == "valid":
                    value = h.volume_m3 if q == FLOW else h.measured_kg
                    valid = True
                elif h.status == "stopped":
                    value, valid = 0.0, False
                else:
                    continue
                if value is None:
                    continue
                slot = sums.setdefault(h.hour, [0.0, 0, True])
                slot[0] += value
                slot[1] += 1
                slot[2] = slot[2] and valid
        n = sum(1 for factors in by_point.values()
                if (q in factors if q != FLOW else any(f in factors for f in FLOW_FACTORS)))
        usable = {h: s[0] for h, s in sums.items() if n and s[1] == n}
        valid = {h: s[0] for h, s in sums.items() if n and s[1] == n and s[2]}
        out[q] = (usable, valid)
    return out


def required_of(entry: records.ListEntry) -> float:
    return 100.0 if entry.measure == "停产" else entry.reduction_pct


def check_alert(store, options: CheckOptions, *, config: EmergencyConfig | None = None,
                accounting=None, as_of: datetime | None = None) -> EmergencyCheck:
    """Each listed unit of the alert's region and level against its own baseline, the
    region's achieved reduction against the plan's target, the worst units first."""
    from envmon.assess.api import region_prefix
    from envmon.emissions.accounting import AccountingConfig, emissions

    config = config or EmergencyConfig()
    alert = records.alert(store, options.alert)
    if alert is None:  # "no … with id": a 404 through the API; the option named all the same
        raise EnvmonError(f"no alert with id {options.alert} (--alert: see `envmon emergency "
                          "alert list`)")
    if alert.cancelled:
        raise OptionError("--alert", f"alert {alert.id} was cancelled "
                                     f"{alert.cancelled_at.isoformat()}: nothing to check")
    as_of = as_of or now_beijing()
    if alert.start >= as_of:
        raise OptionError("--alert", f"alert {alert.id} starts {alert.start.isoformat()}, "
                                     "in the future: nothing to check yet")
    ended = as_of.replace(minute=0, second=0, microsecond=0)
    end = min(alert.end, ended)
    prefix = region_prefix(alert.region)
    others = [(a.start, a.end) for a in records.alerts(store, active_only=True)]
    days = cx.baseline_dates(alert.start, config, others)
    first = cx.day_start(days[0]) if days else alert.start
    accounting = dataclasses.replace(accounting or AccountingConfig(), lookback_hours=0)
    points = [p for p in store.list_points() if _in_region(p, prefix)]
    names = {p.unit_id: p.unit_name for p in points}
    listed = [e for e in records.entries(store, alert.level) if e.unit_id in names]
    alert_days = cx.alert_days(alert.start, end)
    region_totals = {q: cx.Totals() for q in config.pollutants}
    units = []
    for entry in listed:
        quantities = tuple(dict.fromkeys((*entry.pollutants, *config.pollutants, FLOW)))
        results = emissions(store, first, end, unit_id=entry.unit_id, config=accounting)
        series = unit_hours(results, quantities)
        units.append(_unit(entry, names[entry.unit_id], series, alert_days, days, config,
                           region_totals))
    units.sort(key=_worst_first)
    name = records.region_name(store, alert.region)
    return EmergencyCheck(alert, units, _region(alert, config, region_totals, units, name),
                          config, as_of if alert.end > ended else None,
                          _empty_note(alert, name, points, listed))


def _empty_note(alert, name, points, listed) -> str | None:
    """Why the check has no unit, in words a bureau acts on (None when it has some)."""
    where = region_label(alert.region, name)
    if not points:
        return f"区域 {where} 在登记册中没有单位（监测点），无可核查对象"
    if not listed:
        return (f"应急减排清单中没有区域 {where} 内{LEVEL_ZH[alert.level]}预警级别的单位"
                "（`envmon emergency list import`），无可核查对象")
    return None


def _unit(entry, name, series, alert_days, days, config, region_totals) -> dict:
    required = required_of(entry)
    day_rows = []
    totals = {p: cx.Totals() for p in entry.pollutants}
    for day, hours in alert_days:
        checks = {}
        for q, (usable, valid) in series.items():
            judged = q in entry.pollutants
            checks[q] = cx.day_check(q, hours, {h: usable[h] for h in hours if h in usable},
                                     valid, days, config, required if judged else None)
            if judged:
                totals[q].add(checks[q], entry.unit_id)
            if q in region_totals:
                region_totals[q].add(checks[q], entry.unit_id)
        judged = [checks[p] for p in entry.pollutants]
        verdict = cx.combine(c.verdict for c in judged)
        pcts = [c.achieved_pct for c in judged if c.achieved_pct is not None]
        day_rows.append({
            "date": day.isoformat(), "verdict": verdict, "required_pct": required,
            "achieved_pct": round(min(pcts), 1) if pcts else None,
            "reason": "; ".join(f"{files.POLLUTANT_ZH.get(c.quantity, c.quantity)}: {c.reason}"
                                for c in judged),
            "reason_zh": "；".join(f"{files.POLLUTANT_ZH.get(c.quantity, c.quantity)}："
                                  f"{c.reason_zh}" for c in judged),
            "pollutants": {p: checks[p].as_json() for p in entry.pollutants},
            "flow": checks[FLOW].as_json(),
            "hours": [_hour_row(k, checks, entry.pollutants) for k in range(len(hours))],
        })
    verdict = cx.combine(d["verdict"] for d in day_rows)
    pcts = [t.achieved_pct for t in totals.values() if t.achieved_pct is not None]
    achieved = round(min(pcts), 1) if pcts else None
    reasons = [f"{d['date']} {d['verdict']}" for d in day_rows]
    return {"unit_id": entry.unit_id, "unit_name": name, "grade": entry.grade,
            "measure": entry.measure, "pollutants": list(entry.pollutants),
            "verdict": verdict, "required_pct": required, "achieved_pct": achieved,
            "shortfall_pct": None if achieved is None else round(required - achieved, 1),
            "reason": ", ".join(reasons), "days": day_rows}


def _hour_row(k: int, checks: dict, pollutants) -> dict:
    any_check = next(iter(checks.values()))
    row: dict[str, Any] = {"hour": any_check.hours[k].hour.isoformat(),
                           "baseline": {}, "achieved": {}}
    for q in (*pollutants, FLOW):
        h = checks[q].hours[k]
        row["baseline"][q] = None if h.baseline is None else round(h.baseline, 3)
        row["achieved"][q] = None if h.achieved is None else round(h.achieved, 3)
    return row


def _worst_first(unit: dict) -> tuple:
    """未落实 by shortfall, then 数据不足, then 落实 by margin."""
    order = {cx.NOT_COMPLIED: 0, cx.INSUFFICIENT: 1, cx.COMPLIED: 2}[unit["verdict"]]
    shortfall = unit["shortfall_pct"]
    return (order, -(shortfall if shortfall is not None else 0.0), unit["unit_id"])


def _region(alert, config, totals, units, name: str | None = None) -> dict:
    """The region's totals. `achieved_kg` (kept for the contract) is what the units emitted
    during the alert's usable hours, the same figure as `actual_kg`; `baseline_kg` what they
    would have emitted (their baselines)."""
    target = config.target(alert.level)
    pollutants = {}
    for q, t in totals.items():
        pct = t.achieved_pct
        pollutants[q] = {"name": files.POLLUTANT_ZH.get(q, q),
                         "baseline_kg": round(t.baseline, 3),
                         "achieved_kg": round(t.achieved, 3),
                         "actual_kg": round(t.achieved, 3),  # = achieved_kg: emitted
                         "achieved_pct": None if pct is None else round(pct, 1),
                         "target_pct": target,
                         "met": None if pct is None or target is None else pct >= target,
                         "units": len(t.units), "unit_days": t.unit_days}
    counts = {v: sum(u["verdict"] == v for u in units) for v in cx.VERDICTS}
    worst = [{"unit_id": u["unit_id"], "unit_name": u["unit_name"], "verdict": u["verdict"],
              "required_pct": u["required_pct"], "achieved_pct": u["achieved_pct"],
              "shortfall_pct": u["shortfall_pct"]}
             for u in units if u["verdict"] != cx.COMPLIED]
    return {"code": alert.region, "name": name, "level": alert.level, "target_pct": target,
            "pollutants": pollutants, "verdicts": counts, "worst": worst}


def _unit_reason_zh(unit: dict) -> str:
    """Each day's verdict, then the evidence of the worst day (依据, in Chinese)."""
    days = unit["days"]
    worst = next((d for v in (cx.NOT_COMPLIED, cx.INSUFFICIENT, cx.COMPLIED)
                  for d in days if d["verdict"] == v), None)
    head = "，".join(f"{d['date']} {d['verdict']}" for d in days)
    return f"{head}；{worst['date']}：{worst['reason_zh']}" if worst else head


def _check_table(result: EmergencyCheck, stream) -> None:
    """`--format table`: the region's lines (achieved vs target), the note, the units."""
    from envmon.render.terminal import write_table

    for line in result.region_lines():
        stream.write(line + "\n")
    if result.note:
        stream.write(result.note + "\n")
    stream.write("\n")
    write_table(result.as_table(), stream)


def _say(result, stream) -> None:
    stream.write(result.as_text() + "\n")


def _register_renderers() -> None:
    from envmon.render import renderer

    renderer(AlertAdded, "text")(_say)
    renderer(AlertCancelled, "text")(_say)
    renderer(ImportResult, "table")(_import_table)
    renderer(EmergencyCheck, "table")(_check_table)


_register_renderers()
