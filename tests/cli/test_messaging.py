"""`stratus queues|topics|buses|events ...` against the session's server, checked with boto3."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import make_queue, unique, wait_for


def _rows(stdout: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split()[1:] for line in stdout.splitlines()[1:] if line.strip()}


def _lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_send_list_peek_receive_delete(stratus, sqs):
    """send (with attributes) -> list counts it -> peek shows it and leaves it -> receive
    --delete prints and removes it -> receive on the empty queue says so."""
    url, _ = make_queue(sqs)
    name = url.rsplit("/", 1)[1]

    sent = stratus("queues", "send", name, "hello there", "--attr", "kind=order",
                   "--attr", "n:Number=3")  # fmt: skip
    listed = stratus("queues", "list", "--prefix", name)
    peeked = stratus("queues", "peek", url)
    still = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    received = stratus("queues", "receive", name, "--delete", "--wait", "1")
    empty = stratus("queues", "receive", name)
    gone = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]

    assert sent.exit_code == 0, sent.output
    assert listed.exit_code == 0, listed.output
    assert _rows(listed.stdout)[name][:4] == ["standard", "1", "0", "0"]
    assert peeked.exit_code == 0, peeked.output
    [seen] = _lines(peeked.stdout)
    assert seen["MessageId"] == sent.stdout.strip()
    assert seen["Body"] == "hello there"
    assert seen["MessageAttributes"] == {"kind": "order", "n": "3"}
    assert still["Attributes"]["ApproximateNumberOfMessages"] == "1"
    assert [m["Body"] for m in _lines(received.stdout)] == ["hello there"]
    assert "deleted 1 message(s)" in received.stderr
    assert empty.exit_code == 0
    assert empty.stdout == ""
    assert "no messages" in empty.stderr
    assert gone["ApproximateNumberOfMessages"] == "0"
    assert gone["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_fifo_send_needs_and_takes_a_group(stratus, sqs):
    url, _ = make_queue(sqs, unique("cli") + ".fifo", ContentBasedDeduplication="true")

    refused = stratus("queues", "send", url, "first")
    sent = stratus("queues", "send", url, "first", "--group-id", "g1")
    [message] = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["MessageGroupId"])[
        "Messages"
    ]

    assert refused.exit_code == 1
    assert refused.stderr.startswith("error: MissingParameter")
    assert sent.exit_code == 0, sent.output
    assert "sequence" in sent.stdout
    assert message["Attributes"]["MessageGroupId"] == "g1"


def test_redrive_moves_dead_letters_back(stratus, sqs):
    """A message that failed twice sits in the DLQ; `redrive DLQ` puts it back on its queue;
    `--to` moves the DLQ's messages to another queue."""
    dlq_url, dlq_arn = make_queue(sqs)
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
    url, _ = make_queue(sqs, RedrivePolicy=policy)
    other_url, _ = make_queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="failing")
    sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)
    assert sqs.receive_message(QueueUrl=url, VisibilityTimeout=0).get("Messages") is None
    dlq = dlq_url.rsplit("/", 1)[1]

    back = stratus("queues", "redrive", dlq)
    returned = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
    sqs.send_message(QueueUrl=dlq_url, MessageBody="elsewhere")
    moved = stratus("queues", "redrive", dlq_arn, "--to", other_url)
    arrived = sqs.receive_message(QueueUrl=other_url, WaitTimeSeconds=5)["Messages"]

    assert back.exit_code == 0, back.output
    assert back.stdout.startswith("moved 1 message(s)")
    assert [m["Body"] for m in returned] == ["failing"]
    assert moved.exit_code == 0, moved.output
    assert [m["Body"] for m in arrived] == ["elsewhere"]


def test_topics_list_and_publish(stratus, sns, sqs):
    url, arn = make_queue(sqs)
    name = unique("cli-topic")
    topic = sns.create_topic(Name=name)["TopicArn"]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
    )

    listed = stratus("topics", "list")
    published = stratus("topics", "publish", name, "news", "--attr", "kind=flash")
    by_arn = stratus("topics", "publish", topic, "more news")
    missing = stratus("topics", "publish", "no-such-topic", "x")
    got = sqs.receive_message(
        QueueUrl=url, WaitTimeSeconds=5, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )["Messages"]

    assert listed.exit_code == 0, listed.output
    assert _rows(listed.stdout)[name] == ["standard", "1", "0", topic]
    assert published.exit_code == 0, published.output
    assert by_arn.exit_code == 0, by_arn.output
    assert sorted(m["Body"] for m in got) == ["more news", "news"]
    flash = next(m for m in got if m["Body"] == "news")
    assert flash["MessageAttributes"]["kind"]["StringValue"] == "flash"
    assert missing.exit_code == 1
    assert "no topic named no-such-topic" in missing.stderr


def test_buses_list_and_events_put(stratus, server, sqs):
    events = server.client("events")
    url, arn = make_queue(sqs)
    bus = unique("cli-bus")
    events.create_event_bus(Name=bus)
    events.put_rule(Name="to-queue", EventBusName=bus, EventPattern='{"source": ["cli"]}')
    events.put_targets(Rule="to-queue", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])

    listed = stratus("buses", "list")
    put = stratus("events", "put", "--bus", bus, "--source", "cli", "--detail-type", "hello",
                  "--detail", '{"n": 1}')  # fmt: skip
    bad = stratus("events", "put", "--source", "cli", "--detail-type", "x", "--detail", "[1]")
    [message] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10)["Messages"]
    server.wait_idle()

    assert listed.exit_code == 0, listed.output
    rows = _rows(listed.stdout)
    assert rows[bus][0] == "1"
    assert "default" in rows
    assert put.exit_code == 0, put.output
    event = json.loads(message["Body"])
    assert event["id"] == put.stdout.strip()
    assert (event["source"], event["detail-type"], event["detail"]) == ("cli", "hello", {"n": 1})
    assert bad.exit_code == 2


def test_topics_outbox_prints_email_and_sms(stratus, sns):
    """`stratus topics outbox` prints what went to email and SMS, one JSON line each; TOPIC
    and --to narrow it."""
    name = unique("cli-mail")
    topic = sns.create_topic(Name=name)["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="carol@example.com")
    sns.publish(PhoneNumber="+15555550177", Message="cli text")

    def outbox(*args: str) -> list[dict[str, Any]]:
        result = stratus("topics", "outbox", *args)
        assert result.exit_code == 0, result.output
        return _lines(result.stdout) if "outbox is empty" not in result.output else []

    assert wait_for(lambda: outbox(name))
    mail = outbox(name)
    texts = outbox("--to", "+15555550177")

    assert [m["To"] for m in mail] == ["carol@example.com"]
    assert mail[0]["Subject"] == "AWS Notification - Subscription Confirmation"
    assert [m["Body"] for m in texts] == ["cli text"]
