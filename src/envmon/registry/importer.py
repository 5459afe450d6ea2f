"""Registry import: CSV or XLSX, one row per monitoring point, into the store.

Columns (English names or Chinese aliases, see `COLUMN_ALIASES`):

    province, city, city_code, county, county_code, unit_id, unit_name, must_network,
    assessed, outlet_id, outlet_name, kind, mn, pw, factors, o2_ref, standard

- A unit that must network but has no point yet is a row with empty outlet and MN; an
  outlet without a point yet has an empty MN.
- `factors`: `a21026:35;a21002:50;a34013:10`, code:limit pairs (limit optional; mg/m³ at the
  reference O2 for gas, mg/L for water). HJ/T 212-2005 codes are mapped to 2017 codes.
- `must_network` / `assessed`: 1/0 (also 是/否, Y/N, true/false); empty means 1.
- `crc_modes` (optional, written by export): the CRC variants a point may use,
  `hj212;modbus` (see `envmon registry set-crc`); empty keeps the point's policy.
- `allow_networks` / `unit_allow_networks` (optional): the networks the point (or every point
  of the unit without a list of its own) may connect from, `10.1.0.0/16;192.0.2.7`; empty
  keeps the list, `*` clears it (any address). The receiver rejects a packet from elsewhere.
- `ranges` (optional, 量程): the analyser range of listed factors, `a21026:0~2000;a00000:~150`
  (lower~upper, either end may be left out; units of the factor's values). A value outside
  it is stored with flag T and is never valid (emissions.md §8: range per analyser).
- `assessed_from` / `assessed_to` (optional, 考核开始日期 / 考核结束日期): ISO dates, Beijing
  days, both included; only the point's hours between them are assessed. An empty cell is
  unbounded; a file without the columns keeps the dates; every change is kept with when and
  from which file (`envmon.registry.assessed`), so a re-import keeps the history.
- `effective_from` (optional, 生效日期): the day this row's limits, o2_ref, standard and
  password take effect, instead of the import's `--effective`; a day after today is a
  scheduled change (stored now, used for hours from that day; the receiver keeps the password
  in force until then). At most `MAX_SCHEDULE_DAYS` ahead.
- `expected_interval_s` (optional, 数据上传间隔(秒)): seconds between the point's uploads
  (60 minute data, 3600 hourly); the offline rule uses it instead of the learned cadence.
  Empty keeps the registered value.
- `longitude` / `latitude` (optional, 经度 / 纬度): the unit's location, WGS 84 decimal
  degrees, inside China (longitude 73-136, latitude 3-54), both or neither. A unit-level
  value: every point of the unit shares it (rows of one unit must agree). Empty keeps it.
- `protocol` (optional, 协议版本): the HJ 212 version the point speaks, `auto` (new points),
  `2017` or `2025`; a packet of another version is kept and recorded as a deviation (issue
  16). Empty keeps the registered value.

Rules. A bad row is rejected with its line number and a reason naming the column; good rows
are kept. Re-importing updates in place (keys: unit_id, unit_id + outlet_id, mn); a point's
factor set is replaced. A changed limit, o2_ref, standard or password takes effect on the
import's effective date (`effective`, `--effective`, default today in Beijing time): figures
for earlier periods keep the value in force then, and the report lists each change (old →
new). A repeated MN is an error on the later row; a unit or outlet repeated
with different details is an error on the later row.

统一社会信用代码 (GB 32100-2015). A code that is not 18 characters long is an error. A code of
18 characters with characters outside the GB 32100 set or a wrong check character is a
**warning** and the row is imported: the unit_id is the key the bureau already uses in its
名录, a typo in it should not stop that unit's points from reporting, and the warning names
the line and the expected check character so it can be corrected. `strict_unit_id=True`
(`--strict-unit-id`) makes it an error instead.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import ipaddress
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from envmon.errors import EnvmonError
from envmon.registry.assessed import DATE_COLUMNS, parse_date, record_dates
from envmon.registry.codes import (
    factor_code_2017,
    factor_kind,
    province_code,
    region_code_problem,
    uscc_problem,
)
from envmon.store import ImportCounts, RegistryChange, RegistryRow, Store
from envmon.store.base import checked_crc_modes
from envmon.timeutil import BEIJING_FIXED, now_beijing

COLUMNS = (
    "province", "city", "city_code", "county", "county_code", "unit_id", "unit_name",
    "must_network", "assessed", "outlet_id", "outlet_name", "kind", "mn", "pw", "factors",
    "o2_ref", "standard", "crc_modes", "allow_networks", "unit_allow_networks", "ranges",
    "assessed_from", "assessed_to", "effective_from", "expected_interval_s", "longitude",
    "latitude", "protocol",
)  # fmt: skip
REQUIRED_COLUMNS = ("city_code", "county_code", "unit_id", "unit_name")

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "province": ("省", "省份", "省名称", "省级", "所属省份", "省(自治区、直辖市)"),
    "city": ("市", "地市", "城市", "市名称", "地市名称", "所属地市", "所属市", "设区市"),
    "city_code": (
        "市代码", "地市代码", "城市代码", "市编码", "地市编码", "市行政区划代码",
        "地市行政区划代码", "市区划代码", "地市区划代码",
    ),
    "county": ("区县", "县", "县区", "区", "区县名称", "所属区县", "县区名称"),
    "county_code": (
        "区县代码", "县代码", "县区代码", "区县编码", "区县行政区划代码", "区县区划代码",
        "行政区划代码", "区划代码",
    ),
    "unit_id": (
        "统一社会信用代码", "社会信用代码", "信用代码", "单位代码", "企业代码", "uscc",
        "credit_code", "单位编号", "企业编号",
    ),
    "unit_name": ("单位名称", "企业名称", "排污单位名称", "排污单位", "公司名称", "单位", "企业"),
    "must_network": ("应联网", "是否应联网", "应安装联网", "是否联网", "联网"),
    "assessed": ("纳入考核", "是否纳入考核", "考核", "是否考核"),
    "outlet_id": ("排口编号", "排放口编号", "排口代码", "排放口代码", "排口号"),
    "outlet_name": ("排口名称", "排放口名称", "排口"),
    "kind": ("排口类型", "排放口类型", "类型", "监测类型", "监测点类型", "废水废气", "类别"),
    "mn": ("mn", "mn号", "mn码", "设备mn", "数采仪mn", "监测点mn", "mn编号", "数采仪编号"),
    "pw": ("密码", "访问密码", "通讯密码", "pw", "password"),
    "factors": ("监测因子", "因子", "监测项目", "因子及限值", "监测因子及限值", "污染因子"),
    "o2_ref": ("基准氧含量", "基准氧", "基准含氧量", "基准氧浓度", "o2"),
    "standard": ("执行标准", "排放标准", "标准"),
    "crc_modes": ("crc", "crc模式", "校验方式", "crc校验方式"),
    "allow_networks": ("允许网段", "允许地址", "白名单", "监测点白名单"),
    "unit_allow_networks": ("单位允许网段", "单位允许地址", "单位白名单"),
    "ranges": ("量程", "仪器量程", "测量量程", "量程范围"),
    "assessed_from": ("考核开始日期", "考核起始日期", "纳入考核日期"),
    "assessed_to": ("考核结束日期", "考核截止日期"),
    "effective_from": ("生效日期", "启用日期", "生效时间"),
    "expected_interval_s": ("数据上传间隔", "上传间隔", "数据上传间隔秒", "上传间隔秒"),
    "longitude": ("经度", "lon", "lng"),
    "latitude": ("纬度", "lat"),
    "protocol": ("协议版本", "协议", "hj212版本", "通讯协议版本"),
}  # fmt: skip

_TRUE = {"1", "是", "y", "yes", "true", "t", "√", "✓", "应", "已纳入"}
_FALSE = {"0", "否", "n", "no", "false", "f", "×", "✗", "不", "未纳入"}
_GAS = {"gas", "air", "a", "废气", "气", "大气", "烟气"}
_WATER = {"water", "w", "废水", "水", "污水"}
_FACTOR_SPLIT = re.compile(r"[;；,，、|\s]+")
_FACTOR_PAIR = re.compile(r"(?P<code>[^:：=]+)(?:[:：=](?P<limit>.*))?")
_MN = re.compile(r"[0-9A-Za-z]{1,24}")
_HEX24 = re.compile(r"[0-9A-Fa-f]{24}")
CHINA_LONGITUDE = (73.0, 136.0)
CHINA_LATITUDE = (3.0, 54.0)
"""WGS 84 bounds of China's territory, rounded out (73°29'E-135°05'E, 3°51'N-53°33'N): a
coordinate outside is a typo or swapped columns."""
MAX_SCHEDULE_DAYS = 3 * 366
"""How far ahead a change may be scheduled: emission standards set new limits for existing
sources one to three years after publication (GB 13223-2011: published 2011-07-29, existing
units from 2014-07-01); a date further ahead is a typo."""


def _norm_header(text: Any) -> str:
    s = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    s = re.sub(r"[(\[【].*?[)\]】]", "", s)  # notes such as "(%)" or "（必填）"
    return re.sub(r"[\s*_\-:：#]", "", s)


_HEADER_MAP: dict[str, str] = {}
for _canonical, _aliases in COLUMN_ALIASES.items():
    for _alias in (_canonical, *_aliases):
        _HEADER_MAP.setdefault(_norm_header(_alias), _canonical)


class RegistryFileError(EnvmonError, ValueError):
    """The file as a whole cannot be read (format, encoding, missing columns): a user's error,
    shown as one line by the doors (exit code 2); still a ValueError for older callers."""


@dataclass(frozen=True)
class RowProblem:
    """A problem with one input row: line number (header = line 1 in a file), column, reason."""

    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}"
        return (
            f"{where}: {self.column}: {self.message}" if self.column else f"{where}: {self.message}"
        )


@dataclass
class ImportReport:
    """What an import did; `ok` when every row was imported."""

    source: str | None = None
    rows_read: int = 0
    rows_imported: int = 0
    counts: ImportCounts = field(default_factory=ImportCounts)
    rejected: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    effective_from: datetime | None = None

    @property
    def changes(self) -> tuple[RegistryChange, ...]:
        """Values of existing points changed by this import (old → new, from the date)."""
        return self.counts.changes

    @property
    def rejected_lines(self) -> list[int]:
        return sorted({p.line for p in self.rejected})

    @property
    def ok(self) -> bool:
        return not self.rejected

    def __str__(self) -> str:
        c = self.counts
        return (
            f"{self.rows_imported} of {self.rows_read} rows imported: units {c.units_new} new / "
            f"{c.units_updated} updated, outlets {c.outlets_new} new / {c.outlets_updated} "
            f"updated, points {c.points_new} new / {c.points_updated} updated; "
            f"{len(self.rejected_lines)} rows rejected, {len(self.warnings)} warnings"
        )


# ---------------------------------------------------------------------------------- reading
def _decode(data: bytes, notices: list[str]) -> str:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise RegistryFileError(
                f"the file is neither UTF-8 nor GB18030 ({utf8_error}); save it as UTF-8"
            ) from None
        notices.append("the file is not valid UTF-8; it was read as GB18030 (GBK)")
        return text


def _find_header(rows: list[tuple[int, list[Any]]]) -> int:
    """Index of the header row: the first of the first ten rows naming 3+ known columns."""
    for index, (_line, cells) in enumerate(rows[:10]):
        if sum(_norm_header(c) in _HEADER_MAP for c in cells if c is not None) >= 3:
            return index
    raise RegistryFileError(
        "no header row found: the first rows name none of the registry columns "
        f"({', '.join(COLUMNS)}, or their Chinese names such as 统一社会信用代码, 区县代码)"
    )


def _csv_rows(text: str) -> Iterator[tuple[int, list[Any]]]:
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    for cells in reader:
        yield line, cells
        line = reader.line_num + 1


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a broken file
        raise RegistryFileError(f"cannot read {path} as XLSX: {error}") from None
    try:
        for sheet in workbook.worksheets:
            rows = [
                (n, list(cells)) for n, cells in enumerate(sheet.iter_rows(values_only=True), 1)
            ]
            try:
                _find_header(rows)
            except RegistryFileError:
                continue
            yield from rows
            return
        raise RegistryFileError(
            f"no sheet of {path.name} has a header row naming the registry columns "
            f"({', '.join(COLUMNS)}, or their Chinese names)"
        )
    finally:
        workbook.close()


def read_registry_file(path: str | Path) -> tuple[list[tuple[int, dict[str, Any]]], list[str]]:
    """Rows of a CSV or XLSX registry as (line number, {canonical column: value}), and
    file-level notices (encoding used, ignored columns)."""
    path = Path(path)
    notices: list[str] = []
    suffix = path.suffix.lower()
    if not path.is_file():
        raise RegistryFileError(f"no such file: {path}")
    if suffix in (".xlsx", ".xlsm"):
        raw_rows = list(_xlsx_rows(path))
    elif suffix in (".csv", ".txt", ".tsv"):
        raw_rows = list(_csv_rows(_decode(path.read_bytes(), notices)))
    elif suffix == ".xls":
        raise RegistryFileError(
            f"{path.name}: old .xls workbooks are not read; save as .xlsx or .csv"
        )
    else:
        raise RegistryFileError(f"{path.name}: unknown file type {suffix!r}; use .csv or .xlsx")
    if not raw_rows:
        raise RegistryFileError(f"{path.name} is empty")
    header_index = _find_header(raw_rows)
    header = raw_rows[header_index][1]
    columns: list[str | None] = []
    ignored: list[str] = []
    for cell in header:
        canonical = _HEADER_MAP.get(_norm_header(cell))
        if canonical is None or canonical in columns:
            if cell not in (None, ""):
                ignored.append(str(cell))
            columns.append(None)
        else:
            columns.append(canonical)
    if ignored:
        notices.append(f"columns ignored (not registry columns, or repeated): {', '.join(ignored)}")
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise RegistryFileError(
            f"{path.name}: missing column{'s' if len(missing) > 1 else ''} "
            + ", ".join(f"{m} ({'/'.join(COLUMN_ALIASES[m][:3])})" for m in missing)
        )
    rows = []
    for line, cells in raw_rows[header_index + 1 :]:
        if all(c is None or str(c).strip() == "" for c in cells):
            continue
        rows.append(
            (line, {col: cells[i] for i, col in enumerate(columns) if col and i < len(cells)})
        )
    return rows, notices


# ------------------------------------------------------------------------------- validation
class _RowErrors(Exception):
    pass


class _Row:
    """Field access for one input row, collecting problems that name the column."""

    def __init__(self, line: int, values: Mapping[str, Any]) -> None:
        self.line = line
        self.values = values
        self.errors: list[RowProblem] = []
        self.warnings: list[RowProblem] = []

    def error(self, column: str | None, message: str) -> None:
        self.errors.append(RowProblem(self.line, column, message))

    def warn(self, column: str | None, message: str) -> None:
        self.warnings.append(RowProblem(self.line, column, message))

    def text(self, column: str, *, fold: bool = False) -> str:
        value = self.values.get(column)
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip()
        return unicodedata.normalize("NFKC", text) if fold else text

    def identifier(self, column: str) -> str:
        """A code that a spreadsheet must hold as text (a number cell loses digits)."""
        value = self.values.get(column)
        if isinstance(value, int | float) and not isinstance(value, bool):
            self.error(
                column,
                f"the cell holds the number {value!r}, so digits or leading zeros may be lost; "
                "format the column as text and enter the code again",
            )
            return ""
        return self.text(column, fold=True).replace(" ", "")

    def flag(self, column: str) -> bool:
        text = self.text(column, fold=True).lower()
        if text == "" or text in _TRUE:
            return True
        if text in _FALSE:
            return False
        self.error(column, f"expected 1 or 0 (是/否), got {text!r}")
        return True

    def number(self, column: str) -> float | None:
        text = self.text(column, fold=True).rstrip("%")
        if not text:
            return None
        try:
            return float(text)
        except ValueError:
            self.error(column, f"{text!r} is not a number")
            return None


def _kind(row: _Row) -> str | None:
    text = row.text("kind", fold=True).lower()
    if not text:
        return None
    if text in _GAS or ("气" in text and "水" not in text):
        return "gas"
    if text in _WATER or ("水" in text and "气" not in text):
        return "water"
    row.error("kind", f"{text!r} is neither gas (废气) nor water (废水)")
    return None


def _factors(row: _Row, kind: str | None) -> dict[str, float | None]:
    text = row.text("factors", fold=True)
    factors: dict[str, float | None] = {}
    for token in _FACTOR_SPLIT.split(text):
        if not token:
            continue
        match = _FACTOR_PAIR.fullmatch(token)
        raw_code = match["code"].strip() if match else token
        code = factor_code_2017(raw_code)
        if code is None:
            row.error("factors", f"unknown factor code {raw_code!r} (HJ 212-2017 Appendix B)")
            continue
        if kind and factor_kind(code) not in (None, kind):
            row.error("factors", f"{code} is a {factor_kind(code)} factor but the point is {kind}")
            continue
        if code in factors:
            row.error("factors", f"{code} is listed twice")
            continue
        limit_text = (match["limit"] or "").strip() if match else ""
        limit = None
        if limit_text:
            try:
                limit = float(limit_text)
            except ValueError:
                row.error("factors", f"limit {limit_text!r} of {code} is not a number")
                continue
            if limit < 0:
                row.error("factors", f"limit {limit_text} of {code} is negative")
                continue
        factors[code] = limit
    return factors


def _ranges(row: _Row, factors: dict[str, float | None]
            ) -> dict[str, tuple[float | None, float | None]]:
    """`code:low~high` pairs of the `ranges` column, for factors the row lists."""
    ranges: dict[str, tuple[float | None, float | None]] = {}
    for token in _FACTOR_SPLIT.split(row.text("ranges", fold=True)):
        if not token:
            continue
        raw_code, sep, span = token.partition(":")
        if not sep:
            raw_code, sep, span = token.partition("=")
        code = factor_code_2017(raw_code.strip())
        if not sep or code is None or "~" not in span:
            row.error("ranges", f"{token!r} is not code:low~high (e.g. a21026:0~2000)")
            continue
        if code not in factors:
            row.error("ranges", f"{code} has a range but is not among the point's factors")
            continue
        ends: list[float | None] = []
        for end in span.split("~", 1):
            end = end.strip()
            try:
                value = float(end) if end else None
            except ValueError:
                value = float("nan")
            if value is not None and not math.isfinite(value):
                row.error("ranges", f"{code}: {end!r} is not a finite number")
                break
            ends.append(value)
        else:
            low, high = ends
            if low is None and high is None:
                row.error("ranges", f"{code}: neither end of the range is given")
            elif low is not None and high is not None and low >= high:
                row.error("ranges", f"{code}: lower end {low:g} is not below upper end {high:g}")
            else:
                ranges[code] = (low, high)
    return ranges


def _validate(row: _Row, strict_unit_id: bool) -> RegistryRow | None:
    city_code = row.text("city_code", fold=True)
    county_code = row.text("county_code", fold=True)
    for column, code, level in (
        ("city_code", city_code, "city"),
        ("county_code", county_code, "county"),
    ):
        if not code:
            row.error(column, "empty")
            continue
        problem = region_code_problem(code, level)
        if problem:
            row.error(column, problem)
    if (
        city_code
        and county_code
        and not region_code_problem(city_code, "city")
        and not region_code_problem(county_code, "county")
        and county_code[:4] != city_code[:4]
    ):
        row.error(
            "county_code",
            f"{county_code} is not in city {city_code} (a county code starts with the "
            f"city's first four digits, {city_code[:4]})",
        )

    unit_id = row.identifier("unit_id").upper()
    if not unit_id:
        if not any(p.column == "unit_id" for p in row.errors):
            row.error("unit_id", "empty")
    elif len(unit_id) != 18:
        row.error(
            "unit_id", f"{unit_id!r} has {len(unit_id)} characters, a 统一社会信用代码 has 18"
        )
    else:
        problem = uscc_problem(unit_id)
        if problem:
            (row.error if strict_unit_id else row.warn)("unit_id", problem)
    unit_name = row.text("unit_name")
    if not unit_name:
        row.error("unit_name", "empty")
    must_network = row.flag("must_network")
    assessed = row.flag("assessed")

    outlet_id = row.text("outlet_id", fold=True) or None
    mn = row.identifier("mn") or None
    kind = _kind(row)
    pw = row.text("pw") or None
    if isinstance(row.values.get("pw"), int | float) and pw and len(pw) != 6:
        pw = None
        row.error("pw", "the cell is a number and has lost leading zeros; format it as text")
    if mn is not None:
        if not _MN.fullmatch(mn):
            row.error(
                "mn", f"{mn!r} is not an MN (up to 24 letters and digits; HJ 212-2017 §6.3.2)"
            )
        elif not _HEX24.fullmatch(mn):
            row.warn("mn", f"{mn!r} is not 24 hexadecimal characters as HJ 212-2017 §6.3.2 asks")
        if outlet_id is None:
            row.error("outlet_id", "empty, but the row has an MN: a point belongs to an outlet")
        if pw is None:
            if not any(p.column == "pw" for p in row.errors):
                row.error("pw", "empty, but the row has an MN")
        elif len(pw) != 6:
            row.warn("pw", f"{len(pw)} characters; HJ 212-2017 passwords have 6")
    elif pw is not None or row.text("factors"):
        row.warn("mn", "empty: the password and factors of this row are ignored")
    if outlet_id is not None and kind is None and not any(p.column == "kind" for p in row.errors):
        row.error("kind", "empty: an outlet is gas (废气) or water (废水)")
    if outlet_id is None and row.text("outlet_name"):
        row.warn("outlet_id", "empty: the outlet name of this row is ignored")

    factors = _factors(row, kind) if mn is not None else {}
    ranges = _ranges(row, factors) if mn is not None else {}
    if mn is not None and not factors and not any(p.column == "factors" for p in row.errors):
        row.warn("factors", "empty: nothing of this point will be assessed")
    o2_ref = row.number("o2_ref")
    if o2_ref is not None:
        if not 0 <= o2_ref < 21:
            row.error("o2_ref", f"{o2_ref:g} % is not a reference O2 content (0-21 %)")
            o2_ref = None
        elif kind == "water":
            row.warn("o2_ref", "ignored: a reference O2 content applies to gas points only")
            o2_ref = None
    crc_modes = None
    crc_text = row.text("crc_modes", fold=True).lower()
    if crc_text and mn is not None:
        try:
            crc_modes = checked_crc_modes([m for m in _FACTOR_SPLIT.split(crc_text) if m])
        except ValueError as error:
            row.error("crc_modes", str(error))
    allow_networks = _allow_networks(row, "allow_networks") if mn is not None else None
    unit_allow_networks = _allow_networks(row, "unit_allow_networks")
    effective_from = _effective_from(row)
    interval = _interval(row) if mn is not None else None
    protocol = _protocol(row) if mn is not None else None
    longitude, latitude = _location(row)
    if row.errors:
        return None
    return RegistryRow(
        province=row.text("province") or None,
        province_code=province_code(city_code),
        city=row.text("city") or None,
        city_code=city_code,
        county=row.text("county") or None,
        county_code=county_code,
        unit_id=unit_id,
        unit_name=unit_name,
        must_network=must_network,
        assessed=assessed,
        outlet_id=outlet_id,
        outlet_name=(row.text("outlet_name") or None) if outlet_id else None,
        kind=kind if outlet_id else None,
        mn=mn,
        pw=pw if mn else None,
        factors=factors,
        o2_ref=o2_ref if mn else None,
        standard=(row.text("standard") or None) if mn else None,
        crc_modes=crc_modes,
        allow_networks=allow_networks,
        unit_allow_networks=unit_allow_networks,
        ranges=ranges,
        effective_from=effective_from,
        expected_interval_s=interval,
        longitude=longitude,
        latitude=latitude,
        protocol=protocol,
    )


def _effective_from(row: _Row) -> date | None:
    """The row's 生效日期: a date at most MAX_SCHEDULE_DAYS after today (Beijing)."""
    try:
        day = parse_date(row.values.get("effective_from"))
    except ValueError as error:
        row.error("effective_from", str(error))
        return None
    if day is not None and (day - now_beijing().date()).days > MAX_SCHEDULE_DAYS:
        row.error("effective_from", f"{day} is more than {MAX_SCHEDULE_DAYS} days ahead")
        return None
    return day


