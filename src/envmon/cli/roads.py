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
) -> None:
    """Build the directed road graph and its junction-to-junction named segments."""
    from envmon.roads.network import network_from_pbf
    from envmon.roads.storage import save_network

    if not pbf.exists():
        raise fail(f"{pbf}: no such file")
    if districts is not None and not districts.exists():
        raise fail(f"{districts}: no such file")
    try:
        net = network_from_pbf(pbf, districts)
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
) -> None:
    """Import taxi PM readings: datum conversion, calibration, RH correction, rejections."""
    from envmon.roads.sensors import DATUMS, import_csv

    if crs not in DATUMS:
        raise fail(f"--crs must be one of {', '.join(DATUMS)}, not {crs!r}")
    if not file.exists():
        raise fail(f"{file}: no such file")
    with open_cli_store(db, config) as store:
        result = import_csv(store, file, crs, device)
    _print_json(result.as_dict())


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


def register(app: typer.Typer) -> None:
    app.add_typer(roads_app, name="roads")
