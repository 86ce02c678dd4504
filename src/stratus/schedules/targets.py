"""What a schedule hands its target, and the seam it goes through.

    Invocation     the target's ARN, the Input with its context attributes filled in, the id
                   of this execution (a Lambda request id, a FIFO deduplication id), and
                   the kind's parameters: SqsParameters.MessageGroupId, EventBridgeParameters
                   (DetailType, Source: the Input becomes the event's Detail), and message
                   attributes (only dead-letter events carry them)
    Targets        one method, `wait_invoke`; stratus.bridges implements it with the queues',
                   topics', functions' and event bus's own methods. It raises NotFound or
                   Invalid when the target cannot take the invocation (not retried) and any
                   other StratusError when it may later (retried under the RetryPolicy).

Input is passed as it is (no envelope, unlike a bus rule's target); AWS's context attributes
are replaced wherever they occur in it:

    <aws.scheduler.schedule-arn>     <aws.scheduler.scheduled-time>   (2024-01-01T00:00:00Z)
    <aws.scheduler.execution-id>     <aws.scheduler.attempt-number>   (1 on the first try)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

EMPTY_INPUT = "{}"  # what a target gets when the schedule names no Input


@dataclass(frozen=True, slots=True)
class Invocation:
    arn: str
    input: str
    id: str  # unique per execution and attempt series
    message_group_id: str | None = None
    detail_type: str | None = None
    source: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)


class Targets(Protocol):
    async def wait_invoke(self, invocation: Invocation) -> None: ...


@dataclass(frozen=True, slots=True)
class Context:
    schedule_arn: str
    scheduled: float  # epoch seconds
    execution_id: str
    attempt: int

    def fill(self, text: str) -> str:
        """`text` with the context attributes replaced."""
        if "<aws.scheduler." not in text:
            return text
        scheduled = datetime.fromtimestamp(self.scheduled, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for name, value in (
            ("schedule-arn", self.schedule_arn),
            ("scheduled-time", scheduled),
            ("execution-id", self.execution_id),
            ("attempt-number", str(self.attempt)),
        ):
            text = text.replace(f"<aws.scheduler.{name}>", value)
        return text
