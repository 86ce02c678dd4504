"""AWS::Events::EventBus and AWS::Events::Rule over the event bus service, as CloudFormation
makes them.

    EventBus  Ref = the bus name; GetAtt Arn, Name. Name is required and replaces the bus;
              Description and Tags change in place.
    Rule      Ref = the rule name on the default bus, `bus|name` on another one (as
              CloudFormation's physical id); GetAtt Arn. Without Name the name is generated
              (stack-logical-SUFFIX, 64 at most). Name and EventBusName replace the rule;
              the pattern, schedule, state, description, role, tags and Targets change in
              place (targets put, and the ones no longer listed removed). EventPattern may be
              an object in the template; it reaches the service as JSON text.

Deleting a rule removes its targets first (the service refuses to delete a rule with targets).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any, ClassVar

from stratus.errors import NotFound, StratusError
from stratus.events.model import DEFAULT_BUS
from stratus.events.service import EventBusService
from stratus.templates.provider import (
    Context,
    Created,
    Provider,
    ResourceFailed,
    required,
    tag_map,
    text,
)

MAX_RULE_NAME = 64
SEPARATOR = "|"  # between bus and rule name in a rule's physical id, as CloudFormation's


class EventBus(Provider):
    type_name = "AWS::Events::EventBus"
    updatable: ClassVar[frozenset[str]] = frozenset(
        {"Description", "Tags", "Policy", "DeadLetterConfig", "KmsKeyIdentifier"}
    )

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        name = str(required(props, "Name", self.type_name))
        if props.get("EventSourceName"):
            raise ResourceFailed("Stratus has no partner event sources (EventSourceName)")
        description = props.get("Description")
        arn = await ctx.services.events.create_bus(
            name, None if description is None else str(description), tag_map(props.get("Tags"))
        )
        return Created(name, {"Arn": arn, "Name": name})

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        events = ctx.services.events
        name = current.physical_id
        if old.get("Description") != new.get("Description"):
            description = new.get("Description")
            await events.update_bus(name, None if description is None else str(description))
        arn = events.bus_arn(name)
        old_tags, new_tags = tag_map(old.get("Tags")), tag_map(new.get("Tags"))
        await events.untag(arn, [key for key in old_tags if key not in new_tags])
        if new_tags:
            await events.tag(arn, new_tags)
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        await ctx.services.events.delete_bus(physical_id)  # a missing bus is no error


def _bus(props: dict[str, Any]) -> str:
    return EventBusService.bus_name(str(props.get("EventBusName") or "") or None)


def _pattern(props: dict[str, Any]) -> str | None:
    pattern = props.get("EventPattern")
    if pattern is None:
        return None
    return pattern if isinstance(pattern, str) else json.dumps(pattern)


def _targets(props: dict[str, Any]) -> list[dict[str, Any]]:
    """The template's targets as PutTargets takes them (Input objects as JSON text)."""
    found = []
    for target in props.get("Targets") or []:
        given = dict(target)
        if isinstance(given.get("Input"), dict | list):
            given["Input"] = json.dumps(given["Input"])
        found.append(given)
    return found


def _split(physical_id: str) -> tuple[str, str]:
    """(bus, rule name) of a rule's physical id."""
    bus, _, name = physical_id.rpartition(SEPARATOR)
    return bus or DEFAULT_BUS, name


