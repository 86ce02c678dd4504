"""Stacks end to end: templates deployed over the CloudFormation API (boto3), their
resources used through the Lambda API and over HTTP, updates, rollbacks and deletes."""

from __future__ import annotations

import itertools
import json
import textwrap
import uuid
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError, WaiterError
from tests.conftest import invoke_json

_names = itertools.count()
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


def stack_name(prefix: str = "stack") -> str:
    # Unique per session server even when this module is imported twice (other test
    # modules import its helpers, with a counter of their own).
    return f"{prefix}-{next(_names)}-{uuid.uuid4().hex[:6]}"


def template(source: str) -> str:
    return textwrap.dedent(source).strip() + "\n"


def create(
    cfn: Any, body: str, *, wait: str | None = "stack_create_complete", **kwargs: Any
) -> str:
    name = kwargs.pop("StackName", None) or stack_name()
    cfn.create_stack(StackName=name, TemplateBody=body, Capabilities=CAPABILITIES, **kwargs)
    if wait:
        cfn.get_waiter(wait).wait(StackName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 150})
    return name


def describe(cfn: Any, name: str) -> dict[str, Any]:
    return cfn.describe_stacks(StackName=name)["Stacks"][0]  # type: ignore[no-any-return]


def outputs(cfn: Any, name: str) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in describe(cfn, name).get("Outputs", [])}


def wait(cfn: Any, name: str, waiter: str) -> None:
    cfn.get_waiter(waiter).wait(StackName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 150})


def physical_id(cfn: Any, name: str, logical_id: str) -> str:
    resource = cfn.describe_stack_resource(StackName=name, LogicalResourceId=logical_id)
    return resource["StackResourceDetail"]["PhysicalResourceId"]  # type: ignore[no-any-return]


FUNCTION = template(
    """
    Parameters:
      Greeting:
        Type: String
        Default: hello
        AllowedValues: [hello, bonjour]
    Resources:
      Greeter:
        Type: AWS::Lambda::Function
        Properties:
          Runtime: python3.11
          Handler: index.handler
          Role: arn:aws:iam::000000000000:role/lambda-role
          Environment:
            Variables:
              GREETING: !Ref Greeting
          Code:
            ZipFile: |
              import os
              def handler(event, context):
                  return {"message": os.environ["GREETING"] + " " + event.get("name", "you")}
    Outputs:
      FunctionName:
        Value: !Ref Greeter
      FunctionArn:
        Value: !GetAtt Greeter.Arn
        Export:
          Name: !Sub "${AWS::StackName}-arn"
    """
)


def test_a_template_becomes_a_function_that_answers(cfn: Any, lambda_client: Any) -> None:
    name = create(cfn, FUNCTION)
    stack = describe(cfn, name)
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["Parameters"] == [{"ParameterKey": "Greeting", "ParameterValue": "hello"}]
    found = outputs(cfn, name)
    assert found["FunctionName"].startswith(f"{name}-Greeter-")
    assert found["FunctionArn"].endswith(f":function:{found['FunctionName']}")
    _, payload = invoke_json(lambda_client, found["FunctionName"], {"name": "Ada"})
    assert payload == {"message": "hello Ada"}
    [resource] = cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]
    assert resource["ResourceType"] == "AWS::Lambda::Function"
    assert resource["PhysicalResourceId"] == found["FunctionName"]
    statuses = [
        e["ResourceStatus"] for e in cfn.describe_stack_events(StackName=name)["StackEvents"]
    ]
    assert statuses[0] == "CREATE_COMPLETE"
    assert statuses[-1] == "CREATE_IN_PROGRESS"
    exports = {e["Name"]: e["Value"] for e in cfn.list_exports()["Exports"]}
    assert exports[f"{name}-arn"] == found["FunctionArn"]


