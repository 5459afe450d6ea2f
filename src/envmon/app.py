"""The one process that owns the store: `Platform` (what `envmon serve` and `envmon demo` run).

An embedded store (DuckDB) admits one writing process, so everything that writes lives here,
on one event loop, around one open store:

* **the HJ 212 receiver** (`ingest.server.Receiver`, or `ingest.workers.ReceiverPool` with
  ``workers > 1``: N decoding processes in front of this process's one writer);
* **jobs on the receiver's hooks**: back-fill (补遗 requests on reconnect and hourly,
  `ingest.backfill`), live alarms (`alarms.engine`) and remote commands (反控,
  `control.dispatcher`, with ``workers`` 1 only); they are attached after the receiver
  is prepared and before it listens, so alarms see every packet from the very first one;
* **services**, started once the receiver listens: the roads intake (the HTTP taxi-reading
  intake of `envmon roads serve`, on only when a port is given) and periodic jobs
  (precomputation: a function of the store run every N seconds on the writer thread).

**When the store fails.** The receiver's writer retries a failed commit with back-off and
answers nothing of a group it cannot commit; after `ReceiverLimits.max_failed_commits` such
groups in a row it gives up (a full disk): the receiver stops accepting, `serve_until` returns
the one-line reason and `envmon serve` stops and exits with `EXIT_STORE_FAILED`, so that a
supervisor restarts it once the disk has room. What was committed stays committed.

**Several receivers on one store** (PostgreSQL; issue 14): each process registers a lease,
publishes the MNs it holds and closes a connection whose MN another receiver claimed later;
one of them holds the jobs lease and alone judges silence (offline alarms) and runs the
periodic jobs (`runs_jobs`). All of it is `ingest.coordination`, through the store's
tables; on DuckDB the one process finds itself alone. When the database server is away the
writer answers nothing and the receiver reads nothing until it is back (`ingest.writer`),
without giving up.

Start order is receiver (prepared) → hook jobs → receiver listens → services; `stop()` goes
back the other way: services stop, hook jobs stop (nothing new is asked for or raised), and
the receiver stops accepting, commits everything received and answers it.

**Who writes where.** The store gives every thread its own cursor on the one database, and
DuckDB runs their transactions concurrently (MVCC); two transactions conflict only when they
change the same rows. Hence the rule:

* writes to tables the receiver or the hook jobs also write (raw packets, records, alarms,
  the back-fill log, the registry they read) go through ``platform.run_in_writer``, so they
  queue behind the receiver's commits on its one writer thread (the alarms, the back-fill
  and the periodic jobs do);
* a service that writes only tables of its own may write from its own thread. The roads
  intake does: it is served by uvicorn on this event loop, and a request's readings go to
  ``road_readings`` / ``road_rejections``, which nothing else in the process writes, in one
  short transaction on the intake's import thread (its own cursor), one request at a time
  (one import slot). Parsing and calibrating a large upload there, neither on the loop nor
  on the writer thread, keeps HJ 212 answers from waiting behind it; ``stop()`` stops the
  intake (waiting for requests in progress) before the receiver and before the store
  closes. The web app's road rankings do too: ``GET /api/v1/roads/rank`` (and its
  GeoJSON, the 道路颗粒物 page) map-match unmatched days and write the passes
  (``road_passes``, ``road_coverage``, ``road_segment_stats``), which only the roads code
  writes, in a worker thread, one ranking at a time (`web.api.roads.ONE_RANKING`).

**Where a new service goes**: a class with ``name``, ``note`` (one line for the start-up
message, or None), ``async start(platform)`` and ``async stop()`` (see `Service`), appended to
``Platform.services`` before ``start()``. The web app (next issue) is one such service; it
reads through ``platform.store`` and follows the rule above for its writes
(`web.service.WebApp`, on when ``web_port`` is given). A job on every
packet attaches to the receiver's hooks in ``_start_hook_jobs``, like the alarms.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from envmon.errors import OptionError
from envmon.ingest.accept import DEFAULT_DATA_TIME_WINDOW
from envmon.ingest.addresses import check_http_url, check_port
from envmon.ingest.server import Receiver, ReceiverLimits
from envmon.store import Store

log = logging.getLogger("envmon.app")

# EX_TEMPFAIL (sysexits.h): a temporary failure; a supervisor should start the process again.
EXIT_STORE_FAILED = 75

__all__ = ["EXIT_STORE_FAILED", "PeriodicJob", "PeriodicJobs", "Platform", "PlatformOptions",
           "RoadsIntake", "Service", "web_app"]


class Service(Protocol):
    """Something the platform starts after the receiver listens and stops before it drains."""

    name: str

    @property
    def note(self) -> str | None: ...

    async def start(self, platform: Platform) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class PlatformOptions:
    """What `envmon serve` (and `demo`) configure; every field has the serve default."""

    host: str = "0.0.0.0"
    hj212_port: int = 6000
    # The platform judges DataTime by the window around receipt (ingest.accept), as
    # `envmon serve` does; a Receiver built bare in code does not (fixed-date tests, sims).
    limits: ReceiverLimits = field(
        default_factory=lambda: ReceiverLimits(data_time_window=DEFAULT_DATA_TIME_WINDOW))
    workers: int = 1
    reuse_port: bool = False  # share the HJ 212 port with other serve processes (SO_REUSEPORT)
    backfill: bool = True
    alarms: bool = True
    webhooks: tuple[str, ...] = ()
    backfill_settings: Any = None  # ingest.backfill.BackfillSettings, None = defaults
    alarm_settings: dict | None = None  # the [alarms] table
    roads_port: int | None = None  # None = no roads intake
    roads_host: str | None = None  # None = `host`
    roads_crs: str = "wgs84"
    roads_limits: Any = None  # roads.intake_limits.IntakeLimits ([roads.intake]), None = defaults
    web_port: int | None = None  # None = no web app (`--no-web`); serve's default is 8000
    web_host: str = "127.0.0.1"  # loopback until users exist (issue 13)
    web_settings: Any = None  # web.service.WebSettings ([web]), None = defaults
    config: Any = None  # envmon.config.Config the web app reads its [assess] rules from
    command_settings: Any = None  # control.dispatcher.CommandSettings, None = defaults
    supervision: bool = False  # overdue notices, warnings, grades (on in serve and demo)
    # ingest.coordination.CoordinationSettings ([coordination]), None = defaults: several
    # receivers on one store; False = off (a receiver alone that must write nothing more).
    coordination: Any = None
    metrics_port: int | None = None  # /metrics, /healthz, /readyz listener; None = none
    metrics_host: str = "127.0.0.1"
    ready_timeout_s: float = 2.0  # /readyz: the store answers within this ([ingest])

    def __post_init__(self) -> None:
        """Every option checked here, once: `OptionError` names the serve option."""
        check_port(self.hj212_port, "--hj212-port", any_free=True)
        if self.roads_port is not None:
            check_port(self.roads_port, "--roads-port", any_free=True)
        if self.web_port is not None:
            check_port(self.web_port, "--web-port", any_free=True)
        if self.metrics_port is not None:
            check_port(self.metrics_port, "--metrics-port", any_free=True)
        if not str(self.web_host).strip():
            raise OptionError("--web-host", "give an address to listen on, e.g. 127.0.0.1")
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) \
                or self.workers < 1:
            raise OptionError("--workers", f"must be at least 1, not {self.workers!r}")
        for url in self.webhooks:
            check_http_url(url, "--webhook")
        if not self.limits.idle_timeout_s > 0:
            raise OptionError("--idle-timeout", "must be more than 0 seconds, not "
                                                f"{self.limits.idle_timeout_s!r}")
        interval_ms = self.limits.commit_interval_s * 1000
        if not interval_ms >= 0:
            raise OptionError("--commit-interval-ms", f"must be 0 or more, not {interval_ms:g}")


class Platform:
    """The store, the receiver, the hook jobs and the services of one process."""

    def __init__(self, store: Store, options: PlatformOptions | None = None,
                 services: list[Service] | None = None) -> None:
        self.store = store
        self.options = options = options or PlatformOptions()
        if options.workers > 1:
            from envmon.ingest.workers import ReceiverPool

            self.receiver: Receiver | Any = ReceiverPool(
                store, options.host, options.hj212_port, options.limits,
                workers=options.workers)
        else:
            self.receiver = Receiver(store, options.host, options.hj212_port, options.limits,
                                     reuse_port=options.reuse_port)
        self.backfill: Any = None  # ingest.backfill.BackfillScheduler once started
        self.alarms: Any = None  # alarms.engine.AlarmEngine once started
        self.commands: Any = None  # control.dispatcher.CommandDispatcher (--workers 1)
        self.coordinator: Any = None  # ingest.coordination.Coordinator (--workers 1)
        self.services: list[Service] = list(services or [])
        if options.roads_port is not None:
            self.services.append(RoadsIntake(options.roads_host or options.host,
                                             options.roads_port, options.roads_crs,
                                             options.roads_limits))
        if options.web_port is not None:
            from envmon.web.service import WebApp

            self.services.append(WebApp(options.web_host, options.web_port,
                                        options.web_settings, options.config))
        if options.metrics_port is not None:  # the web app serves them too (ops.endpoints)
            from envmon.ops.endpoints import OpsListener

            self.services.append(OpsListener(options.metrics_host, options.metrics_port,
                                             options.ready_timeout_s))
        if options.supervision:
            from envmon.supervision.service import SupervisionJob

            self.services.append(SupervisionJob(options.config))
        self.notes: list[str] = []  # one line per running part, for the start-up message
        self._listening = False
        self._started: list[Service] = []

    # ---------------------------------------------------------------- lifecycle
    @property
    def listening(self) -> bool:
        """The HJ 212 port is open (services may still have failed to start)."""
        return self._listening

    @property
    def started(self) -> tuple[Service, ...]:
        """The services started so far, in order."""
        return tuple(self._started)

    async def start_remaining_on_free_ports(self) -> None:
        """Start the services that did not start (a port taken), each on any free port."""
        for service in self.services:
            if service in self._started:
                continue
            if hasattr(service, "requested_port"):
                service.requested_port = 0
            await service.start(self)
            self._started.append(service)
            if service.note:
                self.notes.append(service.note)

    async def start(self) -> None:
        await self.prepare()
        await self.listen()

    async def prepare(self) -> None:
        """Receiver ready (writer, registry cache) and hook jobs attached; not yet listening."""
        await self.receiver.prepare()
        await self._start_hook_jobs()

    async def listen(self) -> None:
        """Open the HJ 212 port (OSError if taken), then start the services."""
        await self.receiver.listen()
        self._listening = True
        if self.coordinator is not None:  # its lease names the port it listens on
            await self.coordinator.start()
        for service in self.services:
            await service.start(self)
            self._started.append(service)
            if service.note:
                self.notes.append(service.note)

    @property
    def failure(self) -> str | None:
        """Why the store stopped taking writes (one line), or None while it takes them."""
        return getattr(self.receiver.writer, "failure", None)

    async def serve_until(self, stop: asyncio.Event) -> str | None:
        """Run until `stop` is set or the store fails for good; returns `failure`."""
        waits = [asyncio.ensure_future(stop.wait()),
                 asyncio.ensure_future(self.receiver.writer.failed.wait())]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
        return self.failure

    async def stop(self) -> None:
        """Services, then hook jobs, then the receiver: drain, commit, answer, close.

        Each stage runs even if the one before it failed (logged): whatever the services and
        jobs do, the packets received are committed and answered and the writer is closed
        before the store can be. The receiver's stop also closes a writer that never
        listened (`listen()` failed after `prepare()`).
        """
        for service in reversed(self._started):
            try:
                await service.stop()
            except Exception:
                log.exception("stopping %s failed", service.name)
        self._started.clear()
        for name, job in (("commands", self.commands), ("back-fill", self.backfill),
                          ("alarms", self.alarms), ("coordination", self.coordinator)):
            if job is None:
                continue
            try:
                await job.stop()
            except Exception:
                log.exception("stopping %s failed", name)
        self._listening = False
        await self.receiver.stop()

    def close(self) -> None:
        """Close the store (after `stop()`)."""
        self.store.close()

    async def run_in_writer(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run `fn(*args)` on the store's writer thread, between the receiver's commits."""
        return await self.receiver.writer.run_in_writer(fn, *args)

    @property
    def runs_jobs(self) -> bool:
        """This process runs the once-per-platform jobs (offline detection, periodic jobs):
        it holds the jobs lease among the receivers on the store, or coordinates with none."""
        return self.coordinator is None or self.coordinator.is_jobs_runner

    # ---------------------------------------------------------------- hook jobs
    async def _start_hook_jobs(self) -> None:
        options = self.options
        in_process = hasattr(self.receiver, "on_point_online")
        if in_process and options.coordination is not False:
            from envmon.ingest.coordination import Coordinator

            # Before the back-fill and alarms hooks: a claim is published first.
            self.coordinator = Coordinator(self.receiver, self.store, options.coordination)
            self.coordinator.attach()
        backfill = options.backfill
        if backfill and not in_process:
            self.notes.append("back-fill runs with --workers 1 only")
            backfill = False
        if backfill:
            from envmon.ingest.backfill import attach_backfill

            self.backfill = attach_backfill(self.receiver, options.backfill_settings)
            self.notes.append("back-fill (补遗) on reconnect and hourly")
        if in_process:  # remote commands (反控): the units' connections are here
            from envmon.control.dispatcher import abandon_unfinished, attach_commands

            await self.run_in_writer(abandon_unfinished, self.store)
            self.commands = attach_commands(self.receiver, self.store, self.run_in_writer,
                                            options.command_settings)
        else:
            self.notes.append("remote commands (反控) run with --workers 1 only")
        if options.alarms:
            from envmon.alarms.engine import engine_from_settings

            settings = dict(options.alarm_settings or {})
            settings["webhook_urls"] = [*settings.get("webhook_urls", []), *options.webhooks]
            engine = engine_from_settings(self.store, settings)
            if in_process:
                engine.attach(self.receiver)
            else:  # receiver worker processes: judge the groups where they are committed
                engine.attach_writer(self.receiver)
            if self.coordinator is not None:  # silence judged once, from every receiver
                engine.offline_gate = lambda: self.runs_jobs
                self.coordinator.on_seen_elsewhere.append(engine.seen_elsewhere)
            await engine.start()
            self.alarms = engine
            hooks = len(engine.notifiers)
            self.notes.append("live alarms" + (f" → {hooks} webhook(s)" if hooks else ""))


