"""EventBridge Scheduler's records and AWS's rules on them: schedule groups and schedules.

    ScheduleGroup   a name; `default` always exists and cannot be deleted
    Schedule        in one group: an expression (at / rate / cron) in a time zone, between
                    StartDate and EndDate, a FlexibleTimeWindow, ENABLED or DISABLED, an
                    ActionAfterCompletion (NONE | DELETE) and one target
    Target          its members as boto3 names them (Arn, RoleArn, Input, RetryPolicy,
                    DeadLetterConfig, SqsParameters, EventBridgeParameters); served kinds:
                    a Lambda function, an SQS queue, an SNS topic, an EventBridge bus

The botocore model checks names, lengths, enums and the retry policy's ranges at the edge;
what it cannot say (which targets are served, a FIFO queue needs a MessageGroupId, a bus
needs EventBridgeParameters) is checked here, in ValidationExceptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from stratus.errors import Validation

from . import universal

DEFAULT_GROUP = "default"
DEFAULT_MAX_RETRIES = 185
DEFAULT_MAX_AGE_S = 86_400
# A target's kind, by the service its ARN names (templated targets Stratus serves).
TARGET_KINDS = {"lambda": "Lambda function", "sqs": "SQS queue", "sns": "SNS topic",
                "events": "EventBridge event bus",
                "states": "Step Functions state machine"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ScheduleGroup:
    name: str
    arn: str
    created: float
    modified: float

    def described(self) -> dict[str, Any]:
        return {
            "Name": self.name,
            "Arn": self.arn,
            "State": "ACTIVE",
            "CreationDate": _time(self.created),
            "LastModificationDate": _time(self.modified),
        }


@dataclass(frozen=True, slots=True)
class Schedule:
    group: str
    name: str
    arn: str
    expression: str
    target: dict[str, Any]  # boto3's members
    created: float
    modified: float
    state: str = "ENABLED"
    timezone: str | None = None
    start: float | None = None  # epoch seconds
    end: float | None = None
    window_mode: str = "OFF"
    window_minutes: int | None = None
    action_after_completion: str = "NONE"
    description: str | None = None
    kms_key_arn: str | None = None
    client_token: str | None = None  # CreateSchedule's: a repeat with it is no conflict

    @property
    def max_retries(self) -> int:
        value = (self.target.get("RetryPolicy") or {}).get("MaximumRetryAttempts")
        return DEFAULT_MAX_RETRIES if value is None else int(value)

    @property
    def max_age_s(self) -> int:
        value = (self.target.get("RetryPolicy") or {}).get("MaximumEventAgeInSeconds")
        return DEFAULT_MAX_AGE_S if value is None else int(value)

    @property
    def dead_letter(self) -> str | None:
        arn = (self.target.get("DeadLetterConfig") or {}).get("Arn")
        return str(arn) if arn else None

    def described(self) -> dict[str, Any]:
        """GetSchedule's answer (AWS gives back the defaults it applied)."""
        window: dict[str, Any] = {"Mode": self.window_mode}
        if self.window_minutes is not None:
            window["MaximumWindowInMinutes"] = self.window_minutes
        target = dict(self.target)
        target.setdefault("RetryPolicy", {})
        target["RetryPolicy"] = {
            "MaximumEventAgeInSeconds": self.max_age_s,
            "MaximumRetryAttempts": self.max_retries,
        }
        answer: dict[str, Any] = {
            "Arn": self.arn,
            "Name": self.name,
            "GroupName": self.group,
            "ScheduleExpression": self.expression,
            "ScheduleExpressionTimezone": self.timezone or "UTC",
            "FlexibleTimeWindow": window,
            "State": self.state,
            "ActionAfterCompletion": self.action_after_completion,
            "Target": target,
            "CreationDate": _time(self.created),
            "LastModificationDate": _time(self.modified),
        }
        for key, value in (
            ("Description", self.description),
            ("KmsKeyArn", self.kms_key_arn),
            ("StartDate", None if self.start is None else _time(self.start)),
            ("EndDate", None if self.end is None else _time(self.end)),
        ):
            if value is not None:
                answer[key] = value
        return answer

    def summary(self) -> dict[str, Any]:
        """ListSchedules' entry."""
        return {
            "Arn": self.arn,
            "Name": self.name,
            "GroupName": self.group,
            "State": self.state,
            "CreationDate": _time(self.created),
            "LastModificationDate": _time(self.modified),
            "Target": {"Arn": self.target["Arn"]},
        }


