"""The SQS event Lambda hands a function, field by field, and what the function's answer
means under ReportBatchItemFailures. Pure: no I/O.

A record, as AWS sends it:

    {"messageId", "receiptHandle", "body",
     "attributes": {"ApproximateReceiveCount", "SentTimestamp", "SenderId",
                    "ApproximateFirstReceiveTimestamp",
                    FIFO: "SequenceNumber", "MessageGroupId", "MessageDeduplicationId"},
     "messageAttributes": {name: {"stringValue" | "binaryValue" (base64),
                                  "stringListValues": [], "binaryListValues": [],
                                  "dataType"}},
     "md5OfMessageAttributes" (only when the message has attributes), "md5OfBody",
     "eventSource": "aws:sqs", "eventSourceARN", "awsRegion"}
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import orjson

from .seams import Message, MessageAttribute

# Lambda's synchronous payload limit: a batch whose event would pass it is split.
PAYLOAD_LIMIT = 6 * 1024 * 1024
_ENVELOPE = len(b'{"Records":[]}')


def record(message: Message, queue_arn: str, region: str) -> dict[str, Any]:
    built: dict[str, Any] = {
        "messageId": message.message_id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": dict(message.attributes),
        "messageAttributes": {
            name: _attribute(value) for name, value in message.message_attributes.items()
        },
    }
    if message.md5_of_message_attributes:
        built["md5OfMessageAttributes"] = message.md5_of_message_attributes
    built["md5OfBody"] = message.md5_of_body
    built["eventSource"] = "aws:sqs"
    built["eventSourceARN"] = queue_arn
    built["awsRegion"] = region
    return built


def _attribute(value: MessageAttribute) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    if value.binary_value is not None and value.data_type.split(".", 1)[0] == "Binary":
        shown["binaryValue"] = base64.b64encode(value.binary_value).decode()
    else:
        shown["stringValue"] = value.string_value
    shown["stringListValues"] = []
    shown["binaryListValues"] = []
    shown["dataType"] = value.data_type
    return shown


def payloads(records: Sequence[dict[str, Any]]) -> list[tuple[list[dict[str, Any]], bytes]]:
    """The batch as events of at most PAYLOAD_LIMIT bytes each: (its records, its payload).
    A record too large alone still goes alone (the invoke then refuses it, as AWS would)."""
    chunks: list[tuple[list[dict[str, Any]], bytes]] = []
    current: list[dict[str, Any]] = []
    encoded: list[bytes] = []
    size = _ENVELOPE
    for item in records:
        one = orjson.dumps(item)
        if current and size + len(one) + 1 > PAYLOAD_LIMIT:
            chunks.append((current, _join(encoded)))
            current, encoded, size = [], [], _ENVELOPE
        current.append(item)
        encoded.append(one)
        size += len(one) + 1
    if current:
        chunks.append((current, _join(encoded)))
    return chunks


def _join(encoded: list[bytes]) -> bytes:
    return b'{"Records":[' + b",".join(encoded) + b"]}"


def failed_items(payload: bytes, message_ids: Sequence[str]) -> set[str] | None:
    """The message ids a ReportBatchItemFailures answer names as failed; None when the whole
    batch failed. AWS's rules:

    - success: an empty or null `batchItemFailures`, an empty or null answer;
    - the whole batch fails: an answer that is not JSON, or an item whose `itemIdentifier`
      is missing (a bad key name), null, empty, or not a message of the batch.

    Any other JSON answer (a string, a number) carries no report: success.
    """
    try:
        answer = orjson.loads(payload) if payload.strip() else None
    except orjson.JSONDecodeError:
        return None
    if not isinstance(answer, dict):
        return set()
    failures = answer.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return None
    known = set(message_ids)
    failed: set[str] = set()
    for item in failures:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(identifier, str) or identifier not in known:
            return None
        failed.add(identifier)
    return failed
