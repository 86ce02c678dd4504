"""CloudWatch Logs (JSON 1.1, X-Amz-Target: Logs_20140328.*), enough to read function logs
with boto3, `aws logs tail` and `stratus logs`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from stratus.errors import Invalid, NotFound, UnknownOperation
from stratus.observe.logs import LogEvent, LogStore

from .protocols.errors import ErrorTable, WireError
from .wire import json_response, read_json

TARGET_PREFIX = "Logs_20140328."
ERRORS: ErrorTable = {
    Invalid: WireError("InvalidParameterException", 400),
    NotFound: WireError("ResourceNotFoundException", 400),
}
MAX_EVENTS = 10_000


def _store(request: Request) -> LogStore:
    return request.app.state.logs  # type: ignore[no-any-return]


async def filter_log_events(store: LogStore, body: dict[str, Any]) -> dict[str, Any]:
    group = _group(body)
    limit = min(int(body.get("limit") or MAX_EVENTS), MAX_EVENTS)
    events = await store.filter(
        group,
        start_ms=int(body.get("startTime") or 0),
        end_ms=body.get("endTime"),
        after_id=_token(body.get("nextToken")),
        limit=limit,
        stream_prefix=body.get("logStreamNamePrefix") or "",
    )
    wanted = set(body.get("logStreamNames") or [])
    if not events and not body.get("nextToken") and not await store.streams(group):
        raise NotFound("The specified log group does not exist.")
    answer: dict[str, Any] = {
        "events": [_event(e) for e in events if not wanted or e.log_stream in wanted],
        "searchedLogStreams": [],
    }
    if len(events) == limit:  # there may be more; AWS omits the token on the last page
        answer["nextToken"] = str(events[-1].id)
    return answer


async def get_log_events(store: LogStore, body: dict[str, Any]) -> dict[str, Any]:
    group, stream = _group(body), body.get("logStreamName") or ""
    events = await store.filter(
        group,
        after_id=_token(body.get("nextToken")),
        stream_prefix=stream,
        limit=min(int(body.get("limit") or MAX_EVENTS), MAX_EVENTS),
    )
    events = [e for e in events if e.log_stream == stream]
    token = f"f/{events[-1].id if events else _token(body.get('nextToken'))}"
    return {
        "events": [_event(e) for e in events],
        "nextForwardToken": token,
        "nextBackwardToken": "b/0",
    }


async def describe_log_streams(store: LogStore, body: dict[str, Any]) -> dict[str, Any]:
    group = _group(body)
    streams = await store.streams(group)
    if not streams:
        raise NotFound("The specified log group does not exist.")
    prefix = body.get("logStreamNamePrefix") or ""
    return {
        "logStreams": [
            {
                "logStreamName": name,
                "creationTime": first,
                "firstEventTimestamp": first,
                "lastEventTimestamp": last,
                "lastIngestionTime": last,
                "storedBytes": 0,
                "arn": f"log-group:{group}:log-stream:{name}",
            }
            for name, first, last in streams
            if name.startswith(prefix)
        ]
    }


OPERATIONS: dict[str, Callable[[LogStore, dict[str, Any]], Awaitable[dict[str, Any]]]] = {
    "FilterLogEvents": filter_log_events,
    "GetLogEvents": get_log_events,
    "DescribeLogStreams": describe_log_streams,
}


async def dispatch(request: Request, target: str) -> Response:
    operation = OPERATIONS.get(target.removeprefix(TARGET_PREFIX))
    if operation is None:
        raise UnknownOperation(f"Stratus does not implement CloudWatch Logs {target} yet.")
    body = await read_json(request)
    answer = await operation(_store(request), body)
    response = json_response(answer)
    response.headers["content-type"] = "application/x-amz-json-1.1"
    return response


def _group(body: dict[str, Any]) -> str:
    group = body.get("logGroupName") or body.get("logGroupIdentifier")
    if not group:
        raise Invalid("logGroupName is required")
    return str(group)


def _token(raw: object) -> int:
    if not raw:
        return 0
    try:
        return int(str(raw).removeprefix("f/"))
    except ValueError as exc:
        raise Invalid(f"The specified nextToken is invalid: {raw}") from exc


def _event(event: LogEvent) -> dict[str, Any]:
    return {
        "logStreamName": event.log_stream,
        "timestamp": event.timestamp,
        "message": event.message,
        "ingestionTime": event.timestamp,
        "eventId": str(event.id),
    }
