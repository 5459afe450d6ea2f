"""The audit log: `GET /api/v1/audit/list` (as `envmon audit list --format json`), for the
administrator and the bureau (`access.policy.AREAS`); json, csv, table or xlsx."""

from __future__ import annotations

from fastapi import APIRouter, Query

from envmon.web.api.usecase import use_case_endpoint

router = APIRouter(prefix="/api/v1", tags=["audit"])


def audit_options(start: str | None, end: str | None, user: str | None, action: str | None):
    """`access.audit.AuditListOptions` of the query (or the CLI's options): ISO times,
    Beijing time without an offset."""
    from envmon.access.audit import AuditListOptions
    from envmon.period import parse_time

    return AuditListOptions(parse_time(start, "--from") if start else None,
                            parse_time(end, "--to") if end else None, user, action)


@use_case_endpoint(router, "/audit/list", formats=("json", "csv", "table", "xlsx"),
                   items="entries", summary="The audit log, oldest first (envmon audit list)")
def audit_list(start: str | None = Query(None, alias="from", description="From this time "
                                         "(ISO, Beijing time), inclusive."),
               end: str | None = Query(None, alias="to", description="Before this time "
                                       "(ISO), exclusive."),
               user: str | None = Query(None, description="Only this user's rows."),
               action: str | None = Query(None, description="Only this action (alarm.close)"
                                          ", or a family ending in a dot (alarm.).")):
    """id, happened_at, who, role, action, target, detail, address, result."""
    from envmon.access.audit import list_audit

    options = audit_options(start, end, user, action)
    return lambda context: list_audit(context.store, options)
