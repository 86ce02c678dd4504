"""DescribeEvents (CloudFormation's 2025 API) over the real server: a stack's events grouped
by operation (create, update, the rollback of a failed update, delete), with each
operation's type and outcome, the failures alone, one operation by its id, a change set's."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from botocore.exceptions import ClientError, WaiterError
from tests.templates.test_stacks import create, stack_name, template, wait

QUEUE = template(
    """
    Parameters:
      Retention:
        Type: Number
        Default: 120
    Resources:
      Inbox:
        Type: AWS::SQS::Queue
        Properties:
          MessageRetentionPeriod: !Ref Retention
    """
)


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


def events(cfn: Any, **kwargs: Any) -> list[dict[str, Any]]:
    pages = cfn.get_paginator("describe_events").paginate(**kwargs)
    return [e for page in pages for e in page["OperationEvents"]]


def update(cfn: Any, name: str, retention: str) -> None:
    cfn.update_stack(
        StackName=name,
        TemplateBody=QUEUE,
        Parameters=[{"ParameterKey": "Retention", "ParameterValue": retention}],
    )
    with contextlib.suppress(WaiterError):
        wait(cfn, name, "stack_update_complete")


def test_events_grouped_by_operation(cfn: Any) -> None:
    name = create(cfn, QUEUE)
    stack_id = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackId"]
    update(cfn, name, "300")
    update(cfn, name, "10")  # below SQS's minimum: the update fails and rolls back
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")

    found = events(cfn, StackName=stack_id)  # a deleted stack by its id, as AWS

    stack_events = cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
    assert [e["EventId"] for e in found] == [e["EventId"] for e in stack_events]  # newest first
    operations: dict[str, tuple[str, str]] = {}
    for event in reversed(found):
        operations.setdefault(
            event["OperationId"], (event["OperationType"], event["OperationStatus"])
        )
    assert list(operations.values()) == [
        ("CREATE_STACK", "SUCCEEDED"),
        ("UPDATE_STACK", "SUCCEEDED"),
        ("UPDATE_STACK", "FAILED"),
        ("ROLLBACK", "SUCCEEDED"),
        ("DELETE_STACK", "SUCCEEDED"),
    ]
    kinds = {(e["LogicalResourceId"], e["EventType"]) for e in found}
    assert (name, "STACK_EVENT") in kinds
    assert ("Inbox", "PROGRESS_EVENT") in kinds
    assert ("Inbox", "PROVISIONING_ERROR") in kinds

    failures = events(cfn, StackName=stack_id, Filters={"FailedEvents": True})

    assert {e["ResourceStatus"] for e in failures} == {"UPDATE_FAILED"}
    assert all(e["OperationType"] == "UPDATE_STACK" for e in failures)

    failed_update = failures[0]["OperationId"]
    one = events(cfn, OperationId=failed_update)

    assert {e["OperationId"] for e in one} == {failed_update}
    assert one[-1]["ResourceStatus"] == "UPDATE_IN_PROGRESS"  # the event that started it
    assert one[-1]["EventId"] == failed_update


def test_a_change_sets_events_and_refusals(cfn: Any) -> None:
    name = stack_name("events-cs")
    made = cfn.create_change_set(
        StackName=name, ChangeSetName="first", ChangeSetType="CREATE", TemplateBody=QUEUE
    )
    cfn.get_waiter("change_set_create_complete").wait(
        ChangeSetName=made["Id"], WaiterConfig={"Delay": 0.2, "MaxAttempts": 150}
    )
    cfn.execute_change_set(ChangeSetName=made["Id"])
    wait(cfn, name, "stack_create_complete")

    found = events(cfn, ChangeSetName=made["Id"])

    types = [e["OperationType"] for e in reversed(found)]
    assert types[0] == "CREATE_CHANGESET"
    assert types[-1] == "CREATE_STACK"
    assert found[0]["ResourceStatus"] == "CREATE_COMPLETE"
    with pytest.raises(ClientError) as nothing:
        cfn.describe_events()
    assert nothing.value.response["Error"]["Code"] == "ValidationError"
    with pytest.raises(ClientError) as unknown:
        cfn.describe_events(OperationId="no-such-operation")
    assert unknown.value.response["Error"]["Code"] == "ValidationError"
