"""Air-quality stations and data in the store: CSV import and array loading.

Imports (`import_stations`, `import_data`) parse CSV with row-level errors (file, line,
field, reason), build pyarrow tables and write them in one transaction (delete the rows they
replace, then INSERT … SELECT).

One rule for every importer (issue 11): a bad row is rejected and reported by file, line and
field (a negative concentration is bad: nothing measures below zero), and the command exits 1
when any row was rejected; nothing is replaced silently: a (station, hour) repeated in one file
with other values is rejected, a stored row that a re-import changes is counted and named
(`replaced`, warnings), and data of a station the registry does not know are kept but named
(warnings), out of city values until the station is typed. A new check of a value goes in
`_number`/`_concentration`; a new check of a row in the format's `_import_*`.

Loading (`load_hourly`) returns numpy arrays in the layout of
`envmon.air.stats`: (stations, days, 24), slot j = the hour labelled j+1 o'clock.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)

from envmon.period import Period
from envmon.store import Store
from envmon.timeutil import BEIJING_FIXED, now_beijing, parse_iso

STATION_TYPES = ("city", "control", "background", "regional", "roadside", "source")
STATION_COLUMNS = ("code", "name", "city", "type", "lat", "lon", "active_from", "active_to")
CNEMC_COLUMNS = (
    "timepoint", "stationcode", "longitude", "latitude", "area", "positionname",
    "primarypollutant", "aqi", "pm10", "pm10_24h", "pm2_5", "pm2_5_24h", "o3", "o3_24h", "o3_8h",
    "o3_8h_24h", "no2", "no2_24h", "so2", "so2_24h", "co", "co_24h",
)  # fmt: skip
HOURLY_COLUMNS = ("station_code", "time", "so2", "no2", "co", "o3", "pm10", "pm25")
DAILY_COLUMNS = (
    "station_code", "date", "so2", "no2", "co", "pm10", "pm25", "o3_1h_max", "o3_8h_max",
)  # fmt: skip
POLLUTANT_COLUMNS = ("so2", "no2", "co", "o3", "pm10", "pm25")
DAILY_VALUE_COLUMNS = ("so2", "no2", "co", "pm10", "pm25", "o3_1h_max", "o3_8h_max")
FORMATS = ("cnemc", "hourly", "daily")
MISSING = {"", "-", "—", "NA", "NaN", "nan", "null", "NULL"}

_TS = pa.timestamp("us", tz="UTC")


@dataclass
class RowError:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class ImportReport:
    rows: int = 0
    stations_added: int = 0
    errors: list[RowError] = field(default_factory=list)
    files: int = 0
    warnings: list[str] = field(default_factory=list)
    replaced: int = 0
    """Stored rows a re-import changed (each also named in `warnings`)."""
    unregistered: list[str] = field(default_factory=list)
    """Station codes with data but no type in the registry: out of city values."""


class _BadRow(ValueError):
    pass


def _number(text: str, column: str) -> float | None:
    text = text.strip()
    if text in MISSING:
        return None
    try:
        value = float(text)
    except ValueError:
        raise _BadRow(f"{column}: {text!r} is not a number") from None
    if math.isnan(value) or math.isinf(value):
        return None
    return value


def _concentration(text: str, column: str) -> float | None:
    """A concentration (or AQI): a number ≥ 0; a negative one rejects its row, because no
    instrument reading below zero is a concentration (it would lower every mean it enters)."""
    value = _number(text, column)
    if value is not None and value < 0:
        raise _BadRow(f"{column}: {text.strip()} is negative (a concentration is ≥ 0)")
    return value


def _open(path: str | os.PathLike[str]) -> io.TextIOBase:
    return open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115


def _check_header(header: list[str] | None, expected: Sequence[str], name: str,
                  required: Sequence[str]) -> dict[str, int]:
    if not header:
        raise ValueError(f"{name}: empty file (expected a header {','.join(expected)})")
    index = {h.strip().lower(): i for i, h in enumerate(header)}
    missing = [c for c in required if c not in index]
    if missing:
        raise ValueError(
            f"{name}: missing column(s) {', '.join(missing)}; expected {','.join(expected)}"
        )
    return index


# ---------------------------------------------------------------------------------- stations
def check_stations_file(path: str | os.PathLike[str]) -> None:
    """A ValueError saying why `path` is not a stations CSV (no header code,…,type, not
    UTF-8 text), checked before a store is opened or created for it."""
    try:
        with _open(path) as handle:
            _check_header(next(csv.reader(handle), None), STATION_COLUMNS, os.fspath(path),
                          ("code", "city", "type"))
    except UnicodeDecodeError:
        raise ValueError(f"{os.fspath(path)}: not a UTF-8 text CSV (expected a header "
                         f"{','.join(STATION_COLUMNS)})") from None


def import_stations(store: Store, path: str | os.PathLike[str]) -> ImportReport:
    """Import or update stations from a CSV `code,name,city,type,lat,lon` (type: one of
    STATION_TYPES). Rows with errors are reported and skipped."""
    report = ImportReport(files=1)
    name = os.fspath(path)
    rows: dict[str, tuple] = {}
    with _open(path) as handle:
        reader = csv.reader(handle)
        index = _check_header(next(reader, None), STATION_COLUMNS, name,
                              ("code", "city", "type"))
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            try:
                get = {c: (row[i].strip() if i < len(row) else "") for c, i in index.items()}
                code = get.get("code", "")
                if not code:
                    raise _BadRow("code is empty")
                if not get.get("city"):
                    raise _BadRow("city is empty")
                kind = get.get("type", "").lower()
                if kind not in STATION_TYPES:
                    raise _BadRow(f"type {kind!r} is not one of {', '.join(STATION_TYPES)}")
                active_from = _day(get.get("active_from", ""), "active_from")
                active_to = _day(get.get("active_to", ""), "active_to")
                if active_from and active_to and active_to < active_from:
                    raise _BadRow(f"active_to: {active_to} is before active_from {active_from}")
                rows[code] = (code, get.get("name") or None, get["city"], kind,
                              _number(get.get("lat", ""), "lat"),
                              _number(get.get("lon", ""), "lon"), active_from, active_to)
            except _BadRow as error:
                report.errors.append(RowError(name, line, str(error)))
    report.warnings.extend(_station_changes(store, rows))
    _upsert_stations(store, list(rows.values()))
    report.rows = len(rows)
    return report


def _day(text: str, column: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _BadRow(f"{column}: {text!r} is not YYYY-MM-DD") from None


def _station_changes(store: Store, rows: dict[str, tuple]) -> list[str]:
    """What a stations import changes of stations already stored, one line per station:
    a re-import does not retype or move a station silently."""
    stored = {r[0]: r[1:] for r in store.query(
        "SELECT code, city, type, active_from, active_to FROM air_stations")}
    out = []
    for code, row in rows.items():
        if code not in stored:
            continue
        new = (row[2], row[3], row[6], row[7])
        changes = [f"{label} {old or '-'} → {value or '-'}" for label, old, value in
                   zip(("city", "type", "active_from", "active_to"), stored[code], new,
                       strict=True) if old != value]
        if changes:
            out.append(f"station {code}: " + ", ".join(changes))
    return out


def _upsert_stations(store: Store, rows: list[tuple]) -> None:
    if not rows:
        return
    columns = list(zip(*rows, strict=True))
    table = pa.table({
        "code": pa.array(columns[0], pa.string()), "name": pa.array(columns[1], pa.string()),
        "city": pa.array(columns[2], pa.string()), "type": pa.array(columns[3], pa.string()),
        "lat": pa.array(columns[4], pa.float64()), "lon": pa.array(columns[5], pa.float64()),
        "active_from": pa.array(columns[6], pa.date32()),
        "active_to": pa.array(columns[7], pa.date32()),
    })  # fmt: skip
    store.replace("air_stations", _with_constants(table, updated_at=now_beijing()), ["code"])


def _with_constants(table: pa.Table, **values: object) -> pa.Table:
    """`table` with one more column per keyword, the same value on every row (text or an
    aware datetime, stored as TIMESTAMPTZ)."""
    for name, value in values.items():
        kind = _TS if isinstance(value, datetime) else pa.string()
        table = table.append_column(name, pa.array([value] * table.num_rows, kind))
    return table


@dataclass(frozen=True)
class Station:
    code: str
    name: str | None
    city: str
    type: str | None  # None: untyped (added from a CNEMC file), out of city values
    active_from: date | None = None
    active_to: date | None = None

    def active_on(self, day: date) -> bool:
        """Whether the station counts among its city's stations on `day` (75 % rule)."""
        return ((self.active_from is None or self.active_from <= day)
                and (self.active_to is None or day <= self.active_to))


