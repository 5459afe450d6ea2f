"""CLI commands: `envmon air …` (stations, import, aqi, summary, rank) and `envmon report air`:
parse the options, call the use case of `envmon.air.api`, print. No SQL here."""

from __future__ import annotations

from pathlib import Path

import typer

from envmon.cli.common import CONFIG_HELP, DB_HELP, open_cli_store, user_errors
from envmon.cli.options import emit, emit_many, format_option, output_option, split_formats
from envmon.cli.remote import remote_command

air_app = typer.Typer(
    name="air",
    help="Ambient air quality: stations, hourly/daily data, AQI (HJ 633), city summaries, "
    "composite index and rankings (HJ 663, MEE ranking method).",
    no_args_is_help=True,
)
stations_app = typer.Typer(help="Air-quality monitoring stations (国控/省控站点).",
                           no_args_is_help=True)
air_app.add_typer(stations_app, name="stations")

STANDARD_HELP = ("Standard set: auto (by date: 2012 before 2026-03-01, else 2026 where "
                 "confirmed), 2012 or 2026.")
METHOD_HELP = ("Composite index: mee (《城市环境空气质量排名技术规定》, published) or hj663 "
               "(HJ 663-2013 Annex C, informative).")
EXCLUDE_HELP = ("CSV city,date[,reason] of days taken out of the statistics (扣沙 sand-dust "
                "days, 例外事件 exceptional events); default: none.")


# `text` is the output these commands always had (the summary's sentence, else the terminal
# table); csv and table are the tabular formats of every result
LIST_FORMATS = ("json", "text", "csv", "table", "xlsx", "html")


def _echo_rejected(rejected: list[str], limit: int | None = None) -> None:
    for error in rejected[:limit]:
        typer.echo(f"rejected {error}", err=True)
    if limit is not None and len(rejected) > limit:
        typer.echo(f"… and {len(rejected) - limit} more rejected rows", err=True)


def _air_settings(config: Path | None):
    """The [air] section of the configuration file (defaults without one)."""
    from envmon.cli.common import fail
    from envmon.config import ConfigError, load_config

    try:
        return load_config(config).air
    except ConfigError as error:
        raise fail(str(error)) from None


def _echo_warnings(warnings: list[str], limit: int | None = None) -> None:
    for warning in warnings[:limit]:
        typer.echo(f"warning: {warning}", err=True)
    if limit is not None and len(warnings) > limit:
        typer.echo(f"… and {len(warnings) - limit} more warnings", err=True)


