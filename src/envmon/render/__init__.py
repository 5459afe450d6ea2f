"""One rendering machinery: every use-case result becomes json, csv, a terminal table, xlsx,
html or pdf through one registry.

    from envmon.render import render
    render(result, "json")                  # stdout
    render(result, "csv", Path("a.csv"))    # a file
    render(result, "xlsx")                  # <result.default_stem>.xlsx in the working folder

What a result offers decides what it can become (`formats_for(type(result))`):
- `as_json()` (or a dataclass) → **json** through `jsonout`, the one JSON printer. A class
  attribute `json_layout` picks the shape: "indent" (default), "compact", "lines" (one object
  per line) or "array_lines" (a JSON array, one element per line).
- `as_table() -> Table` → **csv** (`csvout`), **table** (`terminal`, rich), and **xlsx**/**html**
  through the bulletin renderers (the table as a one-table bulletin).
- `bulletin()` → an `envmon.reports` bulletin → **xlsx**, **html**, **pdf** (`bulletins`).

Where things go:
- a new output format for every result: a module here with a writer, plus a generic entry in
  `registry._GENERIC` saying which result method it needs;
- a layout special to one result type (e.g. plain aligned text): a function registered with
  `@renderer(ResultType, "text")` next to the result's use case — stream formats receive
  `(result, stream)`, file formats (`FILE_FORMATS`) receive `(result, path)`;
- bulletin presentation (sheets, CSS, charts, fonts): `envmon.reports`, not here.

The CLI reaches all this through `envmon.cli.options` (`--format`, `--output`, `emit`).
"""

from __future__ import annotations

from envmon.render.registry import FILE_FORMATS, FORMATS, formats_for, render, renderer
from envmon.render.table import Column, Table

__all__ = ["FILE_FORMATS", "FORMATS", "Column", "Table", "formats_for", "render", "renderer"]