def stations(store: Store) -> list[Station]:
    return [Station(*r) for r in store.query(
        "SELECT code, name, city, type, active_from, active_to FROM air_stations "
        "ORDER BY city, code")]


def untyped_stations(store: Store, city: str | None = None) -> list[Station]:
    """Stations with no type (added from CNEMC files): out of city values until typed."""
    return [s for s in stations(store) if s.type is None and (city is None or s.city == city)]


def cities(store: Store) -> list[str]:
    """Cities with city stations (城市点) in registry order: by their first station code, so
    the order does not change as data come in."""
    return [r[0] for r in store.query(
        "SELECT city FROM air_stations WHERE type = 'city' GROUP BY city ORDER BY min(code)")]


def data_until(store: Store, city: str, start: datetime, end: datetime) -> datetime | None:
    """The end of the last hour (or imported day) with data of `city`'s city stations in
    [start, end), None when there is none: how far a bulletin's figures reach."""
    rows = store.query(
        "SELECT max(h.end_time) FROM air_hourly h JOIN air_stations s ON s.code = "
        "h.station_code WHERE s.city = ? AND s.type = 'city' AND h.end_time > ? "
        "AND h.end_time <= ?", [city, start, end])
    hourly = rows[0][0] if rows else None
    first = start.astimezone(BEIJING_FIXED).date()
    last = (end.astimezone(BEIJING_FIXED) - timedelta(microseconds=1)).date()
    rows = store.query(
        "SELECT max(d.day) FROM air_daily d JOIN air_stations s ON s.code = d.station_code "
        "WHERE s.city = ? AND s.type = 'city' AND d.day >= ? AND d.day <= ?",
        [city, first, last])
    daily = Period.day(rows[0][0]).end if rows and rows[0][0] is not None else None
    found = [t.astimezone(BEIJING_FIXED) for t in (hourly, daily) if t is not None]
    return max(found) if found else None


