"""数据标记 `/marks`: the marks with filters (status, month), the filing form (point, type,
period, note, proof files) and the review buttons (通过, 驳回 with a reason, 撤回).

The page's script posts to the API (`/api/v1/marks/file`, then each proof file as
multipart to `/api/v1/marks/{id}/proofs`; `approve`, `reject`, `withdraw`) and shows the
answer's status in the row; the API checks every rule (`envmon.marks.review`)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from envmon.errors import OptionError
from envmon.web.compute import compute
from envmon.web.pages.render import Pages


def add_routes(router: APIRouter, pages: Pages) -> None:
    @router.get("/marks")
    async def marks(request: Request, status: str = "", month: str = ""):
        from envmon.marks.api import STATUS_NAMES_ZH, ListOptions, list_marks, mark_types
        from envmon.marks.settings import marks_settings_of

        settings = marks_settings_of(pages.context.config)
        error, rows = None, []
        try:
            options = ListOptions(status or None, month.strip() or None)
            rows = (await compute(request, list_marks, pages.store, settings,
                                  options)).as_json()[::-1]  # newest first
        except OptionError as err:
            error = f"{err.option}: {err.reason}"
        types = [t for t in mark_types(settings).as_json() if t["fileable"]]
        return pages.render(request, "marks.html", "/marks", marks=rows, error=error,
                            status_code=400 if error else 200,
                            filters={"status": status, "month": month},
                            statuses=list(STATUS_NAMES_ZH.items()), types=types)
