"""Reading an emission-reduction list or an alert file (CSV or XLSX; English or Chinese
headers): each row checked, every bad row named with its line (the header is line 1) and
field, the good rows kept.

List columns: unit_id (统一社会信用代码), level (预警级别: yellow/orange/red or 黄色/橙色/
红色), measure (措施: 停产, 限产, 错峰, 减排 — or stop, limit, stagger, reduce),
reduction_pct (减排比例, %; 停产 is 100), pollutants (污染物: SO2, NOx, PM or the factor codes
a21026, a21002, a34013, or 二氧化硫, 氮氧化物, 颗粒物), grade (绩效分级 A–D, optional).
Alert columns: level, from (开始时间), to (结束时间), region (区域代码), created_by (optional).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from envmon.errors import EnvmonError

LIST_ALIASES = {
    "unit_id": ("unit_id", "unit", "统一社会信用代码", "单位代码", "企业代码", "信用代码"),
    "level": ("level", "预警级别", "级别", "预警等级"),
    "measure": ("measure", "措施", "减排措施", "管控措施"),
    "reduction_pct": ("reduction_pct", "reduction", "减排比例", "限产比例", "比例"),
    "pollutants": ("pollutants", "pollutant", "污染物", "减排污染物"),
    "grade": ("grade", "绩效分级", "绩效等级", "分级"),
}
LIST_REQUIRED = ("unit_id", "level", "measure", "reduction_pct", "pollutants")
ALERT_ALIASES = {
    "level": ("level", "预警级别", "级别", "预警等级"),
    "from": ("from", "start", "开始时间", "起始时间", "启动时间"),
    "to": ("to", "end", "结束时间", "解除时间"),
    "region": ("region", "区域", "区域代码", "行政区划代码", "地区代码"),
    "created_by": ("created_by", "by", "发布人", "录入人"),
}
ALERT_REQUIRED = ("level", "from", "to", "region")

LEVEL_WORDS = {"yellow": "yellow", "黄色": "yellow", "黄": "yellow", "orange": "orange",
               "橙色": "orange", "橙": "orange", "red": "red", "红色": "red", "红": "red"}
MEASURE_WORDS = {"停产": "停产", "stop": "停产", "限产": "限产", "limit": "限产",
                 "错峰": "错峰", "错峰生产": "错峰", "stagger": "错峰", "减排": "减排",
                 "减少排放": "减排", "reduce": "减排"}
POLLUTANT_WORDS = {"so2": "a21026", "二氧化硫": "a21026", "a21026": "a21026",
                   "nox": "a21002", "氮氧化物": "a21002", "a21002": "a21002",
                   "pm": "a34013", "颗粒物": "a34013", "烟尘": "a34013", "a34013": "a34013"}
POLLUTANT_ZH = {"a21026": "二氧化硫", "a21002": "氮氧化物", "a34013": "颗粒物"}
GRADES = ("A", "B", "C", "D")


class TableFileError(EnvmonError, ValueError):
    """The file as a whole cannot be read (type, encoding, header)."""


@dataclass(frozen=True)
class RowProblem:
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.reason}"

    def as_json(self) -> dict:
        return {"line": self.line, "field": self.field, "reason": self.reason}


def _norm(text: Any) -> str:
    s = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    s = re.sub(r"[(\[【].*?[)\]】]", "", s)  # "减排比例(%)"
    return re.sub(r"[\s*\-:：#]", "", s)


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            raise TableFileError("the file is neither UTF-8 nor GB18030; save it as UTF-8"
                                 ) from None


def _raw_rows(path: Path) -> list[list[Any]]:
    suffix = path.suffix.lower()
    if not path.is_file():
        raise TableFileError(f"no such file: {path}")
    if suffix in (".xlsx", ".xlsm"):
        import openpyxl

        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a broken file
            raise TableFileError(f"cannot read {path.name} as XLSX: {error}") from None
        try:
            return [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
        finally:
            book.close()
    if suffix in (".csv", ".txt"):
        return [list(r) for r in csv.reader(io.StringIO(_decode(path.read_bytes()),
                                                        newline=""))]
    raise TableFileError(f"{path.name}: unknown file type {suffix!r}; use .csv or .xlsx")


def read_rows(path: str | Path, aliases: dict[str, tuple[str, ...]],
              required: tuple[str, ...]) -> list[tuple[int, dict[str, Any]]]:
    """(line, {column: value}) of the data rows; the header is the first row."""
    path = Path(path)
    rows = _raw_rows(path)
    if not rows:
        raise TableFileError(f"{path.name} is empty")
    lookup = {_norm(a): column for column, names in aliases.items() for a in names}
    header = [lookup.get(_norm(cell)) for cell in rows[0]]
    missing = [c for c in required if c not in header]
    if missing:
        raise TableFileError(f"{path.name}: missing column{'s' if len(missing) > 1 else ''} "
                             + ", ".join(f"{m} ({'/'.join(aliases[m][1:3])})"
                                         for m in missing))
    out = []
    for line, cells in enumerate(rows[1:], start=2):
        if all(c is None or str(c).strip() == "" for c in cells):
            continue
        out.append((line, {col: cells[i] for i, col in enumerate(header)
                           if col and i < len(cells)}))
    return out


MAX_ROWS = 10_000
"""Rows of one file: a city's list has a few hundred to a few thousand units (the 2023
应急减排清单 of a large city lists ~3 000); more is a wrong file, refused whole."""


@dataclass(frozen=True)
class TableRows:
    """A file's data rows as text (what the CLI sends to a server and the import reads):
    `source` the file as given, `rows` (line, {column: text or None})."""

    source: str
    rows: list = field(default_factory=list)

    def as_wire(self) -> dict:
        return {"source": self.source,
                "rows": [{"line": line, "cells": cells} for line, cells in self.rows]}


def cell_text(value: Any) -> str | None:
    """A cell as the text an import reads: times in ISO, a whole number without ".0" (an
    XLSX region code 140100 is a float there)."""
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_table(path: str | Path, aliases: dict[str, tuple[str, ...]],
               required: tuple[str, ...]) -> TableRows:
    """The file's rows as `TableRows` (a `TableFileError` for a file that cannot be read or
    has more than `MAX_ROWS` rows)."""
    rows = read_rows(path, aliases, required)
    if len(rows) > MAX_ROWS:
        raise TableFileError(f"{Path(path).name} has {len(rows)} rows, more than {MAX_ROWS}")
    return TableRows(str(path), [(line, {k: cell_text(v) for k, v in cells.items()})
                                 for line, cells in rows])


def text(value: Any) -> str:
    return unicodedata.normalize("NFKC", "" if value is None else str(value)).strip()


def level_of(value: Any) -> str | None:
    return LEVEL_WORDS.get(text(value).lower())


def measure_of(value: Any) -> tuple[str | None, float | None]:
    """(measure, % written with it): "限产30%" → ("限产", 30.0)."""
    raw = text(value).lower()
    match = re.fullmatch(r"([^\d%]+?)\s*(\d+(?:\.\d+)?)?\s*%?", raw)
    if not match:
        return None, None
    measure = MEASURE_WORDS.get(match.group(1).strip())
    return measure, float(match.group(2)) if match.group(2) else None


def pollutants_of(value: Any) -> tuple[tuple[str, ...], list[str]]:
    """(factor codes, the words not understood)."""
    codes, unknown = [], []
    for word in re.split(r"[,;、/，；\s]+", text(value)):
        if not word:
            continue
        code = POLLUTANT_WORDS.get(word.lower())
        if code is None:
            unknown.append(word)
        elif code not in codes:
            codes.append(code)
    return tuple(codes), unknown
