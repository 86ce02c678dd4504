"""CloudWatch Logs Insights: StartQuery runs the query over the stored events of its groups
(stratus.observe.insights) and GetQueryResults answers it; StopQuery and DescribeQueries
see the same queries. Queries finish before StartQuery answers, so a query is never
Running and StopQuery has nothing to stop."""

from __future__ import annotations

from typing import Any

from stratus.errors import Invalid
from stratus.observe.insights import field_shares, merged
from stratus.observe.logs import group_name, now_ms

from .protocols.adapter import Call, Handler

# Events one query reads at most (per group): a bound on memory, said in the answer's
# statistics (recordsScanned) when reached.
MAX_SCANNED = 1_000_000


async def start_query(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    named = [
        body.get("logGroupName") and [body["logGroupName"]],
        body.get("logGroupNames"),
        body.get("logGroupIdentifiers"),
    ]
    given = [n for n in named if n]
    if len(given) != 1:
        raise Invalid(
            "Exactly one of logGroupName, logGroupNames and logGroupIdentifiers is required"
        )
    groups = [group_name(g) for g in given[0]]
    start, end = int(body["startTime"]), int(body["endTime"])
    if end < start:
        raise Invalid("endTime must be greater than or equal to startTime")
    store = call.services.logs
    batches = []
    for group in groups:
        await store.group(group)  # ResourceNotFoundException for a missing group
        batches.append(
            await store.filter(
                group, start_ms=start * 1000, end_ms=end * 1000 + 999, limit=MAX_SCANNED
            )
        )
    query = store.queries.run(
        body["queryString"], groups, merged(batches), now_ms(), body.get("limit")
    )
    return {"queryId": query.query_id}


async def get_query_results(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    query = call.services.logs.queries.get(body["queryId"])
    if query is None:
        raise Invalid(f"Query does not exist: {body['queryId']}")
    return {
        "queryLanguage": "CWLI",
        "results": query.results,
        "statistics": {
            "recordsMatched": float(query.matched),
            "recordsScanned": float(query.scanned),
            "bytesScanned": float(query.bytes_scanned),
        },
        "status": query.status,
    }


async def stop_query(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    if call.services.logs.queries.get(body["queryId"]) is None:
        raise Invalid(f"Query does not exist: {body['queryId']}")
    return {"success": False}  # it has completed already


async def describe_queries(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    status, group = body.get("status"), body.get("logGroupName")
    found = [
        {
            "queryLanguage": "CWLI",
            "queryId": q.query_id,
            "queryString": q.query_string,
            "status": q.status,
            "createTime": q.created,
            "logGroupName": q.log_groups[0],
        }
        for q in reversed(call.services.logs.queries.all())
        if (not status or q.status == status) and (not group or group in q.log_groups)
    ]
    return {"queries": found[: int(body.get("maxResults") or 1000)]}


async def get_log_group_fields(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    """The fields of the group's events in the 15 minutes before `time` (default: now)."""
    name, identifier = body.get("logGroupName"), body.get("logGroupIdentifier")
    if bool(name) == bool(identifier):
        raise Invalid("Exactly one of logGroupName and logGroupIdentifier is required")
    group = group_name(str(name or identifier))
    store = call.services.logs
    await store.group(group)
    end = int(body["time"]) * 1000 if body.get("time") else now_ms()
    events = await store.filter(group, start_ms=end - 15 * 60_000, end_ms=end, limit=10_000)
    shares = field_shares(events)
    return {"logGroupFields": [{"name": k, "percent": v} for k, v in shares.items()]}


async def put_query_definition(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = {
        "queryLanguage": body.get("queryLanguage") or "CWLI",
        "name": body["name"],
        "queryString": body["queryString"],
        "logGroupNames": body.get("logGroupNames") or [],
    }
    definitions = call.services.logs.query_definitions
    chosen = await definitions.put(body.get("queryDefinitionId"), config, now_ms())
    return {"queryDefinitionId": chosen}


async def describe_query_definitions(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    found = await call.services.logs.query_definitions.list(
        body.get("queryDefinitionNamePrefix") or ""
    )
    start = _offset(body.get("nextToken"))
    size = int(body.get("maxResults") or 1000)
    answer: dict[str, Any] = {"queryDefinitions": found[start : start + size]}
    if start + size < len(found):
        answer["nextToken"] = str(start + size)
    return answer


async def delete_query_definition(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    await call.services.logs.query_definitions.delete(body["queryDefinitionId"])
    return {"success": True}


def _offset(token: object) -> int:
    if not token:
        return 0
    if not str(token).isdigit():
        raise Invalid(f"The specified nextToken is invalid: {token}")
    return int(str(token))


HANDLERS: dict[str, Handler] = {
    "PutQueryDefinition": put_query_definition,
    "DescribeQueryDefinitions": describe_query_definitions,
    "DeleteQueryDefinition": delete_query_definition,
    "GetLogGroupFields": get_log_group_fields,
    "StartQuery": start_query,
    "GetQueryResults": get_query_results,
    "StopQuery": stop_query,
    "DescribeQueries": describe_queries,
}