def target_kind(arn: str) -> str:
    """The service of a target ARN Stratus can invoke ("aws-sdk" for a universal target);
    ValidationException otherwise."""
    if universal.is_universal(arn):
        universal.parse(arn)
        return "aws-sdk"
    parts = arn.split(":", 5)
    service = parts[2] if len(parts) == 6 and parts[0] == "arn" else ""
    if service == "events" and not parts[5].startswith("event-bus/"):
        service = ""
    if service == "states" and not parts[5].startswith("stateMachine:"):
        service = ""
    if service not in TARGET_KINDS:
        served = ", ".join(TARGET_KINDS.values())
        raise Validation(
            f"Invalid target ARN {arn}: Stratus invokes these templated targets: {served}, "
            "and universal targets (arn:aws:scheduler:::aws-sdk:<service>:<apiAction>)."
        )
    return service


def check_target(target: dict[str, Any]) -> None:
    """What the model cannot check about a target."""
    arn = str(target["Arn"])
    kind = target_kind(arn)
    if kind == "events" and not target.get("EventBridgeParameters"):
        raise Validation("EventBridgeParameters is required for an EventBridge event bus target.")
    if kind != "events" and target.get("EventBridgeParameters"):
        raise Validation("EventBridgeParameters is only for EventBridge event bus targets.")
    fifo_queue = kind == "sqs" and arn.endswith(".fifo")
    group_id = (target.get("SqsParameters") or {}).get("MessageGroupId")
    if fifo_queue and not group_id:
        raise Validation("SqsParameters.MessageGroupId is required for a FIFO queue target.")
    if group_id and kind != "sqs":
        raise Validation("SqsParameters is only for SQS queue targets.")
    for unserved in ("EcsParameters", "KinesisParameters", "SageMakerPipelineParameters"):
        if target.get(unserved):
            raise Validation(f"{unserved} is for a target kind Stratus does not serve.")
    dead_letter = (target.get("DeadLetterConfig") or {}).get("Arn")
    if dead_letter and str(dead_letter).endswith(".fifo"):
        raise Validation("A FIFO queue cannot be a schedule's dead-letter queue.")


def _time(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    """CreateSchedule's and UpdateSchedule's members (Update replaces them all, as on AWS:
    an optional member left out goes back to its default)."""

    name: str
    expression: str
    target: dict[str, Any]
    window_mode: str
    window_minutes: int | None = None
    group: str = DEFAULT_GROUP
    state: str = "ENABLED"
    timezone: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    action_after_completion: str = "NONE"
    description: str | None = None
    kms_key_arn: str | None = None
    client_token: str | None = None

    @classmethod
    def of(cls, members: dict[str, Any]) -> ScheduleSpec:
        window = members["FlexibleTimeWindow"]
        return cls(
            name=members["Name"],
            expression=members["ScheduleExpression"],
            target=dict(members["Target"]),
            window_mode=window["Mode"],
            window_minutes=window.get("MaximumWindowInMinutes"),
            group=members.get("GroupName") or DEFAULT_GROUP,
            state=members.get("State") or "ENABLED",
            timezone=members.get("ScheduleExpressionTimezone"),
            start=members.get("StartDate"),
            end=members.get("EndDate"),
            action_after_completion=members.get("ActionAfterCompletion") or "NONE",
            description=members.get("Description"),
            kms_key_arn=members.get("KmsKeyArn"),
            client_token=members.get("ClientToken"),
        )
