"""Bounds of the roads HTTP intake (`roads.intake_http`, `roads.intake_server`): config
`[roads.intake]`, each default with its reason. A new bound is a field here, checked in
`__post_init__` and enforced where its docstring says."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["IntakeLimits"]


@dataclass(frozen=True)
class IntakeLimits:
    """Bounds of the HTTP intake (config `[roads.intake]`); every default says why."""

    max_body_bytes: int = 8 * 1024 * 1024
    """One post: ~60 000 readings of ~130 bytes; whole files go through `roads import`."""
    body_budget_bytes: int = 64 * 1024 * 1024
    """Bodies held at once by all requests (8 full posts); beyond it 503, try again."""
    body_timeout_s: float = 30.0
    """The whole body, once the headers are in: 8 MB at ~2 Mbit/s, a weak mobile link."""
    header_timeout_s: float = 10.0
    """A request's headers, from connect (or from the previous answer): a few hundred bytes."""
    keep_alive_s: float = 5.0
    """An idle kept-alive connection is closed after this long (uvicorn's default)."""
    max_connections: int = 256
    """Open connections; requests beyond it are answered 503 (uvicorn limit_concurrency)."""
    uploads_per_address: int = 16
    """Posts in progress from one client address (a fleet gateway posts a few at a time);
    beyond it 429 at once, so one address with half-sent bodies cannot hold every slot."""
    backlog: int = 128
    """Listen backlog: a burst of taxis connecting at once is queued, not refused."""
    max_json_depth: int = 16
    """Nesting of the JSON body; a valid body needs 3 (object, readings, reading)."""
    import_slots: int = 1
    """Threads parsing and importing; 1 = imports of the road tables one at a time."""

    def __post_init__(self) -> None:
        for name in ("max_body_bytes", "body_budget_bytes", "max_connections",
                     "uploads_per_address", "backlog", "max_json_depth", "import_slots"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"[roads.intake] {name} must be a whole number of at least 1, "
                                 f"not {value!r}")
        for name in ("body_timeout_s", "header_timeout_s", "keep_alive_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ValueError(f"[roads.intake] {name} must be more than 0 seconds, "
                                 f"not {value!r}")
        if self.body_budget_bytes < self.max_body_bytes:
            raise ValueError("[roads.intake] body_budget_bytes must be at least max_body_bytes")
