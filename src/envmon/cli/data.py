"""CLI command: `envmon data`, the stored records of one point, as JSON or CSV.

The use case is `envmon.records.api.point_records`; this module parses and prints."""

from __future__ import annotations

from pathlib import Path

import typer

from envmon.cli.common import CONFIG_HELP, DB_HELP, open_cli_store, user_errors
from envmon.cli.options import emit, format_option, output_option
from envmon.cli.remote import remote_command


@remote_command()
def data(
    mn: str = typer.Option(..., "--mn", help="MN of the monitoring point."),
    cn: str = typer.Option("2061", "--cn", help="Command code: 2011, 2051, 2061 (hour), 2031 …"),
    start: str | None = typer.Option(
        None, "--from", help="ISO time, Beijing time if no offset (default: --to minus 1 day)."
    ),
    end: str | None = typer.Option(
        None, "--to", help="ISO time, exclusive, Beijing time if no offset (default: now)."
    ),
    fmt: str = format_option("json", ("json", "csv", "table", "xlsx", "html"),
                             help="json (one array), csv (with header), table, xlsx or html."),
    output: Path | None = output_option(),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    conflicts: bool = typer.Option(
        False, "--conflicts",
        help="List the records that have a stored copy with other values instead: both "
             "copies with their values, receipt times and addresses, which one is used and "
             "which arrived re-sent."),
    marks: bool = typer.Option(
        False, "--marks",
        help="csv, table, xlsx, html: add the columns resent (arrived re-sent, HJ 212-2025 "
             "RF=1) and st (system code); json always has them."),
) -> None:
    """Print the records of one point: one per factor per data time; when copies differ, the
    unit's own (trusted) copy wins, then the first received.

    Times are printed as ISO 8601 with +08:00; data_time is the start of the period.
    """
    from envmon.records.api import (
        RecordsOptions,
        point_conflicts,
        point_records,
        records_period,
    )

    with user_errors():
        period = records_period(start, end)
        options = RecordsOptions(mn, cn, marks)
        with open_cli_store(db, config, read_only=True) as store:
            use_case = point_conflicts if conflicts else point_records
            result = use_case(store, period, options)
    emit(result, fmt, output)
    if result.note:
        typer.echo(f"note: {result.note}", err=True)


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the main app."""
    app.command("data")(data)
