"""CLI command: `envmon data`, the stored records of one point, as JSON or CSV."""

from __future__ import annotations

import csv
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import typer

from envmon.cli.registry import CONFIG_HELP, DB_HELP, fail, open_cli_store, time_option
from envmon.timeutil import BEIJING_FIXED, now_beijing

FIELDS = (
    "mn", "cn", "data_time", "factor", "rtd", "avg", "min", "max", "cou", "flag", "received_at",
)  # fmt: skip


def _time(text: str | None, option: str) -> datetime | None:
    return None if text is None else time_option(text, option)


def _plain(record: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name in FIELDS:
        value = record[name]
        if isinstance(value, datetime):
            value = value.astimezone(BEIJING_FIXED).isoformat()
        out[name] = value
    return out


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
    if fmt not in ("json", "csv"):
        raise fail(f"--format must be json or csv, not {fmt!r}")
    to = _time(end, "--to") or now_beijing()
    since = _time(start, "--from") or to - timedelta(days=1)
    if since >= to:
        raise fail(f"--from {since.isoformat()} is not before --to {to.isoformat()}")
    with open_cli_store(db, config, read_only=True) as store:
        if store.point_auth(mn) is None and not store.query(
            "SELECT 1 FROM records WHERE mn = ? LIMIT 1", [mn]
        ):
            raise fail(f"unknown MN {mn!r}: no such monitoring point in {store.target}")
        records = [_plain(r) for r in store.query_records(mn, cn, since, to)]
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
