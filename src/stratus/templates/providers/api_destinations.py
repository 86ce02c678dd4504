"""AWS::Events::Connection and AWS::Events::ApiDestination over the bus's connections
(events/connections.py), as CloudFormation makes them: Ref is the name; GetAtt Arn (and
SecretArn for a connection, ArnForPolicy for both: the ARN without its trailing id). Without
a Name one is generated (64 characters at most). Every property but Name changes in place."""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar

from stratus.errors import NotFound
from stratus.templates.provider import Context, Created, Provider, required

CONNECTION = "AWS::Events::Connection"
API_DESTINATION = "AWS::Events::ApiDestination"
MAX_NAME = 64


def _given(props: dict[str, Any], name: str, members: tuple[str, ...]) -> dict[str, Any]:
    return {"Name": name} | {k: props[k] for k in members if props.get(k) is not None}


def _for_policy(arn: str) -> str:
    """`.../connection/<name>/<id>` -> `.../connection/<name>`."""
    return arn.rsplit("/", 1)[0]


class Connection(Provider):
    type_name = CONNECTION
    members = ("AuthorizationType", "AuthParameters", "Description",
               "InvocationConnectivityParameters", "KmsKeyIdentifier")  # fmt: skip
    updatable: ClassVar[frozenset[str]] = frozenset(members)

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        name = str(props.get("Name") or ctx.physical_name(logical_id, MAX_NAME))
        required(props, "AuthorizationType", CONNECTION)
        connections = ctx.services.events.connections
        await connections.create_connection(_given(props, name, self.members))
        return await self._created(ctx, name)

    async def wait_update(
        self, ctx: Context, logical_id: str, current: Created, old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:  # fmt: skip
        given = _given(new, current.physical_id, self.members)
        await ctx.services.events.connections.update_connection(given)
        return await self._created(ctx, current.physical_id)

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound):
            await ctx.services.events.connections.delete_connection(physical_id)

    @staticmethod
    async def _created(ctx: Context, name: str) -> Created:
        found = await ctx.services.events.connections.describe_connection(name)
        arn = found["ConnectionArn"]
        attributes = {"Arn": arn, "ArnForPolicy": _for_policy(arn), "SecretArn": found["SecretArn"]}
        return Created(name, attributes)


class ApiDestination(Provider):
    type_name = API_DESTINATION
    members = ("ConnectionArn", "Description", "HttpMethod", "InvocationEndpoint",
               "InvocationRateLimitPerSecond")  # fmt: skip
    updatable: ClassVar[frozenset[str]] = frozenset(members)

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        name = str(props.get("Name") or ctx.physical_name(logical_id, MAX_NAME))
        for member in ("ConnectionArn", "HttpMethod", "InvocationEndpoint"):
            required(props, member, API_DESTINATION)
        connections = ctx.services.events.connections
        created = await connections.create_api_destination(_given(props, name, self.members))
        return _destination(name, created["ApiDestinationArn"])

    async def wait_update(
        self, ctx: Context, logical_id: str, current: Created, old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:  # fmt: skip
        given = _given(new, current.physical_id, self.members)
        updated = await ctx.services.events.connections.update_api_destination(given)
        return _destination(current.physical_id, updated["ApiDestinationArn"])

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound):
            await ctx.services.events.connections.delete_api_destination(physical_id)


def _destination(name: str, arn: str) -> Created:
    return Created(name, {"Arn": arn, "ArnForPolicy": _for_policy(arn)})


PROVIDERS = (Connection, ApiDestination)
