"""The values a queue call takes and gives, named as SQS names them on the wire."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

FIFO_SUFFIX = ".fifo"


@dataclass(frozen=True, slots=True)
class MessageAttribute:
    """One message (user) attribute: DataType is String, Number or Binary, with an optional
    custom suffix (`Number.float`)."""

    DataType: str
    StringValue: str | None = None
    BinaryValue: bytes | None = None

    @property
    def is_binary(self) -> bool:
        return self.DataType.split(".", 1)[0] == "Binary"

    def value_bytes(self) -> bytes:
        if self.is_binary:
            return self.BinaryValue or b""
        return (self.StringValue or "").encode()


@dataclass(frozen=True, slots=True)
class RedrivePolicy:
    deadLetterTargetArn: str
    maxReceiveCount: int


@dataclass(frozen=True, slots=True)
class Queue:
    """A queue as stored: `attributes` holds the settable attributes, as the strings
    GetQueueAttributes returns (defaults filled in at creation)."""

    id: int
    name: str
    arn: str
    attributes: Mapping[str, str]
    tags: Mapping[str, str]
    created: int  # epoch seconds
    modified: int
    redrive: RedrivePolicy | None = None

    @property
    def fifo(self) -> bool:
        return self.attributes.get("FifoQueue") == "true"

    def seconds(self, name: str) -> int:
        return int(self.attributes[name])

    @property
    def content_dedup(self) -> bool:
        return self.attributes.get("ContentBasedDeduplication") == "true"

    @property
    def dedup_per_group(self) -> bool:
        return self.attributes.get("DeduplicationScope") == "messageGroup"


# Records made once per message (NewMessage, SentMessage, ReceivedMessage; store.Stored and
# store.Incoming; receipts.Receipt) are slotted dataclasses but not frozen: a frozen one's
# __init__ sets each field through object.__setattr__, about five times the cost, and a
# send, receive and delete of 10 messages makes ~70 of them. Nothing changes them once made.
@dataclass(slots=True)
class NewMessage:
    """A message to send, checked (messages.check_new) but not yet stored."""

    body: str
    attributes: Mapping[str, MessageAttribute] = field(default_factory=dict)
    trace_header: str | None = None  # the one system attribute a sender may set
    delay: int | None = None  # None: the queue's DelaySeconds
    group_id: str | None = None
    dedup_id: str | None = None


@dataclass(slots=True)  # not frozen: made per message (see NewMessage)
class SentMessage:
    MessageId: str
    MD5OfMessageBody: str
    MD5OfMessageAttributes: str | None = None
    MD5OfMessageSystemAttributes: str | None = None
    SequenceNumber: str | None = None


@dataclass(slots=True)  # not frozen: made per message (see NewMessage)
class ReceivedMessage:
    MessageId: str
    ReceiptHandle: str
    MD5OfBody: str
    Body: str
    Attributes: Mapping[str, str]
    MessageAttributes: Mapping[str, MessageAttribute]
    MD5OfMessageAttributes: str | None = None


@dataclass(frozen=True, slots=True)
class Receive:
    """A ReceiveMessage request, checked."""

    max_messages: int = 1
    visibility_timeout: int | None = None  # None: the queue's
    wait_seconds: int | None = None  # None: the queue's ReceiveMessageWaitTimeSeconds
    system_attributes: frozenset[str] = frozenset()  # names, or {"All"}
    message_attributes: tuple[str, ...] = ()  # names, "All", ".*" or "prefix.*"
    attempt_id: str | None = None  # ReceiveRequestAttemptId (FIFO queues)


@dataclass(frozen=True, slots=True)
class BatchFailure:
    """One entry of a batch call that failed; `error` says why, by meaning."""

    Id: str
    error: Exception


@dataclass(frozen=True, slots=True)
class MoveTask:
    TaskHandle: str
    Status: str  # RUNNING | COMPLETED | CANCELLING | CANCELLED | FAILED
    SourceArn: str
    DestinationArn: str | None
    MaxNumberOfMessagesPerSecond: int | None
    ApproximateNumberOfMessagesMoved: int
    ApproximateNumberOfMessagesToMove: int | None
    StartedTimestamp: int  # epoch milliseconds
    FailureReason: str | None = None
