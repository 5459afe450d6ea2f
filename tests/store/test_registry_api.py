"""The store's registry side: point auth, CRC policy, point list, registry rows."""

from __future__ import annotations

import pytest

from envmon.registry.demo import demo_registry
from envmon.registry.importer import import_rows
from envmon.store import PointAuth, UnknownPointError


@pytest.fixture
def demo_store(store):
    import_rows(store, demo_registry(seed=2, points=30))
    return store


def test_empty_registry(store):
    assert store.list_points() == []
    assert store.load_point_auth() == {}
    assert store.point_auth("X") is None
    assert store.registry_rows() == []


def test_point_auth_and_cache(demo_store):
    points = demo_store.list_points()
    auth = demo_store.load_point_auth()
    assert set(auth) == {p.mn for p in points}
    p = points[0]
    assert auth[p.mn] == PointAuth(p.mn, p.pw, p.unit_id, p.kind, ("hj212",))
    assert demo_store.point_auth(p.mn) == auth[p.mn]


def test_set_crc_modes(demo_store):
    mn = demo_store.list_points()[0].mn
    demo_store.set_crc_modes(mn, ("modbus", "hj212", "modbus"))
    assert demo_store.point_auth(mn).crc_modes == ("modbus", "hj212")
    assert demo_store.load_point_auth()[mn].crc_modes == ("modbus", "hj212")
    with pytest.raises(ValueError, match="unknown CRC mode crc32"):
        demo_store.set_crc_modes(mn, ("crc32",))
    with pytest.raises(ValueError, match="at least one"):
        demo_store.set_crc_modes(mn, ())
    with pytest.raises(UnknownPointError, match="unknown MN"):
        demo_store.set_crc_modes("NOPE", ("hj212",))


def test_point_info_fields(demo_store):
    for p in demo_store.list_points():
        assert p.kind in ("gas", "water")
        assert p.county_code[:4] == p.city_code[:4] and p.city_code.endswith("00")
        assert p.unit_name and p.outlet_name and len(p.pw) == 6
        if p.kind == "gas":
            assert p.factors == {"a21026": 35.0, "a21002": 50.0, "a34013": 10.0}
            assert p.o2_ref == 6.0
        else:
            assert p.factors == {"w01018": 50.0, "w21003": 5.0} and p.o2_ref is None


def test_registry_views_for_analytics(demo_store):
    (n_points,) = demo_store.query("SELECT COUNT(*) FROM point_registry")[0]
    assert n_points == 30
    by_city = demo_store.query(
        "SELECT city_code, city, COUNT(*) FROM point_registry GROUP BY 1, 2 ORDER BY 1"
    )
    assert all(name and name.endswith("市") for _, name, _ in by_city)
    must = demo_store.query("SELECT COUNT(*) FROM unit_registry WHERE must_network AND points = 0")[
        0
    ][0]
    assert must >= 3  # units that must network but have no point yet
