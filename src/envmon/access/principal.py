"""`Principal`: who a request or a command acts as.

Set on every web request by `envmon.web.gate` at ``request.state.principal``: a user (by an
API token or a page session), the local operator (`access.operator`, the CLI on the machine
that owns the store), or — while no user exists at all — the open local principal of a
loopback client (`OPEN_LOCAL`).
"""

from __future__ import annotations

from dataclasses import dataclass

from envmon.access.roles import AUDIT_ROLES, WRITE_ROLES
from envmon.access.scope import Scope

__all__ = ["OPEN_LOCAL_NAME", "Principal", "open_local", "operator"]

OPEN_LOCAL_NAME = "本机(未启用用户)"


@dataclass(frozen=True)
class Principal:
    username: str
    role: str
    region: str | None = None
    unit_id: str | None = None
    via: str = "token"  # token | session | operator | open
    csrf: str | None = None  # a page session's CSRF token

    @property
    def can_write(self) -> bool:
        return self.role in WRITE_ROLES

    @property
    def can_audit(self) -> bool:
        return self.role in AUDIT_ROLES

    @property
    def is_open(self) -> bool:
        """The open local principal of a store without users (nobody logged in)."""
        return self.via == "open"

    @property
    def scope(self) -> Scope:
        if self.unit_id:
            return Scope.of_unit(self.unit_id)
        if self.region:
            return Scope.of_region(self.region)
        return Scope.everything()


def open_local() -> Principal:
    return Principal(OPEN_LOCAL_NAME, "admin", via="open")


def operator(os_user: str) -> Principal:
    return Principal(f"本机操作员({os_user})", "admin", via="operator")
