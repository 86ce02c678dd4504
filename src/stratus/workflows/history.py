"""History events with AWS's types, ids and details (GetExecutionHistory's `events`).

    {"id": 3, "previousEventId": 2, "timestamp": 1700000000.123, "type": "PassStateExited",
     "stateExitedEventDetails": {"name": "Hello", "output": "{...}"}}

Ids count from 1 per execution; `previousEventId` chains each event to the one before it on
the same path of control (a Parallel branch or Map iteration chains to the event that
started it), as AWS's console draws it. Inputs and outputs are JSON text, as on the wire,
with `...Details: {"truncated": false}` beside them. Timestamps are epoch seconds; the
wire adapter renders them.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import orjson

# Event types whose details live under a shared key rather than their own name.
_ENTERED = "stateEnteredEventDetails"
_EXITED = "stateExitedEventDetails"


@functools.cache  # a few dozen types; asked twice per transition
def details_key(event_type: str) -> str:
    if event_type.endswith("StateEntered"):
        return _ENTERED
    if event_type.endswith("StateExited"):
        return _EXITED
    if event_type.startswith("MapIteration"):
        return "mapIteration" + event_type[len("MapIteration") :] + "EventDetails"
    return event_type[0].lower() + event_type[1:] + "EventDetails"


def make(
    event_type: str, event_id: int, previous: int, now: float, details: dict[str, Any] | None
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "id": event_id,
        "previousEventId": previous,
        "timestamp": now,
        "type": event_type,
    }
    if details is not None:
        event[details_key(event_type)] = details
    return event


def encode(value: Any) -> bytes:
    """JSON as Step Functions writes it in history and outputs: compact, UTF-8 kept.
    (orjson for speed: every state's input and output is written once per transition;
    integers past 64 bits, which it refuses, go through the standard library.)"""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def json_text(value: Any) -> str:
    return encode(value).decode()


def data(field: str, value: Any, encoded: bytes | None = None) -> dict[str, Any]:
    """`{field: json, fieldDetails: {truncated: false}}`, the shape of input/output details."""
    text = (encode(value) if encoded is None else encoded).decode()
    return {field: text, f"{field}Details": {"truncated": False}}
