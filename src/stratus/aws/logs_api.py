"""CloudWatch Logs (JSON 1.1, X-Amz-Target: Logs_20140328.*): log groups and streams as
resources, their events (written by functions or PutLogEvents, read by GetLogEvents and
FilterLogEvents with AWS's filter patterns), retention, tags, and metric and subscription
filters. The protocol is aws/protocols' (aws_json.py); each handler reads its members, asks
the log store (stratus.observe) and names what it answers.
"""

from __future__ import annotations

import itertools
from typing import Any

from stratus.errors import AlreadyExists, Conflict, Invalid, NotFound
from stratus.observe import filter_patterns
from stratus.observe.insights import MalformedQuery
from stratus.observe.log_filters import LimitExceeded
from stratus.observe.logs import DAY_MS, LogEvent, LogGroup, LogStore, group_name, now_ms

from . import logs_filters_api, logs_insights_api, logs_live_tail_api
from .protocols.adapter import Api, Call
from .protocols.errors import ErrorTable, WireError

ERRORS: ErrorTable = {
    Invalid: WireError("InvalidParameterException", 400),
    NotFound: WireError("ResourceNotFoundException", 400),
    AlreadyExists: WireError("ResourceAlreadyExistsException", 400),
    LimitExceeded: WireError("LimitExceededException", 400),
    Conflict: WireError("OperationAbortedException", 400),
    MalformedQuery: WireError("MalformedQueryException", 400),
}
MAX_EVENTS = 10_000
PAGE_OF_GROUPS = 50
# PutLogEvents: events past these are rejected (reported, not failed), as on AWS.
TOO_NEW_MS = 2 * 3_600_000
TOO_OLD_MS = 14 * DAY_MS
BATCH_SPAN_MS = DAY_MS


def store(call: Call) -> LogStore:
    return call.services.logs


# --- groups -----------------------------------------------------------------------------


