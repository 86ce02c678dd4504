"""SQS over the wire: boto3 (JSON protocol) and a botocore client built on SQS's query
model (the protocol older SDKs speak), against a real server."""

from __future__ import annotations

import itertools
import json
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from stratus.aws import sqs_models
from stratus.testing import RunningServer

_names = itertools.count()


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_names)}-{int(time.time() * 1000) % 10**8}"


@pytest.fixture(scope="module")
def sqs(server: RunningServer) -> Any:
    return server.client("sqs")


@pytest.fixture(scope="module")
def query_sqs(server: RunningServer, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A botocore client whose SQS model is the query protocol's (as botocore < 1.31.81)."""
    data: Path = tmp_path_factory.mktemp("models")
    folder = data / "sqs" / "2012-11-05"
    folder.mkdir(parents=True)
    (folder / "service-2.json").write_text(json.dumps(sqs_models.query_model_data()))
    session = botocore.session.get_session()
    session.get_component("data_loader").search_paths.insert(0, str(data))
    client = session.create_client(
        "sqs",
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )
    assert client.meta.service_model.protocol == "query"
    return client


@pytest.fixture(params=["json", "query"])
def client(request: pytest.FixtureRequest, sqs: Any, query_sqs: Any) -> Any:
    return sqs if request.param == "json" else query_sqs


def test_round_trip_with_attributes(client):
    """Send, receive with every attribute, delete: both protocols, AWS's answer shapes."""
    url = client.create_queue(QueueName=unique("trip"))["QueueUrl"]
    sent = client.send_message(
        QueueUrl=url,
        MessageBody="héllo ✓",
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "greeting"},
            "count": {"DataType": "Number.int", "StringValue": "3"},
            "raw": {"DataType": "Binary", "BinaryValue": b"\x00\xff"},
        },
        MessageSystemAttributes={
            "AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-abc"}
        },
    )
    got = client.receive_message(
        QueueUrl=url, MessageAttributeNames=["All"], AttributeNames=["All"]
    )["Messages"]
    client.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    after = client.receive_message(QueueUrl=url)

    assert url.endswith(f"/000000000000/{url.rsplit('/', 1)[1]}")
    assert sent["MD5OfMessageAttributes"] == got[0]["MD5OfMessageAttributes"]
    assert sent["MD5OfMessageSystemAttributes"]
    assert got[0]["Body"] == "héllo ✓"
    assert got[0]["MessageId"] == sent["MessageId"]
    assert got[0]["MessageAttributes"]["raw"] == {"DataType": "Binary", "BinaryValue": b"\x00\xff"}
    assert got[0]["MessageAttributes"]["count"]["StringValue"] == "3"
    assert got[0]["Attributes"]["ApproximateReceiveCount"] == "1"
    assert got[0]["Attributes"]["AWSTraceHeader"] == "Root=1-abc"
    assert set(got[0]["Attributes"]) >= {
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    }
    assert "Messages" not in after


def test_queue_does_not_exist_maps_to_its_exception(client):
    """An unknown queue is QueueDoesNotExist with AWS's legacy code, in both protocols."""
    with pytest.raises(client.exceptions.QueueDoesNotExist) as caught:
        client.get_queue_url(QueueName=unique("missing"))

    assert caught.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"


def test_create_queue_conflicts_and_attributes(client):
    """CreateQueue is idempotent with equal attributes; different ones are QueueNameExists;
    GetQueueAttributes answers AWS's defaults and counts."""
    name = unique("attrs")
    url = client.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "45"})["QueueUrl"]
    same = client.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "45"})["QueueUrl"]
    client.send_message(QueueUrl=url, MessageBody="a")
    client.send_message(QueueUrl=url, MessageBody="b", DelaySeconds=60)
    attributes = client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]

    assert same == url
    with pytest.raises(client.exceptions.QueueNameExists):
        client.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "46"})
    assert attributes["VisibilityTimeout"] == "45"
    assert attributes["MaximumMessageSize"] == "1048576"
    assert attributes["MessageRetentionPeriod"] == "345600"
    assert attributes["ApproximateNumberOfMessages"] == "1"
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"
    assert attributes["QueueArn"] == f"arn:aws:sqs:us-east-1:000000000000:{name}"


