"""CloudWatch Logs' other resources in templates: AWS::Logs::LogStream, MetricFilter,
SubscriptionFilter and QueryDefinition are the real things the Logs API makes (the
subscription delivers to its function), change in place or are replaced as CloudFormation
says, and go with the stack."""

from __future__ import annotations

import contextlib
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


RECEIVER = """
import base64, gzip, json

def handler(event, context):
    data = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    print("received", json.dumps(data, sort_keys=True))
"""


def body(group: str, pattern: str, metric: str) -> str:
    code = "\n".join(" " * 20 + line for line in RECEIVER.strip().splitlines())
    return template(
        f"""
        Resources:
          Group:
            Type: AWS::Logs::LogGroup
            Properties:
              LogGroupName: {group}
          Stream:
            Type: AWS::Logs::LogStream
            Properties:
              LogGroupName: !Ref Group
              LogStreamName: app
          Receiver:
            Type: AWS::Lambda::Function
            Properties:
              Runtime: python3.12
              Handler: index.handler
              Role: arn:aws:iam::000000000000:role/receiver
              Code:
                ZipFile: |
{code}
          Errors:
            Type: AWS::Logs::MetricFilter
            Properties:
              LogGroupName: !Ref Group
              FilterPattern: '{pattern}'
              MetricTransformations:
                - MetricName: {metric}
                  MetricNamespace: App
                  MetricValue: "1"
                  DefaultValue: 0
                  Dimensions: [{{Key: service, Value: $.service}}]
          Subscription:
            Type: AWS::Logs::SubscriptionFilter
            Properties:
              LogGroupName: !Ref Group
              FilterPattern: '{pattern}'
              DestinationArn: !GetAtt Receiver.Arn
          Saved:
            Type: AWS::Logs::QueryDefinition
            Properties:
              Name: errors-{group}
              QueryString: 'fields @message | filter @message like /{pattern}/'
              LogGroupNames: [!Ref Group]
        Outputs:
          Receiver:
            Value: !Ref Receiver
          Stream:
            Value: !Ref Stream
          Filter:
            Value: !Ref Subscription
          Query:
            Value: !GetAtt Saved.QueryDefinitionId
        """
    )


def received(logs: Any, receiver: str) -> list[dict[str, Any]]:
    with contextlib.suppress(logs.exceptions.ResourceNotFoundException):
        found = logs.filter_log_events(
            logGroupName=f"/aws/lambda/{receiver}", filterPattern='"received"'
        )["events"]
        return [json.loads(e["message"].removeprefix("received ")) for e in found]
    return []


