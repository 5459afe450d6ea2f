"""`after_write(request)`: what a successful change through the web tells the rest of the
process, at once rather than after the next timer:

* the shared results (`api.cache`) are emptied, so whoever changed something sees it (and
  only a write that succeeded empties them: a refused or failed request keeps them);
* the alarm engine refreshes (`AlarmEngine.refresh_soon`): an alarm closed by hand is no
  longer open for it (a recurring exceedance is raised again), an exemption added or
  revoked is in force for its offline rule.

Called by every write endpoint (alarms, marks) after its use case returned.
"""

from __future__ import annotations

from fastapi import Request

__all__ = ["after_write"]


def after_write(request: Request) -> None:
    results = getattr(request.app.state, "shared_results", None)
    if results is not None:
        results.clear()
    platform = request.app.state.context.platform
    engine = getattr(platform, "alarms", None)
    if engine is not None:
        engine.refresh_soon()
