"""Amazon CloudWatch: metrics and alarms (Smithy RPC v2 CBOR, the protocol boto3 picks for it;
protocols/rpc_v2_cbor.py). Each handler reads its members, asks the metric service
(stratus.observe.metric_service) or the alarm service (stratus.alarms) once, and names what
it answers. CloudWatch kept its query protocol's error codes (`awsQueryCompatible`): each
error carries the query code too, which is what boto3's exception classes match."""

from __future__ import annotations

from typing import Any

from stratus import paging
from stratus.alarms.service import (
    AlarmService,
    InvalidFormat,
    LimitExceeded,
    TaggedNotFound,
    describe_config,
    watched_of,
)
from stratus.alarms.store import Alarm, HistoryItem
from stratus.errors import Invalid, NotFound, Validation
from stratus.observe.dashboards import DashboardNotFound, InvalidDashboard
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
    TaggedNotFound: WireError("ResourceNotFoundException", 404, "ResourceNotFoundException"),
    DashboardNotFound: WireError("DashboardNotFoundError", 404, "ResourceNotFound"),
    InvalidDashboard: WireError("DashboardInvalidInputError", 400, "InvalidParameterInput"),
    NotFound: WireError("ResourceNotFound", 404, "ResourceNotFound"),
    LimitExceeded: WireError("LimitExceededFault", 400, "LimitExceeded"),
    InvalidFormat: WireError("InvalidFormatFault", 400, "InvalidFormat"),
}
MAX_QUERIES = 500  # GetMetricData's MetricDataQueries
LIST_PAGE = 500  # ListMetrics


def _metrics(call: Call) -> MetricService:
    return call.services.metrics


def _alarms(call: Call) -> AlarmService:
    return call.services.alarms


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
    found = await _metrics(call).query(queries, p["StartTime"], p["EndTime"])
    descending = p.get("ScanBy", "TimestampDescending") == "TimestampDescending"
    results = []
    for q in queries:
        if not q.get("ReturnData", True):
            continue
        series = found[q["Id"]]
        order = slice(None, None, -1) if descending else slice(None)
        label = q.get("Label") or q.get("MetricStat", {}).get("Metric", {}).get("MetricName")
        results.append({
            "Id": q["Id"], "Label": label or q["Id"],
            "Timestamps": [at(t) for t in series.timestamps][order],
            "Values": list(series.values)[order], "StatusCode": "Complete",
        })  # fmt: skip
    return {"MetricDataResults": results, "Messages": []}


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


# ---- alarms -----------------------------------------------------------------------------

ALARMS_PAGE = 50  # DescribeAlarms' MaxRecords default (1-100)
HISTORY_PAGE = 100


async def put_metric_alarm(call: Call, p: dict[str, Any]) -> None:
    await _alarms(call).put(p)


def alarm_out(call: Call, alarm: Alarm) -> dict[str, Any]:
    c, state = alarm.config, alarm.state
    out = {
        **describe_config(c),
        "AlarmArn": _alarms(call).arn(alarm.name),
        "AlarmConfigurationUpdatedTimestamp": at(c["ConfigUpdated"]),
        "OKActions": c.get("OKActions", []),
        "AlarmActions": c.get("AlarmActions", []),
        "InsufficientDataActions": c.get("InsufficientDataActions", []),
        "Dimensions": c.get("Dimensions", []),
        "StateValue": state.value,
        "StateReason": state.reason,
        "StateUpdatedTimestamp": at(state.updated_ms),
        "StateTransitionedTimestamp": at(state.transitioned_ms),
    }
    if state.reason_data:
        out["StateReasonData"] = state.reason_data
    if "Metrics" in c:
        out.pop("Dimensions")
    return out


