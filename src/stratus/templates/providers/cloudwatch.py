"""AWS::CloudWatch::Alarm over the alarm service, as CloudFormation makes it: `Ref` is the
alarm's name (generated as <stack>-<logical id>-<suffix> without AlarmName); `Fn::GetAtt`
gives Arn. Its properties are PutMetricAlarm's members, so an update puts the alarm again
(its state kept); a new AlarmName replaces it. Templates write numbers as text too ("1"):
they are read as PutMetricAlarm's types here, the one seam where no model parses them.
AWS::CloudWatch::Dashboard keeps its body (see below); CompositeAlarm is not served (the
stack says so by type)."""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar

from stratus.errors import Invalid, NotFound
from stratus.templates.provider import (
    Context,
    Created,
    Provider,
    ResourceFailed,
    required,
    text,
)

_INTEGERS = ("Period", "EvaluationPeriods", "DatapointsToAlarm")
_MEMBERS = frozenset(
    {"AlarmName", "AlarmDescription", "ActionsEnabled", "OKActions", "AlarmActions",
     "InsufficientDataActions", "MetricName", "Namespace", "Statistic", "ExtendedStatistic",
     "Dimensions", "Period", "Unit", "EvaluationPeriods", "DatapointsToAlarm", "Threshold",
     "ComparisonOperator", "TreatMissingData", "EvaluateLowSampleCountPercentile", "Metrics",
     "Tags", "ThresholdMetricId"}
)  # fmt: skip


class _Named(Provider):
    """A resource put whole by name (its `name_property`, else generated), again on update,
    and deleted by name: what alarms and dashboards share."""

    name_property: ClassVar[str]

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        name = str(props.get(self.name_property) or ctx.physical_name(logical_id, 255))
        return await self._wait_put_checked(ctx, name, props)

    async def wait_update(
        self, ctx: Context, logical_id: str, current: Created, old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:  # fmt: skip
        return await self._wait_put_checked(ctx, current.physical_id, new)

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound):
            await self._wait_remove(ctx, physical_id)

    async def _wait_put_checked(self, ctx: Context, name: str, props: dict[str, Any]) -> Created:
        try:
            return await self._wait_put(ctx, name, props)
        except Invalid as exc:
            raise ResourceFailed(exc.message) from exc

    async def _wait_put(self, ctx: Context, name: str, props: dict[str, Any]) -> Created:
        raise NotImplementedError

    async def _wait_remove(self, ctx: Context, name: str) -> None:
        raise NotImplementedError


class Alarm(_Named):
    type_name = "AWS::CloudWatch::Alarm"
    name_property = "AlarmName"
    updatable: ClassVar[frozenset[str]] = _MEMBERS - {"AlarmName"}

    async def _wait_put(self, ctx: Context, name: str, props: dict[str, Any]) -> Created:
        await ctx.services.alarms.put({**members(props), "AlarmName": name})
        return Created(name, {"Arn": ctx.services.alarms.arn(name)})

    async def _wait_remove(self, ctx: Context, name: str) -> None:
        await ctx.services.alarms.delete([name])


class Dashboard(_Named):
    """AWS::CloudWatch::Dashboard: kept (Stratus draws none), `Ref` the name (generated as
    <stack>-<logical id>-<suffix> without DashboardName)."""

    type_name = "AWS::CloudWatch::Dashboard"
    name_property = "DashboardName"
    updatable: ClassVar[frozenset[str]] = frozenset({"DashboardBody"})

    async def _wait_put(self, ctx: Context, name: str, props: dict[str, Any]) -> Created:
        body = required(props, "DashboardBody", self.type_name)
        await ctx.services.dashboards.put(name, body if isinstance(body, str) else text(body))
        return Created(name)

    async def _wait_remove(self, ctx: Context, name: str) -> None:
        await ctx.services.dashboards.delete([name])


def members(props: dict[str, Any]) -> dict[str, Any]:
    """PutMetricAlarm's members from the resource's properties."""
    unknown = set(props) - _MEMBERS
    if unknown:
        raise Invalid(
            f"Unknown properties for AWS::CloudWatch::Alarm: {', '.join(sorted(unknown))}"
        )
    config = dict(props)
    try:
        for key in _INTEGERS:
            if key in config:
                config[key] = int(config[key])
        if "Threshold" in config:
            config["Threshold"] = float(config["Threshold"])
        if "ActionsEnabled" in config:
            config["ActionsEnabled"] = str(config["ActionsEnabled"]).lower() == "true"
        for query in config.get("Metrics", []):
            if "Period" in query:
                query["Period"] = int(query["Period"])
            if "MetricStat" in query:
                query["MetricStat"]["Period"] = int(query["MetricStat"]["Period"])
            if "ReturnData" in query:
                query["ReturnData"] = str(query["ReturnData"]).lower() == "true"
    except (TypeError, ValueError, KeyError) as exc:
        raise Invalid(f"A property of AWS::CloudWatch::Alarm is not of its type: {exc}") from exc
    return config


PROVIDERS = (Alarm, Dashboard)
