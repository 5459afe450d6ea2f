"""CLI commands: ``envmon hj212 decode|encode`` (HJ 212-2017/2025 packets <-> JSON lines).

``decode`` reads packets one per line and prints one JSON object per packet; ``encode`` reads
JSON objects of the same shape and prints the packets.  The two round-trip: the output of
``encode`` decodes to the same fields, and ``decode`` output can be fed back to ``encode``.
HJ 212-2025 (issue 16): ``--key HEX`` / ``--key-file F`` give the SM4 key (32 hex digits) of
encrypted packets; ``encode --version 2025`` builds 2025 packets, encrypted with the key and
split into PNUM/PNO parts over 1 024 characters.  The key is never printed.
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
from envmon.hj212.jsonform import packet_json, packets_from_json
from envmon.hj212.sm4 import parse_key, single_key
from envmon.render import jsonout

__all__ = ["hj212_app", "register"]

hj212_app = typer.Typer(
    name="hj212",
    help="HJ 212-2017/2025 packets: decode to JSON lines, encode from JSON lines.",
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


_KEY_HELP = "SM4 key of HJ 212-2025 encrypted packets: 32 hex digits."
_KEY_FILE_HELP = "File holding the SM4 key (32 hex digits), instead of --key."


def _key(key: str | None, key_file: str | None) -> bytes | None:
    """The key of --key or --key-file; a bad one is one line naming the option, exit 2."""
    with user_errors():
        if key is not None and key_file is not None:
            raise OptionError("--key", "give --key or --key-file, not both")
        if key_file is not None:
            from envmon.cli.keyfiles import read_key_file

            key, option = read_key_file(key_file), "--key-file"
        else:
            option = "--key"
        if key is None:
            return None
        try:
            return parse_key(key)
        except ValueError as error:
            raise OptionError(option, str(error)) from None


@hj212_app.command("decode")
def decode_command(
    file: str = typer.Argument("-", help="File of packets, one per line; '-' reads stdin."),
    crc_mode: list[str] | None = typer.Option(
        None,
        "--crc-mode",
        help="Accepted CRC algorithm; repeat to accept several "
        f"({', '.join(CRC_MODES)}). Default: hj212 only.",
    ),
    key: str | None = typer.Option(None, "--key", help=_KEY_HELP),
    key_file: str | None = typer.Option(None, "--key-file", help=_KEY_FILE_HELP),
) -> None:
    """Decode packets (one per line) to JSON lines. Exit 1 if any packet is rejected.

    Blank lines and '#' comment lines are skipped; the trailing CR LF is optional.
    An encrypted HJ 212-2025 packet without --key is rejected with key_error "no_key".
    """
    lookup = None
    sm4_key = _key(key, key_file)
    if sm4_key is not None:
        lookup = single_key(sm4_key)
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
            packet = decode(line, modes, lookup)
            all_ok = all_ok and packet.ok
            sys.stdout.write(jsonout.dumps(packet_json(packet), "compact"))
    raise typer.Exit(0 if all_ok else 1)


@hj212_app.command("encode")
def encode_command(
    file: str = typer.Argument("-", help="File of JSON objects, one per line; '-' reads stdin."),
    version: str | None = typer.Option(
        None, "--version",
        help="Protocol version of the packets: 2017 or 2025 (sets Flag's version bits). "
        "Default: as each object's flag says.",
    ),
    key: str | None = typer.Option(None, "--key", help=_KEY_HELP + " Encrypts 2025 packets."),
    key_file: str | None = typer.Option(None, "--key-file", help=_KEY_FILE_HELP),
) -> None:
    """Encode JSON objects (one per line) to packets, one per line, WITHOUT the CR LF.

    Keys: st, cn, pw, mn (required); qn, flag, pnum, pno, data_time (ISO 8601, or
    YYYYMMDDhhmmss; naive = Beijing time), items, factors (optional; missing = omitted).
    The verdict keys of `decode` output (ok, error, crc_ok, deviations) are ignored, so
    `decode` output encodes back.  Exit 1 if any line could not be encoded.
    HJ 212-2025: "resent": true writes RF=1 (refused in an older packet); with --version
    2025 the commands HJ 212-2025 §6.4.4 names (2xxx, 1014, 3020) are encrypted when a key
    is given, and a message whose data segment as sent would exceed 1 024 characters is
    split into PNUM/PNO packets (one per line).
    """
    with user_errors():
        if version is not None and version not in ("2017", "2025"):
            raise OptionError("--version", f"{version!r} is not 2017 or 2025")
    sm4_key = _key(key, key_file)
    year = int(version) if version is not None else None
    all_ok = True
    with _open_binary(file) as stream:
        for number, line in enumerate(stream, 1):
            text = line.decode("utf-8-sig" if number == 1 else "utf-8", "replace").strip()
            if not text or text.startswith("#"):
                continue
            try:
                frames = packets_from_json(json.loads(text), year, sm4_key)
            except (ValueError, TypeError) as exc:
                all_ok = False
                typer.echo(f"line {number}: {exc}", err=True)
                continue
            for frame in frames:
                typer.echo(frame[:-2].decode("utf-8"))
    raise typer.Exit(0 if all_ok else 1)
