"""CLI commands that run things: serve, simulate, replay, demo."""

from __future__ import annotations

import logging
import sys
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

from envmon.choices import choice
from envmon.cli.common import fail, open_cli_store, resolve_db, user_errors
from envmon.cli.options import emit, format_option, output_option
from envmon.config import IngestConfig
from envmon.ingest.loop import run_loop
from envmon.timeutil import now_beijing

# No emoji codes: "0.0.0.0:-1: …" would print a thumbs-down; markup in messages is escaped.
console = Console(stderr=True, soft_wrap=True, emoji=False)

DB_HELP = "DuckDB file of the embedded store, or a postgresql:// URL."


class LogLevel(StrEnum):
    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


REMOTE_WRITES_HELP = ("Accept changes (acknowledge/close alarms, exemptions, corrections) "
                      "from other machines too; until users exist only this machine may "
                      "change anything [config: web.allow_remote_writes].")


def _log_level(level: str) -> LogLevel:
    """--log-level as a LogLevel (one line naming the option, exit code 2, if unknown)."""
    with user_errors():
        return choice(LogLevel, level.lower(), "--log-level")


def _logging(level: LogLevel | str) -> None:
    logging.basicConfig(
        level=str(level).upper(), format="%(message)s", datefmt="[%X]",
        handlers=[RichHandler(console=console, show_path=False)],
    )


def _settings(config: Path | None):
    """The configuration serve reads its defaults from (a bad file: one line, exit code 2)."""
    from envmon.config import ConfigError, load_config

    try:
        return load_config(config)
    except ConfigError as error:
        raise fail(str(error)) from None


def _roads_limits(settings):
    """[roads.intake] of the configuration (the roads intake's bounds)."""
    from envmon.roads.settings import settings_from_dict

    try:
        return settings_from_dict(settings.roads, "[roads]").intake
    except ValueError as error:
        raise fail(str(error)) from None


