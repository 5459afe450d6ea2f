"""督办 `/supervision` (cases by stage with counts, filters, a case's timeline at
`?case=ID`, action buttons posting to `/api/v1/supervision/…`) and 分级分类 `/grades` (the
month's units with grade and reasons; `?unit=` a unit's history). The use cases are
`envmon.supervision.api` and `envmon.grading.api`; no SQL here."""

from __future__ import annotations

from fastapi import APIRouter, Request

from envmon.errors import EnvmonError
from envmon.supervision.states import STAGE_ZH, allowed_actions
from envmon.web.compute import compute
from envmon.web.pages.render import Pages

# A case's allowed transitions as the page's buttons: (button, dialog kind).
BUTTONS = {"notify": "notify", "answer": "answer", "verify_pass": "verify",
           "verify_fail": "verify", "close": "close", "escalate": "escalate"}


def _buttons(state: str) -> list[str]:
    seen: list[str] = []
    for action in allowed_actions(state):
        if BUTTONS[action] not in seen:
            seen.append(BUTTONS[action])
    return seen


def add_routes(router: APIRouter, pages: Pages) -> None:
    @router.get("/supervision")
    async def supervision(request: Request, stage: str = "", case: str = ""):
        from envmon.supervision import api

        error, detail = None, None
        now = pages.context.now()
        every = await compute(request, lambda: api.list_cases(pages.store, now=now))
        counts = every.counts()
        rows = [c for c in every.cases if not stage or c.stage == stage]
        if case:
            try:
                case_id = int(case)
                detail = (await compute(request, lambda: api.show(
                    pages.store, case_id, now=now))).as_json()
                detail["buttons"] = _buttons(detail["state"])
            except (ValueError, EnvmonError) as err:
                error = f"case: {err}"
        cases = [{**c.as_json(now), "unit_name": every.unit_names.get(c.unit_id) or c.unit_id,
                  "buttons": _buttons(c.state)} for c in rows]
        return pages.render(request, "supervision.html", "/supervision", cases=cases,
                            counts=counts, stages=list(STAGE_ZH), stage=stage,
                            detail=detail, error=error,
                            status_code=404 if error else 200)

    @router.get("/grades")
    async def grades(request: Request, month: str = "", unit: str = ""):
        from envmon.grading.api import list_grades, unit_history

        error, listed, history = None, None, None
        try:
            now = pages.context.now()
            listed = await compute(request, lambda: list_grades(pages.store, month or None,
                                                                 now=now))
            if unit:
                history = await compute(request, unit_history, pages.store, unit)
        except EnvmonError as err:
            error = str(err)
        return pages.render(request, "grades.html", "/grades", listed=listed, history=history,
                            month=month, unit=unit, error=error,
                            status_code=400 if error else 200)