async def create_log_group(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    await store(call).create_group(
        body["logGroupName"],
        tags=body.get("tags"),
        kms_key_id=body.get("kmsKeyId"),
        log_group_class=body.get("logGroupClass") or "STANDARD",
        deletion_protection=bool(body.get("deletionProtectionEnabled")),
    )
    return {}


async def describe_log_groups(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    prefix, pattern = body.get("logGroupNamePrefix"), body.get("logGroupNamePattern")
    if prefix and pattern:
        raise Invalid("LogGroup name prefix and LogGroup name pattern are mutually exclusive")
    identifiers = body.get("logGroupIdentifiers")
    if identifiers and (prefix or pattern):
        raise Invalid("logGroupIdentifiers cannot be used with a name prefix or pattern")
    names = [group_name(i) for i in identifiers] if identifiers else None
    found = [
        g
        for g in await store(call).groups(names)
        if g.name.startswith(prefix or "")
        and (not pattern or pattern.lower() in g.name.lower())
        and (not body.get("logGroupClass") or g.log_group_class == body["logGroupClass"])
    ]
    page, token = _page(found, body, PAGE_OF_GROUPS)
    answer: dict[str, Any] = {"logGroups": [_group(call, g) for g in page]}
    if token:
        answer["nextToken"] = token
    return answer


async def list_log_groups(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    pattern = (body.get("logGroupNamePattern") or "").lower()
    found = [
        g
        for g in await store(call).groups()
        if pattern in g.name.lower()
        and (not body.get("logGroupClass") or g.log_group_class == body["logGroupClass"])
    ]
    page, token = _page(found, body, PAGE_OF_GROUPS)
    groups = [
        {
            "logGroupName": g.name,
            "logGroupArn": group_arn(call, g.name),
            "logGroupClass": g.log_group_class,
        }
        for g in page
    ]
    return {"logGroups": groups, "nextToken": token} if token else {"logGroups": groups}


async def delete_log_group(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    await store(call).delete_group(body["logGroupName"])
    return {}


async def put_log_group_deletion_protection(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    group = group_name(body["logGroupIdentifier"])
    await store(call).set_deletion_protection(group, bool(body["deletionProtectionEnabled"]))
    return {}


async def put_retention_policy(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    await store(call).set_retention(body["logGroupName"], body["retentionInDays"])
    return {}


async def delete_retention_policy(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    await store(call).set_retention(body["logGroupName"], None)
    return {}


# --- tags -------------------------------------------------------------------------------


async def tag_resource(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    await store(call).retag(_tagged_group(body["resourceArn"]), body["tags"], ())
    return {}


async def untag_resource(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    await store(call).retag(_tagged_group(body["resourceArn"]), {}, body["tagKeys"])
    return {}


async def list_tags_for_resource(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return {"tags": (await store(call).group(_tagged_group(body["resourceArn"]))).tags}


async def tag_log_group(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    await store(call).retag(body["logGroupName"], body["tags"], ())
    return {}


async def untag_log_group(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    await store(call).retag(body["logGroupName"], {}, body["tags"])
    return {}


async def list_tags_log_group(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return {"tags": (await store(call).group(body["logGroupName"])).tags}


def _tagged_group(arn: str) -> str:
    """The log group a TagResource ARN names (only log groups are taggable here)."""
    if not arn.startswith("arn:") or ":log-group:" not in arn:
        raise Invalid(f"Invalid resource ARN: {arn} (Stratus tags log groups only)")
    return group_name(arn)


# --- streams ----------------------------------------------------------------------------


async def create_log_stream(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    if ":" in body["logStreamName"] or "*" in body["logStreamName"]:
        raise Invalid("Log stream names cannot contain ':' or '*'")
    await store(call).create_stream(body["logGroupName"], body["logStreamName"])
    return {}


async def delete_log_stream(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    await store(call).delete_stream(body["logGroupName"], body["logStreamName"])
    return {}


async def describe_log_streams(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    group = _group_of(body)
    order = body.get("orderBy") or "LogStreamName"
    prefix = body.get("logStreamNamePrefix") or ""
    if order == "LastEventTime" and prefix:
        raise Invalid("Cannot order by LastEventTime with a logStreamNamePrefix.")
    streams = [s for s in await store(call).streams(group) if s.name.startswith(prefix)]
    if order == "LastEventTime":
        streams.sort(key=lambda s: (s.last_event or 0, s.created))
    else:
        streams.sort(key=lambda s: s.name)
    if body.get("descending"):
        streams.reverse()
    page, token = _page(streams, body, PAGE_OF_GROUPS)
    items = []
    for s in page:
        item: dict[str, Any] = {
            "logStreamName": s.name,
            "creationTime": s.created,
            "arn": f"{group_arn(call, group)}:log-stream:{s.name}",
            "storedBytes": 0,  # deprecated by AWS, which answers 0
        }
        if s.first_event is not None:
            item["firstEventTimestamp"] = s.first_event
            item["lastEventTimestamp"] = s.last_event
            item["lastIngestionTime"] = s.last_ingestion
        items.append(item)
    return {"logStreams": items, "nextToken": token} if token else {"logStreams": items}


# --- events -----------------------------------------------------------------------------


async def put_log_events(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    """The sequence token is ignored, as AWS has done since 2023. Events too new, too old or
    past the group's retention are rejected and reported; out of order is an error."""
    events = [(int(e["timestamp"]), str(e["message"])) for e in body["logEvents"]]
    if any(a[0] > b[0] for a, b in itertools.pairwise(events)):
        raise Invalid("Log events in a single PutLogEvents request must be in chronological order.")
    if events and events[-1][0] - events[0][0] > BATCH_SPAN_MS:
        raise Invalid(
            "The batch of log events in a single PutLogEvents request cannot span more than "
            "24 hours."
        )
    group = await store(call).group(body["logGroupName"])
    now = now_ms()
    too_new = next((i for i, e in enumerate(events) if e[0] > now + TOO_NEW_MS), None)
    too_old = max((i for i, e in enumerate(events) if e[0] < now - TOO_OLD_MS), default=None)
    expired = None
    if group.retention_days is not None:
        since = now - group.retention_days * DAY_MS
        expired = max((i for i, e in enumerate(events) if e[0] < since), default=None)
    first = max(too_old if too_old is not None else -1, expired if expired is not None else -1)
    accepted = events[first + 1 : too_new]
    await store(call).wait_put(group.name, body["logStreamName"], accepted)
    rejected = {
        key: value
        for key, value in (
            ("tooNewLogEventStartIndex", too_new),
            ("tooOldLogEventEndIndex", too_old),
            ("expiredLogEventEndIndex", expired),
        )
        if value is not None
    }
    answer: dict[str, Any] = {"nextSequenceToken": f"{now:056d}"}
    if rejected:
        answer["rejectedLogEventsInfo"] = rejected
    return answer


async def filter_log_events(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    """Events of the group matching the pattern, oldest first. The scan reads in batches
    until `limit` events match; nextToken is where it stopped, so no match is skipped."""
    group = _group_of(body)
    names, prefix = body.get("logStreamNames"), body.get("logStreamNamePrefix")
    if names and prefix:
        raise Invalid("logStreamNames and logStreamNamePrefix are mutually exclusive")
    pattern = filter_patterns.compile(body.get("filterPattern"))
    await store(call).group(group)
    limit = min(int(body.get("limit") or MAX_EVENTS), MAX_EVENTS)
    wanted = set(names or ())
    after = _token(body.get("nextToken"))
    found: list[LogEvent] = []
    more = True
    while len(found) < limit and more:
        batch = await store(call).filter(
            group,
            start_ms=int(body.get("startTime") or 0),
            end_ms=body.get("endTime"),
            after_id=after,
            limit=1000,
            stream_prefix=prefix or "",
        )
        more = len(batch) == 1000
        for event in batch:
            after = event.id
            if (not wanted or event.log_stream in wanted) and pattern.matches(event.message):
                found.append(event)
                if len(found) == limit:
                    more = more or event is not batch[-1]
                    break
    answer: dict[str, Any] = {"events": [_event(e) for e in found], "searchedLogStreams": []}
    if more:  # AWS omits the token on the last page
        answer["nextToken"] = str(after)
    return answer


async def get_log_events(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    """One stream's events in order. Without a token, the newest `limit` (or the oldest,
    with startFromHead); `f/<id>` pages forward from an event, `b/<id>` backward."""
    group, stream = _group_of(body), body["logStreamName"]
    await store(call).group(group)
    if stream not in {s.name for s in await store(call).streams(group)}:
        raise NotFound("The specified log stream does not exist.")
    limit = min(int(body.get("limit") or MAX_EVENTS), MAX_EVENTS)
    token = str(body.get("nextToken") or "")
    backward = token.startswith("b/") or (not token and not body.get("startFromHead"))
    read = await store(call).filter(
        group,
        start_ms=int(body.get("startTime") or 0),
        end_ms=body.get("endTime"),
        after_id=_token(token) if token.startswith("f/") else 0,
        before_id=_token(token) if token.startswith("b/") else None,
        limit=limit * 4 + 100,
        stream_prefix=stream,
        newest_first=backward,
    )
    events = [e for e in read if e.log_stream == stream][:limit]
    events.sort(key=lambda e: e.id)
    first = events[0].id if events else _token(token)
    last = events[-1].id if events else _token(token)
    return {
        "events": [_event(e, with_stream=False) for e in events],
        "nextForwardToken": f"f/{last}",
        "nextBackwardToken": f"b/{first}",
    }


# --- shared -----------------------------------------------------------------------------


def group_arn(call: Call, name: str) -> str:
    settings = call.services.settings
    return f"arn:aws:logs:{settings.region}:{settings.account_id}:log-group:{name}"


def _group_of(body: dict[str, Any]) -> str:
    name, identifier = body.get("logGroupName"), body.get("logGroupIdentifier")
    if name and identifier:
        raise Invalid("logGroupName and logGroupIdentifier are mutually exclusive")
    if not (name or identifier):
        raise Invalid("Either logGroupName or logGroupIdentifier must be given")
    return group_name(str(name or identifier))


def _group(call: Call, g: LogGroup) -> dict[str, Any]:
    item: dict[str, Any] = {
        "logGroupName": g.name,
        "creationTime": g.created,
        "metricFilterCount": g.metric_filters,
        "arn": f"{group_arn(call, g.name)}:*",
        "logGroupArn": group_arn(call, g.name),
        "storedBytes": g.stored_bytes,
        "logGroupClass": g.log_group_class,
        "deletionProtectionEnabled": g.deletion_protection,
    }
    if g.retention_days is not None:
        item["retentionInDays"] = g.retention_days
    if g.kms_key_id:
        item["kmsKeyId"] = g.kms_key_id
    return item


def _page(items: list[Any], body: dict[str, Any], page_size: int) -> tuple[list[Any], str]:
    """One page and the token of the next ('' on the last): an offset, as our lists are
    small and ordered."""
    start = _token(body.get("nextToken"))
    size = int(body.get("limit") or page_size)
    page = items[start : start + size]
    return page, str(start + size) if start + size < len(items) else ""


def _token(raw: object) -> int:
    if not raw:
        return 0
    try:
        return int(str(raw).removeprefix("f/").removeprefix("b/"))
    except ValueError as exc:
        raise Invalid(f"The specified nextToken is invalid: {raw}") from exc


def _event(event: LogEvent, *, with_stream: bool = True) -> dict[str, Any]:
    item: dict[str, Any] = {
        "timestamp": event.timestamp,
        "message": event.message,
        "ingestionTime": event.ingestion_time or event.timestamp,
    }
    if with_stream:
        item["logStreamName"] = event.log_stream
        item["eventId"] = str(event.id)
    return item


API = Api(
    "logs",
    {
        "CreateLogGroup": create_log_group,
        "DescribeLogGroups": describe_log_groups,
        "ListLogGroups": list_log_groups,
        "DeleteLogGroup": delete_log_group,
        "PutLogGroupDeletionProtection": put_log_group_deletion_protection,
        "PutRetentionPolicy": put_retention_policy,
        "DeleteRetentionPolicy": delete_retention_policy,
        "TagResource": tag_resource,
        "UntagResource": untag_resource,
        "ListTagsForResource": list_tags_for_resource,
        "TagLogGroup": tag_log_group,
        "UntagLogGroup": untag_log_group,
        "ListTagsLogGroup": list_tags_log_group,
        "CreateLogStream": create_log_stream,
        "DeleteLogStream": delete_log_stream,
        "DescribeLogStreams": describe_log_streams,
        "PutLogEvents": put_log_events,
        "FilterLogEvents": filter_log_events,
        "GetLogEvents": get_log_events,
        **logs_filters_api.HANDLERS,
        **logs_insights_api.HANDLERS,
        **logs_live_tail_api.HANDLERS,
    },
    ERRORS,
    body_limit=1_048_576 + 64 * 1024,  # PutLogEvents' 1 MiB batch and its JSON around it
)
