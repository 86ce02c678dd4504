"""Items over the wire: PutItem, GetItem, UpdateItem and DeleteItem from boto3's client and
resource APIs, with boto3.dynamodb.conditions, against a real server."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from stratus.aws.protocols import json_codec

from .conftest import KeyMaker


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def test_resource_round_trip(resource: Any, make_table: KeyMaker) -> None:
    """What the resource API puts comes back as it went in: numbers, sets, lists, maps,
    binary, booleans, nulls."""
    table = resource.Table(make_table())
    item = {
        "pk": "a",
        "sk": 1,
        "n": Decimal("1.50"),
        "big": Decimal("12345678901234567890123456789012345678"),
        "ss": {"x", "y"},
        "ns": {1, 2},
        "l": [1, "two", {"three": True}],
        "m": {"nested": {"deep": None}},
        "b": b"\x00\xff",
    }
    table.put_item(Item=item)

    got = table.get_item(Key={"pk": "a", "sk": 1}, ConsistentRead=True)["Item"]
    assert got["n"] == Decimal("1.5")
    assert got["big"] == item["big"]
    assert got["ss"] == {"x", "y"}
    assert got["ns"] == {1, 2}
    assert got["l"] == [1, "two", {"three": True}]
    assert got["m"] == {"nested": {"deep": None}}
    assert got["b"].value == b"\x00\xff"


def test_missing_item_has_no_item(resource: Any, make_table: KeyMaker) -> None:
    """GetItem of a key never written answers without Item."""
    table = resource.Table(make_table())

    assert "Item" not in table.get_item(Key={"pk": "none", "sk": 0})


def test_put_condition_and_return_values(resource: Any, make_table: KeyMaker) -> None:
    """attribute_not_exists refuses a second put; ALL_OLD returns what a put replaced."""
    table = resource.Table(make_table())
    table.put_item(Item={"pk": "a", "sk": 1, "v": 1})

    with pytest.raises(ClientError) as exc:
        table.put_item(
            Item={"pk": "a", "sk": 1, "v": 2}, ConditionExpression=Attr("pk").not_exists()
        )
    replaced = table.put_item(Item={"pk": "a", "sk": 1, "v": 3}, ReturnValues="ALL_OLD")

    assert error_of(exc) == ("ConditionalCheckFailedException", "The conditional request failed")
    assert replaced["Attributes"] == {"pk": "a", "sk": 1, "v": 1}


def test_condition_failure_returns_the_old_item(ddb: Any, make_table: KeyMaker) -> None:
    """ReturnValuesOnConditionCheckFailure=ALL_OLD puts the item in the error (what
    Powertools' idempotency reads)."""
    name = make_table()
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "b": {"B": b"\x01"}})

    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException) as exc:
        ddb.put_item(
            TableName=name,
            Item={"pk": {"S": "a"}, "sk": {"N": "1"}},
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )

    assert exc.value.response["Item"] == {
        "pk": {"S": "a"},
        "sk": {"N": "1"},
        "b": {"B": b"\x01"},
    }


def test_repeated_condition_failures_leave_the_servers_memory_as_it_was(
    ddb: Any, make_table: KeyMaker
) -> None:
    """Each such error is rendered through its model's shape: the same shape every time,
    so the codec's per-shape writers stay as many (they grew by ~36 KB per error)."""
    name = make_table()
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"N": "1"}})

    def fail() -> None:
        with pytest.raises(ddb.exceptions.ConditionalCheckFailedException):
            ddb.put_item(
                TableName=name,
                Item={"pk": {"S": "a"}, "sk": {"N": "1"}},
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )

    fail()  # (the server is in this process: its caches are this module's)
    writers = len(json_codec._WRITERS)
    for _ in range(10):
        fail()

    assert len(json_codec._WRITERS) == writers


