"""Pollers, end to end: messages sent with boto3 reach a real function through a mapping,
and the queue shows what was deleted, what came back and what went to its DLQ."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.conftest import create_function, make_queue, unique, wait_for

# Writes each event it gets to a file of its own in $OUT (environments run as different
# users: one cannot append to another's file); fails the messages whose body says so.
RECORDER = """
import json, os, time

def handler(event, context):
    name = f"{time.time_ns()}-{context.aws_request_id}.json"
    with open(os.path.join(os.environ["OUT"], name), "w") as out:
        out.write(json.dumps(event))
    failed = [r["messageId"] for r in event["Records"] if "fail" in r["body"]]
    mode = os.environ.get("MODE", "report")
    if mode == "raise" and failed:
        raise RuntimeError("a message failed")
    if mode == "unknown":
        return {"batchItemFailures": [{"itemIdentifier": "not-a-message-id"}]}
    return {"batchItemFailures": [{"itemIdentifier": i} for i in failed]}
"""


def events(out: Path) -> list[dict[str, Any]]:
    """The events the function got, in the order it got them."""
    found = []
    for path in sorted(out.glob("*.json"), key=lambda p: int(p.name.split("-")[0])):
        try:
            found.append(json.loads(path.read_text()))
        except ValueError:  # being written
            continue
    return found


def records(out: Path) -> list[dict[str, Any]]:
    return [r for e in events(out) for r in e["Records"]]


def bodies(out: Path) -> list[str]:
    return [r["body"] for r in records(out)]


def count(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def pollers(server: Any) -> dict[str, dict[str, int]]:
    """The running pollers' counters, from the server's /_stratus/mappings."""
    with urllib.request.urlopen(f"{server.endpoint_url}/_stratus/mappings") as response:
        found: dict[str, dict[str, int]] = json.load(response)
        return found


def recorder(deploy: Any, out: Path, **config: Any) -> str:
    variables = {"OUT": str(out), **config.pop("Variables", {})}
    return str(deploy(RECORDER, Environment={"Variables": variables}, **config))


def test_a_function_consumes_a_queue(server, sqs, lambda_client, deploy, shared_dir):
    """Every message reaches the function once, in AWS's record shape, and is deleted."""
    url, arn = make_queue(sqs)
    out = shared_dir
    name = recorder(deploy, out)
    uuid = lambda_client.create_event_source_mapping(EventSourceArn=arn, FunctionName=name)["UUID"]
    sqs.send_message(
        QueueUrl=url,
        MessageBody="first",
        MessageAttributes={
            "colour": {"DataType": "String", "StringValue": "red"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    for start in range(0, 20, 10):
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "MessageBody": f"m{start + i}"} for i in range(10)],
        )

    assert wait_for(lambda: len(bodies(out)) >= 21, timeout=30)
    assert wait_for(lambda: count(sqs, url) == 0, timeout=10)
    lambda_client.delete_event_source_mapping(UUID=uuid)

    assert sorted(bodies(out)) == sorted(["first", *(f"m{i}" for i in range(20))])
    assert all(len(e["Records"]) <= 10 for e in events(out))
    first = next(r for r in records(out) if r["body"] == "first")
    assert set(first) == {
        "messageId", "receiptHandle", "body", "attributes", "messageAttributes",
        "md5OfMessageAttributes", "md5OfBody", "eventSource", "eventSourceARN", "awsRegion",
    }  # fmt: skip
    assert first["eventSource"] == "aws:sqs"
    assert first["eventSourceARN"] == arn
    assert first["awsRegion"] == "us-east-1"
    assert first["md5OfBody"] == "8b04d5e3775d298e78455efc5ca404d5"
    assert set(first["attributes"]) >= {
        "ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp",
    }  # fmt: skip
    assert first["attributes"]["ApproximateReceiveCount"] == "1"
    assert first["messageAttributes"] == {
        "colour": {
            "stringValue": "red",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        },
        "blob": {
            "binaryValue": "AAE=",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Binary",
        },
    }
    plain = next(r for r in records(out) if r["body"] == "m0")
    assert "md5OfMessageAttributes" not in plain
    assert plain["messageAttributes"] == {}


