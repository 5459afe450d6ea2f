"""Migration 11: the exemptions and corrections of a version-10 store become approved marks
with their authors, times and revocations; the figures do not change (nothing counts twice),
and the old commands keep working on the migrated store."""

from __future__ import annotations

from datetime import timedelta

import pytest

from envmon.assess.api import AssessOptions, assess_period
from envmon.period import Period
from envmon.store import open_store, schema

from .conftest import GAS, HOUR, NOV, rec, registry_rows, write

AS_OF = NOV + timedelta(days=40)


def _assessment(store):
    result = assess_period(store, Period.month("2026-11"), AssessOptions("point", as_of=AS_OF))
    return result.as_json()["rows"]


def _build_version_10_store(path, monkeypatch):
    """A store at schema version 10 written by the marks code of that version (the rows of
    `envmon assess exemption|correction add|revoke`, without the mirror into `marks`)."""
    from envmon.assess import marks as old
    from envmon.registry.importer import import_rows

    ten = schema.migrations()[:10]
    with monkeypatch.context() as patch:
        patch.setattr(schema, "SCHEMA_VERSION", 10)
        patch.setattr(schema, "migrations", lambda: ten)
        patch.setattr(old, "mirror_old", lambda *a, **k: None)
        patch.setattr(old, "stamp_revocation", lambda *a, **k: None)
        store = open_store(path)
        assert store.schema_version() == 10
        assert not store.query("SELECT 1 FROM information_schema.tables "
                               "WHERE table_name = 'marks'")
        assert import_rows(store, registry_rows()).ok
        write(store, [rec(GAS, f, NOV + i * HOUR) for i in range(720) if not 48 <= i < 96
                      for f in ("a21026", "a21002", "a34013")])
        at = NOV + 100 * HOUR
        old.add_exemption(store, kind="停产", start=NOV + 48 * HOUR, end=NOV + 96 * HOUR,
                          by="张三", reason="检修", mn=GAS, proof="文件-1", at=at)
        revoked = old.add_exemption(store, kind="停运", start=NOV + 300 * HOUR,
                                    end=NOV + 310 * HOUR, by="张三", reason="误报",
                                    unit_id="91140100MA0GAS0001", proof="文件-2", at=at)
        old.revoke(store, "exemptions", revoked, by="李四", reason="无此事",
                   at=at + HOUR)
        old.add_correction(store, mn=GAS, action="invalidate", start=NOV + 200 * HOUR,
                           end=NOV + 202 * HOUR, by="王五", reason="数据异常",
                           factor="a21026", at=NOV + 203 * HOUR)
        old.add_correction(store, mn=GAS, action="repair", start=NOV + 50 * HOUR,
                           end=NOV + 51 * HOUR, by="王五", reason="补录", value=3.5,
                           proof="手工监测报告", at=NOV + 52 * HOUR)
        figures = _assessment(store)
        store.close()
    return figures


@pytest.mark.duckdb_only
def test_old_exemptions_and_corrections_become_approved_marks_keeping_their_history(
        tmp_path, monkeypatch):
    """DuckDB only: it builds a DuckDB file at schema version 10 and upgrades it (the PostgreSQL
    engine starts at version 12)."""
    from envmon.assess import marks as old
    from envmon.marks import review

    path = tmp_path / "v10.duckdb"
    before = _build_version_10_store(path, monkeypatch)
    with open_store(path) as store:
        # upgraded to the current version, through 11 (later versions add their own steps)
        assert store.schema_version() == schema.SCHEMA_VERSION >= 11
        assert 11 in [m.version for m in schema.migrations()]
        marks = review.list_marks(store)
        assert [(m["type"], m["subtype"], m["effect"], m["source_table"], m["source_id"])
                for m in marks] == [
            ("correction", "repair", "repair", "corrections", 2),  # created first
            ("production", "shutdown", "exempt", "exemptions", 1),
            ("production", "stopped", "exempt", "exemptions", 2),
            ("correction", "invalidate", "invalid", "corrections", 1),
        ]
        assert {m["status"] for m in marks} == {"approved"}
        shutdown, stopped, invalid = marks[1], marks[2], marks[3]
        assert (shutdown["filed_by"], shutdown["filed_at"], shutdown["reviewed_by"],
                shutdown["note"], shutdown["proof_ref"]) == (
            "张三", NOV + 100 * HOUR, "张三", "检修", "文件-1")
        assert stopped["mn"] is None and stopped["unit_id"] == "91140100MA0GAS0001"
        assert (stopped["revoked_by"], stopped["revoked_at"], stopped["revoke_reason"]) == (
            "李四", NOV + 101 * HOUR, "无此事")
        assert (invalid["factor"], invalid["filed_by"]) == ("a21026", "王五")
        assert marks[0]["value"] == 3.5
        # the same figures: the copies point at the rows that carry them, nothing twice
        assert _assessment(store) == before
        # the old commands keep working, and the marks follow them
        old.revoke(store, "exemptions", 1, by="李四", reason="复产", at=AS_OF)
        assert review.get_mark(store, shutdown["id"])["revoked_at"] == AS_OF
        new = old.add_exemption(store, kind="停排", start=NOV, end=NOV + HOUR, by="赵六",
                                reason="停排", mn=GAS, proof="p")
        mirrored = review.list_marks(store)[-1]
        assert (mirrored["id"], mirrored["source_id"], mirrored["subtype"],
                mirrored["status"]) == (5, new, "no_discharge", "approved")
