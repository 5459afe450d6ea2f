"""Use cases of emissions and the environmental-protection tax.

Where a new use case goes: here, as `(store, period, options) -> Result`: the period is an
`envmon.period.Period` (a month for the accounting and the tax; `Period.month_or_year` for
the totals' `--month`/`--year`, neither in the future), the options a frozen
dataclass validated in `__post_init__` (typed with the enums below, raising
`envmon.errors.OptionError` with the CLI's option name), the result a dataclass with
`as_json()` (the JSON contract of the command, with `"provisional"` while the period has not
ended: `envmon.reports.provisional`), `bulletin()` for XLSX/HTML and `default_stem`.
The computation stays in `accounting.py` (per hour → day → month), `formulas.py` and `tax.py`;
the doors (`envmon.cli.emissions`, the web app) only parse, call and render.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from envmon.choices import choice, optional_choice
from envmon.errors import OptionError
from envmon.period import Period
from envmon.reports.provisional import ProvisionalFigures, marked, provisional_as_of, titled
from envmon.timeutil import now_beijing


class TotalsLevel(StrEnum):
    POINT = "point"
    UNIT = "unit"
    COUNTY = "county"
    CITY = "city"


TOTALS_LEVEL_ZH = {"point": "监测点位", "unit": "单位", "county": "区县", "city": "市"}


class TotalsPeriod(StrEnum):
    """How totals are cut in time: day = Σ hours, month = Σ days, year = Σ months."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"
    ALL = "all"


class NoReductionScope(StrEnum):
    """What an exceedance at any outlet removes the tax reduction of."""

    POLLUTANT = "pollutant"
    TAXPAYER = "taxpayer"


def _rounded(value: Any, decimals: int | None) -> Any:
    if decimals is None or not isinstance(value, float):
        return value
    return round(value, decimals)


# ---------------------------------------------------------------------------------- one unit
@dataclass(frozen=True)
class UnitEmissionsOptions:
    unit: str

    def __post_init__(self) -> None:
        if not self.unit.strip():
            raise OptionError("--unit", "give a unit (统一社会信用代码)")


@dataclass(frozen=True)
class UnitEmissions(ProvisionalFigures):
    """A unit's month: per point and pollutant kg and t, daily totals, substituted hours."""

    unit: str
    period: Period
    results: list  # of envmon.emissions.accounting.PollutantResult
    provisional_as_of: datetime | None = None
    """When the period had not ended as the figures were taken: that time."""

    @property
    def month(self) -> str:
        return self.period.label or self.period.describe()

    def as_json(self) -> dict[str, Any]:
        from envmon.reports.emissions import emissions_json

        return {**emissions_json(self.results, self.unit, self.month),
                "provisional": self.provisional}

    def as_table(self):
        """Per point and pollutant (csv, table): the JSON's rows without the daily and the
        substituted detail (those are in the XLSX/HTML), kg to 3 decimals."""
        from envmon.reports.emissions import emissions_table
        table = emissions_table(self.results, self.unit, self.month)
        return dataclasses.replace(table, title=titled(table.title, self.provisional_as_of))

    def bulletin(self):
        from envmon.reports.emissions import emissions_bulletin
        return marked(emissions_bulletin(self.results, self.unit, self.month),
                      self.provisional_as_of)

    @property
    def default_stem(self) -> str:
        return f"emissions-{self.unit}-{self.month}"


def accounting_config(config_file: Path | None):
    """The accounting settings of the configuration: `[emissions]`, with the `[assess]`
    exemption rules (proof, deadlines), so the emissions exempt the same hours as the
    assessment (issue 11, item 15). No file (and no envmon.toml): the defaults."""
    from envmon.config import ConfigError, load_config
    from envmon.emissions.accounting import AccountingConfig
    from envmon.emissions.settings import accounting_settings

    try:
        config = load_config(config_file)
    except ConfigError as error:
        raise OptionError("--config", str(error)) from None
    return AccountingConfig(exemption_rules=config.assess,
                            **accounting_settings(config.emissions))


