"""`envmon demo`: the platform (`envmon.app`) on the embedded store, a demo province, live
simulated units, and a live table of what the platform did. `DemoOptions` checks the options
(`OptionError` names the option); a new demo option is a field there.

SIGTERM stops the demo as Ctrl-C does (the receiver drains, the store is closed), so a demo
under a service manager or `timeout` keeps what it committed. When stdout is not a terminal
(a pipe, a log file) the live table would print nothing readable: plain progress lines are
printed instead, one every `PLAIN_PROGRESS_EVERY_S` and one at the stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from envmon.app import EXIT_STORE_FAILED, Platform, PlatformOptions, web_app
from envmon.errors import OptionError
from envmon.ingest.addresses import check_port
from envmon.ingest.server import stop_signal
from envmon.period import Period, month_start, next_month
from envmon.sim.fleet import FaultRates, Fleet, sim_points_from_store
from envmon.store import open_store
from envmon.timeutil import now_beijing

# A demo province is a few hundred points; its generator runs out of distinct unit names
# somewhere above 2000, and every point is a simulated unit in this one process.
MAX_POINTS = 2000
# A line every 10 s: a log that can be followed without growing a line a second.
PLAIN_PROGRESS_EVERY_S = 10.0
# The live screen must show points changing state within a minute of opening it: every
# `CUT_EVERY_S` one simulated unit's line is cut for `CUT_FOR_S` (its data stop), and the
# demo's alarm engine takes a point as offline after `DEMO_OFFLINE_AFTER_S` of silence (a
# real [alarms] default is 30 min; the units send real-time data every 30 s and minute
# data, so 90 s is three missed real-time uploads; the engine's cadence rule makes it 2 min).
CUT_EVERY_S = 15.0
CUT_FOR_S = 240.0
DEMO_OFFLINE_AFTER_S = 90.0
DEMO_OFFLINE_CHECK_S = 5.0


@dataclass(frozen=True)
class DemoOptions:
    """The options of `envmon demo`, each with its CLI default."""

    db: str | Path = "demo.duckdb"
    hj212_port: int = 6000  # 0 = any free port (a taken port falls back to one, too)
    points: int = 300
    seed: int = 1
    duration: float = 0.0  # seconds; 0 = until Ctrl-C
    web_port: int | None = 8000  # None = no web app
    web_port_fallback: bool = True  # a taken web port falls back to any free one (the CLI:
    # only when --web-port was not given, as `envmon serve` does)
    web_host: str = "127.0.0.1"
    roads_air: bool = True  # seed roads (太原市) and air (11 cities) on a new store
    # The last day as a running platform received it (on time, no alarms replayed); False:
    # the units upload it at start through the receiver (a backlog the alarm engine judges).
    seed_history: bool = True
    emergency: bool = False  # seed the emergency scenario (sim.emergency) once, new store or not
    falsifying: bool = False  # seed last month's falsification scenario (sim.falsify) once
    web_settings: Any = None  # web.service.WebSettings ([web] of envmon.toml), None = defaults

    def __post_init__(self) -> None:
        check_port(self.hj212_port, "--hj212-port", any_free=True)
        if self.web_port is not None:
            check_port(self.web_port, "--web-port", any_free=True)
        if not 1 <= self.points <= MAX_POINTS:
            raise OptionError("--points", f"must be from 1 to {MAX_POINTS}, not {self.points}")
        if not (self.duration >= 0 and math.isfinite(self.duration)):
            raise OptionError("--duration", f"must be 0 (until Ctrl-C) or more seconds, "
                                            f"not {self.duration!r}")


def _status(platform: Platform, fleet: Fleet, db: str | Path, port: int) -> Table:
    receiver = platform.receiver
    stats = receiver.stats
    table = Table(title=f"envmon demo — HJ 212 on 127.0.0.1:{port}, store {db}", expand=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("simulated units (数采仪)", str(len(fleet.units)))
    table.add_row("open connections", str(stats.connections))
    table.add_row("packets accepted", f"{stats.accepted:,}")
    table.add_row("9014 answers sent (after commit)", f"{stats.answers:,}")
    table.add_row("records committed", f"{receiver.writer.committed_records:,}")
    for reason, n in sorted(stats.rejected.items()):
        table.add_row(f"rejected: {reason}", f"{n:,}")
    if platform.backfill is not None:
        table.add_row("补遗 requests sent (back-fill)", f"{platform.backfill.requests_sent:,}")
    if platform.alarms is not None:
        stats = platform.alarms.stats
        table.add_row("alarms raised / closed", f"{stats['raised']:,} / {stats['closed']:,}")
    table.add_row("simulated time", fleet.clock.now().strftime("%Y-%m-%d %H:%M:%S"))
    return table


def _progress_line(platform: Platform, fleet: Fleet) -> str:
    """The live table's figures as one plain line (stdout not a terminal)."""
    receiver = platform.receiver
    stats = receiver.stats
    parts = [fleet.clock.now().strftime("%Y-%m-%d %H:%M:%S"),
             f"units {len(fleet.units)}", f"connections {stats.connections}",
             f"packets accepted {stats.accepted}", f"answers {stats.answers}",
             f"records committed {receiver.writer.committed_records}",
             f"rejected {sum(stats.rejected.values())}"]
    if platform.alarms is not None:
        alarms = platform.alarms.stats
        parts.append(f"alarms raised/closed {alarms['raised']}/{alarms['closed']}")
    return "demo: " + ", ".join(parts)


