"""The test suite's engine switch: with `ENVMON_TEST_ENGINE=postgresql`, every store a test opens
by a DuckDB path (`open_store(tmp_path / "x.duckdb")`, `--db x.duckdb`) is a PostgreSQL database
instead, so the same tests run on both engines. Test code only: nothing in src/ knows of it.

The mapping path → database is stable (a hash of the absolute path, plus the session's token),
so two processes that open the same path (a test and the `envmon serve` it started) meet in the
same database. A read-write open creates the database on first use, as a copy of the session's
migrated template, and leaves an empty file at the path (the CLI checks that a store exists by
its file); a read-only open of a path never opened read-write fails as DuckDB's does ("no
database at …"). `:memory:` is a new database at each open. The store's `target` stays the
path, so messages read as on DuckDB.

The session fixture (tests/conftest.py) calls `install`; subprocesses get it from the
`sitecustomize` next to this module (the folder is put on PYTHONPATH), reading the settings
from the environment variables below.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ENGINE_ENV = "ENVMON_TEST_ENGINE"
SERVER_ENV = "ENVMON_TEST_ENGINE_SERVER"  # the server's admin URL (may CREATE DATABASE)
TEMPLATE_ENV = "ENVMON_TEST_ENGINE_TEMPLATE"  # the migrated template database
TOKEN_ENV = "ENVMON_TEST_ENGINE_TOKEN"  # the session's token in the databases' names
PREFIX = "envmon_f_"
COPY_WAIT_S = 10  # for the connections of a closed store to end before it is copied

_memory = itertools.count(1)
_installed = False


def enabled() -> bool:
    return os.environ.get(ENGINE_ENV, "duckdb") == "postgresql"


def install_from_env() -> None:
    """Install the switch in this process when the session asked for it (sitecustomize)."""
    if enabled() and os.environ.get(SERVER_ENV) and os.environ.get(TEMPLATE_ENV):
        try:
            import envmon.store  # noqa: F401
        except ImportError:  # a Python subprocess that is not envmon's
            return
        install(os.environ[SERVER_ENV], os.environ[TEMPLATE_ENV], os.environ[TOKEN_ENV])


def install(server_url: str, template: str, token: str) -> None:
    """Map every DuckDB path `open_store` meets to a database on `server_url`."""
    global _installed
    if _installed:
        return
    import envmon.store as store_module
    from envmon.store.errors import StoreError
    from envmon.store.postgres_engine import PostgresStore

    engine_of = store_module._engine

    class MappedPostgresStore(PostgresStore):
        """A PostgreSQL database standing in for the DuckDB file at `path`."""

        def __init__(self, path: str, *, read_only: bool = False) -> None:
            if path == ":memory:":
                name = _create(server_url, template, f"{PREFIX}{token}_m{os.getpid()}_"
                                                     f"{next(_memory)}")
            else:
                name = _database_for(server_url, template, path, token, read_only=read_only)
                if name is None:
                    raise StoreError(
                        f"no database at {path}: import a registry (`envmon registry import`) "
                        "or run the receiver first")
            super().__init__(with_database(server_url, name), read_only=read_only)
            self.target = path

        @classmethod
        def upgrade_in_place(cls, target: str) -> None:
            cls(target, read_only=False).close()

    def mapped_engine(target: str):
        if store_module.is_server_url(target):
            return engine_of(target)
        return MappedPostgresStore

    store_module._engine = mapped_engine
    _installed = True


def database_name(path: str, token: str) -> str:
    digest = hashlib.sha1(os.path.abspath(path).encode()).hexdigest()[:20]
    return f"{PREFIX}{token}_{digest}"


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def _database_for(server_url: str, template: str, path: str, token: str, *,
                  read_only: bool) -> str | None:
    """The database standing in for the file at `path` (None: no store there, read-only).

    The file holds the database's name. A file that names another database is a copy (or a
    move) of that store: its database is made a copy of the other. A file that is not there
    is a new store (read-write) or none (read-only), as with DuckDB."""
    name = database_name(path, token)
    file = Path(path)
    held = _marker(file)
    if not held:  # no file, or not one of ours
        if read_only:
            return None
        _drop(server_url, name)  # a store whose file was deleted starts empty, as on DuckDB
        _create(server_url, template, name)
        file.write_text(name)
    elif held != name:
        _drop(server_url, name)
        _create(server_url, held, name)
        file.write_text(name)
    elif not _exists(server_url, name):
        if read_only:
            return None
        _create(server_url, template, name)
    return name


def _marker(file: Path) -> str | None:
    try:
        text = file.read_bytes()[:200]
    except OSError:
        return None
    try:
        name = text.decode().strip()
    except UnicodeDecodeError:
        return None
    return name if name.startswith(PREFIX) else None


def _drop(server_url: str, name: str) -> None:
    with _admin(server_url) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(server_url: str):
    import psycopg

    return psycopg.connect(server_url, autocommit=True)


def _exists(server_url: str, name: str) -> bool:
    with _admin(server_url) as con:
        return con.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                           [name]).fetchone() is not None


def _create(server_url: str, template: str, name: str) -> str:
    """Create `name` as a copy of `template` unless it is there (another process may race
    us). PostgreSQL copies a database only while nobody is connected to it, and a closed
    store's server process may linger a moment: so wait for that, within a deadline."""
    import psycopg

    deadline = time.monotonic() + COPY_WAIT_S
    with _admin(server_url) as con:
        while con.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                          [name]).fetchone() is None:
            try:
                con.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
                pass
            except psycopg.errors.ObjectInUse:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
    return name


def drop_all(server_url: str, token: str) -> None:
    """Drop the session's databases (for a server that outlives the session)."""
    with _admin(server_url) as con:
        names = [row[0] for row in con.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s",
            [f"{PREFIX}{token}_%"])]
        for name in names:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
