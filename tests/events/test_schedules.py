"""Schedule expressions: AWS's documented examples, when they fire, and what is refused."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stratus.errors import Validation
from stratus.timing.cron import nearest_weekday
from stratus.timing.plans import (
    FlexibleTimeWindow,
    Mode,
    catch_up,
    flexible_fire_time,
    parse_flexible_time_window,
    rule_plan,
    scheduler_plan,
)

# Monday 2024-01-01, 00:00 UTC.
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def fires(expression: str, count: int, after: datetime = T0) -> list[str]:
    plan = rule_plan(expression, created=T0)
    return [fire.strftime("%Y-%m-%d %a %H:%M") for fire in plan.fires(after, count)]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # The user guide's examples.
        ("cron(0 10 * * ? *)", ["2024-01-01 Mon 10:00", "2024-01-02 Tue 10:00"]),
        ("cron(15 12 * * ? *)", ["2024-01-01 Mon 12:15", "2024-01-02 Tue 12:15"]),
        ("cron(0 18 ? * MON-FRI *)", ["2024-01-01 Mon 18:00", "2024-01-02 Tue 18:00"]),
        ("cron(0 8 1 * ? *)", ["2024-01-01 Mon 08:00", "2024-02-01 Thu 08:00"]),
        ("cron(0/15 * * * ? *)", ["2024-01-01 Mon 00:15", "2024-01-01 Mon 00:30"]),
        ("cron(0/5 8-17 ? * MON-FRI *)", ["2024-01-01 Mon 08:00", "2024-01-01 Mon 08:05"]),
        ("cron(0 9 ? * 2#1 *)", ["2024-01-01 Mon 09:00", "2024-02-05 Mon 09:00"]),
        # Day-of-week counts from Sunday = 1.
        ("cron(0 0 ? * 1 *)", ["2024-01-07 Sun 00:00", "2024-01-14 Sun 00:00"]),
        ("cron(0 0 ? * 7 *)", ["2024-01-06 Sat 00:00", "2024-01-13 Sat 00:00"]),
        ("cron(0 0 ? * 2-6/2 *)", ["2024-01-03 Wed 00:00", "2024-01-05 Fri 00:00"]),
        ("cron(0 0 ? * FRI-MON *)", ["2024-01-05 Fri 00:00", "2024-01-06 Sat 00:00"]),
        ("cron(0 0 ? * L *)", ["2024-01-06 Sat 00:00", "2024-01-13 Sat 00:00"]),
        ("cron(0 0 ? * 6L *)", ["2024-01-26 Fri 00:00", "2024-02-23 Fri 00:00"]),
        ("cron(0 0 ? * 6#3 *)", ["2024-01-19 Fri 00:00", "2024-02-16 Fri 00:00"]),
        ("cron(0 0 L * ? *)", ["2024-01-31 Wed 00:00", "2024-02-29 Thu 00:00"]),
        ("cron(0 0 LW * ? *)", ["2024-01-31 Wed 00:00", "2024-02-29 Thu 00:00"]),
        ("cron(0 0 LW 3 ? *)", ["2024-03-29 Fri 00:00", "2025-03-31 Mon 00:00"]),
        ("cron(0 0 6W * ? *)", ["2024-01-05 Fri 00:00", "2024-02-06 Tue 00:00"]),
        ("cron(0 0 1W * ? *)", ["2024-02-01 Thu 00:00", "2024-03-01 Fri 00:00"]),
        ("cron(0 0 1 1 ? 2030,2032)", ["2030-01-01 Tue 00:00", "2032-01-01 Thu 00:00"]),
        ("cron(0 0 29 2 ? *)", ["2024-02-29 Thu 00:00", "2028-02-29 Tue 00:00"]),
        ("cron(0 12 * JAN,dec ? *)", ["2024-01-01 Mon 12:00", "2024-01-02 Tue 12:00"]),
        ("rate(5 minutes)", ["2024-01-01 Mon 00:05", "2024-01-01 Mon 00:10"]),
        ("rate(1 hour)", ["2024-01-01 Mon 01:00", "2024-01-01 Mon 02:00"]),
        ("rate(7 days)", ["2024-01-08 Mon 00:00", "2024-01-15 Mon 00:00"]),
    ],
)
def test_rule_schedules(expression: str, expected: list[str]) -> None:
    """A rule's schedule fires (in UTC) at the times AWS documents for it."""
    assert fires(expression, 2) == expected


