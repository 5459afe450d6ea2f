"""Reading a secret key file named on the command line (`keys set --key-file`, `hj212 decode
--key-file`): a file that cannot be read is one line naming the option and the reason, and a
file that group or others may read draws a warning (the key it holds opens a unit's data).

A warning, not a refusal, unlike the master key file (`ingest.keystore`): the key file is an
input the operator hands over once, often just received, and the key is sealed away at once;
the master key file stays on disk and opens every key.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

from envmon.errors import OptionError

__all__ = ["read_key_file"]


def read_key_file(path: Path | str, option: str = "--key-file") -> str:
    """The text of `path`; an OptionError naming `option` when it cannot be read (missing, a
    folder, no permission, not ASCII). Warns on stderr when group or others may read it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="ascii")
        mode = os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        raise OptionError(option, f"{path} does not exist") from None
    except IsADirectoryError:
        raise OptionError(option, f"{path} is a folder, not a key file") from None
    except OSError as error:
        raise OptionError(option, f"cannot read {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise OptionError(option, f"{path} is not text (expected 32 hex digits)") from None
    if mode & 0o044:
        typer.echo(f"warning: {option}: {path} may be read by group or others (mode "
                   f"{mode:04o}); it holds a unit's key: chmod 600 {path}", err=True)
    return text
