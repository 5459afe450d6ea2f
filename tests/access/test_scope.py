"""`Scope`: all, a region prefix (GB/T 2260 province/city/county), one unit."""

from __future__ import annotations

from envmon.access.principal import Principal
from envmon.access.scope import Scope, region_prefix


def test_region_prefixes_follow_gbt_2260_levels():
    assert region_prefix("140000") == "14"
    assert region_prefix("140100") == "1401"
    assert region_prefix("140105") == "140105"


def test_a_region_scope_allows_its_units_only():
    city = Scope.of_region("140100")
    assert city.allows_unit("U1", "140105")
    assert not city.allows_unit("U2", "140202")
    assert city.allows_region("140105") and city.allows_region("140100")
    assert not city.allows_region("140000")  # the province is more than the city
    assert not city.allows_unit("U3", None)


def test_a_unit_scope_allows_that_unit_only():
    own = Scope.of_unit("U1")
    assert own.allows_unit("U1", "140105")
    assert not own.allows_unit("U2", "140105")
    assert not own.allows_region("140105")


def test_everything_allows_everything_and_principals_carry_their_scope():
    assert Scope.everything().allows_unit("any", None)
    assert Principal("a", "admin").scope.is_all
    assert Principal("d", "district", region="140105").scope == Scope.of_region("140105")
    assert Principal("e", "enterprise", region="140105", unit_id="U1").scope == \
        Scope.of_unit("U1")
    assert Principal("a", "admin").can_write and Principal("d", "district").can_write
    for role in ("readonly", "officer", "enterprise"):
        assert not Principal("x", role).can_write
