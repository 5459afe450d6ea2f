"""Emission accounting on the store: hourly emissions per point and pollutant, HJ 75
substitution with every substituted hour marked, day/month/year totals per point, unit and
region, and the monthly environmental-protection tax inputs (emissions.md §1, §3, §4, §9.3).

Hourly data: the unit's 2061 upload (the copy picked by the copy policy of
`envmon.store.core_tables`: the unit's own, then the first received); an hour without one, or
a factor its upload lacks, is formed from the 2051 minutes by the 45-valid-minute rule
(`hourly.hourly_from_minutes`). Per hour:

- gas: flow volume Q [m³, standard dry] = a00000 `-Cou` if sent, else `-Avg` [m³/s] × 3600
  (ASSUMPTION: the CEMS flow a00000 is the standard dry flow, as HJ 75 CEMS report it);
  G_h = C_measured × Q × 10⁻⁶ — the MEASURED concentration (`-Avg`), never `-ZsAvg` (§3);
  the O2-corrected value (ZsAvg, else computed with the point's reference O2) is used only
  for the limit and the tax reduction;
- the reference O2 and the limit are those in force at the hour (`Store.registry_history`): a
  registry re-import after a month never changes that month's figures; a factor the
  re-import dropped is still counted up to the day it was removed;
- water: Q [m³] = w00000 `-Cou`, else `-Avg` [L/s] × 3.6; G = C [mg/L] × Q × 10⁻³, C in
  mg/L whatever unit the factor arrives in (HJ 212-2017 Table B.1 sends 总汞, 总镉, 六价铬,
  总砷, 总铅, 总铍, 总硒, 苯并(a)芘 in µg/L: `water_mg_per_l_scale`, `water_units`), so the
  kg and the comparison with a standard's mg/L limit hold; the tax's per-tonne items (pH,
  色度, 大肠菌群数) are counted from the hours' tonnes of water (per_tonne.py);
- status: `valid` (pollutant and flow valid), `stopped` (flag F: 0, not substituted),
  `invalid` (any other flag, or a negative value), `missing` (no data).

Substitution (gas SO2, NOx, particulate) uses the capture rate α of the gap's calendar quarter
up to the end of the gap's month (quarter-to-date, so a year's total is the sum of its months'),
counted from the point's first hour of data (hours before a point existed are not "missing").
The device's own `-Cou` masses are not used (the unit of gas `-Cou` is unverified,
emissions.md §1.2).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from envmon.emissions import formulas, per_tonne
from envmon.emissions.hourly import STOPPED_OVER_MINUTES, VALID_FLAGS, hourly_from_minutes
from envmon.emissions.substitution import (
    HourInput,
    SubstitutionConfig,
    capture_rate_pct,
    substitute,
)
from envmon.emissions.tax import (
    PollutantMonth,
    TaxConfig,
    TaxLine,
    UnconfiguredProvinceError,
    compute_tax,
    tax_item,
    unconfigured_provinces,
    untaxed_reason,
)
from envmon.emissions.tax import per_tonne as is_per_tonne
from envmon.errors import EnvmonError
from envmon.hj212.codes import FACTORS, MAX_PLAUSIBLE_MAGNITUDE
from envmon.period import month_start, next_month
from envmon.store import PointHistory, PointInfo, Store
from envmon.store.core_tables import RECORDS_FIRST_POLICY

HOUR = timedelta(hours=1)
GAS_FLOW, WATER_FLOW, O2 = "a00000", "w00000", "a19001"
NOX, NO, NO2 = "a21002", "a21003", "a21004"


MG_PER_L_SCALE: dict[str, float] = {"mg/L": 1.0, "µg/L": 1e-3, "ug/L": 1e-3, "ng/L": 1e-6,
                                    "g/L": 1e3}
"""Factor from a mass concentration unit to mg/L (the unit of G = C × Q × 10⁻³ kg)."""


def water_mg_per_l_scale(factor: str, config: AccountingConfig | None = None) -> float:
    """What a water value of `factor` is multiplied by to be in mg/L: by the unit of HJ 212-2017
    Table B.1 (hj212.codes), or the `water_units` override; 1 for a factor without a mass
    unit (pH, 色度, coliform counts, or a code the table lacks)."""
    unit = dict(config.water_units).get(factor) if config is not None else None
    if unit is None:
        known = FACTORS.get(factor)
        unit = known.unit if known is not None else "mg/L"
    return MG_PER_L_SCALE.get(unit, 1.0)


@dataclass(frozen=True)
class AccountingConfig:
    valid_flags: tuple[str, ...] = VALID_FLAGS
    min_valid_minutes: int = 45
    stopped_over_minutes: int = STOPPED_OVER_MINUTES
    """An hour formed from minutes without 45 valid ones is stopped (0 kg, not substituted)
    when more than this many minutes are `F`; else invalid (substituted). 30 = "mostly
    stopped", a convention, not a figure of HJ 75-2017 (hourly.STOPPED_OVER_MINUTES)."""
    o2_cutoff_pct: float = formulas.O2_CUTOFF_PCT
    substitution: SubstitutionConfig = field(default_factory=SubstitutionConfig)
    lookback_hours: int = 2160
    """History read before the period for the substitution windows (2160 h, §4)."""
    use_exemptions: bool = True
    """Missing or invalid hours inside a registered, not revoked exemption (停产/停运/停排,
    table `exemptions` of envmon.assess) are stopped hours: 0 kg, not substituted, outside
    α's denominator (emissions.md §5: stopped periods backed by a mark), when the mark counts
    by `exemption_rules`."""
    exemption_rules: Any = None
    """The rules a mark must meet (proof, deadlines): an `envmon.assess.AssessConfig`, the
    [assess] settings; None: its defaults. One set of rules for the assessment and the
    emissions (issue 11 item 15: a proof-less mark entered 40 days late cut SO2)."""

    colour_multiple: str = "excess"
    """色度超标倍数 for the tax's 色度 item: "excess" (value − limit) ÷ limit, the usual
    definition of 超标倍数; "ratio" value ÷ limit (per_tonne.colour_multiple)."""
    water_units: tuple[tuple[str, str], ...] = ()
    """(factor, unit) pairs overriding the unit a water factor's values arrive in, e.g.
    (("w20111", "mg/L"),) for units whose mercury is sent in mg/L. Default: the unit of HJ
    212-2017 Table B.1 (hj212.codes.FACTORS; 总汞, 总镉, 六价铬, 总砷, 总铅, 总铍, 总硒 and
    苯并(a)芘 in µg/L). Values are converted to mg/L (`water_mg_per_l_scale`)."""

    def __post_init__(self) -> None:
        if self.colour_multiple not in per_tonne.COLOUR_MULTIPLES:
            raise ValueError(f"colour_multiple must be one of "
                             f"{', '.join(per_tonne.COLOUR_MULTIPLES)}")
        for factor, unit in self.water_units:
            if unit not in MG_PER_L_SCALE:
                raise ValueError(f"water_units {factor}: unknown unit {unit!r} (known: "
                                 f"{', '.join(MG_PER_L_SCALE)})")
        if self.exemption_rules is None:
            from envmon.assess.config import AssessConfig

            object.__setattr__(self, "exemption_rules", AssessConfig())