def serve(
    db: str | None = typer.Option(None, "--db", help=DB_HELP + " [config: store.path]"),
    hj212_port: int | None = typer.Option(
        None, "--hj212-port", help="TCP port for HJ 212 units [config: ingest.port, 6000]."
    ),
    host: str | None = typer.Option(
        None, "--host", help="Address to listen on [config: ingest.host, 0.0.0.0]."
    ),
    idle_timeout: float | None = typer.Option(
        None, help="Close a connection silent this long, s [config: ingest.idle_timeout_s, "
        f"{IngestConfig.idle_timeout_s:g}]."
    ),
    commit_interval_ms: float | None = typer.Option(
        None, help="Group-commit window: packets arriving within it share one transaction "
        f"[config: ingest.commit_interval_ms, {IngestConfig.commit_interval_ms:g}]."
    ),
    workers: int = typer.Option(
        1, min=1, help="Receiver processes sharing the port (one core each); 1 = in-process."
    ),
    reuse_port: bool = typer.Option(
        False, "--reuse-port", help="Share the HJ 212 port with other envmon serve processes "
        "on this host (SO_REUSEPORT: the kernel spreads new connections among them; they "
        "coordinate through a PostgreSQL store)."),
    backfill: bool = typer.Option(
        True, help="Ask units for their missing hours (补遗) on reconnect and hourly."),
    alarms: bool = typer.Option(True, help="Raise alarms as data arrives."),
    webhook: list[str] = typer.Option(
        [], "--webhook", help="POST each new alarm as JSON to this URL (repeatable)."),
    roads_port: int | None = typer.Option(
        None, "--roads-port", help="Also serve the roads HTTP intake (POST /roads/readings) "
        "on this port, as `envmon roads serve` does; off when not given."),
    web_port: int | None = typer.Option(
        None, "--web-port", help="Port of the web app (REST API /api/v1, pages); 0 = any "
        "free port [default 8000, or any free port when 8000 is taken]."),
    web_host: str = typer.Option(
        "127.0.0.1", "--web-host", help="Address of the web app: loopback by default, as "
        "no users exist yet."),
    web: bool = typer.Option(True, "--web/--no-web", help="Serve the web app (--no-web: "
                             "the receiver alone)."),
    web_allow_remote_writes: bool = typer.Option(
        False, "--web-allow-remote-writes", help=REMOTE_WRITES_HELP),
    metrics_port: int | None = typer.Option(
        None, "--metrics-port", help="Serve /metrics, /healthz and /readyz on this port (for "
        "a --no-web receiver; the web app serves them too) [config: ingest.metrics_port; "
        "off when not given]."),
    metrics_host: str | None = typer.Option(
        None, "--metrics-host", help="Address of that port [config: ingest.metrics_host, "
        "127.0.0.1]."),
    config: Path | None = typer.Option(None, "--config", help="envmon.toml to read."),
    log_level: str = typer.Option("info", help="debug, info, warning or error."),
) -> None:
    """Receive HJ 212-2017 data from data acquisition units and store it; serve the web app."""
    from envmon.app import EXIT_STORE_FAILED, Platform, PlatformOptions
    from envmon.ingest.accept import DataTimeWindow
    from envmon.ingest.server import ReceiverLimits, stop_signal

    level = _log_level(log_level)
    settings = _settings(config)
    ingest = settings.ingest
    db = resolve_db(db, config)  # --db, else $ENVMON_DB, else [store] path
    host = host or ingest.host
    hj212_port = hj212_port if hj212_port is not None else ingest.port
    idle_timeout = idle_timeout if idle_timeout is not None else ingest.idle_timeout_s
    if commit_interval_ms is None:
        commit_interval_ms = ingest.commit_interval_ms
    with user_errors():  # a bad port, URL or interval: one line naming the option, exit 2
        options = PlatformOptions(
            host=host, hj212_port=hj212_port, workers=workers, reuse_port=reuse_port,
            limits=ReceiverLimits(
                idle_timeout_s=idle_timeout, commit_interval_s=commit_interval_ms / 1000,
                max_segment=ingest.max_segment, max_batch=ingest.max_batch,
                guard=settings.guard, max_failed_commits=ingest.max_failed_commits,
                data_time_window=DataTimeWindow(ingest.data_time_past_days,
                                                ingest.data_time_future_minutes),
                admission=settings.admission, reject_unencrypted=ingest.reject_unencrypted),
            backfill=backfill, alarms=alarms, webhooks=tuple(webhook),
            backfill_settings=settings.backfill, alarm_settings=settings.alarms,
            command_settings=settings.commands, coordination=settings.coordination,
            roads_port=roads_port, roads_limits=_roads_limits(settings),
            web_port=(8000 if web_port is None else web_port) if web else None,
            web_host=web_host, config=settings, supervision=True,
            web_settings=_web_writes(settings.web, web_allow_remote_writes),
            metrics_port=metrics_port if metrics_port is not None else ingest.metrics_port,
            metrics_host=metrics_host or ingest.metrics_host,
            ready_timeout_s=ingest.ready_timeout_s,
        )
    _logging(level)
    store = open_cli_store(db, None, must_exist=False)
    platform = Platform(store, options, services=_partitions_ahead(store))

    async def main() -> None:
        stop = stop_signal()
        try:  # whatever fails, the writer is drained and closed before the store is
            # Hook jobs first, so that alarms see every packet from the very first one.
            await platform.prepare()
            try:
                try:
                    await platform.listen()
                except OSError:
                    if not (platform.listening and web and web_port is None
                            and _failed_service(platform) == "web app"
                            and (roads_port is None or any(
                                s.name == "roads intake" for s in platform.started))):
                        raise
                    await platform.start_remaining_on_free_ports()  # 8000 taken: any port
            except OSError as exc:
                where = f"{host}:{hj212_port}"
                if platform.listening:  # a service's port: the one that did not start
                    started = {s.name for s in platform.started}
                    where = (f"roads port {roads_port}" if roads_port is not None
                             and "roads intake" not in started else
                             f"--metrics-port {options.metrics_host}:{options.metrics_port}"
                             if _failed_service(platform) == "metrics" else
                             f"--web-port {web_host}:{web_port}")
                console.print(f"[red]error:[/red] cannot listen on {escape(where)}: "
                              f"{escape(str(exc))}")
                raise typer.Exit(2) from exc
            receiver = platform.receiver
            console.print(
                f"envmon receiving HJ 212 on [bold]{escape(host)}:{receiver.port}[/bold], "
                f"store {escape(platform.store.target)} ({len(receiver.points)} registered points"
                + "".join(f"; {escape(note)}" for note in platform.notes) + "). Ctrl-C to stop."
            )
            failure = await platform.serve_until(stop)
            if failure is not None:  # a full disk: stop, and let a supervisor restart us
                console.print(f"[red]error:[/red] {escape(failure)}")
                raise typer.Exit(EXIT_STORE_FAILED)
            console.print("stopping: answering and committing what has arrived …")
        finally:
            await platform.stop()

    try:
        run_loop(main())
    finally:
        platform.close()


