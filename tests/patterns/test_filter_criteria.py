"""Lambda event filtering: which SQS, Kinesis and DynamoDB records a mapping keeps."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from stratus.errors import Invalid, InvalidPattern, Validation
from stratus.patterns.filter_criteria import EventSource, keeps, parse_filter_criteria


def sqs(body: str) -> dict[str, Any]:
    return {
        "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
    }


def kinesis(data: bytes, partition_key: str = "1") -> dict[str, Any]:
    return {
        "kinesis": {"partitionKey": partition_key, "data": base64.b64encode(data).decode()},
        "eventSource": "aws:kinesis",
    }


JSON_BODY = json.dumps({"RecordNumber": 1234, "TimeStamp": "yyyy", "RequestCode": "BBBB"})
CASES: list[tuple[str, list[dict[str, Any]], dict[str, Any], EventSource, bool]] = [
    ("guide: RequestCode BBBB", [{"body": {"RequestCode": ["BBBB"]}}], sqs(JSON_BODY),
     EventSource.SQS, True),
    ("other RequestCode", [{"body": {"RequestCode": ["AAAA"]}}], sqs(JSON_BODY),
     EventSource.SQS, False),
    ("numeric on the body", [{"body": {"RecordNumber": [{"numeric": [">", 1000]}]}}],
     sqs(JSON_BODY), EventSource.SQS, True),
    ("filters are OR-ed", [{"body": {"RequestCode": ["AAAA"]}}, {"body": {"RecordNumber": [1234]}}],
     sqs(JSON_BODY), EventSource.SQS, True),
    ("plain string body, string pattern", [{"body": ["hello"]}], sqs("hello"),
     EventSource.SQS, True),
    ("plain string body, prefix", [{"body": [{"prefix": "hel"}]}], sqs("hello"),
     EventSource.SQS, True),
    ("plain string body, JSON pattern: dropped", [{"body": {"a": [{"exists": False}]}}],
     sqs("hello"), EventSource.SQS, False),
    ("plain string body, JSON pattern in an $or: dropped",
     [{"$or": [{"body": {"a": [{"exists": False}]}}, {"x": [{"exists": True}]}]}],
     sqs("hello"), EventSource.SQS, False),
    ("JSON body, plain string pattern: dropped", [{"body": [JSON_BODY]}], sqs(JSON_BODY),
     EventSource.SQS, False),
    ("metadata only", [{"attributes": {"ApproximateReceiveCount": ["1"]}}], sqs("hello"),
     EventSource.SQS, True),
    ("kinesis data", [{"data": {"temperature": [{"numeric": [">", 30]}]}}],
     kinesis(b'{"temperature": 31}'), EventSource.KINESIS, True),
    ("kinesis data too cold", [{"data": {"temperature": [{"numeric": [">", 30]}]}}],
     kinesis(b'{"temperature": 20}'), EventSource.KINESIS, False),
    ("kinesis metadata", [{"partitionKey": ["7"]}], kinesis(b"raw", "7"),
     EventSource.KINESIS, True),
    ("kinesis non-JSON data: patterns on data drop", [{"data": [{"exists": True}]}],
     kinesis(b"raw bytes"), EventSource.KINESIS, False),
    ("dynamodb", [{"eventName": ["INSERT"], "dynamodb": {"Keys": {"id": {"S": ["a"]}}}}],
     {"eventName": "INSERT", "dynamodb": {"Keys": {"id": {"S": "a"}}}}, EventSource.DYNAMODB,
     True),
    ("dynamodb other event", [{"eventName": ["REMOVE"]}],
     {"eventName": "INSERT", "dynamodb": {}}, EventSource.DYNAMODB, False),
    ("no filters keep everything", [], sqs("anything"), EventSource.SQS, True),
]


@pytest.mark.parametrize(
    ("patterns", "record", "source", "kept"),
    [pytest.param(p, r, s, k, id=name) for name, p, r, s, k in CASES],
)
def test_keep_or_drop(
    patterns: list[dict[str, Any]], record: dict[str, Any], source: EventSource, kept: bool
) -> None:
    """A record is kept when a filter matches it, with AWS's rules for (non-)JSON payloads."""
    texts = [json.dumps(pattern) for pattern in patterns]

    assert keeps(record, texts, source) is kept


@pytest.mark.parametrize("pattern", ["", "{", '{"body": {}}', '{"body": [{"nope": 1}]}'])
def test_invalid_pattern(pattern: str) -> None:
    """A pattern Lambda cannot compile is refused as CreateEventSourceMapping refuses it."""
    with pytest.raises(InvalidPattern, match=r"Invalid filter pattern definition\."):
        parse_filter_criteria([pattern])


def test_too_many_filters() -> None:
    """A mapping holds at most 5 filters."""
    with pytest.raises(Invalid, match="at most 5"):
        parse_filter_criteria(['{"a": ["b"]}'] * 6)


def test_pattern_too_long() -> None:
    """A pattern longer than 4,096 characters fails the API's length constraint."""
    with pytest.raises(Validation, match=r"filterCriteria\.filters\.1\.member\.pattern"):
        parse_filter_criteria([json.dumps({"body": ["x" * 4100]})])