@dataclass
class HourEmission:
    hour: datetime
    conc: float | None  # measured, dry standard (gas) / mg/L (water)
    corrected: float | None  # O2-corrected (gas); = conc for water
    volume_m3: float | None
    measured_kg: float | None
    kg: float
    status: str
    rule: str | None  # substitution rule id, None when measured
    source: str  # 2061 | 2051 | none
    limit: float | None = None  # the limit in force at the hour (registry history)


def _substituted(h: HourEmission) -> bool:
    return h.rule is not None and not h.rule.startswith("none")


@dataclass
class PollutantResult:
    mn: str
    unit_id: str
    unit_name: str
    outlet_id: str
    outlet_name: str
    county_code: str
    city_code: str
    kind: str
    factor: str
    limit: float | None
    hours: list[HourEmission]
    alpha_pct: float

    @property
    def kg(self) -> float:
        return sum(h.kg for h in self.hours)

    @property
    def measured_kg(self) -> float:
        return sum(h.measured_kg or 0.0 for h in self.hours if h.rule is None)

    @property
    def substituted_kg(self) -> float:
        return sum(h.kg for h in self.hours if _substituted(h))

    def count(self, status: str) -> int:
        return sum(1 for h in self.hours if h.status == status)

    @property
    def substituted_hours(self) -> int:
        """Hours whose amount was substituted (rules `max…`, `mean_bracketing`)."""
        return sum(1 for h in self.hours if _substituted(h))

    @property
    def usable_for_tax(self) -> bool:
        return self.kind != "gas" or self.alpha_pct >= 75.0

    def daily_kg(self) -> dict[date, float]:
        out: dict[date, float] = defaultdict(float)
        for h in self.hours:
            out[h.hour.date()] += h.kg
        return dict(out)

    def daily_means(self) -> dict[date, float]:
        """Mean of the valid hourly values of each day (water: the daily value, §1.1)."""
        acc: dict[date, list[float]] = defaultdict(list)
        for h in self.hours:
            if h.status == "valid" and h.corrected is not None:
                acc[h.hour.date()].append(h.corrected)
        return {d: sum(v) / len(v) for d, v in acc.items() if v}

    @property
    def mean_concentration(self) -> float | None:
        """Tax concentration (实施条例 Art. 10): air, the mean of the valid hourly O2-corrected
        values; water, the mean of the daily values."""
        if self.kind == "gas":
            values = [h.corrected for h in self.hours
                      if h.status == "valid" and h.corrected is not None]
        else:
            values = list(self.daily_means().values())
        return sum(values) / len(values) if values else None

    @property
    def exceeded(self) -> bool:
        """Any valid hour (air) / day (water) above the limit (emissions.md §6)."""
        if self.limit is None:
            return False
        if self.kind == "gas":
            return any(h.status == "valid" and h.corrected is not None and
                       h.corrected > (self.limit if h.limit is None else h.limit)
                       for h in self.hours)
        return any(v > self.limit for v in self.daily_means().values())


