"""AWS::Logs::LogGroup in a template is a real log group: its retention and tags are the
group's, an update changes them in place, and deleting the stack deletes the group. A rule
of the template can log its events into it."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import WaiterError
from tests.conftest import wait_for
from tests.templates.test_stacks import create, template, wait


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


def body(name: str, days: int, tags: str) -> str:
    return template(
        f"""
        Resources:
          Group:
            Type: AWS::Logs::LogGroup
            Properties:
              LogGroupName: {name}
              RetentionInDays: {days}
              Tags: {tags}
        Outputs:
          Arn:
            Value: !GetAtt Group.Arn
        """
    )


def test_a_log_group_resource_is_a_log_group(server: Any, cfn: Any) -> None:
    logs = server.client("logs")
    name = f"/stack/{time.time_ns()}"
    stack = create(cfn, body(name, 7, "[{Key: team, Value: a}, {Key: old, Value: x}]"))

    [group] = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    assert group["retentionInDays"] == 7
    assert logs.list_tags_log_group(logGroupName=name)["tags"] == {"team": "a", "old": "x"}

    cfn.update_stack(StackName=stack, TemplateBody=body(name, 30, "[{Key: team, Value: b}]"))
    wait(cfn, stack, "stack_update_complete")
    [group] = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    assert group["retentionInDays"] == 30
    assert logs.list_tags_log_group(logGroupName=name)["tags"] == {"team": "b"}

    cfn.delete_stack(StackName=stack)
    wait(cfn, stack, "stack_delete_complete")
    assert logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"] == []


def test_a_group_that_exists_fails_the_stack(server: Any, cfn: Any) -> None:
    name = f"/stack/{time.time_ns()}"
    server.client("logs").create_log_group(logGroupName=name)

    stack = create(cfn, body(name, 1, "[]"), wait=None)
    with pytest.raises(WaiterError):
        wait(cfn, stack, "stack_create_complete")

    events = cfn.describe_stack_events(StackName=stack)["StackEvents"]
    failed = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert "already exists" in failed[0]["ResourceStatusReason"]
    assert server.client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]


def test_a_rule_of_the_template_logs_its_events_into_the_group(server: Any, cfn: Any) -> None:
    """The "EventBridge to CloudWatch Logs" pattern: a rule on the stack's bus targets the
    group by `!GetAtt Group.Arn` (which ends in `:*`); each event reaches the group."""
    logs, events = server.client("logs"), server.client("events")
    suffix = time.time_ns()
    name, bus = f"/aws/events/stack-{suffix}", f"bus-{suffix}"
    stack = create(
        cfn,
        template(
            f"""
            Resources:
              Bus:
                Type: AWS::Events::EventBus
                Properties:
                  Name: {bus}
              Group:
                Type: AWS::Logs::LogGroup
                Properties:
                  LogGroupName: {name}
              LogRule:
                Type: AWS::Events::Rule
                Properties:
                  EventBusName: !Ref Bus
                  EventPattern:
                    source:
                      - prefix: ""
                  Targets:
                    - Arn: !GetAtt Group.Arn
                      Id: CloudWatchLogTarget
            """
        ),
    )

    answer = events.put_events(
        Entries=[{"Source": "shop", "DetailType": "t", "Detail": "{}", "EventBusName": bus}]
    )
    found: list[Any] = []

    def arrived() -> bool:
        found[:] = logs.filter_log_events(logGroupName=name)["events"]
        return bool(found)

    assert wait_for(arrived, timeout=10)
    assert [json.loads(e["message"])["id"] for e in found] == [answer["Entries"][0]["EventId"]]
    cfn.delete_stack(StackName=stack)
    wait(cfn, stack, "stack_delete_complete")


def test_a_rule_target_stratus_cannot_deliver_to_fails_the_stack(server: Any, cfn: Any) -> None:
    """A target ARN of a kind Stratus does not deliver to fails the rule with the reason."""
    stack = create(
        cfn,
        template(
            """
            Resources:
              ToStream:
                Type: AWS::Events::Rule
                Properties:
                  EventPattern:
                    source: [shop]
                  Targets:
                    - Arn: !Sub arn:aws:kinesis:${AWS::Region}:${AWS::AccountId}:stream/s
                      Id: Stream
            """
        ),
        wait=None,
    )
    with pytest.raises(WaiterError):
        wait(cfn, stack, "stack_create_complete")

    events = cfn.describe_stack_events(StackName=stack)["StackEvents"]
    failed = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert "Provided Arn is not in correct format" in failed[0]["ResourceStatusReason"]
