"""On-demand backups and point-in-time recovery settings through boto3: a backup holds the
table as it was (items and indexes), outlives it, restores into a new table with AWS's
overrides, and is listed, described and deleted in AWS's shapes; PITR is switched per
table."""

from __future__ import annotations

from typing import Any

import pytest
from tests.tables.conftest import KeyMaker, unique


def test_a_backup_restores_the_table_as_it_was(ddb: Any, make_table: KeyMaker) -> None:
    gsi = {
        "IndexName": "by-color",
        "KeySchema": [{"AttributeName": "color", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"},
    }
    name = make_table(attributes=(("color", "S"),), GlobalSecondaryIndexes=[gsi])
    for n in range(3):
        ddb.put_item(
            TableName=name,
            Item={"pk": {"S": "a"}, "sk": {"N": str(n)}, "color": {"S": "red" if n else "blue"}},
        )
    details = ddb.create_backup(TableName=name, BackupName="nightly")["BackupDetails"]
    ddb.put_item(TableName=name, Item={"pk": {"S": "after"}, "sk": {"N": "9"}})  # not in it
    ddb.delete_table(TableName=name)  # the backup outlives its table

    target = unique("restored")
    restored = ddb.restore_table_from_backup(
        TargetTableName=target, BackupArn=details["BackupArn"]
    )["TableDescription"]
    items = ddb.scan(TableName=target)["Items"]
    reds = ddb.query(
        TableName=target,
        IndexName="by-color",
        KeyConditionExpression="color = :c",
        ExpressionAttributeValues={":c": {"S": "red"}},
    )["Items"]

    assert details["BackupStatus"] == "AVAILABLE"
    assert details["BackupType"] == "USER"
    assert details["BackupArn"].startswith(
        f"arn:aws:dynamodb:us-east-1:000000000000:table/{name}/backup/"
    )
    assert restored["RestoreSummary"]["SourceBackupArn"] == details["BackupArn"]
    assert restored["RestoreSummary"]["RestoreInProgress"] is False
    assert sorted(int(i["sk"]["N"]) for i in items) == [0, 1, 2]
    assert len(reds) == 2
    described = ddb.describe_backup(BackupArn=details["BackupArn"])["BackupDescription"]
    assert described["SourceTableDetails"]["TableName"] == name
    assert described["SourceTableDetails"]["ItemCount"] == 3
    assert described["SourceTableFeatureDetails"]["GlobalSecondaryIndexes"][0]["IndexName"] == (
        "by-color"
    )
    with pytest.raises(ddb.exceptions.TableAlreadyExistsException):
        ddb.restore_table_from_backup(TargetTableName=target, BackupArn=details["BackupArn"])


def test_backups_are_listed_and_deleted(ddb: Any, make_table: KeyMaker) -> None:
    name = make_table()
    arns = [
        ddb.create_backup(TableName=name, BackupName=f"bak{n}")["BackupDetails"]["BackupArn"]
        for n in range(3)
    ]
    first = ddb.list_backups(TableName=name, Limit=2)
    rest = ddb.list_backups(TableName=name, ExclusiveStartBackupArn=first["LastEvaluatedBackupArn"])
    assert [b["BackupArn"] for b in first["BackupSummaries"] + rest["BackupSummaries"]] == arns
    assert first["BackupSummaries"][0]["TableName"] == name
    assert "LastEvaluatedBackupArn" not in rest
    assert ddb.list_backups(TableName=name, BackupType="SYSTEM")["BackupSummaries"] == []

    deleted = ddb.delete_backup(BackupArn=arns[0])["BackupDescription"]
    assert deleted["BackupDetails"]["BackupStatus"] == "DELETED"
    with pytest.raises(ddb.exceptions.BackupNotFoundException):
        ddb.describe_backup(BackupArn=arns[0])
    with pytest.raises(ddb.exceptions.TableNotFoundException):
        ddb.create_backup(TableName=name + "-missing", BackupName="bak")
    with pytest.raises(ddb.exceptions.ClientError, match="ValidationException"):
        ddb.create_backup(TableName=name, BackupName="a b")


def test_restore_overrides_the_billing_mode(ddb: Any, make_table: KeyMaker) -> None:
    name = make_table(
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
    )
    arn = ddb.create_backup(TableName=name, BackupName="bak")["BackupDetails"]["BackupArn"]
    target = unique("restored")
    ddb.restore_table_from_backup(
        TargetTableName=target, BackupArn=arn, BillingModeOverride="PAY_PER_REQUEST"
    )
    table = ddb.describe_table(TableName=target)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_point_in_time_recovery_is_switched_per_table(ddb: Any, make_table: KeyMaker) -> None:
    name = make_table()
    before = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    after = ddb.update_continuous_backups(
        TableName=name,
        PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": True,
            "RecoveryPeriodInDays": 7,
        },
    )["ContinuousBackupsDescription"]

    assert before["ContinuousBackupsStatus"] == "ENABLED"
    assert before["PointInTimeRecoveryDescription"] == {"PointInTimeRecoveryStatus": "DISABLED"}
    recovery = after["PointInTimeRecoveryDescription"]
    assert recovery["PointInTimeRecoveryStatus"] == "ENABLED"
    assert recovery["RecoveryPeriodInDays"] == 7
    assert recovery["EarliestRestorableDateTime"] <= recovery["LatestRestorableDateTime"]
    with pytest.raises(ddb.exceptions.TableNotFoundException):
        ddb.describe_continuous_backups(TableName=name + "-missing")
    with pytest.raises(ddb.exceptions.ClientError, match="ValidationException"):
        ddb.update_continuous_backups(
            TableName=name,
            PointInTimeRecoverySpecification={
                "PointInTimeRecoveryEnabled": True,
                "RecoveryPeriodInDays": 40,
            },
        )
