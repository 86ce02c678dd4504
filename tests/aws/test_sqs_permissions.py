"""SQS's remaining operations and limits over the wire: AddPermission / RemovePermission
(statements of the Policy attribute), QueueDeletedRecently and ReceiveRequestAttemptId, in
both protocols against a real server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.aws.test_sqs_api import client, query_sqs, sqs, unique

__all__ = ["client", "query_sqs", "sqs"]  # fixtures shared with test_sqs_api


def code(caught: pytest.ExceptionInfo[ClientError]) -> str:
    return str(caught.value.response["Error"]["Code"])


def policy_of(client: Any, url: str) -> dict[str, Any] | None:
    found = client.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])
    raw = found.get("Attributes", {}).get("Policy")
    return json.loads(raw) if raw else None


def test_add_permission_writes_aws_policy_statements(client):
    """AddPermission adds a statement named by its label to the Policy attribute, in AWS's
    shape; RemovePermission takes it out, and the Policy goes with the last statement."""
    url = client.create_queue(QueueName=unique("shared"))["QueueUrl"]
    arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    arn = arn["Attributes"]["QueueArn"]
    client.add_permission(
        QueueUrl=url, Label="AliceSend", AWSAccountIds=["111122223333"], Actions=["SendMessage"]
    )
    client.add_permission(
        QueueUrl=url,
        Label="BobAll",
        AWSAccountIds=["111122223333", "444455556666"],
        Actions=["ReceiveMessage", "DeleteMessage"],
    )
    both = policy_of(client, url)
    client.remove_permission(QueueUrl=url, Label="AliceSend")
    one = policy_of(client, url)
    client.remove_permission(QueueUrl=url, Label="BobAll")
    none = policy_of(client, url)

    assert both is not None
    assert one is not None
    assert both["Version"] == "2008-10-17"
    assert both["Id"] == f"{arn}/SQSDefaultPolicy"
    assert both["Statement"][0] == {
        "Sid": "AliceSend",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "SQS:SendMessage",
        "Resource": arn,
    }
    assert both["Statement"][1]["Principal"] == {
        "AWS": ["arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:root"]
    }
    assert both["Statement"][1]["Action"] == ["SQS:ReceiveMessage", "SQS:DeleteMessage"]
    assert [s["Sid"] for s in one["Statement"]] == ["BobAll"]
    assert none is None


def test_permission_errors_are_aws_errors(client):
    """A label used twice, an unknown label, an owner-only action, too many actions and a
    missing queue fail with AWS's codes."""
    url = client.create_queue(QueueName=unique("perm"))["QueueUrl"]
    grant: dict[str, Any] = {"AWSAccountIds": ["111122223333"], "Actions": ["*"]}
    client.add_permission(QueueUrl=url, Label="once", **grant)

    with pytest.raises(ClientError) as twice:
        client.add_permission(QueueUrl=url, Label="once", **grant)
    with pytest.raises(ClientError) as unknown:
        client.remove_permission(QueueUrl=url, Label="never")
    with pytest.raises(ClientError) as owner_only:
        client.add_permission(
            QueueUrl=url, Label="x", AWSAccountIds=["111122223333"], Actions=["CreateQueue"]
        )
    with pytest.raises(client.exceptions.OverLimit):
        client.add_permission(
            QueueUrl=url,
            Label="many",
            AWSAccountIds=["111122223333"],
            Actions=[
                "SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility",
                "GetQueueAttributes", "GetQueueUrl", "PurgeQueue", "ListQueueTags",
            ],
        )  # fmt: skip
    with pytest.raises(ClientError) as bad_label:
        client.add_permission(QueueUrl=url, Label="no spaces", **grant)
    with pytest.raises(client.exceptions.QueueDoesNotExist):
        client.add_permission(QueueUrl=url + "-gone", Label="y", **grant)

    assert "Already exists" in twice.value.response["Error"]["Message"]
    assert code(twice) == code(unknown) == code(owner_only) == code(bad_label)
    assert code(twice) in ("InvalidParameterValue", "InvalidParameterValueException")
    assert [s["Sid"] for s in (policy_of(client, url) or {})["Statement"]] == ["once"]


def test_a_deleted_name_is_refused_for_60_seconds(client):
    """CreateQueue with the name of a queue deleted a moment ago fails with
    QueueDeletedRecently (botocore's exception class, AWS's query code)."""
    name = unique("again")
    url = client.create_queue(QueueName=name)["QueueUrl"]
    client.delete_queue(QueueUrl=url)

    with pytest.raises(client.exceptions.QueueDeletedRecently) as caught:
        client.create_queue(QueueName=name)
    assert code(caught) in ("QueueDeletedRecently", "AWS.SimpleQueueService.QueueDeletedRecently")
    assert "60 seconds" in caught.value.response["Error"]["Message"]


def test_retried_fifo_receive_returns_the_same_messages(client):
    """A FIFO receive retried with its ReceiveRequestAttemptId answers the same messages and
    receipt handles; a new attempt id gets nothing while the group is in flight; once a
    message is deleted the retry is a fresh receive."""
    url = client.create_queue(
        QueueName=unique("attempt") + ".fifo",
        Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
    )["QueueUrl"]
    for body in ("1", "2", "3"):
        client.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g")
    receive: dict[str, Any] = {"QueueUrl": url, "MaxNumberOfMessages": 2}
    first = client.receive_message(ReceiveRequestAttemptId="try-1", **receive)["Messages"]
    retried = client.receive_message(ReceiveRequestAttemptId="try-1", **receive)["Messages"]
    other = client.receive_message(ReceiveRequestAttemptId="try-2", **receive)
    for message in first:
        client.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    after = client.receive_message(ReceiveRequestAttemptId="try-1", **receive)["Messages"]

    assert [m["Body"] for m in first] == ["1", "2"]
    assert [(m["MessageId"], m["ReceiptHandle"]) for m in retried] == [
        (m["MessageId"], m["ReceiptHandle"]) for m in first
    ]
    assert "Messages" not in other
    assert [m["Body"] for m in after] == ["3"]
    with pytest.raises(ClientError):
        client.receive_message(ReceiveRequestAttemptId="bad id", **receive)
