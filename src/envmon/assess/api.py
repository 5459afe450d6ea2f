"""Use cases of the transmission assessment: assess a period, the marks that change it
(exemptions, corrections), the back-fill log and the monthly 通报.

Where a new use case goes: here, as `(store, period, options) -> Result`. The period is an
`envmon.period.Period` (the 通报 wants a calendar month); the options a frozen dataclass
validated in `__post_init__` (typed with the enums below, raising `envmon.errors.OptionError`
with the CLI's option name); the result a dataclass with `as_json()` (the JSON contract of the
command), `as_table()`/`bulletin()` where it has them and `default_stem`. Counting rules live
in `sql.py` and `compute.py`, the marks in `marks.py`; the doors (`envmon.cli.assess`, the web
app) only parse, call and render.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from envmon.assess.compute import LEVELS
from envmon.assess.config import (
    AGGREGATES,
    NETWORKED_BY,
    NETWORKED_RULES,
    PASS_COMPARE,
    RANK_BY,
    AssessConfig,
)
from envmon.assess.marks import (
    CorrectionAction,
    ExemptionKind,
    check_author,
    check_unit_or_point,
    correction_action,
    exemption_kind,
)
from envmon.choices import choice, optional_choice
from envmon.errors import OptionError
from envmon.period import Period
from envmon.reports.provisional import ProvisionalFigures, marked, provisional_as_of, titled
from envmon.timeutil import BEIJING_FIXED, now_beijing

Level = StrEnum("Level", {v.upper(): v for v in LEVELS})
"""point → unit → county → city → province."""
Aggregate = StrEnum("Aggregate", {v.upper(): v for v in AGGREGATES})
NetworkedRule = StrEnum("NetworkedRule", {v.upper(): v for v in NETWORKED_RULES})
NetworkedBy = StrEnum("NetworkedBy", {v.upper(): v for v in NETWORKED_BY})
PassCompare = StrEnum("PassCompare", {v.upper(): v for v in PASS_COMPARE})
RankBy = StrEnum("RankBy", {v.upper(): v for v in RANK_BY})
MarkKind = StrEnum("MarkKind", {"EXEMPTION": "exemptions", "CORRECTION": "corrections"})
"""The two kinds of marks, by their table."""
# ExemptionKind (--kind) and CorrectionAction (--action) live with the marks (`marks.py`), whose
# checks the options below call, so a direct caller of `marks` is checked the same way.

# AssessConfig field → the command-line option that sets it (for OptionError)
_OPTION_OF = {"instant_hours": "--instant-hours", "complete_days": "--complete-days",
              "valid_flags": "--valid-flags", "aggregate": "--aggregate",
              "networked_rule": "--networked-rule", "pass_mark": "--pass-mark",
              "rank_by": "--rank-by", "marks_require_proof": "--marks-without-proof",
              "mark_deadline_day": "--mark-deadline-day", "networked_by": "--networked-by",
              "pass_compare": "--pass-compare"}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


# ---------------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class AssessSettings:
    """Overrides of the [assess] settings (`AssessConfig`), each named after its option; None
    keeps the base setting. `config` is the base with the overrides, checked one by one so
    that a bad value names its option."""

    base: AssessConfig = field(default_factory=AssessConfig)
    instant_hours: float | None = None
    complete_days: float | None = None
    valid_flags: tuple[str, ...] | str | None = None
    aggregate: Aggregate | None = None
    networked_rule: NetworkedRule | None = None
    pass_mark: Decimal | float | str | None = None
    rank_by: RankBy | None = None
    marks_require_proof: bool | None = None
    mark_deadline_day: int | None = None
    """0 means no deadline."""
    networked_by: NetworkedBy | None = None
    pass_compare: PassCompare | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "aggregate", optional_choice(Aggregate, self.aggregate, "--aggregate"))
        set_(self, "networked_rule",
             optional_choice(NetworkedRule, self.networked_rule, "--networked-rule"))
        set_(self, "rank_by", optional_choice(RankBy, self.rank_by, "--rank-by"))
        set_(self, "networked_by",
             optional_choice(NetworkedBy, self.networked_by, "--networked-by"))
        set_(self, "pass_compare",
             optional_choice(PassCompare, self.pass_compare, "--pass-compare"))
        if isinstance(self.valid_flags, str):
            set_(self, "valid_flags",
                 tuple(f.strip() for f in self.valid_flags.split(",") if f.strip()))
        if self.pass_mark is not None:
            try:
                set_(self, "pass_mark", Decimal(str(self.pass_mark)))
            except InvalidOperation:
                raise OptionError("--pass-mark", f"{self.pass_mark!r} is not a number") from None
        day = self.mark_deadline_day
        if day is not None and not 0 <= day <= 28:
            raise OptionError("--mark-deadline-day", f"give a day 1–28 of the next month, or 0 "
                                                     f"for no deadline, not {day}")
        changes = self.changes()
        for name, value in changes.items():  # one at a time: the error names its option
            try:
                dataclasses.replace(self.base, **{name: value})
            except ValueError as error:
                raise OptionError(_OPTION_OF[name], str(error)) from None
        set_(self, "_config", dataclasses.replace(self.base, **changes))

    def changes(self) -> dict[str, Any]:
        out = {}
        for name in _OPTION_OF:
            value = getattr(self, name)
            if value is None:
                continue
            if name == "mark_deadline_day" and value == 0:
                value = None
            out[name] = value.value if isinstance(value, StrEnum) else value
        return out

    @property
    def config(self) -> AssessConfig:
        return self._config  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------- assess
AS_OF_CLOCK_SKEW = timedelta(minutes=1)
"""How far past this machine's clock an as-of may lie and still count as now: another
machine's clock (the one that printed the time a user pasted) may run a little ahead."""