def _require_unit(store, unit: str | None) -> None:
    from envmon.registry.api import require_known_unit

    if unit is not None:
        require_known_unit(store, unit)


def unit_emissions(store, period: Period, options: UnitEmissionsOptions, *,
                   as_of: datetime | None = None, accounting=None) -> UnitEmissions:
    """A unit's emissions over the period (HJ 75-2017 substitution for missing hours); of a
    period in progress, the hours that have ended by `as_of` (default now)."""
    from envmon.emissions.accounting import emissions
    _require_unit(store, options.unit)
    as_of = as_of or now_beijing()
    end = period.ended_hours_end(as_of)
    return UnitEmissions(options.unit, period,
                         emissions(store, period.start, end, unit_id=options.unit,
                                   config=accounting),
                         provisional_as_of(period, as_of))


# ---------------------------------------------------------------------------------- totals
@dataclass(frozen=True)
class TotalsOptions:
    level: TotalsLevel = TotalsLevel.UNIT
    period: TotalsPeriod = TotalsPeriod.MONTH
    unit: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "level", choice(TotalsLevel, self.level, "--level"))
        object.__setattr__(self, "period", choice(TotalsPeriod, self.period, "--period"))


@dataclass(frozen=True)
class EmissionTotals(ProvisionalFigures):
    period: Period
    level: TotalsLevel
    cut: TotalsPeriod
    rows: list[dict[str, Any]]
    provisional_as_of: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {"from": self.period.start.isoformat(), "to": self.period.end.isoformat(),
                "level": self.level.value, "period": self.cut.value, "rows": self.rows,
                "provisional": self.provisional}

    def as_table(self):
        from envmon.render import Column, Table
        level = self.level.value
        columns = [Column(level, TOTALS_LEVEL_ZH[level], 22), Column("factor", "因子"),
                   Column("period", "时段"), Column("kg", "排放量(kg)", 14, "0.000"),
                   Column("t", "排放量(t)", 12, "0.000000")]
        # the display rounds (kg to 3 decimals, t to 6, as the XLSX shows them); the JSON
        # keeps the values as computed (contract)
        decimals = {"kg": 3, "t": 6}
        return Table(titled(f"排放量合计（{self.period.describe()}）", self.provisional_as_of),
                     columns,
                     [tuple(_rounded(r[c.key], decimals.get(c.key)) for c in columns)
                      for r in self.rows])

    @property
    def default_stem(self) -> str:
        return f"emissions-totals-{self.period.label or 'period'}-{self.level.value}"


def emission_totals(store, period: Period, options: TotalsOptions, *,
                    as_of: datetime | None = None, accounting=None) -> EmissionTotals:
    """Totals (kg and t, substituted hours included) per level and per day/month/year; of a
    period in progress, the hours that have ended by `as_of` (default now)."""
    from envmon.emissions.accounting import emissions, totals
    _require_unit(store, options.unit)
    as_of = as_of or now_beijing()
    results = emissions(store, period.start, period.ended_hours_end(as_of), unit_id=options.unit,
                        config=accounting)
    return EmissionTotals(period, options.level, options.period,
                          totals(results, options.level.value, options.period.value),
                          provisional_as_of(period, as_of))


