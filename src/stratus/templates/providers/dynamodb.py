"""AWS::DynamoDB::Table over the table service, as CloudFormation makes it: `Ref` is the
table name; `Fn::GetAtt` gives Arn and StreamArn. Without TableName the name is generated
(stack-logical-SUFFIX). SAM's AWS::Serverless::SimpleTable reaches here as this type (the
SAM translator turns it into one).

In place: billing mode and throughput, global secondary indexes added or removed (one
UpdateTable each, as AWS takes them), the stream (a new view type is a new stream), TTL,
tags, deletion protection, table class, point-in-time recovery. TableName, KeySchema and
the local indexes replace
the table, as on AWS.
"""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar

from stratus.errors import NotFound
from stratus.tables import streams
from stratus.tables.service import TableService
from stratus.templates.provider import Context, Created, Provider, required, tag_map

TYPE = "AWS::DynamoDB::Table"
MAX_NAME = 255


def _recovery(props: dict[str, Any]) -> dict[str, Any] | None:
    """PointInTimeRecoverySpecification as UpdateContinuousBackups takes it."""
    given = props.get("PointInTimeRecoverySpecification") or {}
    if str(given.get("PointInTimeRecoveryEnabled", "")).lower() != "true":
        return None
    spec: dict[str, Any] = {"PointInTimeRecoveryEnabled": True}
    if given.get("RecoveryPeriodInDays") is not None:
        spec["RecoveryPeriodInDays"] = int(given["RecoveryPeriodInDays"])
    return spec


def _throughput(given: dict[str, Any] | None) -> dict[str, int] | None:
    """Template numbers may be text ("5")."""
    if not given:
        return None
    return {
        "ReadCapacityUnits": int(given["ReadCapacityUnits"]),
        "WriteCapacityUnits": int(given["WriteCapacityUnits"]),
    }


def _index(spec: dict[str, Any], mode: str) -> dict[str, Any]:
    found = {
        k: v
        for k, v in spec.items()
        if k not in ("ProvisionedThroughput", "ContributorInsightsSpecification")
    }
    throughput = _throughput(spec.get("ProvisionedThroughput"))
    if throughput and mode == "PROVISIONED":
        found["ProvisionedThroughput"] = throughput
    return found


def _mode(props: dict[str, Any]) -> str:
    return str(props.get("BillingMode", "PROVISIONED"))


def _stream(props: dict[str, Any]) -> dict[str, Any] | None:
    view = (props.get("StreamSpecification") or {}).get("StreamViewType")
    return {"StreamEnabled": True, "StreamViewType": view} if view else None


def _ttl(props: dict[str, Any]) -> str | None:
    spec = props.get("TimeToLiveSpecification") or {}
    enabled = str(spec.get("Enabled", False)).lower() == "true"
    return str(spec["AttributeName"]) if enabled and spec.get("AttributeName") else None


def _created(tables: TableService, name: str) -> Created:
    table = tables.table(name)
    attributes = {"Arn": table.arn}
    stream_arn = streams.arn(table)
    if stream_arn:
        attributes["StreamArn"] = stream_arn
    return Created(name, attributes)


