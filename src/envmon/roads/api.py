"""Use cases of road-network particulate monitoring: what `envmon roads …`, `envmon
simulate-taxis` and the HTTP intake do, callable from the CLI, the web app and tests alike.

Shape (the same in every domain's `api.py`):

    def use_case(store, period, options) -> SomeResult

- `period` is an `envmon.period.Period` (commands build it from `--month` or `--from/--to`);
  use cases that work on no period (network, import, calibrate) omit it: `(store, options)`;
  the HTTP intake takes the request body in its place: `(store, payload, options)`.
- `options` is a frozen dataclass below; its fields are typed with the Enums here and checked
  in its `__post_init__`, the one place that raises `OptionError(option, reason)` with the
  CLI's option name ("--pollutant"), so the CLI and the web app give the same choices and words.
- The result is a dataclass with `as_json()` (exactly the JSON the command prints; tests pin
  it), and where it is a list `as_table()`; the ranking adds `bulletin()`, `map_png()` and
  `geojson()` for the 通报 and the map layer, and registers its "geojson" and "png" file
  renderers here, next to it. No printing, no Typer, no output paths chosen here (the CSV
  and truth files of `simulate_taxis` are what that action produces).
- Missing data a user can fix (no road network yet) is `RoadsDataError`, shown as one line.

A new use case goes here as one more function with its options and result classes; the domain
work it calls stays in its module (`network`, `sensors`, `pipeline`, `rank`, `storage`).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from envmon.choices import choice
from envmon.errors import EnvmonError, MissingDataError, OptionError
from envmon.period import Period, month_start, parse_time
from envmon.reports.provisional import ProvisionalFigures, provisional_as_of, titled
from envmon.roads import storage
from envmon.roads.matching import MatchConfig
from envmon.roads.network import NamingConfig
from envmon.roads.sensors import SensorConfig
from envmon.roads.settings import RoadSettings
from envmon.roads.stats import Eligibility, PassConfig
from envmon.roads.storage import NoRoadNetwork
from envmon.timeutil import BEIJING_FIXED, now_beijing

Progress = Callable[[int, int], None]
UNASSIGNED = "未划区"


class RoadsError(EnvmonError):
    """A request the roads data cannot answer; the message says what to fix."""


class RoadsDataError(RoadsError, LookupError):
    """The store lacks what the request needs (no road network imported yet, …)."""


class NoRoadNetworkError(RoadsDataError, MissingDataError):
    """No road network in the store: nothing to rank or draw (the CLI's exit 1, not 2)."""


class PayloadError(RoadsError, ValueError):
    """An HTTP intake body that is not a list of readings (answered with 400); `field` names
    the part of the body that is wrong."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# ------------------------------------------------------------------------------- choices
class Datum(enum.StrEnum):
    """Datum of device coordinates: WGS-84 (GPS) or GCJ-02 (Chinese map offset)."""

    WGS84 = "wgs84"
    GCJ02 = "gcj02"


class Pollutant(enum.StrEnum):
    PM10 = "pm10"
    PM25 = "pm25"

    @property
    def label(self) -> str:
        return {"pm10": "PM10", "pm25": "PM2.5"}[self.value]


class Normalise(enum.StrEnum):
    """Background normalisation against the city stations (Van den Bossche et al. 2015)."""

    NONE = "none"
    MULTIPLICATIVE = "multiplicative"
    ADDITIVE = "additive"


class Names(enum.StrEnum):
    """Segment names in the lists: junction (2024 form) or hotspot (2021 form)."""

    JUNCTION = "junction"
    HOTSPOT = "hotspot"


def _check_eligibility(eligibility: Eligibility) -> None:
    for option, value in (("--min-days", eligibility.min_days),
                          ("--min-passes", eligibility.min_passes),
                          ("--min-taxis", eligibility.min_taxis)):
        if value < 0:
            raise OptionError(option, f"must not be negative, not {value}")


def _existing(path: Path | None, option: str) -> None:
    if path is not None and not Path(path).exists():
        raise OptionError(option, f"{path}: no such file")


@contextmanager
def _data_errors() -> Iterator[None]:
    """Domain modules say LookupError for missing data; the doors show it as one line."""
    try:
        yield
    except RoadsDataError:
        raise
    except NoRoadNetwork as error:
        raise NoRoadNetworkError(str(error).strip("'\"")) from None
    except LookupError as error:
        raise RoadsDataError(str(error).strip("'\"")) from None


# ------------------------------------------------------------------------------- network
@dataclass(frozen=True)
class NetworkOptions:
    pbf: Path
    districts: Path | None = None
    naming: NamingConfig = field(default_factory=NamingConfig)
    # the districts file as parsed by the check, so the build does not read it a second time
    districts_geojson: dict | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _existing(self.pbf, "--pbf")
        _existing(self.districts, "--districts")
        _check_pbf(Path(self.pbf))
        if self.districts is not None:
            object.__setattr__(self, "districts_geojson",
                               _check_geojson(Path(self.districts), "--districts"))


def _check_pbf(path: Path) -> None:
    """An OSM PBF starts with the length of its first BlobHeader, whose type is OSMHeader:
    checked here so another file gets one line naming --pbf, not the reader's own words."""
    try:
        with path.open("rb") as f:
            size = int.from_bytes(f.read(4), "big")
            head = f.read(size) if 0 < size <= 64 * 1024 else b""
    except OSError as error:
        raise OptionError("--pbf", f"{path}: {error.strerror or error}") from None
    if b"OSMHeader" not in head:
        raise OptionError("--pbf", f"{path} is not an OSM PBF file (no OSMHeader block at "
                          "its start; download a .osm.pbf extract, e.g. from Geofabrik)")


def _check_geojson(path: Path, option: str) -> dict:
    """A GeoJSON FeatureCollection or Feature (UTF-8, a byte-order mark allowed), returned
    parsed so that the file is read once."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise OptionError(option, f"{path} is not GeoJSON (not UTF-8 text)") from None
    except json.JSONDecodeError as error:
        raise OptionError(option, f"{path} is not GeoJSON (not JSON: {error.msg} at line "
                          f"{error.lineno})") from None
    except OSError as error:
        raise OptionError(option, f"{path}: {error.strerror or error}") from None
    kind = data.get("type") if isinstance(data, dict) else None
    if kind not in ("FeatureCollection", "Feature"):
        raise OptionError(option, f"{path} is not GeoJSON (expected a FeatureCollection of "
                          "district polygons with a name property)")
    return data


@dataclass(frozen=True)
class NetworkBuilt:
    version: str
    crs: str
    edges: int
    segments: int
    districts: dict[str, int]

    def as_json(self) -> dict:
        return {"version": self.version, "crs": self.crs, "edges": self.edges,
                "segments": self.segments, "districts": self.districts}


def build_network(store, options: NetworkOptions) -> NetworkBuilt:
    """Build the directed road graph and its junction-to-junction named segments from an OSM
    extract (and district polygons), and keep it as the store's latest network version."""
    from envmon.roads.network import network_from_pbf
    from envmon.roads.storage import save_network

    try:
        net = network_from_pbf(options.pbf, options.districts_geojson, options.naming)
    except ValueError as error:
        raise RoadsError(str(error)) from None
    save_network(store, net)
    counts: dict[str, int] = {}
    for s in net.segments:
        counts[s.district or UNASSIGNED] = counts.get(s.district or UNASSIGNED, 0) + 1
    return NetworkBuilt(net.version, net.crs, len(net.edges), len(net.segments), counts)


# ------------------------------------------------------------------------------- readings
@dataclass(frozen=True)
class ReadingsImported:
    """Counts of an import: received = accepted + duplicates + rejections (per reason)."""

    received: int
    accepted: int
    rejected: dict[str, int]
    examples: tuple[str, ...] = ()  # the first rejected rows and why (said on stderr)
    source: str = ""
    duplicates: int = 0  # stored already with the same values (a re-sent batch): not again
    problems: tuple[dict, ...] = ()  # the first fields of a wrong type or value, named

    @classmethod
    def of(cls, result, examples: Sequence[str] = (), source: str = "") -> ReadingsImported:
        return cls(result.received, result.accepted, dict(sorted(result.rejected.items())),
                   tuple(examples), source, result.duplicates, tuple(result.problems))

    def report(self) -> str:
        """One line for the person who ran the import: read, accepted, rejected and why."""
        total = sum(self.rejected.values())
        where = f" from {self.source}" if self.source else ""
        if not self.received:
            return f"no data rows{where} (only a header, or an empty file)"
        line = f"read {self.received} rows{where}: {self.accepted} accepted, {total} rejected"
        if self.duplicates:
            line += f", {self.duplicates} stored already"
        if total:
            why = ", ".join(f"{k} {v}" for k, v in self.rejected.items())
            line += f" ({why}; first: {'; '.join(self.examples[:3])})"
        return line

    def as_json(self) -> dict:
        out = {"received": self.received, "accepted": self.accepted,
               "rejected": self.rejected, "rejected_total": sum(self.rejected.values()),
               "duplicates": self.duplicates}
        if self.problems:
            out["problems"] = list(self.problems)
        return out


@dataclass(frozen=True)
class ImportOptions:
    file: Path
    crs: Datum = Datum.WGS84
    device: str | None = None
    sensors: SensorConfig = field(default_factory=SensorConfig)

    def __post_init__(self) -> None:
        object.__setattr__(self, "crs", choice(Datum, self.crs, "--crs"))
        _existing(self.file, "file")
        _check_readings_header(Path(self.file), self.device)


READINGS_COLUMNS = "device_id,time,lat,lon,pm25,pm10[,rh,speed]"


def _check_readings_header(path: Path, device: str | None) -> None:
    """The CSV's header names the columns the import reads (or is the mmaqshiny layout);
    checked before a store is opened, so an unrelated file writes nothing."""
    import csv

    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            header = next(csv.reader(f), None)
    except UnicodeDecodeError:
        raise OptionError("FILE", f"{path}: not a UTF-8 text CSV (expected the columns "
                          f"{READINGS_COLUMNS})") from None
    except OSError as error:
        raise OptionError("FILE", f"{path}: {error.strerror or error}") from None
    if header is None:
        return  # an empty file: nothing to import, said by the command
    names = {h.strip() for h in header}
    if "date(LT)" in names:  # the mmaqshiny joined file (see sensors.read_csv_rows)
        return
    needed = ["time", "lat", "lon"] + ([] if device else ["device_id"])
    missing = [c for c in needed if c not in names]
    if not names & {"pm25", "pm10"}:
        missing.append("pm25 or pm10")
    if missing:
        raise OptionError("FILE", f"{path} is not a taxi readings CSV: missing column(s) "
                          f"{', '.join(missing)}; expected {READINGS_COLUMNS} (or the "
                          "mmaqshiny joined layout)")


def import_readings(store, options: ImportOptions) -> ReadingsImported:
    """Import a CSV of taxi PM readings: datum conversion, calibration, RH correction,
    plausibility rejections (kept with their reason). A non-empty file none of whose rows
    is usable is a RoadsError naming the file, the reasons and the expected columns, and
    writes nothing."""
    from envmon.roads.sensors import (
        load_calibrations,
        process_rows,
        read_csv_rows,
        store_readings,
    )

    rows, tz = read_csv_rows(options.file, options.device)
    accepted, rejected, result = process_rows(rows, options.crs.value,
                                              load_calibrations(store), options.sensors, tz)
    examples = [f"row {r['line']}: {r['reason']}" for r in rejected[:5]]
    if result.received and not result.accepted:
        raise RoadsError(f"{options.file}: none of its {result.received} rows is usable ("
                         + "; ".join(examples) + f"); expected {READINGS_COLUMNS}")
    store_readings(store, accepted, rejected, str(options.file), result, rows)
    return ReadingsImported.of(result, examples, str(options.file))


@dataclass(frozen=True)
class IntakeOptions:
    """One intake request's settings: the datum of bodies that name none (`roads serve
    --crs`), and the device-id prefix the request's token is bound to (None: any device)."""

    default_crs: Datum = Datum.WGS84
    device_prefix: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "default_crs", choice(Datum, self.default_crs, "--crs"))


