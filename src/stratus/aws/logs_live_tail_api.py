"""StartLiveTail: the log events of up to 10 groups as they are written, matched against a
filter pattern, as an event stream (aws/eventstream.py): `initial-response` (what botocore's
JSON parser reads first), `sessionStart`, then a `sessionUpdate` each second that events
came (at most 500 per update, as AWS samples past that), until the client goes or the
session's 3 hours end (SessionTimeoutException, as on AWS).

boto3 sends this operation to `stream-<endpoint host>` (the model's host prefix): against a
local endpoint, create the client with `Config(inject_host_prefix=False)`."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.responses import StreamingResponse

from stratus.errors import Invalid
from stratus.observe import filter_patterns
from stratus.observe.logs import LogEvent, group_name

from .eventstream import encode_event, encode_message
from .protocols.adapter import Call, Handler, Output

SESSION_SECONDS = 3 * 3600
UPDATE_SECONDS = 1.0
MAX_PER_UPDATE = 500


async def start_live_tail(call: Call, body: dict[str, Any]) -> Output:
    identifiers = body["logGroupIdentifiers"]
    names, prefixes = body.get("logStreamNames"), body.get("logStreamNamePrefixes")
    if (names or prefixes) and len(identifiers) != 1:
        raise Invalid("logStreamNames and logStreamNamePrefixes need exactly one log group")
    if names and prefixes:
        raise Invalid("logStreamNames and logStreamNamePrefixes are mutually exclusive")
    pattern = filter_patterns.compile(body.get("logEventFilterPattern"))
    store = call.services.logs
    groups = {group_name(i): i for i in identifiers}
    for group in groups:
        await store.group(group)  # ResourceNotFoundException before the stream starts
    wanted, starts = set(names or ()), tuple(prefixes or ())

    def selected(event: LogEvent) -> bool:
        return (
            event.log_group in groups
            and (not wanted or event.log_stream in wanted)
            and (not starts or event.log_stream.startswith(starts))
            and pattern.matches(event.message)
        )

    arrived: asyncio.Queue[LogEvent] = asyncio.Queue()

    async def listen(events: list[LogEvent]) -> None:
        for event in events:
            if selected(event):
                arrived.put_nowait(event)

    start = {
        "requestId": call.request_id,
        "sessionId": str(uuid.uuid4()),
        "logGroupIdentifiers": identifiers,
        "logStreamNames": names or [],
        "logStreamNamePrefixes": prefixes or [],
        "logEventFilterPattern": body.get("logEventFilterPattern") or "",
    }

    async def stream() -> AsyncIterator[bytes]:
        store.listeners.append(listen)
        try:
            yield encode_message(
                {":event-type": "initial-response", ":message-type": "event"}, b"{}"
            )
            yield _event("sessionStart", start)
            ends = time.monotonic() + SESSION_SECONDS
            while time.monotonic() < ends:
                first: list[LogEvent] = []
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(UPDATE_SECONDS):
                        first.append(await arrived.get())
                results = _drain(arrived, first)
                if results:
                    yield _update(results, groups)
            yield encode_message(
                {
                    ":message-type": "exception",
                    ":exception-type": "SessionTimeoutException",
                    ":content-type": "application/json",
                },
                orjson.dumps({"message": "Session timed out after 3 hours"}),
            )
        finally:
            store.listeners.remove(listen)

    return StreamingResponse(
        stream(),
        media_type="application/vnd.amazon.eventstream",
        headers={"x-amzn-RequestId": call.request_id},
    )


def _drain(arrived: asyncio.Queue[LogEvent], first: list[LogEvent]) -> list[LogEvent]:
    events = list(first)
    while not arrived.empty():
        events.append(arrived.get_nowait())
    return events


def _update(events: list[LogEvent], groups: dict[str, str]) -> bytes:
    sampled = len(events) > MAX_PER_UPDATE
    shown = events[:MAX_PER_UPDATE]
    return _event(
        "sessionUpdate",
        {
            "sessionMetadata": {"sampled": sampled},
            "sessionResults": [
                {
                    "logStreamName": e.log_stream,
                    "logGroupIdentifier": groups[e.log_group],
                    "message": e.message,
                    "timestamp": e.timestamp,
                    "ingestionTime": e.ingestion_time or e.timestamp,
                }
                for e in shown
            ],
        },
    )


def _event(kind: str, members: dict[str, Any]) -> bytes:
    return encode_event(kind, orjson.dumps(members), "application/json")


HANDLERS: dict[str, Handler] = {"StartLiveTail": start_live_tail}
