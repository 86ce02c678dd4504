"""Schedule expressions and when they fire: EventBridge rules and EventBridge Scheduler.

    rate(value unit)   unit: minute(s) | hour(s) | day(s); singular exactly when value is 1
    cron(fields)       see cron.py
    at(yyyy-mm-ddThh:mm:ss)   Scheduler only: one time

Rules take rate and cron, in UTC. Scheduler takes all three in ScheduleExpressionTimezone
(default UTC), between StartDate and EndDate (both ignored by `at`). A rule's rate counts
from the rule's creation and first fires one period later; a Scheduler rate counts from
StartDate when given (and first fires there), else from creation.

FlexibleTimeWindow: OFF fires at the scheduled time; FLEXIBLE with MaximumWindowInMinutes
(1-1,440) fires somewhere in [scheduled, scheduled + window). The choice is the caller's
`jitter` in [0, 1), so this stays pure.

Missed runs (the server was down): AWS never batches a backlog; a delivery it could not make
is retried until the target's MaximumEventAgeInSeconds (default 24 h) and then dropped. So
on restart we fire once, for the latest time missed, if it is younger than that age, and go
on from the next time after now: one catch-up run, never a storm (`catch_up`).

Refusals are ValidationExceptions: "Parameter ScheduleExpression is not valid." from
PutRule, "Invalid Schedule Expression <expression>" from Scheduler. A step must be smaller
than its field's span (`*/60` in minutes is refused, as AWS refuses it).

Everything here is pure: times in, times out, all aware datetimes in UTC at the edges.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from stratus.errors import Validation
from stratus.timing.cron import Cron, CronError, parse_cron

RULE_INVALID = "Parameter ScheduleExpression is not valid."  # PutRule's words
DEFAULT_MAX_EVENT_AGE = timedelta(hours=24)
_RATE = re.compile(r"rate\((?P<value>\d+) (?P<unit>minutes?|hours?|days?)\)")
_CRON = re.compile(r"cron\((?P<fields>[^()]*)\)")
_AT = re.compile(r"at\((?P<moment>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)")
_UNITS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}


@dataclass(frozen=True, slots=True)
class Rate:
    every: timedelta


@dataclass(frozen=True, slots=True)
class At:
    moment: datetime  # naive: a wall-clock time in the schedule's zone


Expression = Rate | Cron | At


class Mode(StrEnum):
    OFF = "OFF"
    FLEXIBLE = "FLEXIBLE"


@dataclass(frozen=True, slots=True)
class FlexibleTimeWindow:
    mode: Mode = Mode.OFF
    maximum: timedelta = timedelta(0)


@dataclass(frozen=True, slots=True)
class Plan:
    """When one rule or schedule fires."""

    expression: Expression
    zone: ZoneInfo
    anchor: datetime  # rates count from here (UTC)
    first_at_anchor: bool = False
    start: datetime | None = None
    end: datetime | None = None

    def next_fire(self, after: datetime) -> datetime | None:
        """The first fire time strictly after `after` (aware), in UTC; None when done."""
        if isinstance(self.expression, At):
            moment = self.expression.moment.replace(tzinfo=self.zone).astimezone(UTC)
            return moment if moment > after else None
        if self.start is not None and after < self.start:
            after = self.start - timedelta(microseconds=1)
        fire: datetime | None
        if isinstance(self.expression, Rate):
            fire = self._next_rate(self.expression.every, after)
        else:
            local = self.expression.next_after(after.astimezone(self.zone))
            fire = None if local is None else local.astimezone(UTC)
        if fire is None or (self.end is not None and fire > self.end):
            return None
        return fire

    def fires(self, after: datetime, count: int) -> list[datetime]:
        """The next `count` fire times after `after` (fewer when the plan ends)."""
        times: list[datetime] = []
        while len(times) < count and (fire := self.next_fire(after)) is not None:
            times.append(fire)
            after = fire
        return times

    def _next_rate(self, every: timedelta, after: datetime) -> datetime:
        periods = (after - self.anchor) // every + 1
        return self.anchor + every * max(periods, 0 if self.first_at_anchor else 1)


@dataclass(frozen=True, slots=True)
class CatchUp:
    fire_for: datetime | None  # the missed time to fire once for now, if any
    next_fire: datetime | None  # then go on from here


def catch_up(
    plan: Plan,
    last_fired: datetime,
    now: datetime,
    max_event_age: timedelta = DEFAULT_MAX_EVENT_AGE,
) -> CatchUp:
    """After a restart: fire once for the latest missed time, if still young enough.

    Only times younger than `max_event_age` can be the one, so the walk starts there: at
    most a day of fire times, however long the outage.
    """
    oldest = now - max_event_age - timedelta(microseconds=1)
    latest: datetime | None = None
    fire = plan.next_fire(max(last_fired, oldest))
    while fire is not None and fire <= now:
        latest, fire = fire, plan.next_fire(fire)
    return CatchUp(latest, fire)


def flexible_fire_time(scheduled: datetime, window: FlexibleTimeWindow, jitter: float) -> datetime:
    """When to invoke for a scheduled time; `jitter` in [0, 1) picks the point in the window."""
    if window.mode is Mode.OFF:
        return scheduled
    return scheduled + window.maximum * min(max(jitter, 0.0), 0.999_999)


def parse_flexible_time_window(mode: str, maximum_minutes: int | None) -> FlexibleTimeWindow:
    if mode == Mode.OFF:
        if maximum_minutes is not None:
            raise Validation("MaximumWindowInMinutes must not be set when Mode is OFF.")
        return FlexibleTimeWindow()
    if mode != Mode.FLEXIBLE:
        raise Validation(f"FlexibleTimeWindow Mode {mode!r} is not one of OFF, FLEXIBLE.")
    if maximum_minutes is None or not 1 <= maximum_minutes <= 1440:
        raise Validation("MaximumWindowInMinutes must be 1 to 1440 when Mode is FLEXIBLE.")
    return FlexibleTimeWindow(Mode.FLEXIBLE, timedelta(minutes=maximum_minutes))


def rule_plan(expression: str, created: datetime) -> Plan:
    """An EventBridge rule's ScheduleExpression (rate or cron, UTC)."""
    parsed = parse_expression(expression)
    if isinstance(parsed, At):
        raise Validation(RULE_INVALID)
    return Plan(parsed, ZoneInfo("UTC"), anchor=created)


