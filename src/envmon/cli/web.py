"""CLI: `envmon web`: the web app as its own process, over the store, with no receiver.

With PostgreSQL the receivers are `envmon serve --no-web --db URL` processes and this is the
web app beside them (`envmon.web.standalone`); with DuckDB it serves a file no serve holds.
The web options are serve's.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from envmon.cli.common import DB_HELP, fail, open_cli_store, resolve_db, user_errors
from envmon.cli.serve import (
    REMOTE_WRITES_HELP,
    _log_level,
    _logging,
    _settings,
    _web_writes,
    console,
)
from envmon.ingest.loop import run_loop


def web(
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    web_port: int | None = typer.Option(
        None, "--web-port", help="Port of the web app (REST API /api/v1, pages); 0 = any "
        "free port [default 8000, or any free port when 8000 is taken]."),
    web_host: str = typer.Option(
        "127.0.0.1", "--web-host", help="Address of the web app: loopback by default, as "
        "no users exist yet."),
    web_allow_remote_writes: bool = typer.Option(
        False, "--web-allow-remote-writes", help=REMOTE_WRITES_HELP),
    config: Path | None = typer.Option(None, "--config", help="envmon.toml to read."),
    log_level: str = typer.Option("info", help="debug, info, warning or error."),
) -> None:
    """Serve the web app (pages, API, live events) from the store alone: receivers run
    apart (`envmon serve --no-web`, on the same PostgreSQL database)."""
    from envmon.errors import OptionError
    from envmon.ingest.addresses import check_port
    from envmon.ingest.server import stop_signal
    from envmon.store import is_server_url
    from envmon.web.service import WebApp
    from envmon.web.standalone import WebPlatform

    level = _log_level(log_level)
    settings = _settings(config)
    target = resolve_db(db, config)
    with user_errors():  # as serve checks them: one line naming the option, exit code 2
        check_port(8000 if web_port is None else web_port, "--web-port", any_free=True)
        if not web_host.strip():
            raise OptionError("--web-host", "give an address to listen on, e.g. 127.0.0.1")
    store = open_cli_store(target, None)
    service = WebApp(web_host, 8000 if web_port is None else web_port,
                     _web_writes(settings.web, web_allow_remote_writes), settings,
                     announce=not is_server_url(target))
    platform = WebPlatform(store, [service])
    _logging(level)

    async def main() -> None:
        stop = stop_signal()
        try:
            try:
                await platform.start()
            except OSError as error:
                if web_port is not None:
                    raise fail(f"--web-port: cannot listen on {web_host}:{web_port}: "
                               f"{error.strerror or error}") from None
                service.requested_port = 0  # 8000 taken: any free port, printed
                await platform.start()
            console.print(f"envmon web app, store {escape(store.target)}: "
                          + "; ".join(escape(note) for note in platform.notes)
                          + ". Ctrl-C to stop.")
            await stop.wait()
        finally:
            await platform.stop()

    try:
        run_loop(main())
    except KeyboardInterrupt:
        pass
    finally:
        platform.close()


def register(app: typer.Typer) -> None:
    app.command()(web)
