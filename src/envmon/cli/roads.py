"""CLI: `envmon roads …` (network, import, match, rank) and `envmon simulate-taxis`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from envmon.cli.registry import CONFIG_HELP, DB_HELP, fail, open_cli_store

roads_app = typer.Typer(
    name="roads",
    help="Road-network particulate monitoring (全路网颗粒物监测): OSM network, taxi PM "
    "sensor import, map matching, monthly dirty/clean segment rankings.",
    no_args_is_help=True,
)


SETTINGS_HELP = ("Road settings TOML ([sensors], [match], [passes], [eligibility], [naming]; "
                 "see envmon.roads.settings).")


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


def _process_with_progress(store, a, b, rs):
    """`pipeline.process` with a progress bar on stderr (one step per Beijing day)."""
    from rich.console import Console
    from rich.progress import Progress

    from envmon.roads.pipeline import process

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("map matching", total=None)

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return process(store, a, b, match_config=rs.match, config=rs.passes, progress=step)


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=1) + "\n")


@roads_app.command("network")
def network_command(
    pbf: Path = typer.Option(..., "--pbf", help="OpenStreetMap extract (.osm.pbf)."),
    districts: Path | None = typer.Option(
        None, "--districts", help="GeoJSON district polygons (property name; development "
        "zones such as 综改示范区 are cut out of the districts they overlap)."),
    db: Path | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    settings: Path | None = typer.Option(None, "--settings", help=SETTINGS_HELP),
) -> None:
    """Build the directed road graph and its junction-to-junction named segments."""
    from envmon.roads.network import network_from_pbf
    from envmon.roads.storage import save_network

    if not pbf.exists():
        raise fail(f"{pbf}: no such file")
    if districts is not None and not districts.exists():
        raise fail(f"{districts}: no such file")
    try:
        net = network_from_pbf(pbf, districts, _settings(settings, config).naming)
    except ValueError as error:
        raise fail(str(error)) from None
    with open_cli_store(db, config) as store:
        save_network(store, net)
    counts: dict[str, int] = {}
    for s in net.segments:
        counts[s.district or "未划区"] = counts.get(s.district or "未划区", 0) + 1
    _print_json({"version": net.version, "crs": net.crs, "edges": len(net.edges),
                 "segments": len(net.segments), "districts": counts})


@roads_app.command("import")
def import_command(
    file: Path = typer.Argument(..., help="CSV: device_id,time,lat,lon,pm25,pm10[,rh,speed] "
                                "(time ISO 8601, Beijing time without offset); the mmaqshiny "
                                "joined-file layout is recognised too."),
    crs: str = typer.Option("wgs84", "--crs", help="Datum of lat/lon: wgs84 or gcj02."),
    device: str | None = typer.Option(None, "--device", help="Device id for files without "
                                      "a device_id column."),
    db: Path | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    settings: Path | None = typer.Option(None, "--settings", help=SETTINGS_HELP),
) -> None:
    """Import taxi PM readings: datum conversion, calibration, RH correction, rejections."""
    from envmon.roads.sensors import DATUMS, import_csv

    if crs not in DATUMS:
        raise fail(f"--crs must be one of {', '.join(DATUMS)}, not {crs!r}")
    if not file.exists():
        raise fail(f"{file}: no such file")
    with open_cli_store(db, config) as store:
        result = import_csv(store, file, crs, device, _settings(settings, config).sensors)
    _print_json(result.as_dict())


@roads_app.command("serve")
def serve_command(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8712, "--port"),
    crs: str = typer.Option("wgs84", "--crs", help="Datum when a payload names none."),
    db: Path | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """HTTP JSON intake: POST /roads/readings with the CSV's fields (until Ctrl-C)."""
    from envmon.roads.http import make_server

    with open_cli_store(db, config) as store:
        server = make_server(store, host, port, crs)
        typer.echo(f"listening on http://{host}:{server.server_address[1]}/roads/readings",
                   err=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()


@roads_app.command("calibrate")
def calibrate_command(
    device: str = typer.Argument(..., help="Device id."),
    valid_from: str = typer.Option(..., "--from", help="ISO time the calibration applies from."),
    pm25: tuple[float, float] = typer.Option((1.0, 0.0), "--pm25", help="slope intercept"),
    pm10: tuple[float, float] = typer.Option((1.0, 0.0), "--pm10", help="slope intercept"),
    model: str | None = typer.Option(None, "--model", help="Sensor model (e.g. PMS5003)."),
    datum: str | None = typer.Option(None, "--datum", help="wgs84 or gcj02 (device output)."),
    db: Path | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Set a device's linear calibration PM_cal = slope · PM_raw + intercept."""
    from envmon.roads.sensors import set_calibration
    from envmon.timeutil import parse_iso

    with open_cli_store(db, config) as store:
        set_calibration(store, device, parse_iso(valid_from), pm25, pm10, model, datum)
    _print_json({"device_id": device, "valid_from": valid_from, "pm25": pm25, "pm10": pm10})


def _period(month: str | None, start: str | None, end: str | None):
    from envmon.roads.rank import month_bounds
    from envmon.timeutil import parse_iso

    if month and (start or end):
        raise fail("give either --month or --from/--to, not both")
    if month:
        try:
            return month_bounds(month)
        except ValueError:
            raise fail(f"--month {month!r} is not YYYY-MM") from None
    if not (start and end):
        raise fail("give --month YYYY-MM or both --from and --to")
    try:
        a, b = parse_iso(start), parse_iso(end)
    except ValueError:
        raise fail("--from/--to must be ISO 8601 times (Beijing time without offset)") from None
    if b <= a:
        raise fail("--to must be after --from")
    return a, b


@roads_app.command("match")
def match_command(
    month: str | None = typer.Option(None, "--month", help="YYYY-MM (Beijing time)."),
    start: str | None = typer.Option(None, "--from", help="ISO start (inclusive)."),
    end: str | None = typer.Option(None, "--to", help="ISO end (exclusive)."),
    db: Path | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    settings: Path | None = typer.Option(None, "--settings", help=SETTINGS_HELP),
) -> None:
    """Map-match the readings of the period (fastmm) and rewrite its drive passes; prints the
    match coverage per taxi per day."""

    a, b = _period(month, start, end)
    with open_cli_store(db, config) as store:
        try:
            out = _process_with_progress(store, a, b, _settings(settings, config))
        except LookupError as error:
            raise fail(str(error)) from None
    _print_json(out)


@roads_app.command("rank")
def rank_command(
    month: str | None = typer.Option(None, "--month", help="YYYY-MM (Beijing time)."),
    start: str | None = typer.Option(None, "--from", help="ISO start (inclusive)."),
    end: str | None = typer.Option(None, "--to", help="ISO end (exclusive)."),
    top: int = typer.Option(20, "--top", min=1, help="Length of each list."),
    pollutant: str = typer.Option("pm10", "--pollutant", help="pm10 or pm25."),
    fmt: str = typer.Option("json", "--format", help="json, xlsx, html or pdf."),
    out: Path | None = typer.Option(None, "--out", help="Output file for xlsx/html "
                                    "(default roads-<period>-<pollutant>.<format>)."),
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
    match: bool = typer.Option(False, "--match/--no-match", help="Match the period first."),
    names: str = typer.Option("junction", "--names", help="junction (路名+A路口至B路口, "
                              "2024 form) or hotspot (路名+区名+POI+方位+N米路段, 2021 form; "
                              "segments without a POI nearby keep the junction form)."),
    db: Path | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    settings: Path | None = typer.Option(None, "--settings", help=SETTINGS_HELP),
) -> None:
    """The most polluted and the cleanest eligible segments (median of drive-pass means);
    segments below the thresholds are counted as 数据不足."""
    from envmon.roads.rank import NORMALISATIONS, POLLUTANTS, ranking, segment_values
    from envmon.roads.stats import Eligibility

    if pollutant not in POLLUTANTS:
        raise fail(f"--pollutant must be one of {', '.join(POLLUTANTS)}, not {pollutant!r}")
    if names not in ("junction", "hotspot"):
        raise fail(f"--names must be junction or hotspot, not {names!r}")
    if fmt not in ("json", "xlsx", "html", "pdf"):
        raise fail(f"--format must be json, xlsx, html or pdf, not {fmt!r}")
    if normalise not in NORMALISATIONS:
        raise fail(f"--normalise must be one of {', '.join(NORMALISATIONS)}")
    a, b = _period(month, start, end)
    rs = _settings(settings, config)
    el = rs.eligibility
    eligibility = Eligibility(el.min_days if min_days is None else min_days,
                              el.min_passes if min_passes is None else min_passes,
                              el.min_taxis if min_taxis is None else min_taxis)
    with open_cli_store(db, config) as store:
        try:
            if match:
                _process_with_progress(store, a, b, rs)
            values = segment_values(store, a, b, pollutant, eligibility=eligibility,
                                    normalise=normalise)
        except LookupError as error:
            raise fail(str(error)) from None
        result = ranking(values, a, b, pollutant, top)
        from envmon.roads.rank import store_stats
        from envmon.roads.storage import latest_version

        store_stats(store, latest_version(store), values, a, b, pollutant, normalise)
        if names == "hotspot":
            _hotspot(store, result)
        if geojson is not None:
            from envmon.roads.storage import latest_version, segment_rows

            _write_geojson(geojson, segment_rows(store, latest_version(store)), values, result)
        if fmt == "json" and map_png is None:
            _print_json(result)
            return
        from envmon.reports.roads import build_roads_bulletin, segment_map
        from envmon.roads.rank import with_ci
        from envmon.roads.storage import latest_version, segment_rows

        version = latest_version(store)
        listed = {i["segment_id"] for i in result["dirty"] + result["clean"]}
        by_id = {v.segment_id: v for v in values}
        ci = with_ci(store, version, [by_id[s] for s in listed], a, b, pollutant)
        raw = ({v.segment_id: v.value for v in segment_values(store, a, b, pollutant,
                                                                 eligibility=eligibility)}
               if normalise != "none" else None)
        segments = segment_rows(store, version)
        from envmon.roads.rank import coverage

        cov = coverage(store, a, b, version, eligibility)
    extra = {sid: {"iqr": by_id[sid].q3 - by_id[sid].q1,
                   "ci": f"{ci[sid][0]:.1f}–{ci[sid][1]:.1f}",
                   **({"raw": raw.get(sid)} if raw is not None else {})} for sid in listed}
    label = {"pm10": "PM10", "pm25": "PM2.5"}[pollutant]
    chart = segment_map(segments, {v.segment_id: v.value for v in values}, listed,
                        f"路段{label}浓度（中位数）")
    stem = month or f"{a:%Y%m%d}-{b:%Y%m%d}"
    if map_png is not None:
        map_png.write_bytes(chart.png)
    if fmt == "json":
        _print_json(result)
        return
    from envmon.reports.common import ReportError, write_html, write_pdf, write_xlsx

    bulletin = build_roads_bulletin(result, extra, chart, coverage=cov,
                                    normalised=normalise != "none")
    target = out or Path(f"roads-{stem}-{pollutant}.{fmt}")
    writer = {"xlsx": write_xlsx, "html": write_html, "pdf": write_pdf}[fmt]
    try:
        writer(bulletin, target)
    except ReportError as error:
        raise fail(str(error)) from None
    _print_json({"written": str(target), "dirty": len(result["dirty"]),
                 "clean": len(result["clean"]), "insufficient": result["insufficient"]})


def _write_geojson(path: Path, segments: dict, values: list, result: dict) -> None:
    """Segments as LineStrings (WGS-84) with value, counts, eligibility and list ranks."""
    by_id = {v.segment_id: v for v in values}
    dirty = {i["segment_id"]: i["rank"] for i in result["dirty"]}
    clean = {i["segment_id"]: i["rank"] for i in result["clean"]}
    features = []
    for sid, s in segments.items():
        v = by_id.get(sid)
        features.append({
            "type": "Feature",
            "geometry": {"type": "LineString",
                         "coordinates": [[round(x, 7), round(y, 7)] for x, y in s["lonlat"]]},
            "properties": {
                "segment_id": sid, "name": s["name"], "road": s["road"],
                "district": s["district"], "length_m": round(s["length_m"], 1),
                "value": None if v is None else round(v.value, 1),
                "n_passes": 0 if v is None else v.n_passes,
                "n_days": 0 if v is None else v.n_days,
                "n_taxis": 0 if v is None else v.n_taxis,
                "status": ("无数据" if v is None else "排名" if v.eligible else "数据不足"),
                "dirty_rank": dirty.get(sid), "clean_rank": clean.get(sid),
            },
        })
    path.write_text(json.dumps({"type": "FeatureCollection", "pollutant": result["pollutant"],
                                "from": result["from"], "to": result["to"],
                                "features": features}, ensure_ascii=False), encoding="utf-8")


def _hotspot(store, result: dict) -> None:
    from envmon.roads.network import hotspot_names
    from envmon.roads.storage import latest_version, load_pois, segment_rows

    version = latest_version(store)
    crs = store.query("SELECT crs FROM road_networks WHERE version = ?", [version])[0][0]
    listed = {i["segment_id"] for i in result["dirty"] + result["clean"]}
    rows = list(segment_rows(store, version, listed).values())
    found = hotspot_names(crs, rows, load_pois(store, version))
    for item in result["dirty"] + result["clean"]:
        item["name"] = found.get(item["segment_id"], item["name"])


@roads_app.command("coverage")
def coverage_command(
    month: str | None = typer.Option(None, "--month", help="YYYY-MM (Beijing time)."),
    start: str | None = typer.Option(None, "--from", help="ISO start (inclusive)."),
    end: str | None = typer.Option(None, "--to", help="ISO end (exclusive)."),
    db: Path | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Coverage: segments and km with passes per day, eligible over the period; match
    coverage per taxi per day."""
    from envmon.roads.rank import coverage

    a, b = _period(month, start, end)
    with open_cli_store(db, config, read_only=True) as store:
        try:
            _print_json(coverage(store, a, b))
        except LookupError as error:
            raise fail(str(error)) from None


def simulate_taxis(
    out: Path = typer.Option(Path("taxis.csv"), "--out", help="CSV of simulated readings."),
    truth: Path | None = typer.Option(None, "--truth", help="JSON of the true per-segment "
                                      "(pm25, pm10) concentrations."),
    pbf: Path | None = typer.Option(None, "--pbf", help="Drive over this OSM extract "
                                    "(default: the store's network, else a synthetic grid)."),
    taxis: int = typer.Option(6, "--taxis", min=1),
    days: int = typer.Option(9, "--days", min=1),
    month: str = typer.Option("2026-10", "--month", help="First day of the month is day 1."),
    minutes: float = typer.Option(40.0, "--minutes", help="Driving minutes per taxi per day."),
    datum: str = typer.Option("wgs84", "--datum", help="wgs84 or gcj02 output."),
    seed: int = typer.Option(7, "--seed"),
    do_import: bool = typer.Option(False, "--import/--no-import",
                                   help="Also import the readings into the store."),
    db: Path | None = typer.Option(None, "--db", help=DB_HELP),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Simulate a taxi fleet with PM sensors through a known pollution field (GPS noise,
    GCJ-02 offsets, idling at ranks, gaps, calibration error, humidity, sensor noise). The
    network and the devices' calibrations are written to the store."""
    from datetime import timedelta

    from envmon.roads.network import network_from_pbf
    from envmon.roads.rank import month_bounds
    from envmon.roads.sensors import DATUMS, import_csv, set_calibration
    from envmon.roads.storage import latest_version, load_network, save_network
    from envmon.sim.taxis import TaxiSimConfig, simulate, synthetic_city

    if datum not in DATUMS:
        raise fail(f"--datum must be one of {', '.join(DATUMS)}")
    try:
        first, _ = month_bounds(month)
    except ValueError:
        raise fail(f"--month {month!r} is not YYYY-MM") from None
    with open_cli_store(db, config) as store:
        if pbf is not None:
            net = network_from_pbf(pbf)
            save_network(store, net)
        elif latest_version(store):
            net = load_network(store)
        else:
            net = synthetic_city(8, 8, 400.0)
            save_network(store, net)
        sim = simulate(net, TaxiSimConfig(taxis=taxis, days=days, minutes_per_day=minutes,
                                          datum=datum, seed=seed,
                                          start=first + timedelta(hours=7)))
        for device, (a25, b25, a10, b10) in sim.calibrations.items():
            set_calibration(store, device, first - timedelta(days=30), (a25, b25), (a10, b10),
                            "simulated", datum)
        sim.write_csv(out)
        summary: dict[str, Any] = {"readings": len(sim.t), "out": str(out),
                                   "network_version": net.version,
                                   "segments": len(net.segments)}
        if do_import:
            summary["import"] = import_csv(store, out, datum).as_dict()
    if truth is not None:
        truth.write_text(json.dumps({k: {"pm25": v[0], "pm10": v[1]}
                                     for k, v in sim.truth.items()}, ensure_ascii=False),
                         encoding="utf-8")
        summary["truth"] = str(truth)
    _print_json(summary)


def register(app: typer.Typer) -> None:
    app.add_typer(roads_app, name="roads")
    app.command("simulate-taxis")(simulate_taxis)