async def _watch(platform: Platform, fleet: Fleet, db: str | Path, port: int, console: Console,
                 duration: float, stop: asyncio.Event) -> None:
    """Show progress until `duration` has passed, a stop signal came or the store failed:
    the live table on a terminal, plain lines otherwise."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    live = None
    if console.is_terminal:
        live = Live(_status(platform, fleet, db, port), console=console, refresh_per_second=1)
        live.start()
    last_line = started
    try:
        while platform.failure is None and not stop.is_set():
            elapsed = loop.time() - started
            if duration and elapsed >= duration:
                break
            wait = 1.0 if not duration else max(0.0, min(1.0, duration - elapsed))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)
            if live is not None:
                live.update(_status(platform, fleet, db, port))
            elif loop.time() - last_line >= PLAIN_PROGRESS_EVERY_S:
                last_line = loop.time()
                console.print(_progress_line(platform, fleet), markup=False)
                console.file.flush()
    finally:
        if live is not None:
            live.stop()
        else:
            console.print(_progress_line(platform, fleet), markup=False)


async def _cut_lines(fleet: Fleet, seed: int) -> None:
    """Every `CUT_EVERY_S`, one connected unit's line is cut for `CUT_FOR_S` (its uploads
    fail meanwhile), then it connects again: points go offline and come back on the map."""
    rng = random.Random(seed)
    reconnects: set[asyncio.Task] = set()

    async def cut(unit) -> None:
        await unit.close()
        await asyncio.sleep(CUT_FOR_S)
        await unit.connect()

    try:
        while True:
            await asyncio.sleep(CUT_EVERY_S)
            cut_now = {t.get_name() for t in reconnects}  # each task is named by its MN
            units = [u for u in fleet.units if u.connected and u.point.mn not in cut_now]
            if units:
                unit = rng.choice(units)
                task = asyncio.create_task(cut(unit), name=unit.point.mn)
                reconnects.add(task)
                task.add_done_callback(reconnects.discard)
    finally:
        for task in list(reconnects):
            task.cancel()


def seed_history(store, fleet: Fleet, hours: int = 24) -> int:
    """Write the last `hours` hours as a platform running all along took them: each unit's
    hourly upload decoded and written through the store's write path, received a few seconds
    after its hour (later for the fleet's late hours, missing for its offline ones), so the
    overview's 即时 rate is the province's, not a start-up backlog's. Returns the packets."""
    from envmon.hj212 import codec
    from envmon.ingest.records import records_from_packet
    from envmon.store.models import RawPacketRow

    now = fleet.clock.now()
    this_hour = now.replace(minute=0, second=0, microsecond=0)
    raws, records = [], []
    for unit in fleet.units:
        for k in range(hours, 0, -1):
            hour = this_hour - k * timedelta(hours=1)
            upload = unit.past_upload(hour)
            if upload is None:
                continue
            frames, delay = upload
            received_at = hour + timedelta(hours=1, seconds=delay)
            if received_at > now:
                continue  # a late upload still to come: the live unit does not send it now
            for frame in frames:
                packet = codec.decode(frame.rstrip(b"\r\n"), keys=unit._keys)
                if not packet.ok:
                    continue
                raws.append(RawPacketRow(received_at, "127.0.0.1", "accepted", None,
                                         packet.mn, packet.cn, packet.qn, frame))
                records.extend(records_from_packet(packet, received_at, "127.0.0.1"))
    if raws:
        store.write_batch(raws, records)
    return len(raws)


def seed_roads(store, months: list[Period], folder: Path) -> int:
    """The road network (the synthetic grid at 太原's seat, 太原's districts and road names)
    and a default taxi fleet (`SimulateOptions`: enough days, passes and taxis for the
    default [roads] eligibility) for each month, imported and map-matched; the segments."""
    from envmon.roads import api as roads_api

    segments = 0
    today = now_beijing().replace(hour=0, minute=0, second=0, microsecond=0)
    for k, month in enumerate(months):
        # only days that have ended: no reading is dated in the future
        days = min(roads_api.SimulateOptions.days, (min(month.end, today) - month.start).days)
        if days < 1:
            continue
        result = roads_api.simulate_taxis(store, month, roads_api.SimulateOptions(
            out=folder / f"envmon-demo-taxis-{k}.csv", do_import=True, seed=7 + k, days=days))
        (folder / f"envmon-demo-taxis-{k}.csv").unlink(missing_ok=True)
        roads_api.match(store, month)
        segments = result.summary["segments"]
    return segments


def demo_months(now) -> list[Period]:
    """The previous month and this one (the pages' default month)."""
    this = month_start(now)
    previous = month_start(this - timedelta(days=1))
    return [Period(previous, this, label=f"{previous:%Y-%m}"),
            Period(this, next_month(this), label=f"{this:%Y-%m}")]


def seed_domains(store, seed: int) -> str:
    """Roads (太原市) and air (the 11 cities) for the demo's months: once, on a new store."""
    import tempfile

    from envmon.air.demo import seed_air
    from envmon.registry.demo import CITY_CENTRES, SHANXI

    now = now_beijing()
    months = demo_months(now)
    with tempfile.TemporaryDirectory(prefix="envmon-demo-") as folder:
        segments = seed_roads(store, months, Path(folder))
    last_hour = now.replace(minute=0, second=0, microsecond=0)
    air_periods = [months[0], Period(months[1].start, max(last_hour, months[1].start
                                                          + timedelta(hours=1)))]
    air_periods += [p.year_before() for p in air_periods]
    cities = [(name, CITY_CENTRES[code]) for code, name, _ in SHANXI]
    report = seed_air(store, cities, air_periods, seed)
    return (f"道路颗粒物: {segments} road segments of 太原市 with a taxi fleet over "
            f"{', '.join(m.label for m in months)}; 空气质量: {len(cities) * 3} stations, "
            f"{report.rows:,} station-hours")


def seed_emergency(store, seed: int, alert_start=None) -> tuple[int, int]:
    """The emergency-control scenario (`sim.emergency`): its five units, their hourly data
    from 30 days before the alert to its end as a platform running all along took them
    (`seed_history`), the emission-reduction list and the orange alert (default: from 00:00
    four days ago, 48 h, so it ended before the live fleet's last day). Returns (the alert's
    id, packets written)."""
    import tempfile

    from envmon.emergency import api as emergency_api
    from envmon.registry.importer import import_rows
    from envmon.sim.emergency import LEVEL, REGION, EmergencyScenario

    if alert_start is None:
        alert_start = (now_beijing() - timedelta(days=4)).replace(hour=0, minute=0, second=0,
                                                                  microsecond=0)
    scenario = EmergencyScenario(alert_start)
    import_rows(store, scenario.registry_rows())
    faults = scenario.faults()
    points = [p for p in sim_points_from_store(store) if p.mn in faults]
    extra = 2  # the hours after the alert, so its last hour's upload has arrived
    fleet = Fleet(points, "127.0.0.1", 0, seed=seed, history_hours=0,
                  start=scenario.alert_end + timedelta(hours=extra), horizon_hours=0)
    scenario.apply(fleet)
    packets = seed_history(store, fleet, hours=scenario.history_hours + extra)
    with tempfile.TemporaryDirectory(prefix="envmon-demo-") as folder:
        list_file = Path(folder) / "应急减排清单.csv"
        list_file.write_text(scenario.list_csv(), encoding="utf-8")
        emergency_api.import_list(store, list_file)
    added = emergency_api.add_alert(store, emergency_api.AlertOptions(
        LEVEL, scenario.alert_start, scenario.alert_end, REGION, "demo"))
    return added.alert.id, packets


def emergency_in(store, seed: int) -> str:
    """Seed the emergency scenario into the store unless it is there (its alert, entered by
    "demo"): what the user reads either way, with the command to check it."""
    from envmon.emergency import records

    found = next((a for a in records.alerts(store, active_only=True)
                  if a.created_by == "demo"), None)
    if found is not None:
        return (f"应急管控: the scenario is already in this store (orange alert id {found.id});"
                f" envmon emergency check --alert {found.id} --format table")
    alert_id, _ = seed_emergency(store, seed)
    return (f"应急管控: an orange alert (id {alert_id}) with 5 listed units; "
            f"envmon emergency check --alert {alert_id} --format table")


FALSIFYING_POINTS = 20  # six of them falsifying (30 %): a short ranked list to read
FALSIFYING_MN = "SCR"  # the simulator's falsifying-mode MNs: SCR<seed mod 1000><k>


def falsifying_in(store, seed: int) -> str:
    """Seed last month (Beijing time) with the falsification scenario (`sim.falsify`: honest
    and falsifying gas points of 太原市 with known episodes) unless its points are there:
    what the user reads either way, with the command that screens it."""
    from envmon.period import Period
    from envmon.sim.falsify import FalsifyOptions, simulate_falsifying

    month = Period.month((now_beijing().replace(day=1) - timedelta(days=1)).strftime("%Y-%m"))
    prefix = f"{FALSIFYING_MN}{seed % 1000:03d}"
    command = f"envmon screen --month {month.label} --format html"
    if any(p.mn.startswith(prefix) for p in store.list_points()):
        return (f"数据造假筛查: the scenario is already in this store (month {month.label}); "
                f"{command}")
    result = simulate_falsifying(store, month, FalsifyOptions(FALSIFYING_POINTS, seed))
    fleet = result.fleet
    return (f"数据造假筛查: {len(fleet.points)} gas points over {month.label}, "
            f"{len(fleet.falsified)} falsifying ({len(fleet.episodes)} episodes: `envmon "
            f"simulate-falsifying` prints such ground truth); {command}")


def demo_keys(store, seed: int) -> str | None:
    """Every other HJ 212-2025 point of the demo encrypts: an SM4 key (seeded, so a demo
    store is the same every time) set in the key store; returns the master key file's path
    when it was created now."""
    import random

    from envmon.ingest.keys_api import keys_set

    rng = random.Random(f"envmon-demo-keys-{seed}")
    created = None
    points = [p for p in store.list_points() if p.protocol == "2025"]
    for point in points[::2]:
        result = keys_set(store, point.mn, rng.randbytes(16))
        created = created or result.master_key_created
    return created


async def run_demo(options: DemoOptions, console: Console) -> int:
    from envmon.registry.demo import demo_registry, with_2025_units
    from envmon.registry.importer import import_rows

    # The live table counts rejections and alarms; one log line each would drown it.
    for name in ("envmon.ingest", "envmon.alarms"):
        logging.getLogger(name).setLevel(logging.ERROR)
    db, port, points, seed, duration = (options.db, options.hj212_port, options.points,
                                        options.seed, options.duration)
    stop = stop_signal()  # before anything: SIGTERM during start-up drains too
    store = open_store(db)
    db = store.target  # a server URL without its password, for every line below
    imported = None
    if not store.list_points():
        report = import_rows(store, with_2025_units(demo_registry(seed=seed, points=points),
                                                    seed))
        imported = f"demo province 山西省 imported into {db}: {report}"
        created = demo_keys(store, seed)
        if created:
            imported += f"\nSM4 master key of the demo's HJ 212-2025 units: {created}"
        if options.roads_air:
            imported += "\n" + seed_domains(store, seed)
    if options.emergency:  # a new store or one the demo made before: seeded once
        said = emergency_in(store, seed)
        imported = f"{imported}\n{said}" if imported else said
    if options.falsifying:
        said = falsifying_in(store, seed)
        imported = f"{imported}\n{said}" if imported else said
    sim_points = sim_points_from_store(store)
    platform = Platform(store, PlatformOptions(
        host="127.0.0.1", hj212_port=port, web_port=options.web_port,
        web_host=options.web_host, web_settings=options.web_settings, supervision=True,
        alarm_settings={"offline_after_s": DEMO_OFFLINE_AFTER_S,
                        "offline_check_s": DEMO_OFFLINE_CHECK_S}))
    await platform.prepare()  # hook jobs before listening: alarms see every packet
    try:
        await platform.listen()
    except OSError as exc:  # a port is taken (another receiver?): any free port will do
        if not platform.listening:
            platform.receiver.requested_port = 0
            await platform.listen()
        elif options.web_port_fallback:  # the web port: the services start on a free one
            await platform.start_remaining_on_free_ports()
        else:  # --web-port given: that port or nothing, as `envmon serve`
            await platform.stop()
            platform.close()
            console.print(f"[red]error:[/red] --web-port: cannot listen on "
                          f"{escape(options.web_host)}:{options.web_port}: {escape(str(exc))}")
            return 2
    port = platform.receiver.port
    web = web_app(platform)
    fleet = Fleet(sim_points, "127.0.0.1", port, seed=seed, start=now_beijing(),
                  rates=FaultRates.demo(), history_hours=24, ack_timeout_s=10.0)
    # The last day is in the store as a platform running all along took it; the units go
    # live from now (no start-up backlog that would read as a day of late data).
    if options.seed_history:
        seed_history(store, fleet)
        fleet.history_hours = 0
    example = sim_points[0].mn
    since = (now_beijing() - timedelta(hours=24)).strftime("%Y-%m-%dT%H:00")
    if web is not None:  # the address first: it is what a new user opens
        console.print(f"[bold]打开 {web.url} 查看总览[/bold] (open {web.url} in a browser "
                      "to see the province live; this machine only)")
    if imported:
        console.print(imported)
    console.print(
        f"[bold]envmon demo running[/bold]: {len(sim_points)} simulated units send HJ 212-2017 "
        f"and HJ 212-2025 ({sum(p.protocol == 2025 for p in sim_points)} units, "
        f"{sum(p.key is not None for p in sim_points)} of them encrypted) "
        f"to 127.0.0.1:{port}; data goes to {db}.\n"
        f"A real data acquisition unit registered in {db} can send to that port too.\n"
        + (f"Open {web.url} to see it live. " if web is not None else "")
        + f"The CLI works while the demo runs (it goes through the server), e.g.:\n"
        f"  envmon data --db {db} --mn {example} --cn 2061 --from {since} --format csv\n"
        f"  envmon alarms list --db {db} --status open --format table\n"
        f"  envmon assess --db {db} --month {now_beijing():%Y-%m}\n"
        f"  envmon hj212 decode   # paste packets to see how envmon reads them\n"
        f"Press Ctrl-C (or send SIGTERM) to stop.\n"
    )
    fleet_task = asyncio.create_task(fleet.run())
    cuts_task = asyncio.create_task(_cut_lines(fleet, seed))
    try:
        await _watch(platform, fleet, db, port, console, duration, stop)
    except (KeyboardInterrupt, asyncio.CancelledError):
        pass
    finally:
        for task in (cuts_task, fleet_task):
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        await platform.stop()
        platform.close()
    if platform.failure is not None:  # a full disk: say why, exit as `envmon serve` does
        console.print(f"[red]error:[/red] {escape(platform.failure)}")
        return EXIT_STORE_FAILED
    console.print(f"\nstopped; the data is in {db}")
    return 0