def checked_as_of(as_of: datetime | None, now: datetime | None = None,
                  option: str = "--as-of") -> datetime | None:
    """`--as-of` as given, refused (OptionError naming `option`) when it lies in the future:
    an assessment "as known" at a time that has not come would count the hours not yet due and
    the receipts not yet possible as missing, and a figure dated ahead could be published as
    final (issue 11, item 26)."""
    from envmon.timeutil import BEIJING_FIXED, now_beijing

    if as_of is None:
        return None
    now = now or now_beijing()
    if as_of > now + AS_OF_CLOCK_SKEW:
        raise OptionError(option, f"{as_of.astimezone(BEIJING_FIXED):%Y-%m-%d %H:%M} is in the "
                                  f"future (now is {now.astimezone(BEIJING_FIXED):%Y-%m-%d %H:%M}"
                                  f" Beijing time)")
    return as_of


@dataclass(frozen=True)
class AssessOptions:
    level: Level = Level.CITY
    settings: AssessSettings = field(default_factory=AssessSettings)
    as_of: datetime | None = None
    """Assess as known at this time (default now)."""
    region: str | None = None
    """Only the units of this region (`--region`, a GB/T 2260 code or its prefix: 14, 1401,
    140105 or 140100): the drill-down city → county → unit → point."""
    unit: str | None = None
    """Only this unit and its points (`--unit`, point and unit levels)."""
    parent: str | None = None
    """The drill-down's step (`parent=` of the API and the 传输有效率 page): the rows of the
    level under this row of the level above — a city's counties (level county, a city
    code), a county's units (level unit, a county code), a unit's points (level point, a
    unit's code); the province's cities (level city). Set as `region` or `unit`, so ranked
    among themselves."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "level", choice(Level, self.level, "--level"))
        if self.parent is not None and str(self.parent).strip():
            if self.region is not None or self.unit is not None:
                raise OptionError("--parent", "give either the parent or --region/--unit")
            if self.level.value == "province":
                raise OptionError("--parent", "the province level has no parent")
            field_name = "unit" if self.level.value == "point" else "region"
            option = "--parent"
            if field_name == "region":
                region_prefix(self.parent, option)  # a clear error naming the parent
            object.__setattr__(self, field_name, str(self.parent).strip())
        if self.region is not None:
            prefix = region_prefix(self.region)
            finest = {"province": 2, "city": 4}.get(self.level.value, 6)
            if len(prefix) > finest:
                raise OptionError("--region", f"{self.region} is finer than the level "
                                  f"{self.level.value}: its rows would be cut apart; ask "
                                  "the level below")
            object.__setattr__(self, "region", prefix)
        if self.unit is not None:
            if not str(self.unit).strip():
                raise OptionError("--unit", "give a unit's code (统一社会信用代码)")
            if self.level.value not in ("point", "unit"):
                raise OptionError("--unit", "filters the point and unit levels; use "
                                  "--level point or unit")


def region_prefix(code: str, option: str = "--region") -> str:
    """A GB/T 2260 code as the prefix its region's codes share: "140100" (太原市) → "1401",
    "140000" → "14", "140105" stays; 2 to 6 digits, else OptionError naming `option`."""
    text = str(code).strip()
    if not (text.isascii() and text.isdigit() and len(text) in (2, 4, 6)):
        raise OptionError(option, f"{code!r} is not a GB/T 2260 region code (2, 4 or 6 "
                                  "digits: 14, 1401, 140105)")
    while len(text) > 2 and text.endswith("00"):
        text = text[:-2]
    return text


def _in_scope(assessment, options: AssessOptions):
    """The assessment of the units (and their points) `--region`/`--unit` keep; regions are
    rolled up and rows ranked among what is kept. Unchanged without them."""
    if options.region is None and options.unit is None:
        return assessment
    def keep(unit) -> bool:
        codes = (unit.parent.get(k) or "" for k in ("county_code", "city_code",
                                                    "province_code"))
        return ((options.region is None or any(c.startswith(options.region) for c in codes))
                and (options.unit is None or unit.code == options.unit))

    units = [u for u in assessment.units if keep(u)]
    if options.unit is not None and not units:
        raise OptionError("--unit", f"no unit {options.unit!r} in the assessment"
                          + (f" of region {options.region}" if options.region else ""))
    kept = {u.code for u in units}
    points = [p for p in assessment.points if p.parent.get("unit_id") in kept]
    return dataclasses.replace(assessment, units=units, points=points)


@dataclass(frozen=True)
class AssessmentResult(ProvisionalFigures):
    """One level of an assessment, best first, ranked."""

    assessment: Any  # envmon.assess.compute.Assessment
    level: Level
    period: Period
    provisional_as_of: datetime | None = None
    """When the period was still in progress at the assessment's as-of time: that time."""

    def as_json(self) -> dict[str, Any]:
        """{"from", "to", "instant_hours", "complete_days", "rows": [...], "provisional"}:
        rates in percent with two decimals (GB/T 8170), null when nothing was due;
        provisional while the period has not ended."""
        return {**self.assessment.as_json(self.level.value), "provisional": self.provisional}

    def _table_bulletin(self):
        from envmon.reports.transmission import assessment_bulletin

        return assessment_bulletin(self.assessment, self.level.value)

    def bulletin(self):
        return marked(self._table_bulletin(), self.provisional_as_of)

    def as_table(self):
        """The bulletin's table (rank, code, name, counts, 即时/补全 rates) for csv and the
        terminal; its title says 初步统计 while the period has not ended."""
        from envmon.render import Column, Table
        block = self._table_bulletin().blocks[0]
        columns = [Column(c.key, c.header, c.width, c.number_format) for c in block.columns]
        rows = [tuple(getattr(row.get(c.key), "value", row.get(c.key)) for c in block.columns)
                for row in block.rows]
        return Table(titled(block.title, self.provisional_as_of), columns, rows)

    @property
    def default_stem(self) -> str:
        p = self.period
        label = p.label or f"{p.start:%Y%m%d%H}-{p.end:%Y%m%d%H}"
        return f"assess-{label}-{self.level.value}"