def test_update_expression_actions(resource: Any, make_table: KeyMaker) -> None:
    """SET with arithmetic, if_not_exists and list_append; REMOVE of a list element; ADD to
    numbers and sets; DELETE from sets: as DynamoDB applies them."""
    table = resource.Table(make_table())
    table.put_item(
        Item={
            "pk": "a",
            "sk": 1,
            "n": 5,
            "l": [1],
            "r": [1, 2, 3],
            "tags": {"x", "y"},
            "gone": {"x", "y"},
            "m": {"a": 1},
        }
    )

    answer = table.update_item(
        Key={"pk": "a", "sk": 1},
        UpdateExpression=(
            "SET n = n - :one, l = list_append(l, :more), c = if_not_exists(c, :zero) + :one, "
            "m.b = :one REMOVE r[0], r[2] ADD hits :one, tags :z DELETE gone :x"
        ),
        ExpressionAttributeValues={
            ":one": 1,
            ":zero": 0,
            ":more": [4],
            ":z": {"z"},
            ":x": {"x"},
        },
        ReturnValues="ALL_NEW",
    )

    assert answer["Attributes"] == {
        "pk": "a",
        "sk": 1,
        "n": 4,
        "l": [1, 4],
        "r": [2],
        "c": 1,
        "m": {"a": 1, "b": 1},
        "hits": 1,
        "tags": {"x", "y", "z"},
        "gone": {"y"},
    }


def test_update_returns_updated_values(resource: Any, make_table: KeyMaker) -> None:
    """UPDATED_OLD and UPDATED_NEW hold only what the update touched."""
    table = resource.Table(make_table())
    table.put_item(Item={"pk": "a", "sk": 1, "x": 1, "y": 1})

    old = table.update_item(
        Key={"pk": "a", "sk": 1},
        UpdateExpression="SET x = :v",
        ExpressionAttributeValues={":v": 2},
        ReturnValues="UPDATED_OLD",
    )["Attributes"]
    new = table.update_item(
        Key={"pk": "a", "sk": 1},
        UpdateExpression="SET x = :v",
        ExpressionAttributeValues={":v": 3},
        ReturnValues="UPDATED_NEW",
    )["Attributes"]

    assert old == {"x": 1}
    assert new == {"x": 3}


def test_update_creates_missing_item(resource: Any, make_table: KeyMaker) -> None:
    """UpdateItem of a missing key makes the item from its key and the update."""
    table = resource.Table(make_table())
    table.update_item(
        Key={"pk": "new", "sk": 9},
        UpdateExpression="ADD hits :one",
        ExpressionAttributeValues={":one": 1},
    )

    assert table.get_item(Key={"pk": "new", "sk": 9})["Item"] == {"pk": "new", "sk": 9, "hits": 1}


def test_delete_with_condition(resource: Any, make_table: KeyMaker) -> None:
    """A failed condition keeps the item; ALL_OLD returns what a delete removed."""
    table = resource.Table(make_table())
    table.put_item(Item={"pk": "a", "sk": 1, "state": "busy"})

    with pytest.raises(ClientError):
        table.delete_item(
            Key={"pk": "a", "sk": 1},
            ConditionExpression=Attr("state").eq("idle"),
        )
    gone = table.delete_item(Key={"pk": "a", "sk": 1}, ReturnValues="ALL_OLD")

    assert gone["Attributes"]["state"] == "busy"
    assert "Item" not in table.get_item(Key={"pk": "a", "sk": 1})