def test_bad_attributes_are_refused(client):
    """Out-of-range or unknown attributes get SQS's errors."""
    url = client.create_queue(QueueName=unique("names"))["QueueUrl"]
    with pytest.raises(ClientError) as caught:
        client.get_queue_attributes(QueueUrl=url, AttributeNames=["Bogus"])
    assert caught.value.response["Error"]["Code"] == "InvalidAttributeName"
    with pytest.raises(ClientError) as caught:
        client.set_queue_attributes(QueueUrl=url, Attributes={"QueueArn": "x"})
    assert caught.value.response["Error"]["Message"] == "Unknown Attribute QueueArn."
    with pytest.raises(ClientError) as caught:
        client.create_queue(QueueName=unique("bad"), Attributes={"DelaySeconds": "901"})
    assert caught.value.response["Error"]["Code"] == "InvalidAttributeValue"
    with pytest.raises(ClientError) as caught:
        client.create_queue(QueueName=unique("bad"), Attributes={"FifoQueue": "true"})
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_batches_report_entries_and_refuse_bad_batches(client):
    """A batch answers per entry; a batch that breaks the batch rules fails whole."""
    url = client.create_queue(QueueName=unique("batch"))["QueueUrl"]
    answer = client.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "good", "MessageBody": "fine"},
            {"Id": "bad", "MessageBody": "nul \x00 inside"},
        ],
    )
    eleven = [{"Id": str(i), "MessageBody": "x"} for i in range(11)]

    assert [e["Id"] for e in answer["Successful"]] == ["good"]
    assert answer["Failed"][0]["Id"] == "bad"
    assert answer["Failed"][0]["Code"] == "InvalidMessageContents"
    assert answer["Failed"][0]["SenderFault"] is True
    with pytest.raises(client.exceptions.TooManyEntriesInBatchRequest):
        client.send_message_batch(QueueUrl=url, Entries=eleven)
    with pytest.raises(client.exceptions.BatchEntryIdsNotDistinct):
        client.send_message_batch(
            QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}]
        )
    with pytest.raises(client.exceptions.BatchRequestTooLong):
        client.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "MessageBody": "x" * 300_000} for i in range(4)],
        )


def test_receive_delete_and_change_visibility_in_batches(client):
    """Ten at a time: receive, change visibility for some, delete the rest."""
    url = client.create_queue(QueueName=unique("many"))["QueueUrl"]
    client.send_message_batch(
        QueueUrl=url, Entries=[{"Id": f"m{i}", "MessageBody": str(i)} for i in range(10)]
    )
    got = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    back = client.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "first", "ReceiptHandle": got[0]["ReceiptHandle"], "VisibilityTimeout": 0},
            {"Id": "nonsense", "ReceiptHandle": "not-a-handle", "VisibilityTimeout": 0},
        ],
    )
    deleted = client.delete_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got[1:])
        ],
    )
    again = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]

    assert sorted(m["Body"] for m in got) == sorted(str(i) for i in range(10))
    assert [e["Id"] for e in back["Successful"]] == ["first"]
    assert back["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
    assert len(deleted["Successful"]) == 9
    assert [m["Body"] for m in again] == [got[0]["Body"]]


def test_fifo_over_the_wire(client):
    """FIFO: order within a group, SequenceNumber, content-based deduplication."""
    url = client.create_queue(
        QueueName=unique("order") + ".fifo",
        Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
    )["QueueUrl"]
    first = client.send_message(QueueUrl=url, MessageBody="1", MessageGroupId="g")
    duplicate = client.send_message(QueueUrl=url, MessageBody="1", MessageGroupId="g")
    client.send_message(QueueUrl=url, MessageBody="2", MessageGroupId="g")
    got = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])

    assert first["MessageId"] == duplicate["MessageId"]
    assert len(first["SequenceNumber"]) == 20
    assert [m["Body"] for m in got["Messages"]] == ["1", "2"]
    assert got["Messages"][0]["Attributes"]["MessageGroupId"] == "g"
    with pytest.raises(ClientError) as caught:
        client.send_message(QueueUrl=url, MessageBody="x")
    assert caught.value.response["Error"]["Code"] == "MissingParameter"


