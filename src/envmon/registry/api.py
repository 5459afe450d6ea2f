"""Use cases of the registry: import, export, history of versioned values, CRC policy, demo
file.

Where a new use case goes: here, as a plain function `(store, options) -> Result` (no period:
the registry is the current state). Its options are a frozen dataclass validated in
`__post_init__`, raising `envmon.errors.OptionError` with the CLI's option name; its result a
dataclass with `as_json()` (and `as_table()` when tabular). The CLI (`envmon.cli.registry`)
and the web app only parse, call and render: no SQL, no file format logic at the doors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from envmon.choices import choice
from envmon.errors import OptionError
from envmon.registry.importer import RegistryFileError

REGISTRY_SUFFIXES = (".csv", ".xlsx")


class CrcMode(StrEnum):
    """CRC variants a point may be allowed to use (hj212.md §4; `store.models.CRC_MODES`)."""

    HJ212 = "hj212"
    MODBUS = "modbus"
    MODBUS_SWAPPED = "modbus_swapped"


def _registry_file(path: Path, option: str = "FILE") -> Path:
    path = Path(path)
    if path.suffix.lower() not in REGISTRY_SUFFIXES:
        raise OptionError(option, f"{path.name}: use a .csv or .xlsx file name")
    return path


# ---------------------------------------------------------------------------------- import
@dataclass(frozen=True)
class ImportOptions:
    file: Path
    strict_unit_id: bool = False
    """Reject rows whose 统一社会信用代码 fails the GB 32100-2015 check (default: warn)."""
    effective: date | str | None = None
    """The day changed limits, o2_ref, standards and passwords take effect (`--effective`,
    YYYY-MM-DD; default today in Beijing time). A day after today schedules the changes (the
    current values stay in force until then), at most `MAX_SCHEDULE_DAYS` ahead."""

    def __post_init__(self) -> None:
        if self.effective is None or isinstance(self.effective, date):
            day = self.effective
        else:
            try:
                day = date.fromisoformat(str(self.effective).strip())
            except ValueError:
                raise OptionError("--effective", f"{self.effective!r} is not a date "
                                  "YYYY-MM-DD") from None
        from envmon.registry.importer import MAX_SCHEDULE_DAYS
        from envmon.timeutil import now_beijing

        if day is not None and (day - now_beijing().date()).days > MAX_SCHEDULE_DAYS:
            raise OptionError("--effective", f"{day} is more than {MAX_SCHEDULE_DAYS} days "
                              "ahead (Beijing time); a change is scheduled at most that far")
        object.__setattr__(self, "effective", day)


@dataclass(frozen=True)
class ImportResult:
    """What `registry import` did: the importer's report and the store it wrote to."""

    report: Any  # envmon.registry.importer.ImportReport
    file: Path
    target: str

    @property
    def ok(self) -> bool:
        return self.report.ok

    def as_json(self) -> dict[str, Any]:
        r, c = self.report, self.report.counts
        return {
            "file": str(self.file), "target": self.target, "rows_read": r.rows_read,
            "rows_imported": r.rows_imported,
            "units": {"new": c.units_new, "updated": c.units_updated},
            "outlets": {"new": c.outlets_new, "updated": c.outlets_updated},
            "points": {"new": c.points_new, "updated": c.points_updated},
            "rejected": [str(p) for p in r.rejected], "warnings": [str(p) for p in r.warnings],
            "notices": list(r.notices),
            "effective_from": (f"{r.effective_from:%Y-%m-%d}" if r.effective_from else None),
            "changes": [change.as_json() for change in r.changes],
        }


def import_registry(store, options: ImportOptions) -> ImportResult:
    """Import monitoring points from CSV or XLSX: bad rows are listed, good rows kept; a file
    that cannot be used at all raises `RegistryFileError`."""
    from envmon.registry import importer

    report = importer.import_file(store, options.file, strict_unit_id=options.strict_unit_id,
                                  effective=options.effective)
    return ImportResult(report, Path(options.file), store.target)


# --------------------------------------------------------------------------------- history
@dataclass(frozen=True)
class HistoryOptions:
    mn: str | None = None
    """Only this point's changes (`--mn`); None: every point's."""


HISTORY_COLUMNS = (
    ("mn", "MN"), ("factor", "因子"), ("field", "项目"), ("old", "原值"), ("new", "新值"),
    ("effective_from", "生效日期"), ("imported_at", "导入时间"), ("status", "状态"),
)
_STATUS_ZH = {"scheduled": "待生效", "in_force": "已生效"}