async def describe_alarms(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    if p.get("ChildrenOfAlarmName") or p.get("ParentsOfAlarmName"):
        raise Invalid("Stratus has no composite alarms: ChildrenOfAlarmName and "
                      "ParentsOfAlarmName name none.")  # fmt: skip
    types = p.get("AlarmTypes") or ["MetricAlarm"]
    names = p.get("AlarmNames")
    found = [] if "MetricAlarm" not in types else await _alarms(call).alarms(names)
    prefix, state = p.get("AlarmNamePrefix"), p.get("StateValue")
    action = p.get("ActionPrefix")
    if names and prefix:
        raise InvalidCombination("AlarmNames and AlarmNamePrefix cannot be used together.")
    found = [
        a for a in found
        if (prefix is None or a.name.startswith(prefix))
        and (state is None or a.state.value == state)
        and (action is None or any(arn.startswith(action) for arn in _actions(a)))
    ]  # fmt: skip
    page, token = _page(found, p, lambda a: a.name, ALARMS_PAGE)
    out: dict[str, Any] = {"MetricAlarms": [alarm_out(call, a) for a in page],
                           "CompositeAlarms": []}  # fmt: skip
    if token:
        out["NextToken"] = token
    return out


def _actions(alarm: Alarm) -> list[str]:
    c = alarm.config
    return [*c.get("AlarmActions", []), *c.get("OKActions", []),
            *c.get("InsufficientDataActions", [])]  # fmt: skip


def _page(items: list[Any], p: dict[str, Any], key: Any, size: int) -> tuple[list[Any], str | None]:
    try:
        return paging.page(items, p.get("NextToken"), key, p.get("MaxRecords", size))
    except Invalid as exc:
        raise InvalidToken(exc.message) from None


async def describe_alarms_for_metric(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    wanted = metric_of(p)
    found = []
    for alarm in await _alarms(call).alarms():
        watched = watched_of(alarm.config)
        if watched.metric != wanted:
            continue
        stat = p.get("Statistic") or p.get("ExtendedStatistic")
        if (
            (stat is not None and watched.stat != stat)
            or ("Period" in p and watched.period != p["Period"])
            or ("Unit" in p and watched.unit != p["Unit"])
        ):
            continue
        found.append(alarm_out(call, alarm))
    return {"MetricAlarms": found}


async def delete_alarms(call: Call, p: dict[str, Any]) -> None:
    await _alarms(call).delete(p["AlarmNames"])


async def set_alarm_state(call: Call, p: dict[str, Any]) -> None:
    await _alarms(call).set_state(
        p["AlarmName"], p["StateValue"], p["StateReason"], p.get("StateReasonData")
    )


async def enable_alarm_actions(call: Call, p: dict[str, Any]) -> None:
    await _alarms(call).set_actions_enabled(p["AlarmNames"], True)


async def disable_alarm_actions(call: Call, p: dict[str, Any]) -> None:
    await _alarms(call).set_actions_enabled(p["AlarmNames"], False)


async def describe_alarm_history(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    types = p.get("AlarmTypes") or ["MetricAlarm"]
    items = (
        []
        if "MetricAlarm" not in types
        else await _alarms(call).history(
            p.get("AlarmName"), p.get("HistoryItemType"), p.get("StartDate"), p.get("EndDate")
        )
    )
    if p.get("ScanBy", "TimestampDescending") == "TimestampDescending":
        items.reverse()
    numbered = list(enumerate(items))
    page, token = _page(numbered, p, lambda n: str(n[0]), HISTORY_PAGE)
    out: dict[str, Any] = {"AlarmHistoryItems": [_history_out(i) for _, i in page]}
    if token:
        out["NextToken"] = token
    return out


def _history_out(item: HistoryItem) -> dict[str, Any]:
    return {
        "AlarmName": item.name,
        "AlarmType": "MetricAlarm",
        "Timestamp": at(item.timestamp),
        "HistoryItemType": item.kind,
        "HistorySummary": item.summary,
        "HistoryData": item.data,
    }


async def list_tags_for_resource(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    tags = await _alarms(call).tags(p["ResourceARN"])
    return {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}


async def tag_resource(call: Call, p: dict[str, Any]) -> None:
    tags = {t["Key"]: t["Value"] for t in p["Tags"]}
    await _alarms(call).retag(p["ResourceARN"], tags, [])


async def untag_resource(call: Call, p: dict[str, Any]) -> None:
    await _alarms(call).retag(p["ResourceARN"], {}, p["TagKeys"])


# ---- dashboards -------------------------------------------------------------------------

DASHBOARDS_PAGE = 1000


def dashboard_arn(call: Call, name: str) -> str:
    return f"arn:aws:cloudwatch::{call.services.settings.account_id}:dashboard/{name}"


async def put_dashboard(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    await call.services.dashboards.put(p["DashboardName"], p["DashboardBody"])
    return {"DashboardValidationMessages": []}


async def get_dashboard(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    found = await call.services.dashboards.get(p["DashboardName"])
    return {"DashboardArn": dashboard_arn(call, found.name), "DashboardBody": found.body,
            "DashboardName": found.name}  # fmt: skip


async def list_dashboards(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    prefix = p.get("DashboardNamePrefix", "")
    found = [d for d in await call.services.dashboards.all() if d.name.startswith(prefix)]
    page, token = _page(found, {"NextToken": p.get("NextToken")}, lambda d: d.name, DASHBOARDS_PAGE)
    out: dict[str, Any] = {"DashboardEntries": [
        {"DashboardName": d.name, "DashboardArn": dashboard_arn(call, d.name),
         "LastModified": at(d.modified), "Size": len(d.body.encode())} for d in page
    ]}  # fmt: skip
    if token:
        out["NextToken"] = token
    return out


async def delete_dashboards(call: Call, p: dict[str, Any]) -> None:
    await call.services.dashboards.delete(p["DashboardNames"])


HANDLERS = {
    "PutDashboard": put_dashboard,
    "GetDashboard": get_dashboard,
    "ListDashboards": list_dashboards,
    "DeleteDashboards": delete_dashboards,
    "ListTagsForResource": list_tags_for_resource,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "PutMetricAlarm": put_metric_alarm,
    "DescribeAlarms": describe_alarms,
    "DescribeAlarmsForMetric": describe_alarms_for_metric,
    "DeleteAlarms": delete_alarms,
    "SetAlarmState": set_alarm_state,
    "EnableAlarmActions": enable_alarm_actions,
    "DisableAlarmActions": disable_alarm_actions,
    "DescribeAlarmHistory": describe_alarm_history,
    "PutMetricData": put_metric_data,
    "GetMetricStatistics": get_metric_statistics,
    "GetMetricData": get_metric_data,
    "ListMetrics": list_metrics,
}
API = Api("cloudwatch", HANDLERS, ERRORS, body_limit=1024 * 1024)
# The same API over the query protocol (botocore before JSON and CBOR were listed for
# CloudWatch), found by its SigV4 scope, "monitoring".
QUERY_API = Api("cloudwatch", HANDLERS, ERRORS, body_limit=1024 * 1024, signing_name="monitoring")
