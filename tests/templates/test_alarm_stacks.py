"""AWS::CloudWatch::Alarm in a SAM app, as most production templates have one: an alarm on
a function's Errors whose action is a topic a queue subscribes to. The stack deploys, the
function fails, the alarm goes to ALARM and AWS's alarm notification reaches the queue. A
dashboard beside them is kept (and drawn by no one)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.conftest import wait_for
from tests.templates.test_stacks import create, outputs, template, wait

APP = template(
    """
    Transform: AWS::Serverless-2016-10-31
    Resources:
      Inbox:
        Type: AWS::SQS::Queue
      InboxPolicy:
        Type: AWS::SQS::QueuePolicy
        Properties:
          Queues: [!Ref Inbox]
          PolicyDocument:
            Statement:
              - Effect: Allow
                Principal: {Service: sns.amazonaws.com}
                Action: sqs:SendMessage
                Resource: !GetAtt Inbox.Arn
      Alerts:
        Type: AWS::SNS::Topic
        Properties:
          Subscription:
            - Protocol: sqs
              Endpoint: !GetAtt Inbox.Arn
      Worker:
        Type: AWS::Serverless::Function
        Properties:
          Runtime: python3.11
          Handler: index.handler
          InlineCode: |
            def handler(event, context):
                raise ValueError("no")
      WorkerErrors:
        Type: AWS::CloudWatch::Alarm
        Properties:
          AlarmDescription: the worker fails
          Namespace: AWS/Lambda
          MetricName: Errors
          Dimensions:
            - Name: FunctionName
              Value: !Ref Worker
          Statistic: Sum
          Period: "10"
          EvaluationPeriods: 1
          Threshold: 1
          ComparisonOperator: GreaterThanOrEqualToThreshold
          TreatMissingData: notBreaching
          AlarmActions: [!Ref Alerts]
      Board:
        Type: AWS::CloudWatch::Dashboard
        Properties:
          DashboardBody: !Sub '{"widgets": [{"type": "metric", "properties": {"metrics":
            [["AWS/Lambda", "Errors", "FunctionName", "${Worker}"]], "region": "us-east-1"}}]}'
    Outputs:
      Board:
        Value: !Ref Board
      Alarm:
        Value: !Ref WorkerErrors
      AlarmArn:
        Value: !GetAtt WorkerErrors.Arn
      Function:
        Value: !Ref Worker
      Inbox:
        Value: !Ref Inbox
    """
)


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


def test_an_alarm_on_a_functions_errors_notifies_its_topic(server: Any, cfn: Any) -> None:
    """The function fails; within a period the alarm is ALARM, and the queue behind the
    alarm's topic gets the SNS envelope of AWS's alarm notification JSON."""
    cw, lam, sqs = server.client("cloudwatch"), server.client("lambda"), server.client("sqs")
    name = create(cfn, APP)
    found = outputs(cfn, name)
    (alarm,) = cw.describe_alarms(AlarmNames=[found["Alarm"]])["MetricAlarms"]
    assert alarm["AlarmArn"] == found["AlarmArn"]
    assert (alarm["Period"], alarm["Threshold"]) == (10, 1.0)
    assert alarm["StateValue"] in ("INSUFFICIENT_DATA", "OK")

    failed = lam.invoke(FunctionName=found["Function"], Payload=b"{}")
    assert failed["FunctionError"] == "Unhandled"

    def state() -> str:
        return str(cw.describe_alarms(AlarmNames=[found["Alarm"]])["MetricAlarms"][0]["StateValue"])

    assert wait_for(lambda: state() == "ALARM", timeout=30)
    received = sqs.receive_message(QueueUrl=found["Inbox"], WaitTimeSeconds=10)["Messages"]
    envelope = json.loads(received[0]["Body"])
    assert envelope["Subject"] == f'ALARM: "{found["Alarm"]}" in US East (N. Virginia)'
    message = json.loads(envelope["Message"])
    assert (message["AlarmName"], message["NewStateValue"]) == (found["Alarm"], "ALARM")
    assert message["AlarmDescription"] == "the worker fails"
    assert message["NewStateReason"].startswith("Threshold Crossed: 1 datapoint [1.0 (")
    assert message["Trigger"]["MetricName"] == "Errors"
    assert message["Trigger"]["Statistic"] == "SUM"
    assert message["Trigger"]["Dimensions"] == [
        {"value": found["Function"], "name": "FunctionName"}
    ]

    board = cw.get_dashboard(DashboardName=found["Board"])
    assert found["Function"] in board["DashboardBody"]

    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")
    assert cw.describe_alarms(AlarmNames=[found["Alarm"]])["MetricAlarms"] == []
    assert cw.list_dashboards(DashboardNamePrefix=found["Board"])["DashboardEntries"] == []
