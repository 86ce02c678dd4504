"""DescribeStackEvents and DescribeEvents (events grouped by operation) over boto3."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError, WaiterError
from tests.templates.test_stacks import CAPABILITIES, create, describe, stack_name, wait


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


def queues(*names: str) -> str:
    return json.dumps(
        {
            "Resources": {
                logical: {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": name}}
                for logical, name in zip(("First", "Second"), names, strict=False)
            }
        }
    )


def test_events_are_grouped_by_operation_with_its_status(cfn: Any) -> None:
    name = create(cfn, queues(f"{stack_name('ops')}-a"))
    cfn.update_stack(
        StackName=name,
        TemplateBody=queues(f"{name}-b", "not a valid name!"),
        Capabilities=CAPABILITIES,
    )
    with pytest.raises(WaiterError):
        wait(cfn, name, "stack_update_complete")
    stack_id = describe(cfn, name)["StackId"]

    stack_events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    assert all(e["OperationId"] for e in stack_events)
    events = cfn.describe_events(StackName=name)["OperationEvents"]
    assert [e["EventId"] for e in events] == [e["EventId"] for e in stack_events]
    operations = {}
    for event in events:
        operations.setdefault(event["OperationId"], event)
    kinds = [(e["OperationType"], e["OperationStatus"]) for e in reversed(operations.values())]
    assert kinds == [
        ("CREATE_STACK", "SUCCESS"),
        ("UPDATE_STACK", "FAILED"),
        ("ROLLBACK", "SUCCESS"),
    ]
    update = next(e["OperationId"] for e in events if e["OperationType"] == "UPDATE_STACK")

    failed = cfn.describe_events(OperationId=update, Filters={"FailedEvents": True})
    errors = failed["OperationEvents"]
    assert {e["OperationId"] for e in errors} == {update}
    assert {e["StackId"] for e in errors} == {stack_id}
    resource = next(e for e in errors if e["LogicalResourceId"] == "Second")
    assert resource["EventType"] == "PROVISIONING_ERROR"
    assert resource["ResourceStatus"] == "CREATE_FAILED"
    assert resource["ResourceStatusReason"]
    stack_level = [e for e in events if e["LogicalResourceId"] == name]
    assert {e["EventType"] for e in stack_level} == {"STACK_EVENT"}


def test_each_event_is_later_than_the_one_before(cfn: Any) -> None:
    """Tools sort the events they print by Timestamp (the CDK does): no two of a stack tie at
    the wire's millisecond, so that order is the order they happened in."""
    name = create(cfn, queues(f"{stack_name('order')}-a", f"{stack_name('order')}-b"))
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")
    stack_id = describe_deleted(cfn, name)

    events = cfn.describe_stack_events(StackName=stack_id)["StackEvents"]  # newest first

    assert len(events) >= 10
    stamps = [e["Timestamp"] for e in events]
    assert all(later > earlier for later, earlier in itertools.pairwise(stamps))


def describe_deleted(cfn: Any, name: str) -> str:
    summaries = cfn.list_stacks(StackStatusFilter=["DELETE_COMPLETE"])["StackSummaries"]
    return str(next(s["StackId"] for s in summaries if s["StackName"] == name))


def test_describe_events_needs_something_to_describe(cfn: Any) -> None:
    with pytest.raises(ClientError, match="One of ChangeSetName, OperationId or StackName"):
        cfn.describe_events()
    with pytest.raises(ClientError, match="does not exist"):
        cfn.describe_events(OperationId="00000000-0000-0000-0000-000000000000")


def test_stack_events_are_published_to_the_notification_topics(server: Any, cfn: Any) -> None:
    sns, sqs = server.client("sns"), server.client("sqs")
    topic = sns.create_topic(Name=stack_name("news"))["TopicArn"]
    url = sqs.create_queue(QueueName=stack_name("news-inbox"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    name = create(cfn, queues(f"{stack_name('notified')}-a"), NotificationARNs=[topic])
    assert describe(cfn, name)["NotificationARNs"] == [topic]
    received: list[dict[str, Any]] = []
    for _ in range(20):
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        received += [json.loads(m["Body"]) for m in got.get("Messages", [])]
        if any(
            "ResourceStatus='CREATE_COMPLETE'" in m["Message"]
            and f"LogicalResourceId='{name}'" in m["Message"]
            for m in received
        ):
            break
    assert {m["Subject"] for m in received} == {"AWS CloudFormation Notification"}
    texts = [m["Message"] for m in received]
    assert any(
        f"LogicalResourceId='{name}'\n" in t and "ResourceStatus='CREATE_COMPLETE'" in t
        for t in texts
    )
    assert any(
        "LogicalResourceId='First'\n" in t and "ResourceType='AWS::SQS::Queue'" in t for t in texts
    )

    cfn.update_stack(StackName=name, UsePreviousTemplate=True, NotificationARNs=[])
    wait(cfn, name, "stack_update_complete")
    assert "NotificationARNs" not in describe(cfn, name)