def test_years_end() -> None:
    """A schedule whose years are over fires no more."""
    assert fires("cron(0 0 1 1 ? 2020-2023)", 1) == []
    assert fires("cron(0 0 * * ? 2199)", 1, after=utc("2199-12-31T23:59:00")) == []


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minutes)",
        "rate(5 minute)",
        "rate(0 minutes)",
        "rate(-1 minutes)",
        "rate(5 seconds)",
        "rate(5  minutes)",
        "rate(1.5 hours)",
        "RATE(5 minutes)",
        "cron(0 10 * * * *)",
        "cron(0 10 ? * ? *)",
        "cron(0 10 * * ?)",
        "cron(60 10 * * ? *)",
        "cron(0 24 * * ? *)",
        "cron(0 0 32 * ? *)",
        "cron(0 0 ? * 8 *)",
        "cron(0 0 ? * 0 *)",
        "cron(0 0 ? 13 MON *)",
        "cron(0 0 ? * MON 1969 )",
        "cron(0 0 ? * MON 2200)",
        "cron(0 0 ? * 6#6 *)",
        "cron(0 0 32W * ? *)",
        "cron(0 0 L/2 * ? *)",
        "cron(0/0 * * * ? *)",
        "cron(0 0 30 2 ? *)",
        "cron(a b c d e f)",
        "cron(*/60 * * * ? *)",
        "cron(15 12 ? * -1 *)",
        "cron()",
        "at(2024-01-01T00:00:00)",
        "every 5 minutes",
        "",
    ],
)
def test_refused_rule_expressions(expression: str) -> None:
    """An expression AWS refuses is a ValidationException in AWS's words."""
    with pytest.raises(Validation, match=r"^Parameter ScheduleExpression is not valid\.$"):
        rule_plan(expression, created=T0)


@pytest.mark.parametrize(
    "expression",
    # Reported valid on AWS (and refused by another emulator).
    [
        "cron(0-15/1 8-8 ? * 2,3,4,5,6,7 *)",
        "cron(30-30 13-13 ? * 2,4,6 *)",
        "cron(1-31/30 1-1 ? * 1,7 *)",
        "rate(1 minute)",
        "at(2030-02-28T23:59:59)",
    ],
)
def test_valid_scheduler_expressions(expression: str) -> None:
    """Expressions AWS accepts are accepted and fire."""
    plan = scheduler_plan(expression, created=T0)

    assert plan.next_fire(T0) is not None


@pytest.mark.parametrize(
    "expression",
    ["rate(1 minutes)", "at(2030-02-30T00:00:00)", "at(2030-02-28 23:59:59)", "cron(0 0 * * * *)"],
)
def test_refused_scheduler_expressions(expression: str) -> None:
    """Scheduler words its refusal differently from PutRule."""
    with pytest.raises(Validation, match=rf"^Invalid Schedule Expression {re.escape(expression)}$"):
        scheduler_plan(expression, created=T0)


def test_scheduler_time_zone_and_daylight_saving() -> None:
    """Scheduler cron runs in its zone; a time DST skips is skipped, one it repeats runs once."""
    skipped = scheduler_plan("cron(30 2 * * ? *)", created=T0, timezone="America/New_York")
    repeated = scheduler_plan("cron(30 1 * * ? *)", created=T0, timezone="America/New_York")

    spring = [
        f.astimezone(skipped.zone).strftime("%m-%d %H:%M")
        for f in skipped.fires(utc("2024-03-08T12:00:00"), 3)
    ]
    autumn = [
        f.astimezone(repeated.zone).strftime("%m-%d %H:%M %Z")
        for f in repeated.fires(utc("2024-11-02T12:00:00"), 3)
    ]

    assert spring == ["03-09 02:30", "03-11 02:30", "03-12 02:30"]
    assert autumn == ["11-03 01:30 EDT", "11-04 01:30 EST", "11-05 01:30 EST"]