@stations_app.command("import")
def stations_import(
    file: Path = typer.Argument(..., help="CSV with columns code,name,city,type,lat,lon "
                                "(type: city, control, background, regional, roadside, source)."),
    fmt: str = format_option("text", ("text", "json")),
    output: Path | None = output_option(),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Import or update air-quality stations. City values use `city` stations (城市点) only.

    Optional columns active_from, active_to (YYYY-MM-DD) bound the days a station counts
    among its city's stations (the 75 % rule of HJ 663-2013 §6.1). Changes to stored stations
    are listed. Exit code 0 when every row was imported, 1 when some were rejected, 2 when the
    file or the store could not be used at all."""
    from envmon.air import api

    with user_errors():
        options = api.StationsImportOptions(file)
    with open_cli_store(db, config, must_exist=False) as store, user_errors():
        result = api.import_stations(store, options)
    _echo_rejected(result.rejected)
    _echo_warnings(result.warnings)
    emit(result, fmt, output)
    if not result.ok:  # one rule for every importer: exit 1 when a row was rejected
        raise typer.Exit(1)


@air_app.command("import")
def import_command(
    files: list[Path] = typer.Argument(..., help="CSV files."),
    fmt: str = typer.Option(..., "--format", help="cnemc (national real-time release CSV as "
                            "archived), hourly (station_code,time,so2,no2,co,o3,pm10,pm25; time "
                            "= end of the hour, Beijing time) or daily (station_code,date,so2,"
                            "no2,co,pm10,pm25,o3_1h_max,o3_8h_max)."),
    output: Path | None = output_option(help="File for the one-line import summary (default "
                                        "stdout); here --format names the input format."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Import station data (cnemc, hourly or daily CSV).

    Empty cells are missing values; bad rows (a value that is not a number or is negative, a
    bad time, an hour repeated with other values) are reported with file, line and field and
    skipped. A re-imported station hour (or day) replaces the earlier one; changed values are
    listed. For cnemc, stations unknown to the registry are added untyped (no type: out of city
    values until `air stations import` types them) and named; the published aqi and
    primarypollutant are kept apart, for comparison only. Exit code 0 when every row was
    imported, 1 when some were rejected, 2 when a file or the store could not be used."""
    from envmon.air import api

    with user_errors():
        options = api.ImportOptions(tuple(files), fmt)
    with open_cli_store(db, config, must_exist=False) as store, user_errors():
        result = api.import_data(store, options)
    _echo_rejected(result.rejected, 200)
    _echo_warnings(result.warnings, 200)
    emit(result, "text", output)  # --format names the input format here
    if not result.ok:  # one rule for every importer: exit 1 when a row was rejected
        raise typer.Exit(1)


@air_app.command("aqi")
@remote_command()
def aqi_command(
    station: str = typer.Option(..., "--station", help="Station code."),
    start: str = typer.Option(..., "--from", help="ISO time (Beijing time if no offset)."),
    end: str = typer.Option(..., "--to", help="ISO time, inclusive (hours are labelled by "
                            "their end: --from 2026-11-01 --to 2026-11-02 is the day 1:00–24:00)."),
    fmt: str = format_option("json", LIST_FORMATS),
    output: Path | None = output_option(),
    o3_8h: bool = typer.Option(False, "--o3-8h", help="Include the rolling O3 8-h IAQI "
                               "(off by default, see airquality.md §1.3)."),
    standard: str = typer.Option("auto", "--standard", help=STANDARD_HELP),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Real-time (hourly) AQI of one station (HJ 633 实时报).

    One object per hour: time (end of the hour), station, aqi, level, primary (list of
    pollutant names)."""
    from envmon.air import api
    from envmon.period import Period

    with user_errors():
        options = api.AqiOptions(station, standard, o3_8h)
        period = Period.parse(start, end)
    with open_cli_store(db, config, read_only=True) as store, user_errors():
        result = api.station_aqi(store, period, options)
    emit(result, fmt, output)


@air_app.command("summary")
@remote_command()
def summary_command(
    city: str = typer.Option(..., "--city", help="City name as registered (e.g. 太原市)."),
    start: str = typer.Option(..., "--from", help="First day, YYYY-MM-DD."),
    end: str = typer.Option(..., "--to", help="Last day, YYYY-MM-DD (inclusive)."),
    fmt: str = format_option("json", LIST_FORMATS),
    output: Path | None = output_option(),
    method: str = typer.Option("mee", "--method", help=METHOD_HELP),
    standard: str = typer.Option("auto", "--standard", help=STANDARD_HELP),
    yoy_rounded: bool = typer.Option(False, "--yoy-rounded", help="Year-on-year change from "
                                     "the rounded (published) figures instead of unrounded."),
    no_validity: bool = typer.Option(False, "--no-validity", help="Do not apply the period "
                                     "count rules (≥ 27 days per month, ≥ 324 per year)."),
    exclude: Path | None = typer.Option(None, "--exclude", help=EXCLUDE_HELP),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """City summary over a period: good days, composite index, concentrations, YoY.

    Valid and good days, good-day share, composite index, load shares, concentrations as
    published, the daily AQI, and year-on-year change (yoy) when the same period a year
    earlier has data."""
    from envmon.air import api
    from envmon.period import Period

    with user_errors():
        period = Period.days_between(start, end)
        options = api.SummaryOptions(city, method, standard, yoy_rounded, not no_validity,
                                     api.excluded_days(exclude), _air_settings(config))
    with open_cli_store(db, config, read_only=True) as store, user_errors():
        result = api.city_summary(store, period, options)
    _echo_warnings(result.summary.get("warnings", []))
    emit(result, fmt, output)


@air_app.command("rank")
@remote_command()
def rank_command(
    start: str = typer.Option(..., "--from", help="First day, YYYY-MM-DD."),
    end: str = typer.Option(..., "--to", help="Last day, YYYY-MM-DD (inclusive)."),
    fmt: str = format_option("json", LIST_FORMATS),
    output: Path | None = output_option(),
    method: str = typer.Option("mee", "--method", help=METHOD_HELP),
    standard: str = typer.Option("auto", "--standard", help=STANDARD_HELP),
    no_validity: bool = typer.Option(False, "--no-validity", help="Do not apply the period "
                                     "count rules."),
    exclude: Path | None = typer.Option(None, "--exclude", help=EXCLUDE_HELP),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Rank all cities by composite index and by its year-on-year change.

    Composite index ascending (equal 2-decimal values rank equal); year-on-year change
    ascending (the largest fall ranks 1)."""
    from envmon.air import api
    from envmon.period import Period

    with user_errors():
        period = Period.days_between(start, end)
        options = api.RankOptions(method, standard, not no_validity,
                                  api.excluded_days(exclude), _air_settings(config))
    with open_cli_store(db, config, read_only=True) as store, user_errors():
        result = api.city_ranking(store, period, options)
    _echo_warnings(result.ranking.get("warnings", []))
    emit(result, fmt, output)


@remote_command(formats_default="xlsx,html,pdf")
def report_air(
    month: str = typer.Option(..., "--month", help="Month, YYYY-MM."),
    city: str | None = typer.Option(None, "--city", help="City of the bulletin (default: the "
                                    "only city of the station registry; with several, the "
                                    "first by station code, said on stderr — name it to be "
                                    "sure). The ranking covers every city."),
    out: Path = output_option("--out", help="Output directory (default: the working folder), "
                              "or the file when one format is written."),
    formats: str = typer.Option("xlsx,html,pdf", "--formats", help="Comma-separated: xlsx, "
                                "html, pdf (PDF through WeasyPrint; skipped with a message if "
                                "unavailable — print the HTML to PDF from a browser)."),
    fmt: str | None = typer.Option(None, "--format", help="One format (xlsx, html or pdf) "
                                   "instead of --formats."),
    standard: str = typer.Option("auto", "--standard", help=STANDARD_HELP),
    exclude: Path | None = typer.Option(None, "--exclude", help=EXCLUDE_HELP),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Monthly air-quality bulletin (环境空气质量月报) as XLSX, HTML and PDF.

    Summary sentence, pollutants with year-on-year change, calendar of daily AQI in the
    standard colours, daily table and city ranking. The footnotes say up to which hour data
    are included (数据截至 …); a month in progress is marked 初步统计."""
    from envmon.air import api
    from envmon.period import Period

    # every format is checked before the bulletin is computed and before anything is written
    option = "--format" if fmt is not None else "--formats"
    wanted = split_formats([fmt] if fmt is not None else formats, option)
    with user_errors():
        period = Period.month(month)
        options = api.BulletinOptions(city, standard, api.excluded_days(exclude),
                                      _air_settings(config))
    with open_cli_store(db, config, read_only=True) as store, user_errors():
        result = api.monthly_bulletin(store, period, options)
    if result.city_note:
        typer.echo(result.city_note, err=True)
    emit_many(result, wanted, out, option=option)


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the main app (and to cli.report.report_app)."""
    from envmon.cli.report import report_app

    app.add_typer(air_app, name="air")
    report_app.command("air")(report_air)