# -------------------------------------------------------------------- services


class RoadsIntake:
    """The HTTP intake of taxi PM readings (`roads.intake_http`), served by uvicorn on the
    platform's event loop (`roads.intake_server`: no signal handlers of its own). Tokens are
    read from the store when it starts; without any, it serves a loopback address only. It
    writes only the road reading tables, from its import thread, one request at a time: see
    "Who writes where" above for why that is safe next to the receiver's writer."""

    name = "roads intake"

    def __init__(self, host: str = "127.0.0.1", port: int = 8712, crs: str = "wgs84",
                 limits: Any = None) -> None:
        self.host, self.requested_port, self.crs, self.limits = host, port, crs, limits
        self._server: Any = None  # roads.intake_server.IntakeServer once started

    @property
    def port(self) -> int:
        return self._server.port if self._server else self.requested_port

    @property
    def intake(self) -> Any:
        """The running `roads.intake_http.Intake` (its counts), or None."""
        return self._server.intake if self._server else None

    @property
    def note(self) -> str | None:
        if self._server is None:
            return None
        return f"roads intake on http://{self.host}:{self.port}/roads/readings"

    async def start(self, platform: Platform) -> None:
        from envmon.roads.intake_http import Intake
        from envmon.roads.intake_server import IntakeServer
        from envmon.roads.tokens import TokenBook

        intake = Intake(platform.store, TokenBook.load(platform.store), self.limits, self.crs)
        server = IntakeServer(intake, self.host, self.requested_port)
        await server.start()
        self._server = server

    async def stop(self) -> None:
        if self._server is None:
            return
        await self._server.stop()  # waits for requests in progress