def test_one_time_schedule() -> None:
    """at() fires once at its wall-clock time in its zone, whatever the dates say."""
    plan = scheduler_plan(
        "at(2024-06-01T09:00:00)",
        created=T0,
        timezone="Europe/Paris",
        start=utc("2030-01-01T00:00:00"),
    )

    assert plan.fires(T0, 3) == [utc("2024-06-01T07:00:00")]


def test_start_and_end_dates() -> None:
    """A Scheduler rate starts at StartDate and stops at EndDate."""
    plan = scheduler_plan(
        "rate(1 day)", created=T0, start=utc("2024-02-01T06:00:00"), end=utc("2024-02-03T06:00:00")
    )

    assert plan.fires(T0, 5) == [
        utc("2024-02-01T06:00:00"),
        utc("2024-02-02T06:00:00"),
        utc("2024-02-03T06:00:00"),
    ]


def test_cron_between_dates() -> None:
    """A cron schedule fires only between its StartDate and EndDate."""
    plan = scheduler_plan(
        "cron(0 12 * * ? *)",
        created=T0,
        start=utc("2024-01-10T00:00:00"),
        end=utc("2024-01-11T13:00:00"),
    )

    assert plan.fires(T0, 5) == [utc("2024-01-10T12:00:00"), utc("2024-01-11T12:00:00")]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "Invalid ScheduleExpressionTimezone"),
        ({"start": utc("2024-02-01T00:00:00"), "end": utc("2024-01-01T00:00:00")}, "EndDate"),
    ],
)
def test_refused_scheduler_settings(kwargs: dict[str, object], message: str) -> None:
    """A bad zone or dates the wrong way round are ValidationExceptions."""
    with pytest.raises(Validation, match=message):
        scheduler_plan("rate(1 hour)", created=T0, **kwargs)  # type: ignore[arg-type]


def test_catch_up_fires_once_for_the_latest_missed_time() -> None:
    """After an outage the schedule fires once, for the latest missed time, then goes on."""
    plan = rule_plan("rate(5 minutes)", created=T0)

    result = catch_up(plan, last_fired=utc("2024-01-01T00:05:00"), now=utc("2024-01-01T03:02:00"))

    assert result.fire_for == utc("2024-01-01T03:00:00")
    assert result.next_fire == utc("2024-01-01T03:05:00")


def test_catch_up_drops_runs_older_than_the_event_age() -> None:
    """A missed run older than MaximumEventAgeInSeconds is dropped, as AWS drops it."""
    plan = rule_plan("cron(0 12 * * ? *)", created=T0)

    result = catch_up(
        plan,
        last_fired=utc("2024-01-01T12:00:00"),
        now=utc("2024-01-05T11:00:00"),
        max_event_age=timedelta(hours=2),
    )

    assert result.fire_for is None
    assert result.next_fire == utc("2024-01-05T12:00:00")


def test_catch_up_without_missed_runs() -> None:
    """Nothing missed: nothing to fire now."""
    plan = rule_plan("rate(1 hour)", created=T0)

    result = catch_up(plan, last_fired=utc("2024-01-01T02:00:00"), now=utc("2024-01-01T02:30:00"))

    assert result == type(result)(None, utc("2024-01-01T03:00:00"))


def test_missed_one_time_schedule_fires_once() -> None:
    """A one-time schedule missed while down fires once on restart."""
    plan = scheduler_plan("at(2024-01-01T10:00:00)", created=T0)

    result = catch_up(plan, last_fired=T0, now=utc("2024-01-01T11:00:00"))

    assert (result.fire_for, result.next_fire) == (utc("2024-01-01T10:00:00"), None)