def intake_readings(store, payload: Any, options: IntakeOptions = IntakeOptions()
                    ) -> ReadingsImported:
    """The HTTP intake: a decoded JSON body (the request, in the place of a period), a list of
    readings (the CSV's fields) or `{"crs": …, "readings": [...]}`; PayloadError for any
    other shape or an unknown crs."""
    from envmon.roads.sensors import import_rows

    crs: Any = options.default_crs
    where = ""
    if isinstance(payload, dict):
        crs = payload.get("crs", crs)
        payload = payload.get("readings")
        where = "readings"
    shape = 'body must be a JSON array of readings or {"crs": …, "readings": [...]}'
    if not isinstance(payload, list):
        raise PayloadError(shape + (f"; readings is {_json_kind(payload)}" if where else ""),
                           where or "body")
    for index, reading in enumerate(payload):
        if not isinstance(reading, dict):
            field = f"{where or 'body'}[{index}]"
            raise PayloadError(f"{shape}; {field} is {_json_kind(reading)}, not an object",
                               field)
    if not isinstance(crs, str):
        raise PayloadError(f"crs must be text (wgs84 or gcj02), not {_json_kind(crs)}", "crs")
    try:
        datum = choice(Datum, crs, "crs")
    except OptionError as error:
        raise PayloadError(f"crs {error.reason}", "crs") from None
    return ReadingsImported.of(import_rows(store, payload, datum.value, source="http",
                                           device_prefix=options.device_prefix))


