"""Opening a file this envmon cannot use says so in one line: which file, what wrote it, what to
do (never a traceback, never a change to the file).

The newer storage format is made for real: a DuckDB file whose header names a storage version
this DuckDB does not read, with the header's checksum made right again, exactly what a file
from a future DuckDB looks like to this one.
"""

from __future__ import annotations

import re
import struct

import duckdb
import pytest
from typer.testing import CliRunner

from envmon.cli import app
from envmon.store import SchemaError, StoreFormatError, open_store
from envmon.store import schema as store_schema
from envmon.store.duckdb_compat import open_error

runner = CliRunner()
_VERSION_AT = 12  # DuckDB main header: 8-byte checksum, b"DUCK", storage version (uint64 LE)


def future_duckdb_file(path) -> None:
    """A DuckDB file claiming a storage version 100 past this DuckDB's, checksum repaired."""
    duckdb.connect(str(path)).close()
    data = bytearray(path.read_bytes())
    assert data[8:12] == b"DUCK"
    version = struct.unpack_from("<Q", data, _VERSION_AT)[0]
    struct.pack_into("<Q", data, _VERSION_AT, version + 100)
    path.write_bytes(data)
    try:  # DuckDB names the checksum the edited header should carry
        duckdb.connect(str(path)).close()
    except duckdb.Error as error:
        computed = re.search(r"computed checksum (\d+)", str(error))
        assert computed, error
        struct.pack_into("<Q", data, 0, int(computed[1]))
        path.write_bytes(data)


def one_line_error(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        result.exception
    lines = [line for line in result.output.splitlines() if line.strip()]
    text = " ".join(" ".join(lines).split())
    assert "Traceback" not in result.output and text.startswith("error:"), result.output
    return text


@pytest.mark.duckdb_only
def test_a_store_from_a_newer_duckdb_is_named_as_such(tmp_path):
    """DuckDB only: it writes DuckDB file headers and damaged or foreign files; a PostgreSQL
    database has no file."""
    path = tmp_path / "future.duckdb"
    future_duckdb_file(path)
    before = path.read_bytes()
    for read_only in (False, True):
        with pytest.raises(StoreFormatError) as info:
            open_store(path, read_only=read_only)
        message = str(info.value)
        assert "\n" not in message and str(path) in message
        assert "written by a newer version of DuckDB (storage version" in message
        assert f"this envmon's DuckDB {duckdb.__version__} cannot read" in message
        assert "upgrade envmon" in message
    text = one_line_error(["serve", "--db", str(path), "--hj212-port", "0"])
    assert "written by a newer version of DuckDB" in text
    assert path.read_bytes() == before  # never touched


@pytest.mark.parametrize("content", [b"", b"hello\n", bytes(range(256)) * 64,
                                     b"SQLite format 3\x00" + bytes(4080)])
@pytest.mark.duckdb_only
def test_a_file_that_is_not_a_duckdb_store_is_named_as_such(tmp_path, content):
    """DuckDB only: it writes DuckDB file headers and damaged or foreign files; a PostgreSQL
    database has no file."""
    path = tmp_path / "other.duckdb"
    path.write_bytes(content)
    with pytest.raises(StoreFormatError, match="it is (not a DuckDB database file|a SQLite)"):
        open_store(path, read_only=True)
    text = one_line_error(["data", "--db", str(path), "--mn", "X", "--cn", "2061"])
    assert f"cannot open {path}: it is " in text and "not an envmon store" in text
    assert "move that file away" in text
    if content.startswith(b"SQLite"):  # named, and never handed to DuckDB (it would try to
        assert "it is a SQLite database, not a DuckDB one" in text  # download an extension)
    assert path.read_bytes() == content


@pytest.mark.duckdb_only
def test_a_damaged_store_is_named_as_such(tmp_path):
    """DuckDB only: it writes DuckDB file headers and damaged or foreign files; a PostgreSQL
    database has no file."""
    path = tmp_path / "cut.duckdb"
    open_store(path).close()
    path.write_bytes(path.read_bytes()[:5000])  # a copy cut short
    with pytest.raises(StoreFormatError, match="the DuckDB file is damaged"):
        open_store(path)


def test_a_store_from_a_newer_envmon_is_one_line_naming_what_to_do(tmp_path):
    path = tmp_path / "newer-schema.duckdb"
    with open_store(path) as store:
        store.execute("INSERT INTO schema_version VALUES (?, now())",
                      [store_schema.SCHEMA_VERSION + 1])
    text = one_line_error(["data", "--db", str(path), "--mn", "X", "--cn", "2061"])
    assert (f"schema version {store_schema.SCHEMA_VERSION + 1} was written by a newer envmon"
            in text)
    assert "upgrade envmon, or open the file with the envmon that wrote it" in text
    with pytest.raises(SchemaError):
        open_store(path)


@pytest.mark.parametrize(("duckdb_text", "expected"), [
    # DuckDB 1.1+ (storage compatibility ranges)
    ("IO Error: Trying to read a database file with storage version number 70, but we can only "
     "read storage versions between 64 and 69.\nThe database file was created with a newer "
     "version of DuckDB.\n\nNewer DuckDB version might …",
     "written by a newer version of DuckDB (storage version 70), which this envmon's DuckDB"),
    # DuckDB 0.10 / 1.0 wording
    ("IO Error: Trying to read a database file with version number 65, but we can only read "
     "version 64.\nThe database file was created with DuckDB version v1.1.0.\n\nThe storage …",
     "written by DuckDB version v1.1.0 (storage version 65)"),
    ("IO Error: Trying to read a database file with storage version number 9, but we can only "
     "read storage versions between 64 and 69.\nThe database file was created with an older "
     "development version of DuckDB.",
     "EXPORT DATABASE"),
    ("Serialization Error: Failed to deserialize: this file was written with serialization "
     "version 9 of a newer DuckDB",
     "written by a DuckDB with a newer storage format"),
])
def test_duckdb_refusals_map_to_one_clear_line(duckdb_text, expected):
    error = open_error("/data/envmon.duckdb", duckdb.IOException(duckdb_text))
    assert error is not None
    message = str(error)
    assert "\n" not in message and message.startswith("cannot open /data/envmon.duckdb: ")
    assert expected in message


def test_other_duckdb_errors_are_left_to_the_caller():
    assert open_error("x.duckdb", duckdb.IOException("IO Error: Permission denied")) is None
