"""Deliveries, end to end: boto3 publishes to a real server, and queues, functions and a
small HTTP server of the test's own receive what SNS would send them."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from tests.conftest import make_queue, unique, wait_for

NOTIFICATION_KEYS = {
    "Type",
    "MessageId",
    "TopicArn",
    "Subject",
    "Message",
    "Timestamp",
    "SignatureVersion",
    "Signature",
    "SigningCertURL",
    "UnsubscribeURL",
    "MessageAttributes",
}
RECORDER = """
import json, os

def handler(event, context):
    with open(os.environ["OUT"], "a") as out:
        out.write(json.dumps(event) + "\\n")
"""


def receive(sqs: Any, url: str, count: int, wait: int = 5) -> list[dict[str, Any]]:
    """Up to `count` messages, waiting for them (deleted once read)."""
    got: list[dict[str, Any]] = []
    for _ in range(count + 2):
        if len(got) >= count:
            break
        answer = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=min(10, count - len(got)),
            WaitTimeSeconds=wait,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        for message in answer.get("Messages", []):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            got.append(message)
        if not answer.get("Messages"):
            break
    return got


def nothing_in(sqs: Any, url: str) -> bool:
    return not sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages")


def test_fan_out_to_queues_with_filter_policies(server, sns, sqs):
    """One publish reaches every queue whose filter policy matches: on attributes (typed:
    numbers compare as numbers) and on the body (FilterPolicyScope MessageBody); the body is
    AWS's notification JSON, field by field."""
    topic = sns.create_topic(Name=unique("fan"))["TopicArn"]
    everything_url, everything = make_queue(sqs)
    red_url, red = make_queue(sqs)
    big_url, big = make_queue(sqs)
    body_url, body = make_queue(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=everything)
    red_sub = sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=red,
        Attributes={"FilterPolicy": json.dumps({"color": ["red"]})},
    )["SubscriptionArn"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=big,
        Attributes={"FilterPolicy": json.dumps({"size": [{"numeric": [">", 10]}]})},
    )
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=body,
        Attributes={
            "FilterPolicy": json.dumps({"order": {"kind": [{"prefix": "vip"}]}}),
            "FilterPolicyScope": "MessageBody",
        },
    )

    red_one = sns.publish(
        TopicArn=topic,
        Message=json.dumps({"order": {"kind": "vip-gold"}}),
        Subject="Hello",
        MessageAttributes={
            "color": {"DataType": "String", "StringValue": "red"},
            "size": {"DataType": "Number", "StringValue": "3"},
        },
    )["MessageId"]
    sns.publish(
        TopicArn=topic,
        Message=json.dumps({"order": {"kind": "plain"}}),
        MessageAttributes={"size": {"DataType": "Number", "StringValue": "11.5"}},
    )

    assert len(receive(sqs, everything_url, 2)) == 2
    [red_message] = receive(sqs, red_url, 1)
    notification = json.loads(red_message["Body"])
    assert set(notification) == NOTIFICATION_KEYS
    assert notification["Type"] == "Notification"
    assert notification["MessageId"] == red_one
    assert notification["TopicArn"] == topic
    assert notification["Subject"] == "Hello"
    assert json.loads(notification["Message"]) == {"order": {"kind": "vip-gold"}}
    assert notification["MessageAttributes"] == {
        "color": {"Type": "String", "Value": "red"},
        "size": {"Type": "Number", "Value": "3"},
    }
    assert notification["UnsubscribeURL"].endswith(f"SubscriptionArn={red_sub}")
    assert notification["Timestamp"].endswith("Z")
    assert "MessageAttributes" not in red_message  # only raw delivery sets them
    [big_message] = receive(sqs, big_url, 1)
    assert "11.5" in big_message["Body"]
    [body_message] = receive(sqs, body_url, 1)
    assert json.loads(body_message["Body"])["MessageId"] == red_one
    assert nothing_in(sqs, red_url)
    assert nothing_in(sqs, body_url)


def test_raw_delivery_to_a_queue(sns, sqs):
    """With RawMessageDelivery the queue gets the message itself as the body and the
    message attributes as SQS message attributes (binary as bytes, String.Array as String)."""
    topic = sns.create_topic(Name=unique("raw"))["TopicArn"]
    url, arn = make_queue(sqs)
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
    )

    sns.publish(
        TopicArn=topic,
        Message="just the text",
        MessageAttributes={
            "n": {"DataType": "Number", "StringValue": "42"},
            "b": {"DataType": "Binary", "BinaryValue": b"\x00\xff"},
            "l": {"DataType": "String.Array", "StringValue": '["a", "b"]'},
        },
    )

    [message] = receive(sqs, url, 1)
    assert message["Body"] == "just the text"
    assert message["MessageAttributes"] == {
        "n": {"StringValue": "42", "DataType": "Number"},
        "b": {"BinaryValue": b"\x00\xff", "DataType": "Binary"},
        "l": {"StringValue": '["a", "b"]', "DataType": "String"},
    }