def _json_kind(value: Any) -> str:
    names = {bool: "true/false", int: "a number", float: "a number", str: "text",
             list: "a list", dict: "an object", type(None): "null"}
    return names.get(type(value), type(value).__name__)


# ------------------------------------------------------------------------------- calibration
@dataclass(frozen=True)
class CalibrateOptions:
    """A device's linear calibration PM_cal = slope · PM_raw + intercept from `valid_from`
    (an aware datetime; ISO 8601 text is parsed once here, Beijing time without an offset,
    and kept as given in `valid_from_text` for the command's JSON)."""

    device: str
    valid_from: datetime
    pm25: tuple[float, float] = (1.0, 0.0)
    pm10: tuple[float, float] = (1.0, 0.0)
    model: str | None = None
    datum: Datum | None = None
    valid_from_text: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        given: Any = self.valid_from
        if isinstance(given, str):
            when = parse_time(given, "--from")
        elif isinstance(given, datetime):
            when = given if given.tzinfo else given.replace(tzinfo=BEIJING_FIXED)
        else:
            raise OptionError("--from", f"{given!r} is not an ISO 8601 time")
        object.__setattr__(self, "valid_from", when)
        if not self.valid_from_text:
            text = given if isinstance(given, str) else when.isoformat()
            object.__setattr__(self, "valid_from_text", text)
        if self.datum is not None:
            object.__setattr__(self, "datum", choice(Datum, self.datum, "--datum"))
        for option, (slope, intercept) in (("--pm25", self.pm25), ("--pm10", self.pm10)):
            if not (math.isfinite(slope) and math.isfinite(intercept)):
                raise OptionError(option, f"slope and intercept must be numbers, not "
                                  f"{slope} {intercept}")
            if slope <= 0:  # PM_cal = slope · PM_raw + intercept: ≤ 0 flattens or inverts
                raise OptionError(option, f"the slope must be > 0, not {slope:g} (PM_cal = "
                                  "slope · PM_raw + intercept)")
        if not str(self.device).strip():
            raise OptionError("DEVICE", "is empty")
        ahead = self.valid_from - now_beijing()
        if ahead > CALIBRATION_HORIZON:
            raise OptionError("--from", f"{self.valid_from_text} is more than "
                              f"{CALIBRATION_HORIZON.days} days ahead; a calibration may be "
                              "entered ahead of a sensor swap, but not that far (a typo?)")


