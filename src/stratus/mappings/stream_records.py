"""The DynamoDB Streams event Lambda hands a function, what the function's answer means,
and the record an on-failure destination gets. Pure: no I/O.

A record, as AWS sends it (GetRecords' record plus the stream's ARN; the creation time as
epoch seconds, not a timestamp):

    {"eventID", "eventName": INSERT|MODIFY|REMOVE, "eventVersion": "1.1",
     "eventSource": "aws:dynamodb", "awsRegion",
     "dynamodb": {"ApproximateCreationDateTime", "Keys", "NewImage", "OldImage",
                  "SequenceNumber", "SizeBytes", "StreamViewType"},
     "eventSourceARN", ["userIdentity": {"type": "Service",
                                          "principalId": "dynamodb.amazonaws.com"}]}

With a tumbling window the event also carries `window` {start, end}, `state`, `shardId`,
`eventSourceARN`, `isFinalInvokeForWindow` and `isWindowTerminatedEarly`, and the answer
must carry `state`.

The failure record (DestinationConfig.OnFailure), as AWS sends it:

    {"requestContext": {"requestId", "functionArn", "condition", "approximateInvokeCount"},
     "responseContext": {"statusCode", "executedVersion", "functionError"},
     "version": "1.0", "timestamp",
     "DDBStreamBatchInfo": {"shardId", "startSequenceNumber", "endSequenceNumber",
                            "approximateArrivalOfFirstRecord",
                            "approximateArrivalOfLastRecord", "batchSize", "streamArn"}}
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from .records import PAYLOAD_LIMIT, failed_items
from .seams import StreamRecord

RETRIES_EXHAUSTED = "RetryAttemptsExhausted"
RECORD_TOO_OLD = "RecordAgeExceeded"


def record(found: StreamRecord, stream_arn: str) -> dict[str, Any]:
    shaped = found.record
    dynamodb = dict(shaped["dynamodb"])
    dynamodb["ApproximateCreationDateTime"] = int(found.created)
    built: dict[str, Any] = {
        "eventID": shaped["eventID"],
        "eventName": shaped["eventName"],
        "eventVersion": shaped["eventVersion"],
        "eventSource": shaped["eventSource"],
        "awsRegion": shaped["awsRegion"],
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }
    identity = shaped.get("userIdentity")
    if identity:  # a TTL deletion: the service's identity, spelled as Lambda spells it
        built["userIdentity"] = {"type": identity["Type"], "principalId": identity["PrincipalId"]}
    return built


def lane_of(found: StreamRecord, lanes: int) -> int:
    """The lane (ParallelizationFactor) a record goes to: by its item's key, so the changes
    of one item stay in order."""
    if lanes <= 1:
        return 0
    keys = orjson.dumps(found.record["dynamodb"]["Keys"], option=orjson.OPT_SORT_KEYS)
    return zlib.crc32(keys) % lanes


def window_start(created: float, seconds: int) -> float:
    """Tumbling windows are aligned on the epoch: a record's is the one its time falls in."""
    return float(int(created // seconds) * seconds)


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Window:
    start: float
    seconds: int
    state: Any
    shard_id: str
    stream_arn: str
    final: bool = False

    def members(self) -> dict[str, Any]:
        return {
            "window": {"start": iso(self.start), "end": iso(self.start + self.seconds)},
            "state": self.state if self.state is not None else {},
            "shardId": self.shard_id,
            "eventSourceARN": self.stream_arn,
            "isFinalInvokeForWindow": self.final,
            "isWindowTerminatedEarly": False,
        }


def fitting(built: Sequence[dict[str, Any]]) -> int:
    """How many of the records fit in one event of at most 6 MB (at least one)."""
    size = len(b'{"Records":[]}') + 512  # room for a tumbling window's members
    for count, one in enumerate(built):
        size += len(orjson.dumps(one)) + 1
        if size > PAYLOAD_LIMIT and count:
            return count
    return len(built)


def event(built: Sequence[dict[str, Any]], window: Window | None) -> bytes:
    body: dict[str, Any] = {"Records": list(built)}
    if window is not None:
        body |= window.members()
    return orjson.dumps(body)


@dataclass(frozen=True, slots=True)
class Answer:
    """What an invocation's answer means for its batch."""

    ok: bool  # every record done
    failed_from: int | None = None  # the lowest sequence number reported failed
    state: Any = None  # the tumbling window's new state


def answer(payload: bytes, seqs: Sequence[int], reports: bool, windowed: bool) -> Answer:
    """The meaning of a successful invoke's payload. ReportBatchItemFailures: the batch is
    done up to the lowest failed SequenceNumber (AWS's checkpoint); an answer that is not
    JSON or names a missing, null, empty or unknown identifier fails the whole batch. A
    tumbling window's answer without `state` fails the whole batch."""
    state = None
    if windowed:
        try:
            decoded = orjson.loads(payload) if payload.strip() else None
        except orjson.JSONDecodeError:
            return Answer(False)
        if not isinstance(decoded, dict) or "state" not in decoded:
            return Answer(False)
        state = decoded["state"]
    if not reports:
        return Answer(True, None, state)
    names = {sequence_number(seq): seq for seq in seqs}
    failed = failed_items(payload, list(names))
    if failed is None:
        return Answer(False)
    if not failed:
        return Answer(True, None, state)
    return Answer(False, min(names[f] for f in failed), state)


def sequence_number(seq: int) -> str:
    return f"{seq:021d}"


def failure_record(
    records: Sequence[StreamRecord],
    *,
    condition: str,
    function_arn: str,
    invokes: int,
    function_error: str | None,
    shard_id: str,
    stream_arn: str,
    now: float,
    request_id: str,
) -> dict[str, Any]:
    first, last = records[0], records[-1]
    return {
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invokes,
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": function_error or "",
        },
        "version": "1.0",
        "timestamp": datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds")[:-6] + "Z",
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": sequence_number(first.seq),
            "endSequenceNumber": sequence_number(last.seq),
            "approximateArrivalOfFirstRecord": iso(first.created),
            "approximateArrivalOfLastRecord": iso(last.created),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }
