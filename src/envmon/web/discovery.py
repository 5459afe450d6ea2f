"""The discovery file: how a CLI command finds the `envmon serve` that holds its store.

DuckDB lets one process open a file for writing and then no other process may open it, so while
`envmon serve` runs, `envmon assess --db x.duckdb` cannot read the store. The web app therefore
writes ``<store>.serve.json`` (``{"url", "pid", "store"}``; for a PostgreSQL URL in the state
directory, `envmon.store.locations`) when it listens and removes it when it stops; a CLI
command that finds its store locked reads the file and asks that URL instead
(`envmon.cli.remote`).

The file is written atomically (a temporary file renamed over it) with owner-only permissions
(0600: only the user running serve, who may open the store anyway, learns the address). A file
left by a process that died without removing it is ignored: its pid is no longer running
(`read` returns None).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ServeInfo", "discovery_path", "read", "remove", "write"]

SUFFIX = ".serve.json"
MAX_BYTES = 4096  # a URL and a pid; anything larger is not ours


@dataclass(frozen=True)
class ServeInfo:
    """A running serve: its web app's base URL and its process id."""

    url: str
    pid: int


def discovery_path(store_path: str | os.PathLike[str], *, make_dir: bool = False
                   ) -> Path | None:
    """``<store>.serve.json`` beside a DuckDB file, in the state directory for a server URL
    (`envmon.store.locations`); None for an in-memory store."""
    from envmon.store.locations import store_file

    return store_file(store_path, SUFFIX, make_dir=make_dir)


def write(store_path: str | os.PathLike[str], url: str, pid: int | None = None) -> Path | None:
    """Announce `url` as the web app of the serve that owns `store_path` (atomically, 0600).
    Returns the file written (None for an in-memory store)."""
    path = discovery_path(store_path, make_dir=True)
    if path is None:
        return None
    payload = json.dumps({"url": url, "pid": pid or os.getpid(),
                          "store": _shown(store_path)})
    handle, temporary = tempfile.mkstemp(prefix=path.name + ".", dir=path.parent)
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(payload)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def read(store_path: str | os.PathLike[str]) -> ServeInfo | None:
    """The serve announced for `store_path`, or None: no file, not readable, not ours, or its
    process is no longer running (a stale file of a serve that was killed)."""
    path = discovery_path(store_path)
    if path is None:
        return None
    try:
        with open(path, "rb") as source:
            raw = source.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            return None
        data = json.loads(raw)
        url, pid = str(data["url"]), int(data["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not url.startswith(("http://", "https://")) or not _running(pid):
        return None
    return ServeInfo(url, pid)


def remove(store_path: str | os.PathLike[str], pid: int | None = None) -> None:
    """Remove the file, if it is this process's (`pid`, default ours): a second serve refused
    by the lock must not remove the running one's file."""
    path = discovery_path(store_path)
    if path is None:
        return
    try:
        data = json.loads(path.read_bytes()[:MAX_BYTES])
        if int(data.get("pid", -1)) != (pid or os.getpid()):
            return
        path.unlink()
    except (OSError, ValueError, TypeError, AttributeError):
        pass


def _shown(store_path: str | os.PathLike[str]) -> str:
    """The store as the file names it: a DuckDB file's absolute path, a URL as given (the
    store's `target`, without a password)."""
    text = os.fspath(store_path)
    return text if "://" in text else os.path.abspath(text)


def _running(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # running, as another user
        return True
    return True