# a calibration entered ahead of a sensor swap is legitimate: up to this far ahead
CALIBRATION_HORIZON = timedelta(days=366)


@dataclass(frozen=True)
class CalibrationSet:
    device_id: str
    valid_from: str
    pm25: tuple[float, float]
    pm10: tuple[float, float]
    warnings: tuple[str, ...] = ()  # said on stderr, not in the JSON

    def as_json(self) -> dict:
        return {"device_id": self.device_id, "valid_from": self.valid_from,
                "pm25": list(self.pm25), "pm10": list(self.pm10)}


def calibrate(store, options: CalibrateOptions) -> CalibrationSet:
    from envmon.roads.sensors import device_seen, set_calibration

    warnings = []
    if not device_seen(store, options.device):
        warnings.append(f"warning: device {options.device!r} has no readings and no earlier "
                        "calibration in this store; check the id (set anyway)")
    if options.valid_from > now_beijing() + timedelta(minutes=5):
        warnings.append(f"note: --from {options.valid_from_text} is in the future; the "
                        "calibration applies to readings from then on")
    set_calibration(store, options.device, options.valid_from, options.pm25,
                    options.pm10, options.model,
                    None if options.datum is None else options.datum.value)
    return CalibrationSet(options.device, options.valid_from_text, options.pm25, options.pm10,
                          tuple(warnings))


# ------------------------------------------------------------------------------- matching
@dataclass(frozen=True)
class MatchOptions:
    match: MatchConfig = field(default_factory=MatchConfig)
    passes: PassConfig = field(default_factory=PassConfig)

    @classmethod
    def of(cls, settings: RoadSettings) -> MatchOptions:
        return cls(settings.match, settings.passes)


@dataclass(frozen=True)
class MatchResult:
    """Totals of the matching (points, matched, passes …) and coverage per taxi per day."""

    summary: dict

    def as_json(self) -> dict:
        return self.summary

    def as_table(self):
        from envmon.render import Column, Table

        keys = [("device_id", "车辆"), ("day", "日期"), ("points", "定位点数"),
                ("matched", "匹配点数"), ("rate", "匹配率")]
        return Table("地图匹配覆盖（每车每日）", [Column(k, label) for k, label in keys],
                     [tuple(c[k] for k, _ in keys) for c in self.summary["coverage"]])


def match(store, period: Period, options: MatchOptions = MatchOptions(), *,
          progress: Progress | None = None) -> MatchResult:
    """Map-match the period's readings (one Beijing day at a time) and rewrite its drive
    passes and coverage; `progress(done_days, total_days)` after each day."""
    from envmon.roads.pipeline import process

    with _data_errors():
        return MatchResult(process(store, period.start, period.end,
                                   match_config=options.match, config=options.passes,
                                   progress=progress))


# ------------------------------------------------------------------------------- coverage
@dataclass(frozen=True)
class CoverageOptions:
    """The thresholds a segment must meet to count as eligible (as for the ranking)."""

    eligibility: Eligibility = field(default_factory=Eligibility)

    def __post_init__(self) -> None:
        _check_eligibility(self.eligibility)


@dataclass(frozen=True)
class CoverageResult(ProvisionalFigures):
    """`provisional`: the period has not ended, so the figures will still grow."""

    figures: dict
    provisional_as_of: datetime | None = None

    def as_json(self) -> dict:
        return {**self.figures, "provisional": self.provisional}

    def as_table(self):
        from envmon.render import Column, Table

        keys = [("day", "日期"), ("segments", "有数据路段数"), ("share", "路段覆盖率"),
                ("km", "覆盖里程（公里）")]
        f = self.figures
        return Table(titled(f"路网监测覆盖（共{f['segments']}条路段，{f['km']}公里，"
                            f"符合排名条件{f['eligible']}条）", self.provisional_as_of),
                     [Column(k, label) for k, label in keys],
                     [tuple(d[k] for k, _ in keys) for d in f["daily"]])


def coverage(store, period: Period, options: CoverageOptions = CoverageOptions()
             ) -> CoverageResult:
    """Segments and km with passes per day, eligible over the period; match coverage per
    taxi per day (roads.md §4.8)."""
    from envmon.roads.rank import coverage as coverage_of

    with _data_errors():
        return CoverageResult(coverage_of(store, period.start, period.end,
                                          eligibility=options.eligibility),
                              provisional_as_of(period))


# ------------------------------------------------------------------------------- passes
@dataclass(frozen=True)
class PassesOptions:
    """One segment of the latest road network (its id as in the ranking and the map)."""

    segment_id: str

    def __post_init__(self) -> None:
        if not str(self.segment_id).strip():
            raise OptionError("segment_id", "is empty")


