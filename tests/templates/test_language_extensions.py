"""AWS::LanguageExtensions in stacks (boto3 against the real server): Fn::ForEach, Fn::Length,
Fn::ToJsonString and a DeletionPolicy from a parameter."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.templates.test_stacks import create, outputs, physical_id, template, wait

LOOPS = template(
    """
    Transform: AWS::LanguageExtensions
    Parameters:
      Names:
        Type: CommaDelimitedList
        Default: "orders,pay-ments"
      Keep:
        Type: String
        Default: Delete
    Resources:
      Fn::ForEach::Queues:
        - Name
        - !Ref Names
        - "Queue&{Name}":
            Type: AWS::SQS::Queue
            DeletionPolicy: !Ref Keep
            Properties:
              Tags:
                - Key: name
                  Value: !Ref Name
                - Key: label
                  Value: !Sub "q-${Name}"
    Outputs:
      Count:
        Value: !Length
          Ref: Names
      Json:
        Value: !ToJsonString {names: !Ref Names}
      Fn::ForEach::Urls:
        - Name
        - [orders]
        - "Url${Name}":
            Value: !Ref Queueorders
    """
)


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


def test_for_each_length_and_to_json_string(cfn: Any, sqs: Any) -> None:
    name = create(cfn, LOOPS)

    ids = sorted(
        r["LogicalResourceId"]
        for r in cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]
    )
    assert ids == ["Queueorders", "Queuepayments"]
    tags = sqs.list_queue_tags(QueueUrl=physical_id(cfn, name, "Queuepayments"))["Tags"]
    assert tags == {"name": "pay-ments", "label": "q-pay-ments"}
    found = outputs(cfn, name)
    assert found["Count"] == "2"
    assert json.loads(found["Json"]) == {"names": ["orders", "pay-ments"]}
    assert found["Urlorders"] == physical_id(cfn, name, "Queueorders")


def test_deletion_policy_from_a_parameter(cfn: Any, sqs: Any) -> None:
    name = create(cfn, LOOPS, Parameters=[{"ParameterKey": "Keep", "ParameterValue": "Retain"}])
    urls = [physical_id(cfn, name, q) for q in ("Queueorders", "Queuepayments")]

    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")

    for url in urls:  # retained
        assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
        sqs.delete_queue(QueueUrl=url)


def test_a_bad_loop_is_refused_with_where_it_is(cfn: Any) -> None:
    body = LOOPS.replace("- !Ref Names", "- {NotAList: 1}")
    with pytest.raises(ClientError) as refused:
        create(cfn, body, wait=None)
    message = refused.value.response["Error"]["Message"]
    assert "Fn::ForEach::Queues's collection must be a list" in message
