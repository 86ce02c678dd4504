"""Universal targets (arn:aws:scheduler:::aws-sdk:<service>:<apiAction>): a schedule calls an
API action of a served service with its Input as the request parameters, in process; the
action's errors reach the schedule's dead-letter queue; read-only and unserved actions are
refused at CreateSchedule. The clock is the server's ManualClock."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.conftest import make_queue, unique, wait_for
from tests.schedules.test_firing import OFF, ROLE, _at, _receive, scheduler

__all__ = ["scheduler"]  # the fixture shared with test_firing

UNIVERSAL = "arn:aws:scheduler:::aws-sdk:"


def test_universal_targets_call_served_actions(server, scheduler, sqs):
    """sqs:sendMessage, dynamodb:putItem and ssm:putParameter run with the Input as their
    parameters (blobs and nested members as the SDKs send them)."""
    url, _ = make_queue(sqs)
    dynamodb, ssm = server.client("dynamodb"), server.client("ssm")
    table = unique("sched")
    dynamodb.create_table(
        TableName=table, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )  # fmt: skip
    parameter = "/" + unique("sched")
    topic = server.client("sns").create_topic(Name=unique("sched"))["TopicArn"]
    topic_queue_url, topic_queue = make_queue(sqs)
    server.client("sns").subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=topic_queue,
        Attributes={"RawMessageDelivery": "true"},
    )  # fmt: skip
    expression, moment = _at(server, 60)
    attribute = {"DataType": "String", "StringValue": "v"}
    item = {"id": {"S": "1"}, "at": {"S": "<aws.scheduler.scheduled-time>"}}
    calls = {
        "sqs:sendMessage": {
            "QueueUrl": url, "MessageBody": "from a schedule", "MessageAttributes": {"k": attribute}
        },
        "dynamodb:putItem": {"TableName": table, "Item": item},
        "ssm:putParameter": {"Name": parameter, "Value": "set", "Type": "String"},
        "sns:publish": {"TopicArn": topic, "Message": "to the topic"},
    }  # fmt: skip
    for action, params in calls.items():
        scheduler.create_schedule(
            Name=unique("sdk"), ScheduleExpression=expression, FlexibleTimeWindow=OFF,
            Target={"Arn": UNIVERSAL + action, "RoleArn": ROLE, "Input": json.dumps(params)},
        )  # fmt: skip

    server.advance(moment - server.clock.now())
    messages = _receive(sqs, url, wait=5, MessageAttributeNames=["All"])
    assert wait_for(lambda: "Item" in dynamodb.get_item(TableName=table, Key={"id": {"S": "1"}}))
    item = dynamodb.get_item(TableName=table, Key={"id": {"S": "1"}})["Item"]

    assert [m["Body"] for m in messages] == ["from a schedule"]
    assert messages[0]["MessageAttributes"]["k"]["StringValue"] == "v"
    assert item["at"]["S"].endswith("Z")
    assert ssm.get_parameter(Name=parameter)["Parameter"]["Value"] == "set"
    assert [m["Body"] for m in _receive(sqs, topic_queue_url, wait=5)] == ["to the topic"]


def test_a_failing_action_goes_to_the_dead_letter_queue(server, scheduler, sqs):
    """An action that fails (a queue that does not exist, a parameter the API does not take)
    sends the Input to the schedule's DLQ with the error, as other targets do."""
    dlq_url, dlq = make_queue(sqs)
    expression, moment = _at(server, 60)
    inputs = [
        {"QueueUrl": f"{server.endpoint_url}/000000000000/no-such-queue", "MessageBody": "x"},
        {"QueueUrl": f"{server.endpoint_url}/000000000000/any", "Bogus": 1},
    ]
    for params in inputs:
        scheduler.create_schedule(
            Name=unique("sdkfail"), ScheduleExpression=expression, FlexibleTimeWindow=OFF,
            Target={"Arn": UNIVERSAL + "sqs:sendMessage", "RoleArn": ROLE,
                    "Input": json.dumps(params), "DeadLetterConfig": {"Arn": dlq},
                    "RetryPolicy": {"MaximumRetryAttempts": 0}},
        )  # fmt: skip

    server.advance(moment - server.clock.now())
    letters: list[dict[str, Any]] = []
    assert wait_for(
        lambda: (
            letters.extend(_receive(sqs, dlq_url, MessageAttributeNames=["All"]))
            or len(letters) >= 2
        )
    )

    assert sorted(json.loads(m["Body"]).get("MessageBody", "") for m in letters) == ["", "x"]
    codes = {m["MessageAttributes"]["ERROR_CODE"]["StringValue"] for m in letters}
    assert all(code.startswith("AWS.Scheduler.") for code in codes)


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("sqs:receiveMessage", "read-only"),
        ("dynamodb:getItem", "read-only"),
        ("ec2:runInstances", "not supported by Stratus"),
        ("sqs", "expected arn:aws:scheduler:::aws-sdk"),
    ],
)
def test_unusable_universal_targets_are_refused(scheduler, action, message):
    """Read-only actions (AWS refuses them) and services Stratus does not serve are
    ValidationException at CreateSchedule."""
    with pytest.raises(ClientError) as caught:
        scheduler.create_schedule(
            Name=unique("bad"), ScheduleExpression="rate(1 hour)", FlexibleTimeWindow=OFF,
            Target={"Arn": UNIVERSAL + action, "RoleArn": ROLE, "Input": "{}"},
        )  # fmt: skip

    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert message in caught.value.response["Error"]["Message"]
