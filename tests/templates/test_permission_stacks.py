"""AWS::Lambda::Permission in a template goes through AddPermission's rules: the statement
appears in the function's policy (GetPolicy), and leaves it when the stack is deleted."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import WaiterError
from tests.templates.test_stacks import create, physical_id, template, wait

TEMPLATE = template(
    """
    Resources:
      Fn:
        Type: AWS::Lambda::Function
        Properties:
          Runtime: python3.12
          Handler: index.handler
          Role: arn:aws:iam::000000000000:role/r
          Code:
            ZipFile: |
              def handler(event, context):
                  return 1
      FromBucket:
        Type: AWS::Lambda::Permission
        Properties:
          FunctionName: !GetAtt Fn.Arn
          Action: lambda:InvokeFunction
          Principal: s3.amazonaws.com
          SourceArn: arn:aws:s3:::uploads
    """
)


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


def test_a_permission_resource_is_a_policy_statement(cfn: Any, lambda_client: Any) -> None:
    name = create(cfn, TEMPLATE)
    function = physical_id(cfn, name, "Fn")
    sid = physical_id(cfn, name, "FromBucket")

    policy = json.loads(lambda_client.get_policy(FunctionName=function)["Policy"])

    assert [s["Sid"] for s in policy["Statement"]] == [sid]
    assert policy["Statement"][0]["Principal"] == {"Service": "s3.amazonaws.com"}
    assert policy["Statement"][0]["Condition"] == {
        "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::uploads"}
    }
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_policy(FunctionName=function)


def test_a_permission_on_a_missing_function_fails_the_stack(cfn: Any) -> None:
    body = template(
        """
        Resources:
          P:
            Type: AWS::Lambda::Permission
            Properties:
              FunctionName: no-such-function
              Action: lambda:InvokeFunction
              Principal: sns.amazonaws.com
        """
    )
    name = create(cfn, body, wait=None)
    with pytest.raises(WaiterError):
        wait(cfn, name, "stack_create_complete")

    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    failed = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "ROLLBACK_COMPLETE"
    assert failed[0]["LogicalResourceId"] == "P"
    assert "no-such-function" in failed[0]["ResourceStatusReason"]
