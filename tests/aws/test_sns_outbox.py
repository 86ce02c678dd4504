"""SNS's email and SMS, and the rest of its local operations, over the wire: email and
email-json subscriptions wait for ConfirmSubscription, deliveries land in the outbox (log
events in CloudWatch Logs), SMS state is stored, topic permissions are policy statements."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.conftest import unique, wait_for

REGION, ACCOUNT = "us-east-1", "000000000000"
SMS_GROUP = f"sns/{REGION}/{ACCOUNT}/DirectPublishToPhoneNumber"


@pytest.fixture(scope="module")
def logs(server: Any) -> Any:
    return server.client("logs")


def outbox(logs: Any, group: str, stream: str) -> list[dict[str, Any]]:
    try:
        events = logs.get_log_events(logGroupName=group, logStreamName=stream)["events"]
    except logs.exceptions.ResourceNotFoundException:
        return []
    return [json.loads(e["message"]) for e in events]


def wait_mail(logs: Any, group: str, stream: str, count: int) -> list[dict[str, Any]]:
    assert wait_for(lambda: len(outbox(logs, group, stream)) >= count)
    return outbox(logs, group, stream)


def test_email_subscription_confirms_then_receives(sns, logs):
    """An email subscription is pending until ConfirmSubscription with the token the
    confirmation message (in the outbox) carries; then publishes reach the address's
    outbox, email as text with its subject, email-json as the notification JSON."""
    name = unique("mail")
    topic = sns.create_topic(Name=name)["TopicArn"]
    group = f"sns/{REGION}/{ACCOUNT}/{name}"
    pending = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="alice@example.com")
    sns.subscribe(TopicArn=topic, Protocol="email-json", Endpoint="bob@example.com")
    [confirmation] = wait_mail(logs, group, "alice@example.com", 1)
    [json_confirmation] = wait_mail(logs, group, "bob@example.com", 1)
    sns.publish(TopicArn=topic, Message="before confirmation")
    link = confirmation["Body"].rsplit(" ", 1)[1]
    token = link.split("Token=")[1]
    confirmed = sns.confirm_subscription(TopicArn=topic, Token=token)
    sns.confirm_subscription(TopicArn=topic, Token=json.loads(json_confirmation["Body"])["Token"])
    sns.publish(TopicArn=topic, Message="hello", Subject="Greetings")
    alice = wait_mail(logs, group, "alice@example.com", 2)
    bob = wait_mail(logs, group, "bob@example.com", 2)
    attributes = sns.get_subscription_attributes(SubscriptionArn=confirmed["SubscriptionArn"])[
        "Attributes"
    ]

    assert pending["SubscriptionArn"] == "pending confirmation"
    assert confirmation["Subject"] == "AWS Notification - Subscription Confirmation"
    assert link.startswith("http")
    assert "Action=ConfirmSubscription" in link
    assert [m["Body"] for m in alice] == [confirmation["Body"], "hello"]
    assert alice[1]["Subject"] == "Greetings"
    assert alice[1]["TopicArn"] == topic
    envelope = json.loads(bob[1]["Body"])
    assert envelope["Type"] == "Notification"
    assert envelope["Message"] == "hello"
    assert attributes["PendingConfirmation"] == "false"
    assert attributes["Protocol"] == "email"


def test_sms_subscriptions_and_direct_publishes_reach_the_phone_outbox(sns, logs):
    """SMS subscriptions are confirmed at once; their messages and Publish(PhoneNumber)
    are written to the DirectPublishToPhoneNumber group, one stream per number."""
    topic = sns.create_topic(Name=unique("texts"))["TopicArn"]
    subscribed = sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint="+15555550101")
    sns.publish(TopicArn=topic, Message="from the topic")
    direct = sns.publish(PhoneNumber="+15555550101", Message="direct")
    texts = wait_mail(logs, SMS_GROUP, "+15555550101", 2)

    assert subscribed["SubscriptionArn"].startswith(topic + ":")
    assert sorted(t["Body"] for t in texts) == ["direct", "from the topic"]
    assert direct["MessageId"] in {t["MessageId"] for t in texts}
    assert all(t["Protocol"] == "sms" for t in texts)
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.publish(PhoneNumber="not a number", Message="x")


def test_sms_state_is_stored_and_answered(sns, logs):
    """SMS attributes are stored; opt-outs answer as for numbers no one opted out; sandbox
    numbers verify with the one-time password written to the outbox."""
    sns.set_sms_attributes(attributes={"DefaultSMSType": "Transactional"})
    number = "+15555550199"
    sns.create_sms_sandbox_phone_number(PhoneNumber=number, LanguageCode="en-US")
    [otp] = wait_mail(logs, SMS_GROUP, number, 1)
    password = otp["Body"].rsplit(" ", 1)[1]
    with pytest.raises(sns.exceptions.VerificationException):
        sns.verify_sms_sandbox_phone_number(
            PhoneNumber=number, OneTimePassword=f"{(int(password) + 1) % 10**6:06d}"
        )
    pending = sns.list_sms_sandbox_phone_numbers()["PhoneNumbers"]
    sns.verify_sms_sandbox_phone_number(PhoneNumber=number, OneTimePassword=password)
    verified = sns.list_sms_sandbox_phone_numbers()["PhoneNumbers"]
    sns.delete_sms_sandbox_phone_number(PhoneNumber=number)

    assert sns.get_sms_attributes(attributes=["DefaultSMSType"])["attributes"] == {
        "DefaultSMSType": "Transactional"
    }
    assert sns.check_if_phone_number_is_opted_out(phoneNumber=number)["isOptedOut"] is False
    assert sns.list_phone_numbers_opted_out()["phoneNumbers"] == []
    assert sns.get_sms_sandbox_account_status()["IsInSandbox"] is False
    assert {"PhoneNumber": number, "Status": "Pending"} in pending
    assert {"PhoneNumber": number, "Status": "Verified"} in verified
    with pytest.raises(sns.exceptions.ResourceNotFoundException):
        sns.delete_sms_sandbox_phone_number(PhoneNumber=number)
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.set_sms_attributes(attributes={"Bogus": "1"})


def test_topic_permissions_and_data_protection_policy(sns):
    """AddPermission adds a labelled statement to the topic's Policy (the default one kept),
    a label twice is InvalidParameter, RemovePermission takes it out; the data protection
    policy is stored and answered."""
    topic = sns.create_topic(Name=unique("perms"))["TopicArn"]
    sns.add_permission(
        TopicArn=topic, Label="share", AWSAccountId=["111122223333"], ActionName=["Publish"]
    )
    added = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.add_permission(
            TopicArn=topic, Label="share", AWSAccountId=["111122223333"], ActionName=["Publish"]
        )
    sns.remove_permission(TopicArn=topic, Label="share")
    removed = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
    policy = json.dumps({"Name": "p", "Version": "2021-06-01", "Statement": []})
    sns.put_data_protection_policy(ResourceArn=topic, DataProtectionPolicy=policy)
    stored = sns.get_data_protection_policy(ResourceArn=topic)["DataProtectionPolicy"]

    assert [s["Sid"] for s in added["Statement"]] == ["__default_statement_ID", "share"]
    assert added["Statement"][1]["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert added["Statement"][1]["Action"] == "SNS:Publish"
    assert [s["Sid"] for s in removed["Statement"]] == ["__default_statement_ID"]
    assert json.loads(stored) == json.loads(policy)
    with pytest.raises(ClientError) as caught:
        sns.add_permission(
            TopicArn=topic + "-gone", Label="x", AWSAccountId=["111122223333"],
            ActionName=["Publish"],
        )  # fmt: skip
    assert caught.value.response["Error"]["Code"] == "NotFound"


def test_mobile_push_applications_and_endpoints(sns, logs):
    """Platform applications and endpoints are stored (credentials never answered back);
    Publish to an endpoint, directly or through an `application` subscription, lands in the
    application's outbox with the platform's MessageStructure key; a disabled endpoint
    refuses; a token registered twice answers the same endpoint."""
    name = unique("app")
    app = sns.create_platform_application(
        Name=name, Platform="GCM", Attributes={"PlatformCredential": "server-key"}
    )["PlatformApplicationArn"]
    endpoint = sns.create_platform_endpoint(
        PlatformApplicationArn=app, Token="device-1", CustomUserData="alice"
    )["EndpointArn"]
    again = sns.create_platform_endpoint(
        PlatformApplicationArn=app, Token="device-1", CustomUserData="alice"
    )["EndpointArn"]
    topic = sns.create_topic(Name=unique("pushes"))["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="application", Endpoint=endpoint)
    direct = sns.publish(
        TargetArn=endpoint, MessageStructure="json",
        Message=json.dumps({"default": "plain", "GCM": '{"notification": {"title": "hi"}}'}),
    )  # fmt: skip
    sns.publish(TopicArn=topic, Message="via the topic")
    group = f"sns/{REGION}/{ACCOUNT}/app/GCM/{name}"
    inbox = wait_mail(logs, group, endpoint.rsplit("/", 1)[1], 2)
    sns.set_endpoint_attributes(EndpointArn=endpoint, Attributes={"Enabled": "false"})

    assert again == endpoint
    assert endpoint.startswith(f"arn:aws:sns:{REGION}:{ACCOUNT}:endpoint/GCM/{name}/")
    assert (
        "PlatformCredential"
        not in sns.get_platform_application_attributes(PlatformApplicationArn=app)["Attributes"]
    )
    assert sns.get_endpoint_attributes(EndpointArn=endpoint)["Attributes"] == {
        "Enabled": "false", "Token": "device-1", "CustomUserData": "alice",
    }  # fmt: skip
    assert {m["Body"] for m in inbox} == {'{"notification": {"title": "hi"}}', "via the topic"}
    assert direct["MessageId"] in {m["MessageId"] for m in inbox}
    listed = sns.list_endpoints_by_platform_application(PlatformApplicationArn=app)
    assert [e["EndpointArn"] for e in listed["Endpoints"]] == [endpoint]
    with pytest.raises(sns.exceptions.EndpointDisabledException):
        sns.publish(TargetArn=endpoint, Message="x")
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.create_platform_endpoint(
            PlatformApplicationArn=app, Token="device-1", CustomUserData="bob"
        )
    sns.delete_platform_application(PlatformApplicationArn=app)
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.get_endpoint_attributes(EndpointArn=endpoint)
    applications = sns.list_platform_applications()["PlatformApplications"]
    assert app not in {a["PlatformApplicationArn"] for a in applications}