# ---------------------------------------------------------------------------------- data
def _hour_label(text: str, column: str) -> datetime:
    """An hour label (end of the hour). "24:00" (HJ 663 labels a day's hours 1:00…24:00) is
    accepted as 00:00 of the next date."""
    text = text.strip()
    next_day = False
    for sep in ("T", " "):
        if f"{sep}24:" in text:
            date_part, time_part = text.split(f"{sep}24:", 1)
            if time_part.strip("0:") == "" or time_part.startswith("00"):
                text, next_day = f"{date_part}{sep}00:{time_part}", True
            break
    try:
        value = parse_iso(text)
        if next_day:
            value += timedelta(days=1)
    except ValueError:
        raise _BadRow(f"{column}: {text!r} is not an ISO time (YYYY-MM-DDTHH:00:00)") from None
    if value.minute or value.second or value.microsecond:
        raise _BadRow(f"{column}: {text!r} is not on the hour")
    return value


def import_data(
    store: Store, paths: Iterable[str | os.PathLike[str]], fmt: str
) -> ImportReport:
    """Import station data files of one format ("cnemc", "hourly", "daily"); see the issue and
    airquality.md §7.1 for the columns. Empty cells are missing values; bad rows are reported
    with file, line and reason and skipped; the rest is written in one transaction per file."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; allowed: {', '.join(FORMATS)}")
    report = ImportReport()
    for path in paths:
        report.files += 1
        if fmt == "daily":
            _import_daily(store, path, report)
        else:
            _import_hourly(store, path, fmt, report)
    return report


def _import_hourly(store: Store, path, fmt: str, report: ImportReport) -> None:
    name = os.fspath(path)
    cnemc = fmt == "cnemc"
    expected = CNEMC_COLUMNS if cnemc else HOURLY_COLUMNS
    time_col, code_col = ("timepoint", "stationcode") if cnemc else ("time", "station_code")
    # value columns: target name -> source column
    sources = (
        {"so2": "so2", "no2": "no2", "co": "co", "o3": "o3_24h", "pm10": "pm10", "pm25": "pm2_5"}
        if cnemc else {p: p for p in POLLUTANT_COLUMNS}
    )  # fmt: skip
    published = {
        "pm10_24h": "pm10_24h", "pm25_24h": "pm2_5_24h", "no2_24h": "no2_24h",
        "so2_24h": "so2_24h", "co_24h": "co_24h", "o3_1h_max_24h": "o3", "o3_8h": "o3_8h_24h",
        "o3_8h_max": "o3_8h",
    }  # fmt: skip
    keys: dict[tuple[str, datetime], int] = {}
    codes: list[str] = []
    ends: list[datetime] = []
    lines: list[int] = []
    values: dict[str, list] = {k: [] for k in sources}
    pub: dict[str, list] = {k: [] for k in (*published, "published_aqi", "published_primary")}
    new_stations: dict[str, tuple] = {}
    with _open(path) as handle:
        reader = csv.reader(handle)
        index = _check_header(next(reader, None), expected, name, (code_col, time_col))
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            get = {c: (row[i].strip() if i < len(row) else "") for c, i in index.items()}
            try:
                code = get[code_col]
                if not code:
                    raise _BadRow(f"{code_col} is empty")
                end = _hour_label(get[time_col], time_col)
                numbers = {k: _concentration(get.get(src, ""), src) for k, src in sources.items()}
                extra = (
                    {k: _concentration(get.get(src, ""), src) for k, src in published.items()}
                    if cnemc else {}
                )  # fmt: skip
                aqi = _concentration(get.get("aqi", ""), "aqi") if cnemc else None
                at = keys.get((code, end))
                if at is not None and any(values[k][at] != numbers[k] for k in sources):
                    raise _BadRow(f"{time_col}: {code} {end.isoformat()} repeats line "
                                  f"{lines[at]} with other values (neither is kept over the "
                                  "other silently: correct the file)")
            except _BadRow as error:
                report.errors.append(RowError(name, line, str(error)))
                continue
            if at is not None:  # the same values again: nothing to replace
                continue
            if cnemc and get.get("area"):
                new_stations.setdefault(code, (
                    code, get.get("positionname") or None, get["area"], None,
                    _safe_number(get.get("latitude", "")), _safe_number(get.get("longitude", "")),
                    None, None,
                ))
            keys[(code, end)] = len(codes)
            codes.append(code)
            ends.append(end)
            lines.append(line)
            for k in sources:
                values[k].append(numbers[k])
            if cnemc:
                for k in published:
                    pub[k].append(extra[k])
                pub["published_aqi"].append(aqi)
                pub["published_primary"].append(get.get("primarypollutant") or None)
    if not codes:
        return
    end_array = pa.array(ends, type=_TS)
    start_array = pa.array([e - timedelta(hours=1) for e in ends], type=_TS)
    table = pa.table(
        {"station_code": pa.array(codes, pa.string()), "start_time": start_array,
         "end_time": end_array}
        | {k: pa.array(v, pa.float64()) for k, v in values.items()}
    )
    now = now_beijing()
    with store.transaction():
        if new_stations:
            known = {r[0] for r in store.query("SELECT code FROM air_stations")}
            added = [row for code, row in new_stations.items() if code not in known]
            _upsert_stations(store, added)
            report.stations_added += len(added)
            if added:
                report.warnings.append(
                    f"{name}: {len(added)} station(s) not in the registry added untyped, out of "
                    "city values until typed (envmon air stations import): "
                    + ", ".join(f"{r[0]} {r[1] or ''} ({r[2]})" for r in added))
        _note_unregistered(store, name, codes, report, just_added=set(new_stations))
        _note_replaced(store, name, "air_hourly", table, lines, ("station_code", "end_time"),
                       tuple(sources), report)
        store.replace("air_hourly", _with_constants(table, source=fmt, imported_at=now),
                      ["station_code", "end_time"])
        if cnemc:
            ptable = pa.table(
                {"station_code": pa.array(codes, pa.string()), "end_time": end_array,
                 "published_aqi": pa.array(pub["published_aqi"], pa.float64()),
                 "published_primary": pa.array(pub["published_primary"], pa.string())}
                | {k: pa.array(pub[k], pa.float64()) for k in published}
            )
            store.replace("air_published", _with_constants(ptable, imported_at=now),
                          ["station_code", "end_time"])
    report.rows += len(codes)


def _note_unregistered(store: Store, name: str, codes: Sequence[str], report: ImportReport,
                       just_added: set[str] | frozenset[str] = frozenset()) -> None:
    """Name the stations of `codes` the registry does not know or has not typed: their data
    are kept but enter no city value (HJ 663-2013 Annex A needs each station's type)."""
    typed = {r[0] for r in store.query("SELECT code FROM air_stations WHERE type IS NOT NULL")}
    missing = sorted({c for c in codes if c not in typed})
    for code in missing:
        if code not in report.unregistered:
            report.unregistered.append(code)
    missing = [c for c in missing if c not in just_added]  # already named as added
    if not missing:
        return
    report.warnings.append(
        f"{name}: data of {len(missing)} station(s) without a type in the registry kept, out of "
        f"city values until typed (envmon air stations import): {', '.join(missing)}")


def _note_replaced(store: Store, name: str, target: str, table: pa.Table, lines: list[int],
                   key: tuple[str, str], value_columns: tuple[str, ...],
                   report: ImportReport) -> None:
    """Count and name the stored rows of `target` this import changes (same key, other
    values): a re-import may correct data, but never without saying so."""
    staged = table.select([*key, *value_columns]).append_column(
        "line", pa.array(lines, pa.int64()))
    on = " AND ".join(f"o.{k} = n.{k}" for k in key)
    differs = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in value_columns)
    select = ", ".join(f"o.{c}, n.{c}" for c in value_columns)
    times = table.column(key[1])
    bounds = [pa.compute.min(times).as_py(), pa.compute.max(times).as_py()]
    with store.staged("air_import_rows", staged):
        rows = store.query(  # the time bounds let the store skip most of a long table
            f"SELECT n.line, n.{key[0]}, n.{key[1]}, {select} FROM air_import_rows n "
            f"JOIN {target} o ON {on} WHERE o.{key[1]} >= ? AND o.{key[1]} <= ? "
            f"AND ({differs}) ORDER BY n.line", bounds)
    report.replaced += len(rows)
    for line, code, when, *pairs in rows:
        changes = [f"{c} {_show(pairs[2 * i])} → {_show(pairs[2 * i + 1])}"
                   for i, c in enumerate(value_columns) if pairs[2 * i] != pairs[2 * i + 1]]
        label = when.isoformat() if hasattr(when, "isoformat") else str(when)
        report.warnings.append(f"{name}:{line}: replaces the stored {code} {label}: "
                               + ", ".join(changes))