def test_log_resources_are_made_delivered_updated_and_deleted(server: Any, cfn: Any) -> None:
    logs = server.client("logs")
    group = f"/stack/filters-{time.time_ns()}"
    stack = create(cfn, body(group, "ERROR", "Errors"))
    out = {
        o["OutputKey"]: o["OutputValue"]
        for o in cfn.describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]
    }

    assert out["Stream"] == "app"
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert [s["logStreamName"] for s in streams] == ["app"]
    [metric] = logs.describe_metric_filters(logGroupName=group)["metricFilters"]
    assert metric["filterPattern"] == "ERROR"
    assert metric["metricTransformations"] == [
        {
            "metricName": "Errors",
            "metricNamespace": "App",
            "metricValue": "1",
            "defaultValue": 0.0,
            "dimensions": {"service": "$.service"},
        }
    ]
    [subscription] = logs.describe_subscription_filters(logGroupName=group)["subscriptionFilters"]
    assert subscription["filterName"] == out["Filter"]
    assert subscription["destinationArn"].endswith(f":function:{out['Receiver']}")
    [query] = [
        q
        for q in logs.describe_query_definitions()["queryDefinitions"]
        if q["queryDefinitionId"] == out["Query"]
    ]
    assert query["logGroupNames"] == [group]

    # The subscription is live: the stream's matching lines reach the function.
    logs.put_log_events(
        logGroupName=group,
        logStreamName="app",
        logEvents=[
            {"timestamp": int(time.time() * 1000), "message": m}
            for m in ("ERROR one", "INFO two", "WARN three")
        ],
    )
    assert wait_for(lambda: received(logs, out["Receiver"]))
    [data] = received(logs, out["Receiver"])
    assert [e["message"] for e in data["logEvents"]] == ["ERROR one"]

    # An update changes the filters in place (same names) and the query definition.
    cfn.update_stack(StackName=stack, TemplateBody=body(group, "WARN", "Warnings"))
    wait(cfn, stack, "stack_update_complete")
    [metric] = logs.describe_metric_filters(logGroupName=group)["metricFilters"]
    assert (metric["filterPattern"], metric["metricTransformations"][0]["metricName"]) == (
        "WARN",
        "Warnings",
    )
    [subscription] = logs.describe_subscription_filters(logGroupName=group)["subscriptionFilters"]
    assert (subscription["filterName"], subscription["filterPattern"]) == (out["Filter"], "WARN")
    [query] = [
        q
        for q in logs.describe_query_definitions()["queryDefinitions"]
        if q["queryDefinitionId"] == out["Query"]
    ]
    assert "WARN" in query["queryString"]

    cfn.delete_stack(StackName=stack)
    wait(cfn, stack, "stack_delete_complete")
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"] == []
    ids = [q["queryDefinitionId"] for q in logs.describe_query_definitions()["queryDefinitions"]]
    assert out["Query"] not in ids


def test_a_subscription_to_a_missing_function_fails_its_resource(server: Any, cfn: Any) -> None:
    group = f"/stack/filters-{time.time_ns()}"
    missing = "arn:aws:lambda:us-east-1:000000000000:function:nope"
    source = template(
        f"""
        Resources:
          Group:
            Type: AWS::Logs::LogGroup
            Properties:
              LogGroupName: {group}
          Subscription:
            Type: AWS::Logs::SubscriptionFilter
            Properties:
              LogGroupName: !Ref Group
              FilterPattern: ''
              DestinationArn: {missing}
        """
    )
    stack = create(cfn, source, wait=None)
    with pytest.raises(WaiterError):
        wait(cfn, stack, "stack_create_complete")
    events = cfn.describe_stack_events(StackName=stack)["StackEvents"]
    [failed] = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert failed["LogicalResourceId"] == "Subscription"
    assert "destination function does not exist" in failed["ResourceStatusReason"]


def test_sams_cloudwatch_logs_event_subscribes_the_function(server: Any, cfn: Any) -> None:
    logs = server.client("logs")
    group = f"/stack/sam-{time.time_ns()}"
    code = "\n".join(" " * 20 + line for line in RECEIVER.strip().splitlines())
    source = template(
        f"""
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Group:
            Type: AWS::Logs::LogGroup
            Properties:
              LogGroupName: {group}
          Receiver:
            Type: AWS::Serverless::Function
            Properties:
              Runtime: python3.12
              Handler: index.handler
              InlineCode: |
{code}
              Events:
                Errors:
                  Type: CloudWatchLogs
                  Properties:
                    LogGroupName: !Ref Group
                    FilterPattern: ERROR
        Outputs:
          Receiver:
            Value: !Ref Receiver
        """
    )
    stack = create(cfn, source)
    [out] = cfn.describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[
            {"timestamp": int(time.time() * 1000), "message": m} for m in ("ERROR a", "INFO b")
        ],
    )
    assert wait_for(lambda: received(logs, out["OutputValue"]))
    [data] = received(logs, out["OutputValue"])
    cfn.delete_stack(StackName=stack)
    wait(cfn, stack, "stack_delete_complete")

    assert [e["message"] for e in data["logEvents"]] == ["ERROR a"]
    assert data["logGroup"] == group
