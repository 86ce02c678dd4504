"""UPDATE_ROLLBACK_FAILED and ContinueUpdateRollback, over the CloudFormation API (boto3).

A custom resource whose handler refuses to go back to its old properties makes the rollback
of a failed update fail, as on AWS: the stack rests in UPDATE_ROLLBACK_FAILED (UpdateStack
refused) until ContinueUpdateRollback retries the rollback, or skips that resource."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError, WaiterError
from tests.conftest import make_zip
from tests.templates.test_stacks import CAPABILITIES, create, describe, outputs, wait

# Answers through the presigned ResponseURL itself (no cfnresponse outside inline code).
HANDLER = """
import json, urllib.request

REFUSE_GOING_BACK = {refuse}

def handler(event, context):
    props = event["ResourceProperties"]
    going_back = event["RequestType"] == "Update" and props.get("Value") == "one"
    failed = REFUSE_GOING_BACK and going_back
    body = {{
        "Status": "FAILED" if failed else "SUCCESS",
        "Reason": "will not go back" if failed else "ok",
        "PhysicalResourceId": "thing",
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "Data": {{"Value": props.get("Value")}},
    }}
    request = urllib.request.Request(
        event["ResponseURL"], data=json.dumps(body).encode(), method="PUT",
        headers={{"Content-Type": ""}},
    )
    urllib.request.urlopen(request, timeout=30).read()
"""

TEMPLATE = json.dumps(
    {
        "Parameters": {
            "Token": {"Type": "String"},
            "Value": {"Type": "String", "Default": "one"},
            "Break": {"Type": "String", "Default": "no"},
        },
        "Conditions": {"Bad": {"Fn::Equals": [{"Ref": "Break"}, "bad"]}},
        "Resources": {
            "Thing": {
                "Type": "Custom::Thing",
                "Properties": {"ServiceToken": {"Ref": "Token"}, "Value": {"Ref": "Value"}},
            },
            "Later": {
                "Type": "AWS::SQS::Queue",
                "DependsOn": "Thing",
                "Properties": {
                    "QueueName": {"Fn::If": ["Bad", "not a valid name!", {"Ref": "AWS::NoValue"}]}
                },
            },
        },
        "Outputs": {"Value": {"Value": {"Fn::GetAtt": ["Thing", "Value"]}}},
    }
)


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


def failed_rollback(cfn: Any, lambda_client: Any, deploy: Any) -> tuple[str, str]:
    """A stack left UPDATE_ROLLBACK_FAILED: Thing went to "two", Later failed, and Thing's
    handler refused to go back to "one". Answers (stack name, handler name)."""
    handler = deploy(HANDLER.format(refuse=True), Timeout=30)
    token = lambda_client.get_function(FunctionName=handler)["Configuration"]["FunctionArn"]
    name = create(cfn, TEMPLATE, Parameters=[{"ParameterKey": "Token", "ParameterValue": token}])
    cfn.update_stack(
        StackName=name,
        UsePreviousTemplate=True,
        Capabilities=CAPABILITIES,
        Parameters=[
            {"ParameterKey": "Token", "UsePreviousValue": True},
            {"ParameterKey": "Value", "ParameterValue": "two"},
            {"ParameterKey": "Break", "ParameterValue": "bad"},
        ],
    )
    with pytest.raises(WaiterError):
        wait(cfn, name, "stack_update_complete")
    stack = describe(cfn, name)
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_FAILED"
    assert "[Thing]" in stack["StackStatusReason"]
    return name, handler


def test_a_rollback_that_fails_rests_until_continued(cfn, lambda_client, deploy):
    name, handler = failed_rollback(cfn, lambda_client, deploy)
    with pytest.raises(ClientError, match="UPDATE_ROLLBACK_FAILED state and can not be updated"):
        cfn.update_stack(StackName=name, UsePreviousTemplate=True, Capabilities=CAPABILITIES)
    # The handler is fixed; the rollback is tried again and Thing goes back to "one".
    lambda_client.update_function_code(
        FunctionName=handler, ZipFile=make_zip({"app.py": HANDLER.format(refuse=False)})
    )
    cfn.continue_update_rollback(StackName=name)
    wait(cfn, name, "stack_rollback_complete")
    stack = describe(cfn, name)
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert outputs(cfn, name) == {"Value": "one"}
    values = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert (values["Value"], values["Break"]) == ("one", "no")
    statuses = [
        e["ResourceStatus"]
        for e in cfn.describe_stack_events(StackName=name)["StackEvents"]
        if e["LogicalResourceId"] == name
    ]
    assert statuses[:3] == [
        "UPDATE_ROLLBACK_COMPLETE",
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_ROLLBACK_IN_PROGRESS",
    ]
    # Usable again.
    cfn.update_stack(
        StackName=name,
        UsePreviousTemplate=True,
        Capabilities=CAPABILITIES,
        Parameters=[
            {"ParameterKey": "Token", "UsePreviousValue": True},
            {"ParameterKey": "Value", "ParameterValue": "three"},
        ],
    )
    wait(cfn, name, "stack_update_complete")
    assert outputs(cfn, name) == {"Value": "three"}


def test_resources_to_skip_are_left_as_they_are(cfn, lambda_client, deploy):
    name, _ = failed_rollback(cfn, lambda_client, deploy)
    with pytest.raises(ClientError, match="Nothing"):
        cfn.continue_update_rollback(StackName=name, ResourcesToSkip=["Nothing"])
    cfn.continue_update_rollback(StackName=name, ResourcesToSkip=["Thing"])
    wait(cfn, name, "stack_rollback_complete")
    assert describe(cfn, name)["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    thing = cfn.describe_stack_resource(StackName=name, LogicalResourceId="Thing")
    assert thing["StackResourceDetail"]["ResourceStatus"] == "UPDATE_COMPLETE"
    assert outputs(cfn, name) == {"Value": "two"}  # skipped: still what the update made it
    with pytest.raises(ClientError, match="can not continue the update rollback"):
        cfn.continue_update_rollback(StackName=name)