def _interval(row: _Row) -> int | None:
    """The point's upload interval in whole seconds (1 s to one day), or None (empty)."""
    value = row.number("expected_interval_s")
    if value is None:
        return None
    if not value.is_integer() or not 1 <= value <= 86400:
        row.error("expected_interval_s",
                  f"{value:g} is not a whole number of seconds from 1 to 86400 (one day)")
        return None
    return int(value)


PROTOCOLS = ("auto", "2017", "2025")
"""The HJ 212 versions a point may be registered with (auto: whatever its packets say)."""


def _protocol(row: _Row) -> str | None:
    """The point's HJ 212 version (协议版本), or None (empty: keep the registered one)."""
    text = row.text("protocol", fold=True).lower()
    for prefix in ("hj212-", "hj 212-", "hj212", "hj 212"):
        text = text.removeprefix(prefix)
    if not text:
        return None
    if text not in PROTOCOLS:
        row.error("protocol", f"{text!r} is not one of {', '.join(PROTOCOLS)}")
        return None
    return text


def _location(row: _Row) -> tuple[float | None, float | None]:
    """(longitude, latitude) inside China, both or neither; (None, None) for empty cells."""
    values = {}
    for column, (low, high) in (("longitude", CHINA_LONGITUDE),
                                ("latitude", CHINA_LATITUDE)):
        value = row.number(column)
        if value is not None and not low <= value <= high:
            row.error(column, f"{value:g} is outside China ({low:g} to {high:g} degrees, "
                              "WGS 84 decimal degrees)")
            value = None
        values[column] = value
    given = [c for c, v in values.items() if v is not None]
    if len(given) == 1 and not row.errors:
        missing = "latitude" if given[0] == "longitude" else "longitude"
        row.error(missing, f"empty, but {given[0]} is given: a location needs both")
    return values["longitude"], values["latitude"]


