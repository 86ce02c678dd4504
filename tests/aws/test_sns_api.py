"""SNS over the wire: boto3's `sns` client (the query protocol) against a real server —
topics, subscriptions, attributes, tags, and AWS's refusals with the codes boto3 maps."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.conftest import make_queue, unique

KIB = 1024


@pytest.fixture
def topic(sns: Any) -> str:
    arn: str = sns.create_topic(Name=unique("topic"))["TopicArn"]
    return arn


def queue_arn(sqs: Any) -> str:
    return make_queue(sqs)[1]


def error_of(call: Any, **params: Any) -> dict[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    error: dict[str, str] = caught.value.response["Error"]
    return error


def test_create_topic_is_idempotent_and_refuses_other_attributes(sns):
    """CreateTopic with the same name answers the same ARN; with different attributes it is
    InvalidParameter, as on AWS."""
    name = unique("same")

    first = sns.create_topic(Name=name, Attributes={"DisplayName": "d"})["TopicArn"]
    again = sns.create_topic(Name=name, Attributes={"DisplayName": "d"})["TopicArn"]
    plain = sns.create_topic(Name=name)["TopicArn"]
    error = error_of(sns.create_topic, Name=name, Attributes={"DisplayName": "other"})

    assert first == again == plain == f"arn:aws:sns:us-east-1:000000000000:{name}"
    assert error["Code"] == "InvalidParameter"
    assert "already exists with different attributes" in error["Message"]


@pytest.mark.parametrize(
    ("name", "attributes", "message"),
    [
        ("has space", {}, "Invalid parameter: Topic Name"),
        ("x" * 257, {}, "Invalid parameter: Topic Name"),
        ("plain.fifo", {}, "Invalid parameter: Topic Name"),
        ("nofifo", {"FifoTopic": "true"}, "Fifo Topic names must end with .fifo"),
        ("cbd", {"ContentBasedDeduplication": "true"}, "only be set for FIFO topics"),
        ("bogus", {"Bogus": "1"}, "Unknown attribute Bogus"),
    ],
)
def test_bad_topics_are_refused(sns, name, attributes, message):
    """Names and attributes AWS refuses are InvalidParameter, worded as SNS words them."""
    error = error_of(sns.create_topic, Name=name, Attributes=attributes)

    assert error["Code"] == "InvalidParameter"
    assert message in error["Message"]


def test_topic_attributes_are_read_and_set(sns, topic):
    """GetTopicAttributes shows what was set beside what SNS computes; SetTopicAttributes
    changes a settable one and refuses an unknown name."""
    sns.set_topic_attributes(TopicArn=topic, AttributeName="DisplayName", AttributeValue="Hi")

    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    error = error_of(
        sns.set_topic_attributes, TopicArn=topic, AttributeName="TopicArn", AttributeValue="x"
    )

    assert attributes["DisplayName"] == "Hi"
    assert attributes["TopicArn"] == topic
    assert attributes["Owner"] == "000000000000"
    assert attributes["SubscriptionsConfirmed"] == "0"
    assert json.loads(attributes["Policy"])["Statement"][0]["Resource"] == topic
    assert error == {
        **error,
        "Code": "InvalidParameter",
        "Message": "Invalid parameter: AttributeName",
    }


def test_empty_values_clear_optional_settings(sns, topic):
    """An empty KmsMasterKeyId (or delivery/archive/data protection policy, tracing) removes
    the setting; the topic reads as if it was never set."""
    sns.set_topic_attributes(TopicArn=topic, AttributeName="KmsMasterKeyId", AttributeValue="k")
    set_ = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    sns.set_topic_attributes(TopicArn=topic, AttributeName="KmsMasterKeyId", AttributeValue="")
    cleared = sns.get_topic_attributes(TopicArn=topic)["Attributes"]

    assert set_["KmsMasterKeyId"] == "k"
    assert "KmsMasterKeyId" not in cleared


def test_list_topics_pages_by_100(sns):
    """ListTopics answers 100 topics a page with a NextToken; the paginator sees them all."""
    made = {sns.create_topic(Name=f"page-{i:03d}")["TopicArn"] for i in range(105)}

    first = sns.list_topics()
    listed = {
        t["TopicArn"]
        for page in sns.get_paginator("list_topics").paginate()
        for t in page["Topics"]
    }

    assert len(first["Topics"]) == 100
    assert first["NextToken"]
    assert made <= listed


def test_missing_and_foreign_topics(sns, topic):
    """A topic that does not exist is NotFound (404); another account's is AuthorizationError
    (403); a malformed ARN InvalidParameter; DeleteTopic of a missing topic succeeds."""
    missing = topic + "-gone"
    foreign = topic.replace("000000000000", "111111111111")

    not_found = error_of(sns.publish, TopicArn=missing, Message="m")
    forbidden = error_of(sns.publish, TopicArn=foreign, Message="m")
    malformed = error_of(sns.get_topic_attributes, TopicArn="not-an-arn")
    sns.delete_topic(TopicArn=missing)

    assert not_found == {**not_found, "Code": "NotFound", "Message": "Topic does not exist"}
    assert forbidden["Code"] == "AuthorizationError"
    assert malformed["Code"] == "InvalidParameter"
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.get_topic_attributes(TopicArn=missing)
    with pytest.raises(sns.exceptions.AuthorizationErrorException):
        sns.get_topic_attributes(TopicArn=foreign)


def test_tags(sns, topic):
    """Tags are added, listed and removed; more than 50 is TagLimitExceeded."""
    sns.tag_resource(
        ResourceArn=topic, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    )
    sns.untag_resource(ResourceArn=topic, TagKeys=["a"])

    tags = sns.list_tags_for_resource(ResourceArn=topic)["Tags"]
    many = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]

    assert tags == [{"Key": "b", "Value": "2"}]
    with pytest.raises(sns.exceptions.TagLimitExceededException):
        sns.tag_resource(ResourceArn=topic, Tags=many)


def test_subscriptions_are_listed_read_and_removed(sns, sqs, topic):
    """Subscribe to a queue is confirmed at once and idempotent; the subscription is listed
    (by topic too), its attributes read and set, and Unsubscribe removes it."""
    endpoint = queue_arn(sqs)
    arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=endpoint)["SubscriptionArn"]
    again = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=endpoint)["SubscriptionArn"]
    sns.set_subscription_attributes(
        SubscriptionArn=arn, AttributeName="RawMessageDelivery", AttributeValue="true"
    )

    attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    by_topic = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    pages = sns.get_paginator("list_subscriptions").paginate()  # other tests' too: > 1 page
    everywhere = [s for page in pages for s in page["Subscriptions"]]
    sns.unsubscribe(SubscriptionArn=arn)

    assert arn == again
    assert arn.startswith(topic + ":")
    assert attributes["RawMessageDelivery"] == "true"
    assert attributes["PendingConfirmation"] == "false"
    assert attributes["Endpoint"] == endpoint
    assert by_topic == [
        {
            "SubscriptionArn": arn,
            "Owner": "000000000000",
            "Protocol": "sqs",
            "Endpoint": endpoint,
            "TopicArn": topic,
        }
    ]
    assert arn in {s["SubscriptionArn"] for s in everywhere}
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
    with pytest.raises(sns.exceptions.NotFoundException, match="Subscription does not exist"):
        sns.get_subscription_attributes(SubscriptionArn=arn)


@pytest.mark.parametrize(
    ("protocol", "endpoint", "message"),
    [
        ("firehose", "arn:aws:firehose:us-east-1:000000000000:deliverystream/s", "protocol type"),
        ("email", "not-an-address", "Email address"),
        ("sms", "call me", "E.164"),
        ("http", "https://example.com", "Endpoint must match the specified protocol"),
        ("sqs", "not-an-arn", "SQS endpoint ARN"),
        ("lambda", "arn:aws:lambda:us-east-1:000000000000:layer:x", "Lambda endpoint ARN"),
        ("sqs", "arn:aws:sqs:us-east-1:000000000000:q.fifo", "Please use FIFO SNS topic"),
    ],
)
def test_bad_subscriptions_are_refused(sns, topic, protocol, endpoint, message):
    """Protocols Stratus does not deliver to and malformed endpoints are InvalidParameter."""
    error = error_of(sns.subscribe, TopicArn=topic, Protocol=protocol, Endpoint=endpoint)

    assert error["Code"] == "InvalidParameter"
    assert message in error["Message"]


def test_filter_policies_are_checked_when_set(sns, sqs, topic):
    """A filter policy past AWS's limits (6 keys) or malformed is refused at Subscribe and at
    SetSubscriptionAttributes, with SNS's "Invalid parameter: FilterPolicy: ..." words."""
    endpoint = queue_arn(sqs)
    six_keys = json.dumps({f"k{i}": ["v"] for i in range(6)})

    at_subscribe = error_of(
        sns.subscribe,
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=endpoint,
        Attributes={"FilterPolicy": six_keys},
    )
    arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=endpoint)["SubscriptionArn"]
    at_set = error_of(
        sns.set_subscription_attributes,
        SubscriptionArn=arn,
        AttributeName="FilterPolicy",
        AttributeValue="{not json",
    )
    bad_scope = error_of(
        sns.set_subscription_attributes,
        SubscriptionArn=arn,
        AttributeName="FilterPolicyScope",
        AttributeValue="Elsewhere",
    )

    assert at_subscribe["Code"] == at_set["Code"] == bad_scope["Code"] == "InvalidParameter"
    assert at_subscribe["Message"].startswith("Invalid parameter: FilterPolicy: ")
    assert at_set["Message"].startswith("Invalid parameter: FilterPolicy: ")
    assert "FilterPolicyScope" in bad_scope["Message"]