# ---------------------------------------------------------------------------------- tax
@dataclass(frozen=True)
class TaxOptions:
    tax_config: Any = None  # envmon.emissions.tax.TaxConfig; None: Shanxi defaults
    no_reduction_scope: NoReductionScope | None = None
    """Overrides the configuration's scope when given."""
    unit: str | None = None
    """Only this unit (统一社会信用代码): units of other provinces are then not needed."""

    def __post_init__(self) -> None:
        from envmon.emissions.tax import TaxConfig

        if self.unit is not None and not self.unit.strip():
            raise OptionError("--unit", "give a unit (统一社会信用代码)")
        scope = optional_choice(NoReductionScope, self.no_reduction_scope,
                                "--no-reduction-scope")
        object.__setattr__(self, "no_reduction_scope", scope)
        if self.tax_config is None:
            object.__setattr__(self, "tax_config", TaxConfig())

    @classmethod
    def from_files(cls, tax_file: Path | None, config_file: Path | None,
                   no_reduction_scope: str | None = None,
                   unit: str | None = None) -> TaxOptions:
        """Rates and options from `--tax-config` (its [tax] table if it has one), else the
        [tax] table of envmon.toml, else the defaults (Shanxi 1.8 ¥ air, 2.1 ¥ water)."""
        from envmon.config import ConfigError, load_config
        from envmon.emissions.tax import TaxConfig, load_tax_config, tax_config_from_dict

        scope = optional_choice(NoReductionScope, no_reduction_scope, "--no-reduction-scope")
        try:
            if tax_file:
                tax_config = load_tax_config(tax_file)
            else:
                table = load_config(config_file).tax
                tax_config = tax_config_from_dict(table, "[tax]") if table else TaxConfig()
        except (OSError, ValueError, ConfigError) as error:
            raise OptionError("--tax-config" if tax_file else "--config", str(error)) from None
        return cls(tax_config, scope, unit)

    @property
    def effective_config(self):
        if self.no_reduction_scope is None:
            return self.tax_config
        return dataclasses.replace(self.tax_config,
                                   no_reduction_scope=self.no_reduction_scope.value)


@dataclass(frozen=True)
class TaxReport(ProvisionalFigures):
    """The period's tax per unit: outlet, pollutant, kg, equivalents, rate, reduction, tax."""

    period: Period
    lines: list = field(default_factory=list)  # of envmon.emissions.tax.TaxLine
    provisional_as_of: datetime | None = None
    not_taxed: list = field(default_factory=list)
    """Monitored factors without a tax line, with the reason (accounting.not_taxed)."""

    @property
    def month(self) -> str:
        return self.period.label or self.period.describe()

    def as_json(self) -> dict[str, Any]:
        from envmon.reports.emissions import tax_json

        return {**tax_json(self.lines, self.month), "not_taxed": self.not_taxed,
                "provisional": self.provisional}

    def as_table(self):
        """One row per unit, outlet and pollutant (csv, table); yuan to 2 decimals."""
        from envmon.reports.emissions import tax_table
        table = tax_table(self.lines, self.month)
        return dataclasses.replace(table, title=titled(table.title, self.provisional_as_of))

    def bulletin(self):
        from envmon.reports.emissions import tax_bulletin
        return marked(tax_bulletin(self.lines, self.month, self.not_taxed),
                      self.provisional_as_of)

    @property
    def default_stem(self) -> str:
        return f"tax-{self.month}"


def monthly_tax(store, period: Period, options: TaxOptions | None = None, *,
                as_of: datetime | None = None, accounting=None) -> TaxReport:
    """Environmental-protection tax for a month, per unit (emissions.md §9.3); of a month in
    progress, the hours that have ended by `as_of` (default now). A unit whose province has
    no configured rate is refused (`tax.UnconfiguredProvinceError`), never charged at another
    province's rate."""
    from envmon.emissions import accounting as accounting_module
    options = options or TaxOptions()
    _require_unit(store, options.unit)
    as_of = as_of or now_beijing()
    end = period.ended_hours_end(as_of)
    results = accounting_module.emissions(store, period.start, end, unit_id=options.unit,
                                          config=accounting)
    lines = accounting_module.monthly_tax(store, period.start, end, config=accounting,
                                          tax_config=options.effective_config, results=results)
    return TaxReport(period, lines, provisional_as_of(period, as_of),
                     accounting_module.not_taxed(results, accounting))