def test_topic_to_function_gets_sns_event_shape(server, sns, deploy, shared_dir):
    """A function subscribed to a topic is invoked asynchronously with SNS's event: one
    record, EventSource aws:sns, and the Sns member as AWS shapes it for Lambda."""
    out = shared_dir / "events.jsonl"
    name = deploy(RECORDER, Environment={"Variables": {"OUT": str(out)}})
    function_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    topic = sns.create_topic(Name=unique("fn"))["TopicArn"]
    subscription = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=function_arn)[
        "SubscriptionArn"
    ]

    message_id = sns.publish(
        TopicArn=topic,
        Message="to the function",
        MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}},
    )["MessageId"]

    assert wait_for(lambda: out.exists() and out.read_text().strip())
    event = json.loads(out.read_text().splitlines()[0])
    [record] = event["Records"]
    assert record["EventSource"] == "aws:sns"
    assert record["EventVersion"] == "1.0"
    assert record["EventSubscriptionArn"] == subscription
    sns_part = record["Sns"]
    renamed = {"SigningCertURL": "SigningCertUrl", "UnsubscribeURL": "UnsubscribeUrl"}
    assert set(sns_part) == {renamed.get(key, key) for key in NOTIFICATION_KEYS}
    assert sns_part["MessageId"] == message_id
    assert sns_part["Subject"] is None
    assert sns_part["Message"] == "to the function"
    assert sns_part["MessageAttributes"] == {"k": {"Type": "String", "Value": "v"}}


def test_http_subscription_confirmation_handshake(sns, endpoint):
    """An http subscription is pending until confirmed: the endpoint is POSTed a
    SubscriptionConfirmation whose SubscribeURL (a GET) confirms it. Then notifications are
    POSTed with SNS's headers, and the UnsubscribeURL ends the subscription."""
    topic = sns.create_topic(Name=unique("web"))["TopicArn"]
    answer = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint.url)

    headers, confirmation = endpoint.next()
    pending = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"][0]
    with urllib.request.urlopen(confirmation["SubscribeURL"]) as response:
        confirmed_xml = response.read().decode()
    [subscription] = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    message_id = sns.publish(TopicArn=topic, Message="hello web", Subject="S")["MessageId"]
    note_headers, note = endpoint.next()
    with urllib.request.urlopen(note["UnsubscribeURL"]):
        pass

    assert answer["SubscriptionArn"] == "pending confirmation"
    assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    assert headers["x-amz-sns-topic-arn"] == topic
    assert confirmation["Type"] == "SubscriptionConfirmation"
    assert confirmation["TopicArn"] == topic
    assert confirmation["Token"]
    assert {"MessageId", "Message", "Timestamp", "Signature", "SigningCertURL"} <= set(confirmation)
    assert pending["SubscriptionArn"] == "PendingConfirmation"
    assert subscription["SubscriptionArn"] in confirmed_xml
    assert subscription["SubscriptionArn"].startswith(topic + ":")
    assert note_headers["x-amz-sns-message-type"] == "Notification"
    assert note_headers["x-amz-sns-subscription-arn"] == subscription["SubscriptionArn"]
    assert note_headers["content-type"].startswith("text/plain")
    assert note["MessageId"] == message_id
    assert note["Message"] == "hello web"
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []


def test_confirm_subscription_by_api_and_a_wrong_token(sns, endpoint):
    """ConfirmSubscription with the token confirms; a wrong token is InvalidParameter."""
    topic = sns.create_topic(Name=unique("tok"))["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint.url)
    _, confirmation = endpoint.next()

    with pytest.raises(sns.exceptions.InvalidParameterException, match="Invalid token"):
        sns.confirm_subscription(TopicArn=topic, Token="wrong")
    arn = sns.confirm_subscription(TopicArn=topic, Token=confirmation["Token"])["SubscriptionArn"]

    attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert attributes["PendingConfirmation"] == "false"


def test_failed_http_deliveries_are_retried_then_dead_lettered(server, sns, sqs, endpoint):
    """An endpoint that keeps failing is tried 4 times, 20 s apart (AWS's default HTTP
    policy: 3 retries); then the notification goes to the subscription's DLQ."""
    topic = sns.create_topic(Name=unique("retry"))["TopicArn"]
    dlq_url, dlq = make_queue(sqs)
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint.url)
    _, confirmation = endpoint.next()
    arn = sns.confirm_subscription(TopicArn=topic, Token=confirmation["Token"])["SubscriptionArn"]
    sns.set_subscription_attributes(
        SubscriptionArn=arn,
        AttributeName="RedrivePolicy",
        AttributeValue=json.dumps({"deadLetterTargetArn": dlq}),
    )
    endpoint.status["Notification"] = 500

    message_id = sns.publish(TopicArn=topic, Message="keeps failing")["MessageId"]
    endpoint.next()
    server.wait_idle()
    early = nothing_in(sqs, dlq_url)
    for _ in range(3):
        server.advance(20)
        endpoint.next()

    [dead] = receive(sqs, dlq_url, 1)
    assert early
    assert endpoint.received.empty()
    assert json.loads(dead["Body"])["MessageId"] == message_id


