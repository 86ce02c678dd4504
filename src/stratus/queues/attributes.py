"""Queue attributes: which names a call may set, their ranges and defaults, as SQS checks
them. Values travel as strings, as on the wire; `settle` returns the stored form."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import InvalidAttributeName, InvalidAttributeValue, InvalidParameter
from .model import FIFO_SUFFIX, RedrivePolicy


@dataclass(frozen=True, slots=True)
class Seconds:
    low: int
    high: int
    default: int


# Settable on every queue, with AWS's ranges and defaults.
NUMBERS: dict[str, Seconds] = {
    "DelaySeconds": Seconds(0, 900, 0),
    "MaximumMessageSize": Seconds(1_024, 1_048_576, 1_048_576),
    "MessageRetentionPeriod": Seconds(60, 1_209_600, 345_600),
    "ReceiveMessageWaitTimeSeconds": Seconds(0, 20, 0),
    "VisibilityTimeout": Seconds(0, 43_200, 30),
    "KmsDataKeyReusePeriodSeconds": Seconds(60, 86_400, 300),
}
COMMON = {
    *NUMBERS,
    "Policy",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "KmsMasterKeyId",
    "SqsManagedSseEnabled",
}
FIFO_ONLY = {"ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"}
CHOICES = {
    "SqsManagedSseEnabled": ("true", "false"),
    "FifoQueue": ("true", "false"),
    "ContentBasedDeduplication": ("true", "false"),
    "DeduplicationScope": ("messageGroup", "queue"),
    "FifoThroughputLimit": ("perQueue", "perMessageGroupId"),
}
# Computed: GetQueueAttributes answers them; setting one is an unknown attribute.
COMPUTED = (
    "QueueArn",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
)
READABLE = frozenset({*COMPUTED, *COMMON, "FifoQueue", *FIFO_ONLY})
_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
MAX_SOURCE_ARNS = 10


def check_name(name: str, fifo: bool) -> None:
    base = name[: -len(FIFO_SUFFIX)] if name.endswith(FIFO_SUFFIX) else name
    if fifo:
        if not name.endswith(FIFO_SUFFIX) or not _NAME.fullmatch(base) or len(name) > 80:
            raise InvalidParameter(
                "The name of a FIFO queue can only include alphanumeric characters, hyphens, "
                "or underscores, must end with .fifo suffix and be 1 to 80 in length."
            )
    elif not _NAME.fullmatch(name):
        raise InvalidParameter(
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
        )


def defaults(fifo: bool) -> dict[str, str]:
    """A new queue's attributes before the caller's are applied."""
    found = {name: str(rule.default) for name, rule in NUMBERS.items()}
    found["SqsManagedSseEnabled"] = "true"
    if fifo:
        found |= {
            "FifoQueue": "true",
            "ContentBasedDeduplication": "false",
            "DeduplicationScope": "queue",
            "FifoThroughputLimit": "perQueue",
        }
    return found


def settle(given: Mapping[str, str], fifo: bool, creating: bool) -> dict[str, str]:
    """The caller's attributes, checked and normalised (numbers without leading zeros)."""
    allowed = COMMON | (FIFO_ONLY if fifo else set()) | ({"FifoQueue"} if creating else set())
    settled: dict[str, str] = {}
    for name, raw in given.items():
        if name not in allowed:
            raise InvalidAttributeName(f"Unknown Attribute {name}.")
        settled[name] = _value(name, str(raw))
    if settled.get("FifoQueue", "true" if fifo else "false") != ("true" if fifo else "false"):
        raise InvalidParameter(
            "The name of a FIFO queue can only include alphanumeric characters, hyphens, or "
            "underscores, must end with .fifo suffix and be 1 to 80 in length."
        )
    if settled.get("RedrivePolicy"):
        redrive = _redrive_json(settled["RedrivePolicy"])
        settled["RedrivePolicy"] = json.dumps(redrive, separators=(",", ":"))
    if settled.get("RedriveAllowPolicy"):
        _check_allow(settled["RedriveAllowPolicy"])
    return settled


def _value(name: str, raw: str) -> str:
    rule = NUMBERS.get(name)
    if rule is not None:
        try:
            number = int(raw.strip())
        except ValueError:
            number = None
        if number is None or not rule.low <= number <= rule.high:
            raise InvalidAttributeValue(f"Invalid value for the parameter {name}.")
        return str(number)
    choices = CHOICES.get(name)
    if choices is not None and raw not in choices:
        raise InvalidAttributeValue(f"Invalid value for the parameter {name}.")
    if name == "Policy" and raw:
        _json_object(name, raw)
    return raw


def _json_object(name: str, raw: str) -> dict[str, object]:
    try:
        found = json.loads(raw)
    except ValueError:
        found = None
    if not isinstance(found, dict):
        raise InvalidAttributeValue(f"Invalid value for the parameter {name}.")
    return found


def _redrive_json(raw: str) -> dict[str, object]:
    found = _json_object("RedrivePolicy", raw)
    target, count = found.get("deadLetterTargetArn"), found.get("maxReceiveCount")
    extra = set(found) - {"deadLetterTargetArn", "maxReceiveCount"}
    try:
        number = int(str(count))
    except ValueError:
        number = 0
    if extra or not isinstance(target, str) or not target or not 1 <= number <= 1000:
        raise InvalidAttributeValue(
            f"Value {raw} for parameter RedrivePolicy is invalid. Reason: Redrive policy is "
            "not a valid JSON map with deadLetterTargetArn and maxReceiveCount (1 to 1000)."
        )
    return {"deadLetterTargetArn": target, "maxReceiveCount": number}


def redrive_of(stored: str | None) -> RedrivePolicy | None:
    if not stored:
        return None
    found = json.loads(stored)
    return RedrivePolicy(found["deadLetterTargetArn"], int(found["maxReceiveCount"]))


def _check_allow(raw: str) -> None:
    found = _json_object("RedriveAllowPolicy", raw)
    permission, sources = found.get("redrivePermission"), found.get("sourceQueueArns")
    reason = None
    if permission not in ("allowAll", "denyAll", "byQueue"):
        reason = "redrivePermission must be allowAll, denyAll or byQueue."
    elif permission == "byQueue":
        if not isinstance(sources, list) or not 1 <= len(sources) <= MAX_SOURCE_ARNS:
            reason = f"byQueue needs 1 to {MAX_SOURCE_ARNS} sourceQueueArns."
    elif sources is not None:
        reason = "sourceQueueArns can be specified only when redrivePermission is byQueue."
    if reason:
        raise InvalidAttributeValue(
            f"Value {raw} for parameter RedriveAllowPolicy is invalid. Reason: {reason}"
        )


def allows(allow_policy: str | None, source_arn: str) -> bool:
    """Whether a dead-letter queue with this RedriveAllowPolicy takes `source_arn`."""
    if not allow_policy:
        return True
    found = json.loads(allow_policy)
    permission = found.get("redrivePermission")
    if permission == "denyAll":
        return False
    return permission != "byQueue" or source_arn in found.get("sourceQueueArns", [])


def wanted(names: list[str] | tuple[str, ...]) -> set[str]:
    """The attribute names a GetQueueAttributes asked for; "All" stands for every one."""
    chosen: set[str] = set()
    for name in names:
        if name == "All":
            chosen |= READABLE
        elif name in READABLE:
            chosen.add(name)
        else:
            raise InvalidAttributeName(f"Unknown Attribute {name}.")
    return chosen
