"""`[air]` settings: the choices the standards leave open, each a field with a cited default.

Guards against figures that change without anyone deciding it: every rule below was a constant
or an unstated assumption of the city pipeline (issue 11 items 21, 22). A new open choice of
the air statistics goes here as one more field, with the source of its default in a comment,
and is read where the choice is made (`envmon.air.service`).

    [air]
    published_daily_wins = true      # a published station daily value beats our recomputation
    daily_aqi_requires_all = true    # a day's AQI needs all six pollutants
    o3_1h_max_min_hours = 20         # O3 daily max 1-h needs ≥ 20 hourly values
    city_o3_1h = "station_max"       # city O3 daily max 1-h: mean of station maxima
    period_from_rounded_daily = false  # period statistics from unrounded daily values
"""

from __future__ import annotations

from dataclasses import dataclass

CITY_O3_1H = ("station_max", "city_hourly")


@dataclass(frozen=True)
class AirSettings:
    published_daily_wins: bool = True
    """A station day with a published daily value (CNEMC's natural-day `_24h` columns and
    MDA8 at T00, or an imported daily file) uses it, not our recomputation from archived hours:
    archives miss hours the publisher had (airquality.md §7.1), and recomputing 2023-01-21 gave
    a good day the official series does not have. The differences are reported either way."""
    daily_aqi_requires_all: bool = True
    """A day's AQI only when all six pollutants have a valid daily value: HJ 663-2013 §3.1 —
    a missing pollutant makes a multi-pollutant result not attained (airquality.md §3.1),
    applied to the day (ASSUMPTION named in airquality.md §1.3). False: max of what is there."""
    o3_1h_max_min_hours: int = 20
    """Hourly values the O3 daily max 1-h needs: GB 3095-2012 Table 4 sets ≥ 20 for 24-h values
    (airquality.md §2.2); the standard gives no rule for the daily max, so the 24-h rule is
    applied by analogy (ASSUMPTION)."""
    city_o3_1h: str = "station_max"
    """City O3 daily max 1-h: "station_max" = mean of the stations' daily maxima, by analogy
    with the city MDA8 (HJ 663-2013 Annex A, airquality.md §3.2 ASSUMPTION); "city_hourly" =
    max of the city's hourly means."""
    period_from_rounded_daily: bool = False
    """Period statistics (means, percentiles) from the unrounded city daily values: the MEE
    ranking method computes from unrounded statistics (airquality.md §4.2, confirmed on
    published bulletins). True: round each daily value per GB/T 8170 first."""

    def __post_init__(self) -> None:
        if self.city_o3_1h not in CITY_O3_1H:
            raise ValueError(f"city_o3_1h: {self.city_o3_1h!r} is not one of "
                             f"{', '.join(CITY_O3_1H)}")
        if not 1 <= self.o3_1h_max_min_hours <= 24:
            raise ValueError(f"o3_1h_max_min_hours: {self.o3_1h_max_min_hours} is not 1…24")