def test_an_update_changes_the_function_in_place(cfn: Any, lambda_client: Any) -> None:
    name = create(cfn, FUNCTION)
    function = outputs(cfn, name)["FunctionName"]
    changed = FUNCTION.replace('+ " " +', '+ ", " +')
    cfn.update_stack(
        StackName=name,
        TemplateBody=changed,
        Parameters=[{"ParameterKey": "Greeting", "ParameterValue": "bonjour"}],
    )
    wait(cfn, name, "stack_update_complete")
    assert outputs(cfn, name)["FunctionName"] == function  # updated, not replaced
    _, payload = invoke_json(lambda_client, function, {"name": "Ada"})
    assert payload == {"message": "bonjour, Ada"}
    with pytest.raises(ClientError, match="No updates are to be performed"):
        cfn.update_stack(
            StackName=name,
            UsePreviousTemplate=True,
            Parameters=[{"ParameterKey": "Greeting", "UsePreviousValue": True}],
        )


def test_a_failed_create_rolls_back_everything(cfn: Any, lambda_client: Any) -> None:
    body = template(
        """
        Resources:
          Fn:
            Type: AWS::Lambda::Function
            Properties:
              FunctionName: rollback-victim
              Runtime: python3.11
              Handler: index.handler
              Role: arn:aws:iam::000000000000:role/lambda-role
              Code: {ZipFile: "def handler(e, c): return 1"}
          Live:
            Type: AWS::Lambda::Alias
            Properties:
              FunctionName: !Ref Fn
              FunctionVersion: "42"
              Name: live
        """
    )
    name = create(cfn, body, wait=None)
    with pytest.raises(WaiterError):
        wait(cfn, name, "stack_create_complete")
    stack = describe(cfn, name)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_function(FunctionName="rollback-victim")
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    [rolling] = [e for e in events if e["ResourceStatus"] == "ROLLBACK_IN_PROGRESS"]
    assert "[Live]" in rolling["ResourceStatusReason"]
    failed = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert failed[0]["LogicalResourceId"] == "Live"
    assert failed[0]["ResourceStatusReason"]


def test_a_failed_update_restores_the_previous_state(cfn: Any, lambda_client: Any) -> None:
    name = create(cfn, FUNCTION)
    function = outputs(cfn, name)["FunctionName"]
    broken = FUNCTION.replace(
        "Outputs:",
        "  Broken:\n    Type: AWS::Lambda::Alias\n    Properties:\n"
        "      FunctionName: !Ref Greeter\n"
        "      FunctionVersion: '7'\n      Name: broken\nOutputs:",
    )
    cfn.update_stack(
        StackName=name,
        TemplateBody=broken,
        Parameters=[{"ParameterKey": "Greeting", "ParameterValue": "bonjour"}],
    )
    with pytest.raises(WaiterError):
        wait(cfn, name, "stack_update_complete")
    assert describe(cfn, name)["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    _, payload = invoke_json(lambda_client, function, {"name": "Ada"})
    assert payload == {"message": "hello Ada"}  # the environment was put back


def test_unsupported_types_fail_before_any_change(cfn: Any) -> None:
    body = template(
        """
        Resources:
          Stream:
            Type: AWS::Kinesis::Stream
          Cluster:
            Type: AWS::ECS::Cluster
            Properties: {}
          Group:
            Type: AWS::Logs::LogGroup
        """
    )
    name = stack_name()
    with pytest.raises(ClientError) as caught:
        cfn.create_stack(StackName=name, TemplateBody=body)
    message = caught.value.response["Error"]["Message"]
    assert "Stream (AWS::Kinesis::Stream)" in message
    assert "Cluster (AWS::ECS::Cluster)" in message
    with pytest.raises(ClientError, match="does not exist"):
        cfn.describe_stacks(StackName=name)


def test_skip_unsupported_deploys_the_rest(cfn: Any) -> None:
    body = template(
        """
        Resources:
          Stream:
            Type: AWS::Kinesis::Stream
          Group:
            Type: AWS::Logs::LogGroup
        """
    )
    name = create(cfn, body, Tags=[{"Key": "stratus:skip-unsupported", "Value": "true"}])
    resources = cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]
    assert [r["LogicalResourceId"] for r in resources] == ["Group"]
    skipped = [
        e for e in cfn.describe_stack_events(StackName=name)["StackEvents"]
        if e["ResourceStatus"] == "CREATE_SKIPPED"
    ]  # fmt: skip
    assert [e["LogicalResourceId"] for e in skipped] == ["Stream"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Resources: [", "not well-formed"),
        ("Parameters:\n  Need: {Type: String}\nResources:\n  G: {Type: AWS::Logs::LogGroup}\n",
         r"Parameters: \[Need\] must have values"),
        ("Resources:\n  A: {Type: AWS::Logs::LogGroup, DependsOn: B}\n"
         "  B: {Type: AWS::Logs::LogGroup, DependsOn: A}\n", "Circular dependency"),
        ("Resources:\n  A:\n    Type: AWS::Logs::LogGroup\n    Properties:\n"
         "      LogGroupName: !Ref Nowhere\n", "Nowhere"),
    ],
)  # fmt: skip
def test_bad_templates_are_refused_with_the_reason(cfn: Any, body: str, message: str) -> None:
    with pytest.raises(ClientError, match=message) as caught:
        cfn.create_stack(StackName=stack_name(), TemplateBody=body)
    assert caught.value.response["Error"]["Code"] == "ValidationError"


