"""CLI: `envmon roads …` (network, import, serve, calibrate, match, rank, coverage) and
`envmon simulate-taxis`: parse the options, call the use case of `envmon.roads.api`, print.
No SQL and no orchestration here."""

from __future__ import annotations

from pathlib import Path

import typer

from envmon.cli.common import CONFIG_HELP, DB_HELP, fail, open_cli_store, user_errors
from envmon.cli.common import progress_bar as _progress
from envmon.cli.options import emit, format_option, output_option
from envmon.cli.remote import remote_command

roads_app = typer.Typer(
    name="roads",
    help="Road-network particulate monitoring (全路网颗粒物监测): OSM network, taxi PM "
    "sensor import, map matching, monthly dirty/clean segment rankings.",
    no_args_is_help=True,
)


SETTINGS_HELP = ("Road settings TOML ([sensors], [match], [passes], [eligibility], [naming]; "
                 "see envmon.roads.settings; default: the [roads] tables of the "
                 "configuration, else built-in defaults).")


def _settings(path: Path | None, config: Path | None = None):
    """--settings FILE if given, else the [roads] tables of envmon.toml, else defaults."""
    from envmon.config import ConfigError, load_config
    from envmon.roads.settings import load_settings, settings_from_dict

    try:
        if path is not None:
            return load_settings(path)
        return settings_from_dict(load_config(config).roads, "[roads]")
    except (ValueError, ConfigError) as error:
        raise fail(str(error)) from None


# What a roads command that reads data needs first, when --db names no database.
ROADS_FIRST = ("build the road network (`envmon roads network`) and import readings "
               "(`envmon roads import`) first")


def _period(month: str | None, start: str | None, end: str | None):
    from envmon.period import Period

    with user_errors():
        return Period.from_options(month, start, end)


JSON_ONLY = ("json",)
TABULAR = ("json", "csv", "table")
RANK_FORMATS = ("json", "csv", "table", "xlsx", "html", "pdf")


@roads_app.command("network")
def network_command(
    pbf: Path = typer.Option(..., "--pbf", help="OpenStreetMap extract (.osm.pbf)."),
    districts: Path | None = typer.Option(
        None, "--districts", help="GeoJSON district polygons (property name; development "
        "zones such as 综改示范区 are cut out of the districts they overlap)."),
    fmt: str = format_option("json", JSON_ONLY),
    output: Path | None = output_option(),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    settings: Path | None = typer.Option(None, "--settings", help=SETTINGS_HELP),
) -> None:
    """Build the directed road graph and its junction-to-junction named segments."""
    from envmon.roads import api

    with user_errors():
        options = api.NetworkOptions(pbf, districts, _settings(settings, config).naming)
    with open_cli_store(db, config, must_exist=False) as store, user_errors():
        result = api.build_network(store, options)
    emit(result, fmt, output)


@roads_app.command("import")
def import_command(
    file: Path = typer.Argument(..., help="CSV: device_id,time,lat,lon,pm25,pm10[,rh,speed] "
                                "(time ISO 8601, Beijing time without offset); the mmaqshiny "
                                "joined-file layout is recognised too."),
    crs: str = typer.Option("wgs84", "--crs", help="Datum of lat/lon: wgs84 or gcj02."),
    device: str | None = typer.Option(None, "--device", help="Device id for files without "
                                      "a device_id column."),
    fmt: str = format_option("json", JSON_ONLY),
    output: Path | None = output_option(),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    settings: Path | None = typer.Option(None, "--settings", help=SETTINGS_HELP),
) -> None:
    """Import taxi PM readings: datum conversion, calibration, RH correction, rejections.

    Rejected rows are counted by reason in the JSON; when most rows are rejected, stderr says
    so with the first few and why. A file with rows none of which is usable (or without the
    expected columns) is refused (exit 2) and writes nothing."""
    from envmon.roads import api

    with user_errors():
        options = api.ImportOptions(file, crs, device, _settings(settings, config).sensors)
    with open_cli_store(db, config, must_exist=False) as store, user_errors():
        result = api.import_readings(store, options)
    # the JSON counts every rejection by reason; stderr speaks up when the file looks wrong:
    # no data rows, or most rows rejected (then with the first rows and why)
    if not result.received or (result.accepted + result.duplicates) * 2 < result.received:
        typer.echo(("warning: " if result.received else "") + result.report(), err=True)
    emit(result, fmt, output)