def _show(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _safe_number(text: str) -> float | None:
    try:
        return _number(text, "")
    except _BadRow:
        return None


def _import_daily(store: Store, path, report: ImportReport) -> None:
    name = os.fspath(path)
    keys: dict[tuple[str, date], int] = {}
    codes: list[str] = []
    days: list[date] = []
    lines: list[int] = []
    values: dict[str, list] = {k: [] for k in DAILY_VALUE_COLUMNS}
    with _open(path) as handle:
        reader = csv.reader(handle)
        index = _check_header(next(reader, None), DAILY_COLUMNS, name, ("station_code", "date"))
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            get = {c: (row[i].strip() if i < len(row) else "") for c, i in index.items()}
            try:
                code = get["station_code"]
                if not code:
                    raise _BadRow("station_code is empty")
                try:
                    day = date.fromisoformat(get["date"])
                except ValueError:
                    raise _BadRow(f"date: {get['date']!r} is not YYYY-MM-DD") from None
                numbers = {k: _concentration(get.get(k, ""), k) for k in DAILY_VALUE_COLUMNS}
                at = keys.get((code, day))
                if at is not None and any(values[k][at] != numbers[k]
                                          for k in DAILY_VALUE_COLUMNS):
                    raise _BadRow(f"date: {code} {day} repeats line {lines[at]} with other "
                                  "values (neither is kept over the other silently: correct "
                                  "the file)")
            except _BadRow as error:
                report.errors.append(RowError(name, line, str(error)))
                continue
            if at is not None:
                continue
            keys[(code, day)] = len(codes)
            codes.append(code)
            days.append(day)
            lines.append(line)
            for k in DAILY_VALUE_COLUMNS:
                values[k].append(numbers[k])
    if not codes:
        return
    table = pa.table(
        {"station_code": pa.array(codes, pa.string()), "day": pa.array(days, pa.date32())}
        | {k: pa.array(v, pa.float64()) for k, v in values.items()}
    )
    with store.transaction():
        _note_unregistered(store, name, codes, report)
        _note_replaced(store, name, "air_daily", table, lines, ("station_code", "day"),
                       DAILY_VALUE_COLUMNS, report)
        store.replace("air_daily",
                      _with_constants(table, source="daily", imported_at=now_beijing()),
                      ["station_code", "day"])
    report.rows += len(codes)


def read_excluded_days(path: str | os.PathLike[str]) -> dict[str, set[date]]:
    """Days to take out of the statistics (扣沙 sand-dust days, 例外事件 exceptional events),
    from a CSV `city,date[,reason]`. ValueError names the line of a bad row."""
    out: dict[str, set[date]] = {}
    name = os.fspath(path)
    with _open(path) as handle:
        reader = csv.reader(handle)
        index = _check_header(next(reader, None), ("city", "date", "reason"), name,
                              ("city", "date"))
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            city = row[index["city"]].strip() if index["city"] < len(row) else ""
            text = row[index["date"]].strip() if index["date"] < len(row) else ""
            try:
                day = date.fromisoformat(text)
            except ValueError:
                raise ValueError(f"{name}:{line}: date {text!r} is not YYYY-MM-DD") from None
            if not city:
                raise ValueError(f"{name}:{line}: city is empty")
            out.setdefault(city, set()).add(day)
    return out


# ---------------------------------------------------------------------------------- loading
def has_data(store: Store, first: date, last: date) -> tuple[bool, bool]:
    """Whether any hourly, and any daily, rows exist for the days first…last."""
    hourly = store.query(
        "SELECT 1 FROM air_hourly WHERE end_time > ? AND end_time <= ? LIMIT 1",
        [Period.day(first).start, Period.day(last).end],
    )
    daily = store.query("SELECT 1 FROM air_daily WHERE day >= ? AND day <= ? LIMIT 1",
                        [first, last])
    return bool(hourly), bool(daily)


def _by_station(store: Store, codes: Sequence[str], sql: str, params: list) -> pa.Table:
    """Run `sql`, which joins `air_station_index` (station_code, s: the station's position in
    `codes`), with that index staged: rows come back by array position."""
    index = pa.table({"station_code": pa.array(list(codes), pa.string()),
                      "s": pa.array(np.arange(len(codes), dtype=np.int64))})
    with store.staged("air_station_index", index):
        return store.arrow(sql, params)


def _scatter(out: dict[str, np.ndarray], table: pa.Table, at: str,
             columns: dict[str, str]) -> None:
    """Each row's `columns` into `out[key][s, row[at]]` (a 2-D array or view per key; `s` is
    the station's position, as `_by_station` returns it)."""
    if table.num_rows == 0:
        return
    s = table.column("s").to_numpy()
    position = table.column(at).to_numpy()
    for key, column in columns.items():
        out[key][s, position] = np.asarray(table.column(column).to_numpy(zero_copy_only=False),
                                           dtype=float)


def load_hourly(
    store: Store, codes: Sequence[str], first: date, last: date
) -> dict[str, np.ndarray]:
    """Hourly values of `codes` for the days first…last (inclusive) as arrays
    (stations, days, 24) per pollutant; slot j of day d = the hour labelled j+1 o'clock
    (ending at day d 00:00 + (j+1) h). Missing hours are NaN."""
    n_days = (last - first).days + 1
    shape = (len(codes), n_days, 24)
    out = {p: np.full(shape, np.nan) for p in POLLUTANT_COLUMNS}
    if not codes:
        return out
    origin = Period.day(first).start  # the hour labelled 1:00 of `first` ends 1 h after
    table = _by_station(
        store, codes,
        "SELECT i.s AS s, CAST(ROUND((EXTRACT(EPOCH FROM h.end_time) - ?) / 3600) AS BIGINT)"
        " - 1 AS slot, h.so2, h.no2, h.co, h.o3, h.pm10, h.pm25 "
        "FROM air_hourly h JOIN air_station_index i ON i.station_code = h.station_code "
        "WHERE h.end_time > ? AND h.end_time <= ?",
        [origin.timestamp(), origin, Period.day(last).end],
    )
    flat = {p: out[p].reshape(len(codes), -1) for p in POLLUTANT_COLUMNS}  # views of `out`
    _scatter(flat, table, "slot", {p: p for p in POLLUTANT_COLUMNS})
    return out


def load_daily(
    store: Store, codes: Sequence[str], first: date, last: date
) -> dict[str, np.ndarray]:
    """Imported station daily values (`--format daily`) as arrays (stations, days), keyed like
    `stats.station_daily` ("o3_1h", "o3_8h" for the O3 columns)."""
    n_days = (last - first).days + 1
    keys = {"so2": "so2", "no2": "no2", "co": "co", "pm10": "pm10", "pm25": "pm25",
            "o3_1h": "o3_1h_max", "o3_8h": "o3_8h_max"}
    out = {k: np.full((len(codes), n_days), np.nan) for k in keys}
    if not codes:
        return out
    table = _by_station(
        store, codes,
        "SELECT i.s AS s, d.day - CAST(? AS DATE) AS d, "
        + ", ".join(f"d.{c}" for c in keys.values())
        + " FROM air_daily d JOIN air_station_index i ON i.station_code = d.station_code "
        "WHERE d.day >= ? AND d.day <= ?",
        [first, first, last],
    )
    _scatter(out, table, "d", keys)
    return out


# CNEMC's own natural-day values, read at the T00 row (24:00 of the day, airquality.md §7.1):
# `_24h` columns are then the day's means, o3 the day's max 1-h, o3_8h the day's MDA8.
PUBLISHED_DAILY_COLUMNS = {
    "so2": "so2_24h", "no2": "no2_24h", "co": "co_24h", "pm10": "pm10_24h",
    "pm25": "pm25_24h", "o3_1h": "o3_1h_max_24h", "o3_8h": "o3_8h_max",
}  # fmt: skip


def load_published_daily(
    store: Store, codes: Sequence[str], first: date, last: date
) -> dict[str, np.ndarray]:
    """CNEMC's published station daily values (the T00 rows of `air_published`) as arrays
    (stations, days), keyed like `stats.station_daily`; NaN where nothing was published."""
    n_days = (last - first).days + 1
    out = {k: np.full((len(codes), n_days), np.nan) for k in PUBLISHED_DAILY_COLUMNS}
    if not codes:
        return out
    origin = Period.day(first).end  # T00 of the day after `first`: the row of `first`
    table = _by_station(
        store, codes,
        "SELECT i.s AS s, CAST(ROUND((EXTRACT(EPOCH FROM p.end_time) - ?) / 86400) AS "
        "BIGINT) AS d, " + ", ".join(f"p.{c}" for c in PUBLISHED_DAILY_COLUMNS.values())
        + " FROM air_published p JOIN air_station_index i ON i.station_code = "
        "p.station_code WHERE p.end_time >= ? AND p.end_time <= ? "
        "AND EXTRACT(HOUR FROM p.end_time) = 0",
        [origin.timestamp(), origin, Period.day(last).end],
    )
    _scatter(out, table, "d", PUBLISHED_DAILY_COLUMNS)
    return out
