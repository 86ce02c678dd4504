"""Amazon DynamoDB Streams (JSON 1.0, X-Amz-Target: DynamoDBStreams_20120810.<Operation>):
the change records of tables with a StreamSpecification, one shard per stream."""

from __future__ import annotations

from typing import Any

from stratus.tables import errors as t
from stratus.tables.stream_reader import StreamReader

from . import dynamodb_api
from .protocols.adapter import Api, Call, Handler
from .protocols.errors import ErrorTable, WireError

ERRORS: ErrorTable = {
    **dynamodb_api.ERRORS,
    t.IteratorExpired: WireError("ExpiredIteratorException", 400),
}


def _reader(call: Call) -> StreamReader:
    return call.services.tables.streams


async def list_streams(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    found = await _reader(call).list_streams(p.get("TableName"))
    start = p.get("ExclusiveStartStreamArn")
    if start is not None:
        arns = [s.arn for s in found]
        found = found[arns.index(start) + 1 :] if start in arns else []
    limit = p.get("Limit", 100)
    answer: dict[str, Any] = {
        "Streams": [
            {"StreamArn": s.arn, "TableName": s.table_name, "StreamLabel": s.label}
            for s in found[:limit]
        ]
    }
    if len(found) > limit:
        answer["LastEvaluatedStreamArn"] = found[limit - 1].arn
    return answer


async def describe_stream(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    return {"StreamDescription": await _reader(call).describe(p["StreamArn"])}


async def get_shard_iterator(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    iterator = await _reader(call).iterator(
        p["StreamArn"], p["ShardId"], p["ShardIteratorType"], p.get("SequenceNumber")
    )
    return {"ShardIterator": iterator}


async def get_records(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    found = await _reader(call).records(p["ShardIterator"], p.get("Limit"))
    answer: dict[str, Any] = {"Records": found.records}
    if found.next_iterator is not None:
        answer["NextShardIterator"] = found.next_iterator
    return answer


HANDLERS: dict[str, Handler] = {
    "ListStreams": list_streams,
    "DescribeStream": describe_stream,
    "GetShardIterator": get_shard_iterator,
    "GetRecords": get_records,
}
API = Api("dynamodbstreams", HANDLERS, ERRORS)
