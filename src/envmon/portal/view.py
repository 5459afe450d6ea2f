"""Which unit's portal a principal may open (`unit_in_view`): an enterprise its own unit
only, a bureau role the units of its scope (`access.scope.Scope`), nobody else. Anything
else is "not found" for the caller (a 404 that does not say whether the unit exists)."""

from __future__ import annotations

from envmon.access.principal import Principal

__all__ = ["PORTAL_WRITERS", "unit_in_view", "units_in_view"]

PORTAL_WRITERS = frozenset({"enterprise", "admin", "bureau", "district"})
"""Who may act through the portal (answer alarms and notices, file marks): the enterprise
for itself, and the bureau roles that write for a unit of their scope."""


def unit_in_view(store, principal: Principal | None, requested: str | None) -> str | None:
    """The unit the principal sees the portal of; None: not found (for this principal)."""
    if principal is None:
        return None
    if principal.role == "enterprise":
        own = principal.unit_id
        if not own or (requested and requested != own):
            return None
        return own
    if not requested:
        return None
    rows = store.query("SELECT county_code FROM units WHERE unit_id = ?", [requested])
    if not rows or not principal.scope.allows_unit(requested, rows[0][0]):
        return None
    return requested


def units_in_view(store, principal: Principal | None) -> list[tuple[str, str]]:
    """(unit_id, name) of the units whose portal the principal may open, by name: what a
    bureau user picks from on `/portal`."""
    if principal is None:
        return []
    rows = store.query("SELECT unit_id, name, county_code FROM units ORDER BY name, unit_id")
    if principal.role == "enterprise":
        return [(u, n) for u, n, _ in rows if u == principal.unit_id]
    return [(u, n) for u, n, county in rows if principal.scope.allows_unit(u, county)]