def assess_period(store, period: Period, options: AssessOptions | None = None
                  ) -> AssessmentResult:
    """Assess the period (its elapsed hours when in progress: provisional) at one level."""
    from envmon.assess.compute import assess
    options = options or AssessOptions()
    result = _in_scope(assess(store, period.start, period.end, options.settings.config,
                              as_of=options.as_of), options)
    return AssessmentResult(result, options.level, period,
                            provisional_as_of(period, result.as_of))


# ---------------------------------------------------------------------------------- marks
# A mark covers whole hours (the hourly figures are cut on them): --from and --to on the hour,
# or the mark would silently cover a part it cannot.
MARKS_COVER_WHOLE_HOURS = " (marks cover whole hours)"


@dataclass(frozen=True)
class MarkAdded:
    kind: MarkKind
    id: int
    note: str | None = None
    """A warning for the person who entered it (e.g. no proof: the mark does not count)."""

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value[:-1], "id": self.id, "note": self.note}

    def __str__(self) -> str:
        return f"{self.kind.value[:-1]} {self.id} added"


@dataclass(frozen=True)
class ExemptionOptions:
    kind: ExemptionKind
    by: str
    reason: str
    unit: str | None = None
    mn: str | None = None
    proof: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", exemption_kind(self.kind))
        check_author(self.by, self.reason)
        check_unit_or_point(self.unit, self.mn)


