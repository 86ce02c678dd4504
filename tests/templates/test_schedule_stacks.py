"""AWS::Scheduler::ScheduleGroup / Schedule, AWS::Events::Archive and SAM's ScheduleV2 in
stacks: made from the template, answering Ref and GetAtt as AWS does, firing, updated in
place, deleted with the stack."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.templates.test_stacks import create, outputs, template, wait

SCHEDULES = template(
    """
    Parameters:
      Every:
        Type: String
        Default: rate(1 hour)
    Resources:
      Inbox:
        Type: AWS::SQS::Queue
      Group:
        Type: AWS::Scheduler::ScheduleGroup
        Properties:
          Tags:
            - Key: team
              Value: ops
      Hourly:
        Type: AWS::Scheduler::Schedule
        Properties:
          GroupName: !Ref Group
          ScheduleExpression: !Ref Every
          FlexibleTimeWindow:
            Mode: FLEXIBLE
            MaximumWindowInMinutes: "5"
          Target:
            Arn: !GetAtt Inbox.Arn
            RoleArn: !Sub arn:aws:iam::${AWS::AccountId}:role/scheduler
            Input: '{"from": "template"}'
            RetryPolicy:
              MaximumRetryAttempts: 3
      Kept:
        Type: AWS::Events::Archive
        Properties:
          SourceArn: !Sub arn:aws:events:${AWS::Region}:${AWS::AccountId}:event-bus/default
          EventPattern:
            source: [template.test]
          RetentionDays: 7
    Outputs:
      Group:
        Value: !Ref Group
      GroupArn:
        Value: !GetAtt Group.Arn
      Schedule:
        Value: !Ref Hourly
      ScheduleArn:
        Value: !GetAtt Hourly.Arn
      Archive:
        Value: !Ref Kept
      ArchiveArn:
        Value: !GetAtt Kept.Arn
    """
)

SAM_SCHEDULE = template(
    """
    Transform: AWS::Serverless-2016-10-31
    Resources:
      Nightly:
        Type: AWS::Serverless::Function
        Properties:
          Runtime: python3.12
          Handler: index.handler
          InlineCode: "def handler(event, context): return event"
          Events:
            Tick:
              Type: ScheduleV2
              Properties:
                ScheduleExpression: cron(0 3 * * ? *)
                ScheduleExpressionTimezone: Europe/Paris
                Input: '{"job": "nightly"}'
    """
)


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


def test_schedules_and_archives_from_a_template(server, cfn):
    """The group, schedule and archive are made as the template says, fire and archive,
    change in place on update, and go with the stack."""
    scheduler, sqs, events = (server.client(s) for s in ("scheduler", "sqs", "events"))
    name = create(cfn, SCHEDULES)
    made = outputs(cfn, name)
    schedule = scheduler.get_schedule(Name=made["Schedule"], GroupName=made["Group"])
    tags = scheduler.list_tags_for_resource(ResourceArn=made["GroupArn"])["Tags"]
    archive = events.describe_archive(ArchiveName=made["Archive"])
    events.put_events(Entries=[{"Source": "template.test", "DetailType": "t", "Detail": "{}"}])
    cfn.update_stack(
        StackName=name, TemplateBody=SCHEDULES, Capabilities=["CAPABILITY_IAM"],
        Parameters=[{"ParameterKey": "Every", "ParameterValue": "rate(2 hours)"}],
    )  # fmt: skip
    wait(cfn, name, "stack_update_complete")
    updated = scheduler.get_schedule(Name=made["Schedule"], GroupName=made["Group"])
    queue_url = sqs.get_queue_url(QueueName=schedule["Target"]["Arn"].rsplit(":", 1)[1])["QueueUrl"]
    server.advance(2 * 3600 + 6 * 60)
    fired = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=2).get("Messages", [])
    counted = events.describe_archive(ArchiveName=made["Archive"])["EventCount"]
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")

    assert made["Group"].startswith(f"{name}-Group-")
    assert made["GroupArn"] == (
        f"arn:aws:scheduler:us-east-1:000000000000:schedule-group/{made['Group']}"
    )
    assert made["ScheduleArn"] == (
        f"arn:aws:scheduler:us-east-1:000000000000:schedule/{made['Group']}/{made['Schedule']}"
    )
    assert tags == [{"Key": "team", "Value": "ops"}]
    assert schedule["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 5}
    assert schedule["Target"]["RetryPolicy"]["MaximumRetryAttempts"] == 3
    assert updated["ScheduleExpression"] == "rate(2 hours)"
    assert [json.loads(m["Body"]) for m in fired] == [{"from": "template"}]
    assert made["ArchiveArn"] == f"arn:aws:events:us-east-1:000000000000:archive/{made['Archive']}"
    assert (archive["RetentionDays"], json.loads(archive["EventPattern"])) == (
        7, {"source": ["template.test"]}
    )  # fmt: skip
    assert counted == 1
    with pytest.raises(scheduler.exceptions.ResourceNotFoundException):
        scheduler.get_schedule_group(Name=made["Group"])
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.describe_archive(ArchiveName=made["Archive"])


def test_sam_schedule_v2_event_makes_a_schedule_for_the_function(server, cfn):
    """SAM's ScheduleV2 event becomes an AWS::Scheduler::Schedule targeting the function,
    with the template's expression, zone and input."""
    scheduler = server.client("scheduler")
    name = create(cfn, SAM_SCHEDULE)
    resources = cfn.describe_stack_resources(StackName=name)["StackResources"]
    by_type = {r["ResourceType"]: r["PhysicalResourceId"] for r in resources}
    schedule = scheduler.get_schedule(Name=by_type["AWS::Scheduler::Schedule"])
    function = server.client("lambda").get_function(FunctionName=by_type["AWS::Lambda::Function"])[
        "Configuration"
    ]
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")

    assert schedule["Target"]["Arn"] == function["FunctionArn"]
    assert schedule["ScheduleExpression"] == "cron(0 3 * * ? *)"
    assert schedule["ScheduleExpressionTimezone"] == "Europe/Paris"
    assert schedule["Target"]["Input"] == '{"job": "nightly"}'
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
