"""CloudFormation calls for `stratus deploy` and `stratus up`: submit a packaged template,
follow the stack's events to a final status, read back what it made.

    stack missing               CreateStack
    stack in ROLLBACK_COMPLETE  DeleteStack, then CreateStack (a failed create holds nothing)
    otherwise                   UpdateStack; "No updates are to be performed" is a success

Parameters not overridden keep their previous values on update, as `sam deploy` does, so a
deploy without overrides never resets one to its default.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .errors import CliError

if TYPE_CHECKING:
    from types_boto3_cloudformation import CloudFormationClient
    from types_boto3_cloudformation.type_defs import (
        OutputTypeDef,
        ParameterTypeDef,
        StackEventTypeDef,
        StackResourceSummaryTypeDef,
        StackTypeDef,
    )

# Running the command is the consent these stand for; AWS asks for them because a deploy
# there may grant real permissions.
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
SKIP_UNSUPPORTED_TAG = "stratus:skip-unsupported"
NO_UPDATES = "No updates are to be performed"
SUCCEEDED = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE"})
POLL_SECONDS = 0.1
# A small stack's update (a save under `stratus up`) ends in tens of milliseconds: the first
# polls come sooner, then back off to POLL_SECONDS.
FIRST_POLL_SECONDS = 0.01

Action = Literal["create", "update", "none"]
Show = Callable[["StackEventTypeDef"], None]


@dataclass(frozen=True, slots=True)
class StackRequest:
    """What to deploy: a packaged template under a stack name."""

    name: str
    template: Mapping[str, Any]
    overrides: Mapping[str, str] = field(default_factory=dict)
    skip_unsupported: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)  # none: the stack keeps its tags
    capabilities: tuple[str, ...] = tuple(CAPABILITIES)


@dataclass(frozen=True, slots=True)
class Outcome:
    action: Action
    stack: StackTypeDef | None  # DescribeStacks' answer after the operation
    failures: tuple[str, ...] = ()  # "Logical: reason" of each failed event
    skipped: tuple[str, ...] = ()  # "Logical (Type)" left out by --skip-unsupported

    @property
    def status(self) -> str:
        return self.stack["StackStatus"] if self.stack else ""

    @property
    def ok(self) -> bool:
        return self.action == "none" or self.status in SUCCEEDED

    @property
    def outputs(self) -> list[OutputTypeDef]:
        return self.stack.get("Outputs", []) if self.stack else []

    @property
    def problems(self) -> tuple[str, ...]:
        """What went wrong: each failed event's reason, else the stack's (or its status)."""
        reason = self.stack.get("StackStatusReason", self.status) if self.stack else ""
        return self.failures or (reason,)


def is_final(status: str) -> bool:
    return status.endswith(("_COMPLETE", "_FAILED"))


def find_stack(cfn: CloudFormationClient, name: str) -> StackTypeDef | None:
    try:
        return cfn.describe_stacks(StackName=name)["Stacks"][0]
    except cfn.exceptions.ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise


def deploy(
    cfn: CloudFormationClient,
    request: StackRequest,
    show: Show,
    *,
    wait: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Create or update the stack; with `wait`, follow its events (each to `show`) to the end."""
    current = find_stack(cfn, request.name)
    if current is not None and current["StackStatus"] == "ROLLBACK_COMPLETE":
        _delete(cfn, current["StackId"], sleep)
        current = None
    cursor = EventCursor(current["StackId"]) if current else None
    if cursor:
        cursor.poll(cfn)  # everything before this update counts as seen
    arguments = _arguments(request, current)
    if current is None:
        stack_id = cfn.create_stack(**arguments)["StackId"]
        action: Action = "create"
    else:
        try:
            stack_id = cfn.update_stack(**arguments)["StackId"]
        except cfn.exceptions.ClientError as exc:
            if NO_UPDATES in str(exc):
                return Outcome("none", current)
            raise
        action = "update"
    cursor = cursor or EventCursor(stack_id)
    if not wait:
        return Outcome(action, find_stack(cfn, stack_id))
    return _follow(cfn, action, cursor, show, sleep)


