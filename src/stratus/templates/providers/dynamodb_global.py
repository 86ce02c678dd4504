"""AWS::DynamoDB::GlobalTable in one region: the replica of this server's region is an
AWS::DynamoDB::Table (providers/dynamodb.py) made from the global table's settings and the
replica's own. `Ref` is the table name; `Fn::GetAtt` gives Arn, StreamArn and TableId.

Stratus is one region, so the template must list exactly one replica, in this region; a
replica elsewhere is refused with the reason (rather than made here under a false region).
Capacity: on PROVISIONED, the replica's ReadProvisionedThroughputSettings.ReadCapacityUnits
and the global WriteProvisionedThroughputSettings' auto-scaling minimum (auto scaling
itself is not run).
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from stratus.errors import Invalid
from stratus.templates.provider import Context, Created, Provider, required

from .dynamodb import Table

TYPE = "AWS::DynamoDB::GlobalTable"
DEFAULT_CAPACITY = 5


def _replica(ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
    replicas = required(props, "Replicas", TYPE)
    region = ctx.settings.region
    elsewhere = [str(r.get("Region")) for r in replicas if r.get("Region") != region]
    if elsewhere or len(replicas) != 1:
        raise Invalid(
            f"{TYPE}: Stratus serves one region ({region}); the template asks for replicas "
            f"in {', '.join(str(r.get('Region')) for r in replicas)}. List exactly one "
            f"replica, with Region: {region}."
        )
    return dict(replicas[0])


def table_props(ctx: Context, props: dict[str, Any]) -> dict[str, Any]:
    """The AWS::DynamoDB::Table properties of this region's replica."""
    replica = _replica(ctx, props)
    mode = str(props.get("BillingMode", "PROVISIONED"))
    found: dict[str, Any] = {
        k: props[k]
        for k in (
            "TableName", "KeySchema", "AttributeDefinitions", "LocalSecondaryIndexes",
            "StreamSpecification", "TimeToLiveSpecification",
        )
        if props.get(k) is not None
    }  # fmt: skip
    found["BillingMode"] = mode
    read = (replica.get("ReadProvisionedThroughputSettings") or {}).get(
        "ReadCapacityUnits", DEFAULT_CAPACITY
    )
    write = (
        (props.get("WriteProvisionedThroughputSettings") or {}).get(
            "WriteCapacityAutoScalingSettings"
        )
        or {}
    ).get("MinCapacity", DEFAULT_CAPACITY)
    if mode == "PROVISIONED":
        found["ProvisionedThroughput"] = {"ReadCapacityUnits": read, "WriteCapacityUnits": write}
    indexes = []
    for index in props.get("GlobalSecondaryIndexes") or []:
        spec = {k: v for k, v in index.items() if k != "WriteProvisionedThroughputSettings"}
        if mode == "PROVISIONED":
            spec["ProvisionedThroughput"] = {
                "ReadCapacityUnits": read,
                "WriteCapacityUnits": write,
            }
        indexes.append(spec)
    if indexes:
        found["GlobalSecondaryIndexes"] = indexes
    for name in ("Tags", "DeletionProtectionEnabled", "TableClass"):
        if replica.get(name) is not None:
            found[name] = replica[name]
    return found


class GlobalTable(Provider):
    type_name = TYPE
    updatable: ClassVar[frozenset[str]] = frozenset({
        "Replicas", "BillingMode", "GlobalSecondaryIndexes", "AttributeDefinitions",
        "StreamSpecification", "TimeToLiveSpecification", "WriteProvisionedThroughputSettings",
        "WriteOnDemandThroughputSettings", "SSESpecification", "WarmThroughput",
    })  # fmt: skip

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        made = await Table().wait_create(ctx, logical_id, table_props(ctx, props))
        return _with_id(made)

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        changed = await Table().wait_update(
            ctx, logical_id, current, table_props(ctx, old), table_props(ctx, new)
        )
        return _with_id(changed)

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        await Table().wait_delete(ctx, physical_id, props)


def _with_id(made: Created) -> Created:
    table_id = str(uuid.uuid5(uuid.NAMESPACE_URL, made.attributes["Arn"]))
    return Created(made.physical_id, {**made.attributes, "TableId": table_id})


PROVIDERS = (GlobalTable,)