def test_flexible_time_window() -> None:
    """FLEXIBLE fires within [t, t + window); OFF fires at t."""
    window = parse_flexible_time_window("FLEXIBLE", 15)

    assert flexible_fire_time(T0, window, 0.0) == T0
    assert T0 < flexible_fire_time(T0, window, 0.5) < T0 + timedelta(minutes=15)
    assert flexible_fire_time(T0, window, 1.0) < T0 + timedelta(minutes=15)
    assert flexible_fire_time(T0, FlexibleTimeWindow(Mode.OFF), 0.7) == T0


@pytest.mark.parametrize(
    ("mode", "maximum"),
    [("FLEXIBLE", None), ("FLEXIBLE", 0), ("FLEXIBLE", 1441), ("OFF", 5), ("SOMETIMES", None)],
)
def test_refused_windows(mode: str, maximum: int | None) -> None:
    """FLEXIBLE needs 1 to 1,440 minutes; OFF takes none."""
    with pytest.raises(Validation):
        parse_flexible_time_window(mode, maximum)


@given(
    st.integers(min_value=2000, max_value=2100),
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=1, max_value=31),
)
def test_nearest_weekday_is_a_weekday_in_the_month(year: int, month: int, day: int) -> None:
    """nW lands on a Monday-Friday of the same month, at most two days from day n."""
    found = nearest_weekday(year, month, day)
    if found is None:
        return

    assert datetime(year, month, found).weekday() < 5
    assert abs(found - day) <= 2


@given(
    st.integers(min_value=1, max_value=59),
    st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2100, 1, 1)),
)
def test_rate_fires_are_evenly_spaced(minutes: int, after: datetime) -> None:
    """After creation, consecutive fires of a rate are one period apart and after the time."""
    unit = "minute" if minutes == 1 else "minutes"
    plan = rule_plan(f"rate({minutes} {unit})", created=T0)
    start = after.replace(tzinfo=UTC)

    first, second = plan.fires(start, 2)

    assert start < first <= start + timedelta(minutes=minutes)
    assert second - first == timedelta(minutes=minutes)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_cron_fires_match_the_fields(after: datetime) -> None:
    """Every fire of a cron expression is after the asked time and satisfies its fields."""
    plan = rule_plan("cron(0/20 9-17 ? * MON-FRI *)", created=T0)
    start = after.replace(tzinfo=UTC)

    for fire in plan.fires(start, 3):
        assert fire > start
        assert fire.minute in (0, 20, 40)
        assert 9 <= fire.hour <= 17
        assert fire.weekday() < 5


def _field(values: list[int]) -> str:
    return ",".join(str(value) for value in values)


@given(
    minutes=st.lists(st.integers(0, 59), min_size=1, max_size=3, unique=True),
    hours=st.lists(st.integers(0, 23), min_size=1, max_size=3, unique=True),
    days=st.one_of(st.none(), st.lists(st.integers(1, 28), min_size=1, max_size=3, unique=True)),
    weekdays=st.lists(st.integers(1, 7), min_size=1, max_size=3, unique=True),
    after=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)),
)
def test_cron_agrees_with_a_minute_by_minute_scan(
    minutes: list[int],
    hours: list[int],
    days: list[int] | None,
    weekdays: list[int],
    after: datetime,
) -> None:
    """The next fire is the first minute after the asked time whose fields all match."""
    day_field, weekday_field = (_field(days), "?") if days else ("?", _field(weekdays))
    plan = rule_plan(
        f"cron({_field(minutes)} {_field(hours)} {day_field} * {weekday_field} *)", created=T0
    )
    start = after.replace(tzinfo=UTC)

    def day_matches(moment: datetime) -> bool:
        return moment.day in days if days else (moment.isoweekday() % 7 + 1) in weekdays

    moment = start.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while not (day_matches(moment) and moment.hour in hours and moment.minute in minutes):
        if not day_matches(moment):  # whole days and hours can be skipped at once
            moment = moment.replace(hour=0, minute=0) + timedelta(days=1)
        elif moment.hour not in hours:
            moment = moment.replace(minute=0) + timedelta(hours=1)
        else:
            moment += timedelta(minutes=1)

    assert plan.next_fire(start) == moment
