"""CLI commands: `envmon registry import | export | set-crc | demo`."""

from __future__ import annotations

import functools
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from envmon.cli.common import (  # noqa: F401  (re-exported for the other command modules)
    CONFIG_HELP,
    DB_HELP,
    _console,
    fail,
    open_cli_store,
    resolve_db,
    time_option,
    user_errors,
)
from envmon.cli.options import emit, format_option, output_option
from envmon.render.terminal import console_for

MAX_LISTED = 200
TEXT_FORMATS = ("text", "json")


def _import_text(result, stream) -> None:
    """Notices, the new/updated counts, a summary line, then the rejected rows and warnings
    (at most MAX_LISTED of each)."""
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


@functools.cache
def _text_renderers() -> None:
    """Register the "text" layouts of the registry results (on first use: importing the
    registry package at start-up would slow every command's --help)."""
    from envmon.registry.api import CrcPolicy, FileWritten, ImportResult
    from envmon.render import renderer

    renderer(ImportResult, "text")(_import_text)
    renderer(FileWritten, "text")(_written_text)
    renderer(CrcPolicy, "text")(_crc_text)


def _emit(result, fmt: str, output: Path | None) -> None:
    _text_renderers()
    emit(result, fmt, output)

registry_app = typer.Typer(
    name="registry",
    help="Regions, units, outlets and monitoring points: import, export, CRC policy.",
    no_args_is_help=True,
)


@registry_app.command("import")
def import_command(
    file: Path = typer.Argument(
        ..., help="Registry file, .csv (UTF-8; GB18030 accepted) or .xlsx."
    ),
    db: Path | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    strict_unit_id: bool = typer.Option(
        False,
        "--strict-unit-id",
        help="Reject rows whose 统一社会信用代码 fails the GB 32100-2015 check (default: warn).",
    ),
    fmt: str = format_option("text", TEXT_FORMATS),
    output: Path | None = output_option(help="Where the summary goes (default stdout)."),
) -> None:
    """Import monitoring points from CSV or XLSX; bad rows are listed, good rows kept.

    Exit code 0 when every row was imported, 1 when some were rejected, 2 when the file or
    the store could not be used at all.
    """
    from envmon.registry.api import ImportOptions, import_registry

    with user_errors(), open_cli_store(db, config) as store:
        result = import_registry(store, ImportOptions(file, strict_unit_id))
    _emit(result, fmt, output)
    if not result.ok:
        raise typer.Exit(1)


@registry_app.command("export")
def export_command(
    file: Path = typer.Argument(..., help="Output file, .csv or .xlsx (re-importable)."),
    db: Path | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    fmt: str = format_option("text", TEXT_FORMATS),
    output: Path | None = output_option(help="Where the summary goes (default stdout)."),
) -> None:
    """Write the registry to CSV or XLSX, in the columns `registry import` reads.

    The file holds the points' passwords: keep it as confidential as the database.
    """
    from envmon.registry.api import ExportOptions, export_registry

    with user_errors():
        options = ExportOptions(file)
        with open_cli_store(db, config, read_only=True) as store:
            written = export_registry(store, options)
    _emit(written, fmt, output)


@registry_app.command("set-crc")
def set_crc_command(
    mn: str = typer.Argument(..., help="MN of the monitoring point."),
    mode: list[str] = typer.Option(
        ...,
        "--mode",
        help="Allowed CRC variant; repeat for several: hj212, modbus, modbus_swapped.",
    ),
    db: Path | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    fmt: str = format_option("text", TEXT_FORMATS),
    output: Path | None = output_option(help="Where the summary goes (default stdout)."),
) -> None:
    """Set which CRC variants a point's packets may use (HJ 212 Appendix A, or MODBUS)."""
    from envmon.registry.api import CrcOptions, set_crc

    with user_errors():
        options = CrcOptions(mn, tuple(mode))
        with open_cli_store(db, config) as store:
            policy = set_crc(store, options)
    _emit(policy, fmt, output)


@registry_app.command("demo")
def demo_command(
    file: Path = typer.Argument(..., help="Output file, .csv or .xlsx."),
    points: int = typer.Option(300, "--points", min=0, help="Number of monitoring points."),
    seed: int = typer.Option(1, "--seed", help="Random seed (same seed, same registry)."),
    fmt: str = format_option("text", TEXT_FORMATS),
    output: Path | None = output_option(help="Where the summary goes (default stdout)."),
) -> None:
    """Write the demo registry (山西省, real GB/T 2260 regions, fictitious units) to a file."""
    from envmon.registry.api import DemoOptions, demo_registry

    with user_errors():
        written = demo_registry(DemoOptions(file, points, seed))
    _emit(written, fmt, output)


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the main app."""
    app.add_typer(registry_app, name="registry")
