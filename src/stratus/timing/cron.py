"""AWS's six-field cron expressions: parsed, validated and stepped to their next time.

    cron(minutes hours day-of-month month day-of-week year)

    minutes       0-59                 , - * /
    hours         0-23                 , - * /
    day-of-month  1-31                 , - * ? / L LW nW
    month         1-12 or JAN-DEC      , - * /
    day-of-week   1-7 or SUN-SAT       , - * ? L nL n#k      (1 = Sunday)
    year          1970-2199            , - * /

One of day-of-month and day-of-week must be `?`, and only one. `L` alone in day-of-week is
Saturday (the week's last day), `nL` the month's last weekday n, `n#k` its k-th weekday n;
in day-of-month `L` is the month's last day, `LW` its last weekday (Mon-Fri) and `nW` the
weekday nearest day n within the month.

cronsim (maintained, typed) steps the five classic fields, L, LW, nL and #, in any time
zone. (croniter reads a sixth field as seconds and has no W; cron-converter knows five
fields only.) cronsim lacks years, `nW` and AWS's day-of-week numbering, so we expand every
field to explicit values ourselves (which also validates it), hand cronsim a five-field
expression in its numbering, and filter its answers by year and by `nW`. A time that a
daylight-saving jump skips is skipped, as EventBridge Scheduler does (cronsim would run it
after the jump).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from cronsim import CronSim, CronSimError

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
YEARS = range(1970, 2200)
_SECOND = timedelta(seconds=1)
_MAX_STEPS = 10_000  # restarts of cronsim while filtering; far above any real expression


class CronError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Cron:
    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    years: frozenset[int]
    nearest_weekday_to: int | None  # the n of "nW"
    classic: str  # the five-field expression cronsim steps

    def next_after(self, moment: datetime) -> datetime | None:
        """The first time strictly after `moment` (aware, in the schedule's zone), or None."""
        start = moment.replace(microsecond=0)
        for _ in range(_MAX_STEPS):
            try:
                candidate = next(CronSim(self.classic, start))
            except StopIteration:  # cronsim found nothing within 50 years
                return None
            if candidate.year not in self.years:
                later = [year for year in self.years if year > candidate.year]
                if not later:
                    return None
                start = candidate.replace(min(later), 1, 1, 0, 0, 0) - _SECOND
            elif not self._is_nearest_weekday(candidate.date()):
                start = candidate.replace(hour=23, minute=59, second=59)
            elif candidate.hour not in self.hours or candidate.minute not in self.minutes:
                start = candidate  # cronsim moved a skipped wall-clock time; AWS skips it
            else:
                return candidate
        return None

    def _is_nearest_weekday(self, day: date) -> bool:
        if self.nearest_weekday_to is None:
            return True
        return day.day == nearest_weekday(day.year, day.month, self.nearest_weekday_to)


def parse_cron(fields_text: str) -> Cron:
    """The inside of `cron(...)`; CronError says what is wrong."""
    fields = fields_text.upper().split()
    if len(fields) != 6:
        raise CronError(f"a cron expression has 6 fields, not {len(fields)}")
    minute, hour, day, month, weekday, year = fields
    if (day == "?") == (weekday == "?"):
        raise CronError("exactly one of day-of-month and day-of-week must be '?'")
    minutes = _expand(minute, range(0, 60))
    hours = _expand(hour, range(0, 24))
    months = _expand(month, range(1, 13), MONTHS)
    years = _expand(year, YEARS)
    day_field, nearest = _day_of_month(day)
    classic = " ".join(
        (_list(minutes), _list(hours), day_field, _list(months), _day_of_week(weekday))
    )
    try:
        CronSim(classic, datetime(2000, 1, 1))
    except CronSimError as exc:  # e.g. day 31 in months that have 30 days at most
        raise CronError(str(exc)) from exc
    return Cron(fields_text, minutes, hours, years, nearest, classic)


def nearest_weekday(year: int, month: int, day: int) -> int | None:
    """The Mon-Fri day nearest `day` without leaving the month (None: no such day)."""
    last = calendar.monthrange(year, month)[1]
    if day > last:
        return None
    weekday = date(year, month, day).weekday()  # Monday is 0
    if weekday == 5:  # Saturday: Friday before, or Monday after when that is the 1st
        return day - 1 if day > 1 else day + 2
    if weekday == 6:  # Sunday: Monday after, or Friday before at the month's end
        return day + 1 if day < last else day - 2
    return day


def _day_of_month(field: str) -> tuple[str, int | None]:
    if field in ("?", "*"):
        return "*", None
    if field in ("L", "LW"):
        return field, None
    if field.endswith("W"):
        day = _number(field[:-1], range(1, 32))
        return "*", day
    return _list(_expand(field, range(1, 32))), None


def _day_of_week(field: str) -> str:
    """AWS's day-of-week (1 = SUN) in cronsim's numbering (0 = SUN)."""
    if field in ("?", "*"):
        return "*"
    if field == "L":
        return "6"  # Saturday, every week
    if "#" in field:
        weekday, _, nth = field.partition("#")
        _number(nth, range(1, 6))
        return f"{_number(weekday, range(1, 8), DAYS) - 1}#{nth}"
    if field.endswith("L"):
        return f"{_number(field[:-1], range(1, 8), DAYS) - 1}L"
    return _list(frozenset(day - 1 for day in _expand(field, range(1, 8), DAYS)))


def _expand(field: str, bounds: range, names: tuple[str, ...] = ()) -> frozenset[int]:
    values: set[int] = set()
    for part in field.split(","):
        values.update(_part(part, bounds, names))
    return frozenset(values)


def _part(part: str, bounds: range, names: tuple[str, ...]) -> list[int]:
    span, slash, step_text = part.partition("/")
    step = _number(step_text, range(1, len(bounds))) if slash else 1  # */60 is refused
    if span == "*":
        first, last = bounds[0], bounds[-1]
    elif "-" in span:
        low, _, high = span.partition("-")
        first, last = _number(low, bounds, names), _number(high, bounds, names)
    else:
        first = _number(span, bounds, names)
        last = bounds[-1] if slash else first
    if last < first:  # a range that wraps around, e.g. FRI-MON
        ordered = [*range(first, bounds[-1] + 1), *range(bounds[0], last + 1)]
    else:
        ordered = list(range(first, last + 1))
    return ordered[::step]


def _number(text: str, bounds: range, names: tuple[str, ...] = ()) -> int:
    if text in names:
        return names.index(text) + bounds[0]
    if not text.isdigit() or int(text) not in bounds:
        raise CronError(f"{text!r} is not in {bounds[0]}-{bounds[-1]}")
    return int(text)


def _list(values: frozenset[int]) -> str:
    return ",".join(str(value) for value in sorted(values))