def test_conditions_library(resource: Any, make_table: KeyMaker) -> None:
    """boto3.dynamodb.conditions expressions are evaluated as DynamoDB does."""
    table = resource.Table(make_table())
    table.put_item(
        Item={"pk": "a", "sk": 1, "n": 5, "s": "hello", "l": [1, 2], "ss": {"x"}, "status": "on"}
    )
    key = {"pk": "a", "sk": 1}

    def holds(condition: Any) -> bool:
        try:
            table.update_item(
                Key=key,
                UpdateExpression="SET touched = :t",
                ConditionExpression=condition,
                ExpressionAttributeValues={":t": True},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return False
        return True

    assert holds(Attr("n").between(1, 5))
    assert not holds(Attr("n").between(6, 9))
    assert holds(Attr("s").begins_with("he") & Attr("s").contains("ll"))
    assert holds(Attr("n").is_in([3, 5]) | Attr("nope").exists())
    assert holds(Attr("l").size().eq(2) & Attr("ss").contains("x"))
    assert holds(Attr("n").attribute_type("N") & ~Attr("s").attribute_type("N"))
    assert holds(Attr("status").eq("on"))  # boto3 names reserved words with placeholders
    assert not holds(Attr("n").lt("5"))  # a number is not less than a string
    assert holds(Attr("missing").ne(1))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"UpdateExpression": "SET a = "},
            'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "= "',
        ),
        (
            {
                "UpdateExpression": "SET status = :v",
                "ExpressionAttributeValues": {":v": {"N": "1"}},
            },
            "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: "
            "status",
        ),
        (
            {"UpdateExpression": "SET a = :x"},
            "Invalid UpdateExpression: An expression attribute value used in expression is not "
            "defined; attribute value: :x",
        ),
        (
            {
                "UpdateExpression": "SET a = :v",
                "ExpressionAttributeValues": {":v": {"N": "1"}, ":x": {"N": "2"}},
            },
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}",
        ),
        (
            {
                "UpdateExpression": "SET a = :v, a.b = :v",
                "ExpressionAttributeValues": {":v": {"N": "1"}},
            },
            "Invalid UpdateExpression: Two document paths overlap with each other; must remove "
            "or rewrite one of these paths; path one: [a], path two: [a, b]",
        ),
        (
            {"UpdateExpression": "SET sk = :v", "ExpressionAttributeValues": {":v": {"N": "1"}}},
            "One or more parameter values were invalid: Cannot update attribute sk. This "
            "attribute is part of the key",
        ),
    ],
)
def test_update_validation_messages(
    ddb: Any, make_table: KeyMaker, kwargs: dict[str, Any], message: str
) -> None:
    """Bad update expressions are refused with DynamoDB's messages."""
    name = make_table()

    with pytest.raises(ClientError) as exc:
        ddb.update_item(TableName=name, Key={"pk": {"S": "a"}, "sk": {"N": "1"}}, **kwargs)

    assert error_of(exc) == ("ValidationException", message)


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            {"pk": {"N": "1"}, "sk": {"N": "1"}},
            "One or more parameter values were invalid: Type mismatch for key pk expected: S "
            "actual: N",
        ),
        (
            {"sk": {"N": "1"}},
            "One or more parameter values were invalid: Missing the key pk in the item",
        ),
        (
            {"pk": {"S": ""}, "sk": {"N": "1"}},
            "One or more parameter values are not valid. The AttributeValue for a key attribute "
            "cannot contain an empty string value. Key: pk",
        ),
        (
            {"pk": {"S": "a"}, "sk": {"N": "1"}, "s": {"SS": []}},
            "One or more parameter values were invalid: An string set  may not be empty",
        ),
        (
            {"pk": {"S": "a"}, "sk": {"N": "1"}, "s": {"SS": ["x", "x"]}},
            "One or more parameter values were invalid: Input collection [x, x] contains "
            "duplicates.",
        ),
        (
            {"pk": {"S": "a"}, "sk": {"N": "1"}, "n": {"N": "1" * 39}},
            "Attempting to store more than 38 significant digits in a Number",
        ),
        (
            {"pk": {"S": "a"}, "sk": {"N": "1"}, "n": {"N": "1E126"}},
            "Number overflow. Attempting to store a number with magnitude larger than supported "
            "range",
        ),
        (
            {"pk": {"S": "a"}, "sk": {"N": "1"}, "big": {"S": "x" * (400 * 1024)}},
            "Item size has exceeded the maximum allowed size",
        ),
    ],
)
def test_item_rules(ddb: Any, make_table: KeyMaker, item: dict[str, Any], message: str) -> None:
    """Items breaking DynamoDB's rules are refused with its messages."""
    name = make_table()

    with pytest.raises(ClientError) as exc:
        ddb.put_item(TableName=name, Item=item)

    assert error_of(exc) == ("ValidationException", message)


