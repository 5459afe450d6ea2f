"""CLI: `envmon export parquet`: the store (DuckDB or PostgreSQL) as hive-style Parquet by
province and month, for the national batch (`envmon batch …`). The use case is
`envmon.batch.export`; this module parses, calls and prints."""

from __future__ import annotations

from pathlib import Path

import typer

from envmon.cli.common import (
    CONFIG_HELP,
    DB_HELP,
    fail,
    open_cli_store,
    progress_bar,
    time_option,
    user_errors,
)
from envmon.cli.options import emit, format_option

export_app = typer.Typer(
    name="export",
    help="Export the store for other engines: `envmon export parquet` (the national batch).",
    no_args_is_help=True,
)


@export_app.command("parquet")
def parquet(
    out: Path = typer.Option(..., "--out", help="Folder of the partitioned Parquet "
                             "(<table>/province=NN/month=YYYY-MM/part-0.parquet)."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    month: list[str] = typer.Option(
        [], "--month", help="YYYY-MM (Beijing time); repeat for several (default: every "
        "month holding records, or the months --from/--to touches)."),
    start: str | None = typer.Option(None, "--from", help="ISO time: export the whole months "
                                     "from the one holding it."),
    end: str | None = typer.Option(None, "--to", help="ISO time, exclusive: to the month "
                                   "holding the last instant before it."),
    roads_province: str | None = typer.Option(
        None, "--roads-province", help="Two-digit province code the road network goes under "
        "(default: the registry's one province)."),
    fmt: str = format_option("json", ("json",)),
) -> None:
    """Write whole months of the store as Parquet partitioned by province and month.

    A re-export of a month replaces its partitions (never duplicates them); a month without
    records or road passes is refused. Point passwords and raw packet bytes are left out.
    JSON: {"out", "months", "provinces", "partitions", "rows", "total_rows", "seconds",
    "rows_per_s"}.
    """
    from envmon.batch.export import export_parquet, month_periods

    if (start is None) != (end is None):
        raise fail("--from and --to go together")
    if month and start is not None:
        raise fail("--month: give --month or --from/--to, not both")
    if roads_province is not None and not (len(roads_province) == 2
                                           and roads_province.isdigit()):
        raise fail(f"--roads-province: {roads_province!r} is not a two-digit province code "
                   "(GB/T 2260, e.g. 14)")
    begin = time_option(start, "--from") if start else None
    finish = time_option(end, "--to") if end else None
    if out.exists() and not out.is_dir():
        raise fail(f"--out: {out} is a file, not a folder")
    with user_errors(), open_cli_store(db, config, read_only=True) as store:
        months = month_periods(month, begin, finish, store)
        if not months:
            raise fail("the store holds no records: nothing to export")
        with progress_bar("export") as step:
            result = export_parquet(store, out, months, roads_province=roads_province,
                                    progress=step)
    emit(result, fmt)


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the main app."""
    app.add_typer(export_app, name="export")
