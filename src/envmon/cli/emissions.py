"""CLI: `envmon emissions` (a unit's monthly emission accounting), `envmon emissions-totals`
and `envmon tax` (the month's environmental-protection tax per unit), JSON, XLSX, HTML, PDF in
Chinese, or as a table (csv, table). The use cases are in `envmon.emissions.api`; this module
parses and writes."""

from __future__ import annotations

from pathlib import Path

import typer

from envmon.cli.common import CONFIG_HELP, DB_HELP, open_cli_store, user_errors
from envmon.cli.options import emit, format_option, output_option
from envmon.cli.remote import remote_command

RESULT_FORMATS = ("json", "csv", "table", "xlsx", "html", "pdf")


@remote_command()
def emissions_command(
    unit: str = typer.Option(..., "--unit", help="Unit (统一社会信用代码)."),
    month: str = typer.Option(..., "--month", help="YYYY-MM (Beijing time)."),
    fmt: str = format_option("json", RESULT_FORMATS),
    output: Path | None = output_option(help="Output file (json, csv, table: default stdout; xlsx, "
                                        "html, "
                                        "pdf: emissions-<unit>-<month>.<format>)."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """A unit's emissions for a month: per point and pollutant, kg and t, daily totals,
    substituted hours (HJ 75-2017) marked."""
    from envmon.emissions.api import UnitEmissionsOptions, accounting_config, unit_emissions
    from envmon.period import Period

    with user_errors():
        period, options = Period.month(month), UnitEmissionsOptions(unit)
        accounting = accounting_config(config)
        with open_cli_store(db, config, read_only=True) as store:
            result = unit_emissions(store, period, options, accounting=accounting)
    emit(result, fmt, output)


@remote_command()
def totals_command(
    month: str | None = typer.Option(None, "--month", help="YYYY-MM (Beijing time)."),
    year: int | None = typer.Option(None, "--year", help="YYYY: the calendar year."),
    level: str = typer.Option("unit", "--level", help="point, unit, county or city."),
    period: str = typer.Option("month", "--period", help="day, month, year or all."),
    unit: str | None = typer.Option(None, "--unit", help="Only this unit."),
    fmt: str = format_option("json", ("json", "csv", "table", "xlsx", "html")),
    output: Path | None = output_option(),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Emission totals (kg and t, substituted hours included) per point, unit, county or city
    and per day, month or year (day = Σ hours, month = Σ days, year = Σ months), as JSON."""
    from envmon.emissions.api import TotalsOptions, accounting_config, emission_totals
    from envmon.period import Period

    with user_errors():
        options = TotalsOptions(level, period, unit)
        span = Period.month_or_year(month, year)
        accounting = accounting_config(config)
        with open_cli_store(db, config, read_only=True) as store:
            result = emission_totals(store, span, options, accounting=accounting)
    emit(result, fmt, output)


@remote_command()
def tax_command(
    month: str = typer.Option(..., "--month", help="YYYY-MM (Beijing time)."),
    fmt: str = format_option("json", RESULT_FORMATS),
    output: Path | None = output_option(help="Output file (json, csv, table: default stdout; xlsx, "
                                        "html, "
                                        "pdf: tax-<month>.<format>)."),
    scope: str | None = typer.Option(None, "--no-reduction-scope",
                                     help="pollutant (default) or taxpayer: what an "
                                     "exceedance at any outlet removes the reduction of."),
    tax_file: Path | None = typer.Option(
        None, "--tax-config", help="TOML with per-province rates ([[rates]] province_code, "
        "air, water, valid_from) and tax options; its [tax] table if it has one. Default: "
        "Shanxi 1.8 ¥ air, 2.1 ¥ water per equivalent."),
    unit: str | None = typer.Option(None, "--unit", help="Only this unit (统一社会信用代码)."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Environmental-protection tax for a month, per unit: outlet, pollutant, kg,
    equivalents, rate, reduction, tax (Shanxi rates by default). A unit of a province without
    configured rates is refused with the province named (exit 1)."""
    from envmon.cli.common import fail
    from envmon.emissions.api import TaxOptions, accounting_config, monthly_tax
    from envmon.emissions.tax import UnconfiguredProvinceError
    from envmon.period import Period

    with user_errors():
        options = TaxOptions.from_files(tax_file, config, scope, unit)
        period = Period.month(month)
        accounting = accounting_config(config)
        with open_cli_store(db, config, read_only=True) as store:
            try:
                result = monthly_tax(store, period, options, accounting=accounting)
            except UnconfiguredProvinceError as error:
                # not a bad option: the configuration lacks the province's rates (exit 1)
                raise fail(str(error), 1) from None
    emit(result, fmt, output)


def register(app: typer.Typer) -> None:
    app.command("emissions")(emissions_command)
    app.command("emissions-totals")(totals_command)
    app.command("tax")(tax_command)
