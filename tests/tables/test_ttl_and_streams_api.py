"""TTL deletes expired items in the background (on the server's manual clock), and tables
with a stream record every change for the DynamoDB Streams API, against a real server."""

from __future__ import annotations

from typing import Any

import pytest

from stratus.testing import RunningServer

from .conftest import KeyMaker


def key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"N": "0"}}


@pytest.fixture(scope="module")
def streams_client(server: RunningServer) -> Any:
    return server.client("dynamodbstreams")


def test_expired_items_are_deleted_by_the_sweep(
    server: RunningServer, ddb: Any, make_table: KeyMaker
) -> None:
    """Items whose TTL attribute has passed go at the next sweep; later ones and items
    without the attribute stay."""
    assert server.clock is not None
    now = int(server.clock.now())
    name = make_table()
    ddb.put_item(TableName=name, Item={**key("old"), "exp": {"N": str(now - 10)}})
    ddb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"}
    )
    ddb.put_item(TableName=name, Item={**key("soon"), "exp": {"N": str(now + 30)}})
    ddb.put_item(TableName=name, Item={**key("later"), "exp": {"N": str(now + 3600)}})
    ddb.put_item(TableName=name, Item={**key("never")})

    before = ddb.scan(TableName=name)["Count"]
    server.advance(61)
    left = sorted(i["pk"]["S"] for i in ddb.scan(TableName=name)["Items"])

    assert before == 4  # expired items stay readable until the sweep comes by
    assert left == ["later", "never"]


def test_stream_records_every_change(ddb: Any, streams_client: Any, make_table: KeyMaker) -> None:
    """INSERT, MODIFY and REMOVE records with the images the view type asks for, read from
    TRIM_HORIZON; a LATEST iterator sees only what comes after it."""
    name = make_table(
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    )
    table = ddb.describe_table(TableName=name)["Table"]
    stream_arn = table["LatestStreamArn"]
    ddb.put_item(TableName=name, Item={**key("a"), "v": {"N": "1"}})
    ddb.update_item(
        TableName=name,
        Key=key("a"),
        UpdateExpression="SET v = :v",
        ExpressionAttributeValues={":v": {"N": "2"}},
    )
    ddb.delete_item(TableName=name, Key=key("a"))

    listed = streams_client.list_streams(TableName=name)["Streams"]
    described = streams_client.describe_stream(StreamArn=stream_arn)["StreamDescription"]
    shard = described["Shards"][0]["ShardId"]
    iterator = streams_client.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = streams_client.get_records(ShardIterator=iterator)["Records"]
    latest = streams_client.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard, ShardIteratorType="LATEST"
    )["ShardIterator"]
    ddb.put_item(TableName=name, Item={**key("b")})
    after = streams_client.get_records(ShardIterator=latest)["Records"]

    assert [s["StreamArn"] for s in listed] == [stream_arn]
    assert described["StreamStatus"] == "ENABLED"
    assert described["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    assert records[0]["dynamodb"]["NewImage"]["v"] == {"N": "1"}
    assert "OldImage" not in records[0]["dynamodb"]
    assert records[1]["dynamodb"]["OldImage"]["v"] == {"N": "1"}
    assert records[1]["dynamodb"]["NewImage"]["v"] == {"N": "2"}
    assert records[2]["dynamodb"]["Keys"] == key("a")
    sequence = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert sequence == sorted(sequence)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in after] == ["b"]