@dataclass(frozen=True)
class SegmentPasses(ProvisionalFigures):
    """A segment's drive passes of the period (one taxi crossing it): device, start, end,
    readings, covered metres, mean PM2.5/PM10 and whether it counts for the median
    (≥ 3 readings or ≥ 30 % of the length)."""

    segment_id: str
    passes: list[dict]
    period: Period | None = None
    provisional_as_of: datetime | None = None
    name: str = ""
    """The segment's name (路名 A路口至B路口) and district, for a page's heading (not in the
    JSON, which stays the list of passes)."""
    district: str = ""

    @property
    def default_stem(self) -> str:
        p = self.period
        stem = ("" if p is None else p.label if p.is_month
                else f"{p.start:%Y%m%d}-{p.end:%Y%m%d}")
        return f"roads-passes-{self.segment_id}-{stem}".rstrip("-")

    def as_json(self) -> list[dict]:
        return self.passes

    def as_table(self):
        from envmon.render import Column, Table

        keys = [("device_id", "车辆"), ("start", "开始时间"), ("end", "结束时间"),
                ("n_readings", "读数"), ("covered_m", "覆盖长度（米）"),
                ("pm25", "PM2.5"), ("pm10", "PM10"), ("counted", "计入")]
        return Table(titled(f"路段{self.segment_id}通过记录", self.provisional_as_of),
                     [Column(k, label) for k, label in keys],
                     [tuple(p[k] for k, _ in keys) for p in self.passes])


def segment_passes(store, period: Period, options: PassesOptions) -> SegmentPasses:
    """The drive passes over one segment of the latest network in the period (matched
    readings only: `roads match`, or a ranking, makes them)."""
    from envmon.roads.storage import latest_version, segment_rows
    from envmon.roads.storage import segment_passes as passes_of

    version = latest_version(store)
    if version is None:
        raise NoRoadNetworkError("no road network in the store; run `envmon roads network` "
                                 "first")
    rows = passes_of(store, version, options.segment_id, period.start, period.end)
    if rows is None:
        raise RoadsDataError(f"no segment with id {options.segment_id!r} in the road network "
                             f"{version}")

    def when(value: datetime) -> str:
        return value.astimezone(BEIJING_FIXED).isoformat()

    passes = [{"device_id": device, "start": when(start), "end": when(end),
               "n_readings": n, "covered_m": round(float(covered), 1),
               "pm25": _one_decimal(pm25), "pm10": _one_decimal(pm10), "counted": bool(counted)}
              for device, start, end, n, covered, pm25, pm10, counted in rows]
    segment = segment_rows(store, version, [options.segment_id])[options.segment_id]
    return SegmentPasses(options.segment_id, passes, period, provisional_as_of(period),
                         name=segment["name"] or "", district=segment["district"] or "")


