"""Backup and restore of a store, on either engine (`envmon store backup|restore`).

**DuckDB.** A backup is a DuckDB file made by ``COPY FROM DATABASE`` into a newly attached
file: one transaction, so a consistent snapshot even while the receiver commits (MVCC), with
the tables, sequences (their current values), indexes and views, and readable by `open_store`
as it is. Copying the file itself would need the writer stopped (a checkpoint, then no
commit until the copy ends) and would carry a WAL; ``EXPORT DATABASE`` writes a folder of
CSV/Parquet that must be imported again. DuckDB lets one process open the file, so while
`envmon serve` holds it the CLI asks that serve to make the copy
(``POST /api/v1/store/backup``, `web.api.store`, loopback and administrator only); the copy
runs on a thread of its own, not the writer's, so answers to units do not wait for it.
Restoring copies the backup beside the target and renames it over the target (atomic),
dropping the target's WAL; a store held by a running serve is refused (stop it first).

**PostgreSQL** (``postgresql://…``): ``pg_dump --format=custom`` and ``pg_restore
--single-transaction`` (a restore that fails changes nothing). A missing binary, or a
pg_dump older than the server, is one line saying which binary and what to install; the
password of the URL goes to the tools in ``PGPASSWORD``, never on their command line.

**Both.** A backup never overwrites a file. A restore refuses a target that holds tables
unless ``force`` (PostgreSQL: never while receivers hold fresh leases on it), and checks
the schema version of what it restores: from a newer envmon it is refused; from an older
one the store is brought up to date on restore (the migrations).
The SM4 master key file next to a DuckDB store is not in the backup (it would put the keys
and their key in one place): back it up apart (docs/operations.md).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from envmon.errors import EnvmonError, OptionError
from envmon.store import is_server_url, schema
from envmon.store.errors import StoreLockedError

__all__ = ["BackupResult", "RestoreResult", "StoreInUse", "backup", "backup_open_store",
           "is_server_url", "restore"]

PG_TIMEOUT_S = 3600.0  # a province's month in minutes of dump is minutes, not hours


class StoreInUse(StoreLockedError):
    """The DuckDB file is held by another process (`envmon serve`); not an `EnvmonError`,
    so that the CLI can go through that serve instead of stopping at it."""


@dataclass
class BackupResult:
    engine: str
    file: str
    bytes: int
    schema_version: int


@dataclass
class RestoreResult:
    engine: str
    file: str
    schema_version: int  # of the backup
    replaced: bool  # the target held tables (--force)


def backup(db: str, out: Path) -> BackupResult:
    """Back the store `db` up into the new file `out` (StoreInUse: DuckDB held by serve)."""
    out = Path(out)
    _check_new_file(out)
    if is_server_url(db):
        return _pg_backup(db, out)
    if not Path(db).is_file():
        raise OptionError("--db", f"no database at {db}")
    return _in_new_file(out, lambda con: _copy_attached(con, db))


def backup_open_store(store: Any, out: Path) -> BackupResult:
    """Back up a DuckDB store this process holds open (serve's endpoint), into `out`."""
    out = Path(out)
    _check_new_file(out)
    name = store.query("SELECT current_database()")[0][0]
    alias = f"envmon_backup_{uuid.uuid4().hex[:8]}"
    tmp = _tmp_beside(out)
    try:
        store.execute(f"ATTACH {_literal(str(tmp))} AS {alias}")
        try:
            store.execute(f"COPY FROM DATABASE {_ident(name)} TO {alias}")
        finally:
            store.execute(f"DETACH {alias}")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return BackupResult("duckdb", str(out), out.stat().st_size, _duckdb_version(out))


def restore(db: str, source: Path, force: bool = False) -> RestoreResult:
    """Restore the backup `source` into the store `db` (see the module docstring)."""
    source = Path(source)
    if not source.is_file():
        raise OptionError("--from", f"no backup at {source}")
    if is_server_url(db):
        return _pg_restore(db, source, force)
    return _duckdb_restore(Path(db), source, force)


# ------------------------------------------------------------------------------ DuckDB
def _check_new_file(out: Path) -> None:
    if out.exists():
        raise OptionError("--out", f"{out} exists: a backup never overwrites a file")
    if not out.absolute().parent.is_dir():
        raise OptionError("--out", f"no folder {out.absolute().parent}")


def _tmp_beside(path: Path) -> Path:
    return path.absolute().parent / f".{path.name}.{uuid.uuid4().hex[:8]}.part"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _in_new_file(out: Path, fill) -> BackupResult:
    """A new DuckDB file filled by `fill(connection)`, renamed to `out` once complete."""
    import duckdb

    tmp = _tmp_beside(out)
    try:
        with duckdb.connect(str(tmp)) as con:
            os.chmod(tmp, 0o600)  # users, tokens, sealed keys: the owner's alone
            fill(con)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    return BackupResult("duckdb", str(out), out.stat().st_size, _duckdb_version(out))


def _copy_attached(con: Any, db: str) -> None:
    import duckdb

    try:
        con.execute(f"ATTACH {_literal(db)} AS envmon_source (READ_ONLY)")
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise StoreInUse(f"{db} is held by another process (envmon serve)") from None
        raise OptionError("--db", f"{db}: {error}") from None
    target = con.execute("SELECT current_database()").fetchone()[0]
    con.execute(f"COPY FROM DATABASE envmon_source TO {_ident(target)}")
    con.execute("DETACH envmon_source")


def _duckdb_version(path: Path, option: str = "--out") -> int:
    """The schema version recorded in a DuckDB file (0: no envmon schema)."""
    import duckdb

    try:
        with duckdb.connect(str(path), read_only=True) as con:
            has = con.execute("SELECT COUNT(*) FROM information_schema.tables "
                              "WHERE table_name = 'schema_version'").fetchone()[0]
            if not has:
                return 0
            return int(con.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")
                       .fetchone()[0])
    except duckdb.Error as error:
        raise OptionError(option, f"{path} is not a DuckDB store: {_first_line(error)}") \
            from None


def _check_version(version: int, source: Path) -> None:
    if version == 0:
        raise OptionError("--from", f"{source} holds no envmon store (no schema version)")
    if version > schema.SCHEMA_VERSION:
        raise OptionError("--from", f"{source} has schema version {version}, from a newer "
                          f"envmon (this one knows {schema.SCHEMA_VERSION}): restore it "
                          "with that version")


def _duckdb_tables(path: Path) -> int:
    """Tables in the target (0: new or empty); StoreInUse while serve holds it."""
    import duckdb

    if not path.exists():
        return 0
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            return int(con.execute("SELECT COUNT(*) FROM duckdb_tables() "
                                   "WHERE NOT internal").fetchone()[0])
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise StoreInUse(f"{path} is held by another process (envmon serve): stop it "
                             "before restoring") from None
        raise OptionError("--db", f"{path}: {_first_line(error)}") from None
    except duckdb.Error as error:
        raise OptionError("--db", f"{path} is not a DuckDB store: {_first_line(error)}") \
            from None


def _duckdb_restore(target: Path, source: Path, force: bool) -> RestoreResult:
    version = _duckdb_version(source, "--from")
    _check_version(version, source)
    tables = _duckdb_tables(target)
    if tables and not force:
        raise OptionError("--force", f"{target} holds {tables} tables: give --force to "
                          "replace them with the backup")
    if not target.absolute().parent.is_dir():
        raise OptionError("--db", f"no folder {target.absolute().parent}")
    tmp = _tmp_beside(target)
    try:
        shutil.copyfile(source, tmp)
        with open(tmp, "rb+") as file:
            os.fsync(file.fileno())
        Path(f"{target}.wal").unlink(missing_ok=True)  # the old file's log: not this one's
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    if version < schema.SCHEMA_VERSION:  # an older backup: its migrations, now
        from envmon.store import open_store

        open_store(target).close()
    return RestoreResult("duckdb", str(source), version, bool(tables))


# ------------------------------------------------------------------------------ PostgreSQL
def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise OptionError("--db", f"{name} not found on PATH: install the PostgreSQL client "
                          "of the server's major version (Debian: postgresql-client-NN)")
    return found


def _pg_env(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password, and the environment that carries it (PGPASSWORD)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    try:
        parts = conninfo_to_dict(url)
    except Exception as error:
        raise OptionError("--db", f"not a PostgreSQL URL: {_first_line(error)}") from None
    env = dict(os.environ)
    password = parts.pop("password", None)
    if password is not None:
        env["PGPASSWORD"] = str(password)
    return make_conninfo(**{k: str(v) for k, v in parts.items()}), env


def _redact(text: str) -> str:
    return re.sub(r"(postgres(?:ql)?://[^:/@\s]*:)[^@\s]*@", r"\1***@", text)


def _first_line(error: Any) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _run_tool(args: list[str], env: dict[str, str], what: str) -> str:
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True,
                              timeout=PG_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise EnvmonError(f"{what} did not finish within {PG_TIMEOUT_S:g} s") from None
    if done.returncode != 0:
        message = _redact(done.stderr.strip())
        if "version mismatch" in message:
            raise EnvmonError(f"{Path(args[0]).name} is older than the server: install the "
                              "PostgreSQL client of the server's major version "
                              f"({_first_line(message)})")
        lines = [line for line in message.splitlines() if line.strip()]
        raise EnvmonError(f"{what} failed: {lines[0] if lines else done.returncode}")
    return done.stdout


def _pg_query(conninfo: str, env: dict[str, str], sql: str) -> list[tuple]:
    import psycopg

    try:
        with psycopg.connect(conninfo, password=env.get("PGPASSWORD"),
                             connect_timeout=10) as con:
            return con.execute(sql).fetchall()
    except psycopg.Error as error:
        raise OptionError("--db", f"cannot reach the store: {_redact(_first_line(error))}") \
            from None


_USER_TABLES = ("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema NOT IN "
                "('pg_catalog', 'information_schema')")


def _pg_backup(url: str, out: Path) -> BackupResult:
    conninfo, env = _pg_env(url)
    rows = _pg_query(conninfo, env, "SELECT COALESCE(MAX(version), 0) FROM schema_version"
                     if _pg_query(conninfo, env, _USER_TABLES)[0][0] else "SELECT 0")
    tmp = _tmp_beside(out)
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # owner only
    try:
        _run_tool([_tool("pg_dump"), "--format=custom", f"--file={tmp}",
                   f"--dbname={conninfo}"], env, "pg_dump")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return BackupResult("postgresql", str(out), out.stat().st_size, int(rows[0][0]))


def _dump_version(source: Path, env: dict[str, str]) -> int:
    """The schema version in a pg_dump archive: the rows of its schema_version table."""
    text = _run_tool([_tool("pg_restore"), "--data-only", "--table=schema_version",
                      "--file=-", str(source)], env, "pg_restore (reading the backup)")
    versions, inside = [], False
    for line in text.splitlines():
        if line.startswith("COPY ") and "schema_version" in line:
            inside = True
        elif inside and line == "\\.":
            break
        elif inside and line.split("\t", 1)[0].isdigit():
            versions.append(int(line.split("\t", 1)[0]))
    return max(versions, default=0)


def _refuse_live_receivers(conninfo: str, env: dict[str, str]) -> None:
    """Receivers writing to the target (a heartbeat within their lease) would lose what
    they commit after the dump: refused, as a DuckDB file held by serve is."""
    from envmon.ingest.coordination import CoordinationSettings

    lease_s = CoordinationSettings().lease_s
    if not _pg_query(conninfo, env, "SELECT to_regclass('receiver_leases') IS NOT NULL")[0][0]:
        return
    live = _pg_query(conninfo, env, "SELECT receiver_id, address, heartbeat FROM "
                     "receiver_leases WHERE heartbeat >= now() - make_interval(secs => "
                     f"{float(lease_s)}) ORDER BY receiver_id")
    if live:
        names = "; ".join(f"{rid} at {address}, last heartbeat {beat:%Y-%m-%d %H:%M:%S}"
                          for rid, address, beat in live)
        raise StoreInUse(f"the target database is written by {len(live)} running "
                         f"receiver(s) ({names}): stop them (envmon serve) before restoring")


def _pg_restore(url: str, source: Path, force: bool) -> RestoreResult:
    conninfo, env = _pg_env(url)
    version = _dump_version(source, env)
    _check_version(version, source)
    tables = int(_pg_query(conninfo, env, _USER_TABLES)[0][0])
    if tables and not force:
        raise OptionError("--force", f"the target database holds {tables} tables: give "
                          "--force to replace them with the backup")
    if tables:
        _refuse_live_receivers(conninfo, env)
    args = [_tool("pg_restore"), "--single-transaction", "--exit-on-error", "--no-owner",
            f"--dbname={conninfo}"]
    if tables:
        args[1:1] = ["--clean", "--if-exists"]
    _run_tool([*args, str(source)], env, "pg_restore")
    if version < schema.SCHEMA_VERSION:
        from envmon.store import open_store

        with contextlib.closing(open_store(url)):
            pass
    return RestoreResult("postgresql", str(source), version, bool(tables))