@roads_app.command("serve")
def serve_command(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8712, "--port"),
    crs: str = typer.Option("wgs84", "--crs", help="Datum when a payload names none."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    settings: Path | None = typer.Option(None, "--settings", help=SETTINGS_HELP
                                         + " [intake] sets the HTTP limits."),
) -> None:
    """HTTP JSON intake: POST /roads/readings with the CSV's fields (until Ctrl-C).

    Requests need `Authorization: Bearer <token>` (`envmon roads tokens add`); a store with no
    token at all is served on a loopback --host only."""
    from envmon.ingest.loop import run_loop
    from envmon.ingest.server import stop_signal
    from envmon.roads.api import IntakeOptions
    from envmon.roads.intake_http import Intake
    from envmon.roads.intake_server import IntakeServer
    from envmon.roads.tokens import TokenBook

    with user_errors():
        options = IntakeOptions(crs)
    limits = _settings(settings, config).intake
    with open_cli_store(db, config, must_exist=False) as store:
        intake = Intake(store, TokenBook.load(store), limits, options.default_crs.value)
        server = IntakeServer(intake, host, port)

        async def main() -> None:
            stop = stop_signal()
            try:
                await server.start()
            except OSError as error:
                raise fail(f"cannot serve on {host}:{port}: {error}") from None
            typer.echo(f"listening on http://{host}:{server.port}/roads/readings", err=True)
            try:
                await stop.wait()
            finally:
                await server.stop()

        run_loop(main())


tokens_app = typer.Typer(
    name="tokens", no_args_is_help=True,
    help="Bearer tokens of the HTTP intake (roads serve, serve --roads-port). Only a SHA-256 "
    "digest is stored; change them while the store is not being served (it reads them when "
    "it starts).")
roads_app.add_typer(tokens_app, name="tokens")


