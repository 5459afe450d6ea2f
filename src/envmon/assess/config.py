"""Parameters of the transmission assessment (transmission.md §7: every ASSUMPTION is one).

Defaults follow issue 3 and transmission.md; the status of each is in its docstring.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction

from envmon.hj212.codes import DATA_FLAGS, DATA_FLAGS_2005

WATER_STANDARD_SAMPLE_FACTORS = ("w01018", "w21003", "w21011", "w21001")  # COD, NH3-N, TP, TN
AGGREGATES = ("sum", "mean_of_units")
NETWORKED_RULES = ("all_points", "any_point")
PASS_COMPARE = ("full", "rounded")
NETWORKED_BY = ("data_time", "received_at")
RANK_BY = ("complete", "instant")
# Parameters a point may register (to convert, to compute emissions) that are not assessed:
# transmission.md §2 "not counted separately": flow, O2, temperature, moisture, pressure
# (flue gas); flow and pH (wastewater); the other stack parameters of HJ 212-2017 Table C.
NON_ASSESSED_FACTORS = (
    "a00000", "a19001", "a01011", "a01012", "a01013", "a01014", "a01015", "a01016", "a01017",
    "a01901", "a01902", "w00000", "w01001",
)
KNOWN_FLAGS = tuple(dict.fromkeys([*DATA_FLAGS, *DATA_FLAGS_2005]))  # HJ 212-2017 Table 8, 2005


@dataclass(frozen=True)
class AssessConfig:
    instant_hours: float = 2.0
    """即时: a record counts when received_at <= DataTime + instant_hours (ASSUMPTION; issue 3
    default 2 h = within one hour after the hour ends; transmission.md §5: no published value)."""
    complete_days: float = 10.0
    """补全: a record or a manual repair counts when received/made <= DataTime + complete_days
    (published for the 国发软件 era; current MEE window unverified)."""
    valid_flags: tuple[str, ...] = ("N",)
    """Hourly flags that make a received hour valid (hj212.md §9; S/T/F invalid: ASSUMPTION)."""
    min_valid_minutes: int | None = 45
    """An hour whose minute data (CN 2051) were received has fewer than this many valid
    minutes: not valid, whatever its hourly flag (transmission.md §4, HJ 75/76-2017 App. B:
    ≥ 45 valid minutes). Minutes count when their flag is in `valid_flags` and they arrived
    within the 补全 window; hours without minute data keep their hourly flag. None: off."""
    pass_mark: Decimal = Decimal("90")
    """有效传输率 pass mark in percent (90 % current, 75 % in 2014)."""
    pass_inclusive: bool = True
    """True: rate >= pass mark passes (晋城 "不低于"); False: strictly above (">90%")."""
    pass_compare: str = "full"
    """How a rate is compared with the pass mark: "full" compares the exact value (GB/T
    8170-2008 §4.3.1 全数值比较法, the default §4.3 gives when a standard names no method, so
    89.9955 % fails 90 %); "rounded" compares the two-decimal published value (§4.3.2
    修约值比较法, 89.9955 % → 90.00 % passes)."""
    standard_sample_exemption: bool = True
    """Water COD/NH3-N/TP/TN: the first 自动标样核查 hour of each day leaves the should-count
    (quoted from the MEE algorithm note)."""
    standard_sample_factors: tuple[str, ...] = WATER_STANDARD_SAMPLE_FACTORS
    standard_sample_flags: tuple[str, ...] = ("C",)
    """How a standard-sample-check hour is recognised: its hourly flag (ASSUMPTION: C)."""
    standard_sample_cn: str | None = "2062"
    """…or the check's own data: an HJ 212-2025 unit uploads its automatic standard-sample
    check as CN 2062 (自动标样核查校准数据, issue 16); an hour holding a 2062 record of the
    factor is a check hour whatever its hourly flag. None: by the flag only."""
    aggregate: str = "sum"
    """"sum": sum counts point → unit → region, then divide; "mean_of_units": a region's rates
    are the mean of its units' rates (units with should > 0). ASSUMPTION, both in use."""
    networked_rule: str = "all_points"
    """A unit is networked when "all_points" (issue 3 default) or "any_point" of its
    registered points sent at least one accepted packet in the period. A unit without any
    registered point is not networked. ASSUMPTION."""
    networked_by: str = "data_time"
    """Which packets show that a point is networked: "received_at": an accepted packet
    received inside the period (the only rule before issue 11); "data_time" (default): that,
    or data whose DataTime lies in the period and that reached the platform by `as_of`,
    however late (a unit whose data all arrived late, by 补传 or 补遗, was networked in the
    period). ASSUMPTION (transmission.md §2 "联网率": "sent at least one valid packet in the
    period" names no clock)."""
    marks_require_proof: bool = True
    """Exemption periods and manual repairs count only with a proof reference
    (transmission.md §2: 工况标记 "backed by proof", 修约 "with proof"). Invalid marks need none."""
    mark_deadline_day: int | None = 10
    """An exemption counts only when entered by the end of this day of the month after the
    exempt hour (transmission.md §1: proofs "before the 10th of the next month", 国发软件 era;
    ASSUMPTION: the 10th included). None: no deadline."""
    mark_within_days: float | None = 10
    """An exemption counts for an hour only when entered within this many days of the hour's
    start (transmission.md §1: 停产(排) information reported "在自动监控数据生成10日内", the
    国发软件 rule), beside the 10th-of-next-month deadline above: both apply (issue 11, item
    9). None: only the deadline above (the figures of earlier envmon versions)."""
    assessed_only: bool = True
    """Count transmission only for units marked 纳入考核 (units.assessed)."""
    factors: tuple[str, ...] | None = None
    """Restrict the assessed factors (default: each point's registered factors)."""
    non_assessed_factors: tuple[str, ...] = NON_ASSESSED_FACTORS
    """Registered factors that are never assessed: parameters, not pollutants (transmission.md
    §2 and §7 "flow and O2 counted: no", ASSUMPTION). Empty: every registered factor."""
    rank_by: str = "complete"
    """Which effective rate orders and ranks the rows (补全 is the monthly figure)."""

    def __post_init__(self) -> None:
        if not 0 < self.instant_hours <= 24 * 31:
            raise ValueError(f"instant_hours must be in (0, 744], got {self.instant_hours}")
        if not 0 < self.complete_days <= 366:
            raise ValueError(f"complete_days must be in (0, 366], got {self.complete_days}")
        if self.aggregate not in AGGREGATES:
            raise ValueError(f"aggregate must be one of {AGGREGATES}, got {self.aggregate!r}")
        if self.networked_rule not in NETWORKED_RULES:
            raise ValueError(
                f"networked_rule must be one of {NETWORKED_RULES}, got {self.networked_rule!r}"
            )
        if self.pass_compare not in PASS_COMPARE:
            raise ValueError(
                f"pass_compare must be one of {PASS_COMPARE}, got {self.pass_compare!r}"
            )
        if self.networked_by not in NETWORKED_BY:
            raise ValueError(
                f"networked_by must be one of {NETWORKED_BY}, got {self.networked_by!r}"
            )
        if self.rank_by not in RANK_BY:
            raise ValueError(f"rank_by must be one of {RANK_BY}, got {self.rank_by!r}")
        if self.mark_deadline_day is not None and not 1 <= self.mark_deadline_day <= 28:
            raise ValueError(f"mark_deadline_day must be a day 1–28 of the next month (or no "
                             f"deadline), not {self.mark_deadline_day}")
        if self.mark_within_days is not None and not 0 < self.mark_within_days <= 366:
            raise ValueError(f"mark_within_days must be in (0, 366] (or no limit), not "
                             f"{self.mark_within_days}")
        if self.min_valid_minutes is not None and not 1 <= self.min_valid_minutes <= 60:
            raise ValueError(f"min_valid_minutes must be 1–60 (or off), not "
                             f"{self.min_valid_minutes}")
        if not self.valid_flags:
            raise ValueError("valid_flags must name at least one flag")
        for name in ("valid_flags", "standard_sample_flags", "standard_sample_factors",
                     "non_assessed_factors"):
            for item in getattr(self, name):
                if not item.replace("_", "").isalnum():
                    raise ValueError(f"{name}: {item!r} is not a flag or factor code")
        for name in ("valid_flags", "standard_sample_flags"):
            unknown = [flag for flag in getattr(self, name) if flag not in KNOWN_FLAGS]
            if unknown:
                raise ValueError(f"{', '.join(map(repr, unknown))} is not an HJ 212 data flag "
                                 f"({', '.join(KNOWN_FLAGS)})")
        object.__setattr__(self, "pass_mark", Decimal(str(self.pass_mark)))
        if not Decimal(0) <= self.pass_mark <= Decimal(100):
            raise ValueError(f"pass_mark is a percentage, 0–100, not {self.pass_mark}")

    @property
    def instant_seconds(self) -> int:
        return int(round(self.instant_hours * 3600))

    @property
    def complete_seconds(self) -> int:
        return int(round(self.complete_days * 86400))

    def passes(self, rate: Fraction | Decimal | None) -> bool | None:
        """Whether a rate in percent reaches the pass mark (None: undefined rate). Give the
        exact rate (a Fraction, `Row.exact_rate`): with pass_compare "rounded" it is rounded
        to two decimals by GB/T 8170 first; a Decimal is compared as given."""
        if rate is None:
            return None
        if isinstance(rate, Fraction):
            if self.pass_compare == "rounded":
                from envmon.assess.rates import round_gbt8170

                rate = Fraction(round_gbt8170(rate))
            mark = Fraction(self.pass_mark)
        else:
            mark = self.pass_mark
        return rate >= mark if self.pass_inclusive else rate > mark

    def with_(self, **changes) -> AssessConfig:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})
