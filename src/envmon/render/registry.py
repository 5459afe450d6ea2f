"""`render(result, fmt, output)`: pick the renderer for a result and a format, and write.

A renderer registered for the result's type (or a base class) with `@renderer(Type, fmt)`
wins; otherwise the generic one for the format, if the result offers what it needs
(`as_json`/dataclass, `as_table`, `bulletin`; see the package docstring).
Stream formats write to stdout or to `output`; file formats (`FILE_FORMATS`) write to
`output`, to `output/<default_stem>.<fmt>` when `output` is a folder, else to
`<default_stem>.<fmt>` in the working folder.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from envmon.errors import OptionError
from envmon.render import bulletins, csvout, jsonout, terminal
from envmon.reports.model import Bulletin

FORMATS: tuple[str, ...] = ("json", "csv", "table", "xlsx", "html", "pdf")
FILE_FORMATS: tuple[str, ...] = ("xlsx", "html", "pdf")
SUFFIXES = {"table": "txt", "text": "txt"}
# What a file name's suffix says it holds: a known suffix that disagrees with --format is
# refused rather than, say, an XLSX written over a CSV of the same name.
_SUFFIX_FORMATS = {".json": {"json"}, ".csv": {"csv"}, ".txt": {"table", "text"},
                   ".xlsx": {"xlsx"}, ".html": {"html"}, ".htm": {"html"}, ".pdf": {"pdf"}}
STDOUT = "-"


@dataclasses.dataclass(frozen=True)
class _Entry:
    write: Callable[[Any, Any], Any]  # (result, stream) or (result, path)
    to_file: bool


_SPECIFIC: dict[tuple[type, str], _Entry] = {}


def renderer(result_type: type, fmt: str, *, to_file: bool | None = None) -> Callable:
    """Register `fn(result, stream)` (stream formats) or `fn(result, path)` (file formats:
    xlsx, html, pdf, or `to_file=True`) as the `fmt` renderer of `result_type`."""

    def register(fn: Callable) -> Callable:
        _SPECIFIC[(result_type, fmt)] = _Entry(fn, fmt in FILE_FORMATS if to_file is None
                                               else to_file)
        return fn

    return register


# ---------------------------------------------------------------------------- generic renderers
def _json(result: Any, stream: TextIO) -> None:
    value = result.as_json() if hasattr(result, "as_json") else dataclasses.asdict(result)
    jsonout.write(value, stream, getattr(result, "json_layout", "indent"))


def _csv(result: Any, stream: TextIO) -> None:
    csvout.write_csv(result.as_table(), stream)


def _table(result: Any, stream: TextIO) -> None:
    terminal.write_table(result.as_table(), stream)


def _bulletin_of(result: Any) -> Any:
    if hasattr(result, "bulletin"):
        return result.bulletin()
    return bulletins.table_bulletin(result.as_table())


def _file(fmt: str) -> Callable[[Any, Path], Path]:
    def write(result: Any, path: Path) -> Path:
        return bulletins.write_bulletin(_bulletin_of(result), fmt, path)

    return write


def _has(*methods: str) -> Callable[[type], bool]:
    return lambda t: any(callable(getattr(t, m, None)) for m in methods)


# format -> (does the result type offer it, the entry)
_GENERIC: dict[str, tuple[Callable[[type], bool], _Entry]] = {
    "json": (lambda t: _has("as_json")(t) or (dataclasses.is_dataclass(t)
                                               and not issubclass(t, Bulletin)),
             _Entry(_json, False)),
    "csv": (_has("as_table"), _Entry(_csv, False)),
    "table": (_has("as_table"), _Entry(_table, False)),
    "xlsx": (_has("bulletin", "as_table"), _Entry(_file("xlsx"), True)),
    "html": (_has("bulletin", "as_table"), _Entry(_file("html"), True)),
    "pdf": (_has("bulletin"), _Entry(_file("pdf"), True)),
}


# a bulletin renders as itself (reports.xlsx, reports.html, reports.pdf)
for _fmt in FILE_FORMATS:
    _SPECIFIC[(Bulletin, _fmt)] = _Entry(
        lambda bulletin, path, fmt=_fmt: bulletins.write_bulletin(bulletin, fmt, path), True)


def _find(result_type: type, fmt: str) -> _Entry | None:
    for klass in result_type.__mro__:
        entry = _SPECIFIC.get((klass, fmt))
        if entry is not None:
            return entry
    generic = _GENERIC.get(fmt)
    if generic is not None and generic[0](result_type):
        return generic[1]
    return None


def formats_for(result_type: type) -> tuple[str, ...]:
    """The formats a result type renders to: the standard ones in `FORMATS` order, then its
    own registered formats."""
    specific = [f for (t, f) in _SPECIFIC if t in result_type.__mro__]
    ordered = [f for f in FORMATS if _find(result_type, f) is not None]
    ordered += [f for f in dict.fromkeys(specific) if f not in ordered]
    return tuple(ordered)


def check_format(offered: type | Sequence[str], fmt: str, option: str = "--format") -> str:
    """`fmt`, or OptionError(option, …) unless it is among `offered`: the formats a result
    type renders to (`formats_for`), or a command's own list. The one format check: the CLI's
    `--format`/`--formats` callbacks and `render` all come here."""
    choices = formats_for(offered) if isinstance(offered, type) else tuple(offered)
    if fmt not in choices:
        raise OptionError(option, f"{fmt!r} is not available here; choose one of "
                          f"{', '.join(choices) if choices else '(none)'}")
    return fmt


def _check_suffix(path: Path, fmt: str) -> None:
    meant = _SUFFIX_FORMATS.get(path.suffix.lower())
    if meant is not None and fmt not in meant:
        raise OptionError("--output", f"{path.name} ends in {path.suffix} but --format is "
                          f"{fmt}; name the file .{SUFFIXES.get(fmt, fmt)} or choose the "
                          f"format of {path.suffix}")


def _target(result: Any, fmt: str, output: Path | None) -> Path:
    if output is not None and not output.is_dir():
        _check_suffix(output, fmt)
        return output
    stem = getattr(result, "default_stem", None)
    if not stem:
        raise OptionError("--output", f"give the file to write the {fmt} to")
    name = f"{stem}.{SUFFIXES.get(fmt, fmt)}"
    return output / name if output is not None else Path(name)


def render(result: Any, fmt: str, output: Path | str | None = None) -> Path | None:
    """Render `result` as `fmt`; returns the file written, or None for stdout (`output` None
    or "-"). A file that cannot be written is an OptionError naming --output."""
    check_format(type(result), fmt)
    entry = _find(type(result), fmt)
    assert entry is not None
    to_stdout = output is None or str(output) == STDOUT
    if entry.to_file and str(output) == STDOUT:
        raise OptionError("--output", f"{fmt} is a file format; give a file name, not -")
    if not entry.to_file and to_stdout:
        entry.write(result, sys.stdout)
        return None
    path = _target(result, fmt, None if output is None else Path(output))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if entry.to_file:
            written = entry.write(result, path)
            return Path(written) if written is not None else path
        with path.open("w", encoding="utf-8", newline="") as stream:
            entry.write(result, stream)
        return path
    except OSError as error:
        raise OptionError("--output", f"cannot write {path}: "
                          f"{error.strerror or error}") from None


def render_bytes(result: Any, fmt: str, folder: Path) -> tuple[bytes, str]:
    """`result` as `fmt`, as the bytes `render` would print or write, and the file name it
    would use (`<default_stem>.<suffix>`, "result.<suffix>" without a stem). File formats are
    written into `folder` (a scratch folder of the caller) and read back. The web API's
    answers go through here, so `GET …?format=F` is exactly `envmon … --format F`."""
    import io

    check_format(type(result), fmt)
    entry = _find(type(result), fmt)
    assert entry is not None
    name = f"{getattr(result, 'default_stem', None) or 'result'}.{SUFFIXES.get(fmt, fmt)}"
    if not entry.to_file:
        stream = io.StringIO(newline="")
        entry.write(result, stream)
        return stream.getvalue().encode("utf-8"), name
    written = entry.write(result, folder / name)
    return Path(written if written is not None else folder / name).read_bytes(), name
