"""The audit log: `GET /api/v1/audit/list` (as `envmon audit list --format json`; json, csv,
table or xlsx) and `GET /api/v1/audit/verify` (`{"intact", "rows", "broken_at"}`, as `envmon
audit verify`), for the administrator and the bureau (`access.policy.AREAS`)."""

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


@use_case_endpoint(router, "/audit/verify", summary="Check the audit log's hash chain "
                   "(envmon audit verify)")
def audit_verify():
    """intact, rows, broken_at (the first row changed, removed before or added by hand)."""
    from envmon.access.audit import check_chain

    return lambda context: check_chain(context.store)
