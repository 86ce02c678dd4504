"""AWS::SQS::Queue in stacks: created with its attributes, referred to by Ref and GetAtt,
updated in place, deleted with the stack."""

from __future__ import annotations

from typing import Any

import pytest
from tests.templates.test_stacks import create, outputs, template, wait

QUEUES = template(
    """
    Parameters:
      Visibility:
        Type: Number
        Default: 60
    Resources:
      Dead:
        Type: AWS::SQS::Queue
        Properties:
          FifoQueue: true
      Work:
        Type: AWS::SQS::Queue
        Properties:
          FifoQueue: true
          ContentBasedDeduplication: true
          VisibilityTimeout: !Ref Visibility
          RedrivePolicy:
            deadLetterTargetArn: !GetAtt Dead.Arn
            maxReceiveCount: 3
          Tags:
            - Key: team
              Value: orders
    Outputs:
      Url:
        Value: !Ref Work
      Arn:
        Value: !GetAtt Work.Arn
      Name:
        Value: !GetAtt Work.QueueName
      DeadUrl:
        Value: !GetAtt Dead.QueueUrl
    """
)


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


def test_queues_from_a_template(server, cfn):
    """Queues are made with the template's attributes, answer Ref/GetAtt as AWS does, change
    in place on update, and go with the stack."""
    sqs = server.client("sqs")
    name = create(cfn, QUEUES)
    made = outputs(cfn, name)
    attributes = sqs.get_queue_attributes(QueueUrl=made["Url"], AttributeNames=["All"])[
        "Attributes"
    ]
    sqs.send_message(QueueUrl=made["Url"], MessageBody="hello", MessageGroupId="g")
    cfn.update_stack(
        StackName=name,
        TemplateBody=QUEUES,
        Parameters=[{"ParameterKey": "Visibility", "ParameterValue": "90"}],
        Capabilities=["CAPABILITY_IAM"],
    )
    wait(cfn, name, "stack_update_complete")
    updated = sqs.get_queue_attributes(QueueUrl=made["Url"], AttributeNames=["VisibilityTimeout"])
    kept = sqs.receive_message(QueueUrl=made["Url"])["Messages"]
    tags = sqs.list_queue_tags(QueueUrl=made["Url"])["Tags"]
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")

    assert made["Name"].endswith(".fifo")
    assert made["Name"].startswith(f"{name}-Work-")
    assert made["Url"].endswith(f"/000000000000/{made['Name']}")
    assert made["Arn"] == f"arn:aws:sqs:us-east-1:000000000000:{made['Name']}"
    assert attributes["VisibilityTimeout"] == "60"
    assert attributes["FifoQueue"] == "true"
    assert attributes["RedrivePolicy"] == (
        f'{{"deadLetterTargetArn":"{attributes["QueueArn"].replace(made["Name"], "")}'
        f'{made["DeadUrl"].rsplit("/", 1)[1]}","maxReceiveCount":3}}'
    )
    assert updated["Attributes"]["VisibilityTimeout"] == "90"
    assert [m["Body"] for m in kept] == ["hello"]
    assert tags == {"team": "orders"}
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName=made["Name"])
