"""AWS::Scheduler::ScheduleGroup and AWS::Scheduler::Schedule over the scheduler service, as
CloudFormation makes them (SAM's ScheduleV2 event becomes a Schedule and its role).

    ScheduleGroup   Ref: the name; GetAtt Arn, CreationDate, LastModificationDate, State.
                    Name replaces; Tags change in place.
    Schedule        Ref: the name; GetAtt Arn. Without Name one is generated (stack-logical-
                    SUFFIX, 64 characters at most). Name and GroupName replace; everything
                    else is an UpdateSchedule (which, as on AWS, replaces every member).

Template values arrive as CloudFormation resolved them: dates as ISO 8601 text, numbers
perhaps as text (from parameters); they are made the types the service takes here.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any, ClassVar

from stratus.errors import Invalid, NotFound
from stratus.schedules.model import DEFAULT_GROUP, ScheduleSpec
from stratus.templates.provider import (
    Context,
    Created,
    Provider,
    ResourceFailed,
    required,
    tag_map,
)

SCHEDULE = "AWS::Scheduler::Schedule"


class ScheduleGroup(Provider):
    type_name = "AWS::Scheduler::ScheduleGroup"
    updatable: ClassVar[frozenset[str]] = frozenset({"Tags"})

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        name = str(props.get("Name") or ctx.physical_name(logical_id))
        scheduler = ctx.services.scheduler
        await scheduler.create_group(name, tag_map(props.get("Tags")))
        return Created(name, _group_attributes((await scheduler.group(name)).described()))

    async def wait_update(
        self, ctx: Context, logical_id: str, current: Created, old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:  # fmt: skip
        scheduler = ctx.services.scheduler
        arn = scheduler.group_arn(current.physical_id)
        old_tags, new_tags = tag_map(old.get("Tags")), tag_map(new.get("Tags"))
        await scheduler.untag(arn, [key for key in old_tags if key not in new_tags])
        await scheduler.tag(arn, new_tags)
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound):
            await ctx.services.scheduler.delete_group(physical_id)


def _group_attributes(described: dict[str, Any]) -> dict[str, Any]:
    return {
        "Arn": described["Arn"],
        "State": described["State"],
        "CreationDate": described["CreationDate"].isoformat(),
        "LastModificationDate": described["LastModificationDate"].isoformat(),
    }


class Schedule(Provider):
    type_name = SCHEDULE
    updatable: ClassVar[frozenset[str]] = frozenset(
        {"Description", "EndDate", "StartDate", "FlexibleTimeWindow", "KmsKeyArn",
         "ScheduleExpression", "ScheduleExpressionTimezone", "State", "Target"}
    )  # fmt: skip

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        name = str(props.get("Name") or ctx.physical_name(logical_id))
        arn = await ctx.services.scheduler.create_schedule(_spec(name, props))
        return Created(name, {"Arn": arn})

    async def wait_update(
        self, ctx: Context, logical_id: str, current: Created, old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:  # fmt: skip
        arn = await ctx.services.scheduler.update_schedule(_spec(current.physical_id, new))
        return Created(current.physical_id, {"Arn": arn})

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound):
            await ctx.services.scheduler.delete_schedule(props.get("GroupName"), physical_id)


def _spec(name: str, props: dict[str, Any]) -> ScheduleSpec:
    """The template's properties as CreateSchedule's members."""
    window = dict(required(props, "FlexibleTimeWindow", SCHEDULE))
    if window.get("MaximumWindowInMinutes") is not None:
        window["MaximumWindowInMinutes"] = _int(window["MaximumWindowInMinutes"])
    target = dict(required(props, "Target", SCHEDULE))
    if target.get("RetryPolicy"):
        target["RetryPolicy"] = {k: _int(v) for k, v in target["RetryPolicy"].items()}
    members = {
        "Name": name,
        "ScheduleExpression": required(props, "ScheduleExpression", SCHEDULE),
        "FlexibleTimeWindow": window,
        "Target": target,
        "GroupName": props.get("GroupName") or DEFAULT_GROUP,
        "StartDate": _date(props.get("StartDate")),
        "EndDate": _date(props.get("EndDate")),
    }
    for key in ("State", "ScheduleExpressionTimezone", "Description", "KmsKeyArn",
                "ActionAfterCompletion"):  # fmt: skip
        members[key] = props.get(key)
    try:
        return ScheduleSpec.of(members)
    except (KeyError, TypeError) as exc:
        raise ResourceFailed(f"{SCHEDULE} property is missing or malformed: {exc}") from exc


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Invalid(f"{value!r} is not an integer.") from None


def _date(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise Invalid(f"{value!r} is not an ISO 8601 date.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


PROVIDERS = (ScheduleGroup, Schedule)
