"""AWS::StepFunctions::StateMachine and AWS::Serverless::StateMachine in stacks: created
from the template's definition (with substitutions), referred to by Ref and GetAtt, run,
updated in place, deleted with the stack; a bad definition fails the stack with AWS's
diagnostics."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import WaiterError
from tests.conftest import wait_for
from tests.templates.test_stacks import create, describe, outputs, template, wait

MACHINE = template(
    """
    Parameters:
      Greeting:
        Type: String
        Default: hello
    Resources:
      Role:
        Type: AWS::IAM::Role
        Properties:
          AssumeRolePolicyDocument:
            Statement:
              - Effect: Allow
                Principal: {Service: states.amazonaws.com}
                Action: sts:AssumeRole
      Machine:
        Type: AWS::StepFunctions::StateMachine
        Properties:
          RoleArn: !GetAtt Role.Arn
          Definition:
            StartAt: Greet
            States:
              Greet:
                Type: Pass
                Result: "${greeting}"
                End: true
          DefinitionSubstitutions:
            greeting: !Ref Greeting
    Outputs:
      Arn:
        Value: !Ref Machine
      Name:
        Value: !GetAtt Machine.Name
    """
)

SERVERLESS = template(
    """
    Transform: AWS::Serverless-2016-10-31
    Resources:
      Flow:
        Type: AWS::Serverless::StateMachine
        Properties:
          Type: STANDARD
          Definition:
            StartAt: Wait
            States:
              Wait: {Type: Wait, Seconds: 1, Next: Done}
              Done: {Type: Succeed}
    Outputs:
      Arn:
        Value: !Ref Flow
    """
)


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


def run(server: Any, sfn: Any, arn: str) -> dict[str, Any]:
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    server.advance(1)
    return sfn.describe_execution(executionArn=execution)  # type: ignore[no-any-return]


def test_a_state_machine_from_a_template(server, cfn):
    sfn = server.client("stepfunctions")
    name = create(cfn, MACHINE)
    made = outputs(cfn, name)
    first = run(server, sfn, made["Arn"])
    cfn.update_stack(
        StackName=name,
        TemplateBody=MACHINE,
        Parameters=[{"ParameterKey": "Greeting", "ParameterValue": "bonjour"}],
        Capabilities=["CAPABILITY_IAM"],
    )
    wait(cfn, name, "stack_update_complete")
    second = run(server, sfn, made["Arn"])
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")

    assert made["Arn"] == f"arn:aws:states:us-east-1:000000000000:stateMachine:{made['Name']}"
    assert made["Name"].startswith(f"{name}-Machine-")
    assert json.loads(first["output"]) == "hello"
    assert json.loads(second["output"]) == "bonjour"  # updated in place, same ARN
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.describe_state_machine(stateMachineArn=made["Arn"])


def test_a_serverless_state_machine_runs(server, cfn):
    sfn = server.client("stepfunctions")
    name = create(cfn, SERVERLESS)

    done = run(server, sfn, outputs(cfn, name)["Arn"])

    assert done["status"] == "SUCCEEDED"
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")


def test_a_bad_definition_fails_the_stack_with_diagnostics(cfn):
    bad = MACHINE.replace("End: true", "Next: Nowhere")

    name = create(cfn, bad, wait=None)
    with pytest.raises(WaiterError):
        wait(cfn, name, "stack_create_complete")
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    reasons = [
        e.get("ResourceStatusReason", "") for e in events if e["LogicalResourceId"] == "Machine"
    ]

    assert describe(cfn, name)["StackStatus"] == "ROLLBACK_COMPLETE"
    assert any("MISSING_TRANSITION_TARGET" in reason for reason in reasons)


LOGGED = template(
    """
    Resources:
      Group:
        Type: AWS::Logs::LogGroup
      Machine:
        Type: AWS::StepFunctions::StateMachine
        Properties:
          RoleArn: arn:aws:iam::000000000000:role/sfn
          Definition:
            StartAt: Fail
            States:
              Fail: {Type: Fail, Error: Broken}
          LoggingConfiguration:
            Level: ERROR
            IncludeExecutionData: false
            Destinations:
              - CloudWatchLogsLogGroup:
                  LogGroupArn: !GetAtt Group.Arn
    Outputs:
      Arn:
        Value: !Ref Machine
      Group:
        Value: !Ref Group
    """
)


def test_a_template_machine_logs_as_its_logging_configuration_says(server, cfn):
    sfn = server.client("stepfunctions")
    name = create(cfn, LOGGED)
    made = outputs(cfn, name)

    described = sfn.describe_state_machine(stateMachineArn=made["Arn"])
    run(server, sfn, made["Arn"])
    logs = server.client("logs")
    found: list[dict[str, Any]] = []

    def logged() -> bool:
        found[:] = logs.filter_log_events(logGroupName=made["Group"])["events"]
        return len(found) >= 2

    assert wait_for(logged)
    assert described["loggingConfiguration"]["level"] == "ERROR"
    types = [json.loads(e["message"])["type"] for e in found]
    assert types == ["FailStateEntered", "ExecutionFailed"]
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")


FROM_BUCKET = template(
    """
    Parameters:
      Key:
        Type: String
      Greeting:
        Type: String
        Default: hello
    Resources:
      Machine:
        Type: AWS::StepFunctions::StateMachine
        Properties:
          RoleArn: arn:aws:iam::000000000000:role/states
          DefinitionS3Location:
            Bucket: sfn-definitions
            Key: !Ref Key
          DefinitionSubstitutions:
            greeting: !Ref Greeting
    Outputs:
      Arn:
        Value: !Ref Machine
    """
)
YAML_DEFINITION = b"""
StartAt: Greet
States:
  Greet: {Type: Pass, Result: "${greeting} from yaml", End: true}
