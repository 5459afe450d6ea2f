"""Registry export: the registry as a CSV or XLSX file that `import_file` reads back.

CSV is written as UTF-8 with a BOM, so that Excel shows the Chinese names; XLSX cells are all
text, so codes keep their leading zeros and MNs their digits. The file holds the points'
passwords (it must re-import): keep it as confidential as the database.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from envmon.registry.importer import COLUMNS
from envmon.store import RegistryRow, Store


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def format_factors(factors: Mapping[str, float | None]) -> str:
    """`a21026:35;a21002:50;w01001` (code:limit pairs, limit left out when there is none)."""
    return ";".join(
        code if limit is None else f"{code}:{_number(limit)}" for code, limit in factors.items()
    )


def format_ranges(ranges: Mapping[str, tuple[float | None, float | None]]) -> str:
    """`a21026:0~2000;a00000:~150` (code:low~high, an open end left out)."""
    return ";".join(f"{code}:{_number(low)}~{_number(high)}"
                    for code, (low, high) in ranges.items())


def registry_row_to_dict(row: RegistryRow) -> dict[str, str]:
    """One registry row as the file columns (all text)."""
    return {
        "province": row.province or "",
        "city": row.city or "",
        "city_code": row.city_code,
        "county": row.county or "",
        "county_code": row.county_code,
        "unit_id": row.unit_id,
        "unit_name": row.unit_name,
        "must_network": "1" if row.must_network else "0",
        "assessed": "1" if row.assessed else "0",
        "outlet_id": row.outlet_id or "",
        "outlet_name": row.outlet_name or "",
        "kind": row.kind or "",
        "mn": row.mn or "",
        "pw": row.pw or "",
        "factors": format_factors(row.factors),
        "o2_ref": _number(row.o2_ref),
        "standard": row.standard or "",
        "crc_modes": ";".join(row.crc_modes or ()),
        "allow_networks": ";".join(row.allow_networks or ()),
        "unit_allow_networks": ";".join(row.unit_allow_networks or ()),
        "ranges": format_ranges(row.ranges),
        "effective_from": row.effective_from.isoformat() if row.effective_from else "",
        "expected_interval_s": "" if row.expected_interval_s is None
        else str(row.expected_interval_s),
        "longitude": _number(row.longitude),
        "latitude": _number(row.latitude),
        "protocol": row.protocol or "",
    }


def write_rows(path: str | Path, rows: Iterable[Mapping[str, Any]]) -> int:
    """Write rows (dicts keyed by `COLUMNS`) to a .csv or .xlsx file; returns the row count."""
    path = Path(path)
    suffix = path.suffix.lower()
    table = [["" if r.get(c) is None else str(r.get(c)) for c in COLUMNS] for r in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(COLUMNS)
            writer.writerows(table)
    elif suffix == ".xlsx":
        import openpyxl
        from openpyxl.styles import Font

        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = "registry"
        sheet.append(list(COLUMNS))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for values in table:
            sheet.append(values)
        for column in sheet.columns:  # everything is text: codes keep their digits
            for cell in column:
                cell.number_format = "@"
        sheet.freeze_panes = "A2"
        workbook.save(path)
    else:
        raise ValueError(f"{path.name}: unknown file type {suffix!r}; use .csv or .xlsx")
    return len(table)


def export_rows(store: Store, *, passwords: bool = True) -> list[dict[str, str]]:
    """The registry as the file's rows (dicts keyed by `COLUMNS`, all text). Without
    `passwords` the pw cells are empty: such a file re-imports only with the passwords filled
    in again (the importer refuses a row with an MN and no password, never clears one)."""
    from envmon.registry.assessed import current_dates

    dates = current_dates(store)

    def with_dates(row: RegistryRow) -> dict[str, str]:
        lo, hi = dates.get(row.mn or "", (None, None))
        out = {**registry_row_to_dict(row), "assessed_from": lo.isoformat() if lo else "",
               "assessed_to": hi.isoformat() if hi else ""}
        if not passwords:
            out["pw"] = ""
        return {column: out.get(column, "") for column in COLUMNS}

    return [with_dates(r) for r in store.registry_rows()]


def write_csv(rows: Iterable[Mapping[str, Any]], stream) -> None:
    """The CSV of `write_rows` on a text stream: BOM, header, rows."""
    stream.write("\ufeff")
    writer = csv.writer(stream)
    writer.writerow(COLUMNS)
    writer.writerows(["" if r.get(c) is None else str(r.get(c)) for c in COLUMNS]
                     for r in rows)


def export_file(store: Store, path: str | Path) -> int:
    """Write the store's registry to `path` (.csv or .xlsx); returns the number of rows."""
    return write_rows(path, export_rows(store))
