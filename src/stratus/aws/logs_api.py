"""CloudWatch Logs (JSON 1.1, X-Amz-Target: Logs_20140328.*), enough to read function logs
with boto3, `aws logs tail` and `stratus logs`. The protocol is aws/protocols' (aws_json.py);
each handler here reads its members, asks the log store once and names what it answers."""

from __future__ import annotations

from typing import Any

from stratus.errors import Invalid, NotFound
from stratus.observe.logs import LogEvent

from .protocols.adapter import Api, Call
from .protocols.errors import ErrorTable, WireError

ERRORS: ErrorTable = {
    Invalid: WireError("InvalidParameterException", 400),
    NotFound: WireError("ResourceNotFoundException", 400),
}
MAX_EVENTS = 10_000


async def filter_log_events(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    store = call.services.logs
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


async def get_log_events(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    store = call.services.logs
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


async def describe_log_streams(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    store = call.services.logs
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


API = Api(
    "logs",
    {
        "FilterLogEvents": filter_log_events,
        "GetLogEvents": get_log_events,
        "DescribeLogStreams": describe_log_streams,
    },
    ERRORS,
    body_limit=1_048_576 + 64 * 1024,  # PutLogEvents' 1 MiB batch and its JSON around it
)


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
