"""CloudWatch Logs' metric and subscription filters, and TestMetricFilter: named filter
patterns on a log group (stratus.observe.log_filters). A subscription filter's destination
must be a Lambda function that exists; stratus.bridges delivers to it."""

from __future__ import annotations

from typing import Any

from stratus.errors import Invalid, NotFound
from stratus.functions.names import parse_reference
from stratus.observe import filter_patterns
from stratus.observe.logs import now_ms

from .protocols.adapter import Call, Handler

# What a metric transformation holds, with AWS's defaults left out when unset.
_TRANSFORMATION = (
    "metricName",
    "metricNamespace",
    "metricValue",
    "defaultValue",
    "dimensions",
    "unit",
)


async def put_metric_filter(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    transformations = body["metricTransformations"]
    for t in transformations:
        value = str(t["metricValue"])
        if not (value.startswith("$") or _is_number(value)):
            raise Invalid(f"Invalid metric value: {value} (a number or a $field of the pattern)")
    config = {
        "filterName": body["filterName"],
        "filterPattern": body["filterPattern"],
        "metricTransformations": [
            {k: t[k] for k in _TRANSFORMATION if t.get(k) is not None} for t in transformations
        ],
        "creationTime": now_ms(),
        "logGroupName": body["logGroupName"],
        "applyOnTransformedLogs": bool(body.get("applyOnTransformedLogs")),
    }
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
    destination = body["destinationArn"]
    if ":lambda:" not in destination or ":function:" not in destination:
        raise Invalid(
            f"Stratus delivers subscription filters to Lambda functions only, not {destination}"
        )
    try:
        await call.services.functions.get(parse_reference(destination))
    except NotFound as exc:
        raise Invalid(f"The destination function does not exist: {destination}") from exc
    config: dict[str, Any] = {
        "filterName": body["filterName"],
        "logGroupName": body["logGroupName"],
        "filterPattern": body["filterPattern"],
        "destinationArn": destination,
        "distribution": body.get("distribution") or "ByLogStream",
        "applyOnTransformedLogs": bool(body.get("applyOnTransformedLogs")),
        "creationTime": now_ms(),
    }
    if body.get("roleArn"):
        config["roleArn"] = body["roleArn"]
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


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


HANDLERS: dict[str, Handler] = {
    "PutMetricFilter": put_metric_filter,
    "DescribeMetricFilters": describe_metric_filters,
    "DeleteMetricFilter": delete_metric_filter,
    "TestMetricFilter": test_metric_filter,
    "PutSubscriptionFilter": put_subscription_filter,
    "DescribeSubscriptionFilters": describe_subscription_filters,
    "DeleteSubscriptionFilter": delete_subscription_filter,
}
