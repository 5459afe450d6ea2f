"""The local operator token: how the CLI on the machine that owns the store keeps working against
a running `envmon serve` once users exist.

`envmon serve` makes a new random token each start and writes it to ``<store>.operator.token``
(for a PostgreSQL URL: ``~/.local/state/envmon/<host>-<port>-<db>.operator.token``, see
`envmon.store.locations`; atomically, mode 0600: readable only by the OS user who runs serve,
who may open the store anyway) and removes it on a clean stop. The web gate accepts it as the
operator (an administrator named after the OS user, `principal.operator`); the token lives only
in the serve's memory and that file, so a restart or a stop makes an old copy worthless. The
CLI (`cli.remote`) sends it when it asks the serve that holds its store.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

__all__ = ["read_token", "remove_token", "token_path", "write_token"]

SUFFIX = ".operator.token"
MAX_BYTES = 256


def token_path(store_path: str | os.PathLike[str], *, make_dir: bool = False) -> Path | None:
    """``<store>.operator.token`` beside a DuckDB file, in the state directory for a server URL
    (`envmon.store.locations`); None for an in-memory store."""
    from envmon.store.locations import store_file

    return store_file(store_path, SUFFIX, make_dir=make_dir)


def write_token(store_path: str | os.PathLike[str]) -> tuple[str, Path | None]:
    """A new token, written to the store's token file (0600, atomically): (token, file)."""
    token = secrets.token_urlsafe(32)
    path = token_path(store_path, make_dir=True)
    if path is None:
        return token, None
    handle, temporary = tempfile.mkstemp(prefix=path.name + ".", dir=path.parent)
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "w", encoding="ascii") as out:
            out.write(token + "\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return token, path


def read_token(path: str | os.PathLike[str] | None) -> str | None:
    """The token in a token file (the operator's, or one given by --token-file), or None."""
    if path is None:
        return None
    try:
        with open(path, "rb") as source:
            raw = source.read(MAX_BYTES + 1)
    except OSError:
        return None
    text = raw.decode("ascii", "replace").strip()
    return text if text and len(raw) <= MAX_BYTES else None


def remove_token(store_path: str | os.PathLike[str], token: str) -> None:
    """Remove the token file if it still holds `token` (a second serve refused by the store's
    lock must not remove the running one's)."""
    path = token_path(store_path)
    if path is not None and read_token(path) == token:
        path.unlink(missing_ok=True)
