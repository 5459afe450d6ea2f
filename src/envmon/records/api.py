"""Use cases of the stored monitoring records (`envmon data`): what a point sent, as stored.

Where a new use case goes: here, as `(store, period, options) -> Result`, when it reads the
`records` table as received (one copy per MN, CN, DataTime and factor, picked by the copy
policy of `envmon.store.core_tables`; `point_conflicts` lists the records whose copies
differ). Assessments,
alarms and emissions built on the records belong to their own domain's `api.py`. Options are a
frozen dataclass validated in `__post_init__` (raising `envmon.errors.OptionError` with the
CLI's option name); results are dataclasses with `as_json()` and `as_table()`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from envmon.errors import OptionError
from envmon.ingest.records import STORED_UPLOAD_CNS
from envmon.period import Period, parse_time
from envmon.timeutil import BEIJING_FIXED, now_beijing

FIELDS = (
    "mn", "cn", "data_time", "factor", "rtd", "avg", "min", "max", "cou", "flag", "received_at",
)  # fmt: skip
LABELS_ZH = ("MN", "命令编码", "数据时间", "因子", "实时值", "均值", "最小值", "最大值", "累计值",
             "标记", "接收时间")  # fmt: skip
MARK_FIELDS = ("resent", "st")
"""Added after the fields above (issue 16) on every record: `resent` (the copy arrived
re-sent, HJ 212-2025 RF=1; false for a live one) and `st` (the system code it came with:
ST 44 electricity and 45 production process are series of their own)."""
MARK_LABELS_ZH = ("补传", "系统编码")
DEFAULT_SPAN = timedelta(days=1)
_CN = re.compile(r"[0-9]{4}")


def records_period(start: str | datetime | None, end: str | datetime | None, *,
                   now: datetime | None = None) -> Period:
    """`--from`/`--to` of `envmon data` through `Period.parse`, with this command's defaults:
    --to is now, --from is --to minus `DEFAULT_SPAN` (a glance at the latest records)."""
    end = end if end is not None else (now or now_beijing())
    if start is None:
        start = (parse_time(end, "--to") if isinstance(end, str) else end) - DEFAULT_SPAN
    return Period.parse(start, end, now=now)


@dataclass(frozen=True)
class RecordsOptions:
    mn: str
    cn: str = "2061"
    """Command code of the data: 2011 (real time), 2051 (minute), 2061 (hour), 2031 (day) …"""
    marks: bool = False
    """csv, table, xlsx, html: add the `MARK_FIELDS` columns (JSON always has them; the
    default csv keeps the columns scripts have read since before issue 16)."""

    def __post_init__(self) -> None:
        if not self.mn.strip():
            raise OptionError("--mn", "give the MN of a monitoring point")
        if not _CN.fullmatch(self.cn):
            raise OptionError("--cn", f"{self.cn!r} is not a four-digit command code "
                                      "(2011, 2051, 2061, 2031 …)")
        if self.cn not in STORED_UPLOAD_CNS:  # a command or an answer: it carries no records
            raise OptionError("--cn", f"{self.cn} is not a data upload; records are kept for "
                                      f"{', '.join(sorted(STORED_UPLOAD_CNS))}")


def _plain(record: dict[str, Any], fields=FIELDS) -> dict[str, Any]:
    """`fields` of a stored record, times as Beijing ISO text."""
    out = {}
    for name in fields:
        value = record[name]
        if isinstance(value, datetime):
            value = value.astimezone(BEIJING_FIXED).isoformat()
        out[name] = value
    return out


@dataclass(frozen=True)
class PointRecords:
    """The records of one point in a period, data time then factor order; times as ISO 8601
    with +08:00 (data_time is the start of the record's period)."""

    mn: str
    cn: str
    period: Period
    records: tuple[dict[str, Any], ...]
    note: str | None = None
    """Said on stderr beside an empty answer: the point never sent this CN."""
    total: int | None = None
    """Records in the period when `records` is one page of them (`offset`/`limit`)."""
    marks: bool = False
    """The table (csv, xlsx, html) has the `MARK_FIELDS` columns too (`RecordsOptions`)."""

    json_layout = "array_lines"  # one record per line, as `envmon data` always printed

    def as_json(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.records]

    def _columns(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        if self.marks:
            return (*FIELDS, *MARK_FIELDS), (*LABELS_ZH, *MARK_LABELS_ZH)
        return FIELDS, LABELS_ZH

    def rows(self) -> list[tuple]:
        names = self._columns()[0]
        return [tuple(r[name] for name in names) for r in self.records]

    def as_table(self):
        from envmon.render import Column, Table

        return Table(f"{self.mn} {self.cn} {self.period.describe()}",
                     [Column(k, label) for k, label in zip(*self._columns(), strict=True)],
                     self.rows())

    @property
    def default_stem(self) -> str:
        a, b = (t.astimezone(BEIJING_FIXED) for t in (self.period.start, self.period.end))
        return f"data-{self.mn}-{self.cn}-{a:%Y%m%d%H}-{b:%Y%m%d%H}"


def point_records(store, period: Period, options: RecordsOptions, *, offset: int = 0,
                  limit: int | None = None) -> PointRecords:
    """The stored records of one point: one per factor per data time, the copy the copy
    policy picks (the unit's own trusted copy, then the first received).

    An MN neither registered nor present in the records is an error (a typo, not an empty
    answer). A CN the point has never sent gives the empty answer (a script reading it goes on)
    with a `note` naming the CNs it does send. `offset`/`limit`: one page of them, read as
    such from the store (the API's paging), with the `total`."""
    from envmon.registry.api import require_known_mn

    require_known_mn(store, options.mn)
    total = None
    columns = (*FIELDS, *MARK_FIELDS)
    if limit is None and not offset:
        rows = store.query_records(options.mn, options.cn, period.start, period.end, columns)
    else:
        rows = store.query_records(options.mn, options.cn, period.start, period.end, columns,
                                   offset=offset, limit=limit)
        [(total,)] = store.query(
            "SELECT COUNT(*) FROM (SELECT DISTINCT data_time, factor FROM records "
            "WHERE mn = ? AND cn = ? AND data_time >= ? AND data_time < ?) copies",
            [options.mn, options.cn, period.start, period.end])
    note = None
    if not rows and not total:
        sent = [cn for (cn,) in store.query(
            "SELECT DISTINCT cn FROM records WHERE mn = ? ORDER BY cn", [options.mn])]
        if options.cn not in sent:
            note = (f"no records of CN {options.cn} for MN {options.mn}; "
                    + (f"it sends {', '.join(sent)}" if sent else "it has sent no records yet"))
    return PointRecords(options.mn, options.cn, period, tuple(_marked(r) for r in rows), note,
                        total, options.marks)


def _marked(row: dict[str, Any]) -> dict[str, Any]:
    out = _plain(row)
    out["resent"] = bool(row["resent"])  # NULL: stored before schema version 10, a live copy
    out["st"] = row["st"]
    return out


# ------------------------------------------------------------------ conflicting copies
COPY_FIELDS = ("rtd", "avg", "min", "max", "cou", "zs_rtd", "zs_avg", "flag", "eflag", "extra",
               "received_at", "peer", "trusted", "resent")
"""What each copy of a conflicting record shows: its values, when and from where it came, and
whether it arrived re-sent (HJ 212-2025 RF=1)."""
_CONFLICT_COLUMNS = (
    ("data_time", "数据时间"), ("factor", "因子"), ("used", "采用"), ("received_at", "接收时间"),
    ("peer", "来源地址"), ("trusted", "常用地址"), ("rtd", "实时值"), ("avg", "均值"),
    ("min", "最小值"), ("max", "最大值"), ("cou", "累计值"), ("zs_rtd", "折算实时值"),
    ("zs_avg", "折算均值"), ("flag", "标记"), ("eflag", "设备标记"), ("extra", "其他"),
    ("differs", "差异字段"), ("resent", "补传"),
)  # fmt: skip


@dataclass(frozen=True)
class RecordConflicts:
    """The records of one point in a period that have stored copies with other values: per
    record the copy the figures use (`used`, by the copy policy of `envmon.store.core_tables`)
    and every other stored copy, each with its values, receipt time and sender's address;
    `differs` names the fields in which the other copies differ from the used one."""

    mn: str
    cn: str
    period: Period
    conflicts: tuple[dict[str, Any], ...]
    note: str | None = None

    json_layout = "array_lines"  # one record per line, as `envmon data`

    def as_json(self) -> list[dict[str, Any]]:
        return [dict(c) for c in self.conflicts]

    def rows(self) -> list[tuple]:
        out = []
        for c in self.conflicts:
            for copy, used in ((c["used"], True), *((o, False) for o in c["others"])):
                differs = "" if used else ",".join(copy["differs"])
                values = {**copy, "data_time": c["data_time"], "factor": c["factor"],
                          "used": "是" if used else "否", "differs": differs,
                          "trusted": "否" if copy["trusted"] is False else "是",
                          "resent": "是" if copy["resent"] else "否"}
                out.append(tuple(values[key] for key, _ in _CONFLICT_COLUMNS))
        return out

    def as_table(self):
        from envmon.render import Column, Table

        return Table(f"{self.mn} {self.cn} {self.period.describe()} 数据冲突",
                     [Column(k, label) for k, label in _CONFLICT_COLUMNS], self.rows())

    @property
    def default_stem(self) -> str:
        a, b = (t.astimezone(BEIJING_FIXED) for t in (self.period.start, self.period.end))
        return f"conflicts-{self.mn}-{self.cn}-{a:%Y%m%d%H}-{b:%Y%m%d%H}"


def _copy(row: dict[str, Any]) -> dict[str, Any]:
    out = _plain(row, COPY_FIELDS)
    if out["trusted"] is None:
        out["trusted"] = True  # stored before provenance was kept (schema version 7)
    out["resent"] = bool(out["resent"])  # NULL: stored before schema version 10, a live copy
    return out


def point_conflicts(store, period: Period, options: RecordsOptions) -> RecordConflicts:
    """Every record of one point in a period with a stored copy of other values (numbers,
    flags or extra): both copies, their receipt times and addresses (`envmon data
    --conflicts`). Identical copies stored before version 7 are not conflicts."""
    from envmon.registry.api import require_known_mn
    from envmon.store.core_tables import RECORDS_FIRST_POLICY

    require_known_mn(store, options.mn)
    names = ("data_time", "factor", *COPY_FIELDS)
    rows = store.query(
        f"""
        SELECT {', '.join(names)} FROM (
            SELECT {', '.join(names)}, id,
                   ROW_NUMBER() OVER (PARTITION BY data_time, factor
                                      ORDER BY {RECORDS_FIRST_POLICY}) AS rn,
                   COUNT(*) OVER (PARTITION BY data_time, factor) AS n
            FROM records
            WHERE mn = ? AND cn = ? AND data_time >= ? AND data_time < ?
        ) copies
        WHERE n > 1
        ORDER BY data_time, factor, rn
        """,
        [options.mn, options.cn, period.start, period.end],
    )
    conflicts: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    values = COPY_FIELDS[:10]
    for row in rows:
        record = dict(zip(names, row, strict=True))
        copy = _copy(record)
        data_time = record["data_time"].astimezone(BEIJING_FIXED).isoformat()
        if current is None or (current["data_time"], current["factor"]) != (
                data_time, record["factor"]):
            current = {"mn": options.mn, "cn": options.cn, "data_time": data_time,
                       "factor": record["factor"], "used": copy, "others": []}
            conflicts.append(current)
            continue
        used = current["used"]
        copy["differs"] = [name for name in values if not _same(copy[name], used[name])]
        if copy["differs"]:
            current["others"].append(copy)
    conflicts = [c for c in conflicts if c["others"]]
    for c in conflicts:
        c["copies"] = 1 + len(c["others"])
        c["differs"] = sorted({name for o in c["others"] for name in o["differs"]},
                              key=values.index)
    note = None if conflicts else (f"no conflicting copies for MN {options.mn} CN {options.cn} "
                                   f"in {period.describe()}")
    return RecordConflicts(options.mn, options.cn, period, tuple(conflicts), note)


def _same(a: Any, b: Any) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and a != a and b != b)


# ------------------------------------------------------------------ a point's page
SERIES_COLUMNS = ("data_time", "factor", "avg", "rtd", "zs_avg", "zs_rtd", "flag")


@dataclass(frozen=True)
class PointSeries:
    """One point's records per factor, for a chart against the limit: the value as measured
    and, for gas points with a reference O2, 折算 (converted to reference O2: HJ 75-2017), the
    value the limit applies to. Times ISO 8601 with +08:00."""

    mn: str
    cn: str
    period: Period
    limits: dict[str, float | None]
    series: dict[str, list[dict[str, Any]]]

    def as_json(self) -> dict[str, Any]:
        return {"mn": self.mn, "cn": self.cn, "from": self.period.start.isoformat(),
                "to": self.period.end.isoformat(), "limits": self.limits,
                "series": self.series}


def point_series(store, period: Period, options: RecordsOptions) -> PointSeries:
    """The records of `point_records` grouped by factor, 折算 beside each value."""
    from envmon.registry.api import require_known_mn

    require_known_mn(store, options.mn)
    limits = dict(store.query("SELECT factor, limit_value FROM point_factors WHERE mn = ? "
                              "ORDER BY factor", [options.mn]))
    series: dict[str, list[dict[str, Any]]] = {f: [] for f in limits}
    for row in store.query_records(options.mn, options.cn, period.start, period.end,
                                   columns=SERIES_COLUMNS):
        value = row["avg"] if row["avg"] is not None else row["rtd"]
        converted = row["zs_avg"] if row["zs_avg"] is not None else row["zs_rtd"]
        series.setdefault(row["factor"], []).append({
            "t": row["data_time"].astimezone(BEIJING_FIXED).isoformat(), "value": value,
            "zs": converted, "flag": row["flag"]})
    return PointSeries(options.mn, options.cn, period, limits, series)


