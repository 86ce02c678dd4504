"""DescribeEvents (CloudFormation's 2025 API): a stack's events grouped by the operation that
made them. Stratus records no operation ids; an operation is read off the stack's own events,
oldest first: each stack-level `*_IN_PROGRESS` that starts one (below) opens an operation whose
id is that event's id, and every event up to the next start belongs to it.

    REVIEW_IN_PROGRESS -> CREATE_CHANGESET     CREATE_IN_PROGRESS -> CREATE_STACK
    UPDATE_IN_PROGRESS -> UPDATE_STACK         DELETE_IN_PROGRESS -> DELETE_STACK
    ROLLBACK_IN_PROGRESS, UPDATE_ROLLBACK_IN_PROGRESS -> ROLLBACK

An operation FAILED when one of its stack-level events is `*_FAILED` or a rollback follows it,
SUCCEEDED when its last stack-level event is `*_COMPLETE` (a change set's creation, which
Stratus does inside the request, always), else it is IN_PROGRESS. Event types: the stack's
own events are STACK_EVENT, a resource's `*_FAILED` a PROVISIONING_ERROR, the rest
PROGRESS_EVENT. (Stratus refuses a bad template before anything starts, so there are no
VALIDATION_ERROR events; hooks do not exist.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .model import Shape, StackEvent

STACK_TYPE = "AWS::CloudFormation::Stack"
STARTS = {
    "REVIEW_IN_PROGRESS": "CREATE_CHANGESET",
    "CREATE_IN_PROGRESS": "CREATE_STACK",
    "UPDATE_IN_PROGRESS": "UPDATE_STACK",
    "DELETE_IN_PROGRESS": "DELETE_STACK",
    "ROLLBACK_IN_PROGRESS": "ROLLBACK",
    "UPDATE_ROLLBACK_IN_PROGRESS": "ROLLBACK",
}


class OperationEvent(Shape):
    EventId: str
    StackId: str
    OperationId: str
    OperationType: str
    OperationStatus: str
    EventType: str
    LogicalResourceId: str
    PhysicalResourceId: str | None = None
    ResourceType: str
    Timestamp: datetime
    ResourceStatus: str
    ResourceStatusReason: str | None = None
    ResourceProperties: str | None = None


@dataclass
class _Operation:
    id: str
    type: str
    started: datetime
    events: list[StackEvent]


def operations(events: list[StackEvent]) -> list[_Operation]:
    """The stack's operations, oldest first, from its events (newest first, as described)."""
    found: list[_Operation] = []
    for event in reversed(events):
        kind = STARTS.get(event.ResourceStatus) if _is_stack(event) else None
        if kind is not None or not found:
            found.append(_Operation(event.EventId, kind or "CREATE_STACK", event.Timestamp, []))
        found[-1].events.append(event)
    return found


def operation_events(
    events: list[StackEvent],
    *,
    operation_id: str | None = None,
    since: datetime | None = None,
    failed_only: bool = False,
) -> list[OperationEvent]:
    """DescribeEvents' answer, newest first: every event of the stack tagged with its
    operation, or those of one operation, of operations started at or after `since`, or only
    the failures."""
    found = operations(events)
    answer: list[OperationEvent] = []
    for index, operation in enumerate(found):
        if operation_id is not None and operation.id != operation_id:
            continue
        if since is not None and operation.started < since:
            continue
        following = found[index + 1].type if index + 1 < len(found) else None
        status = _status(operation, following)
        for event in operation.events:
            if failed_only and not event.ResourceStatus.endswith("_FAILED"):
                continue
            answer.append(
                OperationEvent(
                    EventId=event.EventId,
                    StackId=event.StackId,
                    OperationId=operation.id,
                    OperationType=operation.type,
                    OperationStatus=status,
                    EventType=_event_type(event),
                    LogicalResourceId=event.LogicalResourceId,
                    PhysicalResourceId=event.PhysicalResourceId,
                    ResourceType=event.ResourceType,
                    Timestamp=event.Timestamp,
                    ResourceStatus=event.ResourceStatus,
                    ResourceStatusReason=event.ResourceStatusReason,
                    ResourceProperties=event.ResourceProperties,
                )
            )
    answer.reverse()
    return answer


def _is_stack(event: StackEvent) -> bool:
    return event.ResourceType == STACK_TYPE and event.LogicalResourceId == event.StackName


def _status(operation: _Operation, following: str | None) -> str:
    if operation.type == "CREATE_CHANGESET":
        return "SUCCEEDED"
    own = [e.ResourceStatus for e in operation.events if _is_stack(e)]
    if any(s.endswith("_FAILED") for s in own) or following == "ROLLBACK":
        return "FAILED"
    if own and own[-1].endswith("_COMPLETE"):
        return "SUCCEEDED"
    return "IN_PROGRESS"


def _event_type(event: StackEvent) -> str:
    if _is_stack(event):
        return "STACK_EVENT"
    return "PROVISIONING_ERROR" if event.ResourceStatus.endswith("_FAILED") else "PROGRESS_EVENT"