def _failed_service(platform) -> str | None:
    """The name of the first service that did not start (its port taken), or None."""
    return next((s.name for s in platform.services if s not in platform.started), None)


def simulate(
    db: str = typer.Option("envmon.duckdb", "--db", help=DB_HELP + " (registry source)"),
    registry: Path | None = typer.Option(
        None, "--registry", help="Registry CSV/XLSX to take points from instead of --db."
    ),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(6000, "--port"),
    seed: int = typer.Option(1, help="Seed: the same seed gives the same data and faults."),
    points: int = typer.Option(0, help="Simulate only the first N points (0 = all)."),
    speed: float = typer.Option(1.0, help="Simulated seconds per real second."),
    history_hours: int = typer.Option(24, help="Hours of hourly data each unit uploads first."),
    duration: float = typer.Option(0.0, help="Stop after this many real seconds (0 = never)."),
    faults: str = typer.Option("demo", help="Fault plan: none or demo."),
    ack_timeout: float = typer.Option(10.0, help="Seconds to wait for 9014 (HJ 212 Table 1)."),
    realtime: bool = typer.Option(True, help="Send real-time data (2011)."),
    minute: bool = typer.Option(True, help="Send minute data (2051)."),
    log_level: str = typer.Option("info", help="debug, info, warning or error."),
    fmt: str = format_option("json", ("json", "table")),
    output: Path | None = output_option(),
) -> None:
    """Run simulated data acquisition units from the registry against a receiver."""
    from envmon.sim.api import SimulateOptions, fleet_for, registry_points
    from envmon.sim.fleet import sim_points_from_store

    level = _log_level(log_level)
    with user_errors():  # one line naming the option, exit code 2
        options = SimulateOptions(
            host=host, port=port, seed=seed, points=points, speed=speed,
            history_hours=history_hours, duration=duration, faults=faults,
            ack_timeout=ack_timeout, realtime=realtime, minute=minute)
        if registry is not None:
            sim_points = registry_points(registry)
    if registry is None:
        with open_cli_store(db, None, read_only=True) as store:
            sim_points = sim_points_from_store(store)
    if not sim_points:
        raise fail("the registry has no monitoring points to simulate")
    _logging(level)
    start = now_beijing()
    fleet = fleet_for(sim_points, options, start)
    console.print(f"simulating {len(fleet.units)} units against {escape(host)}:{port} "
                  f"(seed {seed})")
    try:
        summary = run_loop(fleet.run(options.until(start)))
    except KeyboardInterrupt:
        summary = fleet.summary()
    if summary.unconnected:
        console.print(f"[yellow]warning:[/yellow] {summary.unconnected} of {summary.units} "
                      f"units never reached the receiver at {escape(host)}:{port} "
                      "(no connection)")
    emit(summary, fmt, output)


def replay(
    db: str = typer.Option("envmon.duckdb", "--db", help=DB_HELP + " (raw log source)"),
    start: str | None = typer.Option(None, "--from", help="ISO time (Beijing if no offset)."),
    end: str | None = typer.Option(None, "--to", help="ISO time, exclusive."),
    into: str | None = typer.Option(None, "--into", help="Re-decode into this store "
                                     "(a DuckDB file or a postgresql:// URL)."),
    host: str | None = typer.Option(None, "--host", help="Re-send over TCP to this receiver."),
    port: int = typer.Option(6000, "--port"),
    fmt: str = format_option("json", ("json", "table", "csv")),
    output: Path | None = output_option(),
) -> None:
    """Replay the raw packet log of a period: into another store, or to a receiver over TCP."""
    from envmon.ingest.api import ReplayOptions, replay_period
    from envmon.ingest.api import replay as replay_log

    with user_errors():
        options = ReplayOptions(into=into, host=host, port=port)
        period = replay_period(start, end)
    with open_cli_store(db, None, read_only=True) as source, user_errors():
        result = replay_log(source, period, options)
    emit(result, fmt, output)


