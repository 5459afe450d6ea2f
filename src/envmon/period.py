"""One period value for every domain and command: a month or a time range, cut in Beijing time.

`Period.month("2026-10")` is [2026-10-01 00:00, 2026-11-01 00:00) Beijing time;
`Period.parse("2026-10-01T08:00", "2026-10-02T08:00")` a range (times without an offset are
Beijing time, HJ 212 convention); `Period.from_options(month, start, end)` is what a command
with `--month` or `--from/--to` calls. Days, hours and chunks are cut at Beijing midnights
whatever zone the bounds were given in. A period that has not ended is *in progress*: its
figures are provisional (`in_progress(now)`); one that has not begun is refused.

Errors are `envmon.errors.PeriodError(option, reason)`, so the CLI and the web app say the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from envmon.errors import PeriodError
from envmon.timeutil import BEIJING_FIXED, now_beijing, parse_iso

_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)


def parse_time(text: str, option: str = "time") -> datetime:
    """An ISO 8601 time; without an offset it is Beijing time. PeriodError names `option`."""
    try:
        return parse_iso(text)
    except (ValueError, AttributeError):
        raise PeriodError(
            option, f"{text!r} is not an ISO 8601 time (e.g. 2026-10-01T08:00, Beijing time)"
        ) from None


def parse_date(text: str, option: str = "date") -> date:
    """A calendar day `YYYY-MM-DD` (strictly). PeriodError names `option`."""
    value = text.strip() if isinstance(text, str) else text
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise PeriodError(option, f"{text!r} is not a date (YYYY-MM-DD, e.g. 2026-10-01)")


def require_on_the_hour(value: datetime, option: str, why: str = "") -> None:
    """PeriodError naming `option` when `value` is not on the hour; `why` (e.g. " (marks cover
    whole hours)") is added to the reason."""
    if value.minute or value.second or value.microsecond:
        raise PeriodError(option, f"{value.isoformat()} is not on the hour{why}")


def beijing_midnight(t: datetime) -> datetime:
    """The Beijing midnight at or before `t` (an aware datetime), as a Beijing-time datetime."""
    return t.astimezone(BEIJING_FIXED).replace(hour=0, minute=0, second=0, microsecond=0)


def month_start(t: datetime) -> datetime:
    """The first instant of the Beijing-time month holding `t`."""
    return beijing_midnight(t).replace(day=1)


def next_month(t: datetime) -> datetime:
    """The first instant of the Beijing-time month after the one holding `t`."""
    first = month_start(t)
    return first.replace(year=first.year + (first.month == 12), month=first.month % 12 + 1)