# ------------------------------------------------------------------------------- ranking
@dataclass(frozen=True)
class RankOptions:
    top: int = 20
    pollutant: Pollutant = Pollutant.PM10
    normalise: Normalise = Normalise.NONE
    names: Names = Names.JUNCTION
    eligibility: Eligibility = field(default_factory=Eligibility)
    match_first: bool = False
    matching: MatchOptions = field(default_factory=MatchOptions)
    detail: bool = False  # also gather what the bulletin, the map and the layer need
    match_unmatched: bool = True
    """Days with readings not yet matched are matched first (False: refuse, naming them);
    `match_first` matches the whole period whatever was matched before."""
    max_match_days: int | None = None
    """At most this many days are matched first (more: refused naming them and what to run,
    as with `match_unmatched=False`); None: no bound (the CLI, which shows its progress). A
    server answering a request sets it, so a request never holds a worker for long."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "pollutant", choice(Pollutant, self.pollutant, "--pollutant"))
        object.__setattr__(self, "normalise", choice(Normalise, self.normalise, "--normalise"))
        object.__setattr__(self, "names", choice(Names, self.names, "--names"))
        if not isinstance(self.top, int) or self.top < 1:
            raise OptionError("--top", f"must be a whole number ≥ 1, not {self.top!r}")
        _check_eligibility(self.eligibility)

    @staticmethod
    def eligibility_from(base: Eligibility, min_days: int | None = None,
                         min_passes: int | None = None,
                         min_taxis: int | None = None) -> Eligibility:
        """The thresholds of the settings with the ones given on the command line."""
        return Eligibility(base.min_days if min_days is None else min_days,
                           base.min_passes if min_passes is None else min_passes,
                           base.min_taxis if min_taxis is None else min_taxis)


# the 通报's words for the two lists (reports.roads: 污染较重的N条路段, 空气质量较好的N条路段)
LIST_WORDS = {"dirty": "污染较重", "clean": "空气质量较好"}


def _one_decimal(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)


@dataclass
class RankResult(ProvisionalFigures):
    """The dirty/clean lists (`ranking`: the bulletin's JSON) with the segment values behind
    them; with `detail`, the bootstrap CIs, raw values, geometry and coverage as well.
    `provisional`: the period has not ended (said in the JSON, the titles and the 通报)."""

    period: Period
    options: RankOptions
    ranking: dict
    values: list = field(repr=False)
    provisional_as_of: datetime | None = None
    segments: dict | None = field(default=None, repr=False)
    ci: dict[str, tuple[float, float]] | None = None
    raw: dict[str, float] | None = None
    coverage: dict | None = None
    _chart: Any = field(default=None, repr=False)

    eligible: int = 0
    """Segments meeting the thresholds; each list has `list_length` of them (fewer than
    `top` when fewer than 2 × top are eligible, so the lists never overlap)."""
    list_length: int = 0
    matched_days: list[str] = field(default_factory=list)
    """Beijing days the ranking matched first because their readings were not matched yet."""
    note: str | None = None
    """Why the lists are empty or shorter than --top (None when they are full)."""

    def as_json(self) -> dict:
        return {**self.ranking, "provisional": self.provisional, "eligible": self.eligible,
                "list_length": self.list_length, "matched_days": self.matched_days,
                "note": self.note}

    @property
    def default_stem(self) -> str:
        p = self.period
        stem = p.label if p.is_month else f"{p.start:%Y%m%d}-{p.end:%Y%m%d}"
        return f"roads-{stem}-{self.options.pollutant.value}"

    def written(self, path: Path) -> RankWritten:
        """What the command says after writing the 通报 to `path` (xlsx, html, pdf)."""
        return RankWritten(path, self)

    @property
    def listed(self) -> set[str]:
        return {i["segment_id"] for i in self.ranking["dirty"] + self.ranking["clean"]}

    def as_table(self, *, list_keys: bool = False):
        """The two lists as one table; the 榜单 column reads 污染较重/空气质量较好 (the
        通报's words), or the JSON's keys dirty/clean with `list_keys` (the CSV: a contract)."""
        from envmon.render import Column, Table

        label = self.options.pollutant.label
        columns = [Column("list", "榜单"), Column("rank", "排名"), Column("segment_id", "路段编号"),
                   Column("name", "路段"), Column("district", "区"),
                   Column("value", f"{label}（微克/立方米）", number_format="0.0"),
                   Column("n_passes", "通过次数"), Column("n_days", "天数"),
                   Column("n_taxis", "车辆数")]
        rows = [(side if list_keys else LIST_WORDS[side], i["rank"], i["segment_id"],
                 i["name"], i["district"], i["value"], i["n_passes"], i["n_days"],
                 i["n_taxis"])
                for side in ("dirty", "clean") for i in self.ranking[side]]
        return Table(titled(f"{self.period.describe()} {label} 路段排名",
                            self.provisional_as_of), columns, rows)

    def _need_detail(self) -> None:
        if self.segments is None:
            raise OptionError("--format", "the bulletin and the map need the ranking computed "
                                          "with detail=True")

    def chart(self):
        """The map of every segment coloured by its value, listed ones outlined."""
        self._need_detail()
        if self._chart is None:
            from envmon.reports.roads import segment_map

            self._chart = segment_map(self.segments,
                                      {v.segment_id: v.value for v in self.values},
                                      self.listed,
                                      f"路段{self.options.pollutant.label}浓度（中位数）")
        return self._chart

    def map_png(self) -> bytes:
        return self.chart().png

    def bulletin(self):
        """The 通报 model (reports.roads) for xlsx, html and pdf."""
        from envmon.reports.roads import build_roads_bulletin

        self._need_detail()
        by_id = {v.segment_id: v for v in self.values}
        # the bulletin's figures to the 0.1 µg/m³ of the published values (the JSON keeps
        # its own precision: a contract)
        extra = {sid: {"iqr": _one_decimal(by_id[sid].q3 - by_id[sid].q1),
                       "ci": f"{self.ci[sid][0]:.1f}–{self.ci[sid][1]:.1f}",
                       **({"raw": _one_decimal(self.raw.get(sid))}
                          if self.raw is not None else {})}
                 for sid in self.listed}
        return build_roads_bulletin(self.ranking, self.period, extra, self.chart(),
                                    coverage=self.coverage,
                                    normalised=self.options.normalise is not Normalise.NONE,
                                    provisional=self.provisional)

    def geojson(self) -> dict:
        """Segments as LineStrings (WGS-84) with value, counts, eligibility and list ranks."""
        self._need_detail()
        by_id = {v.segment_id: v for v in self.values}
        dirty = {i["segment_id"]: i["rank"] for i in self.ranking["dirty"]}
        clean = {i["segment_id"]: i["rank"] for i in self.ranking["clean"]}
        features = []
        for sid, s in self.segments.items():
            v = by_id.get(sid)
            features.append({
                "type": "Feature",
                "geometry": {"type": "LineString",
                             "coordinates": [[round(x, 7), round(y, 7)]
                                             for x, y in s["lonlat"]]},
                "properties": {
                    "segment_id": sid, "name": s["name"], "road": s["road"],
                    "district": s["district"], "length_m": round(s["length_m"], 1),
                    "value": None if v is None else round(v.value, 1),
                    "n_passes": 0 if v is None else v.n_passes,
                    "n_days": 0 if v is None else v.n_days,
                    "n_taxis": 0 if v is None else v.n_taxis,
                    "status": ("无数据" if v is None else "排名" if v.eligible else "数据不足"),
                    "dirty_rank": dirty.get(sid), "clean_rank": clean.get(sid),
                },
            })
        return {"type": "FeatureCollection", "pollutant": self.ranking["pollutant"],
                "from": self.ranking["from"], "to": self.ranking["to"],
                "provisional": self.provisional, "features": features}


@dataclass(frozen=True)
class RankWritten:
    """The 通报 of a ranking written to a file: the path and the sizes of the lists."""

    path: Path
    result: RankResult

    def as_json(self) -> dict:
        ranking = self.result.as_json()
        return {"written": str(self.path), "dirty": len(ranking["dirty"]),
                "clean": len(ranking["clean"]), "insufficient": ranking["insufficient"],
                "provisional": ranking["provisional"]}


def rank(store, period: Period, options: RankOptions = RankOptions(), *,
         progress: Progress | None = None) -> RankResult:
    """The most polluted and the cleanest eligible segments of the period (median of the
    drive-pass means); the segment statistics are kept in `road_segment_stats`, replacing an
    earlier computation of the same period. With `match_first` the period is matched first;
    otherwise the days whose readings are not all matched yet are matched first (or, with
    `match_unmatched=False`, refused naming them): a ranking of unmatched readings would be
    empty. The two lists never share a segment; `note` says why they are short or empty."""
    from envmon.roads.rank import list_length, ranking, segment_values, store_stats
    from envmon.roads.storage import latest_version, segment_rows

    a, b = period.start, period.end
    pollutant, normalise = options.pollutant.value, options.normalise.value
    matched_days: list[str] = []
    with _data_errors():
        if options.match_first:
            days = len(list(period.day_bounds()))
            if options.max_match_days is not None and days > options.max_match_days:
                raise RoadsDataError(
                    f"matching the period's {days} days is more than the "
                    f"{options.max_match_days} matched on request: run `envmon roads match` "
                    "for the period first")
            match(store, period, options.matching, progress=progress)
        else:
            matched_days = _match_pending(store, period, options, progress)
        values = segment_values(store, a, b, pollutant, eligibility=options.eligibility,
                                normalise=normalise)
    eligible = sum(1 for v in values if v.eligible)
    per_list = list_length(eligible, options.top)
    result = ranking(values, a, b, pollutant, per_list)
    version = latest_version(store)
    store_stats(store, version, values, a, b, pollutant, normalise)
    if options.names is Names.HOTSPOT:
        _hotspot_names(store, version, result)
    note = _rank_note(store, period, options, values, eligible, per_list)
    out = RankResult(period, options, result, values, provisional_as_of(period),
                     eligible=eligible, list_length=per_list, matched_days=matched_days,
                     note=note)
    if options.detail:
        from envmon.roads.rank import coverage as coverage_of
        from envmon.roads.rank import with_ci

        by_id = {v.segment_id: v for v in values}
        out.ci = with_ci(store, version, [by_id[s] for s in out.listed], a, b, pollutant)
        if options.normalise is not Normalise.NONE:
            out.raw = {v.segment_id: v.value for v in segment_values(
                store, a, b, pollutant, eligibility=options.eligibility)}
        out.segments = segment_rows(store, version)
        out.coverage = coverage_of(store, a, b, version, options.eligibility)
    return out


def _match_pending(store, period: Period, options: RankOptions,
                   progress: Progress | None) -> list[str]:
    """Match the days of the period with readings not matched yet (one step per day);
    refuse naming them when `match_unmatched` is off. Returns the days matched."""
    from envmon.roads.pipeline import process, unmatched_days
    from envmon.timeutil import BEIJING_FIXED

    pending = unmatched_days(store, period.start, period.end)
    days = [f"{day_start.astimezone(BEIJING_FIXED):%Y-%m-%d}" for day_start, _ in pending]
    limit = options.max_match_days
    if pending and limit is not None and len(pending) > limit:
        shown = ", ".join(days[:3]) + (" …" if len(days) > 3 else "")
        raise RoadsDataError(
            f"{len(days)} day(s) of the period have readings not map-matched yet ({shown}), "
            f"more than the {limit} matched on request: run `envmon roads match` for the "
            "period first")
    if pending and not options.match_unmatched:
        shown = ", ".join(days[:3]) + (" …" if len(days) > 3 else "")
        raise RoadsDataError(
            f"{len(days)} day(s) of the period have readings not map-matched yet ({shown}): "
            "run `envmon roads match` for the period, or rank with --match")
    for done, (day_start, day_end) in enumerate(pending, start=1):
        process(store, day_start, day_end, match_config=options.matching.match,
                config=options.matching.passes)
        if progress is not None:
            progress(done, len(pending))
    return days


def _rank_note(store, period: Period, options: RankOptions, values: list, eligible: int,
               per_list: int) -> str | None:
    """Why the lists are empty or shorter than --top: no readings, no drive passes, no
    segment meeting the thresholds, or too few for two lists that do not overlap."""
    if per_list >= options.top:
        return None
    e = options.eligibility
    thresholds = (f"at least {e.min_days} days, {e.min_passes} drive passes and "
                  f"{e.min_taxis} taxis (--min-days, --min-passes, --min-taxis)")
    if not values:
        readings = storage.readings_in(store, period.start, period.end)
        if readings == 0:
            return (f"no readings in {period.describe()}: import them first "
                    "(`envmon roads import`)")
        return (f"{readings} readings in {period.describe()} but no drive pass on a segment "
                "of the road network (readings off the network, or too few per pass)")
    if eligible == 0:
        return (f"none of the {len(values)} segments with data meets {thresholds}: all "
                "counted as 数据不足")
    return (f"only {eligible} segments meet {thresholds}, fewer than 2 × --top {options.top}: "
            f"each list has {per_list} so that no segment is on both")


def _hotspot_names(store, version: str, result: dict) -> None:
    """Rename the listed segments in the 2021 form (路名+区名+POI+方位+N米路段)."""
    from envmon.roads.network import hotspot_names
    from envmon.roads.storage import load_pois, segment_rows

    crs = store.query("SELECT crs FROM road_networks WHERE version = ?", [version])[0][0]
    listed = {i["segment_id"] for i in result["dirty"] + result["clean"]}
    rows = list(segment_rows(store, version, listed).values())
    found = hotspot_names(crs, rows, load_pois(store, version))
    for item in result["dirty"] + result["clean"]:
        item["name"] = found.get(item["segment_id"], item["name"])


# The ranking's map layers, besides the formats every result has: `geojson` (the segments
# with their values, one compact JSON line) and `png` (the map of the 通报), both to a file.
def _register_renderers() -> None:
    from envmon.render import jsonout, renderer

    @renderer(RankResult, "geojson", to_file=True)
    def _geojson(result: RankResult, path: Path) -> Path:
        path.write_text(jsonout.dumps(result.geojson(), "compact"), encoding="utf-8")
        return path

    @renderer(RankResult, "csv")
    def _csv(result: RankResult, stream) -> None:
        from envmon.render.csvout import write_csv

        write_csv(result.as_table(list_keys=True), stream)

    @renderer(RankResult, "png", to_file=True)
    def _png(result: RankResult, path: Path) -> Path:
        path.write_bytes(result.map_png())
        return path


_register_renderers()


# ------------------------------------------------------------------------------- simulation
def default_month(store, now: datetime | None = None) -> str:
    """The month a ranking page opens on: the previous month when it has readings (the
    monthly 20 most polluted and cleanest are a product of a whole month), else this one."""
    now = now or now_beijing()
    this = month_start(now)
    previous = month_start(this - timedelta(days=1))
    has = storage.readings_in(store, previous, this, any_=True)
    return f"{previous:%Y-%m}" if has else f"{this:%Y-%m}"


@dataclass(frozen=True)
class SimulateOptions:
    """A simulated fleet through a known pollution field; the readings go to `out` (CSV: the
    CLI's `--out`, which here is not the summary's `--output`) and, with `truth`, the true
    per-segment concentrations to a JSON file: the simulation's product, which `do_import`
    then imports like any CSV."""

    out: Path = Path("taxis.csv")
    truth: Path | None = None
    pbf: Path | None = None
    taxis: int = 6
    days: int = 9
    minutes: float = 40.0
    datum: Datum = Datum.WGS84
    seed: int = 7
    do_import: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "datum", choice(Datum, self.datum, "--datum"))
        for option, value in (("--taxis", self.taxis), ("--days", self.days)):
            if value < 1:
                raise OptionError(option, f"must be ≥ 1, not {value}")
        if self.minutes <= 0:
            raise OptionError("--minutes", f"must be positive, not {self.minutes}")
        _existing(self.pbf, "--pbf")


@dataclass(frozen=True)
class SimulationResult:
    summary: dict

    def as_json(self) -> dict:
        return self.summary


def simulate_taxis(store, period: Period, options: SimulateOptions = SimulateOptions()
                   ) -> SimulationResult:
    """Drive a fleet over the store's network (or `pbf`, or a synthetic grid) from the first
    day of `period`; the network and the devices' calibrations are written to the store."""
    from envmon.render import jsonout
    from envmon.roads.network import network_from_pbf
    from envmon.roads.sensors import import_csv, set_calibration
    from envmon.roads.storage import latest_version, load_network, save_network
    from envmon.sim.taxis import TaxiSimConfig, simulate, synthetic_city

    first = period.start
    if options.pbf is not None:
        net = network_from_pbf(options.pbf)
        save_network(store, net)
    elif latest_version(store):
        net = load_network(store)
    else:
        net = synthetic_city(8, 8, 400.0)
        save_network(store, net)
    datum = options.datum.value
    sim = simulate(net, TaxiSimConfig(taxis=options.taxis, days=options.days,
                                      minutes_per_day=options.minutes, datum=datum,
                                      seed=options.seed, start=first + timedelta(hours=7)))
    for device, (a25, b25, a10, b10) in sim.calibrations.items():
        set_calibration(store, device, first - timedelta(days=30), (a25, b25), (a10, b10),
                        "simulated", datum)
    sim.write_csv(options.out)
    summary: dict[str, Any] = {"readings": len(sim.t), "out": str(options.out),
                               "network_version": net.version, "segments": len(net.segments),
                               # a simulator may drive through days still to come: say so
                               "future": first > now_beijing()}
    if options.do_import:
        summary["import"] = ReadingsImported.of(import_csv(store, options.out, datum)).as_json()
    if options.truth is not None:
        options.truth.write_text(jsonout.dumps({k: {"pm25": v[0], "pm10": v[1]}
                                                for k, v in sim.truth.items()}, "compact"),
                                 encoding="utf-8")
        summary["truth"] = str(options.truth)
    return SimulationResult(summary)


__all__: Sequence[str] = (
    "Datum", "Pollutant", "Normalise", "Names", "RoadsError", "RoadsDataError", "PayloadError",
    "NetworkOptions", "build_network", "ImportOptions", "import_readings", "IntakeOptions",
    "intake_readings", "CalibrateOptions", "calibrate", "MatchOptions", "match",
    "CoverageOptions", "coverage", "PassesOptions", "segment_passes", "SegmentPasses",
    "RankOptions",
    "RankResult", "RankWritten", "rank", "SimulateOptions", "simulate_taxis",
)
