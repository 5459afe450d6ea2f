"""Why DuckDB cannot open a file, in one line naming the file, what wrote it and what to do.

DuckDB refuses a file written by a newer storage format ("Trying to read a database file with
storage version number N, but we can only read storage versions between A and B. The
database file was created with …"), a file that is not a DuckDB database at all ("… exists,
but it is not a valid DuckDB database file!") and a damaged one ("Corrupt database file: …",
"Could not read enough bytes …"). Its text spans several lines and points at its own docs;
`open_error` turns each into a `StoreFormatError` a user can act on. A DuckDB error this
module does not recognise keeps DuckDB's first line. A new pattern goes in `open_error`.
"""

from __future__ import annotations

import re

import duckdb

from envmon.store.errors import StoreFormatError

_STORAGE_VERSION = re.compile(
    r"with (?:storage )?version number (?P<file>\d+), but we can only read "
    r"(?:storage )?versions? (?:between (?P<low>\d+) and (?P<high>\d+)|up to (?P<upto>\d+)|"
    r"(?P<only>\d+))"
)
_CREATED_WITH = re.compile(r"created with (?P<who>[^\n.]*(?:\.\d+)*)")


def check_file(path: str) -> StoreFormatError | None:
    """Refuse a file that is not a DuckDB database before DuckDB sees it: DuckDB sniffs some
    other formats and, for a SQLite file, tries to download an extension to read it. Every
    DuckDB file has b"DUCK" at offset 8; an empty or missing file is DuckDB's to judge."""
    try:
        with open(path, "rb") as file:
            head = file.read(16)
    except OSError:
        return None
    if not head or head[8:12] == b"DUCK":
        return None
    what = ("a SQLite database, not a DuckDB one" if head.startswith(b"SQLite format 3")
            else f"not a DuckDB database file (it starts with {head!r})")
    return StoreFormatError(
        f"cannot open {path}: it is {what}, so not an envmon store; give the path of an envmon "
        "store (--db), or move that file away to start a new store there"
    )


def open_error(path: str, error: Exception) -> StoreFormatError | None:
    """The clear form of DuckDB's refusal to open `path`, or None if it is about something
    else (a lock, permissions: the caller says those)."""
    text = str(error)
    first = _first_line(text)
    version = _STORAGE_VERSION.search(text)
    if version is not None:
        created = _CREATED_WITH.search(text)
        who = created["who"].strip() if created else "another version of DuckDB"
        limit = version["high"] or version["upto"] or version["only"]
        readable = f"{version['low']}-{limit}" if version["low"] else f"up to {limit}"
        file_version = int(version["file"])
        newer = "newer" in who or file_version > int(limit)
        if newer:
            todo = ("upgrade envmon (it brings the DuckDB that reads it), or open the file "
                    "with the envmon that wrote it")
        else:
            todo = ("export it with the DuckDB that wrote it (EXPORT DATABASE) and import that "
                    "here (IMPORT DATABASE)")
        return StoreFormatError(
            f"cannot open {path}: it was written by {who} (storage version {file_version}), "
            f"which this envmon's DuckDB {duckdb.__version__} cannot read (it reads storage "
            f"versions {readable}); {todo}"
        )
    if "not a valid DuckDB database file" in text:
        return StoreFormatError(
            f"cannot open {path}: it is not a DuckDB database file{_starts_with(path)}, so not "
            "an envmon store; give the path of an envmon store (--db), or move that file "
            "away to start a new store there"
        )
    if any(sign in text for sign in ("Corrupt database file", "Could not read enough bytes",
                                     "checksum")):
        return StoreFormatError(
            f"cannot open {path}: the DuckDB file is damaged ({first}); restore it from a "
            "copy (a schema migration keeps one as <file>.schema-v<N>.bak)"
        )
    if "serializ" in text.lower() and "version" in text.lower():
        return StoreFormatError(
            f"cannot open {path}: it was written by a DuckDB with a newer storage format "
            f"than this envmon's DuckDB {duckdb.__version__} reads ({first}); upgrade envmon, "
            "or open the file with the envmon that wrote it"
        )
    return None


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else text
    return line.removeprefix("IO Error: ").strip()


def _starts_with(path: str) -> str:
    """' (it starts with …)' with the first bytes shown, to tell a SQLite file or a text file
    given by mistake; '' if the file cannot be read or is empty."""
    try:
        with open(path, "rb") as file:
            head = file.read(16)
    except OSError:
        return ""
    if not head:
        return " (it is empty)"
    return f" (it starts with {head!r})"
