"""AWS::DynamoDB::Table and SAM's AWS::Serverless::SimpleTable in stacks: made with their
keys, indexes, stream and TTL, referred to by Ref and GetAtt, changed in place, deleted with
the stack."""

from __future__ import annotations

from typing import Any

import pytest
from tests.templates.test_stacks import create, outputs, template, wait

TABLES = template(
    """
    Transform: AWS::Serverless-2016-10-31
    Parameters:
      Read:
        Type: Number
        Default: 5
      Recovery:
        Type: String
        Default: "false"
    Resources:
      Simple:
        Type: AWS::Serverless::SimpleTable
        Properties:
          PrimaryKey:
            Name: id
            Type: String
      Orders:
        Type: AWS::DynamoDB::Table
        Properties:
          BillingMode: PROVISIONED
          ProvisionedThroughput:
            ReadCapacityUnits: !Ref Read
            WriteCapacityUnits: 5
          KeySchema:
            - AttributeName: pk
              KeyType: HASH
            - AttributeName: sk
              KeyType: RANGE
          AttributeDefinitions:
            - AttributeName: pk
              AttributeType: S
            - AttributeName: sk
              AttributeType: N
            - AttributeName: status
              AttributeType: S
          GlobalSecondaryIndexes:
            - IndexName: by-status
              KeySchema:
                - AttributeName: status
                  KeyType: HASH
              Projection:
                ProjectionType: KEYS_ONLY
              ProvisionedThroughput:
                ReadCapacityUnits: 1
                WriteCapacityUnits: 1
          StreamSpecification:
            StreamViewType: NEW_AND_OLD_IMAGES
          TimeToLiveSpecification:
            AttributeName: expires
            Enabled: true
          PointInTimeRecoverySpecification:
            PointInTimeRecoveryEnabled: !Ref Recovery
          Tags:
            - Key: team
              Value: orders
    Outputs:
      Name:
        Value: !Ref Orders
      Arn:
        Value: !GetAtt Orders.Arn
      StreamArn:
        Value: !GetAtt Orders.StreamArn
      Simple:
        Value: !Ref Simple
    """
)


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


def test_tables_from_a_template(server: Any, cfn: Any) -> None:
    """Tables are made as the template says, answer Ref/GetAtt as AWS does, change in place
    on update, and go with the stack."""
    ddb = server.client("dynamodb")
    name = create(cfn, TABLES)
    made = outputs(cfn, name)
    described = ddb.describe_table(TableName=made["Name"])["Table"]
    simple = ddb.describe_table(TableName=made["Simple"])["Table"]
    ttl = ddb.describe_time_to_live(TableName=made["Name"])["TimeToLiveDescription"]
    cfn.update_stack(
        StackName=name,
        TemplateBody=TABLES,
        Parameters=[
            {"ParameterKey": "Read", "ParameterValue": "9"},
            {"ParameterKey": "Recovery", "ParameterValue": "true"},
        ],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    wait(cfn, name, "stack_update_complete")
    updated = ddb.describe_table(TableName=made["Name"])["Table"]
    recovery = ddb.describe_continuous_backups(TableName=made["Name"])[
        "ContinuousBackupsDescription"
    ]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"]
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")

    assert made["Name"].startswith(f"{name}-Orders-")
    assert made["Arn"] == f"arn:aws:dynamodb:us-east-1:000000000000:table/{made['Name']}"
    assert made["StreamArn"] == described["LatestStreamArn"]
    assert described["GlobalSecondaryIndexes"][0]["IndexName"] == "by-status"
    assert described["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
    assert simple["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert updated["ProvisionedThroughput"]["ReadCapacityUnits"] == 9
    assert updated["TableId"] == described["TableId"]  # changed in place, not replaced
    assert recovery == "ENABLED"
    assert made["Name"] not in ddb.list_tables()["TableNames"]
