"""Emissions and tax: `GET /api/v1/emissions` (`envmon emissions`), `GET
/api/v1/emissions-totals` (`envmon emissions-totals`) and `GET /api/v1/tax` (`envmon tax`).
The exemption rules and the [tax] table are the served configuration's, as the CLI takes
them from its --config (`--tax-config`, a local file, is not sent).

The three are heavy (every hour of every point of the month) and shared (`shared=True`: one
computation for identical requests, `api.cache`); a period that ends before the store's first
record is refused (400 naming month or year) instead of accounting an empty past."""

from __future__ import annotations

from fastapi import APIRouter, Query

from envmon.web.api.usecase import use_case_endpoint

router = APIRouter(prefix="/api/v1", tags=["emissions"])

RESULT_FORMATS = ("json", "csv", "table", "xlsx", "html", "pdf")


def _refuse_before_first_record(store, span, option: str) -> None:
    """OptionError naming `option` when `span` ends before the store's first record: nothing
    was received then, and accounting a whole province over it would only cost seconds."""
    from envmon.errors import OptionError
    from envmon.timeutil import BEIJING_FIXED

    [(first,)] = store.query("SELECT MIN(data_time) FROM records")
    if first is not None and span.end <= first:
        day = first.astimezone(BEIJING_FIXED).date().isoformat()
        raise OptionError(option, f"{span.label or span.start.date()} ends before the first "
                          f"record in the store ({day}): nothing to account")


def _accounting(context):
    from envmon.emissions.accounting import AccountingConfig

    return AccountingConfig(exemption_rules=context.config.assess)


@use_case_endpoint(router, "/emissions", formats=RESULT_FORMATS, shared=True,
                   summary="A unit's monthly emission accounting (envmon emissions)")
def emissions(unit: str = Query("", description="Unit (统一社会信用代码)."),
              month: str = Query("", description="YYYY-MM (Beijing time).")):
    """Per point and pollutant kg and t, daily totals, substituted hours (HJ 75-2017)."""
    from envmon.emissions.api import UnitEmissionsOptions, unit_emissions
    from envmon.period import Period

    period, options = Period.month(month), UnitEmissionsOptions(unit)

    def run(context):
        _refuse_before_first_record(context.store, period, "--month")
        return unit_emissions(context.store, period, options, accounting=_accounting(context))

    return run


@use_case_endpoint(router, "/emissions-totals", formats=("json", "csv", "table", "xlsx",
                                                         "html"), shared=True,
                   summary="Emission totals per point/unit/county/city and day/month/year "
                   "(envmon emissions-totals)")
def emissions_totals(month: str | None = Query(None, description="YYYY-MM (Beijing time)."),
                     year: int | None = Query(None, ge=1900, le=9999,
                                              description="YYYY: the calendar year."),
                     level: str = Query("unit", description="point, unit, county or city."),
                     period: str = Query("month", description="day, month, year or all."),
                     unit: str | None = Query(None, description="Only this unit.")):
    """kg and t, substituted hours included; day = Σ hours, month = Σ days, year = Σ months."""
    from envmon.emissions.api import TotalsOptions, emission_totals
    from envmon.period import Period

    options = TotalsOptions(level, period, unit)
    span = Period.month_or_year(month, year)

    def run(context):
        _refuse_before_first_record(context.store, span, "--month" if month else "--year")
        return emission_totals(context.store, span, options, accounting=_accounting(context))

    return run


@use_case_endpoint(router, "/tax", formats=RESULT_FORMATS, shared=True,
                   summary="The month's environmental-protection tax per unit (envmon tax)")
def tax(month: str = Query("", description="YYYY-MM (Beijing time)."),
        no_reduction_scope: str | None = Query(None, description="pollutant (default) or "
                                               "taxpayer: what an exceedance at any outlet "
                                               "removes the reduction of."),
        unit: str | None = Query(None, description="Only this unit (统一社会信用代码).")):
    """Outlet, pollutant, kg, equivalents, rate, reduction, tax; rates of the served
    configuration's [tax] table (default Shanxi 1.8 ¥ air, 2.1 ¥ water)."""
    from envmon.choices import optional_choice
    from envmon.emissions.api import NoReductionScope, TaxOptions, monthly_tax
    from envmon.emissions.tax import TaxConfig, tax_config_from_dict
    from envmon.errors import OptionError
    from envmon.period import Period

    scope = optional_choice(NoReductionScope, no_reduction_scope, "--no-reduction-scope")
    period = Period.month(month)

    def run(context):
        _refuse_before_first_record(context.store, period, "--month")
        table = getattr(context.config, "tax", None)
        try:
            config = tax_config_from_dict(table, "[tax]") if table else TaxConfig()
        except ValueError as error:
            raise OptionError("--config", str(error)) from None
        return monthly_tax(context.store, period, TaxOptions(config, scope, unit),
                           accounting=_accounting(context))

    return run
