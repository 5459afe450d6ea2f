"""Instrument ranges per point factor (schema version 7): imported from the `ranges` column
(量程), kept in `point_factors.range_min/range_max`, handed to the receiver with the point's
credentials, exported and read back (emissions.md §8: the range is per analyser, registry)."""

from __future__ import annotations

from envmon.registry.export import export_file
from envmon.registry.importer import import_file, import_rows
from envmon.store import open_store

from .conftest import MN_1, UNIT_A


def line(**kw: str) -> dict[str, str]:
    return {
        "city_code": "140100", "county_code": "140105", "unit_id": UNIT_A,
        "unit_name": "小店恒泰热电有限公司", "outlet_id": "DA001", "kind": "gas", "mn": MN_1,
        "pw": "123456", "factors": "a21026:35;a21002:50;a34013:10", "o2_ref": "6", **kw,
    }  # fmt: skip


def test_ranges_are_imported_kept_handed_to_the_receiver_and_exported(tmp_path, store):
    row = {**line(), "ranges": "a21026:0~2000;a21002:~500"}
    report = import_rows(store, [row])
    assert report.ok, report
    assert store.point_auth(MN_1).ranges == {"a21026": (0.0, 2000.0), "a21002": (None, 500.0)}
    assert store.load_point_auth()[MN_1].ranges == store.point_auth(MN_1).ranges
    path = tmp_path / "export.csv"
    export_file(store, path)
    assert "a21026:0~2000;a21002:~500" in path.read_text(encoding="utf-8-sig")
    with open_store(tmp_path / "copy.duckdb") as copy:
        assert import_file(copy, path).ok
        assert copy.point_auth(MN_1).ranges == store.point_auth(MN_1).ranges
    # re-import without the column: the point's factor set (and its ranges) is replaced
    assert import_rows(store, [line()]).ok
    assert store.point_auth(MN_1).ranges == {}


def test_a_bad_range_is_an_error_naming_the_column(store):
    for text, why in (("a21026:2000~0", "lower end 2000 is not below upper end 0"),
                      ("a21026:0-2000", "is not code:low~high"),
                      ("a21026:~", "neither end"),
                      ("a21026:0~inf", "is not a finite number"),
                      ("a19001:0~25", "not among the point's factors")):
        report = import_rows(store, [{**line(), "ranges": text}])
        assert not report.ok
        assert any(p.column == "ranges" and why in str(p) for p in report.rejected), (
            text, [str(p) for p in report.rejected])