_FIELDS = ("data_time", "factor", "avg", "cou", "zs_avg", "flag")


def _query(store: Store, mn: str, cn: str, start: datetime, end: datetime) -> list[dict]:
    """First received copy of each (data_time, factor) of one point and CN in [start, end)."""
    return store.query_records(mn, cn, start, end, columns=_FIELDS)


def _first_records(store: Store, mn: str, cn: str, start: datetime, end: datetime):
    out: dict[datetime, dict[str, dict]] = defaultdict(dict)
    for r in _query(store, mn, cn, start, end):
        out[r["data_time"]][r["factor"]] = r
    return out


def _first_records_many(store: Store, mns: list[str], cn: str, start: datetime,
                        end: datetime, factors: set[str]
                        ) -> dict[str, dict[datetime, dict[str, dict]]]:
    """`_first_records` for several points in one query (one scan of the period instead of
    one per point: the records table has no index on mn, only time-ordered row groups)."""
    names = ", ".join(_FIELDS)
    marks = ", ".join("?" for _ in mns)
    factor_marks = ", ".join("?" for _ in factors)
    rows = store.query(
        f"""
        SELECT mn, {names} FROM (
            SELECT mn, {names}, ROW_NUMBER() OVER (
                PARTITION BY mn, data_time, factor ORDER BY {RECORDS_FIRST_POLICY}) AS rn
            FROM records
            WHERE mn IN ({marks}) AND cn = ? AND data_time >= ? AND data_time < ?
              AND factor IN ({factor_marks})
        ) ranked
        WHERE rn = 1
        """,
        [*mns, cn, start, end, *sorted(factors)],
    )
    out: dict[str, dict[datetime, dict[str, dict]]] = {mn: defaultdict(dict) for mn in mns}
    for row in rows:
        r = dict(zip(_FIELDS, row[1:], strict=True))
        out[row[0]][r["data_time"]][r["factor"]] = r
    return out


