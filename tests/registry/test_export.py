"""Export → import round trip, CSV and XLSX."""

from __future__ import annotations

import pytest

from envmon.registry.demo import demo_registry
from envmon.registry.export import export_file, format_factors
from envmon.registry.importer import import_file, import_rows
from envmon.store import open_store


def test_format_factors():
    assert format_factors({"a21026": 35.0, "a21002": 50.5, "a19001": None}) == (
        "a21026:35;a21002:50.5;a19001"
    )


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_import_round_trip(tmp_path, store, suffix):
    import_rows(store, demo_registry(seed=5, points=40))
    store.set_crc_modes(store.list_points()[0].mn, ("modbus",))
    path = tmp_path / f"export{suffix}"
    n = export_file(store, path)
    assert n == len(store.registry_rows())
    with open_store(tmp_path / "copy.duckdb") as copy:
        report = import_file(copy, path)
        assert report.ok and not report.warnings, report
        assert copy.registry_rows() == store.registry_rows()
        assert copy.list_points() == store.list_points()  # limits, o2_ref, standards
        first, second = (p.mn for p in store.list_points()[:2])
        assert copy.point_auth(first).crc_modes == ("modbus",)  # the CRC policy goes along
        assert copy.point_auth(second).crc_modes == ("hj212",)
        for sql in (
            "SELECT code, name, level, parent_code FROM regions ORDER BY code",
            "SELECT unit_id, name, county_code, must_network, assessed FROM units ORDER BY 1",
            "SELECT unit_id, outlet_id, name, kind FROM outlets ORDER BY 1, 2",
            "SELECT mn, factor, limit_value FROM point_factors ORDER BY 1, 2",
        ):
            assert copy.query(sql) == store.query(sql)
