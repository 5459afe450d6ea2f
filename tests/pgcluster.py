"""A throwaway PostgreSQL cluster for the tests: initdb in a temporary folder, started on a free
loopback port as an unprivileged user, removed afterwards.

PostgreSQL refuses to run as root, so when the tests run as root (CI on a fresh machine) the
cluster belongs to the `postgres` system user that Debian's package creates (else `nobody`), and
its commands run through `runuser`. `ENVMON_TEST_PG_URL` points the tests at a server of your own
instead (a role that may CREATE DATABASE); each test still gets a database of its own.

The cluster trades durability for speed (fsync off): a test never crashes the machine, and a
server restart (`restart`) is clean, so nothing committed is lost by it.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROLE = "envmon"
_COUNTER = itertools.count(1)


def bindir() -> Path:
    """The server's binaries: `pg_config --bindir`, else Debian's /usr/lib/postgresql/N/bin."""
    found = shutil.which("pg_config")
    if found:
        path = Path(subprocess.run([found, "--bindir"], capture_output=True, text=True,
                                   check=True).stdout.strip())
        if (path / "initdb").exists():
            return path
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parent.parent.name), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    raise RuntimeError(
        "the PostgreSQL server is not installed (no initdb): `apt-get install postgresql` "
        "(.ci/run does), or set ENVMON_TEST_PG_URL to a server where this role may create "
        "databases")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """One PostgreSQL server for a test session (or for one fault test)."""

    def __init__(self) -> None:
        self.bin = bindir()
        self.root = Path(tempfile.mkdtemp(prefix="envmon-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.user: str | None = None
        if os.geteuid() == 0:
            self.user = "postgres" if _user_exists("postgres") else "nobody"
            os.chmod(self.root, 0o755)
            shutil.chown(self.root, self.user)
        self._run("initdb", "-D", str(self.data), "-U", ROLE, "--auth=trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        self.start()

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.root)
        if done.returncode:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr.strip()}\n{tail}")

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c full_page_writes=off -c max_connections=300 "
                   "-c shared_buffers=64MB")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"),
                  "-o", options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{ROLE}@127.0.0.1:{self.port}/{database}"

    def remove(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


class Databases:
    """Fresh databases on one server: each a copy of a template already migrated to the
    current schema (CREATE DATABASE … TEMPLATE takes milliseconds; migrating takes a second)."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.template: str | None = None

    def _admin(self) -> psycopg.Connection:
        return psycopg.connect(self.server_url, autocommit=True)

    def fresh(self, prefix: str = "t", *, migrated: bool = True) -> str:
        """The URL of a new database (empty, or with the schema when `migrated`)."""
        name = f"envmon_{prefix}_{os.getpid()}_{next(_COUNTER)}"
        template = self.migrated_template() if migrated else "template0"
        with self._admin() as con:
            con.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return with_database(self.server_url, name)

    def migrated_template(self) -> str:
        if self.template is None:
            from envmon.store import open_store

            name = f"envmon_template_{os.getpid()}"
            with self._admin() as con:
                con.execute(f'DROP DATABASE IF EXISTS "{name}"')
                con.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
            open_store(with_database(self.server_url, name)).close()
            self.template = name
        return self.template


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))
