"""报警 `/alarms`: the list with filters (status, rule, MN), acknowledge and close with a note.

The buttons post to the API (`POST /api/v1/alarms/{id}/acknowledge|close`, JSON `{"by",
"note"}`); the page's script replaces the row with the answer.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from envmon.alarms.api import AlarmListOptions, AlarmRule, AlarmStatus, list_alarms
from envmon.alarms.config import RULE_NAMES_ZH
from envmon.errors import OptionError
from envmon.web.compute import compute
from envmon.web.pages.render import Pages

PAGE_LIMIT = 500  # newest first; a province's alarms of months would make a page no one reads


def add_routes(router: APIRouter, pages: Pages) -> None:
    @router.get("/alarms")
    async def alarms(request: Request, status: str = "", rule: str = "", mn: str = ""):
        error = None
        try:
            options = AlarmListOptions(status=status or None, rule=rule or None,
                                       mn=mn.strip() or None)
            listed = await compute(request, list_alarms, pages.store, options)
            rows = []
            for alarm in reversed(listed.alarms[-PAGE_LIMIT:]):
                row = alarm.as_json()
                row["unit_name"] = listed.unit_names.get(alarm.unit_id) or alarm.unit_id or ""
                row["rule_name"] = RULE_NAMES_ZH.get(alarm.rule, alarm.rule)
                rows.append(row)
        except OptionError as err:
            rows, error = [], f"{err.option}: {err.reason}"
        return pages.render(request, "alarms.html", "/alarms", alarms=rows, error=error,
                            status_code=400 if error else 200,
                            filters={"status": status, "rule": rule, "mn": mn},
                            statuses=[s.value for s in AlarmStatus],
                            rules=[(r.value, RULE_NAMES_ZH.get(r.value, r.value))
                                   for r in AlarmRule])