def test_redrive_policy_must_name_a_queue(sns, sqs, topic):
    """A RedrivePolicy whose deadLetterTargetArn is not an SQS queue ARN is refused."""
    arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(sqs))["SubscriptionArn"]

    error = error_of(
        sns.set_subscription_attributes,
        SubscriptionArn=arn,
        AttributeName="RedrivePolicy",
        AttributeValue=json.dumps({"deadLetterTargetArn": "arn:aws:sns:us-east-1:0:t"}),
    )

    assert error["Code"] == "InvalidParameter"
    assert "deadLetterTargetArn" in error["Message"]


def test_messages_up_to_256_kib_are_accepted(sns, topic):
    """A message of exactly 256 KiB (body, subject and attributes counted) is accepted; one
    byte more is InvalidParameter "Message too long", attributes included."""
    attribute = {"a": {"DataType": "String", "StringValue": "x" * 10}}  # 1 + 6 + 10 bytes

    accepted = sns.publish(TopicArn=topic, Message="m" * (256 * KIB))
    with_attribute = sns.publish(
        TopicArn=topic, Message="m" * (256 * KIB - 17), MessageAttributes=attribute
    )
    too_long = error_of(sns.publish, TopicArn=topic, Message="m" * (256 * KIB + 1))
    attribute_tips_it = error_of(
        sns.publish, TopicArn=topic, Message="m" * (256 * KIB - 16), MessageAttributes=attribute
    )

    assert accepted["MessageId"]
    assert with_attribute["MessageId"]
    for error in (too_long, attribute_tips_it):
        assert error["Code"] == "InvalidParameter"
        assert error["Message"] == "Invalid parameter: Message too long"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"Message": ""}, "Empty message"),
        ({"Message": "m", "Subject": "x" * 101}, "Invalid parameter: Subject"),
        ({"Message": "m", "Subject": "two\nlines"}, "Invalid parameter: Subject"),
        ({"Message": "m", "MessageStructure": "json"}, "failed to parse"),
        ({"Message": '{"sqs": "x"}', "MessageStructure": "json"}, "No default entry"),
        (
            {"Message": "m", "MessageAttributes": {"a": {"DataType": "Text", "StringValue": "v"}}},
            "invalid message attribute type",
        ),
        (
            {
                "Message": "m",
                "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "x"}},
            },
            "invalid numeric value",
        ),
        (
            {
                "Message": "m",
                "MessageAttributes": {"l": {"DataType": "String.Array", "StringValue": "[1"}},
            },
            "JSON array",
        ),
        (
            {
                "Message": "m",
                "MessageAttributes": {"AWS.x": {"DataType": "String", "StringValue": "v"}},
            },
            "reserved prefix",
        ),
        ({"Message": "m", "MessageDeduplicationId": "d"}, "not valid for this topic type"),
        ({"Message": "m", "PhoneNumber": "+15555550100"}, "Only one of"),
    ],
)
def test_bad_publishes_are_refused(sns, topic, params, message):
    """What SNS refuses in a Publish is InvalidParameter naming the problem."""
    error = error_of(sns.publish, TopicArn=topic, **params)

    assert error["Code"] == "InvalidParameter"
    assert message in error["Message"]


