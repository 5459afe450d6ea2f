"""envmon.registry.api: import, export, CRC policy and demo file without the CLI."""

from __future__ import annotations

import pytest

from envmon.errors import OptionError
from envmon.registry.api import (
    CrcMode,
    CrcOptions,
    DemoOptions,
    ExportOptions,
    ImportOptions,
    RegistryFileError,
    demo_registry,
    export_registry,
    import_registry,
    set_crc,
)

from .conftest import MN_1, MN_2, csv_text, line


def test_import_export_and_crc(tmp_path, store):
    path = tmp_path / "r.csv"
    path.write_text(csv_text(line(), line(outlet_id="DA002", mn=MN_2, county_code="150105")),
                    encoding="utf-8")
    result = import_registry(store, ImportOptions(path))
    assert not result.ok and result.report.rows_imported == 1
    data = result.as_json()
    assert data["points"] == {"new": 1, "updated": 0} and data["rows_read"] == 2
    assert "county_code: 150105 is not in city 140100" in data["rejected"][0]
    written = export_registry(store, ExportOptions(tmp_path / "out.xlsx"))
    assert written.rows == 1 and written.path.exists()
    policy = set_crc(store, CrcOptions(MN_1, ("modbus", "hj212", "modbus")))
    assert policy.as_json() == {"mn": MN_1, "crc_modes": ["modbus", "hj212"]}
    assert store.point_auth(MN_1).crc_modes == ("modbus", "hj212")
    with pytest.raises(OptionError, match="unknown MN 'NOPE'"):
        set_crc(store, CrcOptions("NOPE", (CrcMode.HJ212,)))
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(RegistryFileError):
        import_registry(store, ImportOptions(empty))


def test_demo_file(tmp_path):
    written = demo_registry(DemoOptions(tmp_path / "demo.csv", points=7, seed=2))
    data = written.as_json()
    assert data["path"] == str(tmp_path / "demo.csv") and data["points"] == 7
    lines = (tmp_path / "demo.csv").read_text(encoding="utf-8").strip().splitlines()
    assert data["rows"] == len(lines) - 1 >= 7  # a header, then one row per point or unit


def test_invalid_options_name_the_option(tmp_path):
    with pytest.raises(OptionError) as err:
        CrcOptions(MN_1, ("xor",))
    assert err.value.option == "--mode" and "unknown CRC mode xor" in err.value.reason
    with pytest.raises(OptionError) as err:
        ExportOptions(tmp_path / "r.json")
    assert err.value.option == "FILE" and "use a .csv or .xlsx" in err.value.reason
    with pytest.raises(OptionError) as err:
        DemoOptions(tmp_path / "d.csv", points=-1)
    assert err.value.option == "--points"


def test_one_registry_file_error_a_user_error_and_a_value_error():
    from envmon.errors import EnvmonError
    from envmon.registry import importer

    assert RegistryFileError is importer.RegistryFileError
    assert issubclass(RegistryFileError, EnvmonError) and issubclass(RegistryFileError, ValueError)


def test_known_units_from_the_repository(tmp_path, store):
    from envmon.registry.api import require_known_unit

    from .conftest import UNIT_A, UNIT_B

    path = tmp_path / "r.csv"
    path.write_text(csv_text(line()), encoding="utf-8")
    import_registry(store, ImportOptions(path))
    assert store.unit_exists(UNIT_A) and not store.unit_exists(UNIT_B)
    assert store.unit_names([UNIT_A, UNIT_B, UNIT_A]) == {UNIT_A: "小店恒泰热电有限公司"}
    assert store.unit_names([]) == {}
    require_known_unit(store, UNIT_A)
    with pytest.raises(OptionError) as err:
        require_known_unit(store, UNIT_B, "unit")
    assert err.value.option == "unit" and err.value.reason == f"no unit {UNIT_B!r} in the registry"
