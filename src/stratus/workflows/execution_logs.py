"""Execution history as log events in CloudWatch Logs, as a machine's LoggingConfiguration
asks (`level` ALL | ERROR | FATAL | OFF, `includeExecutionData`, one log group destination).

Each history event becomes one log event, shaped as AWS writes them:

    {"id": "3", "type": "TaskScheduled", "details": {...}, "previous_event_id": "2",
     "event_timestamp": "1767225600123", "execution_arn": "arn:…", "redrive_count": "0"}

numbers as text, `details` the event's details object (without `input`/`output` unless
includeExecutionData). ERROR logs the events that report a failure (types ending in Failed,
TimedOut or Aborted, and FailStateEntered); FATAL only the execution's own end in failure.
The stream is `states/<machine>/<yyyy-mm-dd-HH-MM>/<execution id>` (by its start), so one
execution's events read together. Express executions (no stored history) and Standard ones
alike; logs are best effort, as on AWS: a Standard step redone after a crash may log twice.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from stratus.workflows.history import details_key

# group, stream, [(timestamp ms, message)]
Sink = Callable[[str, str, list[tuple[int, str]]], None]

FATAL_TYPES = frozenset({"ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"})
_DATA_FIELDS = ("input", "output")


def group_of(config: Mapping[str, Any]) -> str | None:
    """The log group a configuration writes to; None when it writes nothing."""
    if config.get("level", "OFF") == "OFF":
        return None
    for destination in config.get("destinations") or ():
        arn = (destination.get("cloudWatchLogsLogGroup") or {}).get("logGroupArn", "")
        # arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/x:*
        _, found, rest = arn.partition(":log-group:")
        if found and rest:
            return str(rest).removesuffix(":*")
    return None


def logged(level: str, event_type: str) -> bool:
    if level == "ALL":
        return True
    if level == "FATAL":
        return event_type in FATAL_TYPES
    if level == "ERROR":
        return event_type == "FailStateEntered" or event_type.endswith(
            ("Failed", "TimedOut", "Aborted")
        )
    return False


def write(
    sink: Sink,
    config: Mapping[str, Any],
    machine_name: str,
    execution_arn: str,
    started: float,
    redrive_count: int,
    events: Sequence[Mapping[str, Any]],
) -> None:
    """The events the configuration logs, handed to `sink` (nothing when it logs none)."""
    group = group_of(config)
    if group is None:
        return
    level, with_data = config.get("level", "OFF"), bool(config.get("includeExecutionData"))
    lines = [
        (int(event["timestamp"] * 1000), _line(event, execution_arn, redrive_count, with_data))
        for event in events
        if logged(level, event["type"])
    ]
    if lines:
        sink(group, stream_of(machine_name, execution_arn, started), lines)


def stream_of(machine_name: str, execution_arn: str, started: float) -> str:
    minute = datetime.datetime.fromtimestamp(started, datetime.UTC).strftime("%Y-%m-%d-%H-%M")
    tag = hashlib.sha256(execution_arn.encode()).hexdigest()[:16]
    return f"states/{machine_name}/{minute}/{tag}"


def _line(event: Mapping[str, Any], execution_arn: str, redrive_count: int, with_data: bool) -> str:
    details = dict(event.get(details_key(event["type"])) or {})
    if not with_data:
        for field in _DATA_FIELDS:
            details.pop(field, None)
    return json.dumps(
        {
            "id": str(event["id"]),
            "type": event["type"],
            "details": details,
            "previous_event_id": str(event.get("previousEventId", 0)),
            "event_timestamp": str(int(event["timestamp"] * 1000)),
            "execution_arn": execution_arn,
            "redrive_count": str(redrive_count),
        },
        separators=(",", ":"),
    )