def web_app(platform: Platform) -> Any:
    """The platform's running `web.service.WebApp`, or None (`--no-web`)."""
    return next((s for s in platform.services if s.name == "web app"), None)


@dataclass
class PeriodicJob:
    """`fn(store)` every `every_s` seconds, on the writer thread (precomputation, cleanup)."""

    name: str
    every_s: float
    fn: Callable[[Store], Any]
    runs: int = 0
    failures: int = 0


class PeriodicJobs:
    """Runs periodic jobs until stopped; a failing run is logged and retried next period."""

    name = "periodic jobs"

    def __init__(self, jobs: list[PeriodicJob] | None = None) -> None:
        self.jobs = list(jobs or [])
        self._tasks: list[asyncio.Task] = []

    @property
    def note(self) -> str | None:
        if not self.jobs:
            return None
        return "jobs: " + ", ".join(f"{j.name} every {j.every_s:g} s" for j in self.jobs)

    async def start(self, platform: Platform) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._loop(platform, job), name=f"job-{job.name}")
                       for job in self.jobs]

    async def _loop(self, platform: Platform, job: PeriodicJob) -> None:
        while True:
            await asyncio.sleep(job.every_s)
            if not platform.runs_jobs:  # another receiver on the store runs them
                continue
            try:
                await platform.run_in_writer(job.fn, platform.store)
                job.runs += 1
            except Exception:
                job.failures += 1
                log.exception("job %s failed", job.name)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