def _allow_networks(row, column: str) -> tuple[str, ...] | None:
    """A ';'-separated CIDR list: None (empty cell: keep), () for `*` (any address)."""
    text = row.text(column, fold=True)
    if not text:
        return None
    if text.strip() in ("*", "any"):
        return ()
    networks = []
    for item in (i for i in _FACTOR_SPLIT.split(text) if i):
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            row.error(column, f"{item!r} is not a network (CIDR such as 10.1.0.0/16, or an IP)")
    return tuple(dict.fromkeys(networks))


class _Consistency:
    """Cross-row checks: repeated MN, and units, outlets and regions with differing details."""

    def __init__(self) -> None:
        self.mn_lines: dict[str, int] = {}
        self.region_names: dict[str, tuple[int, str | None]] = {}
        self.seen: dict[tuple, tuple[int, tuple]] = {}

    def check_mn(self, row: _Row) -> None:
        """A repeated MN is an error on the later row, whether or not the first was good."""
        mn = row.text("mn", fold=True).replace(" ", "")
        if not mn:
            return
        first = self.mn_lines.setdefault(mn, row.line)
        if first != row.line:
            row.error("mn", f"{mn} is repeated: it is already on line {first}")

    def check(self, reg: RegistryRow, row: _Row) -> RegistryRow:
        """Errors for a unit or outlet that differs from its first row; a region name that
        differs from its first row is a warning, and the first name is kept."""
        regions = (
            ("province", reg.province_code, reg.province),
            ("city", reg.city_code, reg.city),
            ("county", reg.county_code, reg.county),
        )
        kept: dict[str, str] = {}
        for column, code, name in regions:
            first_line, first = self.region_names.get(code, (0, None))
            if name is not None and first is not None and name != first:
                row.warn(
                    column,
                    f"{name!r} differs from line {first_line} ({first!r}) for region {code}; "
                    f"{first!r} is kept",
                )
                kept[column] = first
        facts = [
            (
                ("unit", reg.unit_id),
                ("unit_name", "county_code", "must_network", "assessed", "longitude",
                 "latitude"),
                (reg.unit_name, reg.county_code, reg.must_network, reg.assessed,
                 reg.longitude, reg.latitude),
            ),
        ]
        if reg.outlet_id:
            facts.append(
                (("outlet", reg.unit_id, reg.outlet_id), ("outlet_name", "kind"),
                 (reg.outlet_name, reg.kind))
            )  # fmt: skip
        for key, columns, values in facts:
            if key not in self.seen:
                continue
            first_line, first_values = self.seen[key]
            for column, value, first in zip(columns, values, first_values, strict=True):
                if value is not None and first is not None and value != first:
                    row.error(
                        column,
                        f"{value!r} differs from line {first_line} ({first!r}) for the same "
                        f"{key[0]} {' / '.join(key[1:])}",
                    )
        if row.errors:
            return reg
        for _column, code, name in regions:
            if name is not None and self.region_names.get(code, (0, None))[1] is None:
                self.region_names[code] = (row.line, name)
        for key, _columns, values in facts:
            self.seen.setdefault(key, (row.line, values))
        return dataclasses.replace(reg, **kept) if kept else reg


