"""Topics, subscriptions, policies, buses and rules in stacks, and the SAM events that make
them (SNS, EventBridgeRule, Schedule): deployed over the CloudFormation API, used with boto3
(publish, PutEvents, the clock), updated in place and deleted with the stack."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import WaiterError
from tests.conftest import wait_for
from tests.templates.test_stacks import (
    CAPABILITIES,
    create,
    outputs,
    physical_id,
    template,
    wait,
)

RECORDER = """
import json, os

def handler(event, context):
    with open(os.environ["OUT"], "a") as out:
        out.write(json.dumps(event) + "\\n")
"""


def _app(filter_kinds: list[str], state: bool, extra_subscription: bool) -> str:
    inline = json.dumps(
        [{"Protocol": "sqs", "Endpoint": {"Fn::GetAtt": ["Copies", "Arn"]}}]
        if extra_subscription
        else []
    )
    code = json.dumps(RECORDER)
    return template(
        f"""
        Transform: AWS::Serverless-2016-10-31
        Parameters:
          Out:
            Type: String
        Resources:
          Copies:
            Type: AWS::SQS::Queue
          Raw:
            Type: AWS::SQS::Queue
          CopiesPolicy:
            Type: AWS::SQS::QueuePolicy
            Properties:
              Queues: [!Ref Copies]
              PolicyDocument:
                Version: "2012-10-17"
                Statement:
                  - Effect: Allow
                    Principal: {{Service: sns.amazonaws.com}}
                    Action: sqs:SendMessage
                    Resource: !GetAtt Copies.Arn
          Topic:
            Type: AWS::SNS::Topic
            Properties:
              DisplayName: Orders
              Subscription: {inline}
              Tags:
                - Key: team
                  Value: shop
          TopicPolicy:
            Type: AWS::SNS::TopicPolicy
            Properties:
              Topics: [!Ref Topic]
              PolicyDocument:
                Version: "2012-10-17"
                Statement:
                  - Effect: Allow
                    Principal: {{AWS: "*"}}
                    Action: sns:Publish
                    Resource: !Ref Topic
          RawCopy:
            Type: AWS::SNS::Subscription
            Properties:
              TopicArn: !Ref Topic
              Protocol: sqs
              Endpoint: !GetAtt Raw.Arn
              RawMessageDelivery: true
              FilterPolicyScope: MessageBody
              FilterPolicy:
                kind: [raw]
          Bus:
            Type: AWS::Events::EventBus
            Properties:
              Name: !Sub "${{AWS::StackName}}-bus"
              Description: orders
          Recorder:
            Type: AWS::Serverless::Function
            Properties:
              Runtime: python3.11
              Handler: index.handler
              InlineCode: {code}
              Environment:
                Variables:
                  OUT: !Ref Out
              Events:
                FromTopic:
                  Type: SNS
                  Properties:
                    Topic: !Ref Topic
                    FilterPolicy:
                      kind: {json.dumps(filter_kinds)}
                FromBus:
                  Type: EventBridgeRule
                  Properties:
                    EventBusName: !Ref Bus
                    Pattern:
                      source: [shop]
                      detail-type: [placed]
                    InputTransformer:
                      InputPathsMap:
                        id: $.detail.id
                      InputTemplate: '{{"order": <id>}}'
                    RetryPolicy:
                      MaximumRetryAttempts: 3
                    DeadLetterConfig:
                      Type: SQS
                Tick:
                  Type: Schedule
                  Properties:
                    Schedule: rate(1 hour)
                    Input: '{{"tick": true}}'
                    Enabled: {"true" if state else "false"}
        Outputs:
          TopicArn:
            Value: !Ref Topic
          TopicName:
            Value: !GetAtt Topic.TopicName
          SubscriptionArn:
            Value: !Ref RawCopy
          RawUrl:
            Value: !Ref Raw
          CopiesUrl:
            Value: !Ref Copies
          Bus:
            Value: !Ref Bus
          BusArn:
            Value: !GetAtt Bus.Arn
          TickRule:
            Value: !Ref RecorderTick
          TickArn:
            Value: !GetAtt RecorderTick.Arn
          BusRule:
            Value: !Ref RecorderFromBus
        """
    )


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _receive(sqs: Any, url: str) -> list[dict[str, Any]]:
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5, MaxNumberOfMessages=10)
    return got.get("Messages", [])  # type: ignore[no-any-return]


def test_sam_events_deploy_and_run(server, cfn, sns, sqs, shared_dir):
    """A function subscribed to a topic (with a filter policy), to a custom bus's rule (with
    an input transformer) and to a schedule runs when a message is published with boto3, an
    event is put, and the clock passes the hour; a raw body-filtered subscription gets its
    copy; the policies are on the topic and the queue."""
    out = shared_dir / "events.jsonl"
    params = [{"ParameterKey": "Out", "ParameterValue": str(out)}]
    name = create(cfn, _app(["order"], True, True), Parameters=params)
    made = outputs(cfn, name)
    events = server.client("events")

    sns.publish(
        TopicArn=made["TopicArn"],
        Message="an order",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "order"}},
    )
    sns.publish(
        TopicArn=made["TopicArn"],
        Message="not for the function",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "refund"}},
    )
    sns.publish(TopicArn=made["TopicArn"], Message=json.dumps({"kind": "raw"}))
    # One at a time: a second event while the function is busy is throttled and retried
    # later on the (manual) clock, as Lambda retries throttled asynchronous events.
    assert wait_for(lambda: len(_lines(out)) >= 1, 60)
    events.put_events(
        Entries=[
            {"EventBusName": made["Bus"], "Source": "shop", "DetailType": "placed",
             "Detail": json.dumps({"id": 7})},
            {"EventBusName": made["Bus"], "Source": "shop", "DetailType": "refunded",
             "Detail": json.dumps({"id": 8})},
        ]
    )  # fmt: skip
    assert wait_for(lambda: len(_lines(out)) >= 2, 60), _lines(out)
    server.advance(3600)
    assert wait_for(lambda: len(_lines(out)) >= 3)
    server.wait_idle()
    seen = _lines(out)
    raw = _receive(sqs, made["RawUrl"])
    copies = _receive(sqs, made["CopiesUrl"])
    topic_attributes = sns.get_topic_attributes(TopicArn=made["TopicArn"])["Attributes"]
    queue_policy = sqs.get_queue_attributes(QueueUrl=made["CopiesUrl"], AttributeNames=["Policy"])[
        "Attributes"
    ]
    rule = events.describe_rule(Name=made["BusRule"].split("|")[1], EventBusName=made["Bus"])
    targets = events.list_targets_by_rule(Rule=rule["Name"], EventBusName=made["Bus"])["Targets"]
    bus = events.describe_event_bus(Name=made["Bus"])
    dead_letter_arn = targets[0]["DeadLetterConfig"]["Arn"]
    dead_letter_url = sqs.get_queue_url(QueueName=dead_letter_arn.rsplit(":", 1)[1])["QueueUrl"]
    dead_letter_policy = sqs.get_queue_attributes(
        QueueUrl=dead_letter_url, AttributeNames=["Policy"]
    )["Attributes"]["Policy"]
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")

    from_topic = [e for e in seen if "Records" in e]
    assert [r["Sns"]["Message"] for e in from_topic for r in e["Records"]] == ["an order"]
    assert {"order": 7} in seen
    assert {"tick": True} in seen
    assert len(seen) == 3
    assert [m["Body"] for m in raw] == ['{"kind": "raw"}']
    assert sorted(json.loads(m["Body"])["Message"] for m in copies) == sorted(
        ["an order", "not for the function", '{"kind": "raw"}']
    )
    assert made["TopicArn"] == f"arn:aws:sns:us-east-1:000000000000:{made['TopicName']}"
    assert made["TopicName"].startswith(f"{name}-Topic-")
    assert made["SubscriptionArn"].startswith(made["TopicArn"] + ":")
    assert topic_attributes["DisplayName"] == "Orders"
    assert json.loads(topic_attributes["Policy"])["Statement"][0]["Action"] == "sns:Publish"
    assert json.loads(queue_policy["Policy"])["Statement"][0]["Action"] == "sqs:SendMessage"
    assert made["Bus"] == f"{name}-bus"
    assert made["BusArn"] == f"arn:aws:events:us-east-1:000000000000:event-bus/{name}-bus"
    assert bus["Description"] == "orders"
    assert made["BusRule"].startswith(f"{name}-bus|")
    assert "|" not in made["TickRule"]
    assert made["TickArn"] == f"arn:aws:events:us-east-1:000000000000:rule/{made['TickRule']}"
    assert [t["RetryPolicy"]["MaximumRetryAttempts"] for t in targets] == [3]
    assert targets[0]["InputTransformer"]["InputTemplate"] == '{"order": <id>}'
    assert json.loads(dead_letter_policy)["Statement"][0]["Principal"] == {
        "Service": "events.amazonaws.com"
    }
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.get_topic_attributes(TopicArn=made["TopicArn"])
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.describe_event_bus(Name=made["Bus"])
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.describe_rule(Name=made["TickRule"])


def test_updates_apply_in_place(server, cfn, sns, sqs, shared_dir):
    """A new filter policy, a disabled schedule and a dropped inline subscription change the
    same topic, subscriptions and rules; nothing is replaced."""
    out = shared_dir / "events.jsonl"
    params = [{"ParameterKey": "Out", "ParameterValue": str(out)}]
    name = create(cfn, _app(["order"], True, True), Parameters=params)
    before = outputs(cfn, name)
    lambda_subscription = physical_id(cfn, name, "RecorderFromTopic")
    events = server.client("events")

    cfn.update_stack(
        StackName=name,
        TemplateBody=_app(["refund"], False, False),
        Parameters=params,
        Capabilities=CAPABILITIES,
    )
    wait(cfn, name, "stack_update_complete")
    after = outputs(cfn, name)
    kept_subscription = physical_id(cfn, name, "RecorderFromTopic")
    listed = sns.list_subscriptions_by_topic(TopicArn=after["TopicArn"])["Subscriptions"]
    policy = sns.get_subscription_attributes(SubscriptionArn=lambda_subscription)["Attributes"]
    tick = events.describe_rule(Name=after["TickRule"])
    sns.publish(
        TopicArn=after["TopicArn"],
        Message="a refund",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "refund"}},
    )
    assert wait_for(lambda: len(_lines(out)) >= 1)
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")

    assert after == before
    assert kept_subscription == lambda_subscription
    assert sorted(s["Protocol"] for s in listed) == ["lambda", "sqs"]  # the inline one gone
    assert json.loads(policy["FilterPolicy"]) == {"kind": ["refund"]}
    assert tick["State"] == "DISABLED"
    assert [r["Sns"]["Message"] for r in _lines(out)[0]["Records"]] == ["a refund"]


def test_a_bad_target_fails_the_stack_and_rolls_back(server, cfn):
    """A rule whose target PutTargets refuses fails the resource; the rule is not left."""
    body = template(
        """
        Resources:
          Rule:
            Type: AWS::Events::Rule
            Properties:
              Name: stratus-bad-target-rule
              EventPattern: {source: [x]}
              Targets:
                - Id: t
                  Arn: arn:aws:sqs:us-east-1:000000000000:nowhere
                  Input: "{not json"
        """
    )
    name = create(cfn, body, wait=None)
    with pytest.raises(WaiterError):
        wait(cfn, name, "stack_create_complete")
    status = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
    events_list = cfn.describe_stack_events(StackName=name)["StackEvents"]
    reasons = [e.get("ResourceStatusReason", "") for e in events_list]
    events = server.client("events")

    assert status == "ROLLBACK_COMPLETE"
    assert any(r.startswith("Targets could not be put: t: ") for r in reasons), reasons
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.describe_rule(Name="stratus-bad-target-rule")


RESOURCES = template(
    """
    Parameters:
      Target:
        Type: String
        AllowedValues: [First, Second]
      Policies:
        Type: String
        AllowedValues: ["yes", "no"]
    Conditions:
      WithPolicies: !Equals [!Ref Policies, "yes"]
      ToFirst: !Equals [!Ref Target, First]
    Resources:
      First:
        Type: AWS::SQS::Queue
      Second:
        Type: AWS::SQS::Queue
      Ordered:
        Type: AWS::SNS::Topic
        Properties:
          FifoTopic: true
          ContentBasedDeduplication: true
          KmsMasterKeyId: !If [WithPolicies, alias/aws/sns, !Ref AWS::NoValue]
      Copy:
        Type: AWS::SNS::Subscription
        Properties:
          TopicArn: !Ref Ordered
          Protocol: sqs
          Endpoint: !If [ToFirst, !GetAtt First.Arn, !GetAtt Second.Arn]
          RawMessageDelivery: true
      QueuePolicy:
        Type: AWS::SQS::QueuePolicy
        Condition: WithPolicies
        Properties:
          Queues: [!Ref First, !Ref Second]
          PolicyDocument:
            Statement:
              - Effect: Allow
                Principal: "*"
                Action: sqs:SendMessage
                Resource: "*"
      TopicPolicy:
        Type: AWS::SNS::TopicPolicy
        Condition: WithPolicies
        Properties:
          Topics: [!Ref Ordered]
          PolicyDocument:
            Statement:
              - Effect: Deny
                Principal: "*"
                Action: sns:DeleteTopic
                Resource: !Ref Ordered
      Every:
        Type: AWS::Events::Rule
        Properties:
          ScheduleExpression: rate(5 minutes)
          State: ENABLED
          Targets:
            - Id: to-first
              Arn: !GetAtt First.Arn
              Input: '{"every": "5 minutes"}'
    Outputs:
      Topic:
        Value: !GetAtt Ordered.TopicArn
      Name:
        Value: !GetAtt Ordered.TopicName
      Copy:
        Value: !Ref Copy
      First:
        Value: !Ref First
      Second:
        Value: !Ref Second
      Rule:
        Value: !Ref Every
    """
)


def _policy(sqs: Any, url: str) -> str | None:
    found = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get("Attributes", {})
    return found.get("Policy")  # type: ignore[no-any-return]


def test_policies_go_and_endpoints_replace_subscriptions(server, cfn, sns, sqs):
    """A FIFO topic gets a `.fifo` name; policies are set, then removed by an update (the
    topic's back to SNS's default); a new Endpoint makes a new subscription and the old one
    goes; a scheduled rule delivers its Input to a queue."""
    params = {"Target": "First", "Policies": "yes"}

    def parameters(values: dict[str, str]) -> list[dict[str, str]]:
        return [{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()]

    name = create(cfn, RESOURCES, Parameters=parameters(params))
    made = outputs(cfn, name)
    queue_policy = _policy(sqs, made["Second"])
    topic_attributes = sns.get_topic_attributes(TopicArn=made["Topic"])["Attributes"]
    server.advance(300)
    ticked = sqs.receive_message(QueueUrl=made["First"], WaitTimeSeconds=5)["Messages"]
    sqs.delete_message(QueueUrl=made["First"], ReceiptHandle=ticked[0]["ReceiptHandle"])

    cfn.update_stack(
        StackName=name,
        TemplateBody=RESOURCES,
        Parameters=parameters({"Target": "Second", "Policies": "no"}),
        Capabilities=CAPABILITIES,
    )
    wait(cfn, name, "stack_update_complete")
    after = outputs(cfn, name)
    listed = sns.list_subscriptions_by_topic(TopicArn=made["Topic"])["Subscriptions"]
    attributes_after = sns.get_topic_attributes(TopicArn=made["Topic"])["Attributes"]
    sns.publish(TopicArn=made["Topic"], Message="ordered", MessageGroupId="g")
    got = sqs.receive_message(QueueUrl=made["Second"], WaitTimeSeconds=5)["Messages"]
    policies_after = [_policy(sqs, made["First"]), _policy(sqs, made["Second"])]
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")

    assert made["Name"].startswith(f"{name}-Ordered-")
    assert made["Name"].endswith(".fifo")
    assert json.loads(queue_policy or "{}")["Statement"][0]["Action"] == "sqs:SendMessage"
    assert json.loads(topic_attributes["Policy"])["Statement"][0]["Effect"] == "Deny"
    assert topic_attributes["KmsMasterKeyId"] == "alias/aws/sns"
    assert json.loads(ticked[0]["Body"]) == {"every": "5 minutes"}
    assert "|" not in made["Rule"]
    assert after["Copy"] != made["Copy"]
    assert [s["SubscriptionArn"] for s in listed] == [after["Copy"]]
    assert [s["Endpoint"].rsplit(":", 1)[1] for s in listed] == [made["Second"].rsplit("/", 1)[1]]
    assert policies_after == [None, None]
    assert json.loads(attributes_after["Policy"])["Id"] == "__default_policy_ID"
    assert "KmsMasterKeyId" not in attributes_after
    assert [m["Body"] for m in got] == ["ordered"]


def test_schedules_only_on_the_default_bus(cfn):
    """As on AWS: a ScheduleExpression on a custom bus fails the rule."""
    body = template(
        """
        Resources:
          Bus:
            Type: AWS::Events::EventBus
            Properties:
              Name: !Sub "${AWS::StackName}-sched"
          Rule:
            Type: AWS::Events::Rule
            Properties:
              EventBusName: !Ref Bus
              ScheduleExpression: rate(1 hour)
        """
    )
    name = create(cfn, body, wait=None)
    with pytest.raises(WaiterError):
        wait(cfn, name, "stack_create_complete")
    reasons = [
        e.get("ResourceStatusReason", "")
        for e in cfn.describe_stack_events(StackName=name)["StackEvents"]
    ]

    assert "ScheduleExpression is supported only on the default event bus." in reasons


SQS_SUBSCRIPTION = template(
    """
    Transform: AWS::Serverless-2016-10-31
    Resources:
      Topic:
        Type: AWS::SNS::Topic
      Buffer:
        Type: AWS::SQS::Queue
      Seen:
        Type: AWS::SQS::Queue
      Worker:
        Type: AWS::Serverless::Function
        Properties:
          Runtime: python3.11
          Handler: index.handler
          Environment:
            Variables:
              SEEN: !Ref Seen
          InlineCode: |
            import os, boto3
            sqs = boto3.client("sqs")
            def handler(event, context):
                for record in event["Records"]:
                    sqs.send_message(QueueUrl=os.environ["SEEN"], MessageBody=record["body"])
          Events:
            Buffered:
              Type: SNS
              Properties:
                Topic: !Ref Topic
                SqsSubscription:
                  QueueArn: !GetAtt Buffer.Arn
                  QueueUrl: !Ref Buffer
                  Enabled: false
                FilterPolicyScope: MessageBody
                FilterPolicy:
                  kind: [work]
    Outputs:
      Topic:
        Value: !Ref Topic
      Queue:
        Value: !Ref Buffer
      Seen:
        Value: !Ref Seen
    """
)


def test_sam_sqs_subscription_buffers_the_topic_in_a_queue(cfn, sns, sqs):
    """SAM's SqsSubscription: a queue with a policy for the topic, subscribed with the
    event's filter policy, and an event source mapping from it to the function (always
    enabled: SAM's translator ignores SqsSubscription's Enabled, on AWS as here). The worker
    forwards what it gets to `Seen`."""
    name = create(cfn, SQS_SUBSCRIPTION)
    made = outputs(cfn, name)
    policy = sqs.get_queue_attributes(QueueUrl=made["Queue"], AttributeNames=["Policy"])
    sns.publish(TopicArn=made["Topic"], Message=json.dumps({"kind": "work", "n": 1}))
    sns.publish(TopicArn=made["Topic"], Message=json.dumps({"kind": "play", "n": 2}))
    got = sqs.receive_message(QueueUrl=made["Seen"], WaitTimeSeconds=20, MaxNumberOfMessages=10)
    # Anything else the mapping passes on would follow the first at once.
    more = sqs.receive_message(QueueUrl=made["Seen"], WaitTimeSeconds=2, MaxNumberOfMessages=10)
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")

    statement = json.loads(policy["Attributes"]["Policy"])["Statement"][0]
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == made["Topic"]
    assert [json.loads(json.loads(m["Body"])["Message"])["n"] for m in got["Messages"]] == [1]
    assert more.get("Messages", []) == []


def test_a_stack_does_not_adopt_or_leave_topics(server, cfn, sns):
    """A TopicName (or a rule's Name) that exists already fails the resource (the topic
    stays, untouched); a topic whose inline subscription is refused is not left behind."""
    taken = sns.create_topic(Name=f"taken-{uuid.uuid4().hex[:8]}")["TopicArn"]
    rule = f"taken-{uuid.uuid4().hex[:8]}"
    events = server.client("events")
    events.put_rule(Name=rule, EventPattern='{"source": ["mine"]}')
    name_taken = taken.rsplit(":", 1)[1]
    fresh = f"fresh-{uuid.uuid4().hex[:8]}"
    body = template(
        f"""
        Resources:
          Taken:
            Type: AWS::SNS::Topic
            Properties:
              TopicName: {name_taken}
        """
    )
    bad_subscription = template(
        f"""
        Resources:
          Fresh:
            Type: AWS::SNS::Topic
            Properties:
              TopicName: {fresh}
              Subscription:
                - Protocol: carrier-pigeon
                  Endpoint: somewhere
        """
    )
    rule_taken = template(
        f"""
        Resources:
          Rule:
            Type: AWS::Events::Rule
            Properties:
              Name: {rule}
              EventPattern: {{source: [theirs]}}
        """
    )
    first = create(cfn, body, wait=None)
    second = create(cfn, bad_subscription, wait=None)
    third = create(cfn, rule_taken, wait=None)
    for name in (first, second, third):
        with pytest.raises(WaiterError):
            wait(cfn, name, "stack_create_complete")
    reasons = [
        e.get("ResourceStatusReason", "")
        for stack in (first, third)
        for e in cfn.describe_stack_events(StackName=stack)["StackEvents"]
    ]
    pages = sns.get_paginator("list_topics").paginate()
    topics = [t["TopicArn"] for page in pages for t in page["Topics"]]

    assert f"Resource of type 'AWS::SNS::Topic' with identifier '{taken}' already exists." in (
        reasons
    )
    assert taken in topics
    assert events.describe_rule(Name=rule)["EventPattern"] == '{"source": ["mine"]}'
    assert (
        f"Resource of type 'AWS::Events::Rule' with identifier '{rule}' already exists." in reasons
    )
    assert not [t for t in topics if t.endswith(f":{fresh}")]
