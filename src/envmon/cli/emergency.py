"""CLI: `envmon emergency alert add|list|import|cancel`, `envmon emergency list import|show`
and `envmon emergency check` (heavy-pollution emergency control). The use cases are in
`envmon.emergency.api`; this module parses and writes. Every command goes through a running
server (`cli.remote`: `--url`, or automatically while `envmon serve` holds the store); the
imports read their file here and send its rows."""

from __future__ import annotations

from pathlib import Path

import typer

from envmon.access.audit import cli_audited
from envmon.cli.common import CONFIG_HELP, DB_HELP, open_cli_store, user_errors
from envmon.cli.options import emit, format_option, output_option
from envmon.cli.remote import remote_command

emergency_app = typer.Typer(name="emergency", no_args_is_help=True,
                            help="Heavy-pollution emergency control (重污染天气应急管控): "
                                 "alerts, the emission-reduction list, compliance check.")
alert_app = typer.Typer(name="alert", no_args_is_help=True,
                        help="Alerts (预警): add, list, import, cancel.")
list_app = typer.Typer(name="list", no_args_is_help=True,
                       help="The emission-reduction list (应急减排清单): import, show.")
emergency_app.add_typer(alert_app, name="alert")
emergency_app.add_typer(list_app, name="list")

FILE_HELP = "CSV or XLSX file (English or Chinese headers)."


def _alert_rows(path: Path) -> dict:
    from envmon.emergency.api import read_alert_file

    return read_alert_file(path).as_wire()


def _list_rows(path: Path) -> dict:
    from envmon.emergency.api import read_list_file

    return read_list_file(path).as_wire()


@alert_app.command("add")
@remote_command(writes=True)
def alert_add(
    level: str = typer.Option(..., "--level", help="yellow, orange or red (黄色/橙色/红色)."),
    start: str = typer.Option(..., "--from", help="Start, ISO (Beijing time if no offset), "
                                                  "on the hour."),
    end: str = typer.Option(..., "--to", help="End (exclusive), ISO, on the hour."),
    region: str = typer.Option(..., "--region", help="GB/T 2260 code (140100: 太原市)."),
    by: str | None = typer.Option(None, "--by", help="Who enters it."),
    fmt: str = format_option("text", ("text", "json")),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Add an alert; prints its id (the id of the same alert — level, period, region — when
    it is there already: JSON "existing": true). The region must be one of the registry."""
    from envmon.emergency.api import AlertOptions, add_alert

    with user_errors():
        options = AlertOptions(level, start, end, region, by)
        with open_cli_store(db, config) as store, cli_audited(
                store, "emergency.alert_add", region, {"level": level, "from": start,
                                                        "to": end}):
            result = add_alert(store, options)
    emit(result, fmt)


@alert_app.command("cancel")
@remote_command(writes=True)
def alert_cancel(
    alert_id: int = typer.Argument(..., metavar="ID", help="The alert's id."),
    reason: str | None = typer.Option(None, "--reason", help="Why (解除预警的依据)."),
    by: str | None = typer.Option(None, "--by", help="Who cancels it."),
    fmt: str = format_option("text", ("text", "json")),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Cancel an alert: kept and stamped cancelled; no longer checked, and its days are
    again baseline days of other alerts."""
    from envmon.emergency.api import CancelOptions, cancel_alert

    with user_errors():
        options = CancelOptions(alert_id, reason, by)
        with open_cli_store(db, config) as store, cli_audited(
                store, "emergency.alert_cancel", str(alert_id), {"reason": reason}):
            result = cancel_alert(store, options)
    emit(result, fmt)


@alert_app.command("list")
@remote_command()
def alert_list(
    fmt: str = format_option("table", ("table", "json", "csv")),
    output: Path | None = output_option(),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """The alerts, oldest first (JSON: {"alerts": [{id, level, from, to, region, …}]})."""
    from envmon.emergency.api import list_alerts

    with user_errors(), open_cli_store(db, config, read_only=True) as store:
        result = list_alerts(store)
    emit(result, fmt, output)


def _import(kind: str, path: Path, fmt: str, db, config) -> None:
    from envmon.emergency import api

    use_case = api.import_list_rows if kind == "list" else api.import_alert_rows
    action = "emergency.list_import" if kind == "list" else "emergency.alert_import"
    with user_errors():
        table = (api.read_list_file if kind == "list" else api.read_alert_file)(path)
        with open_cli_store(db, config) as store, cli_audited(
                store, action, path.name) as facts:
            result = use_case(store, table)
            facts["problems"] = len(result.problems)
    emit(result, fmt)
    if result.problems:  # good rows are kept; the bad ones are named above
        raise typer.Exit(1)


@alert_app.command("import")
@remote_command(writes=True, file_bodies={"path": _alert_rows})
def alert_import(
    path: Path = typer.Argument(..., metavar="FILE", help=FILE_HELP + " Columns: level, "
                                "from, to, region (预警级别, 开始时间, 结束时间, 区域代码)."),
    fmt: str = format_option("table", ("table", "json")),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Import alerts; prints the new ids; a row equal to an alert already there is reported
    as existing, not added twice; every bad row is named with its line and field (exit 1),
    the good rows are kept."""
    _import("alerts", path, fmt, db, config)


@list_app.command("import")
@remote_command(writes=True, file_bodies={"path": _list_rows})
def list_import(
    path: Path = typer.Argument(..., metavar="FILE", help=FILE_HELP + " Columns: unit_id, "
                                "level, measure, reduction_pct, pollutants, grade "
                                "(统一社会信用代码, 预警级别, 措施, 减排比例, 污染物, 绩效分级)."),
    fmt: str = format_option("table", ("table", "json")),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Import the emission-reduction list: each good row replaces its (unit, level); every
    bad row is named with its line and field (exit 1)."""
    _import("list", path, fmt, db, config)


@list_app.command("show")
@remote_command()
def list_show(
    level: str | None = typer.Option(None, "--level", help="Only yellow, orange or red."),
    fmt: str = format_option("table", ("table", "json", "csv")),
    output: Path | None = output_option(),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """The list: unit, level, grade, measure, required reduction, pollutants."""
    from envmon.emergency.api import show_list

    with user_errors(), open_cli_store(db, config, read_only=True) as store:
        result = show_list(store, level)
    emit(result, fmt, output)


@emergency_app.command("check")
@remote_command()
def check(
    alert: str = typer.Option(..., "--alert", help="Alert id (`envmon emergency alert list`)."),
    fmt: str = format_option("table", ("table", "json", "xlsx", "html")),
    output: Path | None = output_option(),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Each listed unit of the alert's region against its own baseline, hour by hour: the
    verdict per unit and day (落实 / 未落实 / 数据不足) with the evidence, the region's
    achieved SO2, NOx and PM reduction against the plan's target, the worst units first.
    JSON: {"alert", "units": [{"unit_id", "verdict", "required_pct", "achieved_pct",
    "days": [...]}], "region": {...}}."""
    from envmon.emergency.api import CheckOptions, check_alert, config_from_file
    from envmon.emissions.api import accounting_config

    with user_errors():
        options = CheckOptions(alert)
        settings = config_from_file(config)
        accounting = accounting_config(config)
        with open_cli_store(db, config, read_only=True) as store:
            result = check_alert(store, options, config=settings, accounting=accounting)
    if result.note:  # no unit to check: why, rather than an empty table
        typer.echo(f"note: {result.note}", err=True)
    emit(result, fmt, output)


def register(app: typer.Typer) -> None:
    app.add_typer(emergency_app, name="emergency")
