"""CLI: `envmon emissions` (a unit's monthly emission accounting) and `envmon tax` (the
month's environmental-protection tax per unit), JSON or XLSX in Chinese."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from envmon.cli.registry import CONFIG_HELP, DB_HELP, fail, open_cli_store


def _month(month: str):
    from envmon.cli.assess import month_period

    return month_period(month)


def _write_json(data: dict, output: Path | None) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=1, default=str) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def emissions_command(
    unit: str = typer.Option(..., "--unit", help="Unit (统一社会信用代码)."),
    month: str = typer.Option(..., "--month", help="YYYY-MM (Beijing time)."),
    fmt: str = typer.Option("json", "--format", help="json or xlsx."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Output file (json: "
                                       "default stdout; xlsx: emissions-<unit>-<month>.xlsx)."),
    db: Path | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """A unit's emissions for a month: per point and pollutant, kg and t, daily totals,
    substituted hours (HJ 75-2017) marked."""
    from envmon.emissions.accounting import emissions
    from envmon.reports.emissions import emissions_json, write_emissions_xlsx

    if fmt not in ("json", "xlsx"):
        raise fail(f"--format must be json or xlsx, not {fmt!r}")
    start, end = _month(month)
    with open_cli_store(db, config, read_only=True) as store:
        if not store.query("SELECT 1 FROM units WHERE unit_id = ?", [unit]):
            raise fail(f"no unit {unit!r} in the registry")
        results = emissions(store, start, end, unit_id=unit)
    if fmt == "json":
        _write_json(emissions_json(results, unit, month), output)
        return
    path = write_emissions_xlsx(results, unit, month,
                                output or Path(f"emissions-{unit}-{month}.xlsx"))
    typer.echo(str(path))


def totals_command(
    month: str | None = typer.Option(None, "--month", help="YYYY-MM (Beijing time)."),
    year: int | None = typer.Option(None, "--year", help="YYYY: the calendar year."),
    level: str = typer.Option("unit", "--level", help="point, unit, county or city."),
    period: str = typer.Option("month", "--period", help="day, month, year or all."),
    unit: str | None = typer.Option(None, "--unit", help="Only this unit."),
    db: Path | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Emission totals (kg and t, substituted hours included) per point, unit, county or city
    and per day, month or year (day = Σ hours, month = Σ days, year = Σ months), as JSON."""
    from datetime import datetime

    from envmon.emissions.accounting import emissions, totals
    from envmon.timeutil import BEIJING_FIXED

    if level not in ("point", "unit", "county", "city"):
        raise fail(f"--level must be point, unit, county or city, not {level!r}")
    if period not in ("day", "month", "year", "all"):
        raise fail(f"--period must be day, month, year or all, not {period!r}")
    if (month is None) == (year is None):
        raise fail("give either --month YYYY-MM or --year YYYY")
    if month is not None:
        start, end = _month(month)
    else:
        start = datetime(year, 1, 1, tzinfo=BEIJING_FIXED)
        end = datetime(year + 1, 1, 1, tzinfo=BEIJING_FIXED)
    with open_cli_store(db, config, read_only=True) as store:
        results = emissions(store, start, end, unit_id=unit)
    _write_json({"from": start.isoformat(), "to": end.isoformat(), "level": level,
                 "period": period, "rows": totals(results, level, period)}, None)


def tax_command(
    month: str = typer.Option(..., "--month", help="YYYY-MM (Beijing time)."),
    fmt: str = typer.Option("json", "--format", help="json or xlsx."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Output file (json: "
                                       "default stdout; xlsx: tax-<month>.xlsx)."),
    scope: str | None = typer.Option(None, "--no-reduction-scope",
                                     help="pollutant (default) or taxpayer: what an "
                                     "exceedance at any outlet removes the reduction of."),
    tax_file: Path | None = typer.Option(
        None, "--tax-config", help="TOML with per-province rates ([[rates]] province_code, "
        "air, water, valid_from) and tax options; its [tax] table if it has one. Default: "
        "Shanxi 1.8 ¥ air, 2.1 ¥ water per equivalent."),
    db: Path | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Environmental-protection tax for a month, per unit: outlet, pollutant, kg,
    equivalents, rate, reduction, tax (Shanxi rates by default)."""
    from envmon.emissions.accounting import monthly_tax
    from envmon.emissions.tax import TaxConfig, load_tax_config
    from envmon.reports.emissions import tax_json, write_tax_xlsx

    if fmt not in ("json", "xlsx"):
        raise fail(f"--format must be json or xlsx, not {fmt!r}")
    if scope not in (None, "pollutant", "taxpayer"):
        raise fail(f"--no-reduction-scope must be pollutant or taxpayer, not {scope!r}")
    try:
        if tax_file:
            tax_config = load_tax_config(tax_file)
        else:  # the [tax] table of envmon.toml, else the defaults (Shanxi rates)
            from envmon.config import load_config
            from envmon.emissions.tax import tax_config_from_dict

            table = load_config(config).tax
            tax_config = tax_config_from_dict(table, "[tax]") if table else TaxConfig()
    except (OSError, ValueError) as error:
        raise fail(f"--tax-config: {error}" if tax_file else str(error)) from None
    if scope is not None:
        import dataclasses

        tax_config = dataclasses.replace(tax_config, no_reduction_scope=scope)
    start, end = _month(month)
    with open_cli_store(db, config, read_only=True) as store:
        lines = monthly_tax(store, start, end, tax_config=tax_config)
    if fmt == "json":
        _write_json(tax_json(lines, month), output)
        return
    path = write_tax_xlsx(lines, month, output or Path(f"tax-{month}.xlsx"))
    typer.echo(str(path))


def register(app: typer.Typer) -> None:
    app.command("emissions")(emissions_command)
    app.command("emissions-totals")(totals_command)
    app.command("tax")(tax_command)
