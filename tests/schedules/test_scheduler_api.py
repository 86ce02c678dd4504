"""EventBridge Scheduler's control plane through boto3: schedules, groups, tags, refusals."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.conftest import unique

ROLE = "arn:aws:iam::000000000000:role/scheduler"
QUEUE = "arn:aws:sqs:us-east-1:000000000000:anything"
OFF = {"Mode": "OFF"}


@pytest.fixture(scope="session")
def scheduler(server: Any) -> Any:
    return server.client("scheduler")


def _create(scheduler: Any, name: str, **members: Any) -> str:
    members.setdefault("ScheduleExpression", "rate(1 hour)")
    members.setdefault("FlexibleTimeWindow", OFF)
    members.setdefault("Target", {"Arn": QUEUE, "RoleArn": ROLE})
    arn: str = scheduler.create_schedule(Name=name, **members)["ScheduleArn"]
    return arn


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_create_get_update_delete_a_schedule(scheduler):
    """A schedule reads back as created, with AWS's defaults; Update replaces it whole."""
    name = unique("s")
    arn = _create(
        scheduler,
        name,
        ScheduleExpression="cron(0 9 ? * MON-FRI *)",
        ScheduleExpressionTimezone="Europe/Paris",
        Description="weekday mornings",
        Target={"Arn": QUEUE, "RoleArn": ROLE, "Input": '{"job": 1}'},
    )

    found = scheduler.get_schedule(Name=name)
    assert arn == f"arn:aws:scheduler:us-east-1:000000000000:schedule/default/{name}"
    assert {k: found[k] for k in ("Arn", "Name", "GroupName", "State", "ActionAfterCompletion")} \
        == {"Arn": arn, "Name": name, "GroupName": "default", "State": "ENABLED",
            "ActionAfterCompletion": "NONE"}  # fmt: skip
    assert found["ScheduleExpressionTimezone"] == "Europe/Paris"
    assert found["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert found["Description"] == "weekday mornings"
    assert found["Target"]["Input"] == '{"job": 1}'
    assert found["Target"]["RetryPolicy"] == {
        "MaximumEventAgeInSeconds": 86400,
        "MaximumRetryAttempts": 185,
    }

    scheduler.update_schedule(
        Name=name,
        ScheduleExpression="rate(5 minutes)",
        FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15},
        State="DISABLED",
        Target={"Arn": QUEUE, "RoleArn": ROLE,
                "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 120}},
    )  # fmt: skip
    updated = scheduler.get_schedule(Name=name, GroupName="default")
    assert updated["ScheduleExpression"] == "rate(5 minutes)"
    assert updated["State"] == "DISABLED"
    assert updated["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}
    assert "Description" not in updated  # Update replaces every member
    assert updated["ScheduleExpressionTimezone"] == "UTC"
    assert updated["Target"]["RetryPolicy"] == {
        "MaximumEventAgeInSeconds": 120,
        "MaximumRetryAttempts": 3,
    }
    assert updated["CreationDate"] == found["CreationDate"]

    scheduler.delete_schedule(Name=name)
    with pytest.raises(ClientError) as gone:
        scheduler.get_schedule(Name=name)
    assert _code(gone) == "ResourceNotFoundException"
    with pytest.raises(scheduler.exceptions.ResourceNotFoundException):
        scheduler.delete_schedule(Name=name)


def test_list_schedules_filters_and_pages(scheduler):
    """ListSchedules filters by group, name prefix and state, and pages with NextToken."""
    group = unique("g")
    scheduler.create_schedule_group(Name=group)
    names = [f"{group}-{i}" for i in range(5)]
    for i, name in enumerate(names):
        _create(scheduler, name, GroupName=group, State="DISABLED" if i == 4 else "ENABLED")
    _create(scheduler, f"{group}-elsewhere")  # same prefix, default group

    listed = scheduler.list_schedules(GroupName=group)["Schedules"]
    assert [s["Name"] for s in listed] == names
    assert listed[0]["Target"] == {"Arn": QUEUE}
    assert listed[0]["GroupName"] == group
    prefixed = scheduler.list_schedules(NamePrefix=group)["Schedules"]
    assert len(prefixed) == 6
    disabled = scheduler.list_schedules(GroupName=group, State="DISABLED")["Schedules"]
    assert [s["Name"] for s in disabled] == [names[4]]

    first = scheduler.list_schedules(GroupName=group, MaxResults=2)
    second = scheduler.list_schedules(GroupName=group, MaxResults=2, NextToken=first["NextToken"])
    paged = [s["Name"] for s in scheduler.get_paginator("list_schedules")
             .paginate(GroupName=group, PaginationConfig={"PageSize": 2})
             .build_full_result()["Schedules"]]  # fmt: skip
    assert [s["Name"] for s in first["Schedules"] + second["Schedules"]] == names[:4]
    assert paged == names
    with pytest.raises(scheduler.exceptions.ResourceNotFoundException):
        scheduler.list_schedules(GroupName=group + "-missing")


def test_schedule_groups_and_their_tags(scheduler):
    """Groups are created, listed, tagged; deleting one deletes its schedules; `default`
    always exists and cannot be deleted."""
    group = unique("grp")
    arn = scheduler.create_schedule_group(Name=group, Tags=[{"Key": "team", "Value": "a"}])[
        "ScheduleGroupArn"
    ]
    _create(scheduler, "inside", GroupName=group)

    described = scheduler.get_schedule_group(Name=group)
    assert arn == f"arn:aws:scheduler:us-east-1:000000000000:schedule-group/{group}"
    assert (described["Arn"], described["Name"], described["State"]) == (arn, group, "ACTIVE")
    assert "CreationDate" in described
    names = [g["Name"] for g in scheduler.list_schedule_groups()["ScheduleGroups"]]
    assert "default" in names
    assert group in names
    assert [g["Name"] for g in scheduler.list_schedule_groups(NamePrefix=group)[
        "ScheduleGroups"]] == [group]  # fmt: skip
    with pytest.raises(scheduler.exceptions.ConflictException):
        scheduler.create_schedule_group(Name=group)

    scheduler.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}])
    scheduler.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert scheduler.list_tags_for_resource(ResourceArn=arn)["Tags"] == [
        {"Key": "env", "Value": "dev"}
    ]

    scheduler.delete_schedule_group(Name=group)
    with pytest.raises(scheduler.exceptions.ResourceNotFoundException):
        scheduler.get_schedule(Name="inside", GroupName=group)
    with pytest.raises(scheduler.exceptions.ResourceNotFoundException):
        scheduler.get_schedule_group(Name=group)
    with pytest.raises(scheduler.exceptions.ResourceNotFoundException):
        scheduler.list_tags_for_resource(ResourceArn=arn)
    with pytest.raises(scheduler.exceptions.ValidationException):
        scheduler.delete_schedule_group(Name="default")


