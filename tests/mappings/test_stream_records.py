"""The pure rules of stream mappings: what an answer means for the batch (partial failures,
tumbling window state), the lanes, the windows, and the failure record's shape."""

from __future__ import annotations

import pytest
from aws_lambda_powertools.utilities.parser.models import (
    DynamoDBStreamLambdaOnFailureDestinationModel,
)

from stratus.mappings import stream_records as rec
from stratus.mappings.seams import StreamRecord

SEQS = [7, 8, 9]


def ident(seq: int) -> str:
    return f'{{"itemIdentifier": "{rec.sequence_number(seq)}"}}'


@pytest.mark.parametrize(
    ("payload", "ok", "failed_from"),
    [
        (b"", True, None),
        (b"null", True, None),
        (b'{"batchItemFailures": []}', True, None),
        (b'{"batchItemFailures": null}', True, None),
        (f'{{"batchItemFailures": [{ident(9)}, {ident(8)}]}}'.encode(), False, 8),
        (f'{{"batchItemFailures": [{ident(7)}]}}'.encode(), False, 7),
        (b'{"batchItemFailures": [{"itemIdentifier": "8"}]}', False, None),  # not its number
        (b'{"batchItemFailures": [{"itemIdentifier": ""}]}', False, None),
        (b'{"batchItemFailures": [{"itemIdentifier": null}]}', False, None),
        (b'{"batchItemFailures": [{"id": "x"}]}', False, None),
        (b"{not json", False, None),
    ],
)
def test_reported_failures_checkpoint_at_the_lowest(
    payload: bytes, ok: bool, failed_from: int | None
) -> None:
    answer = rec.answer(payload, SEQS, reports=True, windowed=False)

    assert (answer.ok, answer.failed_from) == (ok, failed_from)


def test_without_report_batch_item_failures_any_answer_is_success() -> None:
    answer = rec.answer(b'{"batchItemFailures": [{"itemIdentifier": "x"}]}', SEQS, False, False)

    assert answer.ok


@pytest.mark.parametrize(
    ("payload", "ok", "state"),
    [
        (b'{"state": {"n": 2}}', True, {"n": 2}),
        (b'{"state": {}}', True, {}),
        (b"{}", False, None),  # a window's answer must carry state
        (b"null", False, None),
        (b"oops", False, None),
    ],
)
def test_a_window_answer_carries_state(payload: bytes, ok: bool, state: object) -> None:
    answer = rec.answer(payload, SEQS, reports=False, windowed=True)

    assert (answer.ok, answer.state) == (ok, state)


def found(seq: int, key: str, created: float = 1_700_000_000.5) -> StreamRecord:
    body = {
        "eventID": "e", "eventName": "INSERT", "eventVersion": "1.1",
        "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
        "dynamodb": {"Keys": {"id": {"S": key}}, "SequenceNumber": rec.sequence_number(seq),
                     "SizeBytes": 10, "StreamViewType": "KEYS_ONLY"},
    }  # fmt: skip
    return StreamRecord(seq, created, body)


def test_lanes_follow_the_items_key() -> None:
    lanes = {rec.lane_of(found(i, f"k{i % 4}"), 3) for i in range(40)}

    assert rec.lane_of(found(1, "a"), 3) == rec.lane_of(found(99, "a"), 3)
    assert lanes <= {0, 1, 2}
    assert len(lanes) > 1
    assert rec.lane_of(found(1, "a"), 1) == 0


def test_windows_are_aligned_on_the_epoch() -> None:
    assert rec.window_start(1_000_059.9, 60) == 1_000_020.0
    assert rec.window_start(1_000_080.0, 60) == 1_000_080.0
    assert rec.iso(0) == "1970-01-01T00:00:00Z"


def test_the_record_is_the_api_record_with_the_stream_arn() -> None:
    built = rec.record(found(5, "a"), "arn:stream")

    assert built["eventSourceARN"] == "arn:stream"
    assert built["dynamodb"]["ApproximateCreationDateTime"] == 1_700_000_000
    assert list(built)[-1] == "eventSourceARN"


def test_the_failure_record_is_aws_shape() -> None:
    body = rec.failure_record(
        [found(5, "a", 100.0), found(6, "b", 160.0)],
        condition=rec.RETRIES_EXHAUSTED,
        function_arn="arn:aws:lambda:us-east-1:000000000000:function:f",
        invokes=3,
        function_error="Unhandled",
        shard_id="shardId-1",
        stream_arn="arn:stream",
        now=200.0,
        request_id="r",
    )

    parsed = DynamoDBStreamLambdaOnFailureDestinationModel.model_validate(body)
    assert parsed.ddb_stream_batch_info.batch_size == 2
    assert body["DDBStreamBatchInfo"]["startSequenceNumber"] == rec.sequence_number(5)
    assert body["DDBStreamBatchInfo"]["approximateArrivalOfLastRecord"] == "1970-01-01T00:02:40Z"
    assert body["timestamp"] == "1970-01-01T00:03:20.000Z"
    assert body["version"] == "1.0"
