"""CLI: `envmon alarms list|ack|close`. The use cases are in `envmon.alarms.api`."""

from __future__ import annotations

from pathlib import Path

import typer

from envmon.cli.common import CONFIG_HELP, DB_HELP, open_cli_store, user_errors
from envmon.cli.options import emit, format_option, output_option
from envmon.cli.remote import remote_command

alarms_app = typer.Typer(name="alarms", help="Alarms: list, acknowledge, close.",
                         no_args_is_help=True)


@alarms_app.command("list")
@remote_command()
def list_command(
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    status: str | None = typer.Option(None, "--status", help="open, acknowledged or closed."),
    mn: str | None = typer.Option(None, "--mn", help="Only this monitoring point."),
    rule: str | None = typer.Option(None, "--rule", help="Only this rule."),
    region: str | None = typer.Option(
        None, "--region", help="Only this region's units (GB/T 2260: 14, 140100, 140105)."),
    start: str | None = typer.Option(
        None, "--from", help="Only alarms whose data reach this time or later (ISO, Beijing "
                             "time if no offset)."),
    end: str | None = typer.Option(
        None, "--to", help="Only alarms whose data begin before this time (ISO, exclusive)."),
    fmt: str = format_option("table", ("table", "json", "csv", "xlsx", "html")),
    output: Path | None = output_option(),
) -> None:
    """List alarms, oldest first. JSON: a list of objects with id, mn, unit_id, factor, rule,
    status, opened_at, closed_at, value, limit, detail, data_from, data_to (the data-time
    span of the evidence; opened_at and closed_at are platform times)."""
    from envmon.alarms.api import AlarmListOptions, list_alarms

    with user_errors():
        options = AlarmListOptions(status=status, mn=mn, rule=rule, region=region,
                                   data_from=start, data_to=end)
    with open_cli_store(db, config, read_only=True) as store, user_errors():
        result = list_alarms(store, options)
    emit(result, fmt, output)


def _transition(action: str, alarm_id: int, by: str, note: str | None, db, config,
                fmt: str, output: Path | None) -> None:
    from envmon.access.audit import record_cli
    from envmon.alarms.api import AlarmActionOptions, acknowledge_alarm, close_alarm

    use_case = acknowledge_alarm if action == "ack" else close_alarm
    with user_errors():
        options = AlarmActionOptions(alarm_id, by, note)
        with open_cli_store(db, config) as store:
            result = use_case(store, options)
            record_cli(store, "alarm.acknowledge" if action == "ack" else "alarm.close",
                       str(alarm_id), {"by": by, "note": note})
    emit(result, fmt, output)


@alarms_app.command("ack")
@remote_command(writes=True)
def ack_command(
    alarm_id: int = typer.Argument(..., metavar="ID"),
    by: str = typer.Option(..., "--by", help="Who acknowledges."),
    note: str | None = typer.Option(None, "--note", help="Note."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    fmt: str = format_option("json", ("json",)),
    output: Path | None = output_option(),
) -> None:
    """open → acknowledged."""
    _transition("ack", alarm_id, by, note, db, config, fmt, output)


@alarms_app.command("close")
@remote_command(writes=True)
def close_command(
    alarm_id: int = typer.Argument(..., metavar="ID"),
    by: str = typer.Option(..., "--by", help="Who closes."),
    note: str | None = typer.Option(None, "--note", help="Why it is closed (required)."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    fmt: str = format_option("json", ("json",)),
    output: Path | None = output_option(),
) -> None:
    """open or acknowledged → closed."""
    _transition("close", alarm_id, by, note, db, config, fmt, output)


def register(app: typer.Typer) -> None:
    app.add_typer(alarms_app, name="alarms")