def test_partial_batch_failures_and_the_dead_letter_queue(
    server, sqs, lambda_client, deploy, shared_dir
):
    """With ReportBatchItemFailures only the messages the function names come back; after
    maxReceiveCount receives they are in the queue's own DLQ, the rest were deleted once."""
    dlq_url, dlq_arn = make_queue(sqs)
    url, arn = make_queue(
        sqs,
        VisibilityTimeout="2",
        RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}),
    )
    out = shared_dir
    name = recorder(deploy, out, Timeout=2)
    uuid = lambda_client.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName=name,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )["UUID"]
    sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "1", "MessageBody": "ok-1"},
            {"Id": "2", "MessageBody": "fail-2"},
            {"Id": "3", "MessageBody": "ok-3"},
        ],
    )

    assert wait_for(lambda: count(sqs, dlq_url) == 1, timeout=40)
    assert wait_for(lambda: count(sqs, url) == 0, timeout=10)
    lambda_client.delete_event_source_mapping(UUID=uuid)

    seen = bodies(out)
    assert seen.count("ok-1") == 1
    assert seen.count("ok-3") == 1
    assert seen.count("fail-2") == 2  # maxReceiveCount
    dead = sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in dead] == ["fail-2"]


def test_an_unknown_item_identifier_fails_the_whole_batch(
    server, sqs, lambda_client, deploy, shared_dir
):
    """An itemIdentifier that names no message of the batch fails all of it: every message
    is received again."""
    url, arn = make_queue(sqs, VisibilityTimeout="2")
    out = shared_dir
    name = recorder(deploy, out, Timeout=2, Variables={"MODE": "unknown"})
    uuid = lambda_client.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName=name,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )["UUID"]
    sqs.send_message(QueueUrl=url, MessageBody="ok-alone")

    assert wait_for(lambda: bodies(out).count("ok-alone") >= 2, timeout=30)
    lambda_client.delete_event_source_mapping(UUID=uuid)

    counts = [r["attributes"]["ApproximateReceiveCount"] for r in records(out)]
    assert counts[:2] == ["1", "2"]


def test_a_function_error_returns_the_batch(server, sqs, lambda_client, deploy, shared_dir):
    """A function that raises deletes nothing: the batch comes back after the visibility
    timeout (and is deleted once the function succeeds... here, never)."""
    url, arn = make_queue(sqs, VisibilityTimeout="2")
    out = shared_dir
    name = recorder(deploy, out, Timeout=2, Variables={"MODE": "raise"})
    uuid = lambda_client.create_event_source_mapping(EventSourceArn=arn, FunctionName=name)["UUID"]
    sqs.send_message(QueueUrl=url, MessageBody="fail-always")

    assert wait_for(lambda: bodies(out).count("fail-always") >= 2, timeout=30)
    lambda_client.delete_event_source_mapping(UUID=uuid)

    assert count(sqs, url) == 1


def test_fifo_order_within_each_group(server, sqs, lambda_client, deploy, shared_dir):
    """A FIFO queue's messages reach the function in order within each message group, with
    the FIFO attributes in each record."""
    url, arn = make_queue(sqs, unique("order") + ".fifo", ContentBasedDeduplication="true")
    out = shared_dir
    name = recorder(deploy, out)
    uuid = lambda_client.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, BatchSize=3
    )["UUID"]
    for i in range(12):
        for group in ("a", "b", "c"):
            sqs.send_message(QueueUrl=url, MessageBody=f"{group}-{i}", MessageGroupId=group)

    assert wait_for(lambda: len(bodies(out)) >= 36, timeout=40)
    lambda_client.delete_event_source_mapping(UUID=uuid)

    for group in ("a", "b", "c"):
        mine = [b for b in bodies(out) if b.startswith(group)]
        assert mine == [f"{group}-{i}" for i in range(12)]
    first = records(out)[0]
    assert {"SequenceNumber", "MessageGroupId", "MessageDeduplicationId"} <= set(
        first["attributes"]
    )


