"""The suite's engine switch (tests/engine_switch): on the PostgreSQL pass a DuckDB path is a
PostgreSQL database, in this process and in a subprocess, and a copied store file is a copy of
its database (made when the copy is first opened: the suite copies stores it no longer writes);
on the DuckDB pass nothing changes."""

from __future__ import annotations

import shutil
import subprocess
import sys

import envmon_test_engine

from envmon.store import open_store

EXPECTED = "postgresql" if envmon_test_engine.enabled() else "duckdb"
READ = ("import sys; from envmon.store import open_store; s = open_store(sys.argv[1], "
        "read_only=True); print(s.engine, s.query('SELECT COUNT(*) FROM regions')[0][0])")


def test_a_path_opens_the_pass_engine_here_and_in_a_subprocess(tmp_path):
    path = tmp_path / "x.duckdb"
    with open_store(path) as store:
        assert store.engine == EXPECTED and store.target == str(path)
        store.execute("INSERT INTO regions (code, name, level) VALUES ('140000', '山西省', "
                      "'province')")
    copy = tmp_path / "copy.duckdb"
    shutil.copy(path, copy)
    child = subprocess.run([sys.executable, "-c", READ, str(copy)], capture_output=True,
                           text=True, timeout=60)
    assert child.stdout.split() == [EXPECTED, "1"], child.stderr
    with open_store(copy) as store:
        store.execute("DELETE FROM regions")
    with open_store(path, read_only=True) as store:
        assert store.query("SELECT COUNT(*) FROM regions") == [(1,)]
