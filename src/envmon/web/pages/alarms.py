"""报警 `/alarms`: the list with filters (status, rule, MN), newest first, `PAGE_SIZE` a page
(`?page=`, the filters kept in the page links), acknowledge and close with a note.

A row's button opens a small dialog asking who acts (处理人, required) and why (备注, required
to close); it posts to the API (`POST /api/v1/alarms/{id}/acknowledge|close`, JSON `{"by",
"note"}`) and the page's script shows the answer's status in the row.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request

from envmon.alarms.api import AlarmListOptions, AlarmRule, AlarmStatus, list_alarms
from envmon.alarms.config import RULE_NAMES_ZH
from envmon.errors import OptionError
from envmon.web.compute import compute
from envmon.web.pages.render import Pages

PAGE_SIZE = 50  # rows a page: a screen or two to scan; older ones are a page link away


def page_number(text: str) -> int:
    """`?page=` (1, 2, …), `OptionError` "page" otherwise."""
    try:
        page = int(text or "1")
    except ValueError:
        raise OptionError("page", f"{text!r} is not a page number (1, 2, …)") from None
    if page < 1:
        raise OptionError("page", f"{page} is not a page number (1, 2, …)")
    return page


def page_links(filters: dict[str, str], page: int, pages: int) -> list[tuple[int, str]]:
    """(number, href) of the first, last and nearby pages, the filters kept."""
    kept = {k: v for k, v in filters.items() if v}
    shown = sorted({1, pages, *range(max(1, page - 3), min(pages, page + 3) + 1)})
    return [(n, "/alarms?" + urlencode({**kept, "page": n})) for n in shown]


def add_routes(router: APIRouter, pages: Pages) -> None:
    @router.get("/alarms")
    async def alarms(request: Request, status: str = "", rule: str = "", mn: str = "",
                     page: str = "1"):
        error, total, number = None, 0, 1
        try:
            number = page_number(page)
            options = AlarmListOptions(status=status or None, rule=rule or None,
                                       mn=mn.strip() or None)
            listed = await compute(request, list_alarms, pages.store, options)
            total = len(listed.alarms)
            newest_first = listed.alarms[::-1]
            rows = []
            for alarm in newest_first[(number - 1) * PAGE_SIZE:number * PAGE_SIZE]:
                row = alarm.as_json()
                row["unit_name"] = listed.unit_names.get(alarm.unit_id) or alarm.unit_id or ""
                rows.append(row)
        except OptionError as err:
            rows, error = [], f"{err.option}: {err.reason}"
        filters = {"status": status, "rule": rule, "mn": mn}
        last = max(1, -(-total // PAGE_SIZE))
        return pages.render(request, "alarms.html", "/alarms", alarms=rows, error=error,
                            status_code=400 if error else 200, filters=filters,
                            total=total, page=number, page_links=page_links(filters, number,
                                                                            last),
                            statuses=[s.value for s in AlarmStatus],
                            rules=[(r.value, RULE_NAMES_ZH.get(r.value, r.value))
                                   for r in AlarmRule])