def test_after_sequence_number_and_keys_only(
    ddb: Any, streams_client: Any, make_table: KeyMaker
) -> None:
    """AFTER_SEQUENCE_NUMBER resumes after a record; KEYS_ONLY records carry no images."""
    name = make_table(StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    stream_arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    for pk in ("a", "b", "c"):
        ddb.put_item(TableName=name, Item={**key(pk), "v": {"S": pk}})
    first = streams_client.get_records(
        ShardIterator=streams_client.get_shard_iterator(
            StreamArn=stream_arn, ShardId=streams_shard(streams_client, stream_arn),
            ShardIteratorType="TRIM_HORIZON",
        )["ShardIterator"],
        Limit=1,
    )  # fmt: skip
    resumed = streams_client.get_records(
        ShardIterator=streams_client.get_shard_iterator(
            StreamArn=stream_arn,
            ShardId=streams_shard(streams_client, stream_arn),
            ShardIteratorType="AFTER_SEQUENCE_NUMBER",
            SequenceNumber=first["Records"][0]["dynamodb"]["SequenceNumber"],
        )["ShardIterator"]
    )["Records"]
    following = streams_client.get_records(ShardIterator=first["NextShardIterator"])["Records"]

    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in resumed] == ["b", "c"]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in following] == ["b", "c"]
    assert "NewImage" not in resumed[0]["dynamodb"]


def test_ttl_deletions_are_the_services_in_the_stream(
    server: RunningServer, ddb: Any, streams_client: Any, make_table: KeyMaker
) -> None:
    """A TTL deletion's REMOVE record names DynamoDB as its user identity."""
    assert server.clock is not None
    name = make_table(StreamSpecification={"StreamEnabled": True, "StreamViewType": "OLD_IMAGE"})
    ddb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"}
    )
    ddb.put_item(TableName=name, Item={**key("x"), "exp": {"N": str(int(server.clock.now()))}})
    server.advance(61)
    stream_arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    iterator = streams_client.get_shard_iterator(
        StreamArn=stream_arn,
        ShardId=streams_shard(streams_client, stream_arn),
        ShardIteratorType="TRIM_HORIZON",
    )["ShardIterator"]

    records = streams_client.get_records(ShardIterator=iterator)["Records"]

    assert [r["eventName"] for r in records] == ["INSERT", "REMOVE"]
    assert records[1]["userIdentity"] == {
        "Type": "Service",
        "PrincipalId": "dynamodb.amazonaws.com",
    }


def streams_shard(client: Any, stream_arn: str) -> str:
    shards = client.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
    return str(shards[0]["ShardId"])


def test_unknown_stream(streams_client: Any) -> None:
    with pytest.raises(streams_client.exceptions.ResourceNotFoundException):
        streams_client.describe_stream(
            StreamArn="arn:aws:dynamodb:us-east-1:000000000000:table/none/stream/2026"
        )


def test_iterators_expire_after_15_minutes(
    server: RunningServer, ddb: Any, streams_client: Any, make_table: KeyMaker
) -> None:
    """A shard iterator older than 15 minutes is ExpiredIteratorException."""
    name = make_table(StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    stream_arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    iterator = streams_client.get_shard_iterator(
        StreamArn=stream_arn,
        ShardId=streams_shard(streams_client, stream_arn),
        ShardIteratorType="LATEST",
    )["ShardIterator"]
    fresh = streams_client.get_records(ShardIterator=iterator)
    server.advance(15 * 60 + 1)

    with pytest.raises(streams_client.exceptions.ExpiredIteratorException):
        streams_client.get_records(ShardIterator=iterator)
    assert fresh["Records"] == []


def test_stream_records_outlive_a_day_of_test_clock(
    server: RunningServer, ddb: Any, streams_client: Any, make_table: KeyMaker
) -> None:
    """Records are kept 24 hours of the clock that stamped them: a sweep after the test
    clock moved a day on (other tests on this server do) keeps a record written just now."""
    name = make_table(StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    ddb.update_time_to_live(  # TTL keeps a sweep queued
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"}
    )
    server.advance(25 * 3600)
    ddb.put_item(TableName=name, Item=key("kept"))
    server.advance(61)  # a sweep runs
    stream_arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    iterator = streams_client.get_shard_iterator(
        StreamArn=stream_arn,
        ShardId=streams_shard(streams_client, stream_arn),
        ShardIteratorType="TRIM_HORIZON",
    )["ShardIterator"]

    records = streams_client.get_records(ShardIterator=iterator)["Records"]

    assert [r["eventName"] for r in records] == ["INSERT"]
