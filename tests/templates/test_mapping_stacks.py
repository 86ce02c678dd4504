"""Event source mappings in stacks: SAM's SQS event and AWS::Lambda::EventSourceMapping,
deployed, consuming their queue, updated in place and deleted with the stack."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.conftest import wait_for
from tests.mappings.test_polling import bodies
from tests.templates.test_stacks import create, outputs, template, wait

SAM = template(
    """
    Transform: AWS::Serverless-2016-10-31
    Parameters:
      Out:
        Type: String
      Batch:
        Type: Number
        Default: 5
    Resources:
      Work:
        Type: AWS::SQS::Queue
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
                return {"batchItemFailures": []}
          Events:
            FromQueue:
              Type: SQS
              Properties:
                Queue: !GetAtt Work.Arn
                BatchSize: !Ref Batch
                FunctionResponseTypes: [ReportBatchItemFailures]
    Outputs:
      Mapping:
        Value: !Ref WorkerFromQueue
      Url:
        Value: !Ref Work
    """
)

PLAIN = template(
    """
    Resources:
      Work:
        Type: AWS::SQS::Queue
      Fn:
        Type: AWS::Lambda::Function
        Properties:
          Runtime: python3.11
          Handler: index.handler
          Role: arn:aws:iam::000000000000:role/lambda-role
          Code:
            ZipFile: |
              def handler(event, context):
                  return None
      Mapping:
        Type: AWS::Lambda::EventSourceMapping
        Properties:
          EventSourceArn: !GetAtt Work.Arn
          FunctionName: !Ref Fn
          BatchSize: 20
          MaximumBatchingWindowInSeconds: 1
          Enabled: false
    Outputs:
      Id:
        Value: !Ref Mapping
      IdAttribute:
        Value: !GetAtt Mapping.Id
      Arn:
        Value: !GetAtt Mapping.EventSourceMappingArn
    """
)


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


def test_sam_sqs_event_consumes_the_queue(server, cfn, lambda_client, shared_dir):
    """SAM's SQS event becomes a mapping (Ref = its UUID) that feeds the function; a new
    BatchSize updates it in place; deleting the stack deletes it."""
    sqs = server.client("sqs")
    parameters = [{"ParameterKey": "Out", "ParameterValue": str(shared_dir)}]
    name = create(cfn, SAM, Parameters=parameters)
    made = outputs(cfn, name)
    mapping = lambda_client.get_event_source_mapping(UUID=made["Mapping"])
    sqs.send_message(QueueUrl=made["Url"], MessageBody="from the template")

    assert wait_for(lambda: bodies(shared_dir) == ["from the template"], timeout=30)
    assert mapping["State"] == "Enabled"
    assert mapping["BatchSize"] == 5
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["FunctionArn"].split(":")[-1].startswith(f"{name}-Worker")

    cfn.update_stack(
        StackName=name,
        TemplateBody=SAM,
        Parameters=[*parameters, {"ParameterKey": "Batch", "ParameterValue": "7"}],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    wait(cfn, name, "stack_update_complete")
    updated = lambda_client.get_event_source_mapping(UUID=made["Mapping"])
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")

    assert updated["BatchSize"] == 7
    with pytest.raises(ClientError) as gone:
        lambda_client.get_event_source_mapping(UUID=made["Mapping"])
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_event_source_mapping_resource(server, cfn, lambda_client):
    """AWS::Lambda::EventSourceMapping: Ref and GetAtt Id are the UUID, GetAtt
    EventSourceMappingArn its ARN; the template's settings are the mapping's."""
    name = create(cfn, PLAIN)
    made = outputs(cfn, name)
    mapping = lambda_client.get_event_source_mapping(UUID=made["Id"])
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")

    assert made["IdAttribute"] == made["Id"]
    assert made["Arn"] == mapping["EventSourceMappingArn"]
    assert mapping["State"] == "Disabled"
    assert mapping["BatchSize"] == 20
    assert mapping["MaximumBatchingWindowInSeconds"] == 1