def test_fifo_topic_publishes_need_a_group_and_a_deduplication_id(sns):
    """On a FIFO topic MessageGroupId is required, and MessageDeduplicationId unless
    ContentBasedDeduplication is on; answers carry a SequenceNumber."""
    fifo = sns.create_topic(Name=unique("f") + ".fifo", Attributes={"FifoTopic": "true"})[
        "TopicArn"
    ]

    no_group = error_of(sns.publish, TopicArn=fifo, Message="m", MessageDeduplicationId="d")
    no_dedup = error_of(sns.publish, TopicArn=fifo, Message="m", MessageGroupId="g")
    sns.set_topic_attributes(
        TopicArn=fifo, AttributeName="ContentBasedDeduplication", AttributeValue="true"
    )
    first = sns.publish(TopicArn=fifo, Message="m", MessageGroupId="g")
    duplicate = sns.publish(TopicArn=fifo, Message="m", MessageGroupId="g")
    other = sns.publish(TopicArn=fifo, Message="n", MessageGroupId="g")

    assert "MessageGroupId parameter is required" in no_group["Message"]
    assert "ContentBasedDeduplication" in no_dedup["Message"]
    assert duplicate["MessageId"] == first["MessageId"]
    assert duplicate["SequenceNumber"] == first["SequenceNumber"]
    assert int(other["SequenceNumber"]) > int(first["SequenceNumber"])