def test_iam_resources_need_the_capability(cfn: Any) -> None:
    body = template(
        """
        Resources:
          Role:
            Type: AWS::IAM::Role
            Properties:
              AssumeRolePolicyDocument: {}
        """
    )
    with pytest.raises(ClientError) as caught:
        cfn.create_stack(StackName=stack_name(), TemplateBody=body)
    assert caught.value.response["Error"]["Code"] == "InsufficientCapabilitiesException"


def test_delete_removes_the_resources_and_keeps_the_record(cfn: Any, lambda_client: Any) -> None:
    name = create(cfn, FUNCTION)
    function = outputs(cfn, name)["FunctionName"]
    stack_id = describe(cfn, name)["StackId"]
    cfn.delete_stack(StackName=name)
    wait(cfn, stack_id, "stack_delete_complete")
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_function(FunctionName=function)
    with pytest.raises(ClientError, match="does not exist"):
        cfn.describe_stacks(StackName=name)
    listed = {s["StackId"]: s["StackStatus"] for s in cfn.list_stacks()["StackSummaries"]}
    assert listed[stack_id] == "DELETE_COMPLETE"


def test_an_export_in_use_cannot_be_deleted(cfn: Any) -> None:
    exporter = create(cfn, FUNCTION)
    importer = create(
        cfn,
        template(
            f"""
            Resources:
              Group:
                Type: AWS::Logs::LogGroup
                Properties:
                  LogGroupName: !ImportValue {exporter}-arn
            Outputs:
              Imported:
                Value: !Ref Group
            """
        ),
    )
    assert outputs(cfn, importer)["Imported"] == outputs(cfn, exporter)["FunctionArn"]
    with pytest.raises(ClientError, match="in use by"):
        cfn.delete_stack(StackName=exporter)


def test_sam_http_api_answers_at_the_output_url(cfn: Any) -> None:
    body = template(
        """
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Hello:
            Type: AWS::Serverless::Function
            Properties:
              Runtime: python3.11
              Handler: index.handler
              InlineCode: |
                import json
                def handler(event, context):
                    return {"path": event["rawPath"], "who": event["pathParameters"]["who"]}
              Events:
                Get:
                  Type: HttpApi
                  Properties:
                    Path: /hello/{who}
                    Method: get
        Outputs:
          Url:
            Value: !Sub "https://${ServerlessHttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/"
        """
    )
    name = create(cfn, body)
    url = outputs(cfn, name)["Url"]
    assert url.startswith("http://127.0.0.1:")
    response = httpx.get(url + "hello/ada", timeout=30)
    assert response.status_code == 200, response.text
    assert json.loads(response.text) == {"path": "/hello/ada", "who": "ada"}


def _failure_reasons(cfn: Any, name: str) -> list[str]:
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    return [
        e.get("ResourceStatusReason", "") for e in events if e["ResourceStatus"].endswith("_FAILED")
    ]


