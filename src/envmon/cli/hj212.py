"""CLI commands: ``envmon hj212 decode|encode`` (HJ 212-2017 packets <-> JSON lines).

``decode`` reads packets one per line and prints one JSON object per packet; ``encode`` reads
JSON objects of the same shape and prints the packets.  The two round-trip: the output of
``encode`` decodes to the same fields, and ``decode`` output can be fed back to ``encode``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import typer

from envmon.choices import choice
from envmon.cli.common import user_errors
from envmon.errors import OptionError
from envmon.hj212.codec import decode
from envmon.hj212.crc import CRC_MODES, CrcMode
from envmon.hj212.jsonform import packet_from_json, packet_json
from envmon.render import jsonout

__all__ = ["hj212_app", "register"]

hj212_app = typer.Typer(
    name="hj212",
    help="HJ 212-2017 packets: decode to JSON lines, encode from JSON lines.",
    no_args_is_help=True,
    add_completion=False,
)


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the main app."""
    app.add_typer(hj212_app, name="hj212")


@contextmanager
def _open_binary(path: str) -> Iterator[IO[bytes]]:
    """The FILE argument opened for reading; a path that cannot be read is one line naming
    FILE and exit code 2 (missing, a directory, no permission), not a traceback."""
    if path == "-":
        yield typer.get_binary_stream("stdin")
        return
    with user_errors():
        try:
            handle = Path(path).open("rb")  # noqa: SIM115 (closed below, after errors)
        except OSError as error:
            raise OptionError("FILE", f"cannot read {path}: {error.strerror or error}") from None
    with handle:
        yield handle


@hj212_app.command("decode")
def decode_command(
    file: str = typer.Argument("-", help="File of packets, one per line; '-' reads stdin."),
    crc_mode: list[str] | None = typer.Option(
        None,
        "--crc-mode",
        help="Accepted CRC algorithm; repeat to accept several "
        f"({', '.join(CRC_MODES)}). Default: hj212 only.",
    ),
) -> None:
    """Decode packets (one per line) to JSON lines. Exit 1 if any packet is rejected.

    Blank lines and '#' comment lines are skipped; the trailing CR LF is optional.
    """
    with user_errors():  # an unknown mode: one line naming --crc-mode, exit code 2
        modes = tuple(choice(CrcMode, mode, "--crc-mode").value
                      for mode in crc_mode or (CrcMode.HJ212,))
    all_ok = True
    with _open_binary(file) as stream:
        for number, line in enumerate(stream, 1):
            if number == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]  # UTF-8 BOM from Windows editors
            line = line.rstrip(b"\r\n")
            if not line.strip() or (line.startswith(b"#") and not line.startswith(b"##")):
                continue
            packet = decode(line, modes)
            all_ok = all_ok and packet.ok
            sys.stdout.write(jsonout.dumps(packet_json(packet), "compact"))
    raise typer.Exit(0 if all_ok else 1)


@hj212_app.command("encode")
def encode_command(
    file: str = typer.Argument("-", help="File of JSON objects, one per line; '-' reads stdin."),
) -> None:
    """Encode JSON objects (one per line) to packets, one per line, WITHOUT the CR LF.

    Keys: st, cn, pw, mn (required); qn, flag, pnum, pno, data_time (ISO 8601, or
    YYYYMMDDhhmmss; naive = Beijing time), items, factors (optional; missing = omitted).
    The verdict keys of `decode` output (ok, error, crc_ok, deviations) are ignored, so
    `decode` output encodes back.  Exit 1 if any line could not be encoded.
    """
    all_ok = True
    with _open_binary(file) as stream:
        for number, line in enumerate(stream, 1):
            text = line.decode("utf-8-sig" if number == 1 else "utf-8", "replace").strip()
            if not text or text.startswith("#"):
                continue
            try:
                frame = packet_from_json(json.loads(text))
            except (ValueError, TypeError) as exc:
                all_ok = False
                typer.echo(f"line {number}: {exc}", err=True)
                continue
            typer.echo(frame[:-2].decode("utf-8"))
    raise typer.Exit(0 if all_ok else 1)