@dataclass(frozen=True)
class RegistryHistory:
    """`registry history`: every versioned change (store.RegistryHistoryEntry), in the order
    they take effect per point."""

    entries: tuple

    def as_json(self) -> list[dict[str, Any]]:
        """mn, factor, field, old, new, effective_from (YYYY-MM-DD, null: since
        registration), imported_at, status (in_force | scheduled)."""
        return [e.as_json() for e in self.entries]

    def as_table(self):
        from envmon.render import Column, Table

        rows = []
        for e in self.as_json():
            rows.append(tuple(
                _STATUS_ZH.get(e[k], e[k]) if k == "status" else e[k]
                for k, _ in HISTORY_COLUMNS))
        return Table("登记信息变更记录", [Column(k, label, whole=k == "mn")
                                         for k, label in HISTORY_COLUMNS], rows)

    default_stem = "registry_history"


def registry_history(store, options: HistoryOptions | None = None) -> RegistryHistory:
    """The registry's versioned changes (limits, o2_ref, standard, pw, factors), old → new."""
    options = options or HistoryOptions()
    if options.mn is not None:
        require_known_mn(store, options.mn)
    return RegistryHistory(tuple(store.registry_changes(options.mn)))


# ---------------------------------------------------------------------------------- export
@dataclass(frozen=True)
class ExportOptions:
    file: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "file", _registry_file(self.file))


@dataclass(frozen=True)
class FileWritten:
    """A file written by a use case: where, and how many rows."""

    path: Path
    rows: int
    points: int | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": str(self.path), "rows": self.rows}
        if self.points is not None:
            out["points"] = self.points
        return out


def export_registry(store, options: ExportOptions) -> FileWritten:
    """Write the registry in the columns `registry import` reads (passwords included)."""
    from envmon.registry.export import export_file

    return FileWritten(options.file, export_file(store, options.file))


# ----------------------------------------------------------------------- export as a table
@dataclass(frozen=True)
class RegistryTable:
    """The registry in the columns `registry import` reads (what `registry export` writes),
    as a result: JSON objects, the CSV of the export file (BOM and all), or its XLSX. The
    web's export: passwords left out unless `passwords` (there are no users yet to allow it)."""

    rows: tuple[dict[str, str], ...]
    passwords: bool = False

    default_stem = "registry"

    def as_json(self) -> list[dict[str, str]]:
        return [dict(r) for r in self.rows]


@dataclass(frozen=True)
class RegistryTableOptions:
    passwords: bool = False
    """Include the points' passwords (a re-importable file); False: pw cells left empty."""


def registry_table(store, options: RegistryTableOptions | None = None) -> RegistryTable:
    """The registry's rows as `registry export` writes them (see `RegistryTable`)."""
    from envmon.registry.export import export_rows

    options = options or RegistryTableOptions()
    return RegistryTable(tuple(export_rows(store, passwords=options.passwords)),
                         options.passwords)


# ---------------------------------------------------------------------------------- points
POINT_COLUMNS = (
    ("mn", "MN"), ("unit_id", "单位代码"), ("unit_name", "单位名称"), ("outlet_id", "排口编号"),
    ("outlet_name", "排口名称"), ("kind", "类型"), ("province_code", "省代码"),
    ("province", "省"), ("city_code", "市代码"), ("city", "市"), ("county_code", "区县代码"),
    ("county", "区县"), ("factors", "因子及限值"), ("o2_ref", "基准氧含量"),
    ("standard", "排放标准"), ("must_network", "应联网"), ("assessed", "参与考核"),
    ("expected_interval_s", "数据上传间隔(秒)"), ("longitude", "经度"), ("latitude", "纬度"),
    ("protocol", "协议版本"),
)  # fmt: skip


@dataclass(frozen=True)
class PointsOptions:
    region: str | None = None
    """Only the points of this region (`--region`: GB/T 2260 code or prefix, 14, 1401 …)."""
    unit: str | None = None
    """Only this unit's points (`--unit`)."""

    def __post_init__(self) -> None:
        if self.region is not None:
            from envmon.assess.api import region_prefix

            object.__setattr__(self, "region", region_prefix(self.region))
        if self.unit is not None and not str(self.unit).strip():
            raise OptionError("--unit", "give a unit's code (统一社会信用代码)")