def test_filter_criteria_delete_what_they_drop(server, sqs, lambda_client, deploy, shared_dir):
    """Only messages matching the filter reach the function; the others are deleted."""
    url, arn = make_queue(sqs)
    out = shared_dir
    name = recorder(deploy, out)
    uuid = lambda_client.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName=name,
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"body": {"kind": ["order"]}})}]},
    )["UUID"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"kind": "order", "n": 1}))
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"kind": "refund", "n": 2}))
    sqs.send_message(QueueUrl=url, MessageBody="not json")
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"kind": "order", "n": 3}))

    assert wait_for(lambda: count(sqs, url) == 0, timeout=30)
    assert wait_for(lambda: len(bodies(out)) >= 2, timeout=10)
    lambda_client.delete_event_source_mapping(UUID=uuid)

    assert sorted(json.loads(b)["n"] for b in bodies(out)) == [1, 3]


def test_a_disabled_mapping_leaves_messages_alone(server, sqs, lambda_client, deploy, shared_dir):
    """Disabled, nothing is received; enabled again, the waiting message is consumed;
    deleted, nothing is received again."""
    url, arn = make_queue(sqs)
    out = shared_dir
    name = recorder(deploy, out)
    uuid = lambda_client.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, Enabled=False
    )["UUID"]
    state = lambda_client.get_event_source_mapping(UUID=uuid)["State"]
    sqs.send_message(QueueUrl=url, MessageBody="waiting")

    assert state == "Disabled"
    assert not wait_for(lambda: bodies(out), timeout=2)
    assert count(sqs, url) == 1
    lambda_client.update_event_source_mapping(UUID=uuid, Enabled=True)
    assert wait_for(lambda: bodies(out) == ["waiting"], timeout=30)
    lambda_client.delete_event_source_mapping(UUID=uuid)
    sqs.send_message(QueueUrl=url, MessageBody="after the delete")
    assert not wait_for(lambda: len(bodies(out)) > 1, timeout=2)
    assert count(sqs, url) == 1


SLOW = """
import json, os, time

def handler(event, context):
    if "hold" in event:  # the test's own call, holding the only concurrency slot
        time.sleep(event["hold"])
        return None
    for record in event["Records"]:
        name = f"{time.time_ns()}-{record['messageId']}.json"
        with open(os.path.join(os.environ["OUT"], name), "w") as out:
            out.write(json.dumps({"Records": [record]}))
"""


def test_throttles_put_messages_back_not_lost(server, sqs, lambda_client, deploy, shared_dir):
    """While another call holds a function's only concurrency slot (reserved concurrency 1),
    the mapping's invokes are throttled; they are retried, every message is processed once
    the slot is free, and nothing reaches the DLQ."""
    dlq_url, dlq_arn = make_queue(sqs)
    url, arn = make_queue(
        sqs,
        RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}),
    )
    name = deploy(SLOW, Environment={"Variables": {"OUT": str(shared_dir)}}, Timeout=5)
    lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    for start in range(0, 20, 10):
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "MessageBody": f"m{start + i}"} for i in range(10)],
        )
    holder = threading.Thread(
        target=lambda: lambda_client.invoke(FunctionName=name, Payload=b'{"hold": 3}')
    )
    holder.start()
    time.sleep(0.5)  # the hold is running
    uuid = lambda_client.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, BatchSize=2
    )["UUID"]

    assert wait_for(lambda: count(sqs, url) == 0, timeout=60)
    counters = pollers(server)[uuid]
    lambda_client.delete_event_source_mapping(UUID=uuid)
    holder.join()

    assert counters["throttles"] > 0  # the mapping did meet the held slot
    assert sorted(set(bodies(shared_dir))) == sorted(f"m{i}" for i in range(20))
    assert count(sqs, dlq_url) == 0


