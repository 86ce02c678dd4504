"""AWS::Logs::LogGroup in a template is a real log group: its retention and tags are the
group's, an update changes them in place, and deleting the stack deletes the group."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import WaiterError
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
