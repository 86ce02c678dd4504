"""DynamoDB's tables over the wire: boto3 against a real server."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import KeyMaker, unique

KEY = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
ATTRS = [
    {"AttributeName": "pk", "AttributeType": "S"},
    {"AttributeName": "sk", "AttributeType": "N"},
]


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def test_create_describe_list_delete(ddb: Any) -> None:
    """A created table is described ACTIVE with its keys, listed, and gone once deleted."""
    name = unique()
    created = ddb.create_table(
        TableName=name,
        KeySchema=KEY,
        AttributeDefinitions=ATTRS,
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 7},
        Tags=[{"Key": "team", "Value": "a"}],
    )["TableDescription"]
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.1})
    described = ddb.describe_table(TableName=name)["Table"]
    listed = ddb.list_tables()["TableNames"]
    tags = ddb.list_tags_of_resource(ResourceArn=described["TableArn"])["Tags"]
    deleted = ddb.delete_table(TableName=name)["TableDescription"]

    assert created["TableStatus"] == "CREATING"
    assert described["TableStatus"] == "ACTIVE"
    assert described["KeySchema"] == KEY
    assert described["ProvisionedThroughput"]["WriteCapacityUnits"] == 7
    assert described["TableArn"].endswith(f":table/{name}")
    assert described["ItemCount"] == 0
    assert name in listed
    assert tags == [{"Key": "team", "Value": "a"}]
    assert deleted["TableStatus"] == "DELETING"
    with pytest.raises(ClientError) as exc:
        ddb.describe_table(TableName=name)
    assert error_of(exc) == ("ResourceNotFoundException", "Requested resource not found")


def test_create_twice_is_in_use(ddb: Any, make_table: KeyMaker) -> None:
    """A second CreateTable of one name is ResourceInUseException."""
    name = make_table()

    with pytest.raises(ddb.exceptions.ResourceInUseException):
        ddb.create_table(
            TableName=name, KeySchema=KEY, AttributeDefinitions=ATTRS, BillingMode="PAY_PER_REQUEST"
        )


@pytest.mark.parametrize(
    ("attributes", "billing", "message"),
    [
        (
            ATTRS[:1],
            {"BillingMode": "PAY_PER_REQUEST"},
            "One or more parameter values were invalid: Some index key attributes are not "
            "defined in AttributeDefinitions. Keys: [sk], AttributeDefinitions: [pk]",
        ),
        (
            [*ATTRS, {"AttributeName": "x", "AttributeType": "S"}],
            {"BillingMode": "PAY_PER_REQUEST"},
            "One or more parameter values were invalid: Number of attributes in KeySchema does "
            "not exactly match number of attributes defined in AttributeDefinitions",
        ),
        (
            ATTRS,
            {},
            "One or more parameter values were invalid: ReadCapacityUnits and "
            "WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
        ),
    ],
)
def test_create_refuses_bad_definitions(
    ddb: Any, attributes: list[dict[str, str]], billing: dict[str, Any], message: str
) -> None:
    """AttributeDefinitions must match the keys; PROVISIONED needs throughput."""
    with pytest.raises(ClientError) as exc:
        ddb.create_table(
            TableName=unique(), KeySchema=KEY, AttributeDefinitions=attributes, **billing
        )

    assert error_of(exc) == ("ValidationException", message)


def test_indexes_are_described(ddb: Any, make_table: KeyMaker) -> None:
    """GSIs and LSIs keep their keys and projections (ALL, KEYS_ONLY, INCLUDE)."""
    name = make_table(
        attributes=(("g", "S"), ("l", "N")),
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]},
            }
        ],
        LocalSecondaryIndexes=[
            {
                "IndexName": "by-l",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "l", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    )

    table = ddb.describe_table(TableName=name)["Table"]
    (gsi,) = table["GlobalSecondaryIndexes"]
    (lsi,) = table["LocalSecondaryIndexes"]
    assert gsi["IndexName"] == "by-g"
    assert gsi["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]}
    assert gsi["IndexStatus"] == "ACTIVE"
    assert lsi["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_local_index_needs_the_tables_hash_key(ddb: Any) -> None:
    """An LSI whose partition key is not the table's is refused."""
    with pytest.raises(ClientError) as exc:
        ddb.create_table(
            TableName=unique(),
            KeySchema=KEY,
            AttributeDefinitions=[*ATTRS, {"AttributeName": "o", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            LocalSecondaryIndexes=[
                {
                    "IndexName": "bad",
                    "KeySchema": [
                        {"AttributeName": "o", "KeyType": "HASH"},
                        {"AttributeName": "sk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )

    assert error_of(exc)[0] == "ValidationException"
    assert "same leading hash key" in error_of(exc)[1]


def test_update_table_throughput_and_gsi(ddb: Any, make_table: KeyMaker) -> None:
    """UpdateTable changes billing and throughput, and adds a GSI filled from the items."""
    name = make_table(
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
    )
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "g": {"S": "x"}})
    ddb.update_table(
        TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4}
    )
    ddb.update_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "by-g",
                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                    "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
                }
            }
        ],
    )

    table = ddb.describe_table(TableName=name)["Table"]
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
    assert table["GlobalSecondaryIndexes"][0]["ItemCount"] == 1


def test_unknown_table_for_items(ddb: Any) -> None:
    """Item calls on a missing table are ResourceNotFoundException."""
    with pytest.raises(ClientError) as exc:
        ddb.get_item(TableName="no-such-table", Key={"pk": {"S": "a"}})

    assert error_of(exc) == ("ResourceNotFoundException", "Requested resource not found")


def test_time_to_live_is_described(ddb: Any, make_table: KeyMaker) -> None:
    """UpdateTimeToLive enables TTL on an attribute; DescribeTimeToLive tells it."""
    name = make_table()
    before = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    ddb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"}
    )
    after = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]

    assert before == {"TimeToLiveStatus": "DISABLED"}
    assert after == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