@dataclass(frozen=True)
class RegistryPoints:
    """The registered monitoring points with their unit, outlet, region, factors and limits
    (factor → limit, null: no limit) and location: what the pages draw and list."""

    points: tuple[dict[str, Any], ...]

    default_stem = "registry_points"

    def as_json(self) -> list[dict[str, Any]]:
        return [dict(p) for p in self.points]

    def as_table(self):
        from envmon.registry.export import format_factors
        from envmon.render import Column, Table

        rows = [tuple(format_factors(p[k]) if k == "factors" else p[k]
                      for k, _ in POINT_COLUMNS) for p in self.points]
        return Table("监控点位", [Column(k, label, whole=k in ("mn", "unit_id"))
                                 for k, label in POINT_COLUMNS], rows)


def registry_points(store, options: PointsOptions | None = None) -> RegistryPoints:
    """The monitoring points in force, by MN, filtered by region prefix and unit."""
    options = options or PointsOptions()
    if options.unit is not None:
        require_known_unit(store, options.unit)
    points = []
    for row in store.registry_rows():
        if not row.mn:
            continue
        codes = (row.county_code or "", row.city_code or "", row.province_code or "")
        if options.region is not None and not any(c.startswith(options.region) for c in codes):
            continue
        if options.unit is not None and row.unit_id != options.unit:
            continue
        points.append({
            "mn": row.mn, "unit_id": row.unit_id, "unit_name": row.unit_name,
            "outlet_id": row.outlet_id, "outlet_name": row.outlet_name, "kind": row.kind,
            "province_code": row.province_code, "province": row.province,
            "city_code": row.city_code, "city": row.city, "county_code": row.county_code,
            "county": row.county, "factors": dict(row.factors), "o2_ref": row.o2_ref,
            "standard": row.standard, "must_network": bool(row.must_network),
            "assessed": bool(row.assessed), "expected_interval_s": row.expected_interval_s,
            "longitude": row.longitude, "latitude": row.latitude,
            "protocol": row.protocol or "auto",
        })
    points.sort(key=lambda p: p["mn"])
    return RegistryPoints(tuple(points))


# ---------------------------------------------------------------------------------- CRC policy
@dataclass(frozen=True)
class CrcOptions:
    mn: str
    modes: tuple[CrcMode, ...]

    def __post_init__(self) -> None:
        if not self.mn.strip():
            raise OptionError("MN", "give the MN of a monitoring point")
        if not self.modes:
            raise OptionError("--mode", "give at least one CRC mode")
        modes = (choice(CrcMode, mode, "--mode", noun="CRC mode") for mode in self.modes)
        object.__setattr__(self, "modes", tuple(dict.fromkeys(modes)))


@dataclass(frozen=True)
class CrcPolicy:
    mn: str
    crc_modes: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {"mn": self.mn, "crc_modes": list(self.crc_modes)}


def set_crc(store, options: CrcOptions) -> CrcPolicy:
    """Set which CRC variants a point's packets may use (HJ 212 Appendix A, or MODBUS)."""
    from envmon.store import UnknownPointError

    try:
        store.set_crc_modes(options.mn, tuple(m.value for m in options.modes))
    except UnknownPointError as error:
        raise OptionError("MN", str(error)) from None
    auth = store.point_auth(options.mn)
    return CrcPolicy(options.mn, tuple(auth.crc_modes))


# ---------------------------------------------------------------------------------- demo file
def require_known_mn(store, mn: str, option: str = "--mn") -> None:
    """OptionError naming `option` for an MN neither registered nor present in the records: a
    typo, not an empty answer. Every use case filtering by MN asks this before answering."""
    if store.point_auth(mn) is None and not store.query(
        "SELECT 1 FROM records WHERE mn = ? LIMIT 1", [mn]
    ):
        # never the store's file path: the reason reaches web users too (the API)
        raise OptionError(option, f"unknown MN {mn!r}: no such monitoring point in the store")


def require_known_unit(store, unit: str, option: str = "--unit") -> None:
    """OptionError naming `option` for a unit the registry does not hold (the twin of
    `require_known_mn`): every use case filtering by unit asks this before answering."""
    if not store.unit_exists(unit):
        raise OptionError(option, f"no unit {unit!r} in the registry")


