"""Stream mappings in stacks: SAM's DynamoDB event and AWS::Lambda::EventSourceMapping on a
stream ARN (GetAtt StreamArn), AWS::DynamoDB::GlobalTable in one region, and SAM's policy
templates expanded into the function's role and recorded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import WaiterError
from tests.conftest import wait_for
from tests.mappings.test_streams import keys
from tests.templates.test_stacks import create, describe, outputs, template, wait

STACK = template(
    """
    Transform: AWS::Serverless-2016-10-31
    Parameters:
      Out:
        Type: String
      Retries:
        Type: Number
        Default: 2
    Resources:
      Photos:
        Type: AWS::DynamoDB::Table
        Properties:
          BillingMode: PAY_PER_REQUEST
          KeySchema: [{AttributeName: id, KeyType: HASH}]
          AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
          StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
      Global:
        Type: AWS::DynamoDB::GlobalTable
        Properties:
          BillingMode: PAY_PER_REQUEST
          KeySchema: [{AttributeName: id, KeyType: HASH}]
          AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
          StreamSpecification: {StreamViewType: NEW_IMAGE}
          Replicas:
            - Region: us-east-1
              Tags: [{Key: team, Value: photos}]
      Failed:
        Type: AWS::SQS::Queue
      Alerts:
        Type: AWS::SNS::Topic
      Bucket:
        Type: AWS::S3::Bucket
      Worker:
        Type: AWS::Serverless::Function
        Properties:
          Runtime: python3.11
          Handler: index.handler
          Environment:
            Variables:
              OUT: !Ref Out
          InlineCode: |
            import json, os, time
            def handler(event, context):
                name = f"{time.time_ns()}-{context.aws_request_id}.json"
                with open(os.path.join(os.environ["OUT"], name), "w") as out:
                    out.write(json.dumps(event))
          Policies:
            - DynamoDBCrudPolicy: {TableName: !Ref Photos}
            - DynamoDBReadPolicy: {TableName: !Ref Global}
            - DynamoDBStreamReadPolicy: {TableName: !Ref Photos, StreamName: "*"}
            - S3ReadPolicy: {BucketName: !Ref Bucket}
            - S3CrudPolicy: {BucketName: !Ref Bucket}
            - SQSSendMessagePolicy: {QueueName: !GetAtt Failed.QueueName}
            - SNSPublishMessagePolicy: {TopicName: !GetAtt Alerts.TopicName}
            - EventBridgePutEventsPolicy: {EventBusName: default}
            - StepFunctionsExecutionPolicy: {StateMachineName: some-machine}
          Events:
            Changes:
              Type: DynamoDB
              Properties:
                Stream: !GetAtt Photos.StreamArn
                StartingPosition: TRIM_HORIZON
                BatchSize: 10
                MaximumRetryAttempts: !Ref Retries
                BisectBatchOnFunctionError: true
                FilterCriteria:
                  Filters:
                    - Pattern: '{"eventName": ["INSERT"]}'
                DestinationConfig:
                  OnFailure:
                    Type: SQS
                    Destination: !GetAtt Failed.Arn
      GlobalMapping:
        Type: AWS::Lambda::EventSourceMapping
        Properties:
          EventSourceArn: !GetAtt Global.StreamArn
          FunctionName: !Ref Worker
          StartingPosition: LATEST
          ParallelizationFactor: 2
    Outputs:
      Photos:
        Value: !Ref Photos
      Global:
        Value: !Ref Global
      GlobalArn:
        Value: !GetAtt Global.Arn
      GlobalStream:
        Value: !GetAtt Global.StreamArn
      GlobalId:
        Value: !GetAtt Global.TableId
      Mapping:
        Value: !Ref WorkerChanges
      GlobalMapping:
        Value: !Ref GlobalMapping
    """
)


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


def test_sam_dynamodb_event_and_global_table_deploy_and_consume(
    server: Any, cfn: Any, lambda_client: Any, shared_dir: Path
) -> None:
    """SAM's DynamoDB event becomes a stream mapping with its settings; the global table's
    one replica is a table with a stream a plain mapping reads; both deliver changes."""
    name = create(
        cfn, STACK, Parameters=[{"ParameterKey": "Out", "ParameterValue": str(shared_dir)}]
    )
    out = outputs(cfn, name)
    ddb = server.client("dynamodb")
    mapping = lambda_client.get_event_source_mapping(UUID=out["Mapping"])
    plain = lambda_client.get_event_source_mapping(UUID=out["GlobalMapping"])
    ddb.put_item(TableName=out["Photos"], Item={"id": {"S": "p1"}})
    ddb.put_item(TableName=out["Global"], Item={"id": {"S": "g1"}})

    assert wait_for(lambda: sorted(keys(shared_dir)) == ["g1", "p1"], timeout=30)
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert mapping["BatchSize"] == 10
    assert mapping["MaximumRetryAttempts"] == 2
    assert mapping["BisectBatchOnFunctionError"] is True
    failed = mapping["DestinationConfig"]["OnFailure"]["Destination"]
    assert failed.startswith(f"arn:aws:sqs:us-east-1:000000000000:{name}-Failed")
    assert json.loads(mapping["FilterCriteria"]["Filters"][0]["Pattern"]) == {
        "eventName": ["INSERT"]
    }
    assert plain["ParallelizationFactor"] == 2
    assert plain["EventSourceArn"] == out["GlobalStream"]
    assert out["GlobalArn"].endswith(f":table/{out['Global']}")
    assert out["GlobalStream"].startswith(out["GlobalArn"] + "/stream/")
    assert len(out["GlobalId"]) == 36
    tags = ddb.list_tags_of_resource(ResourceArn=out["GlobalArn"])["Tags"]
    assert tags == [{"Key": "team", "Value": "photos"}]

    cfn.update_stack(
        StackName=name,
        UsePreviousTemplate=True,
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
        Parameters=[
            {"ParameterKey": "Out", "UsePreviousValue": True},
            {"ParameterKey": "Retries", "ParameterValue": "7"},
        ],
    )
    wait(cfn, name, "stack_update_complete")
    assert lambda_client.get_event_source_mapping(UUID=out["Mapping"])["MaximumRetryAttempts"] == 7

    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")
    found = lambda_client.list_event_source_mappings(EventSourceArn=out["GlobalStream"])
    assert found["EventSourceMappings"] == []


def test_policy_templates_are_expanded_and_recorded(cfn: Any, shared_dir: Path) -> None:
    """Every SAM policy template deploys (never refused) and the role keeps the IAM
    statements SAM expands it to, shown in the processed template."""
    name = create(
        cfn, STACK, Parameters=[{"ParameterKey": "Out", "ParameterValue": str(shared_dir)}]
    )
    processed = cfn.get_template(StackName=name, TemplateStage="Processed")["TemplateBody"]
    body = processed if isinstance(processed, dict) else json.loads(processed)
    role = body["Resources"]["WorkerRole"]
    text = json.dumps(role)
    resources = {
        r["LogicalResourceId"]: r["ResourceStatus"]
        for r in cfn.describe_stack_resources(StackName=name)["StackResources"]
    }

    assert describe(cfn, name)["StackStatus"] == "CREATE_COMPLETE"
    assert resources["WorkerRole"] == "CREATE_COMPLETE"
    for action in (
        "dynamodb:PutItem", "dynamodb:GetRecords", "s3:GetObject", "s3:PutObject",
        "sqs:SendMessage", "sns:Publish", "events:PutEvents", "states:StartExecution",
    ):  # fmt: skip
        assert action in text, action
    names = [p["PolicyName"] for p in role["Properties"]["Policies"]]
    assert "WorkerRolePolicy0" in names
    assert any(
        "AWSLambdaDynamoDBExecutionRole" in json.dumps(a)
        for a in role["Properties"]["ManagedPolicyArns"]
    )
    cfn.delete_stack(StackName=name)


def test_a_global_table_in_another_region_is_refused(cfn: Any) -> None:
    """Replicas outside this server's region fail the resource with the reason."""
    body = template(
        """
        Resources:
          Global:
            Type: AWS::DynamoDB::GlobalTable
            Properties:
              BillingMode: PAY_PER_REQUEST
              KeySchema: [{AttributeName: id, KeyType: HASH}]
              AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
              Replicas: [{Region: us-east-1}, {Region: eu-west-1}]
        """
    )
    name = create(cfn, body, wait=None)
    with pytest.raises(WaiterError):
        wait(cfn, name, "stack_create_complete")
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    reasons = " ".join(e.get("ResourceStatusReason", "") for e in events)
    assert "eu-west-1" in reasons
    assert "one region" in reasons
