"""Where the small files that belong to a store live: the discovery file of the serve that
holds it (`web.discovery`, ``.serve.json``) and the local operator token (`access.operator`,
``.operator.token``).

A DuckDB file has them beside it (``<file><suffix>``), as before. A PostgreSQL database has no
file, so they go into the user's state directory, one name per database (host, port, database;
never the user or password):

    $XDG_STATE_HOME/envmon/<host>-<port>-<database><suffix>   (default ~/.local/state/envmon/)

The directory is made owner-only (0700) and the files themselves are 0600, so only the OS user
who runs `envmon serve`/`envmon web` (and the CLI as that user) reads them. The state directory,
not the cache or runtime one: XDG keeps state across reboots and a runtime directory
($XDG_RUNTIME_DIR) is not there for a service without a login session.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["server_key", "state_dir", "store_file"]

STATE_ENV = "XDG_STATE_HOME"
_UNSAFE = re.compile(r"[^A-Za-z0-9._]+")


def state_dir() -> Path:
    """$XDG_STATE_HOME/envmon, else ~/.local/state/envmon (the XDG default)."""
    base = os.environ.get(STATE_ENV, "").strip()
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".local" / "state"
    return root / "envmon"


def server_key(url: str) -> str:
    """``host-port-database`` of a PostgreSQL URL, safe as a file name: the same database
    gives the same key whoever connects and however the password is given."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    host = parts.hostname or (query.get("host") or ["localhost"])[0]
    try:
        port = parts.port or int((query.get("port") or ["5432"])[0])
    except ValueError:
        port = 5432
    database = unquote(parts.path.lstrip("/")) or (query.get("dbname") or [""])[0]
    database = database or parts.username or "postgres"  # libpq's default: the user's name
    return "-".join(_UNSAFE.sub("_", str(piece)).strip("_") or "_"
                    for piece in (host, port, database))


def store_file(target: str | os.PathLike[str], suffix: str, *, make_dir: bool = False
               ) -> Path | None:
    """The file `suffix` of the store `target`: beside a DuckDB file, in `state_dir()` for a
    server URL, None for an in-memory store. `make_dir` creates the state directory (0700)."""
    text = os.fspath(target)
    if text == ":memory:":
        return None
    if "://" not in text:
        return Path(os.path.abspath(text + suffix))
    folder = state_dir()
    if make_dir:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder / (server_key(text) + suffix)