def _lookback_start(start: datetime, config: AccountingConfig) -> tuple[datetime, datetime]:
    first = month_start(start)  # Beijing month and quarter, whatever zone `start` is in
    quarter_start = first.replace(month=(first.month - 1) // 3 * 3 + 1)
    return min(start - timedelta(hours=config.lookback_hours), quarter_start), quarter_start


def _hours_from_minutes(store: Store, mn: str, start: datetime, end: datetime,
                        config: AccountingConfig) -> dict[datetime, dict[str, dict]]:
    """2061-like hourly records formed from 2051 minutes (HJ 75 ≥ 45 valid minutes)."""
    rows = _query(store, mn, "2051", start, end)
    by_factor: dict[str, list] = defaultdict(list)
    for r in rows:
        by_factor[r["factor"]].append((r["data_time"], r["avg"], r["flag"]))
    out: dict[datetime, dict[str, dict]] = defaultdict(dict)
    for factor, minutes in by_factor.items():
        for hour, h in hourly_from_minutes(minutes, min_valid=config.min_valid_minutes,
                                           valid_flags=config.valid_flags,
                                           stopped_over=config.stopped_over_minutes).items():
            flag = {"valid": config.valid_flags[0], "stopped": "F"}.get(h.status, "D")
            out[hour][factor] = {"avg": h.avg, "cou": None, "zs_avg": None, "flag": flag,
                                 "cn": "2051"}
    return out


def _plausible(value: float | None) -> bool:
    """A number no validity rule refuses: finite, ≥ 0 and below the magnitude no instrument
    sends (hj212.codes.MAX_PLAUSIBLE_MAGNITUDE, the receiver's rule too: a record stored
    before that rule, with flag N and 1e308, is still never valid here)."""
    return value is not None and 0 <= value < MAX_PLAUSIBLE_MAGNITUDE  # False for NaN


def _valid(r: dict | None, config: AccountingConfig) -> bool:
    return (r is not None and (r.get("flag") or "N") in config.valid_flags
            and _plausible(r.get("avg")))


def _volume(kind: str, r: dict | None, config: AccountingConfig) -> float | None:
    if not _valid(r, config):
        return None
    if _plausible(r.get("cou")):
        return r["cou"]
    return r["avg"] * (3600.0 if kind == "gas" else 3.6)


class _Exempt:
    """Whether an hour is exempt (停产/停运/停排) for the point: the marks covering it that
    count by the transmission assessment's rules (proof, deadlines: envmon.assess.
    exemption_rules), as known now."""

    def __init__(self, store: Store, point: PointInfo, start: datetime, end: datetime,
                 rules) -> None:
        from envmon.assess.exemption_rules import ExemptionMark
        from envmon.timeutil import now_beijing

        self.rules, self.as_of = rules, now_beijing()
        self.marks = [ExemptionMark(*r) for r in store.query(
            "SELECT start_time, end_time, created_at, proof, revoked_at FROM exemptions "
            "WHERE unit_id = ? AND (mn IS NULL OR mn = ?) AND end_time > ? "
            "AND start_time < ? ORDER BY start_time", [point.unit_id, point.mn, start, end])]

    def __bool__(self) -> bool:
        return bool(self.marks)

    def __call__(self, hour: datetime) -> bool:
        from envmon.assess.exemption_rules import counts

        return any(counts(self.rules, m, hour, self.as_of) for m in self.marks)


def _nox_from_parts(rec: dict[str, dict], config: AccountingConfig) -> None:
    """NOx as NO2 from separately reported NO and NO2 mass concentrations, NO·46/30 + NO2
    (HJ 212-2017 Appendix D; emissions.md §2, §9.3), when the hour has no NOx value."""
    if NOX in rec or NO not in rec or NO2 not in rec:
        return
    no, no2 = rec[NO], rec[NO2]
    if _valid(no, config) and _valid(no2, config):
        rec[NOX] = {"avg": float(formulas.nox_as_no2_mg_m3(no["avg"], no2["avg"])),
                    "cou": None, "zs_avg": None, "flag": config.valid_flags[0],
                    "cn": no.get("cn", "2061")}
    else:
        bad = no if not _valid(no, config) else no2
        rec[NOX] = {"avg": None, "cou": None, "zs_avg": None, "flag": bad.get("flag") or "D",
                    "cn": no.get("cn", "2061")}


class _QuarterToDate:
    """α for an hour: the capture rate of its calendar quarter up to the end of its month
    (quarter-to-date as of the month being accounted), so that a year's total is the sum of
    its months' totals. Hours before the point's first data do not count (they stay in the
    results as missing hours, with 0 kg: there is nothing to substitute from)."""

    def __init__(self, series: list[HourEmission], first_data: datetime | None):
        self.series = [h for h in series if first_data is None or h.hour >= first_data]
        self.cache: dict[tuple[datetime, datetime], float] = {}

    def __call__(self, hour: datetime) -> float:
        month = month_start(hour)  # the Beijing month, whatever zone the hour came in
        quarter = month.replace(month=(month.month - 1) // 3 * 3 + 1)
        key = (quarter, next_month(month))
        if key not in self.cache:
            part = [h for h in self.series if key[0] <= h.hour < key[1]]
            self.cache[key] = capture_rate_pct(
                len(part), sum(h.status == "stopped" for h in part),
                sum(h.status in ("invalid", "missing") for h in part))
        return self.cache[key]


def point_emissions(store: Store, point: PointInfo, start: datetime, end: datetime,
                    config: AccountingConfig | None = None, *,
                    hourly: dict | None = None) -> list[PollutantResult]:
    """Hourly emissions of each registered pollutant of `point` in [start, end). `hourly`:
    the point's 2061 records from the lookback start on, if already fetched."""
    config = config or AccountingConfig()
    kind = point.kind
    since, quarter_start = _lookback_start(start, config)
    if hourly is None:
        hourly = _first_records(store, point.mn, "2061", since, end)
    in_period = {start + k * HOUR for k in range(int((end - start) / HOUR))}
    flow_code = GAS_FLOW if kind == "gas" else WATER_FLOW
    needed = {*point.factors, flow_code} | ({O2} if kind == "gas" else set())
    # hours without a 2061 upload, or whose upload lacks a needed factor: from the minutes
    incomplete = sorted(h for h in in_period if not needed <= hourly.get(h, {}).keys())
    if incomplete:
        derived = _hours_from_minutes(store, point.mn, incomplete[0], incomplete[-1] + HOUR,
                                      config)
        for hour in incomplete:
            if hour in derived:
                hourly[hour] = {**derived[hour], **hourly.get(hour, {})}
    if NOX in point.factors:
        for rec in hourly.values():
            _nox_from_parts(rec, config)
    exempt = (_Exempt(store, point, since, end, config.exemption_rules)
              if config.use_exemptions else None)
    first = start if not hourly else max(since, min(hourly))
    first = min(first, start)
    history = store.registry_history([point.mn]).get(point.mn) or PointHistory(point.mn)
    removed = history.removed_factors(start, point.factors)  # still measured in the period
    results = []
    for factor, current_limit in sorted({**dict.fromkeys(removed), **point.factors}.items()):
        factor_end = min(end, removed.get(factor, end))
        series: list[HourEmission] = []
        # the values in force in the period (a later re-import does not rewrite it)
        limit = history.limit_at(factor, max(start, end - HOUR), current_limit)
        scale = water_mg_per_l_scale(factor, config)
        hour = first
        while hour < factor_end:
            o2_ref = history.o2_ref_at(hour, point.o2_ref)
            rec = hourly.get(hour)
            if rec is None:
                status = "stopped" if exempt and exempt(hour) else "missing"
                series.append(HourEmission(hour, None, None, None, None, 0.0, status, None,
                                           "none"))
                hour += HOUR
                continue
            r, flow = rec.get(factor), rec.get(flow_code)
            source = (r or {}).get("cn", "2061")
            flags = {(x.get("flag") or "N") for x in (r, flow) if x is not None}
            volume = _volume(kind, flow, config)
            measured = _valid(r, config) and volume is not None
            exempted = bool(exempt) and exempt(hour)
            if "F" in flags or (exempted and not measured):
                status = "stopped"  # real data inside an exemption still count
            elif measured:
                status = "valid"
            else:
                status = "invalid" if r is not None or flow is not None else "missing"
            conc = r["avg"] if status == "valid" else None
            if conc is not None and kind != "gas":
                # in mg/L whatever unit the factor arrives in (µg/L for 总汞 …, HJ 212-2017
                # Table B.1): the kg and the comparison with the standard's mg/L limit need it
                conc = conc * scale
            corrected = None
            if conc is not None:
                if kind == "gas":
                    corrected = r.get("zs_avg")
                    if corrected is not None and not _plausible(corrected):
                        corrected = None  # the unit's Zs value is no number to judge by
                    if corrected is None and o2_ref is not None:
                        o2 = rec.get(O2)
                        if _valid(o2, config):
                            corrected = formulas.o2_corrected_mg_m3(
                                conc, o2["avg"], o2_ref, config.o2_cutoff_pct)
                            if math.isnan(corrected):
                                corrected = None
                    elif corrected is None:
                        corrected = conc
                else:
                    corrected = conc
            if conc is not None:
                kg = float(formulas.gas_emission_kg(conc, volume) if kind == "gas"
                           else formulas.water_emission_kg(conc, volume))
            else:
                kg = None
            series.append(HourEmission(hour, conc, corrected, volume, kg, kg or 0.0, status,
                                       None, source,
                                       history.limit_at(factor, hour, current_limit)))
            hour += HOUR
        alpha_of = _QuarterToDate(series, min(hourly) if hourly else None)
        alpha = alpha_of(max(start, end - HOUR))
        if kind == "gas" and factor in config.substitution.factors:
            subs = substitute([HourInput(h.hour, h.measured_kg, h.status) for h in series],
                              alpha_of, config.substitution)
            for h, s in zip(series, subs, strict=True):
                h.kg, h.rule = s.kg, s.rule
        results.append(PollutantResult(
            point.mn, point.unit_id, point.unit_name, point.outlet_id, point.outlet_name,
            point.county_code, point.city_code, kind, factor, limit,
            [h for h in series if start <= h.hour < end], alpha))
    for result in results:
        check_finite(result)
    return results


class NonFiniteFigureError(EnvmonError, ArithmeticError):
    """A mass or money figure came out NaN or infinite: the command names where, and prints
    no figure rather than a wrong one."""


def check_finite(result: PollutantResult) -> None:
    """Every hourly mass of `result` and their sum is finite, or NonFiniteFigureError naming
    the point, factor and hour (with the input rules above it cannot happen; this is the
    guard that keeps an overflow from ever becoming a tax figure)."""
    for h in result.hours:
        for what, value in (("kg", h.kg), ("measured kg", h.measured_kg),
                            ("concentration", h.conc), ("corrected", h.corrected),
                            ("volume m³", h.volume_m3)):
            if value is not None and not math.isfinite(value):
                raise NonFiniteFigureError(
                    f"emissions: {what} of {result.mn} {result.factor} at "
                    f"{h.hour.isoformat()} is {value!r} (not a finite number; status "
                    f"{h.status}): no total or tax is computed from it")
    if not math.isfinite(result.kg):
        raise NonFiniteFigureError(
            f"emissions: the total of {result.mn} {result.factor} overflows ({result.kg!r})")


def emissions(store: Store, start: datetime, end: datetime, *, unit_id: str | None = None,
              config: AccountingConfig | None = None) -> list[PollutantResult]:
    """Every point's (or one unit's) pollutants over [start, end)."""
    config = config or AccountingConfig()
    points = [p for p in store.list_points() if unit_id is None or p.unit_id == unit_id]
    since, _ = _lookback_start(start, config)
    histories = store.registry_history([p.mn for p in points])
    out = []
    for k in range(0, len(points), POINTS_PER_QUERY):
        chunk = points[k:k + POINTS_PER_QUERY]
        needed = {GAS_FLOW, WATER_FLOW, O2, NO, NO2} | {f for p in chunk for f in p.factors}
        for p in chunk:  # factors removed by a later re-import still count before it
            if p.mn in histories:
                needed |= set(histories[p.mn].removed_factors(start, p.factors))
        fetched = _first_records_many(store, [p.mn for p in chunk], "2061", since, end, needed)
        for point in chunk:
            out += point_emissions(store, point, start, end, config, hourly=fetched[point.mn])
    return out


POINTS_PER_QUERY = 50


def totals(results: list[PollutantResult], level: str = "unit",
           period: str = "month") -> list[dict]:
    """kg (and t) per `level` (point | unit | county | city) and factor and `period`
    (day | month | year | all): day = Σ hours, month = Σ days, year = Σ months (§1.1)."""
    keyers = {"point": lambda r: r.mn, "unit": lambda r: r.unit_id,
              "county": lambda r: r.county_code, "city": lambda r: r.city_code}
    acc: dict[tuple, float] = defaultdict(float)
    for r in results:
        for day, kg in r.daily_kg().items():
            label = {"day": day.isoformat(), "month": f"{day:%Y-%m}", "year": f"{day:%Y}",
                     "all": "all"}[period]
            acc[(keyers[level](r), r.factor, label)] += kg
    return [{level: k, "factor": f, "period": p, "kg": kg, "t": kg * 1e-3}
            for (k, f, p), kg in sorted(acc.items())]


def monthly_tax(store: Store, start: datetime, end: datetime, *,
                config: AccountingConfig | None = None,
                tax_config: TaxConfig | None = None,
                results: list[PollutantResult] | None = None,
                unit_id: str | None = None) -> list[TaxLine]:
    """The month's tax lines for every unit, or for `unit_id` (emissions.md §9.3).

    Refuses (`UnconfiguredProvinceError`, naming the provinces and their units) when a unit's
    province has no rate in force: selecting a unit of a configured province still works."""
    tax_config = tax_config or TaxConfig()
    if results is None:
        results = emissions(store, start, end, config=config, unit_id=unit_id)
    config = config or AccountingConfig()
    inputs = []
    for r in results:
        general_dust = r.mn in tax_config.general_dust_points
        if tax_item(r.kind, r.factor, general_dust=general_dust) is None:
            continue
        province = r.county_code[:2] + "0000"
        if is_per_tonne(r.kind, r.factor):
            counted = per_tonne.count(r.factor, r.hours, r.limit, config.colour_multiple)
            if counted.equivalents is None:
                continue  # not_taxed reports it with counted.reason
            inputs.append(PollutantMonth(
                r.unit_id, r.outlet_id, r.kind, r.factor, 0.0, None, None, r.exceeded,
                general_dust, province, counted.equivalents, counted.basis))
            continue
        inputs.append(PollutantMonth(
            r.unit_id, r.outlet_id, r.kind, r.factor, r.kg, r.mean_concentration, r.limit,
            r.exceeded, general_dust, province))
    missing = unconfigured_provinces(inputs, start.date(), tax_config)
    if missing:
        names = _region_names(store, list(missing))
        raise UnconfiguredProvinceError(
            {code: (names.get(code, ""), units) for code, units in missing.items()},
            start.date())
    lines = compute_tax(inputs, start.date(), tax_config)
    for line in lines:
        for what in ("emission_kg", "equivalents", "tax_yuan"):
            value = getattr(line, what)
            if not math.isfinite(value):
                raise NonFiniteFigureError(
                    f"tax: {what} of unit {line.unit_id} outlet {line.outlet_id} "
                    f"{line.factor} is {value!r} (not a finite number): no tax is printed")
    usable = {(r.unit_id, r.outlet_id, r.factor): r.usable_for_tax for r in results}
    for line in lines:
        line.extra["usable_for_tax"] = usable.get((line.unit_id, line.outlet_id, line.factor),
                                                  True)
        if not line.extra["usable_for_tax"]:
            line.reason = ("有效数据捕集率低于75%，本月自动监测数据不能作为计税依据，"
                           "应采用排污系数或物料衡算（财税〔2018〕117号）；" + line.reason)
        line.extra["outlet_name"] = next(
            (r.outlet_name for r in results if r.unit_id == line.unit_id
             and r.outlet_id == line.outlet_id), "")
        line.extra["unit_name"] = next(
            (r.unit_name for r in results if r.unit_id == line.unit_id), "")
    return lines


def not_taxed(results: list[PollutantResult],
              config: AccountingConfig | None = None) -> list[dict]:
    """The monitored factors that give no tax line, each with why (环境保护税法 Annex 2): not
    an item (总氮), a per-tonne item that cannot be counted (pH without a valid hour, 色度 or
    大肠菌群数 without a limit: per_tonne.count), or a factor the table lacks. A factor is
    never dropped without a word: that would change which items make the top N."""
    config = config or AccountingConfig()
    out = []
    for r in results:
        reason = untaxed_reason(r.kind, r.factor)
        if reason is None and is_per_tonne(r.kind, r.factor):
            reason = per_tonne.count(r.factor, r.hours, r.limit,
                                     config.colour_multiple).reason or None
        if reason is not None:
            out.append({"unit_id": r.unit_id, "unit_name": r.unit_name,
                        "outlet_id": r.outlet_id, "mn": r.mn, "kind": r.kind,
                        "factor": r.factor, "kg": r.kg, "reason": reason})
    return out


def _region_names(store: Store, codes: list[str]) -> dict[str, str]:
    marks = ", ".join("?" for _ in codes)
    rows = store.query(f"SELECT code, name FROM regions WHERE code IN ({marks})", codes)
    return {code: name for code, name in rows if name}


@dataclass
class DerivedHour:
    """One hour of one factor formed from the unit's minute data (2051), next to what the
    unit itself reported for the hour (2061), for checking."""

    hour: datetime
    factor: str
    status: str  # valid | invalid | stopped
    valid_minutes: int
    avg: float | None  # measured (dry, standard state for CEMS gas)
    corrected: float | None  # gas: with the hour's mean O2 and the point's reference O2
    flow_m3_h: float | None  # gas m³/h (a00000 m³/s × 3600); water m³/h (L/s × 3.6)
    kg: float | None
    reported_avg: float | None
    reported_corrected: float | None

    @property
    def difference_pct(self) -> float | None:
        if self.avg is None or self.reported_avg in (None, 0):
            return None
        return (self.reported_avg - self.avg) / self.reported_avg * 100.0


def hours_from_minutes(store: Store, point: PointInfo, start: datetime, end: datetime,
                       config: AccountingConfig | None = None) -> list[DerivedHour]:
    """HJ 75 hourly values from a point's 2051 minutes in [start, end): the mean of the valid
    minutes when there are ≥ 45 (emissions.md §1.1), the O2-corrected value from the hour's
    mean O2 (ASSUMPTION: correction of the hourly means, not a mean of corrected minutes), the
    hour's flow and emission, and the unit's own 2061 values for comparison."""
    config = config or AccountingConfig()
    derived = _hours_from_minutes(store, point.mn, start, end, config)
    reported = _first_records(store, point.mn, "2061", start, end)
    flow_code = GAS_FLOW if point.kind == "gas" else WATER_FLOW
    minutes = _query(store, point.mn, "2051", start, end)
    counts: dict[tuple[datetime, str], int] = defaultdict(int)
    for r in minutes:
        if (r["flag"] or "N") in config.valid_flags and r["avg"] is not None and r["avg"] >= 0:
            counts[(r["data_time"].replace(minute=0, second=0, microsecond=0), r["factor"])] += 1
    history = store.registry_history([point.mn]).get(point.mn) or PointHistory(point.mn)
    out = []
    for hour in sorted(derived):
        rec = derived[hour]
        o2_ref = history.o2_ref_at(hour, point.o2_ref)  # the value in force at the hour
        flow = rec.get(flow_code)
        flow_m3_h = None
        if _valid(flow, config):
            flow_m3_h = flow["avg"] * (3600.0 if point.kind == "gas" else 3.6)
        o2 = rec.get(O2)
        for factor in sorted(point.factors):
            r = rec.get(factor)
            if r is None:
                continue
            status = ("valid" if _valid(r, config)
                      else "stopped" if r.get("flag") == "F" else "invalid")
            avg = r["avg"] if status == "valid" else None
            corrected = avg
            if avg is not None and point.kind == "gas" and o2_ref is not None:
                corrected = None
                if _valid(o2, config):
                    value = formulas.o2_corrected_mg_m3(avg, o2["avg"], o2_ref,
                                                        config.o2_cutoff_pct)
                    corrected = None if math.isnan(value) else value
            kg = None
            if avg is not None and flow_m3_h is not None:
                kg = float(formulas.gas_emission_kg(avg, flow_m3_h) if point.kind == "gas"
                           else formulas.water_emission_kg(avg, flow_m3_h))
            rep = reported.get(hour, {}).get(factor)
            out.append(DerivedHour(
                hour, factor, status, counts.get((hour, factor), 0), avg, corrected,
                flow_m3_h, kg, rep["avg"] if rep else None, rep["zs_avg"] if rep else None))
    return out
