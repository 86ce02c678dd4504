"""CloudWatch Logs resources, each a real one of stratus.observe.logs:

- AWS::Logs::LogGroup: created with its tags, class and retention, updated in place for
  retention, tags and deletion protection, and deleted with its events, as CloudFormation does.
- AWS::Logs::LogStream, AWS::Logs::MetricFilter, AWS::Logs::SubscriptionFilter (delivered to
  its function by stratus.bridges) and AWS::Logs::QueryDefinition: what PutMetricFilter,
  PutSubscriptionFilter and PutQueryDefinition make, with the same checks. Ref is the
  stream's or filter's name, the query definition's id."""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar

from stratus.bridges import wait_check_subscription_destination
from stratus.errors import NotFound
from stratus.observe import log_filters
from stratus.observe.log_filters import Kind
from stratus.observe.logs import now_ms
from stratus.templates.provider import Context, Created, Provider, required, tag_map, text


class LogGroup(Provider):
    type_name = "AWS::Logs::LogGroup"
    updatable: ClassVar[frozenset[str]] = frozenset(
        {"RetentionInDays", "Tags", "DeletionProtectionEnabled"}
    )

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        name = str(props.get("LogGroupName") or ctx.physical_name(logical_id, 512))
        logs = ctx.services.logs
        await logs.create_group(
            name,
            tags=tag_map(props.get("Tags")),
            kms_key_id=props.get("KmsKeyId"),
            log_group_class=str(props.get("LogGroupClass") or "STANDARD"),
            deletion_protection=_flag(props.get("DeletionProtectionEnabled")),
        )
        if props.get("RetentionInDays") is not None:
            await logs.set_retention(name, int(props["RetentionInDays"]))
        return Created(name, self._attributes(ctx, name))

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        name, logs = current.physical_id, ctx.services.logs
        days = new.get("RetentionInDays")
        await logs.set_retention(name, int(days) if days is not None else None)
        old_tags, new_tags = tag_map(old.get("Tags")), tag_map(new.get("Tags"))
        await logs.retag(name, new_tags, [k for k in old_tags if k not in new_tags])
        await logs.set_deletion_protection(name, _flag(new.get("DeletionProtectionEnabled")))
        return Created(name, self._attributes(ctx, name))

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound):
            await ctx.services.logs.delete_group(physical_id)

    def _attributes(self, ctx: Context, name: str) -> dict[str, Any]:
        return {"Arn": ctx.arn("logs", f"log-group:{name}:*")}


class LogStream(Provider):
    type_name = "AWS::Logs::LogStream"  # (any change replaces it)

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        group = text(required(props, "LogGroupName", self.type_name))
        name = str(props.get("LogStreamName") or ctx.physical_name(logical_id, 512))
        await ctx.services.logs.create_stream(group, name)
        return Created(name)

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound):  # (gone with its group)
            await ctx.services.logs.delete_stream(text(props["LogGroupName"]), physical_id)


class _Filter(Provider):
    """A metric or subscription filter: a name on a log group, replaced when either changes."""

    kind: ClassVar[Kind]

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        name = str(props.get("FilterName") or ctx.physical_name(logical_id, 512))
        return await self._wait_put(ctx, name, props)

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        return await self._wait_put(ctx, current.physical_id, new)

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound):  # (gone with its group)
            await ctx.services.logs.filters.delete(
                self.kind, text(props["LogGroupName"]), physical_id
            )

    async def _wait_put(self, ctx: Context, name: str, props: dict[str, Any]) -> Created:
        group = text(required(props, "LogGroupName", self.type_name))
        config = await self._wait_config(ctx, group, name, props)
        await ctx.services.logs.filters.put(self.kind, group, name, config)
        return Created(name)

    async def _wait_config(
        self, ctx: Context, group: str, name: str, props: dict[str, Any]
    ) -> dict[str, Any]:
        raise NotImplementedError


class MetricFilter(_Filter):
    type_name = "AWS::Logs::MetricFilter"
    kind = "metric"
    updatable = frozenset({"FilterPattern", "MetricTransformations", "ApplyOnTransformedLogs"})

    async def _wait_config(
        self, ctx: Context, group: str, name: str, props: dict[str, Any]
    ) -> dict[str, Any]:
        return log_filters.metric_filter(
            group,
            name,
            text(props.get("FilterPattern", "")),
            [_transformation(t) for t in required(props, "MetricTransformations", self.type_name)],
            on_transformed=_flag(props.get("ApplyOnTransformedLogs")),
            now_ms=now_ms(),
        )


def _transformation(t: dict[str, Any]) -> dict[str, Any]:
    """A template's MetricTransformation as PutMetricFilter takes it."""
    out: dict[str, Any] = {
        "metricName": text(t["MetricName"]),
        "metricNamespace": text(t["MetricNamespace"]),
        "metricValue": text(t["MetricValue"]),
    }
    if t.get("DefaultValue") is not None:
        out["defaultValue"] = float(t["DefaultValue"])
    if t.get("Dimensions"):
        out["dimensions"] = {text(d["Key"]): text(d["Value"]) for d in t["Dimensions"]}
    if t.get("Unit"):
        out["unit"] = text(t["Unit"])
    return out


class SubscriptionFilter(_Filter):
    type_name = "AWS::Logs::SubscriptionFilter"
    kind = "subscription"
    updatable = frozenset(
        {"FilterPattern", "DestinationArn", "RoleArn", "Distribution", "ApplyOnTransformedLogs"}
    )

    async def _wait_config(
        self, ctx: Context, group: str, name: str, props: dict[str, Any]
    ) -> dict[str, Any]:
        config = log_filters.subscription_filter(
            group,
            name,
            text(props.get("FilterPattern", "")),
            text(required(props, "DestinationArn", self.type_name)),
            distribution=props.get("Distribution"),
            role=props.get("RoleArn"),
            on_transformed=_flag(props.get("ApplyOnTransformedLogs")),
            now_ms=now_ms(),
        )
        await wait_check_subscription_destination(ctx.services.functions, config["destinationArn"])
        return config


class QueryDefinition(Provider):
    type_name = "AWS::Logs::QueryDefinition"
    updatable = frozenset({"Name", "QueryString", "LogGroupNames", "QueryLanguage"})

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        return await self._wait_put(ctx, None, props)

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        return await self._wait_put(ctx, current.physical_id, new)

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound):
            await ctx.services.logs.query_definitions.delete(physical_id)

    async def _wait_put(self, ctx: Context, known: str | None, props: dict[str, Any]) -> Created:
        config = {  # (as PutQueryDefinition stores it)
            "queryLanguage": text(props.get("QueryLanguage") or "CWLI"),
            "name": text(required(props, "Name", self.type_name)),
            "queryString": text(required(props, "QueryString", self.type_name)),
            "logGroupNames": [text(g) for g in props.get("LogGroupNames") or []],
        }
        chosen = await ctx.services.logs.query_definitions.put(known, config, now_ms())
        return Created(chosen, {"QueryDefinitionId": chosen})


def _flag(value: Any) -> bool:
    return str(value).lower() == "true"


PROVIDERS = (LogGroup, LogStream, MetricFilter, SubscriptionFilter, QueryDefinition)