BAD = [
    ({"ScheduleExpression": "rate(1 minutes)"}, "ValidationException"),
    ({"ScheduleExpression": "cron(0 9 * * * *)"}, "ValidationException"),
    ({"ScheduleExpression": "at(2030-02-30T10:00:00)"}, "ValidationException"),
    ({"ScheduleExpression": "every day"}, "ValidationException"),
    ({"ScheduleExpressionTimezone": "Mars/Olympus"}, "ValidationException"),
    ({"FlexibleTimeWindow": {"Mode": "FLEXIBLE"}}, "ValidationException"),
    ({"FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 1441}},
     "ValidationException"),
    ({"FlexibleTimeWindow": {"Mode": "OFF", "MaximumWindowInMinutes": 5}},
     "ValidationException"),
    ({"Target": {"Arn": QUEUE, "RoleArn": ROLE,
                 "RetryPolicy": {"MaximumRetryAttempts": 186}}}, "ValidationException"),
    ({"Target": {"Arn": QUEUE, "RoleArn": ROLE,
                 "RetryPolicy": {"MaximumEventAgeInSeconds": 86401}}}, "ValidationException"),
    ({"Target": {"Arn": "arn:aws:kinesis:us-east-1:000000000000:stream/x",
                 "RoleArn": ROLE}}, "ValidationException"),
    ({"Target": {"Arn": QUEUE + ".fifo", "RoleArn": ROLE}}, "ValidationException"),
    ({"Target": {"Arn": "arn:aws:events:us-east-1:000000000000:event-bus/default",
                 "RoleArn": ROLE}}, "ValidationException"),
    ({"Target": {"Arn": QUEUE, "RoleArn": ROLE,
                 "DeadLetterConfig": {"Arn": QUEUE + "-dlq.fifo"}}}, "ValidationException"),
    ({"StartDate": "2031-01-02T00:00:00Z", "EndDate": "2031-01-01T00:00:00Z"},
     "ValidationException"),
    ({"EndDate": "2001-01-01T00:00:00Z"}, "ValidationException"),
    ({"GroupName": "no-such-group"}, "ResourceNotFoundException"),
]  # fmt: skip


@pytest.mark.parametrize(("members", "code"), BAD)
def test_create_schedule_refusals(scheduler, members, code):
    """What AWS refuses is refused with its error code, and nothing is created."""
    name = unique("bad")

    with pytest.raises(ClientError) as refused:
        _create(scheduler, name, **members)

    assert _code(refused) == code
    with pytest.raises(scheduler.exceptions.ResourceNotFoundException):
        scheduler.get_schedule(Name=name)


def test_names_are_unique_per_group(scheduler):
    """A name taken in a group is a ConflictException there, free in another group."""
    name, group = unique("twin"), unique("g")
    scheduler.create_schedule_group(Name=group)
    _create(scheduler, name)

    with pytest.raises(scheduler.exceptions.ConflictException):
        _create(scheduler, name)
    _create(scheduler, name, GroupName=group)

    with pytest.raises(scheduler.exceptions.ResourceNotFoundException):
        scheduler.update_schedule(
            Name=unique("ghost"), ScheduleExpression="rate(1 hour)", FlexibleTimeWindow=OFF,
            Target={"Arn": QUEUE, "RoleArn": ROLE},
        )  # fmt: skip


def test_a_repeated_create_with_its_client_token_is_no_conflict(scheduler):
    """CreateSchedule repeated with the same ClientToken (a client retrying) answers the same
    schedule; another token is a ConflictException."""
    name = unique("retried")
    first = _create(scheduler, name, ClientToken="token-1")

    again = _create(scheduler, name, ClientToken="token-1")

    assert again == first
    with pytest.raises(scheduler.exceptions.ConflictException):
        _create(scheduler, name, ClientToken="token-2")
