"""The rules of sending and receiving that need no store: what a message must satisfy for
its queue (type, size, characters, attributes, FIFO's group and deduplication ids), what a
batch must satisfy, and the answers' shapes (digests, system attributes, receipt handles).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from stratus import ids

from . import messages, receipts, store
from .errors import (
    BatchIdsNotDistinct,
    BatchTooLong,
    EmptyBatch,
    InvalidBatchEntryId,
    InvalidParameter,
    MissingParameter,
    TooManyEntries,
)
from .model import MessageAttribute, NewMessage, Queue, Receive, ReceivedMessage, SentMessage

MAX_BATCH = 10
MAX_BATCH_BYTES = 1_048_576
MAX_DELAY = 900
_BATCH_ID = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
SEQUENCE_BASE = 10**19  # SequenceNumbers are 20-digit strings, as on AWS


def check_batch(ids: Sequence[str], entry: str) -> None:
    """The rules a batch call checks before any entry: 1-10 entries, distinct valid ids."""
    if not ids:
        raise EmptyBatch(f"There should be at least one {entry} in the request.")
    if len(ids) > MAX_BATCH:
        raise TooManyEntries(
            f"Maximum number of entries per request are {MAX_BATCH}. You have sent {len(ids)}."
        )
    seen: set[str] = set()
    for entry_id in ids:
        if not entry_id or len(entry_id) > 80 or not set(entry_id) <= _BATCH_ID:
            raise InvalidBatchEntryId(
                "A batch entry id can only contain alphanumeric characters, hyphens and "
                "underscores. It can be at most 80 letters long."
            )
        if entry_id in seen:
            raise BatchIdsNotDistinct(f"Id {entry_id} repeated.")
        seen.add(entry_id)


def check_batch_size(batch: Sequence[NewMessage]) -> None:
    total = sum(messages.size(m.body, m.attributes) for m in batch)
    if total > MAX_BATCH_BYTES:
        raise BatchTooLong(
            f"Batch requests cannot be longer than {MAX_BATCH_BYTES} bytes. You have sent "
            f"{total} bytes."
        )


def check_range(name: str, value: int | None, low: int, high: int) -> None:
    if value is not None and not low <= value <= high:
        raise InvalidParameter(
            f"Value {value} for parameter {name} is invalid. Reason: Must be between {low} "
            f"and {high}, if provided."
        )


def incoming(queue: Queue, message: NewMessage, now: int) -> store.Incoming:
    """A message checked against the queue's rules, ready to store."""
    if not message.body:
        raise MissingParameter("MessageBody")
    messages.check_text(message.body, "message body")
    messages.check_attributes(message.attributes)
    limit = queue.seconds("MaximumMessageSize")
    if messages.size(message.body, message.attributes) > limit:
        raise InvalidParameter(
            f"One or more parameters are invalid. Reason: Message must be shorter than "
            f"{limit} bytes."
        )
    check_range("DelaySeconds", message.delay, 0, MAX_DELAY)
    dedup = message.dedup_id
    if queue.fifo:
        if message.delay:
            raise InvalidParameter(
                f"Value {message.delay} for parameter DelaySeconds is invalid. Reason: The "
                "request include parameter that is not valid for this queue type."
            )
        if not message.group_id:
            raise MissingParameter("MessageGroupId")
        if dedup is None and queue.content_dedup:
            dedup = hashlib.sha256(message.body.encode()).hexdigest()
        if dedup is None:
            raise InvalidParameter(
                "The queue should either have ContentBasedDeduplication enabled or "
                "MessageDeduplicationId provided explicitly"
            )
        messages.check_id(dedup, "MessageDeduplicationId")
    elif dedup is not None:
        raise InvalidParameter(
            f"Value {dedup} for parameter MessageDeduplicationId is invalid. Reason: The "
            "request include parameter that is not valid for this queue type."
        )
    if message.group_id is not None:
        messages.check_id(message.group_id, "MessageGroupId")
    extra = {"t": message.trace_header} if message.trace_header else {}
    if dedup is not None:
        extra["d"] = dedup
    delay = queue.seconds("DelaySeconds") if message.delay is None else message.delay
    return store.Incoming(
        ids.uuid4(),
        message.body,
        message.attributes,
        extra,
        message.group_id,
        dedup,
        now + delay * 1000,
    )


def sent(queue: Queue, message: NewMessage, answer: tuple[str, int]) -> SentMessage:
    """SendMessage's answer: the id (the first one's for a duplicate) and the digests."""
    trace = {"AWSTraceHeader": _trace(message.trace_header)} if message.trace_header else {}
    return SentMessage(
        answer[0],
        messages.md5_of_body(message.body),
        messages.md5_of_attributes(message.attributes),
        messages.md5_of_attributes(trace),
        str(SEQUENCE_BASE + answer[1]) if queue.fifo else None,
    )


def received(
    queue: Queue,
    message: store.Stored,
    request: Receive,
    sender: str,
    handle: str | None = None,
) -> ReceivedMessage:
    """ReceiveMessage's answer for one message, with the attributes the request asked for;
    `handle` repeats an earlier receipt handle (a retried FIFO receive)."""
    chosen = messages.select(message.attributes, request.message_attributes)
    return ReceivedMessage(
        message.id,
        handle
        or receipts.encode(
            queue.id, message.seq, message.receives, _received(queue, message, request)
        ),
        messages.md5_of_body(message.body),
        message.body,
        _system_attributes(queue, message, request.system_attributes, sender),
        chosen,
        messages.md5_of_attributes(chosen),
    )


def _received(queue: Queue, message: store.Stored, request: Receive) -> int:
    """When this receive took the message (epoch ms): its new visible_at less the timeout."""
    hidden = request.visibility_timeout
    if hidden is None:
        hidden = queue.seconds("VisibilityTimeout")
    return message.visible_at - hidden * 1000


def _system_attributes(
    queue: Queue, message: store.Stored, wanted: frozenset[str], sender: str
) -> dict[str, str]:
    if not wanted:
        return {}
    found = {
        "SenderId": sender,
        "SentTimestamp": str(message.sent),
        "ApproximateReceiveCount": str(message.receives),
        "ApproximateFirstReceiveTimestamp": str(message.first_receive),
    }
    if message.group_id is not None:
        found["MessageGroupId"] = message.group_id
    if queue.fifo:
        found["MessageDeduplicationId"] = message.extra.get("d", "")
        found["SequenceNumber"] = str(SEQUENCE_BASE + message.seq)
    if "t" in message.extra:
        found["AWSTraceHeader"] = message.extra["t"]
    if "s" in message.extra:
        found["DeadLetterQueueSourceArn"] = message.extra["s"]
    if "All" in wanted:
        return found
    return {k: v for k, v in found.items() if k in wanted}


def _trace(header: str | None) -> MessageAttribute:
    return MessageAttribute("String", StringValue=header)


ATTEMPT_ID = re.compile(r"[A-Za-z0-9!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]{1,128}")


def check_attempt_id(attempt: str) -> None:
    """ReceiveRequestAttemptId: 1 to 128 letters, digits and punctuation."""
    if not ATTEMPT_ID.fullmatch(attempt):
        raise InvalidParameter(
            f"Value {attempt} for parameter ReceiveRequestAttemptId is invalid. Reason: it "
            "must be 1 to 128 characters: letters, digits and punctuation."
        )