# Marks (exemptions, corrections) cover the platform's years: none starts before 2000 (the
# HJ 212 protocol is from 2005; an older date is a typo, and before 1901 Asia/Shanghai would
# even print local mean time, +08:05:43), and none ends more than a year ahead (a planned
# stop is announced for the coming months, not for decades).
MARKS_EARLIEST = datetime(2000, 1, 1, tzinfo=BEIJING_FIXED)
MARKS_AHEAD = timedelta(days=366)


def check_mark_period(period: Period, now: datetime | None = None) -> None:
    """OptionError naming --from for a start before `MARKS_EARLIEST`, --to for an end more
    than `MARKS_AHEAD` after now."""
    if period.start < MARKS_EARLIEST:
        raise OptionError("--from", f"{period.start.astimezone(BEIJING_FIXED).isoformat()} "
                          f"is before {MARKS_EARLIEST.date().isoformat()}")
    latest = (now or now_beijing()) + MARKS_AHEAD
    if period.end > latest:
        raise OptionError("--to", f"{period.end.astimezone(BEIJING_FIXED).isoformat()} is "
                          f"more than a year ahead (latest {latest:%Y-%m-%d})")


def add_exemption(store, period: Period, options: ExemptionOptions) -> MarkAdded:
    """Register an exemption period (停产/停运/停排); its hours leave the should-count."""
    from envmon.assess import marks

    period.require_on_the_hour(why=MARKS_COVER_WHOLE_HOURS)
    check_mark_period(period)
    new_id = marks.add_exemption(store, kind=options.kind.value, start=period.start,
                                 end=period.end,
                                 by=options.by, reason=options.reason, unit_id=options.unit,
                                 mn=options.mn, proof=options.proof)
    note = None if options.proof else (
        "without --proof the period does not count (marks_require_proof); add it again with "
        "a proof reference when one exists")
    return MarkAdded(MarkKind.EXEMPTION, new_id, note)


@dataclass(frozen=True)
class CorrectionOptions:
    mn: str
    action: CorrectionAction
    by: str
    reason: str
    factor: str | None = None
    value: float | None = None
    proof: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "action", correction_action(self.action))
        check_author(self.by, self.reason)
        if self.action is CorrectionAction.REPAIR and self.value is None:
            raise OptionError("--value", "a repair supplies the hourly value: give --value")
        if self.action is CorrectionAction.INVALIDATE and self.value is not None:
            raise OptionError("--value", "an invalidation takes no value (only a repair does)")


