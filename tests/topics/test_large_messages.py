"""A topic's MaximumMessageSize, as AWS documents it: 1,024 to 1,048,576 bytes, 262,144 by
default; publishing more than the topic allows is InvalidParameter; above 256 KiB the topic
takes only queue and function subscriptions, 100 at most."""

from __future__ import annotations

from typing import Any

import pytest
from tests.conftest import make_queue, unique

KIB = 1024


def _topic(sns: Any, **attributes: str) -> str:
    return sns.create_topic(Name=unique("big"), Attributes=attributes)["TopicArn"]  # type: ignore[no-any-return]


def test_default_is_256_kib(sns):
    topic = _topic(sns)
    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    sns.publish(TopicArn=topic, Message="x" * (256 * KIB))
    with pytest.raises(sns.exceptions.InvalidParameterException, match="Message too long"):
        sns.publish(TopicArn=topic, Message="x" * (256 * KIB + 1))

    assert attributes["MaximumMessageSize"] == "262144"


def test_raised_topic_delivers_a_mebibyte_to_a_queue(sns, sqs):
    url, arn = make_queue(sqs, MaximumMessageSize="1048576")
    topic = _topic(sns, MaximumMessageSize="1048576")
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
    )
    body = "y" * (1024 * KIB)
    sns.publish(TopicArn=topic, Message=body)
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10)["Messages"]
    with pytest.raises(sns.exceptions.InvalidParameterException, match="Message too long"):
        sns.publish(TopicArn=topic, Message=body + "y")

    assert [len(m["Body"]) for m in got] == [len(body)]
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["MaximumMessageSize"] == (
        "1048576"
    )


def test_lowered_topic_refuses_what_it_no_longer_takes(sns):
    topic = _topic(sns)
    sns.set_topic_attributes(
        TopicArn=topic, AttributeName="MaximumMessageSize", AttributeValue="1024"
    )
    sns.publish(TopicArn=topic, Message="z" * KIB)
    with pytest.raises(sns.exceptions.InvalidParameterException, match="Message too long"):
        sns.publish(TopicArn=topic, Message="z" * (KIB + 1))


@pytest.mark.parametrize("value", ["1023", "1048577", "big", ""])
def test_out_of_range_values_are_refused(sns, value):
    topic = _topic(sns)
    with pytest.raises(sns.exceptions.InvalidParameterException, match="MaximumMessageSize"):
        sns.set_topic_attributes(
            TopicArn=topic, AttributeName="MaximumMessageSize", AttributeValue=value
        )
    with pytest.raises(sns.exceptions.InvalidParameterException, match="MaximumMessageSize"):
        sns.create_topic(Name=unique("big"), Attributes={"MaximumMessageSize": value})


def test_large_topics_take_only_queues_and_functions(sns, sqs):
    large = _topic(sns, MaximumMessageSize="300000")
    with pytest.raises(sns.exceptions.InvalidParameterException, match="Protocol http"):
        sns.subscribe(TopicArn=large, Protocol="http", Endpoint="http://127.0.0.1:9/hook")
    plain = _topic(sns)
    sns.subscribe(TopicArn=plain, Protocol="https", Endpoint="https://127.0.0.1:9/hook")
    with pytest.raises(sns.exceptions.InvalidParameterException, match="Protocol https"):
        sns.set_topic_attributes(
            TopicArn=plain, AttributeName="MaximumMessageSize", AttributeValue="300000"
        )
    sns.subscribe(
        TopicArn=large,
        Protocol="lambda",
        Endpoint="arn:aws:lambda:us-east-1:000000000000:function:somewhere",
    )


def test_large_topics_have_at_most_100_subscriptions(sns):
    topic = _topic(sns, MaximumMessageSize="1048576")
    for n in range(100):
        sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=f"arn:aws:sqs:us-east-1:000000000000:q{n}"
        )
    # Subscribing again what is already there answers the same subscription.
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint="arn:aws:sqs:us-east-1:000000000000:q0")
    with pytest.raises(sns.exceptions.InvalidParameterException, match="at most 100"):
        sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint="arn:aws:sqs:us-east-1:000000000000:q100"
        )
