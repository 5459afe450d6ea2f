"""CLI: `envmon screen` — falsification screening (issue 15 §1): the ranked points with the
evidence, as a table, JSON, XLSX or HTML (plots and the enforcement checklist). The use case
is `envmon.screen.api.screen` (`--url`: through `GET /api/v1/screen`); this module parses,
shows progress on stderr and writes."""

from __future__ import annotations

from pathlib import Path

import typer

from envmon.cli.common import CONFIG_HELP, DB_HELP, open_cli_store, user_errors
from envmon.cli.options import emit, format_option, output_option
from envmon.cli.remote import remote_command


@remote_command()
def screen_command(
    month: str | None = typer.Option(None, "--month", help="YYYY-MM (Beijing time)."),
    start: str | None = typer.Option(None, "--from", help="ISO time on the hour, inclusive."),
    end: str | None = typer.Option(None, "--to", help="ISO time on the hour, exclusive."),
    unit: str | None = typer.Option(None, "--unit", help="Only this unit (统一社会信用代码)."),
    fmt: str = format_option("table", ("table", "json", "csv", "xlsx", "html")),
    output: Path | None = output_option(help="Output file (table, json, csv: default stdout; "
                                        "xlsx, html: screen-<month>.<format>)."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Screen the gas points for signatures of falsified data (flat, copied, dilution,
    clipping, periodic, flag_gaming, inconsistent): ranked points with the evidence, never a
    verdict."""
    import sys

    from envmon.period import Period
    from envmon.screen.api import ScreenOptions, screen

    def progress(what: str, done: int, total: int) -> None:
        if done == total or done % 50 == 0:
            sys.stderr.write(f"\r{what} {done}/{total}" + ("\n" if done == total else ""))
            sys.stderr.flush()

    with user_errors():
        period = Period.from_options(month, start, end, on_the_hour=True)
        options = ScreenOptions(unit)
        with open_cli_store(db, config, read_only=True) as store:
            result = screen(store, period, options, progress=progress)
    if result.note:  # no data, or a period not over: an empty list is not a clean one
        typer.echo(f"note: {result.note}", err=True)
    emit(result, fmt, output)


def simulate_falsifying_command(
    month: str = typer.Option(..., "--month", help="YYYY-MM (Beijing time)."),
    points: int = typer.Option(50, "--points", help="Gas points to simulate."),
    seed: int = typer.Option(1, "--seed", help="Seed: the same seed, the same data."),
    share: float = typer.Option(0.3, "--share", help="Fraction of the points falsifying."),
    fmt: str = format_option("json", ("json", "csv", "table")),
    output: Path | None = output_option(help="The ground truth (default stdout)."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Write a month of honest and falsifying simulated gas points into the store (the
    simulator's falsifying mode) and print the ground truth: every injected episode's point,
    pattern, factor and hours."""
    from envmon.period import Period
    from envmon.sim.falsify import FalsifyOptions, simulate_falsifying

    with user_errors():
        period, options = Period.month(month), FalsifyOptions(points, seed, share)
        with open_cli_store(db, config, must_exist=False) as store:  # it makes a store
            result = simulate_falsifying(store, period, options)
    emit(result, fmt, output)


def register(app: typer.Typer) -> None:
    app.command("screen")(screen_command)
    app.command("simulate-falsifying")(simulate_falsifying_command)