def _assessed_dates(row: _Row) -> tuple[date | None, date | None] | None:
    """The row's (assessed_from, assessed_to), or None when the file has neither column."""
    if not any(column in row.values for column in DATE_COLUMNS):
        return None
    dates = []
    for column in DATE_COLUMNS:
        try:
            dates.append(parse_date(row.values.get(column)))
        except ValueError as error:
            row.error(column, str(error))
            dates.append(None)
    lo, hi = dates
    if lo is not None and hi is not None and hi < lo:
        row.error("assessed_to", f"{hi} is before assessed_from {lo}")
    return lo, hi


def validate_rows(
    rows: Iterable[tuple[int, Mapping[str, Any]]], *, strict_unit_id: bool = False,
    assessed_dates: dict[str, tuple[date | None, date | None]] | None = None,
) -> tuple[list[RegistryRow], list[RowProblem], list[RowProblem]]:
    """Validate (line, values) rows: the good RegistryRows, the errors, the warnings. With
    `assessed_dates`, the assessed-from/to dates of the good points are put into it."""
    good: list[RegistryRow] = []
    errors: list[RowProblem] = []
    warnings: list[RowProblem] = []
    consistency = _Consistency()
    for line, values in rows:
        row = _Row(line, values)
        dates = _assessed_dates(row)
        registry_row = _validate(row, strict_unit_id)
        consistency.check_mn(row)
        if registry_row is not None and not row.errors:
            registry_row = consistency.check(registry_row, row)
        if row.errors or registry_row is None:
            errors.extend(row.errors)
        else:
            good.append(registry_row)
            if dates is not None and registry_row.mn is not None and assessed_dates is not None:
                assessed_dates[registry_row.mn] = dates
        warnings.extend(row.warnings)
    return good, errors, warnings


