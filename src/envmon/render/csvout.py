"""CSV of a `Table` through the csv module: UTF-8, "\\n" line ends, the column keys as the
header (today's English CSV headers), times ISO 8601, None as an empty field.

`bom=True` starts the file with a UTF-8 byte-order mark so Excel opens Chinese text right.
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from typing import Any, Literal, TextIO

from envmon.render.table import Table, plain


def _field(value: Any) -> Any:
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def write_csv(table: Table, stream: TextIO, *, header: Literal["key", "label"] = "key",
              bom: bool = False) -> None:
    if bom:
        stream.write("\ufeff")
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow([c.key if header == "key" else c.label for c in table.columns])
    for row in table.rows:
        writer.writerow([_field(v) for v in row])