@tokens_app.command("add")
def tokens_add_command(
    label: str = typer.Argument(..., help="Who the token is for (a fleet, a vendor)."),
    devices: str | None = typer.Option(None, "--devices", help="Device-id prefix the token "
                                       "may post for (e.g. 晋A-T); any device if not given."),
    fmt: str = format_option("json", ("json", "table")),
    output: Path | None = output_option(),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Make a token: printed once (`token`), never shown again."""
    from envmon.roads.tokens import TokenList, add_token

    if not label.strip():
        raise fail("LABEL must not be empty")
    with open_cli_store(db, config, must_exist=False) as store:
        made = add_token(store, label.strip(), devices or None)
    emit(TokenList((made.as_json(),)), fmt, output)


@tokens_app.command("list")
def tokens_list_command(
    fmt: str = format_option("table", ("json", "table", "csv")),
    output: Path | None = output_option(),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """The tokens (ids, labels, device prefixes, revocation), never the secrets."""
    from envmon.roads.tokens import TokenList, list_tokens

    with open_cli_store(db, config, read_only=True) as store:
        tokens = list_tokens(store)
    emit(TokenList(tuple(t.as_json() for t in tokens)), fmt, output)


@tokens_app.command("revoke")
def tokens_revoke_command(
    token_id: str = typer.Argument(..., help="The token's id (`roads tokens list`)."),
    fmt: str = format_option("json", ("json", "table")),
    output: Path | None = output_option(),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Revoke a token (takes effect when the intake next starts)."""
    from envmon.roads.tokens import TokenList, revoke_token

    with open_cli_store(db, config) as store:
        token = revoke_token(store, token_id)
    if token is None:
        raise fail(f"no intake token with id {token_id!r} (see `envmon roads tokens list`)")
    emit(TokenList((token.as_json(),)), fmt, output)


@roads_app.command("calibrate")
def calibrate_command(
    device: str = typer.Argument(..., help="Device id."),
    valid_from: str = typer.Option(..., "--from", help="ISO time the calibration applies "
                                   "from (Beijing time without an offset). May lie ahead, for "
                                   "a sensor swap entered in advance (said on stderr), but "
                                   "not more than a year."),
    pm25: tuple[float, float] = typer.Option((1.0, 0.0), "--pm25", help="slope intercept "
                                             "(slope > 0)"),
    pm10: tuple[float, float] = typer.Option((1.0, 0.0), "--pm10", help="slope intercept "
                                             "(slope > 0)"),
    model: str | None = typer.Option(None, "--model", help="Sensor model (e.g. PMS5003)."),
    datum: str | None = typer.Option(None, "--datum", help="wgs84 or gcj02 (device output)."),
    fmt: str = format_option("json", JSON_ONLY),
    output: Path | None = output_option(),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Set a device's linear calibration PM_cal = slope · PM_raw + intercept.

    Calibrations may be entered before the device's first import, so a new store is created
    if needed (said on stderr: check --db). A device the store has never seen (no readings,
    no calibration) is set anyway, with a warning on stderr: there is no taxi registry to
    check it against."""
    from envmon.cli.common import resolve_db
    from envmon.roads import api

    with user_errors():
        options = api.CalibrateOptions(device, valid_from, pm25, pm10, model, datum)
    path = resolve_db(db, config)
    new = path != ":memory:" and not Path(path).exists()
    with open_cli_store(db, config, must_exist=False) as store, user_errors():
        result = api.calibrate(store, options)
    if new:
        typer.echo(f"note: created a new database at {path} (check --db if you meant an "
                   "existing one)", err=True)
    for warning in result.warnings:
        typer.echo(warning, err=True)
    emit(result, fmt, output)


@roads_app.command("match")
def match_command(
    month: str | None = typer.Option(None, "--month", help="YYYY-MM (Beijing time)."),
    start: str | None = typer.Option(None, "--from", help="ISO start (inclusive)."),
    end: str | None = typer.Option(None, "--to", help="ISO end (exclusive)."),
    fmt: str = format_option("json", TABULAR),
    output: Path | None = output_option(),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    settings: Path | None = typer.Option(None, "--settings", help=SETTINGS_HELP),
) -> None:
    """Map-match the readings of the period (fastmm) and rewrite its drive passes; prints the
    match coverage per taxi per day."""
    from envmon.roads import api

    period = _period(month, start, end)
    options = api.MatchOptions.of(_settings(settings, config))
    with (open_cli_store(db, config, first=ROADS_FIRST) as store, user_errors(),
          _progress("map matching") as step):
        result = api.match(store, period, options, progress=step)
    emit(result, fmt, output)


@roads_app.command("rank")
@remote_command()
def rank_command(
    month: str | None = typer.Option(None, "--month", help="YYYY-MM (Beijing time)."),
    start: str | None = typer.Option(None, "--from", help="ISO start (inclusive)."),
    end: str | None = typer.Option(None, "--to", help="ISO end (exclusive)."),
    top: int = typer.Option(20, "--top", min=1, help="Length of each list."),
    pollutant: str = typer.Option("pm10", "--pollutant", help="pm10 or pm25."),
    fmt: str = format_option("json", RANK_FORMATS),
    out: Path | None = output_option("--out", help="Output file (json, csv, table: default "
                                     "stdout; xlsx, html, pdf: default "
                                     "roads-<period>-<pollutant>.<format>)."),
    map_png: Path | None = typer.Option(None, "--map", help="Also write the map as PNG."),
    geojson: Path | None = typer.Option(None, "--geojson", help="Also write the segments "
                                        "with their values as GeoJSON (map layer)."),
    normalise: str = typer.Option("none", "--normalise", help="Background normalisation "
                                  "against the city stations: none, multiplicative, additive."),
    min_days: int | None = typer.Option(None, "--min-days",
                                        help="Eligibility: distinct days (default 8)."),
    min_passes: int | None = typer.Option(None, "--min-passes",
                                          help="Eligibility: drive passes (default 15)."),
    min_taxis: int | None = typer.Option(None, "--min-taxis",
                                         help="Eligibility: different taxis (default 2)."),
    match: bool | None = typer.Option(
        None, "--match/--no-match",
        help="--match: match the whole period first. Default: the days with readings not "
             "matched yet are matched first; --no-match refuses to rank them instead."),
    names: str = typer.Option("junction", "--names", help="junction (路名+A路口至B路口, "
                              "2024 form) or hotspot (路名+区名+POI+方位+N米路段, 2021 form; "
                              "segments without a POI nearby keep the junction form)."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    settings: Path | None = typer.Option(None, "--settings", help=SETTINGS_HELP),
) -> None:
    """The most polluted and the cleanest eligible segments (median of drive-pass means);
    segments below the thresholds are counted as 数据不足."""
    from envmon.render import FILE_FORMATS
    from envmon.roads import api

    rs = _settings(settings, config)
    with user_errors():
        options = api.RankOptions(
            top=top, pollutant=pollutant, normalise=normalise, names=names,
            eligibility=api.RankOptions.eligibility_from(rs.eligibility, min_days,
                                                         min_passes, min_taxis),
            match_first=bool(match), match_unmatched=match is not False,
            matching=api.MatchOptions.of(rs),
            detail=fmt in FILE_FORMATS or map_png is not None or geojson is not None)
    period = _period(month, start, end)
    with (open_cli_store(db, config, first=ROADS_FIRST) as store, user_errors(),
          _progress("map matching", shown=match is not False) as step):
        result = api.rank(store, period, options, progress=step)
    if result.matched_days:
        typer.echo(f"matched first: {len(result.matched_days)} day(s) with readings not "
                   f"matched yet ({result.matched_days[0]} … {result.matched_days[-1]})",
                   err=True)
    if result.note:
        typer.echo(f"note: {result.note}", err=True)
    if geojson is not None:
        emit(result, "geojson", geojson)
    if map_png is not None:
        emit(result, "png", map_png)
    target = emit(result, fmt, out, announce=False)
    if fmt in FILE_FORMATS:
        emit(result.written(target), "json")


@roads_app.command("coverage")
@remote_command()
def coverage_command(
    month: str | None = typer.Option(None, "--month", help="YYYY-MM (Beijing time)."),
    start: str | None = typer.Option(None, "--from", help="ISO start (inclusive)."),
    end: str | None = typer.Option(None, "--to", help="ISO end (exclusive)."),
    fmt: str = format_option("json", TABULAR),
    output: Path | None = output_option(),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Coverage: segments and km with passes per day, eligible over the period; match
    coverage per taxi per day."""
    from envmon.roads import api

    period = _period(month, start, end)
    with open_cli_store(db, config, read_only=True) as store, user_errors():
        result = api.coverage(store, period, api.CoverageOptions())
    emit(result, fmt, output)


def simulate_taxis(
    out: Path = typer.Option(Path("taxis.csv"), "--out", help="The readings CSV the simulation "
                             "writes. Not the summary: that is --output."),
    truth: Path | None = typer.Option(None, "--truth", help="JSON of the true per-segment "
                                      "(pm25, pm10) concentrations."),
    pbf: Path | None = typer.Option(None, "--pbf", help="Drive over this OSM extract "
                                    "(default: the store's network, else a synthetic grid)."),
    taxis: int = typer.Option(6, "--taxis", min=1),
    days: int = typer.Option(9, "--days", min=1),
    month: str = typer.Option("2026-10", "--month", help="First day of the month is day 1 "
                              "(a month still to come is allowed: the JSON says future: "
                              "true and stderr notes it)."),
    minutes: float = typer.Option(40.0, "--minutes", help="Driving minutes per taxi per day."),
    datum: str = typer.Option("wgs84", "--datum", help="wgs84 or gcj02 output."),
    seed: int = typer.Option(7, "--seed"),
    do_import: bool = typer.Option(False, "--import/--no-import",
                                   help="Also import the readings into the store."),
    fmt: str = format_option("json", JSON_ONLY),
    output: Path | None = output_option(help="File for the JSON summary of the simulation "
                                        "(default stdout). Not the readings: those go to "
                                        "--out (unlike roads rank, where --out is --output)."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Simulate a taxi fleet with PM sensors through a known pollution field (GPS noise,
    GCJ-02 offsets, idling at ranks, gaps, calibration error, humidity, sensor noise). The
    network and the devices' calibrations are written to the store."""
    from envmon.period import Period
    from envmon.roads import api

    with user_errors():
        options = api.SimulateOptions(out=out, truth=truth, pbf=pbf, taxis=taxis, days=days,
                                      minutes=minutes, datum=datum, seed=seed,
                                      do_import=do_import)
        # a simulation may drive through a month still to come
        period = Period.month(month, allow_future=True)
    with open_cli_store(db, config, must_exist=False) as store, user_errors():
        result = api.simulate_taxis(store, period, options)
    if result.summary.get("future"):
        typer.echo(f"note: --month {month} has not begun: the simulated readings lie in the "
                   "future", err=True)
    emit(result, fmt, output)


def register(app: typer.Typer) -> None:
    app.add_typer(roads_app, name="roads")
    app.command("simulate-taxis")(simulate_taxis)