def _canonical(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        canonical = _HEADER_MAP.get(_norm_header(key))
        if canonical is not None and canonical not in out:
            out[canonical] = value
    return out


def effective_start(effective: date | None) -> datetime:
    """The instant a registry change takes effect: the Beijing midnight starting `effective`
    (None: today in Beijing time, the day the bureau imports the file)."""
    day = effective or now_beijing().date()
    return datetime(day.year, day.month, day.day, tzinfo=BEIJING_FIXED)


def import_rows(
    store: Store,
    rows: Iterable[Mapping[str, Any]],
    *,
    strict_unit_id: bool = False,
    source: str | None = None,
    effective: date | None = None,
) -> ImportReport:
    """Validate registry rows (dicts keyed by column name or Chinese alias) and upsert the
    good ones. Lines are numbered as in a file with a header: the first row is line 2.
    Changed values take effect on `effective` (default: today, Beijing time)."""
    numbered = [(n, _canonical(values)) for n, values in enumerate(rows, start=2)]
    return _import(store, numbered, [], strict_unit_id=strict_unit_id, source=source,
                   effective=effective)


def import_file(store: Store, path: str | Path, *, strict_unit_id: bool = False,
                effective: date | None = None) -> ImportReport:
    """Import a CSV or XLSX registry file (see the module docstring)."""
    rows, notices = read_registry_file(path)
    return _import(store, rows, notices, strict_unit_id=strict_unit_id, source=str(path),
                   effective=effective)


def _import(
    store: Store,
    rows: list[tuple[int, dict[str, Any]]],
    notices: list[str],
    *,
    strict_unit_id: bool,
    source: str | None,
    effective: date | None = None,
) -> ImportReport:
    dates: dict[str, tuple[date | None, date | None]] = {}
    good, errors, warnings = validate_rows(rows, strict_unit_id=strict_unit_id,
                                           assessed_dates=dates)
    since = effective_start(effective)
    counts = store.upsert_registry(good, since) if good else ImportCounts()
    if dates:
        record_dates(store, dates, source=source)
    return ImportReport(
        effective_from=since,
        source=source,
        rows_read=len(rows),
        rows_imported=len(good),
        counts=counts,
        rejected=errors,
        warnings=warnings,
        notices=notices,
    )
