"""The event bus's records and AWS's limits on them: buses, rules, targets, events.

    Bus     a name; `default` always exists
    Rule    on one bus: an EventPattern and/or a ScheduleExpression (default bus only),
            ENABLED or DISABLED, at most 5 targets
    Target  an id (1-64 of [.\\-_A-Za-z0-9]), an ARN of a kind in TARGET_KINDS, its
            input setting (transform.py), RetryPolicy and DeadLetterConfig

Stored rows hold the fields as boto3 names them (JSON), so Describe/List answer them as read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from stratus.errors import Validation

DEFAULT_BUS = "default"
MAX_TARGETS = 5
MAX_ENTRIES = 10
MAX_ENTRIES_SIZE = 1_048_576  # PutEvents: the entries' total size, sized as AWS sizes them
TIME_SIZE = 14  # an entry's Time counts 14 bytes, whatever its text
MAX_RETRY_ATTEMPTS = 185
MAX_EVENT_AGE_S = 86_400
MIN_EVENT_AGE_S = 60

_RULE_NAME = re.compile(r"[.\-_A-Za-z0-9]{1,64}")
_BUS_NAME = re.compile(r"[/.\-_A-Za-z0-9]{1,256}")
_TARGET_ID = re.compile(r"[.\-_A-Za-z0-9]{1,64}")

# What a rule can deliver to: (service, resource prefix, description), by target ARN. The
# composition root (stratus.server) wires a delivery for each. AWS takes more kinds
# (Kinesis, ECS, API Gateway, ...); PutTargets refuses those here rather than store a target
# whose every event would be dropped.
TARGET_KINDS = (
    ("lambda", "function:", "Lambda functions (arn:aws:lambda:<region>:<account>:function:<name>)"),
    ("sqs", "", "SQS queues (arn:aws:sqs:<region>:<account>:<name>)"),
    ("sns", "", "SNS topics (arn:aws:sns:<region>:<account>:<name>)"),
    ("events", "event-bus/", "event buses (arn:aws:events:<region>:<account>:event-bus/<name>)"),
    ("events", "api-destination/",
     "API destinations (arn:aws:events:<region>:<account>:api-destination/<name>)"),
    ("states", "stateMachine:",
     "state machines (arn:aws:states:<region>:<account>:stateMachine:<name>)"),
    ("logs", "log-group:",
     "CloudWatch Logs log groups (arn:aws:logs:<region>:<account>:log-group:<name>)"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Rule:
    bus: str
    name: str
    arn: str
    state: str  # ENABLED | DISABLED
    created: float  # epoch seconds: a rate counts from here
    pattern: str | None = None
    schedule: str | None = None
    description: str | None = None
    role_arn: str | None = None

    def described(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "Name": self.name,
            "Arn": self.arn,
            "State": self.state,
            "EventBusName": self.bus,
        }
        for key, value in (
            ("EventPattern", self.pattern),
            ("ScheduleExpression", self.schedule),
            ("Description", self.description),
            ("RoleArn", self.role_arn),
        ):
            if value is not None:
                answer[key] = value
        return answer


@dataclass(frozen=True, slots=True)
class Target:
    """A target as PutTargets took it (`settings`: its members, boto3's names)."""

    id: str
    arn: str
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def max_retries(self) -> int:
        policy = self.settings.get("RetryPolicy") or {}
        value = policy.get("MaximumRetryAttempts")
        return MAX_RETRY_ATTEMPTS if value is None else int(value)

    @property
    def max_age_s(self) -> int:
        policy = self.settings.get("RetryPolicy") or {}
        value = policy.get("MaximumEventAgeInSeconds")
        return MAX_EVENT_AGE_S if value is None else int(value)

    @property
    def dead_letter(self) -> str | None:
        config = self.settings.get("DeadLetterConfig") or {}
        arn = config.get("Arn")
        return str(arn) if arn else None


def check_rule_name(name: str) -> str:
    if not _RULE_NAME.fullmatch(name):
        raise Validation(
            f"1 validation error detected: Value '{name}' at 'name' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+"
        )
    return name


def check_bus_name(name: str) -> str:
    if not _BUS_NAME.fullmatch(name):
        raise Validation(
            f"1 validation error detected: Value '{name}' at 'name' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [/\\.\\-_A-Za-z0-9]+"
        )
    return name


def check_target(target: dict[str, Any]) -> str | None:
    """Why PutTargets refuses this target (its FailedEntries message), None if it is fine."""
    if not _TARGET_ID.fullmatch(str(target.get("Id", ""))):
        return "Target Id must be 1 to 64 of [.-_A-Za-z0-9]."
    policy = target.get("RetryPolicy") or {}
    retries = policy.get("MaximumRetryAttempts")
    if retries is not None and not 0 <= int(retries) <= MAX_RETRY_ATTEMPTS:
        return f"MaximumRetryAttempts must be between 0 and {MAX_RETRY_ATTEMPTS}."
    age = policy.get("MaximumEventAgeInSeconds")
    if age is not None and not MIN_EVENT_AGE_S <= int(age) <= MAX_EVENT_AGE_S:
        return f"MaximumEventAgeInSeconds must be between {MIN_EVENT_AGE_S} and {MAX_EVENT_AGE_S}."
    return None


def target_kind(arn: str) -> str:
    """The service of a target ARN Stratus delivers to; Validation otherwise, AWS's message
    followed by the kinds Stratus serves."""
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn":
        for service, prefix, _ in TARGET_KINDS:
            resource = parts[5]
            if parts[2] == service and resource.startswith(prefix) and resource != prefix:
                return service
    served = "; ".join(description for *_, description in TARGET_KINDS)
    raise Validation(
        f"Parameter {arn} is not valid. Reason: Provided Arn is not in correct format. "
        f"Stratus delivers rule targets to {served}."
    )


def entry_size(entry: dict[str, Any]) -> int:
    """A PutEvents entry's size as AWS counts it: Time 14 bytes if given, and the UTF-8
    bytes of Source, DetailType, Detail and each resource."""
    size = TIME_SIZE if entry.get("Time") is not None else 0
    for key in ("Source", "DetailType", "Detail"):
        size += len(str(entry.get(key) or "").encode())
    return size + sum(len(str(r).encode()) for r in entry.get("Resources") or ())