"""
JSON_DEFINITION = b"""
{"StartAt": "Greet", "States": {"Greet": {"Type": "Pass", "Result": "${greeting} from json",
 "End": true}}}
"""


def test_a_definition_read_from_the_object_storage(server, cfn):
    """DefinitionS3Location (what `aws cloudformation package` and `sam deploy` make of
    DefinitionUri): a YAML or JSON object of the object storage, substitutions applied;
    a new key updates the machine in place; a missing object fails the stack with S3's
    reason."""
    s3, sfn = server.client("s3"), server.client("stepfunctions")
    s3.create_bucket(Bucket="sfn-definitions")
    s3.put_object(Bucket="sfn-definitions", Key="flow.yaml", Body=YAML_DEFINITION)
    s3.put_object(Bucket="sfn-definitions", Key="flow.json", Body=JSON_DEFINITION)
    key = [{"ParameterKey": "Key", "ParameterValue": "flow.yaml"}]

    name = create(cfn, FROM_BUCKET, Parameters=key)
    arn = outputs(cfn, name)["Arn"]
    first = run(server, sfn, arn)
    cfn.update_stack(
        StackName=name,
        TemplateBody=FROM_BUCKET,
        Parameters=[{"ParameterKey": "Key", "ParameterValue": "flow.json"}],
    )
    wait(cfn, name, "stack_update_complete")
    second = run(server, sfn, arn)

    assert json.loads(first["output"]) == "hello from yaml"
    assert json.loads(second["output"]) == "hello from json"
    assert outputs(cfn, name)["Arn"] == arn  # in place

    missing = create(
        cfn, FROM_BUCKET, Parameters=[{"ParameterKey": "Key", "ParameterValue": "nope"}], wait=None
    )
    with pytest.raises(WaiterError):
        wait(cfn, missing, "stack_create_complete")
    reasons = [
        e.get("ResourceStatusReason", "")
        for e in cfn.describe_stack_events(StackName=missing)["StackEvents"]
        if e["LogicalResourceId"] == "Machine"
    ]
    assert any("DefinitionS3Location" in r and "key does not exist" in r for r in reasons), reasons


PUBLISHED = template(
    """
    Transform: AWS::Serverless-2016-10-31
    Parameters:
      Greeting:
        Type: String
        Default: hello
    Resources:
      Flow:
        Type: AWS::Serverless::StateMachine
        Properties:
          AutoPublishAlias: live
          Definition:
            StartAt: Greet
            States:
              Greet: {Type: Pass, Result: "${greeting}", End: true}
          DefinitionSubstitutions:
            greeting: !Ref Greeting
      Worker:
        Type: AWS::StepFunctions::Activity
        Properties:
          Name: !Sub "${AWS::StackName}-worker"
          Tags: [{Key: team, Value: !Ref Greeting}]
    Outputs:
      Arn:
        Value: !Ref Flow
      Activity:
        Value: !Ref Worker
    """
)


def test_a_serverless_state_machine_publishes_a_version_per_definition_behind_its_alias(
    server, cfn
):
    """SAM's AutoPublishAlias: a StateMachineVersion that follows the machine's
    StateMachineRevisionId, and a StateMachineAlias (ALL_AT_ONCE) on it. A new definition
    publishes a new version and moves the alias; the old version stays (SAM retains it)."""
    sfn = server.client("stepfunctions")
    name = create(cfn, PUBLISHED)
    made = outputs(cfn, name)
    alias = f"{made['Arn']}:live"
    first = run(server, sfn, alias)
    [worker] = [
        a for a in sfn.list_activities()["activities"] if a["activityArn"] == made["Activity"]
    ]
    assert sfn.list_tags_for_resource(resourceArn=made["Activity"])["tags"] == [
        {"key": "team", "value": "hello"}
    ]

    cfn.update_stack(
        StackName=name,
        TemplateBody=PUBLISHED,
        Parameters=[{"ParameterKey": "Greeting", "ParameterValue": "bonjour"}],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    wait(cfn, name, "stack_update_complete")
    second = run(server, sfn, alias)
    versions = sfn.list_state_machine_versions(stateMachineArn=made["Arn"])["stateMachineVersions"]
    routing = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)["routingConfiguration"]
    tags = sfn.list_tags_for_resource(resourceArn=made["Activity"])["tags"]
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")

    assert worker["name"] == f"{name}-worker"
    assert json.loads(first["output"]) == "hello"
    assert json.loads(second["output"]) == "bonjour"
    assert sorted(v["stateMachineVersionArn"] for v in versions) == [
        f"{made['Arn']}:1",
        f"{made['Arn']}:2",
    ]
    assert routing == [{"stateMachineVersionArn": f"{made['Arn']}:2", "weight": 100}]
    assert tags == [{"key": "team", "value": "bonjour"}]
    assert made["Activity"] not in [a["activityArn"] for a in sfn.list_activities()["activities"]]
