"""Emergency control: `GET /api/v1/emergency/alerts` (the alerts, `envmon emergency alert
list`) and `GET /api/v1/emergency/check?alert=ID` (`envmon emergency check`), with the
served configuration's `[emergency]` settings and `[assess]` exemption rules."""

from __future__ import annotations

from fastapi import APIRouter, Query

from envmon.web.api.usecase import use_case_endpoint

router = APIRouter(prefix="/api/v1/emergency", tags=["emergency"])


def emergency_config(context):
    """The served configuration's [emergency] settings (`emergency.settings`)."""
    from envmon.emergency.settings import emergency_settings
    from envmon.errors import OptionError

    try:
        return emergency_settings(getattr(context.config, "emergency", None) or {})
    except ValueError as error:
        raise OptionError("--config", str(error)) from None


@use_case_endpoint(router, "/alerts", formats=("json", "csv", "table"),
                   summary="The heavy-pollution alerts (envmon emergency alert list)")
def alerts():
    """id, level (yellow/orange/red), from, to, region, created_by, created_at."""
    from envmon.emergency.api import list_alerts

    return lambda context: list_alerts(context.store)


@use_case_endpoint(router, "/check", formats=("json", "table", "xlsx", "html"),
                   shared=True,
                   summary="Emergency-control compliance of an alert (envmon emergency check)")
def check(alert: str = Query("", description="Alert id (GET /api/v1/emergency/alerts).")):
    """Per listed unit and alert day: 落实 / 未落实 / 数据不足 with the evidence (baseline of
    the same hours of the 30 days before, achieved reduction, its uncertainty), hour by hour;
    the region's achieved SO2, NOx and PM reduction against the plan's target; the worst
    units first."""
    from envmon.emergency.api import CheckOptions, check_alert
    from envmon.emissions.accounting import AccountingConfig

    options = CheckOptions(alert)

    def run(context):
        return check_alert(context.store, options, config=emergency_config(context),
                           accounting=AccountingConfig(exemption_rules=context.config.assess),
                           as_of=context.now())

    return run