@dataclass(frozen=True)
class Period:
    """[start, end): two aware datetimes; `label` is "YYYY-MM" for a calendar month."""

    start: datetime
    end: datetime
    label: str | None = None

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if value.tzinfo is None or value.utcoffset() is None:
                raise PeriodError(name, f"{value.isoformat()} has no time zone")
        if self.start >= self.end:
            raise PeriodError(
                "--from", f"{self.start.isoformat()} is not before --to {self.end.isoformat()}"
            )

    # ------------------------------------------------------------------ constructors
    @classmethod
    def month(cls, text: str, *, option: str = "--month", now: datetime | None = None,
              allow_future: bool = False) -> Period:
        """The calendar month `YYYY-MM` (strictly: four digits, dash, 01–12), Beijing time."""
        match = _MONTH.fullmatch(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise PeriodError(option, f"{text!r} is not YYYY-MM (e.g. 2026-10)")
        start = datetime(int(match[1]), int(match[2]), 1, tzinfo=BEIJING_FIXED)
        period = cls(start, next_month(start), label=text.strip())
        if not allow_future:
            period.refuse_future(option, now)
        return period

    @classmethod
    def day(cls, day: date) -> Period:
        start = datetime(day.year, day.month, day.day, tzinfo=BEIJING_FIXED)
        return cls(start, start + _DAY)

    @classmethod
    def days_between(cls, first: str | date, last: str | date, *,
                     options: tuple[str, str] = ("--from", "--to"), now: datetime | None = None,
                     allow_future: bool = False) -> Period:
        """Whole Beijing days `first` … `last`, both included (dates or strict YYYY-MM-DD)."""
        a = first if isinstance(first, date) else parse_date(first, options[0])
        b = last if isinstance(last, date) else parse_date(last, options[1])
        if b < a:
            raise PeriodError(options[0], f"the period ends ({b}) before it starts ({a})")
        period = cls(cls.day(a).start, cls.day(b).end)
        if not allow_future:
            period.refuse_future(options[0], now)
        return period

    @classmethod
    def year(cls, year: int, *, option: str = "--year", now: datetime | None = None,
             allow_future: bool = True) -> Period:
        """The calendar year, Beijing time (refused when it has not begun, unless allowed)."""
        if not isinstance(year, int) or not 1900 <= year <= 9998:
            raise PeriodError(option, f"{year!r} is not a year (YYYY)")
        period = cls(datetime(year, 1, 1, tzinfo=BEIJING_FIXED),
                     datetime(year + 1, 1, 1, tzinfo=BEIJING_FIXED), label=f"{year:04d}")
        if not allow_future:
            period.refuse_future(option, now)
        return period

    @classmethod
    def month_or_year(cls, month: str | None, year: int | None, *,
                      now: datetime | None = None) -> Period:
        """`--month YYYY-MM` or `--year YYYY`, exactly one; neither may lie in the future."""
        if (month is None) == (year is None):
            raise PeriodError("--month", "give either --month YYYY-MM or --year YYYY")
        if month is not None:
            return cls.month(month, now=now)
        return cls.year(year, now=now, allow_future=False)

    @classmethod
    def parse(cls, start: str | datetime, end: str | datetime, *, on_the_hour: bool = False,
              now: datetime | None = None, allow_future: bool = False,
              options: tuple[str, str] = ("--from", "--to")) -> Period:
        """[start, end) from two ISO 8601 times (or datetimes); `on_the_hour` requires whole
        hours (the hourly figures are cut on them)."""
        bounds = []
        for option, value in zip(options, (start, end), strict=True):
            value = parse_time(value, option) if isinstance(value, str) else value
            if value.tzinfo is None:
                value = value.replace(tzinfo=BEIJING_FIXED)
            if on_the_hour:
                require_on_the_hour(value, option)
            bounds.append(value)
        if bounds[0] >= bounds[1]:
            raise PeriodError(options[0], f"{bounds[0].isoformat()} is not before "
                                          f"{options[1]} {bounds[1].isoformat()}")
        period = cls(bounds[0], bounds[1])
        if not allow_future:
            period.refuse_future(options[0], now)
        return period

    @classmethod
    def from_options(cls, month: str | None, start: str | None, end: str | None, *,
                     on_the_hour: bool = False, now: datetime | None = None,
                     allow_future: bool = False) -> Period:
        """`--month YYYY-MM` or both `--from` and `--to`, never both."""
        if month is not None:
            if start is not None or end is not None:
                raise PeriodError("--month", "give either --month or --from/--to, not both")
            return cls.month(month, now=now, allow_future=allow_future)
        if start is None or end is None:
            raise PeriodError("--month", "give --month YYYY-MM, or both --from and --to")
        return cls.parse(start, end, on_the_hour=on_the_hour, now=now,
                         allow_future=allow_future)

    # ------------------------------------------------------------------ checks
    def require_on_the_hour(self, options: tuple[str, str] = ("--from", "--to"),
                            why: str = "") -> None:
        """PeriodError naming the option of the first bound not on the hour (the hourly
        figures are cut on whole hours); `why` is added to the reason."""
        for option, bound in zip(options, (self.start, self.end), strict=True):
            require_on_the_hour(bound, option, why)

    def refuse_future(self, option: str = "--month", now: datetime | None = None) -> None:
        """PeriodError when the period has not begun: it has no data and no figures yet."""
        now = now or now_beijing()
        if self.start > now:
            raise PeriodError(option, f"{self.describe()} has not begun yet "
                                      f"(now is {now.astimezone(BEIJING_FIXED):%Y-%m-%d %H:%M})")

    def in_progress(self, now: datetime | None = None) -> bool:
        """True while the period has begun and not ended: its figures are provisional."""
        now = now or now_beijing()
        return self.start <= now < self.end


    def ended_hours_end(self, as_of: datetime | None = None) -> datetime:
        """Where hourly figures of the period stop as of `as_of` (default now): the end once
        it is over; while it is in progress, the start of the hour running at `as_of` (never
        before the start). An hour not yet due is not missing: counting it would sink the
        rates and show 0 kg for hours to come."""
        as_of = as_of or now_beijing()
        if as_of >= self.end:
            return self.end
        hour = as_of.astimezone(BEIJING_FIXED).replace(minute=0, second=0, microsecond=0)
        return max(self.start, hour)

    # ------------------------------------------------------------------ cuts (Beijing time)
    def chunks(self, days: int | None = 1) -> list[Period]:
        """Pieces cut at Beijing midnights every `days` days (the whole period when None/0)."""
        if not days:
            return [self]
        pieces, begin = [], self.start
        cut = beijing_midnight(self.start) + timedelta(days=days)
        while cut < self.end:
            pieces.append(Period(begin, cut))
            begin, cut = cut, cut + timedelta(days=days)
        pieces.append(Period(begin, self.end))
        return pieces

    def day_bounds(self) -> Iterator[tuple[datetime, datetime]]:
        """(start, end) of each Beijing day the period touches, clipped to the period."""
        for piece in self.chunks(1):
            yield piece.start, piece.end

    def days(self) -> list[date]:
        """The Beijing calendar days the period touches."""
        first = beijing_midnight(self.start).date()
        last = (self.end.astimezone(BEIJING_FIXED) - timedelta(microseconds=1)).date()
        return [first + timedelta(days=k) for k in range((last - first).days + 1)]

    def hours(self) -> list[datetime]:
        """The start of every whole hour inside the period (Beijing time)."""
        first = self.start.astimezone(BEIJING_FIXED)
        if first.minute or first.second or first.microsecond:
            first = first.replace(minute=0, second=0, microsecond=0) + _HOUR
        out = []
        while first + _HOUR <= self.end:
            out.append(first)
            first += _HOUR
        return out

    @property
    def n_hours(self) -> int:
        return len(self.hours())

    def months(self) -> list[Period]:
        """The calendar months the period touches, each whole."""
        out, first = [], month_start(self.start)
        while first < self.end:
            out.append(Period(first, next_month(first), label=f"{first:%Y-%m}"))
            first = next_month(first)
        return out

    def year_before(self) -> Period:
        """The same period one year earlier (year-on-year comparisons); 29 Feb → 28 Feb."""
        def back(t: datetime) -> datetime:
            local = t.astimezone(BEIJING_FIXED)
            try:
                return local.replace(year=local.year - 1)
            except ValueError:
                return local.replace(year=local.year - 1, day=28)

        label = None
        if self.label and _MONTH.fullmatch(self.label):
            label = f"{int(self.label[:4]) - 1:04d}{self.label[4:]}"
        return Period(back(self.start), back(self.end), label=label)

    @property
    def is_month(self) -> bool:
        return self.label is not None and _MONTH.fullmatch(self.label) is not None

    def describe(self) -> str:
        """Human text: the month label, or "start 至 end" in Beijing time."""
        if self.label:
            return self.label
        a, b = (t.astimezone(BEIJING_FIXED) for t in (self.start, self.end))
        return f"{a:%Y-%m-%d %H:%M} 至 {b:%Y-%m-%d %H:%M}"

    def first_last_days(self) -> tuple[date, date]:
        """The first and the last Beijing day the period touches."""
        days = self.days()
        return days[0], days[-1]

    def as_json(self, now: datetime | None = None) -> dict:
        """Bounds, label and whether the figures are provisional (the period has not ended)."""
        return {"start": self.start.isoformat(), "end": self.end.isoformat(),
                "label": self.label, "provisional": self.in_progress(now)}