@dataclass(frozen=True)
class DemoOptions:
    file: Path
    points: int = 300
    seed: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "file", _registry_file(self.file))
        if self.points < 0:
            raise OptionError("--points", f"must be 0 or more, not {self.points}")


def demo_registry(options: DemoOptions) -> FileWritten:
    """The demo registry (山西省, real GB/T 2260 regions, fictitious units) as a file."""
    from envmon.registry.demo import write_demo_registry_csv

    n = write_demo_registry_csv(options.file, seed=options.seed, points=options.points)
    return FileWritten(options.file, n, options.points)


# ------------------------------------------------------------------------------- text output
# `--format text`, what the registry commands always printed; registered when this module is
# imported (the CLI imports it only when a command runs, so `envmon --help` stays fast).
MAX_LISTED = 200


def _import_text(result, stream) -> None:
    """Notices, the new/updated counts, a summary line, then the rejected rows and warnings
    (at most MAX_LISTED of each)."""
    from rich.markup import escape
    from rich.table import Table

    from envmon.render.terminal import console_for

    console = console_for(stream)
    report = result.report
    for notice in report.notices:
        console.print(f"[yellow]note:[/yellow] {escape(notice)}")
    c = report.counts
    table = Table(title=f"registry import: {escape(str(result.file))} → {escape(result.target)}")
    table.add_column("")
    table.add_column("new", justify="right")
    table.add_column("updated", justify="right")
    table.add_row("units", str(c.units_new), str(c.units_updated))
    table.add_row("outlets", str(c.outlets_new), str(c.outlets_updated))
    table.add_row("points", str(c.points_new), str(c.points_updated))
    console.print(table)
    console.print(
        f"rows read {report.rows_read}, imported {report.rows_imported}, "
        f"rejected {len(report.rejected_lines)}, warnings {len(report.warnings)}"
    )
    if report.changes:
        changes = Table(title=f"values changed from {report.effective_from:%Y-%m-%d} "
                              "(earlier periods keep the old value)")
        for column in ("MN", "factor", "field", "old", "new", "from"):
            changes.add_column(column)
        for change in report.changes[:MAX_LISTED]:
            since = f"{change.effective_from:%Y-%m-%d}" if change.effective_from else ""
            changes.add_row(change.mn, change.factor, change.field, change.old or "—",
                            change.new or "—",
                            f"{since} (scheduled)" if change.scheduled else since)
        console.print(changes)
        if len(report.changes) > MAX_LISTED:
            console.print(f"  … and {len(report.changes) - MAX_LISTED} more")
    for title, problems, style in (
        ("rejected", report.rejected, "red"),
        ("warnings", report.warnings, "yellow"),
    ):
        if not problems:
            continue
        console.print(f"[{style}]{title}:[/{style}]")
        for problem in problems[:MAX_LISTED]:
            console.print(f"  {escape(str(problem))}")
        if len(problems) > MAX_LISTED:
            console.print(f"  … and {len(problems) - MAX_LISTED} more")


def _written_text(result, stream) -> None:
    points = f" ({result.points} points)" if result.points is not None else ""
    stream.write(f"{result.rows} rows{points} written to {result.path}\n")


def _crc_text(result, stream) -> None:
    stream.write(f"{result.mn}: CRC modes {', '.join(result.crc_modes)}\n")


def _registry_csv(result: RegistryTable, stream) -> None:
    from envmon.registry.export import write_csv

    write_csv(result.rows, stream)


def _registry_xlsx(result: RegistryTable, path: Path) -> Path:
    from envmon.registry.export import write_rows

    write_rows(path, result.rows)
    return path


def _register_text_renderers() -> None:
    from envmon.render import renderer

    renderer(RegistryTable, "csv")(_registry_csv)
    renderer(RegistryTable, "xlsx")(_registry_xlsx)
    renderer(ImportResult, "text")(_import_text)
    renderer(FileWritten, "text")(_written_text)
    renderer(CrcPolicy, "text")(_crc_text)


_register_text_renderers()

__all__ = ["CrcMode", "CrcOptions", "CrcPolicy", "DemoOptions", "ExportOptions", "FileWritten",
           "HistoryOptions", "ImportOptions", "ImportResult", "PointsOptions",
           "RegistryFileError", "RegistryHistory", "RegistryPoints", "RegistryTable",
           "RegistryTableOptions", "demo_registry", "export_registry", "import_registry",
           "registry_history", "registry_points", "registry_table", "set_crc"]