class Table(Provider):
    type_name = TYPE
    updatable: ClassVar[frozenset[str]] = frozenset({
        "BillingMode", "ProvisionedThroughput", "GlobalSecondaryIndexes", "AttributeDefinitions",
        "StreamSpecification", "TimeToLiveSpecification", "Tags", "DeletionProtectionEnabled",
        "TableClass", "SSESpecification", "PointInTimeRecoverySpecification",
        "ContributorInsightsSpecification", "KinesisStreamSpecification",
    })  # fmt: skip

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        tables = ctx.services.tables
        name = props.get("TableName") or ctx.physical_name(logical_id, MAX_NAME)
        mode = _mode(props)
        params: dict[str, Any] = {
            "TableName": name,
            "KeySchema": required(props, "KeySchema", TYPE),
            "AttributeDefinitions": required(props, "AttributeDefinitions", TYPE),
            "BillingMode": mode,
            "Tags": props.get("Tags", []),
        }
        if _throughput(props.get("ProvisionedThroughput")) and mode == "PROVISIONED":
            params["ProvisionedThroughput"] = _throughput(props.get("ProvisionedThroughput"))
        for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if props.get(kind):
                params[kind] = [_index(i, mode) for i in props[kind]]
        if _stream(props):
            params["StreamSpecification"] = _stream(props)
        for name_ in ("DeletionProtectionEnabled", "TableClass"):
            if props.get(name_) is not None:
                params[name_] = props[name_]
        await tables.create_table(params)
        ttl = _ttl(props)
        if ttl:
            await tables.set_time_to_live(name, {"Enabled": True, "AttributeName": ttl})
        recovery = _recovery(props)
        if recovery:
            await tables.backups.set_continuous(name, recovery)
        return _created(tables, name)

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        tables = ctx.services.tables
        name = current.physical_id
        mode = _mode(new)
        if _mode(old) != mode or old.get("ProvisionedThroughput") != new.get(
            "ProvisionedThroughput"
        ):
            change: dict[str, Any] = {"TableName": name, "BillingMode": mode}
            if mode == "PROVISIONED":
                change["ProvisionedThroughput"] = _throughput(new.get("ProvisionedThroughput"))
            await tables.update_table(change)
        await self._wait_update_indexes(tables, name, old, new, mode)
        if _stream(old) != _stream(new):
            if _stream(old):
                await tables.update_table(
                    {"TableName": name, "StreamSpecification": {"StreamEnabled": False}}
                )
            if _stream(new):
                await tables.update_table({"TableName": name, "StreamSpecification": _stream(new)})
        if _ttl(old) != _ttl(new):
            if _ttl(old):
                await tables.set_time_to_live(name, {"Enabled": False, "AttributeName": _ttl(old)})
            if _ttl(new):
                await tables.set_time_to_live(name, {"Enabled": True, "AttributeName": _ttl(new)})
        if _recovery(old) != _recovery(new):
            await tables.backups.set_continuous(
                name, _recovery(new) or {"PointInTimeRecoveryEnabled": False}
            )
        for setting in ("DeletionProtectionEnabled", "TableClass"):
            if old.get(setting) != new.get(setting) and new.get(setting) is not None:
                await tables.update_table({"TableName": name, setting: new[setting]})
        arn = tables.table(name).arn
        old_tags, new_tags = tag_map(old.get("Tags")), tag_map(new.get("Tags"))
        await tables.untag(arn, [k for k in old_tags if k not in new_tags])
        if new_tags:
            await tables.tag(arn, [{"Key": k, "Value": v} for k, v in new_tags.items()])
        return _created(tables, name)

    async def _wait_update_indexes(
        self, tables: TableService, name: str, old: dict[str, Any], new: dict[str, Any], mode: str
    ) -> None:
        before = {i["IndexName"]: i for i in old.get("GlobalSecondaryIndexes") or []}
        after = {i["IndexName"]: i for i in new.get("GlobalSecondaryIndexes") or []}
        for gone in before.keys() - after.keys():
            await tables.update_table(
                {
                    "TableName": name,
                    "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": gone}}],
                }
            )
        for index_name, spec in after.items():
            if index_name in before and before[index_name] == spec:
                continue
            if index_name in before:  # a changed index is replaced
                await tables.update_table(
                    {"TableName": name,
                     "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": index_name}}]}
                )  # fmt: skip
            await tables.update_table(
                {
                    "TableName": name,
                    "AttributeDefinitions": new["AttributeDefinitions"],
                    "GlobalSecondaryIndexUpdates": [{"Create": _index(spec, mode)}],
                }
            )

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound):  # already gone: deleting it is done
            await ctx.services.tables.delete_table(physical_id)


PROVIDERS = (Table,)
