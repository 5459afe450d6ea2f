"""The REST API under `/api/v1`: one router module per domain, one endpoint per use case of
`envmon.<domain>.api`, made by the one mechanism of `usecase` (query → options → use case in a
thread → `envmon.render` → ETag). A new domain: a module here with ``router`` and its builders,
listed in `ROUTERS`."""

from __future__ import annotations

ROUTERS = ("air", "alarms", "assess", "audit", "auth", "command", "data", "data_marks",
           "emergency", "emissions", "events", "grade", "keys", "marks", "overview", "portal",
           "receiver", "records", "registry", "report", "roads", "screen", "store",
           "supervision", "users")
"""The modules of this package whose ``router`` `envmon.web.app.create_app` includes."""
