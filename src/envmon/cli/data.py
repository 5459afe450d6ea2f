"""CLI command: `envmon data`, the stored records of one point, as JSON or CSV.

The use case is `envmon.records.api.point_records`; this module parses and prints."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import typer

from envmon.cli.common import CONFIG_HELP, DB_HELP, fail, open_cli_store, user_errors


def data(
    mn: str = typer.Option(..., "--mn", help="MN of the monitoring point."),
    cn: str = typer.Option("2061", "--cn", help="Command code: 2011, 2051, 2061 (hour), 2031 …"),
    start: str | None = typer.Option(
        None, "--from", help="ISO time, Beijing time if no offset (default: --to minus 1 day)."
    ),
    end: str | None = typer.Option(
        None, "--to", help="ISO time, exclusive, Beijing time if no offset (default: now)."
    ),
    fmt: str = typer.Option("json", "--format", help="json (one array) or csv (with header)."),
    db: Path | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Print the records of one point: one per factor per data time, first received wins.

    Times are printed as ISO 8601 with +08:00; data_time is the start of the period.
    """
    from envmon.records.api import FIELDS, RecordsOptions, point_records, records_period

    if fmt not in ("json", "csv"):
        raise fail(f"--format must be json or csv, not {fmt!r}")
    with user_errors():
        period = records_period(start, end)
        options = RecordsOptions(mn, cn)
        with open_cli_store(db, config, read_only=True) as store:
            result = point_records(store, period, options)
    records = result.as_json()
    out = sys.stdout
    if fmt == "json":
        out.write("[\n" if records else "[")
        out.write(",\n".join(json.dumps(r, ensure_ascii=False) for r in records))
        out.write("\n]\n" if records else "]\n")
    else:
        writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the main app."""
    app.command("data")(data)