def test_item_of_exactly_400kb_is_accepted(ddb: Any, make_table: KeyMaker) -> None:
    """The size counts attribute names and values: 400 KB in all is the largest item."""
    name = make_table()
    room = 400 * 1024 - len("pk") - 1 - len("sk") - 2 - len("big")

    ddb.put_item(
        TableName=name,
        Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "big": {"S": "x" * room}},
    )

    got = ddb.get_item(TableName=name, Key={"pk": {"S": "a"}, "sk": {"N": "1"}})["Item"]
    assert len(got["big"]["S"]) == room


def test_projection_expression(resource: Any, make_table: KeyMaker) -> None:
    """A projection returns only the named paths, nested ones included."""
    table = resource.Table(make_table())
    table.put_item(Item={"pk": "a", "sk": 1, "m": {"x": 1, "y": 2}, "l": [10, 20, 30], "o": 1})

    got = table.get_item(
        Key={"pk": "a", "sk": 1},
        ProjectionExpression="m.y, l[2], #o",
        ExpressionAttributeNames={"#o": "o"},
    )["Item"]

    assert got == {"m": {"y": 2}, "l": [30], "o": 1}


def test_wrong_key_is_refused(ddb: Any, make_table: KeyMaker) -> None:
    """A Key missing the sort key or of the wrong type does not match the schema."""
    name = make_table()

    with pytest.raises(ClientError) as exc:
        ddb.get_item(TableName=name, Key={"pk": {"S": "a"}})

    assert error_of(exc) == (
        "ValidationException",
        "The provided key element does not match the schema",
    )


def test_legacy_parameters_are_refused_by_name(ddb: Any, make_table: KeyMaker) -> None:
    """Expected (the pre-expression condition) is refused, not ignored."""
    name = make_table()

    with pytest.raises(ClientError) as exc:
        ddb.put_item(
            TableName=name,
            Item={"pk": {"S": "a"}, "sk": {"N": "1"}},
            Expected={"pk": {"Exists": False}},
        )

    assert error_of(exc) == (
        "ValidationException",
        "Stratus does not support the legacy parameter Expected; use ConditionExpression",
    )


def test_every_client_reads_its_own_answered_writes(server: Any, make_table: KeyMaker) -> None:
    """GetItem is served without the database thread's queue, yet a client that was answered
    a PutItem, an UpdateItem or a TransactWriteItems reads it at once, with or without
    ConsistentRead, while other clients write beside it."""
    name = make_table()

    def client_run(client_id: int) -> list[str]:
        ddb = server.client("dynamodb")
        key = {"pk": {"S": f"c{client_id}"}, "sk": {"N": "1"}}
        wrong = []
        for n in range(25):
            ddb.put_item(TableName=name, Item={**key, "v": {"N": str(n)}})
            got = ddb.get_item(TableName=name, Key=key, ConsistentRead=n % 2 == 0)
            if got["Item"]["v"] != {"N": str(n)}:
                wrong.append(f"put {n}: {got}")
            ddb.update_item(TableName=name, Key=key, UpdateExpression="SET v = v + :one",
                            ExpressionAttributeValues={":one": {"N": "1"}})  # fmt: skip
            if ddb.get_item(TableName=name, Key=key)["Item"]["v"] != {"N": str(n + 1)}:
                wrong.append(f"update {n}")
            ddb.transact_write_items(TransactItems=[{"Delete": {"TableName": name, "Key": key}}])
            if "Item" in ddb.get_item(TableName=name, Key=key):
                wrong.append(f"delete {n}")
        return wrong

    with ThreadPoolExecutor(max_workers=4) as pool:
        found = list(pool.map(client_run, range(4)))

    assert found == [[], [], [], []]
