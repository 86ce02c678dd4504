"""Amazon CloudWatch: metrics and alarms (Smithy RPC v2 CBOR, the protocol boto3 picks for it;
protocols/rpc_v2_cbor.py). Each handler reads its members, asks the metric service
(stratus.observe.metric_service) or the alarm service (stratus.alarms) once, and names what
it answers. CloudWatch kept its query protocol's error codes (`awsQueryCompatible`): each
error carries the query code too, which is what boto3's exception classes match."""

from __future__ import annotations

from typing import Any

from stratus import paging
from stratus.errors import Invalid, NotFound, Validation
from stratus.observe.metric_service import (
    InvalidCombination,
    InvalidToken,
    MetricService,
    MissingParameter,
    at,
)
from stratus.observe.metrics import Metric, metric

from .protocols.adapter import Api, Call
from .protocols.errors import ErrorTable, WireError

ERRORS: ErrorTable = {
    InvalidCombination: WireError(
        "InvalidParameterCombinationException", 400, "InvalidParameterCombination"
    ),
    MissingParameter: WireError("MissingRequiredParameterException", 400, "MissingParameter"),
    InvalidToken: WireError("InvalidNextToken", 400, "InvalidNextToken"),
    Validation: WireError("ValidationException", 400, "ValidationError"),
    Invalid: WireError("InvalidParameterValueException", 400, "InvalidParameterValue"),
    NotFound: WireError("ResourceNotFound", 404, "ResourceNotFound"),
}
MAX_QUERIES = 500  # GetMetricData's MetricDataQueries
LIST_PAGE = 500  # ListMetrics


def _metrics(call: Call) -> MetricService:
    return call.services.metrics


def metric_of(members: dict[str, Any]) -> Metric:
    dims = [(d["Name"], d["Value"]) for d in members.get("Dimensions", ())]
    return metric(members["Namespace"], members["MetricName"], dims)


def dimensions_out(m: Metric) -> list[dict[str, str]]:
    return [{"Name": n, "Value": v} for n, v in m.dimensions]


# ---- metrics ----------------------------------------------------------------------------


async def put_metric_data(call: Call, p: dict[str, Any]) -> None:
    if p.get("EntityMetricData"):
        raise Invalid("Stratus does not take EntityMetricData; send MetricData.")
    await _metrics(call).put(p["Namespace"], p.get("MetricData", []))


async def get_metric_statistics(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    points = await _metrics(call).statistics(
        metric_of(p),
        p["StartTime"],
        p["EndTime"],
        p["Period"],
        p.get("Statistics", []),
        p.get("ExtendedStatistics", []),
        p.get("Unit"),
    )
    return {"Label": p["MetricName"], "Datapoints": points}


async def get_metric_data(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    queries = p["MetricDataQueries"]
    if not queries or len(queries) > MAX_QUERIES:
        raise Invalid(f"MetricDataQueries must hold 1 to {MAX_QUERIES} queries.")
    if len({q["Id"] for q in queries}) != len(queries):
        raise Invalid("The Ids of MetricDataQueries must be unique.")
    descending = p.get("ScanBy", "TimestampDescending") == "TimestampDescending"
    results = []
    for q in queries:
        results.append(await _query(call, q, p))
    shown = [r for r, q in zip(results, queries, strict=True) if q.get("ReturnData", True)]
    for result in shown:
        if descending:
            result["Timestamps"].reverse()
            result["Values"].reverse()
    return {"MetricDataResults": shown, "Messages": []}


async def _query(call: Call, q: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    if "Expression" in q:
        raise Invalid(
            f"Stratus does not evaluate metric math yet (query {q['Id']}: "
            f"{q['Expression']!r}); query each metric with MetricStat."
        )
    stat = q.get("MetricStat")
    if stat is None:
        raise MissingParameter(f"The query {q['Id']} must name either MetricStat or Expression.")
    m = stat["Metric"]
    if "Namespace" not in m or "MetricName" not in m:
        raise MissingParameter(f"The query {q['Id']} must name the metric's Namespace and "
                               "MetricName.")  # fmt: skip
    series = await _metrics(call).series(
        metric_of(m), p["StartTime"], p["EndTime"], stat["Period"], stat["Stat"], stat.get("Unit")
    )
    return {
        "Id": q["Id"],
        "Label": q.get("Label", m["MetricName"]),
        "Timestamps": [at(t) for t in series.timestamps],
        "Values": list(series.values),
        "StatusCode": "Complete",
    }


async def list_metrics(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    filters = [(f["Name"], f.get("Value")) for f in p.get("Dimensions", ())]
    found = await _metrics(call).list(
        p.get("Namespace"), p.get("MetricName"), filters, p.get("RecentlyActive") == "PT3H"
    )
    try:
        page, token = paging.page(found, p.get("NextToken"), lambda m: m.key, LIST_PAGE)
    except Invalid as exc:
        raise InvalidToken(exc.message) from None
    out: dict[str, Any] = {
        "Metrics": [
            {"Namespace": m.namespace, "MetricName": m.name, "Dimensions": dimensions_out(m)}
            for m in page
        ]
    }
    if token:
        out["NextToken"] = token
    return out


HANDLERS = {
    "PutMetricData": put_metric_data,
    "GetMetricStatistics": get_metric_statistics,
    "GetMetricData": get_metric_data,
    "ListMetrics": list_metrics,
}
API = Api("cloudwatch", HANDLERS, ERRORS, body_limit=1024 * 1024)
