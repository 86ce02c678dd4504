"""Query and Scan over the wire: key conditions, filters, order, pages, Select, segments
and secondary indexes, from boto3 against a real server."""

from __future__ import annotations

from typing import Any

import pytest
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from .conftest import KeyMaker


@pytest.fixture
def filled(resource: Any, make_table: KeyMaker) -> Any:
    """Partition "a" with sort keys -5..14 (value n = sort key), partition "b" with 3 items."""
    table = resource.Table(
        make_table(
            attributes=(("g", "S"), ("l", "S")),
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by-g",
                    "KeySchema": [
                        {"AttributeName": "g", "KeyType": "HASH"},
                        {"AttributeName": "sk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            ],
            LocalSecondaryIndexes=[
                {
                    "IndexName": "by-l",
                    "KeySchema": [
                        {"AttributeName": "pk", "KeyType": "HASH"},
                        {"AttributeName": "l", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
    )
    with table.batch_writer() as batch:
        for n in range(-5, 15):
            item = {"pk": "a", "sk": n, "n": n, "l": f"l{n:+03d}"}
            if n % 2 == 0:
                item["g"] = "even"
            batch.put_item(Item=item)
        for n in range(3):
            batch.put_item(Item={"pk": "b", "sk": n, "g": "even"})
    return table


def sort_keys(answer: dict[str, Any]) -> list[int]:
    return [int(item["sk"]) for item in answer["Items"]]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (Key("pk").eq("a") & Key("sk").eq(3), [3]),
        (Key("pk").eq("a") & Key("sk").lt(-3), [-5, -4]),
        (Key("pk").eq("a") & Key("sk").lte(-4), [-5, -4]),
        (Key("pk").eq("a") & Key("sk").gt(12), [13, 14]),
        (Key("pk").eq("a") & Key("sk").gte(13), [13, 14]),
        (Key("pk").eq("a") & Key("sk").between(-1, 1), [-1, 0, 1]),
        (Key("pk").eq("b"), [0, 1, 2]),
    ],
)
def test_key_conditions(filled: Any, condition: Any, expected: list[int]) -> None:
    """Sort key conditions read the range in numeric order (negative numbers included)."""
    assert sort_keys(filled.query(KeyConditionExpression=condition)) == expected


def test_begins_with_on_string_sort_keys(resource: Any, make_table: KeyMaker) -> None:
    """begins_with selects the sort keys with that prefix, in byte order."""
    table = resource.Table(make_table(range=("sk", "S")))
    for sk in ["a", "ab", "abc", "ab\xff", "b", "aa"]:
        table.put_item(Item={"pk": "p", "sk": sk})

    answer = table.query(KeyConditionExpression=Key("pk").eq("p") & Key("sk").begins_with("ab"))

    assert [i["sk"] for i in answer["Items"]] == ["ab", "abc", "ab\xff"]


def test_backwards_filter_and_count(filled: Any) -> None:
    """ScanIndexForward=false reverses; a filter drops items after Limit counted them."""
    backwards = filled.query(KeyConditionExpression=Key("pk").eq("a"), ScanIndexForward=False)
    filtered = filled.query(
        KeyConditionExpression=Key("pk").eq("a"),
        FilterExpression=Attr("n").gt(10),
        Limit=18,
    )
    counted = filled.query(KeyConditionExpression=Key("pk").eq("a"), Select="COUNT")

    assert sort_keys(backwards) == list(range(14, -6, -1))
    assert sort_keys(filtered) == [11, 12]
    assert filtered["ScannedCount"] == 18
    assert filtered["LastEvaluatedKey"] == {"pk": "a", "sk": 12}
    assert counted["Count"] == 20
    assert "Items" not in counted


def test_pages_follow_last_evaluated_key(filled: Any) -> None:
    """Pages of Limit items chain through ExclusiveStartKey without repeats or gaps."""
    seen: list[int] = []
    start: dict[str, Any] | None = None
    while True:
        extra = {"ExclusiveStartKey": start} if start else {}
        page = filled.query(KeyConditionExpression=Key("pk").eq("a"), Limit=7, **extra)
        seen += sort_keys(page)
        start = page.get("LastEvaluatedKey")
        if start is None:
            break

    assert seen == list(range(-5, 15))


def test_scan_pages_and_segments(filled: Any) -> None:
    """A Scan reads every item; segments split them with no overlap."""
    everything = filled.scan()
    halves = [filled.scan(Segment=s, TotalSegments=2)["Items"] for s in range(2)]

    assert everything["Count"] == 23
    keys = sorted((i["pk"], int(i["sk"])) for half in halves for i in half)
    assert keys == sorted((i["pk"], int(i["sk"])) for i in everything["Items"])


def test_megabyte_pages(resource: Any, make_table: KeyMaker) -> None:
    """A page stops at 1 MB of items read and names where to go on."""
    table = resource.Table(make_table())
    with table.batch_writer() as batch:
        for n in range(30):
            batch.put_item(Item={"pk": "p", "sk": n, "blob": "x" * 100_000})

    first = table.query(KeyConditionExpression=Key("pk").eq("p"))
    rest = table.query(
        KeyConditionExpression=Key("pk").eq("p"), ExclusiveStartKey=first["LastEvaluatedKey"]
    )

    assert 9 <= first["Count"] <= 11
    assert first["Count"] + rest["Count"] == 30 or "LastEvaluatedKey" in rest


def test_global_index_query(filled: Any) -> None:
    """A GSI query reads the index's partition across the table's partitions, projected to
    the keys (KEYS_ONLY), with the index key in LastEvaluatedKey."""
    answer = filled.query(
        IndexName="by-g", KeyConditionExpression=Key("g").eq("even") & Key("sk").lt(1), Limit=3
    )

    assert [(i["pk"], int(i["sk"])) for i in answer["Items"]] == [("a", -4), ("a", -2), ("a", 0)]
    assert set(answer["Items"][0]) == {"pk", "sk", "g"}
    assert answer["LastEvaluatedKey"] == {"pk": "a", "sk": 0, "g": "even"}


def test_global_index_pages_both_ways(filled: Any) -> None:
    """Pages of a GSI query chain through ExclusiveStartKey (index key and table key), in
    either direction, to the same items as one unlimited query."""
    condition = Key("g").eq("even")
    whole = filled.query(IndexName="by-g", KeyConditionExpression=condition)["Items"]
    for forward in (True, False):
        seen: list[Any] = []
        start: dict[str, Any] | None = None
        while True:
            extra = {"ExclusiveStartKey": start} if start else {}
            page = filled.query(
                IndexName="by-g",
                KeyConditionExpression=condition,
                ScanIndexForward=forward,
                Limit=2,
                **extra,
            )
            seen += page["Items"]
            start = page.get("LastEvaluatedKey")
            if start is None:
                break

        assert seen == (whole if forward else whole[::-1])


def test_local_index_query(filled: Any) -> None:
    """An LSI orders one partition by another attribute."""
    answer = filled.query(
        IndexName="by-l",
        KeyConditionExpression=Key("pk").eq("a") & Key("l").begins_with("l+1"),
    )

    assert sorted(sort_keys(answer)) == [10, 11, 12, 13, 14]


def test_index_item_moves_when_its_key_changes(filled: Any) -> None:
    """Updating or removing an index key attribute updates the index in the same write."""
    filled.update_item(Key={"pk": "b", "sk": 0}, UpdateExpression="SET g = :o",
                       ExpressionAttributeValues={":o": "odd"})  # fmt: skip
    filled.update_item(Key={"pk": "b", "sk": 1}, UpdateExpression="REMOVE g")

    odd = filled.query(IndexName="by-g", KeyConditionExpression=Key("g").eq("odd"))
    even_b = [
        i
        for i in filled.query(IndexName="by-g", KeyConditionExpression=Key("g").eq("even"))["Items"]
        if i["pk"] == "b"
    ]

    assert [(i["pk"], int(i["sk"])) for i in odd["Items"]] == [("b", 0)]
    assert [int(i["sk"]) for i in even_b] == [2]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"KeyConditionExpression": "sk = :v"}, "Query condition missed key schema element: pk"),
        ({"KeyConditionExpression": "pk < :v"}, "Query key condition not supported"),
        (
            {"KeyConditionExpression": "pk = :v AND n = :v"},
            "Query key condition not supported",
        ),
    ],
)
def test_bad_key_conditions(
    ddb: Any, make_table: KeyMaker, kwargs: dict[str, Any], message: str
) -> None:
    """Key conditions that are not a partition equality (and one sort condition) are
    refused."""
    with pytest.raises(ClientError) as exc:
        ddb.query(
            TableName=make_table(range=("sk", "S")),
            ExpressionAttributeValues={":v": {"S": "x"}},
            **kwargs,
        )

    assert exc.value.response["Error"]["Message"] == message


def test_filter_may_not_name_the_queried_key(ddb: Any, make_table: KeyMaker) -> None:
    """A Query's FilterExpression on a key attribute is refused, as DynamoDB refuses it."""
    with pytest.raises(ClientError) as exc:
        ddb.query(
            TableName=make_table(),
            KeyConditionExpression="pk = :p",
            FilterExpression="sk > :n",
            ExpressionAttributeValues={":p": {"S": "a"}, ":n": {"N": "1"}},
        )

    assert exc.value.response["Error"]["Message"] == (
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk"
    )
