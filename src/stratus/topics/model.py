"""The values a topic call takes and gives, named as SNS names them on the wire."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from stratus.patterns.filter_policy import FilterPolicy

FIFO_SUFFIX = ".fifo"
DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024  # a topic's MaximumMessageSize unless raised
PENDING = "PendingConfirmation"  # ListSubscriptions' SubscriptionArn of an unconfirmed one


@dataclass(frozen=True, slots=True)
class MessageAttribute:
    """DataType is String, String.Array, Number or Binary (a custom ".suffix" allowed)."""

    DataType: str
    StringValue: str | None = None
    BinaryValue: bytes | None = None

    @property
    def base_type(self) -> str:
        return (
            "String.Array"
            if self.DataType.startswith("String.Array")
            else (self.DataType.split(".", 1)[0])
        )


@dataclass(frozen=True, slots=True)
class Topic:
    """A topic as stored: `attributes` holds the settable attributes as strings."""

    name: str
    arn: str
    attributes: Mapping[str, str]
    tags: Mapping[str, str]

    @property
    def fifo(self) -> bool:
        return self.attributes.get("FifoTopic") == "true"

    @property
    def content_dedup(self) -> bool:
        return self.attributes.get("ContentBasedDeduplication") == "true"

    @property
    def max_message_bytes(self) -> int:
        return int(self.attributes.get("MaximumMessageSize", DEFAULT_MAX_MESSAGE_BYTES))

    @property
    def large(self) -> bool:
        """Raised above 256 KiB: then only queue and function subscriptions, at most 100."""
        return self.max_message_bytes > DEFAULT_MAX_MESSAGE_BYTES


@dataclass(frozen=True, slots=True)
class Subscription:
    arn: str
    topic_arn: str
    protocol: str  # sqs | lambda | http | https
    endpoint: str
    attributes: Mapping[str, str]  # the settable ones that were set
    confirmed: bool
    token: str | None = None  # the confirmation token of an http(s) subscription
    policy: FilterPolicy | None = None  # FilterPolicy compiled, None: every message

    @property
    def raw(self) -> bool:
        return self.attributes.get("RawMessageDelivery") == "true"

    @property
    def listed_arn(self) -> str:
        return self.arn if self.confirmed else PENDING


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A Publish (or one PublishBatch entry), not yet checked."""

    Message: str
    Subject: str | None = None
    MessageAttributes: Mapping[str, MessageAttribute] = field(default_factory=dict)
    MessageStructure: str | None = None
    MessageGroupId: str | None = None
    MessageDeduplicationId: str | None = None


@dataclass(frozen=True, slots=True)
class Published:
    MessageId: str
    SequenceNumber: str | None = None  # FIFO topics only


@dataclass(frozen=True, slots=True)
class BatchFailure:
    """A PublishBatch entry that was refused; `error` says why, by meaning."""

    Id: str
    error: Exception
