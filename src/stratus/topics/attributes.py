"""Topic and subscription attributes: which a caller may set, their values, and what
Get*Attributes adds. Every refusal is SNS's InvalidParameter, worded as SNS words it."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from stratus.patterns.filter_policy import FilterPolicy, parse_filter_policy, parse_scope

from .errors import InvalidParameter
from .model import DEFAULT_MAX_MESSAGE_BYTES, FIFO_SUFFIX, Topic

TOPIC_SETTABLE = frozenset(
    {
        "DisplayName",
        "Policy",
        "DeliveryPolicy",
        "KmsMasterKeyId",
        "SignatureVersion",
        "TracingConfig",
        "ContentBasedDeduplication",
        "ArchivePolicy",
        "FifoThroughputScope",
        "DataProtectionPolicy",
        "MaximumMessageSize",
    }
)
TOPIC_CREATE_ONLY = frozenset({"FifoTopic"})
# Optional settings an empty value removes (as SetTopicAttributes turns off encryption with
# an empty KmsMasterKeyId).
CLEARABLE = frozenset(
    {"KmsMasterKeyId", "DeliveryPolicy", "DataProtectionPolicy", "ArchivePolicy", "TracingConfig"}
)
SUBSCRIPTION_SETTABLE = frozenset(
    {
        "DeliveryPolicy",
        "FilterPolicy",
        "FilterPolicyScope",
        "RawMessageDelivery",
        "RedrivePolicy",
        "SubscriptionRoleArn",
        "ReplayPolicy",
    }
)
# MaximumMessageSize: 1 KiB to 1 MiB; above 256 KiB only these protocols, this many at most.
MIN_MESSAGE_SIZE, MAX_MESSAGE_SIZE = 1024, 1_048_576
LARGE_PROTOCOLS = ("sqs", "lambda", "firehose")
LARGE_MAX_SUBSCRIPTIONS = 100
_NAME = re.compile(r"[A-Za-z0-9_-]{1,256}")
_BOOLEANS = ("true", "false")
_SQS_ARN = re.compile(r"arn:aws:sqs:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_.-]{1,80}")
_FIFO_NAME = (
    "Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase "
    "ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 "
    "characters long."
)


def check_topic_name(name: str, fifo: bool) -> None:
    base = name[: -len(FIFO_SUFFIX)] if name.endswith(FIFO_SUFFIX) else name
    if fifo and (not name.endswith(FIFO_SUFFIX) or not _NAME.fullmatch(base)):
        raise InvalidParameter(_FIFO_NAME)
    if not fifo and (name.endswith(FIFO_SUFFIX) or not _NAME.fullmatch(name)):
        raise InvalidParameter("Topic Name")


def topic_attributes(given: Mapping[str, str], *, creating: bool, fifo: bool) -> dict[str, str]:
    """The attributes a CreateTopic or SetTopicAttributes sets, checked."""
    allowed = TOPIC_SETTABLE | (TOPIC_CREATE_ONLY if creating else frozenset())
    for name, value in given.items():
        if name not in allowed:
            raise InvalidParameter(
                f"Attributes Reason: Unknown attribute {name}" if creating else "AttributeName"
            )
        if name in ("FifoTopic", "ContentBasedDeduplication") and value not in _BOOLEANS:
            raise InvalidParameter(
                f"Attributes Reason: {name}: Invalid value [{value}]. Must be true or false."
            )
        if name == "ContentBasedDeduplication" and value == "true" and not fifo:
            raise InvalidParameter(
                "Attributes Reason: Content based deduplication can only be set for FIFO topics"
            )
        if name in CLEARABLE and value == "":
            continue  # removes the setting (SetTopicAttributes)
        if name in ("Policy", "DeliveryPolicy", "DataProtectionPolicy", "ArchivePolicy"):
            _check_json(name, value)
        if name == "SignatureVersion" and value not in ("1", "2"):
            raise InvalidParameter("Attributes Reason: SignatureVersion must be 1 or 2")
        if name == "MaximumMessageSize":
            _check_max_message_size(value)
    return dict(given)


def _check_max_message_size(value: str) -> None:
    number = int(value) if value.strip().isdigit() else -1
    if not MIN_MESSAGE_SIZE <= number <= MAX_MESSAGE_SIZE:
        raise InvalidParameter(
            f"Attributes Reason: MaximumMessageSize: Invalid value [{value}]. Must be an "
            f"integer from {MIN_MESSAGE_SIZE} to {MAX_MESSAGE_SIZE}."
        )


def topic_defaults(fifo: bool) -> dict[str, str]:
    defaults = {
        "DisplayName": "",
        "SignatureVersion": "1",
        "MaximumMessageSize": str(DEFAULT_MAX_MESSAGE_BYTES),
    }
    if fifo:
        defaults |= {"FifoTopic": "true", "ContentBasedDeduplication": "false"}
    return defaults


def default_policy(arn: str, account: str) -> str:
    """The access policy SNS gives a topic that has not been given one."""
    policy = {
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [
            {
                "Sid": "__default_statement_ID",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": ["SNS:Publish", "SNS:Subscribe", "SNS:GetTopicAttributes"],
                "Resource": arn,
                "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
            }
        ],
    }
    return json.dumps(policy, separators=(",", ":"))


def described_topic(topic: Topic, account: str, confirmed: int, pending: int) -> dict[str, str]:
    """GetTopicAttributes: what was set, defaults, and what SNS computes."""
    return {
        "TopicArn": topic.arn,
        "Owner": account,
        "Policy": default_policy(topic.arn, account),
        "EffectiveDeliveryPolicy": json.dumps(DEFAULT_DELIVERY_POLICY, separators=(",", ":")),
        "SubscriptionsConfirmed": str(confirmed),
        "SubscriptionsPending": str(pending),
        "SubscriptionsDeleted": "0",
        **topic_defaults(topic.fifo),
        **topic.attributes,
    }


# AWS's default HTTP delivery policy (what EffectiveDeliveryPolicy shows).
DEFAULT_DELIVERY_POLICY = {
    "http": {
        "defaultHealthyRetryPolicy": {
            "minDelayTarget": 20,
            "maxDelayTarget": 20,
            "numRetries": 3,
            "numMaxDelayRetries": 0,
            "numNoDelayRetries": 0,
            "numMinDelayRetries": 0,
            "backoffFunction": "linear",
        },
        "disableSubscriptionOverrides": False,
        "defaultRequestPolicy": {"headerContentType": "text/plain; charset=UTF-8"},
    }
}


def subscription_attributes(
    given: Mapping[str, str], current: Mapping[str, str], protocol: str
) -> tuple[dict[str, str], FilterPolicy | None]:
    """`current` with `given` applied, checked; and the filter policy they compile to."""
    for name, value in given.items():
        if name not in SUBSCRIPTION_SETTABLE:
            raise InvalidParameter("AttributeName")
        if name == "RawMessageDelivery":
            if value.lower() not in _BOOLEANS:
                raise InvalidParameter(
                    f"Attributes Reason: RawMessageDelivery: Invalid value [{value}]. "
                    "Must be true or false."
                )
            if protocol not in ("sqs", "http", "https"):
                raise InvalidParameter(
                    "Attributes Reason: Delivery protocol [lambda] does not support raw "
                    "message delivery."
                )
        if name == "RedrivePolicy" and value:
            dead_letter_arn(value)
        if name == "DeliveryPolicy" and value:
            _check_json(name, value)
    merged = {**current, **given}
    if "RawMessageDelivery" in merged:
        merged["RawMessageDelivery"] = merged["RawMessageDelivery"].lower()
    merged = {k: v for k, v in merged.items() if v != "" or k == "FilterPolicy"}
    scope = parse_scope(merged.get("FilterPolicyScope", "MessageAttributes"))
    policy = parse_filter_policy(merged.get("FilterPolicy", ""), scope)
    if policy is None:
        merged.pop("FilterPolicy", None)
        merged.pop("FilterPolicyScope", None)
    return merged, policy


def dead_letter_arn(redrive_policy: str) -> str:
    """The SQS queue a subscription's RedrivePolicy names."""
    try:
        parsed = json.loads(redrive_policy)
    except ValueError:
        raise InvalidParameter("RedrivePolicy: failed to parse JSON.") from None
    target = parsed.get("deadLetterTargetArn") if isinstance(parsed, dict) else None
    if not isinstance(target, str) or not _SQS_ARN.fullmatch(target):
        raise InvalidParameter(
            "RedrivePolicy: deadLetterTargetArn must be the ARN of an SQS queue, e.g. "
            "arn:aws:sqs:us-east-1:123456789012:my-dlq"
        )
    return target


def _check_json(name: str, value: str) -> None:
    try:
        json.loads(value)
    except ValueError:
        raise InvalidParameter(f"Attributes Reason: {name}: failed to parse JSON.") from None