def test_publish_batch_answers_per_entry(sns, topic):
    """PublishBatch publishes the good entries and names each bad one with its code."""
    answer = sns.publish_batch(
        TopicArn=topic,
        PublishBatchRequestEntries=[
            {"Id": "ok", "Message": "fine"},
            {"Id": "empty", "Message": ""},
            {"Id": "subject", "Message": "m", "Subject": ""},
        ],
    )

    assert [s["Id"] for s in answer["Successful"]] == ["ok"]
    assert answer["Failed"] == [
        {
            "Id": "empty",
            "Code": "InvalidParameter",
            "Message": "Invalid parameter: Empty message",
            "SenderFault": True,
        },
        {
            "Id": "subject",
            "Code": "InvalidParameter",
            "Message": "Invalid parameter: Subject",
            "SenderFault": True,
        },
    ]


def test_publish_batch_refusals(sns, topic):
    """A batch of none, of more than 10, with repeated or malformed ids, or past 256 KiB in
    total is refused whole, with the exception boto3 maps."""
    entry = {"Message": "m"}

    with pytest.raises(sns.exceptions.EmptyBatchRequestException):
        sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[])
    with pytest.raises(sns.exceptions.TooManyEntriesInBatchRequestException):
        sns.publish_batch(
            TopicArn=topic, PublishBatchRequestEntries=[{"Id": f"e{i}", **entry} for i in range(11)]
        )
    with pytest.raises(sns.exceptions.BatchEntryIdsNotDistinctException):
        sns.publish_batch(
            TopicArn=topic, PublishBatchRequestEntries=[{"Id": "a", **entry}, {"Id": "a", **entry}]
        )
    with pytest.raises(sns.exceptions.InvalidBatchEntryIdException):
        sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[{"Id": "a b", **entry}])
    with pytest.raises(sns.exceptions.BatchRequestTooLongException):
        sns.publish_batch(
            TopicArn=topic,
            PublishBatchRequestEntries=[
                {"Id": f"e{i}", "Message": "m" * (30 * KIB)} for i in range(9)
            ],
        )
