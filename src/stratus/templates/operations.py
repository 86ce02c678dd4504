"""Stack operations, as DescribeEvents (2025) groups events: every create, update, delete,
rollback and change-set review of a stack is one operation with its own id.

An operation starts with the stack-level event of its first status (below); every later event
of the stack carries that id until the next one starts, so the id needs no table of its own:
the store gives each new event the id of the stack's latest event, or a new one when the
event starts an operation.

    CREATE_IN_PROGRESS -> CREATE_STACK          UPDATE_IN_PROGRESS -> UPDATE_STACK
    DELETE_IN_PROGRESS -> DELETE_STACK          REVIEW_IN_PROGRESS -> CREATE_CHANGESET
    ROLLBACK_IN_PROGRESS, UPDATE_ROLLBACK_IN_PROGRESS -> ROLLBACK

An operation's status is that of its last stack-level event: IN_PROGRESS while under way,
FAILED when a rollback followed it or it ended *_FAILED, SUCCESS otherwise.
"""

from __future__ import annotations

from typing import Any

from .model import StackEvent

STARTS = {
    "CREATE_IN_PROGRESS": "CREATE_STACK",
    "UPDATE_IN_PROGRESS": "UPDATE_STACK",
    "DELETE_IN_PROGRESS": "DELETE_STACK",
    "REVIEW_IN_PROGRESS": "CREATE_CHANGESET",
    "ROLLBACK_IN_PROGRESS": "ROLLBACK",
    "UPDATE_ROLLBACK_IN_PROGRESS": "ROLLBACK",
}
STACK_TYPE = "AWS::CloudFormation::Stack"


def starts_operation(stack_name: str, logical_id: str, kind: str, status: str) -> bool:
    return logical_id == stack_name and kind == STACK_TYPE and status in STARTS


def _is_stack_event(event: StackEvent) -> bool:
    return event.LogicalResourceId == event.StackName and event.ResourceType == STACK_TYPE


def operation_events(
    events: list[StackEvent], operation_id: str | None, failed_only: bool
) -> list[dict[str, Any]]:
    """DescribeEvents' OperationEvents from a stack's events (newest first, as given)."""
    oldest_first = list(reversed(events))
    kinds: dict[str, str] = {}
    last_status: dict[str, str] = {}
    started: dict[str, Any] = {}
    ended: dict[str, Any] = {}
    order: list[str] = []
    for event in oldest_first:
        op = event.OperationId
        if op is None:
            continue
        if op not in kinds:
            kinds[op] = STARTS.get(event.ResourceStatus, "UPDATE_STACK")
            started[op] = event.Timestamp
            order.append(op)
        if _is_stack_event(event):
            last_status[op] = event.ResourceStatus
            if not event.ResourceStatus.endswith("_IN_PROGRESS"):
                ended[op] = event.Timestamp
    statuses = {}
    for index, op in enumerate(order):
        later = order[index + 1] if index + 1 < len(order) else None
        status = last_status.get(op, "")
        rolled_back = later is not None and kinds[later] == "ROLLBACK" != kinds[op]
        if rolled_back or status.endswith("_FAILED"):
            statuses[op] = "FAILED"
        elif status.endswith("_IN_PROGRESS") and later is None:
            statuses[op] = "IN_PROGRESS"
        else:
            statuses[op] = "SUCCESS"
    found = []
    for event in events:
        op = event.OperationId
        if op is None or (operation_id is not None and op != operation_id):
            continue
        failed = "FAILED" in event.ResourceStatus
        if failed_only and not failed:
            continue
        if _is_stack_event(event):
            event_type = "STACK_EVENT"
        elif failed:
            event_type = "PROVISIONING_ERROR"
        else:
            event_type = "PROGRESS_EVENT"
        described = {
            "EventId": event.EventId,
            "StackId": event.StackId,
            "OperationId": op,
            "OperationType": kinds[op],
            "OperationStatus": statuses[op],
            "EventType": event_type,
            "LogicalResourceId": event.LogicalResourceId,
            "PhysicalResourceId": event.PhysicalResourceId,
            "ResourceType": event.ResourceType,
            "Timestamp": event.Timestamp,
            "StartTime": started[op],
            "EndTime": ended.get(op),
            "ResourceStatus": event.ResourceStatus,
            "ResourceStatusReason": event.ResourceStatusReason,
        }
        found.append({k: v for k, v in described.items() if v is not None})
    return found