def test_a_batching_window_gathers_more_than_ten(server, sqs, lambda_client, deploy, shared_dir):
    """BatchSize above 10 with a window: one invocation may carry more than one receive's
    10 messages; every message is delivered once and deleted."""
    url, arn = make_queue(sqs)
    name = recorder(deploy, shared_dir)
    for start in range(0, 30, 10):
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "MessageBody": f"w{start + i}"} for i in range(10)],
        )
    uuid = lambda_client.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, BatchSize=30, MaximumBatchingWindowInSeconds=2
    )["UUID"]

    assert wait_for(lambda: count(sqs, url) == 0, timeout=30)
    lambda_client.delete_event_source_mapping(UUID=uuid)

    assert sorted(bodies(shared_dir)) == sorted(f"w{i}" for i in range(30))
    assert max(len(e["Records"]) for e in events(shared_dir)) > 10


TIMED = """
import json, os, time

def handler(event, context):
    started = time.time()
    time.sleep(0.4)
    name = f"{time.time_ns()}-{context.aws_request_id}.json"
    with open(os.path.join(os.environ["OUT"], name), "w") as out:
        out.write(json.dumps({"Records": event["Records"], "span": [started, time.time()]}))
"""


def test_pollers_scale_with_backlog_up_to_maximum_concurrency(
    server, sqs, lambda_client, deploy, shared_dir
):
    """With a backlog, more than one batch runs at once, but never more than
    ScalingConfig.MaximumConcurrency."""
    url, arn = make_queue(sqs)
    name = deploy(TIMED, Environment={"Variables": {"OUT": str(shared_dir)}})
    for start in range(0, 30, 10):
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "MessageBody": f"s{start + i}"} for i in range(10)],
        )
    uuid = lambda_client.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, BatchSize=1, ScalingConfig={"MaximumConcurrency": 2}
    )["UUID"]

    assert wait_for(lambda: count(sqs, url) == 0, timeout=60)
    lambda_client.delete_event_source_mapping(UUID=uuid)

    spans = [e["span"] for e in events(shared_dir)]
    most = max(sum(1 for s in spans if s[0] <= moment < s[1]) for moment, _ in spans)
    assert sorted(bodies(shared_dir)) == sorted(f"s{i}" for i in range(30))
    assert most == 2


def test_a_deleted_function_keeps_its_mapping_and_its_messages(
    server, sqs, lambda_client, deploy, shared_dir
):
    """With its function deleted a mapping stays (Enabled, as AWS keeps it) and receives
    nothing more: the messages wait in the queue, none lost or dead-lettered, and a new
    function of the same name consumes them all."""
    url, arn = make_queue(sqs, VisibilityTimeout="4")
    dead_url, dead_arn = make_queue(sqs)
    policy = json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": 2})
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": policy})
    out = shared_dir
    name = recorder(deploy, out, Timeout=3)
    uuid = lambda_client.create_event_source_mapping(EventSourceArn=arn, FunctionName=name)["UUID"]
    sqs.send_message(QueueUrl=url, MessageBody="before")
    assert wait_for(lambda: bodies(out) == ["before"], timeout=30)
    lambda_client.delete_function(FunctionName=name)
    for i in range(5):
        sqs.send_message(QueueUrl=url, MessageBody=f"while-gone-{i}")
    time.sleep(10)  # two visibility timeouts: a mapping still receiving would dead-letter
    kept = lambda_client.get_event_source_mapping(UUID=uuid)

    assert kept["State"] == "Enabled"
    assert count(sqs, url) == 5
    assert count(sqs, dead_url) == 0
    create_function(
        lambda_client, name, RECORDER, Timeout=3, Environment={"Variables": {"OUT": str(out)}}
    )
    assert wait_for(lambda: len(bodies(out)) == 6, timeout=60)
    assert wait_for(lambda: count(sqs, url) == 0, timeout=10)
    lambda_client.delete_event_source_mapping(UUID=uuid)
    assert sorted(bodies(out)[1:]) == [f"while-gone-{i}" for i in range(5)]
