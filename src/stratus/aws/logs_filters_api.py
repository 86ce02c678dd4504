"""CloudWatch Logs' metric and subscription filters, and TestMetricFilter: named filter
patterns on a log group (stratus.observe.log_filters). A subscription filter's destination
must be a Lambda function that exists; stratus.bridges delivers to it."""

from __future__ import annotations

from typing import Any

from stratus.bridges import wait_check_subscription_destination
from stratus.errors import Invalid
from stratus.observe import filter_patterns, log_filters
from stratus.observe.logs import now_ms

from .protocols.adapter import Call, Handler


async def put_metric_filter(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    config = log_filters.metric_filter(
        body["logGroupName"],
        body["filterName"],
        body["filterPattern"],
        body["metricTransformations"],
        on_transformed=bool(body.get("applyOnTransformedLogs")),
        now_ms=now_ms(),
    )
    await call.services.logs.filters.put("metric", body["logGroupName"], body["filterName"], config)
    return {}


async def describe_metric_filters(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    group = body.get("logGroupName")
    if body.get("filterNamePrefix") and not group:
        raise Invalid("filterNamePrefix requires logGroupName")
    if bool(body.get("metricName")) != bool(body.get("metricNamespace")):
        raise Invalid("metricName and metricNamespace must be given together")
    found = await call.services.logs.filters.describe(
        "metric", group, body.get("filterNamePrefix") or ""
    )
    if body.get("metricName"):
        found = [
            f
            for f in found
            if any(
                t["metricName"] == body["metricName"]
                and t["metricNamespace"] == body["metricNamespace"]
                for t in f["metricTransformations"]
            )
        ]
    return {"metricFilters": found[: int(body.get("limit") or 50)]}


async def delete_metric_filter(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    await call.services.logs.filters.delete("metric", body["logGroupName"], body["filterName"])
    return {}


async def test_metric_filter(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    pattern = filter_patterns.compile(body["filterPattern"])
    matches = []
    for number, message in enumerate(body["logEventMessages"], start=1):
        found = pattern.match(message)
        if found is not None:
            extracted = {k: v for k, v in found.items() if k.startswith("$")}
            matches.append(
                {"eventNumber": number, "eventMessage": message, "extractedValues": extracted}
            )
    return {"matches": matches}


async def put_subscription_filter(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    config = log_filters.subscription_filter(
        body["logGroupName"],
        body["filterName"],
        body["filterPattern"],
        body["destinationArn"],
        distribution=body.get("distribution"),
        role=body.get("roleArn"),
        on_transformed=bool(body.get("applyOnTransformedLogs")),
        now_ms=now_ms(),
    )
    await wait_check_subscription_destination(call.services.functions, config["destinationArn"])
    filters = call.services.logs.filters
    await filters.put("subscription", body["logGroupName"], body["filterName"], config)
    return {}


async def describe_subscription_filters(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    found = await call.services.logs.filters.describe(
        "subscription", body["logGroupName"], body.get("filterNamePrefix") or ""
    )
    return {"subscriptionFilters": found[: int(body.get("limit") or 50)]}


async def delete_subscription_filter(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    filters = call.services.logs.filters
    await filters.delete("subscription", body["logGroupName"], body["filterName"])
    return {}


HANDLERS: dict[str, Handler] = {
    "PutMetricFilter": put_metric_filter,
    "DescribeMetricFilters": describe_metric_filters,
    "DeleteMetricFilter": delete_metric_filter,
    "TestMetricFilter": test_metric_filter,
    "PutSubscriptionFilter": put_subscription_filter,
    "DescribeSubscriptionFilters": describe_subscription_filters,
    "DeleteSubscriptionFilter": delete_subscription_filter,
}