def test_long_poll_is_answered_when_a_message_arrives(server, sqs):
    """A 20 s long poll returns within a fraction of a second of the send that feeds it."""
    import threading

    url = sqs.create_queue(QueueName=unique("poll"))["QueueUrl"]
    other = boto3.client(
        "sqs", endpoint_url=server.endpoint_url, region_name="us-east-1",
        aws_access_key_id="t", aws_secret_access_key="t",
    )  # fmt: skip
    sent_at: list[float] = []

    def send_later() -> None:
        time.sleep(0.5)
        sent_at.append(time.monotonic())
        other.send_message(QueueUrl=url, MessageBody="wake")

    thread = threading.Thread(target=send_later)
    thread.start()
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20)
    latency = time.monotonic() - sent_at[0]
    thread.join()

    assert [m["Body"] for m in got["Messages"]] == ["wake"]
    assert latency < 0.3


def test_long_poll_wakes_when_a_delayed_message_is_due(sqs):
    """A delayed message wakes a waiting long poll at its due time, not at the end."""
    url = sqs.create_queue(QueueName=unique("delay"))["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="soon", DelaySeconds=1)
    started = time.monotonic()
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10)
    took = time.monotonic() - started

    assert [m["Body"] for m in got["Messages"]] == ["soon"]
    assert 0.8 < took < 1.6


def test_dead_letter_queue_and_redrive(sqs):
    """maxReceiveCount moves a message to the DLQ; a move task brings it back."""
    dlq = sqs.create_queue(QueueName=unique("dlq"))["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    source = sqs.create_queue(
        QueueName=unique("src"),
        Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
        },
    )["QueueUrl"]
    sqs.send_message(QueueUrl=source, MessageBody="poison")
    assert len(sqs.receive_message(QueueUrl=source, VisibilityTimeout=0)["Messages"]) == 1
    assert "Messages" not in sqs.receive_message(QueueUrl=source)
    sources = sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"]
    dead = sqs.receive_message(QueueUrl=dlq, VisibilityTimeout=0)["Messages"]
    task = sqs.start_message_move_task(SourceArn=dlq_arn)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        tasks = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
        if tasks[0]["Status"] == "COMPLETED":
            break
        time.sleep(0.05)
    back = sqs.receive_message(QueueUrl=source, AttributeNames=["All"])["Messages"]

    assert sources == [source]
    assert [m["Body"] for m in dead] == ["poison"]
    assert task["TaskHandle"]
    assert tasks[0]["Status"] == "COMPLETED"
    assert tasks[0]["ApproximateNumberOfMessagesMoved"] == 1
    assert [m["Body"] for m in back] == ["poison"]
    assert back[0]["Attributes"]["ApproximateReceiveCount"] == "1"