def add_correction(store, period: Period, options: CorrectionOptions) -> MarkAdded:
    """Register a manual correction (修约); the stored records are never changed."""
    from envmon.assess import marks

    period.require_on_the_hour(why=MARKS_COVER_WHOLE_HOURS)
    check_mark_period(period)
    new_id = marks.add_correction(store, mn=options.mn, action=options.action.value,
                                  start=period.start, end=period.end, by=options.by,
                                  reason=options.reason, factor=options.factor,
                                  value=options.value, proof=options.proof)
    note = ("a repair without --proof does not count (marks_require_proof)"
            if options.action is CorrectionAction.REPAIR and not options.proof else None)
    return MarkAdded(MarkKind.CORRECTION, new_id, note)


@dataclass(frozen=True)
class RevokeOptions:
    kind: MarkKind
    mark_id: int
    by: str
    reason: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", choice(MarkKind, self.kind, "kind"))
        check_author(self.by, self.reason)


@dataclass(frozen=True)
class MarkRevoked:
    kind: MarkKind
    id: int

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value[:-1], "id": self.id, "revoked": True}

    def __str__(self) -> str:
        return f"{self.kind.value[:-1]} {self.id} revoked"


def revoke_mark(store, options: RevokeOptions) -> MarkRevoked:
    """Revoke an exemption or correction: the row stays, stamped with who, when and why."""
    from envmon.assess import marks

    marks.revoke(store, options.kind.value, options.mark_id, by=options.by,
                 reason=options.reason)
    return MarkRevoked(options.kind, options.mark_id)


# What the tables (terminal, XLSX, HTML) call the columns of the mark lists and the back-fill
# log; the CSV and JSON keep the English keys (contract).
COLUMN_LABELS_ZH = {
    "id": "编号", "unit_id": "单位代码", "mn": "MN", "kind": "类型", "start_time": "开始时间",
    "end_time": "结束时间", "reason": "原因", "proof": "证明材料", "created_by": "录入人",
    "created_at": "录入时间", "revoked_by": "撤销人", "revoked_at": "撤销时间",
    "revoke_reason": "撤销原因", "factor": "因子", "action": "修约方式", "value": "修约值",
    "cn": "命令编码", "qn": "请求编号", "begin_time": "补遗开始", "hours": "小时数",
    "trigger": "触发方式", "requested_at": "请求时间", "qn_rtn": "请求应答", "exe_rtn": "执行结果",
    "finished_at": "完成时间", "outcome": "结果",
}
ROWS_TITLES_ZH = {"exemptions": "停产/停运/停排标记", "corrections": "人工修约",
                  "backfill-log": "补遗请求记录"}


@dataclass(frozen=True)
class Rows:
    """A list of records (marks, back-fill requests): JSON objects with ISO times."""

    columns: tuple[str, ...]
    rows: tuple[tuple, ...]
    default_stem: str = "rows"
    json_layout = "lines"  # JSON lines: one object per line, nothing for no rows

    def as_json(self) -> list[dict[str, Any]]:
        return [{k: _plain(v) for k, v in zip(self.columns, row, strict=True)}
                for row in self.rows]

    def as_table(self):
        from envmon.render import Column, Table

        return Table(ROWS_TITLES_ZH.get(self.default_stem, self.default_stem),
                     [Column(c, COLUMN_LABELS_ZH.get(c, c)) for c in self.columns],
                     list(self.rows))