def test_a_runtime_aws_blocked_fails_the_function_with_aws_reason(cfn: Any) -> None:
    """Runtime: python3.7 (blocked on AWS) fails the create with the reason AWS gives."""
    old = create(cfn, FUNCTION.replace("Runtime: python3.11", "Runtime: python3.7"), wait=None)

    with pytest.raises(WaiterError):
        wait(cfn, old, "stack_create_complete")

    assert describe(cfn, old)["StackStatus"] == "ROLLBACK_COMPLETE"
    assert (
        "The runtime parameter of python3.7 is no longer supported for creating or updating "
        "AWS Lambda functions." in " ".join(_failure_reasons(cfn, old))
    )


def _sam_function_with(member: str) -> str:
    """A SAM template of one inline Python function that also sets `member` (YAML)."""
    return template(
        f"""
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Refused:
            Type: AWS::Serverless::Function
            Properties:
              Runtime: python3.13
              Handler: index.handler
              InlineCode: "def handler(e, c): return 1"
              {member}
        """
    )


def test_tenancy_config_fails_the_function_with_the_reason(cfn: Any) -> None:
    """TenancyConfig on an AWS::Serverless::Function (the transform passes it on) fails the
    create with the reason: Stratus isolates no tenants, and says so rather than deploying
    a function whose handler finds no context.tenant_id (aws-samples/serverless-patterns
    sqs-lambda-tenant-isolation-sam-py)."""
    created = create(
        cfn, _sam_function_with("TenancyConfig: {TenantIsolationMode: PER_TENANT}"), wait=None
    )

    with pytest.raises(WaiterError):
        wait(cfn, created, "stack_create_complete")

    assert describe(cfn, created)["StackStatus"] == "ROLLBACK_COMPLETE"
    assert "Stratus does not support tenant isolation" in " ".join(_failure_reasons(cfn, created))


def test_durable_config_fails_the_function_with_the_reason(cfn: Any, lambda_client: Any) -> None:
    """DurableConfig on an AWS::Serverless::Function (the transform passes it on) fails the
    create, and added to an AWS::Lambda::Function it fails the update: Stratus runs no
    durable functions, and says so rather than deploying an ordinary one."""
    sam = _sam_function_with("DurableConfig: {ExecutionTimeout: 900, RetentionPeriodInDays: 3}")
    created = create(cfn, sam, wait=None)
    plain = create(cfn, FUNCTION)
    durable = FUNCTION.replace(
        "      Environment:", "      DurableConfig: {ExecutionTimeout: 900}\n      Environment:"
    )
    cfn.update_stack(StackName=plain, TemplateBody=durable)

    with pytest.raises(WaiterError):
        wait(cfn, created, "stack_create_complete")
    with pytest.raises(WaiterError):
        wait(cfn, plain, "stack_update_complete")

    assert describe(cfn, created)["StackStatus"] == "ROLLBACK_COMPLETE"
    assert describe(cfn, plain)["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    for name in (created, plain):
        reasons = " ".join(_failure_reasons(cfn, name))
        assert "Stratus does not support durable functions" in reasons


def test_logging_config_reaches_the_function_and_leaves_with_it(
    cfn: Any, lambda_client: Any
) -> None:
    """A function's LoggingConfig in a template is applied; removed by an update, the
    function is back on AWS's defaults (Text, /aws/lambda/<name>)."""
    logged = FUNCTION.replace(
        "      Environment:",
        "      LoggingConfig: {LogFormat: JSON, LogGroup: custom-group}\n      Environment:",
    )
    name = create(cfn, logged)
    function = outputs(cfn, name)["FunctionName"]
    applied = lambda_client.get_function_configuration(FunctionName=function)["LoggingConfig"]
    cfn.update_stack(StackName=name, TemplateBody=FUNCTION)
    wait(cfn, name, "stack_update_complete")
    removed = lambda_client.get_function_configuration(FunctionName=function)["LoggingConfig"]

    assert applied == {
        "LogFormat": "JSON",
        "ApplicationLogLevel": "INFO",
        "SystemLogLevel": "INFO",
        "LogGroup": "custom-group",
    }
    assert removed == {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{function}"}