class Rule(Provider):
    type_name = "AWS::Events::Rule"
    updatable: ClassVar[frozenset[str]] = frozenset(
        {"Description", "EventPattern", "ScheduleExpression", "State", "RoleArn", "Targets",
         "Tags"}
    )  # fmt: skip

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        bus = _bus(props)
        name = str(props.get("Name") or ctx.physical_name(logical_id, MAX_RULE_NAME))
        with contextlib.suppress(NotFound):
            # PutRule overwrites; a stack must not adopt (and later delete) a rule it did not
            # make: CloudFormation refuses, as here.
            await ctx.services.events.rule(bus, name)
            raise ResourceFailed(
                f"Resource of type '{self.type_name}' with identifier "
                f"'{_physical_id(bus, name)}' already exists."
            )
        arn = await self._wait_put(ctx, bus, name, props)
        try:
            await self._wait_put_targets(ctx, bus, name, _targets(props), [])
        except StratusError:
            await self.wait_delete(ctx, _physical_id(bus, name), props)
            raise
        return Created(_physical_id(bus, name), {"Arn": arn})

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        bus, name = _split(current.physical_id)
        await self._wait_put(ctx, bus, name, new)
        events = ctx.services.events
        arn = events.rule_arn(bus, name)
        old_tags, new_tags = tag_map(old.get("Tags")), tag_map(new.get("Tags"))
        await events.untag(arn, [key for key in old_tags if key not in new_tags])
        await self._wait_put_targets(ctx, bus, name, _targets(new), _targets(old))
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        bus, name = _split(physical_id)
        events = ctx.services.events
        with contextlib.suppress(NotFound):  # the rule (or its bus) is already gone
            ids = [t.id for t in await events.targets(bus, name)]
            if ids:
                await events.remove_targets(bus, name, ids)
            await events.delete_rule(bus, name)

    @staticmethod
    async def _wait_put(ctx: Context, bus: str, name: str, props: dict[str, Any]) -> str:
        state = props.get("State")
        description, role = props.get("Description"), props.get("RoleArn")
        return await ctx.services.events.put_rule(
            bus,
            name,
            pattern=_pattern(props),
            schedule=None if props.get("ScheduleExpression") is None
            else str(props["ScheduleExpression"]),
            state=text(state) if state is not None else "ENABLED",
            description=None if description is None else str(description),
            role_arn=None if role is None else str(role),
            tags=tag_map(props.get("Tags")),
        )  # fmt: skip

    @staticmethod
    async def _wait_put_targets(
        ctx: Context, bus: str, name: str, new: list[dict[str, Any]], old: list[dict[str, Any]]
    ) -> None:
        events = ctx.services.events
        kept = {str(t.get("Id")) for t in new}
        gone = [str(t.get("Id")) for t in old if str(t.get("Id")) not in kept]
        if gone:
            await events.remove_targets(bus, name, gone)
        if not new:
            return
        failed = await events.put_targets(bus, name, new)
        if failed:
            reasons = "; ".join(f"{f['TargetId']}: {f['ErrorMessage']}" for f in failed)
            raise ResourceFailed(f"Targets could not be put: {reasons}")


def _physical_id(bus: str, name: str) -> str:
    return name if bus == DEFAULT_BUS else f"{bus}{SEPARATOR}{name}"


class EventBusPolicy(Provider):
    """One statement of a bus's policy, StatementId its Sid and its Ref: a whole Statement,
    or Action, Principal and Condition as PutPermission takes them."""

    type_name = "AWS::Events::EventBusPolicy"
    updatable: ClassVar[frozenset[str]] = frozenset(
        {"Statement", "Action", "Principal", "Condition"}
    )

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        sid = text(required(props, "StatementId", self.type_name))
        await self._wait_put(ctx, sid, props)
        return Created(sid)

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        await self._wait_put(ctx, current.physical_id, new)
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound):  # (the bus, or the statement, is gone)
            await ctx.services.events.resources.remove_permission(_bus(props), physical_id, False)

    async def _wait_put(self, ctx: Context, sid: str, props: dict[str, Any]) -> None:
        service, bus = ctx.services.events, _bus(props)
        try:
            await service.describe_bus(bus)
            if props.get("Statement"):
                statement = props["Statement"]
                if not isinstance(statement, dict):
                    raise ResourceFailed("Property Statement must be a policy statement object")
                await service.resources.put_statement(bus, {**statement, "Sid": sid})
                return
            given = {
                "StatementId": sid,
                "Action": props.get("Action"),
                "Principal": props.get("Principal"),
            }
            if props.get("Condition"):
                given["Condition"] = props["Condition"]
            await service.resources.put_permission(bus, service.bus_arn(bus), given)
        except StratusError as exc:
            raise ResourceFailed(exc.message) from exc


PROVIDERS = (EventBus, Rule, EventBusPolicy)
