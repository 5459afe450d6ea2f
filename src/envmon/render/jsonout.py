"""The one JSON printer of envmon (CLI output, files, later the web app's bodies).

Always `ensure_ascii=False` (Chinese stays readable), datetimes as ISO 8601 with their offset,
dates ISO, Decimal and numpy scalars as numbers, Enums as their value, paths as text, objects
with `as_json()` through it, dataclasses as dicts. Layouts (the shapes commands print today):
- "indent": the value with indent=1, one trailing newline (most commands);
- "compact": the value on one line (alarm transitions, serve summaries);
- "lines": each element of a list on its own line, no brackets (hj212 decode, marks);
- "array_lines": a JSON array, one element per line (`envmon data`).

Never invalid JSON: NaN and ±Infinity have no JSON form (RFC 8259 §6), and a reader that
takes `Infinity` for a number takes an overflowed tax figure for a bill. A non-finite float
is refused with :class:`NonFiniteNumberError` naming where it is (the CLI prints it as one
line, exit code 2); the figures' own code says why a figure is missing (null with a reason),
never this printer.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from pathlib import PurePath
from typing import Any, Literal, TextIO

from envmon.errors import EnvmonError

Layout = Literal["indent", "compact", "lines", "array_lines"]
LAYOUTS: tuple[str, ...] = ("indent", "compact", "lines", "array_lines")


def to_jsonable(value: Any) -> Any:
    """The `default=` hook: what json cannot write natively, as JSON values."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value.as_tuple().exponent >= 0 else float(value)  # type: ignore[operator]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if type(value).__module__ == "numpy":
        if hasattr(value, "tolist"):
            return value.tolist()
        if hasattr(value, "item"):
            return value.item()
    if hasattr(value, "as_json"):
        return value.as_json()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class NonFiniteNumberError(EnvmonError, ValueError):
    """A value to print holds NaN or ±Infinity, which JSON cannot carry."""


def _one(value: Any, indent: int | None = None) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, indent=indent, default=to_jsonable,
                          allow_nan=False)
    except ValueError as error:
        where = _non_finite_path(value)
        if where is None:
            raise
        path, number = where
        raise NonFiniteNumberError(
            f"JSON output: {path or 'the value'} is {number!r}, which JSON cannot carry "
            "(a figure overflowed or is not a number); nothing valid can be printed for it"
        ) from error


def _non_finite_path(value: Any, path: str = "", depth: int = 0) -> tuple[str, float] | None:
    """Where the first NaN/Infinity in `value` is (`lines[3].tax_yuan`), with it."""
    if isinstance(value, float):
        return None if value - value == 0.0 else (path, value)
    if depth > 50 or isinstance(value, str | bytes | int | bool) or value is None:
        return None
    if isinstance(value, dict):
        items: Iterable[tuple[str, Any]] = ((f"{path}.{k}" if path else str(k), v)
                                            for k, v in value.items())
    elif isinstance(value, list | tuple):
        items = ((f"{path}[{i}]", v) for i, v in enumerate(value))
    else:
        try:
            return _non_finite_path(to_jsonable(value), path, depth + 1)
        except TypeError:
            return None
    for where, item in items:
        found = _non_finite_path(item, where, depth + 1)
        if found is not None:
            return found
    return None


def dumps(value: Any, layout: Layout = "indent") -> str:
    """The text for `value` in `layout`, ending with a newline."""
    if layout == "indent":
        return _one(value, indent=1) + "\n"
    if layout == "compact":
        return _one(value) + "\n"
    if layout == "lines":
        return "".join(_one(item) + "\n" for item in _items(value))
    if layout == "array_lines":
        items = [_one(item) for item in _items(value)]
        return "[\n" + ",\n".join(items) + "\n]\n" if items else "[]\n"
    raise ValueError(f"unknown JSON layout {layout!r}; choose one of {', '.join(LAYOUTS)}")


def write(value: Any, stream: TextIO, layout: Layout = "indent") -> None:
    """Write `value` to `stream`; "lines" writes element by element (long outputs stream)."""
    if layout == "lines":
        for item in _items(value):
            stream.write(_one(item) + "\n")
        return
    stream.write(dumps(value, layout))


def _items(value: Any) -> Iterable[Any]:
    if isinstance(value, dict | str | bytes) or not isinstance(value, Iterable):
        raise TypeError(f"a {type(value).__name__} cannot be written one element per line")
    return value