@dataclass(frozen=True)
class MarkListOptions:
    kind: MarkKind
    point: str | None = None
    """Only the marks that cover this MN (its own; for exemptions its unit's too)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", choice(MarkKind, self.kind, "kind"))


def list_marks(store, options: MarkListOptions) -> Rows:
    """Every exemption or correction, revoked ones included, by id."""
    from envmon.assess import marks

    kind = options.kind
    columns = {MarkKind.EXEMPTION: marks.EXEMPTION_COLUMNS,
               MarkKind.CORRECTION: marks.CORRECTION_COLUMNS}[kind]
    listed = marks.list_marks(store, kind.value, options.point)
    return Rows(columns, tuple(tuple(m[c] for c in columns) for m in listed), kind.value)


# ---------------------------------------------------------------------------------- back-fill
BACKFILL_COLUMNS = ("id", "mn", "cn", "qn", "begin_time", "end_time", "hours", "trigger",
                    "requested_at", "qn_rtn", "exe_rtn", "finished_at", "outcome")


@dataclass(frozen=True)
class BackfillLogOptions:
    mn: str | None = None


def backfill_log(store, options: BackfillLogOptions | None = None) -> Rows:
    """The back-fill (补遗) requests sent to units and how each ended, by id."""
    options = options or BackfillLogOptions()
    where, params = ("WHERE mn = ?", [options.mn]) if options.mn else ("", [])
    rows = store.query(f"SELECT {', '.join(BACKFILL_COLUMNS)} FROM backfill_requests {where} "
                       "ORDER BY id", params)
    if options.mn and not rows:  # none, or a mistyped MN?
        from envmon.registry.api import require_known_mn

        require_known_mn(store, options.mn)
    return Rows(BACKFILL_COLUMNS, tuple(tuple(r) for r in rows), "backfill-log")


# ---------------------------------------------------------------------------------- 通报
@dataclass(frozen=True)
class TransmissionReportOptions:
    settings: AssessSettings = field(default_factory=AssessSettings)
    as_of: datetime | None = None


@dataclass(frozen=True)
class TransmissionBulletin(ProvisionalFigures):
    """The monthly 通报 of 联网率 and 即时/补全有效传输率 (XLSX, HTML, PDF; Chinese)."""

    period: Period
    assessment: Any  # envmon.assess.compute.Assessment
    model: Any  # envmon.reports bulletin model (marked provisional by the use case)
    provisional_as_of: datetime | None = None

    def bulletin(self):
        return self.model

    def as_json(self) -> dict[str, Any]:
        """The assessment behind the 通报, by city, and whether the month has ended; under
        "bulletin" the 通报 itself (title, sentences, tables: `reports.transmission`)."""
        from envmon.reports.transmission import bulletin_json

        return {**self.assessment.as_json("city"), "provisional": self.provisional,
                "bulletin": bulletin_json(self.model)}

    @property
    def default_stem(self) -> str:
        return f"transmission-{self.period.label}"


def transmission_report(store, period: Period,
                        options: TransmissionReportOptions | None = None
                        ) -> TransmissionBulletin:
    """Assess a calendar month and build its 通报 (provisional while the month is on)."""
    from envmon.assess.compute import assess
    from envmon.reports.transmission import build_bulletin

    if not period.is_month:
        raise OptionError("--month", "the 通报 is of a calendar month (YYYY-MM)")
    options = options or TransmissionReportOptions()
    # A month that has not begun (as of --as-of) has no figures: refused, never "0 个点位".
    period.refuse_future("--month", options.as_of)
    result = assess(store, period.start, period.end, options.settings.config,
                    as_of=options.as_of)
    provisional = provisional_as_of(period, result.as_of)
    return TransmissionBulletin(period, result,
                                marked(build_bulletin(store, result, period), provisional),
                                provisional)


# ------------------------------------------------------------------------------- text output
# `--format text` of the marks' actions: "exemption 3 added", "correction 2 revoked", what
# these commands always printed. Registered when this module is imported (the CLI imports it
# only when a command runs, so `envmon --help` stays fast).
def _say(result: MarkAdded | MarkRevoked, stream) -> None:
    stream.write(f"{result}\n")


def _register_text_renderers() -> None:
    from envmon.render import renderer

    renderer(MarkAdded, "text")(_say)
    renderer(MarkRevoked, "text")(_say)


_register_text_renderers()
