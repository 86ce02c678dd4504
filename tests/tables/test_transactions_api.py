"""Batches and transactions over the wire, and Powertools' Idempotency on top of them,
against a real server."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import KeyMaker


def key(pk: str, sk: int = 0) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}}


def test_batch_write_and_get(ddb: Any, make_table: KeyMaker) -> None:
    """BatchWriteItem puts and deletes; BatchGetItem finds what is there, projected."""
    name = make_table()
    ddb.put_item(TableName=name, Item={**key("gone"), "v": {"N": "0"}})
    written = ddb.batch_write_item(
        RequestItems={
            name: [{"PutRequest": {"Item": {**key(f"p{n}"), "v": {"N": str(n)}}}} for n in range(5)]
            + [{"DeleteRequest": {"Key": key("gone")}}]
        }
    )
    got = ddb.batch_get_item(
        RequestItems={
            name: {
                "Keys": [key("p1"), key("p3"), key("gone")],
                "ProjectionExpression": "v",
            }
        }
    )

    assert written["UnprocessedItems"] == {}
    assert sorted(int(i["v"]["N"]) for i in got["Responses"][name]) == [1, 3]
    assert got["UnprocessedKeys"] == {}


def test_batch_limits(ddb: Any, make_table: KeyMaker) -> None:
    """More than 25 writes, or one key twice, is refused."""
    name = make_table()

    with pytest.raises(ClientError) as many:
        ddb.batch_write_item(
            RequestItems={name: [{"PutRequest": {"Item": key(f"p{n}")}} for n in range(26)]}
        )
    with pytest.raises(ClientError) as twice:
        ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": key("p")}}] * 2})

    assert many.value.response["Error"]["Code"] == "ValidationException"
    assert twice.value.response["Error"]["Message"] == (
        "Provided list of item keys contains duplicates"
    )


def test_transaction_is_all_or_nothing(ddb: Any, make_table: KeyMaker) -> None:
    """One failed condition cancels every action, with a reason per action botocore reads."""
    name = make_table()
    ddb.put_item(TableName=name, Item={**key("balance"), "v": {"N": "10"}})

    with pytest.raises(ddb.exceptions.TransactionCanceledException) as exc:
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": name, "Item": key("new")}},
                {
                    "Update": {
                        "TableName": name,
                        "Key": key("balance"),
                        "UpdateExpression": "SET v = v - :amount",
                        "ConditionExpression": "v >= :amount",
                        "ExpressionAttributeValues": {":amount": {"N": "50"}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
            ]
        )

    reasons = exc.value.response["CancellationReasons"]
    assert reasons[0] == {"Code": "None"}
    assert reasons[1]["Code"] == "ConditionalCheckFailed"
    assert reasons[1]["Item"]["v"] == {"N": "10"}
    assert "Item" not in ddb.get_item(TableName=name, Key=key("new"))


def test_transaction_commits_every_action(ddb: Any, make_table: KeyMaker) -> None:
    """A transaction whose conditions hold makes all its writes; TransactGetItems reads
    them."""
    name = make_table()
    ddb.put_item(TableName=name, Item={**key("a"), "v": {"N": "1"}})
    ddb.put_item(TableName=name, Item={**key("b")})

    ddb.transact_write_items(
        TransactItems=[
            {"ConditionCheck": {"TableName": name, "Key": key("a"),
                                "ConditionExpression": "attribute_exists(v)"}},
            {"Delete": {"TableName": name, "Key": key("b")}},
            {"Update": {"TableName": name, "Key": key("c"), "UpdateExpression": "SET v = :v",
                        "ExpressionAttributeValues": {":v": {"S": "x"}}}},
        ]
    )  # fmt: skip
    got = ddb.transact_get_items(
        TransactItems=[{"Get": {"TableName": name, "Key": key(k)}} for k in ("a", "b", "c")]
    )["Responses"]

    assert got[0]["Item"]["v"] == {"N": "1"}
    assert got[1] == {}
    assert got[2]["Item"]["v"] == {"S": "x"}


def test_one_item_twice_in_a_transaction(ddb: Any, make_table: KeyMaker) -> None:
    """Two actions on one item are refused."""
    name = make_table()

    with pytest.raises(ClientError) as exc:
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": name, "Item": key("a")}},
                {"Delete": {"TableName": name, "Key": key("a")}},
            ]
        )

    assert exc.value.response["Error"]["Message"] == (
        "Transaction request cannot include multiple operations on one item"
    )


def test_client_request_token(ddb: Any, make_table: KeyMaker) -> None:
    """A repeat with the same token does nothing again; other parameters are refused."""
    name = make_table()
    token = str(uuid.uuid4())
    add = {
        "Update": {
            "TableName": name,
            "Key": key("counter"),
            "UpdateExpression": "ADD n :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }

    ddb.transact_write_items(TransactItems=[add], ClientRequestToken=token)
    ddb.transact_write_items(TransactItems=[add], ClientRequestToken=token)
    with pytest.raises(ddb.exceptions.IdempotentParameterMismatchException):
        ddb.transact_write_items(
            TransactItems=[{"Put": {"TableName": name, "Item": key("x")}}],
            ClientRequestToken=token,
        )

    item = ddb.get_item(TableName=name, Key=key("counter"))["Item"]
    assert item["n"] == {"N": "1"}


def test_powertools_idempotency(ddb: Any, make_table: KeyMaker) -> None:
    """Powertools' Idempotency, unchanged, runs a function once per payload: the second call
    gets the first's result from the table (ConditionalCheckFailed with the old Item)."""
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    class LambdaContext:  # what Lambda hands a handler: Powertools reads the time left
        def get_remaining_time_in_millis(self) -> int:
            return 30_000

    name = make_table(hash=("id", "S"), range=None)
    calls: list[str] = []
    persistence = DynamoDBPersistenceLayer(table_name=name, boto3_client=ddb)
    config = IdempotencyConfig(use_local_cache=False)
    config.register_lambda_context(LambdaContext())

    @idempotent_function(
        data_keyword_argument="order", persistence_store=persistence, config=config
    )
    def charge(order: dict[str, Any]) -> dict[str, Any]:
        calls.append(order["id"])
        return {"charged": order["amount"], "call": len(calls)}

    first = charge(order={"id": "o-1", "amount": 5})
    second = charge(order={"id": "o-1", "amount": 5})
    other = charge(order={"id": "o-2", "amount": 7})

    assert first == second == {"charged": 5, "call": 1}
    assert other == {"charged": 7, "call": 2}
    assert calls == ["o-1", "o-2"]


def test_consumed_capacity_per_table(ddb: Any, make_table: KeyMaker) -> None:
    """Batches and transactions answer ConsumedCapacity per table when asked: a write unit
    per KB written (two in a transaction)."""
    name = make_table()

    batch = ddb.batch_write_item(
        RequestItems={name: [{"PutRequest": {"Item": {**key("big"), "s": {"S": "x" * 1500}}}}]},
        ReturnConsumedCapacity="TOTAL",
    )
    transaction = ddb.transact_write_items(
        TransactItems=[{"Put": {"TableName": name, "Item": key("small")}}],
        ReturnConsumedCapacity="TOTAL",
    )

    assert batch["ConsumedCapacity"] == [{"TableName": name, "CapacityUnits": 2.0}]
    assert transaction["ConsumedCapacity"] == [{"TableName": name, "CapacityUnits": 2.0}]