def test_a_deleted_queue_sends_deliveries_to_the_dlq_at_once(server, sns, sqs):
    """A queue that no longer exists is a client-side error: no retries, straight to the
    subscription's dead-letter queue."""
    topic = sns.create_topic(Name=unique("gone"))["TopicArn"]
    url, arn = make_queue(sqs)
    dlq_url, dlq = make_queue(sqs)
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq})},
    )
    sqs.delete_queue(QueueUrl=url)

    sns.publish(
        TopicArn=topic,
        Message="nowhere",
        MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}},
    )

    [dead] = receive(sqs, dlq_url, 1)
    assert json.loads(dead["Body"])["Message"] == "nowhere"
    assert dead["MessageAttributes"] == {"k": {"StringValue": "v", "DataType": "String"}}


def test_fifo_topic_to_fifo_and_standard_queues(sns, sqs):
    """A FIFO topic delivers in publish order; FIFO queues get the MessageGroupId (and the
    deduplication id), standard queues neither; a duplicate within 5 minutes is not
    delivered again."""
    topic = sns.create_topic(
        Name=unique("order") + ".fifo",
        Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"},
    )["TopicArn"]
    fifo_url, fifo = make_queue(sqs, unique("fq") + ".fifo")
    plain_url, plain = make_queue(sqs)
    for endpoint in (fifo, plain):
        sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=endpoint,
            Attributes={"RawMessageDelivery": "true"},
        )

    for i in range(5):
        sns.publish(TopicArn=topic, Message=f"m{i}", MessageGroupId="g1")
    sns.publish(TopicArn=topic, Message="m0", MessageGroupId="g1")  # a duplicate

    in_fifo = receive(sqs, fifo_url, 6, wait=2)
    in_plain = receive(sqs, plain_url, 6, wait=2)
    assert [m["Body"] for m in in_fifo] == [f"m{i}" for i in range(5)]
    assert {m["Attributes"]["MessageGroupId"] for m in in_fifo} == {"g1"}
    assert all("MessageDeduplicationId" in m["Attributes"] for m in in_fifo)
    assert sorted(m["Body"] for m in in_plain) == [f"m{i}" for i in range(5)]
    assert all("MessageGroupId" not in m["Attributes"] for m in in_plain)


def test_lambda_subscriptions_are_refused_on_fifo_topics(sns):
    """FIFO topics deliver to SQS queues only."""
    topic = sns.create_topic(Name=unique("nofn") + ".fifo", Attributes={"FifoTopic": "true"})[
        "TopicArn"
    ]

    with pytest.raises(sns.exceptions.InvalidParameterException, match="FIFO topics"):
        sns.subscribe(
            TopicArn=topic,
            Protocol="lambda",
            Endpoint="arn:aws:lambda:us-east-1:000000000000:function:f",
        )


def test_unsubscribed_queues_get_nothing_more(sns, sqs):
    """After Unsubscribe (or DeleteTopic) nothing more is delivered."""
    topic = sns.create_topic(Name=unique("unsub"))["TopicArn"]
    url, arn = make_queue(sqs)
    subscription = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)["SubscriptionArn"]
    sns.unsubscribe(SubscriptionArn=subscription)

    sns.publish(TopicArn=topic, Message="after")

    assert receive(sqs, url, 1, wait=1) == []


def test_async_invoke_destinations_to_a_topic_and_a_queue(server, sns, sqs, lambda_client, deploy):
    """A function's OnSuccess destination may be a topic (its record is published) and its
    OnFailure destination a queue (the record is the body)."""
    topic = sns.create_topic(Name=unique("dest"))["TopicArn"]
    via_topic_url, via_topic = make_queue(sqs)
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=via_topic,
        Attributes={"RawMessageDelivery": "true"},
    )
    failures_url, failures = make_queue(sqs)
    good = deploy("def handler(event, context):\n    return {'ok': event['n']}\n")
    bad = deploy("def handler(event, context):\n    raise ValueError('no')\n")
    lambda_client.put_function_event_invoke_config(
        FunctionName=good, DestinationConfig={"OnSuccess": {"Destination": topic}}
    )
    lambda_client.put_function_event_invoke_config(
        FunctionName=bad,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": failures}},
    )

    lambda_client.invoke(FunctionName=good, InvocationType="Event", Payload=b'{"n": 7}')
    lambda_client.invoke(FunctionName=bad, InvocationType="Event", Payload=b'{"n": 8}')

    [success] = receive(sqs, via_topic_url, 1, wait=20)
    [failure] = receive(sqs, failures_url, 1, wait=20)
    assert json.loads(success["Body"])["responsePayload"] == {"ok": 7}
    assert json.loads(success["Body"])["requestContext"]["condition"] == "Success"
    assert json.loads(failure["Body"])["requestContext"]["condition"] == "RetriesExhausted"
    assert json.loads(failure["Body"])["requestPayload"] == {"n": 8}
