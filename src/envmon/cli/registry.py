"""CLI commands: `envmon registry import | export | history | set-crc | demo`.

The use cases, and the "text" layout of their results, are in `envmon.registry.api`; this
module parses, calls and prints."""

from __future__ import annotations

from pathlib import Path

import typer

from envmon.access.audit import cli_audited
from envmon.cli.common import CONFIG_HELP, DB_HELP, open_cli_store, user_errors
from envmon.cli.options import emit, format_option, output_option
from envmon.cli.remote import remote_command

TEXT_FORMATS = ("text", "json")  # "text": the layouts registered in envmon.registry.api


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
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    strict_unit_id: bool = typer.Option(
        False,
        "--strict-unit-id",
        help="Reject rows whose 统一社会信用代码 fails the GB 32100-2015 check (default: warn).",
    ),
    effective: str | None = typer.Option(
        None, "--effective", metavar="YYYY-MM-DD",
        help="Day changed limits, o2_ref, standards and passwords take effect; earlier "
             "periods keep the old values. Default: today (Beijing time).",
    ),
    fmt: str = format_option("text", TEXT_FORMATS),
    output: Path | None = output_option(help="Where the summary goes (default stdout)."),
) -> None:
    """Import monitoring points from CSV or XLSX; bad rows are listed, good rows kept.

    Changes to existing points are listed (old → new) and take effect on --effective.

    Exit code 0 when every row was imported, 1 when some were rejected, 2 when the file or
    the store could not be used at all.
    """
    from envmon.registry.api import ImportOptions, import_registry

    with user_errors():
        options = ImportOptions(file, strict_unit_id, effective)
        with open_cli_store(db, config, must_exist=False) as store, cli_audited(
                store, "registry.import", Path(file).name) as facts:
            result = import_registry(store, options)
            facts["ok"] = result.ok
    emit(result, fmt, output)
    if not result.ok:
        raise typer.Exit(1)


@registry_app.command("export")
def export_command(
    file: Path = typer.Argument(..., help="Output file, .csv or .xlsx (re-importable)."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
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
    emit(written, fmt, output)


@registry_app.command("history")
@remote_command()
def history_command(
    mn: str | None = typer.Option(None, "--mn", help="Only this point's changes."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    fmt: str = format_option("table", ("table", "json", "csv")),
    output: Path | None = output_option(),
) -> None:
    """List every versioned registry change: limits, o2_ref, standards, passwords (masked)
    and factors added or removed, old → new, with the day each takes effect, when it was
    imported, and whether it is in force or scheduled."""
    from envmon.registry.api import HistoryOptions, registry_history

    with user_errors(), open_cli_store(db, config, read_only=True) as store:
        result = registry_history(store, HistoryOptions(mn))
    emit(result, fmt, output)


@registry_app.command("points")
@remote_command()
def points_command(
    region: str | None = typer.Option(
        None, "--region", help="Only this region (GB/T 2260 code or prefix: 14, 1401, 140105)."),
    unit: str | None = typer.Option(None, "--unit", help="Only this unit's points."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    fmt: str = format_option("json", ("json", "csv", "table", "xlsx", "html")),
    output: Path | None = output_option(),
) -> None:
    """List the monitoring points in force with their unit, outlet, region, factors with
    their limits, and location (no passwords)."""
    from envmon.registry.api import PointsOptions, registry_points

    with user_errors():
        options = PointsOptions(region, unit)
        with open_cli_store(db, config, read_only=True) as store:
            result = registry_points(store, options)
    emit(result, fmt, output)


@registry_app.command("set-crc")
def set_crc_command(
    mn: str = typer.Argument(..., help="MN of the monitoring point."),
    mode: list[str] = typer.Option(
        ...,
        "--mode",
        help="Allowed CRC variant; repeat for several: hj212, modbus, modbus_swapped.",
    ),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    fmt: str = format_option("text", TEXT_FORMATS),
    output: Path | None = output_option(help="Where the summary goes (default stdout)."),
) -> None:
    """Set which CRC variants a point's packets may use (HJ 212 Appendix A, or MODBUS)."""
    from envmon.registry.api import CrcOptions, set_crc

    with user_errors():
        options = CrcOptions(mn, tuple(mode))
        with open_cli_store(db, config) as store, cli_audited(
                store, "registry.crc", mn, {"modes": list(mode)}):
            policy = set_crc(store, options)
    emit(policy, fmt, output)


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
    emit(written, fmt, output)


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the main app."""
    app.add_typer(registry_app, name="registry")
