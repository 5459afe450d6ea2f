"""Use cases of ambient air quality: what `envmon air …` and `envmon report air` do, callable
from the CLI, the web app and tests alike.

Shape (the same in every domain's `api.py`):

    def use_case(store, period, options) -> SomeResult

- `period` is an `envmon.period.Period`. Summaries and rankings work on whole Beijing days
  (`Period.days_between("2025-11-01", "2025-11-30")`, last day inclusive, as the CLI's
  --from/--to);
  the bulletin on a month (`Period.month`); the real-time AQI on the hours whose end label
  lies in (start, end]. Imports take no period: `(store, options)`.
- `options` is a frozen dataclass below whose fields are typed with the Enums here and
  checked in its `__post_init__`, the one place that raises `OptionError(option, reason)`
  with the CLI's option name ("--method"), so the CLI and the web app say the same.
- The result is a dataclass with `as_json()` (exactly the JSON the command prints; tests pin
  it), `as_table()` for the tabular formats and, for the monthly bulletin, `bulletin()`.
  No printing, no Typer, no output paths here; `AirError` (a request the data cannot answer)
  reaches the user as one line.

A new use case goes here as one more function with its options and result classes; the
statistics stay in `stats`/`aqi`, the store reads in `storage`, the city pipeline in `service`.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from envmon.air.service import AirError, Excluded, NoStationsError
from envmon.air.settings import AirSettings
from envmon.choices import choice
from envmon.errors import OptionError
from envmon.period import Period
from envmon.reports.provisional import ProvisionalFigures, provisional_as_of, titled
from envmon.timeutil import BEIJING_FIXED

__all__ = [
    "AirError", "Method", "StandardChoice", "InputFormat", "excluded_days",
    "StationsImportOptions", "import_stations", "StationsImported", "ImportOptions",
    "import_data", "DataImported",
    "AqiOptions", "station_aqi", "StationAqi", "SummaryOptions", "city_summary", "CitySummary",
    "RankOptions", "city_ranking", "CityRanking", "BulletinOptions", "monthly_bulletin",
    "AirBulletin", "UnknownCityError", "known_city", "StationsOptions", "list_stations",
    "StationList", "DailyOptions", "city_daily", "CityDaily",
]


# ------------------------------------------------------------------------------- choices
class Method(enum.StrEnum):
    """Composite index: mee (《城市环境空气质量排名技术规定》) or hj663 (HJ 663-2013 Annex C)."""

    MEE = "mee"
    HJ663 = "hj663"


class StandardChoice(enum.StrEnum):
    """Standard set: auto (by the period's first day), 2012 or 2026."""

    AUTO = "auto"
    S2012 = "2012"
    S2026 = "2026"


class InputFormat(enum.StrEnum):
    """Station data files: the national real-time release, hourly or daily CSV."""

    CNEMC = "cnemc"
    HOURLY = "hourly"
    DAILY = "daily"


def _set(obj: Any, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)


# ------------------------------------------------------------------------------- inputs
def excluded_days(path: str | os.PathLike[str] | None, option: str = "--exclude"
                  ) -> Excluded | None:
    """Days taken out of the statistics (扣沙, 例外事件) from a CSV city,date[,reason]."""
    from envmon.air import storage

    if path is None:
        return None
    if not Path(path).exists():
        raise OptionError(option, f"no such file: {path}")
    try:
        return storage.read_excluded_days(path)
    except ValueError as error:
        raise OptionError(option, str(error)) from None


# ------------------------------------------------------------------------------- imports
@dataclass(frozen=True)
class StationsImported:
    rows: int
    rejected: list[str]
    warnings: list[str] = field(default_factory=list)
    """Stations a re-import changed (city, type, active dates), one line each."""

    @property
    def ok(self) -> bool:
        """Every row imported: the command exits 1 otherwise (as `registry import`)."""
        return not self.rejected

    def as_json(self) -> dict:
        return {"rows": self.rows, "rejected": self.rejected, "warnings": self.warnings}

    def summary(self) -> str:
        changed = f", {len(self.warnings)} changed" if self.warnings else ""
        return f"{self.rows} stations imported, {len(self.rejected)} rows rejected{changed}"


@dataclass(frozen=True)
class StationsImportOptions:
    """The stations CSV (code,name,city,type,lat,lon) to import."""

    file: Path

    def __post_init__(self) -> None:
        _set(self, "file", Path(self.file))
        if not self.file.exists():
            raise OptionError("FILE", f"no such file: {self.file}")
        from envmon.air import storage

        try:  # before any store is opened (or created) for it
            storage.check_stations_file(self.file)
        except (ValueError, OSError) as error:
            raise OptionError("FILE", str(error)) from None


def import_stations(store, options: StationsImportOptions) -> StationsImported:
    """Import or update air-quality stations (CSV code,name,city,type,lat,lon)."""
    from envmon.air import storage

    try:
        report = storage.import_stations(store, options.file)
    except ValueError as error:
        raise AirError(str(error)) from None
    return StationsImported(report.rows, [str(e) for e in report.errors], report.warnings)


@dataclass(frozen=True)
class ImportOptions:
    files: tuple[Path, ...]
    format: InputFormat

    def __post_init__(self) -> None:
        _set(self, "format", choice(InputFormat, self.format, "--format"))
        _set(self, "files", tuple(Path(f) for f in self.files))
        missing = [str(f) for f in self.files if not f.exists()]
        if missing:
            raise OptionError("FILES", f"no such file: {', '.join(missing)}")


@dataclass(frozen=True)
class DataImported:
    rows: int
    files: int
    stations_added: int
    rejected: list[str]
    warnings: list[str] = field(default_factory=list)
    """Untyped or unregistered stations, stored rows a re-import changed."""
    replaced: int = 0
    unregistered: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every row imported: the command exits 1 otherwise (as `registry import`)."""
        return not self.rejected

    def as_json(self) -> dict:
        return {"rows": self.rows, "files": self.files, "stations_added": self.stations_added,
                "rejected": self.rejected, "warnings": self.warnings,
                "replaced": self.replaced, "unregistered": self.unregistered}

    def summary(self) -> str:
        added = f", {self.stations_added} new stations" if self.stations_added else ""
        replaced = f", {self.replaced} stored rows replaced" if self.replaced else ""
        unknown = (f", {len(self.unregistered)} stations untyped (out of city values)"
                   if self.unregistered else "")
        return (f"{self.rows} rows imported from {self.files} file(s){added}, "
                f"{len(self.rejected)} rows rejected{replaced}{unknown}")


def import_data(store, options: ImportOptions) -> DataImported:
    """Import station data; bad rows are reported with file, line, field and reason and
    skipped; a re-imported station hour (or day) replaces the earlier one and is named in
    `warnings` when its values change; stations without a type are named."""
    from envmon.air import storage

    try:
        report = storage.import_data(store, list(options.files), options.format.value)
    except ValueError as error:
        raise AirError(str(error)) from None
    return DataImported(report.rows, report.files, report.stations_added,
                        [str(e) for e in report.errors], report.warnings, report.replaced,
                        report.unregistered)


# ------------------------------------------------------------------------------- real time
@dataclass(frozen=True)
class AqiOptions:
    station: str
    standard: StandardChoice = StandardChoice.AUTO
    o3_8h: bool = False

    def __post_init__(self) -> None:
        _set(self, "standard", choice(StandardChoice, self.standard, "--standard"))
        if not str(self.station).strip():
            raise OptionError("--station", "is empty")


@dataclass(frozen=True)
class StationAqi:
    """One row per hour: time (end of the hour), station, aqi, level, primary."""

    rows: list[dict]
    station: str = ""
    period: Period | None = None

    @property
    def default_stem(self) -> str:
        """air-aqi-<station>-<from>-<to>: the file name of xlsx/html without -o."""
        parts = ["air-aqi", _stem_part(self.station) or "station"]
        if self.period is not None:
            parts.append(_days_stem(self.period))
        return "-".join(parts)

    def as_json(self) -> list[dict]:
        return self.rows

    def as_table(self):
        from envmon.render import Column, Table

        return Table("实时空气质量指数", [
            Column("time", "时间"), Column("station", "站点"), Column("aqi", "AQI"),
            Column("level", "级别"), Column("primary", "首要污染物")],
            [(r["time"], r["station"], r["aqi"], r["level"], ",".join(r["primary"]))
             for r in self.rows])


def station_aqi(store, period: Period, options: AqiOptions) -> StationAqi:
    """Real-time (hourly) AQI of one station (HJ 633 实时报) for the hours whose end label
    lies in (period.start, period.end]."""
    from envmon.air.service import station_realtime

    return StationAqi(station_realtime(store, options.station, period.start, period.end,
                                       standard=options.standard.value,
                                       o3_8h=options.o3_8h), options.station, period)


# ------------------------------------------------------------------------------- cities
class UnknownCityError(OptionError, AirError):
    """A city without city stations (城市点): names the option, and is an AirError too."""


def known_city(store, city: str, option: str = "--city") -> str:
    """`city` if city stations are registered for it, else an UnknownCityError naming
    `option` with the first few known cities."""
    from envmon.air import storage

    cities = storage.cities(store)
    if city in cities:
        return city
    if not cities:
        raise UnknownCityError(option, f"unknown city {city!r}: no city stations (城市点) are "
                               "registered; import stations first (envmon air stations import)")
    shown = "、".join(cities[:5]) + (f" … ({len(cities)} in all)" if len(cities) > 5 else "")
    raise UnknownCityError(option, f"unknown city {city!r}: no city stations (城市点) "
                           f"registered for it (known: {shown})")


def _stem_part(text: str) -> str:
    """A city or station name as a piece of a file name (no separators)."""
    return "".join("_" if ch in '/\\:*?"<>| ' else ch for ch in text.strip())


def _days_stem(period: Period) -> str:
    first, last = period.first_last_days()
    if period.label:
        return period.label
    if period == Period.days_between(first, last, allow_future=True):
        return f"{first:%Y%m%d}-{last:%Y%m%d}"
    a, b = (t.astimezone(BEIJING_FIXED) for t in (period.start, period.end))
    return f"{a:%Y%m%d%H%M}-{b:%Y%m%d%H%M}"


# ------------------------------------------------------------------------------- stations
@dataclass(frozen=True)
class StationsOptions:
    """Which stations to list: those of one city (None: every city)."""

    city: str | None = None

    def __post_init__(self) -> None:
        if self.city is not None and not str(self.city).strip():
            raise OptionError("--city", "is empty")


@dataclass(frozen=True)
class StationList:
    """The registered stations (by city, then code): code, name, city, type (None: untyped,
    out of city values), active_from, active_to."""

    rows: list[dict]

    default_stem = "air-stations"

    def as_json(self) -> list[dict]:
        return self.rows

    def as_table(self):
        from envmon.render import Column, Table

        keys = [("code", "站点编码"), ("name", "站点名称"), ("city", "城市"), ("type", "类型"),
                ("active_from", "启用日期"), ("active_to", "停用日期")]
        return Table("空气质量监测站点", [Column(k, label) for k, label in keys],
                     [tuple(r[k] for k, _ in keys) for r in self.rows])


def list_stations(store, options: StationsOptions = StationsOptions()) -> StationList:
    """The air-quality stations of the registry (`air stations import` writes them)."""
    from envmon.air import storage

    def day(value) -> str | None:
        return None if value is None else value.isoformat()

    return StationList([{"code": s.code, "name": s.name, "city": s.city, "type": s.type,
                         "active_from": day(s.active_from), "active_to": day(s.active_to)}
                        for s in storage.stations(store)
                        if options.city is None or s.city == options.city])


# ------------------------------------------------------------------------------- daily
@dataclass(frozen=True)
class DailyOptions:
    """A city's daily AQI (the calendar of the pages), by the rules of `air summary`."""

    city: str
    standard: StandardChoice = StandardChoice.AUTO
    settings: AirSettings | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        _set(self, "standard", choice(StandardChoice, self.standard, "--standard"))
        if not str(self.city).strip():
            raise OptionError("--city", "is empty")


@dataclass(frozen=True)
class CityDaily(ProvisionalFigures):
    """One row per day: date, aqi, level, primary, concentrations — the `daily` rows of
    `air summary` for the same city and days (published daily values win over the
    recomputation as `[air] published_daily_wins` says)."""

    city: str
    rows: list[dict]
    period: Period | None = None
    provisional_as_of: datetime | None = None

    @property
    def default_stem(self) -> str:
        days = _days_stem(self.period) if self.period is not None else "days"
        return f"air-daily-{_stem_part(self.city)}-{days}"

    def as_json(self) -> list[dict]:
        return self.rows

    def as_table(self):
        from envmon.render import Column, Table

        columns = [Column("date", "日期"), Column("aqi", "AQI"), Column("level", "级别"),
                   Column("primary", "首要污染物")]
        columns += [Column(k, k.upper().replace("PM25", "PM2.5")) for k in _DAILY_KEYS]
        rows = [(d["date"], d["aqi"], d["level"], ",".join(d["primary"]),
                 *(d["concentrations"][k] for k in _DAILY_KEYS)) for d in self.rows]
        return Table(titled(f"{self.city}每日空气质量指数", self.provisional_as_of), columns,
                     rows)


def city_daily(store, period: Period, options: DailyOptions) -> CityDaily:
    """The city's daily AQI over the period's days: the summary's daily rows without the
    year-on-year part (the same city pipeline, so the calendar and `air summary` agree)."""
    from envmon.air import service

    known_city(store, options.city)
    first, last = period.first_last_days()
    summary = service.city_summary(store, options.city, first, last,
                                   standard=options.standard.value, yoy=False,
                                   settings=options.settings)
    return CityDaily(options.city, summary["daily"], period, provisional_as_of(period))


# ------------------------------------------------------------------------------- summary
@dataclass(frozen=True)
class SummaryOptions:
    city: str
    method: Method = Method.MEE
    standard: StandardChoice = StandardChoice.AUTO
    yoy_rounded: bool = False
    validity: bool = True
    excluded: Excluded | None = field(default=None, hash=False)
    settings: AirSettings | None = field(default=None, hash=False)
    """`[air]` settings (None: the defaults of AirSettings)."""

    def __post_init__(self) -> None:
        _set(self, "method", choice(Method, self.method, "--method"))
        _set(self, "standard", choice(StandardChoice, self.standard, "--standard"))
        if not str(self.city).strip():
            raise OptionError("--city", "is empty")


_DAILY_KEYS = ("so2", "no2", "co", "pm10", "pm25", "o3_1h", "o3_8h")


@dataclass(frozen=True)
class CitySummary(ProvisionalFigures):
    """Good days, composite index, concentrations, compliance, daily AQI and YoY of a city;
    `provisional`: the period has not ended (said in the JSON, the title and the sentence)."""

    summary: dict
    period: Period | None = None
    provisional_as_of: datetime | None = None

    @property
    def default_stem(self) -> str:
        """air-summary-<city>-<period>: the file name of xlsx/html without -o."""
        days = (_days_stem(self.period) if self.period is not None
                else f"{self.summary['from']}-{self.summary['to']}".replace("-", ""))
        return f"air-summary-{_stem_part(self.summary['city'])}-{days}"

    def as_json(self) -> dict:
        return {**self.summary, "provisional": self.provisional}

    def sentence(self) -> str:
        """The bulletin's opening sentence (环境空气质量综合指数为…，同比…)."""
        from envmon.reports.air import summary_sentence

        return summary_sentence(self.summary, self.period, provisional=self.provisional)

    def as_table(self):
        from envmon.render import Column, Table

        columns = [Column("date", "日期"), Column("aqi", "AQI"), Column("level", "级别"),
                   Column("primary", "首要污染物")]
        columns += [Column(k, k.upper().replace("PM25", "PM2.5")) for k in _DAILY_KEYS]
        rows = [(d["date"], d["aqi"], d["level"], ",".join(d["primary"]),
                 *(d["concentrations"][k] for k in _DAILY_KEYS)) for d in self.summary["daily"]]
        return Table(titled(f"{self.summary['city']} {self.summary['from']}至"
                            f"{self.summary['to']}每日空气质量", self.provisional_as_of),
                     columns, rows)


def city_summary(store, period: Period, options: SummaryOptions) -> CitySummary:
    """The city's summary over the period's days, with the same period a year earlier."""
    from envmon.air import service

    known_city(store, options.city)
    first, last = period.first_last_days()
    return CitySummary(service.city_summary(
        store, options.city, first, last, standard=options.standard.value,
        method=options.method.value, yoy_rounded=options.yoy_rounded,
        check_validity=options.validity, excluded=options.excluded,
        settings=options.settings),
        period, provisional_as_of(period))


# ------------------------------------------------------------------------------- ranking
@dataclass(frozen=True)
class RankOptions:
    method: Method = Method.MEE
    standard: StandardChoice = StandardChoice.AUTO
    validity: bool = True
    excluded: Excluded | None = field(default=None, hash=False)
    settings: AirSettings | None = field(default=None, hash=False)
    """`[air]` settings (None: the defaults of AirSettings)."""

    def __post_init__(self) -> None:
        _set(self, "method", choice(Method, self.method, "--method"))
        _set(self, "standard", choice(StandardChoice, self.standard, "--standard"))


@dataclass(frozen=True)
class CityRanking(ProvisionalFigures):
    """Every city by composite index (ascending, ties equal at 2 decimals) and by its
    year-on-year change (the largest fall ranks 1); `provisional`: the period has not ended."""

    ranking: dict
    provisional_as_of: datetime | None = None
    period: Period | None = None

    @property
    def default_stem(self) -> str:
        """air-rank-<period>: the file name of xlsx/html without -o."""
        days = (_days_stem(self.period) if self.period is not None
                else f"{self.ranking['from']}-{self.ranking['to']}".replace("-", ""))
        return f"air-rank-{days}"

    def as_json(self) -> dict:
        return {**self.ranking, "provisional": self.provisional}

    def as_table(self):
        from envmon.render import Column, Table

        keys = [("rank", "排名"), ("city", "城市"), ("composite_index", "综合指数"),
                ("yoy", "同比(%)"), ("yoy_rank", "同比排名"), ("worsening_rank", "恶化排名"),
                ("good_rate", "优良天数比例(%)"), ("valid_days", "有效天数"),
                ("primary", "首要污染物")]
        return Table(titled(f"城市环境空气质量排名 {self.ranking['from']}至{self.ranking['to']}",
                            self.provisional_as_of),
                     [Column(k, label) for k, label in keys],
                     [tuple(row[k] for k, _ in keys) for row in self.ranking["cities"]])


def city_ranking(store, period: Period, options: RankOptions = RankOptions()) -> CityRanking:
    from envmon.air import service

    first, last = period.first_last_days()
    return CityRanking(service.ranking(store, first, last, standard=options.standard.value,
                                       method=options.method.value,
                                       check_validity=options.validity,
                                       excluded=options.excluded,
                                       settings=options.settings),
                       provisional_as_of(period), period)


# ------------------------------------------------------------------------------- bulletin
@dataclass(frozen=True)
class BulletinOptions:
    city: str | None = None
    standard: StandardChoice = StandardChoice.AUTO
    excluded: Excluded | None = field(default=None, hash=False)
    settings: AirSettings | None = field(default=None, hash=False)
    """`[air]` settings (None: the defaults of AirSettings)."""

    def __post_init__(self) -> None:
        _set(self, "standard", choice(StandardChoice, self.standard, "--standard"))


@dataclass(frozen=True)
class AirBulletin(ProvisionalFigures):
    """The monthly bulletin (环境空气质量月报) model: summary sentence, pollutants with YoY,
    AQI calendar, daily table, city ranking. `provisional`: the month has not ended (said in
    the title and the summary sentence)."""

    period: Period
    model: Any = field(repr=False)
    provisional_as_of: datetime | None = None
    city: str | None = None
    city_note: str | None = None  # how the city was chosen when --city was not given
    data_until: Any = None  # datetime: end of the last hour with data, None without data

    def bulletin(self):
        return self.model

    @property
    def default_stem(self) -> str:
        if self.period.label:
            return f"air-{self.period.label}"
        first, last = self.period.first_last_days()
        return f"air-{first:%Y%m%d}-{last:%Y%m%d}"

    def as_json(self) -> dict:
        return {"title": self.model.title, "period": self.period.as_json(),
                "provisional": self.provisional, "city": self.city,
                "data_until": None if self.data_until is None else self.data_until.isoformat()}


def bulletin_city(store, city: str | None) -> tuple[str, str | None]:
    """The bulletin's city and, when it was not named, the sentence saying which one was
    taken and why: the only city of the station registry, else the first in registry order
    (by station code: stable, whatever data came in). Never the best-ranked city, which would
    change from one day to the next."""
    from envmon.air import storage

    if city is not None:
        return known_city(store, city), None
    cities = storage.cities(store)
    if not cities:
        raise NoStationsError("no city stations registered: import stations first "
                              "(envmon air stations import)")
    if len(cities) == 1:
        return cities[0], None
    shown = "、".join(cities[:5]) + (" …" if len(cities) > 5 else "")
    return cities[0], (f"--city not given: the bulletin is for {cities[0]}, the first of the "
                       f"{len(cities)} cities of the station registry ({shown}; ordered by "
                       "station code); name another with --city")


def monthly_bulletin(store, period: Period, options: BulletinOptions = BulletinOptions()
                     ) -> AirBulletin:
    from envmon.air import storage
    from envmon.reports.air import build_air_bulletin
    from envmon.reports.model import ReportError

    as_of = provisional_as_of(period)
    city, note = bulletin_city(store, options.city)
    until = storage.data_until(store, city, period.start, period.end)
    try:
        model = build_air_bulletin(store, period, city=city,
                                   standard=options.standard.value, excluded=options.excluded,
                                   provisional=as_of is not None, data_until=until,
                                   settings=options.settings)
    except ReportError as error:
        raise AirError(str(error)) from None
    return AirBulletin(period, model, as_of, city, note, until)



# ------------------------------------------------------------------------------- text output
# `--format text` as the commands had it: the import's one-line summary, the summary's
# bulletin sentence, the other lists as the terminal table.
def _register_text_renderers() -> None:
    from envmon.render import renderer
    from envmon.render.terminal import write_table

    @renderer(CitySummary, "text")
    def _sentence(result: CitySummary, stream) -> None:
        stream.write(result.sentence() + "\n")

    for imported in (StationsImported, DataImported):
        renderer(imported, "text")(lambda result, stream: stream.write(result.summary() + "\n"))
    for result_type in (StationAqi, CityRanking):
        renderer(result_type, "text")(lambda result, stream: write_table(result.as_table(),
                                                                         stream))


_register_text_renderers()