def resources(cfn: CloudFormationClient, name: str) -> list[StackResourceSummaryTypeDef]:
    pages = cfn.get_paginator("list_stack_resources").paginate(StackName=name)
    return [r for page in pages for r in page["StackResourceSummaries"]]


@dataclass
class EventCursor:
    """A stack's events not seen yet, oldest first (DescribeStackEvents answers newest first)."""

    stack_id: str
    _seen: set[str] = field(default_factory=set)

    def poll(self, cfn: CloudFormationClient) -> list[StackEventTypeDef]:
        fresh: list[StackEventTypeDef] = []
        for page in cfn.get_paginator("describe_stack_events").paginate(StackName=self.stack_id):
            new = [e for e in page["StackEvents"] if e["EventId"] not in self._seen]
            fresh += new
            if len(new) < len(page["StackEvents"]):
                break  # reached what we had seen: the rest is older
        self._seen.update(e["EventId"] for e in fresh)
        return fresh[::-1]


def _follow(
    cfn: CloudFormationClient,
    action: Action,
    cursor: EventCursor,
    show: Show,
    sleep: Callable[[float], None],
) -> Outcome:
    failures: list[str] = []
    skipped: list[str] = []
    delay = FIRST_POLL_SECONDS
    while True:
        # Status first, events second: a final status then never misses its last events.
        stack = find_stack(cfn, cursor.stack_id)
        for event in cursor.poll(cfn):
            show(event)
            status, logical = event["ResourceStatus"], event["LogicalResourceId"]
            if status.endswith("FAILED") and event.get("ResourceStatusReason"):
                failures.append(f"{logical}: {event['ResourceStatusReason']}")
            elif status.endswith("SKIPPED"):
                skipped.append(f"{logical} ({event.get('ResourceType', '')})")
        if stack is not None and is_final(stack["StackStatus"]):
            return Outcome(action, stack, tuple(failures), tuple(skipped))
        sleep(delay)
        delay = min(delay * 2, POLL_SECONDS)


def _arguments(request: StackRequest, current: StackTypeDef | None) -> dict[str, Any]:
    parameters = [{"ParameterKey": k, "ParameterValue": v} for k, v in request.overrides.items()]
    previous_tags = current.get("Tags", []) if current else []
    if request.tags:
        previous_tags = [{"Key": k, "Value": v} for k, v in request.tags.items()]
    tags = [t for t in previous_tags if t["Key"] != SKIP_UNSUPPORTED_TAG]
    if request.skip_unsupported:
        tags.append({"Key": SKIP_UNSUPPORTED_TAG, "Value": "true"})
    if current is not None:
        parameters += _kept(request, current.get("Parameters", []))
    return {
        "StackName": request.name if current is None else current["StackId"],
        "TemplateBody": json.dumps(request.template),
        "Parameters": parameters,
        "Capabilities": list(request.capabilities),
        "Tags": tags,
    }


def _kept(request: StackRequest, previous: list[ParameterTypeDef]) -> list[dict[str, Any]]:
    """The parameters not overridden keep their previous values (UsePreviousValue), as
    `sam deploy` and `aws cloudformation deploy` keep them."""
    declared = request.template.get("Parameters") or {}
    return [
        {"ParameterKey": item["ParameterKey"], "UsePreviousValue": True}
        for item in previous
        if item["ParameterKey"] in declared and item["ParameterKey"] not in request.overrides
    ]


def _delete(cfn: CloudFormationClient, stack_id: str, sleep: Callable[[float], None]) -> None:
    cfn.delete_stack(StackName=stack_id)
    while (stack := find_stack(cfn, stack_id)) and stack["StackStatus"] != "DELETE_COMPLETE":
        if stack["StackStatus"] == "DELETE_FAILED":
            raise CliError(f"could not delete the failed stack {stack_id}; delete it by hand")
        sleep(POLL_SECONDS)