def scheduler_plan(
    expression: str,
    created: datetime,
    timezone: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Plan:
    """An EventBridge Scheduler schedule's expression, zone and dates."""
    parsed = parse_expression(expression, f"Invalid Schedule Expression {expression}")
    zone = _zone(timezone or "UTC")
    if start is not None and end is not None and end <= start and not isinstance(parsed, At):
        raise Validation("The EndDate must be after the StartDate.")
    return Plan(
        parsed,
        zone,
        anchor=start or created,
        first_at_anchor=start is not None,
        start=start,
        end=end,
    )


def parse_expression(text: str, invalid: str = RULE_INVALID) -> Expression:
    """rate(...), cron(...) or at(...); ValidationException(`invalid`) otherwise."""
    if rate := _RATE.fullmatch(text):
        value, unit = int(rate["value"]), rate["unit"]
        if value < 1 or (value == 1) == unit.endswith("s"):
            raise Validation(invalid)
        return Rate(_UNITS[unit.rstrip("s")] * value)
    if cron := _CRON.fullmatch(text):
        try:
            return parse_cron(cron["fields"])
        except CronError as exc:
            raise Validation(invalid) from exc
    if at := _AT.fullmatch(text):
        try:
            return At(datetime.fromisoformat(at["moment"]))
        except ValueError as exc:
            raise Validation(invalid) from exc
    raise Validation(invalid)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Validation(f"Invalid ScheduleExpressionTimezone {name}.") from None