def test_list_queues_tags_purge_delete(client):
    """ListQueues with prefix and pages, tags, PurgeQueue (once a minute), DeleteQueue."""
    prefix = unique("list")
    urls = [client.create_queue(QueueName=f"{prefix}-{i}")["QueueUrl"] for i in range(3)]
    page = client.list_queues(QueueNamePrefix=prefix, MaxResults=2)
    rest = client.list_queues(QueueNamePrefix=prefix, MaxResults=2, NextToken=page["NextToken"])
    client.tag_queue(QueueUrl=urls[0], Tags={"team": "a", "env": "dev"})
    client.untag_queue(QueueUrl=urls[0], TagKeys=["env"])
    tags = client.list_queue_tags(QueueUrl=urls[0])["Tags"]
    client.send_message(QueueUrl=urls[1], MessageBody="x")
    client.purge_queue(QueueUrl=urls[1])
    client.delete_queue(QueueUrl=urls[2])

    assert page["QueueUrls"] == urls[:2]
    assert rest["QueueUrls"] == urls[2:]
    assert tags == {"team": "a"}
    assert "Messages" not in client.receive_message(QueueUrl=urls[1])
    with pytest.raises(client.exceptions.PurgeQueueInProgress):
        client.purge_queue(QueueUrl=urls[1])
    with pytest.raises(client.exceptions.QueueDoesNotExist):
        client.send_message(QueueUrl=urls[2], MessageBody="x")


def test_size_and_range_limits(client):
    """Bodies past MaximumMessageSize, bad receive parameters: InvalidParameterValue."""
    url = client.create_queue(QueueName=unique("size"), Attributes={"MaximumMessageSize": "1024"})[
        "QueueUrl"
    ]

    client.send_message(QueueUrl=url, MessageBody="x" * 1024)
    for call in (
        lambda: client.send_message(QueueUrl=url, MessageBody="x" * 1025),
        lambda: client.receive_message(QueueUrl=url, MaxNumberOfMessages=11),
        lambda: client.receive_message(QueueUrl=url, WaitTimeSeconds=21),
        lambda: client.send_message(QueueUrl=url, MessageBody="x", DelaySeconds=901),
    ):
        with pytest.raises(ClientError) as caught:
            call()
        assert caught.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_query_requests_to_the_queue_url(server, sqs):
    """Older clients POST the form to the queue's URL without naming QueueUrl."""
    url = sqs.create_queue(QueueName=unique("path"))["QueueUrl"]
    form = urllib.parse.urlencode(
        {"Action": "SendMessage", "Version": "2012-11-05", "MessageBody": "by path"}
    ).encode()
    request = urllib.request.Request(
        url, data=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    with urllib.request.urlopen(request) as response:
        answer = response.read().decode()

    assert "<SendMessageResponse" in answer
    assert "<MD5OfMessageBody>" in answer
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "by path"


def test_long_poll_wakes_when_a_visibility_timeout_expires(sqs):
    """A message whose visibility expires wakes a waiting long poll at that moment."""
    url = sqs.create_queue(QueueName=unique("expire"))["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="again")
    sqs.receive_message(QueueUrl=url, VisibilityTimeout=1)
    started = time.monotonic()
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10, AttributeNames=["All"])
    took = time.monotonic() - started

    assert got["Messages"][0]["Attributes"]["ApproximateReceiveCount"] == "2"
    assert 0.7 < took < 1.6


def test_receipt_handles_belong_to_their_queue(client):
    """A receipt handle used on another queue is ReceiptHandleIsInvalid; a message not in
    flight cannot have its visibility changed."""
    one = client.create_queue(QueueName=unique("one"))["QueueUrl"]
    two = client.create_queue(QueueName=unique("two"))["QueueUrl"]
    client.send_message(QueueUrl=one, MessageBody="m")
    [message] = client.receive_message(QueueUrl=one, VisibilityTimeout=0)["Messages"]

    with pytest.raises(client.exceptions.ReceiptHandleIsInvalid):
        client.delete_message(QueueUrl=two, ReceiptHandle=message["ReceiptHandle"])
    with pytest.raises(client.exceptions.MessageNotInflight) as caught:
        client.change_message_visibility(
            QueueUrl=one, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=10
        )
    assert caught.value.response["Error"]["Code"] == "AWS.SimpleQueueService.MessageNotInflight"