def demo(
    db: str = typer.Option("demo.duckdb", "--db", help=DB_HELP),
    hj212_port: int = typer.Option(6000, "--hj212-port"),
    points: int = typer.Option(300, help="Monitoring points in the demo province (1-2000)."),
    seed: int = typer.Option(1),
    duration: float = typer.Option(0.0, help="Stop after this many seconds (0 = Ctrl-C)."),
    web_port: int | None = typer.Option(None, "--web-port", help="Port of the web app "
                                        "[default: 8000; taken: any free port, printed]."),
    web_host: str = typer.Option("127.0.0.1", "--web-host", help="Address of the web app."),
    web: bool = typer.Option(True, "--web/--no-web", help="Serve the web app."),
    web_allow_remote_writes: bool = typer.Option(
        False, "--web-allow-remote-writes", help=REMOTE_WRITES_HELP),
    roads_air: bool = typer.Option(True, "--roads-air/--no-roads-air",
                                   help="Seed a new store with roads (太原市) and air data."),
    emergency: bool = typer.Option(
        False, "--emergency", help="Seed the store (new, or a demo store without it) with the "
        "emergency-control scenario: five more units of 太原市 with 32 days of data, an "
        "orange alert and their emission-reduction list (`envmon emergency check`, the "
        "应急管控 page); once."),
    falsifying: bool = typer.Option(
        False, "--falsifying", help="Seed the store (new or not) with last month's "
        "falsification scenario: 20 gas points of 太原市, 6 of them falsifying with known "
        "episodes (`envmon screen --month <last month>`, the 数据造假筛查 page); once."),
    seed_history: bool = typer.Option(
        True, "--seed-history/--upload-history",
        help="The last day as received on time by a running platform, or uploaded by the "
             "units at start through the receiver (a backlog the alarm engine judges)."),
) -> None:
    """Start the platform on the embedded store with a demo province and live simulated units."""
    from envmon.demo import DemoOptions, run_demo

    with user_errors():  # one line naming the option, exit code 2
        options = DemoOptions(db=db, hj212_port=hj212_port, points=points, seed=seed,
                              duration=duration,
                              web_port=(8000 if web_port is None else web_port) if web else None,
                              web_port_fallback=web_port is None, roads_air=roads_air,
                              seed_history=seed_history, emergency=emergency,
                              falsifying=falsifying,
                              web_host=web_host, web_settings=_web_writes(
                                  _settings(None).web, web_allow_remote_writes))
    _logging("warning")
    try:
        code = run_loop(run_demo(options, console))
    except KeyboardInterrupt:
        code = 0
    sys.exit(code)


PARTITIONS_EVERY_S = 86400.0
"""Daily: the partitions are made months ahead (`partitions_api.AHEAD_MONTHS`), so a day late
costs nothing; a serve running for months keeps them coming."""


def _partitions_ahead(store) -> list:
    """PostgreSQL: this month's partitions and the next ones' made now, before any receiver
    writes, and a daily job that keeps them ahead; nothing on DuckDB."""
    from envmon.app import PeriodicJob, PeriodicJobs
    from envmon.store.partitions_api import ensure_ahead, supports_partitions

    if not supports_partitions(store):
        return []
    ensure_ahead(store)
    return [PeriodicJobs([PeriodicJob("monthly partitions", PARTITIONS_EVERY_S,
                                      ensure_ahead)])]


def _web_writes(web_settings, allow_remote_writes: bool):
    """[web] with --web-allow-remote-writes applied (the flag only ever turns it on)."""
    import dataclasses

    from envmon.web.service import WebSettings

    web_settings = web_settings or WebSettings()
    if allow_remote_writes and not web_settings.allow_remote_writes:
        web_settings = dataclasses.replace(web_settings, allow_remote_writes=True)
    return web_settings


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(simulate)
    app.command()(replay)
    app.command()(demo)
