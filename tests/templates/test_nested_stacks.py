"""Nested stacks (AWS::CloudFormation::Stack, AWS::Serverless::Application) deployed over the
CloudFormation API with boto3, their templates in Stratus's object storage."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from botocore.exceptions import WaiterError
from tests.templates.test_continue_update_rollback import HANDLER
from tests.templates.test_stacks import (
    CAPABILITIES,
    create,
    describe,
    outputs,
    physical_id,
    stack_name,
    wait,
)


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


@pytest.fixture(scope="module")
def bucket(server: Any) -> str:
    name = f"nested-{uuid.uuid4().hex[:10]}"
    server.client("s3").create_bucket(Bucket=name)
    return name


CHILD = {
    "Parameters": {"Prefix": {"Type": "String"}, "Fail": {"Type": "String", "Default": "no"}},
    "Conditions": {"Failing": {"Fn::Equals": [{"Ref": "Fail"}, "yes"]}},
    "Resources": {
        "Queue": {
            "Type": "AWS::SQS::Queue",
            "Properties": {"QueueName": {"Fn::Sub": "${Prefix}-${AWS::StackName}"}},
        },
        "Broken": {
            "Type": "AWS::SQS::Queue",
            "Condition": "Failing",
            "Properties": {"QueueName": "not a valid name!"},
        },
    },
    "Outputs": {
        "QueueUrl": {"Value": {"Ref": "Queue"}},
        "QueueName": {"Value": {"Fn::GetAtt": ["Queue", "QueueName"]}},
    },
}


def put(server: Any, bucket: str, document: dict[str, Any]) -> str:
    key = f"templates/{uuid.uuid4().hex}.json"
    server.client("s3").put_object(Bucket=bucket, Key=key, Body=json.dumps(document))
    return key


def parent(url: str, **extra: Any) -> str:
    return json.dumps(
        {
            "Parameters": {
                "Prefix": {"Type": "String", "Default": "first"},
                "Fail": {"Type": "String", "Default": "no"},
            },
            "Resources": {
                "Child": {
                    "Type": "AWS::CloudFormation::Stack",
                    "Properties": {
                        "TemplateURL": url,
                        "Parameters": {"Prefix": {"Ref": "Prefix"}, "Fail": {"Ref": "Fail"}},
                        "TimeoutInMinutes": 5,
                        **extra,
                    },
                },
                "Sibling": {
                    "Type": "AWS::SQS::Queue",
                    "Properties": {
                        "Tags": [
                            {
                                "Key": "child",
                                "Value": {"Fn::GetAtt": ["Child", "Outputs.QueueName"]},
                            }
                        ]
                    },
                },
            },
            "Outputs": {
                "ChildQueue": {"Value": {"Fn::GetAtt": ["Child", "Outputs.QueueUrl"]}},
                "ChildId": {"Value": {"Ref": "Child"}},
            },
        }
    )


def test_a_nested_stack_is_a_real_stack_created_updated_and_deleted_with_its_parent(
    server: Any, cfn: Any, bucket: str
) -> None:
    url = f"{server.endpoint_url}/{bucket}/{put(server, bucket, CHILD)}"
    name = create(cfn, parent(url))
    parent_id = describe(cfn, name)["StackId"]
    child_id = outputs(cfn, name)["ChildId"]
    assert physical_id(cfn, name, "Child") == child_id
    child = describe(cfn, child_id)
    assert re.fullmatch(rf"{name}-Child-[A-Z0-9]{{12}}", child["StackName"])
    assert child["ParentId"] == parent_id
    assert child["RootId"] == parent_id
    assert child["TimeoutInMinutes"] == 5
    assert child["StackStatus"] == "CREATE_COMPLETE"
    queue_url = outputs(cfn, name)["ChildQueue"]
    assert queue_url.endswith(f"/first-{child['StackName']}")
    server.client("sqs").get_queue_attributes(QueueUrl=queue_url)
    listed = cfn.list_stacks()["StackSummaries"]
    assert next(s for s in listed if s["StackId"] == child_id)["ParentId"] == parent_id

    # A parameter change reaches the child, which replaces its queue.
    cfn.update_stack(
        StackName=name,
        UsePreviousTemplate=True,
        Capabilities=CAPABILITIES,
        Parameters=[{"ParameterKey": "Prefix", "ParameterValue": "second"}],
    )
    wait(cfn, name, "stack_update_complete")
    assert outputs(cfn, name)["ChildQueue"].endswith(f"/second-{child['StackName']}")
    assert describe(cfn, child_id)["StackStatus"] == "UPDATE_COMPLETE"

    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")
    assert describe(cfn, child_id)["StackStatus"] == "DELETE_COMPLETE"


def test_a_failed_child_rolls_back_the_parent_and_is_deleted(
    server: Any, cfn: Any, bucket: str
) -> None:
    url = f"s3://{bucket}/{put(server, bucket, CHILD)}"
    name = stack_name("nested-fail")
    cfn.create_stack(
        StackName=name,
        TemplateBody=parent(url),
        Capabilities=CAPABILITIES,
        Parameters=[{"ParameterKey": "Fail", "ParameterValue": "yes"}],
    )
    with pytest.raises(WaiterError):
        wait(cfn, name, "stack_create_complete")
    stack = describe(cfn, name)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    events = cfn.describe_stack_events(StackName=stack["StackId"])["StackEvents"]
    failed = next(e for e in events if e["ResourceStatus"] == "CREATE_FAILED")
    assert failed["LogicalResourceId"] == "Child"
    assert failed["ResourceStatusReason"].startswith("Embedded stack arn:aws:cloudformation:")
    assert (
        "was not successfully created: The following resource(s) failed to create: [Broken]"
        in (failed["ResourceStatusReason"])
    )
    children = [
        s for s in cfn.list_stacks()["StackSummaries"] if s.get("ParentId") == stack["StackId"]
    ]
    assert [s["StackStatus"] for s in children] == ["DELETE_COMPLETE"]


def test_a_failure_after_the_child_updated_rolls_the_child_back(
    server: Any, cfn: Any, bucket: str
) -> None:
    key = put(server, bucket, CHILD)
    url = f"{server.endpoint_url}/{bucket}/{key}"
    body = json.loads(parent(url))
    body["Resources"]["Later"] = {
        "Type": "AWS::SQS::Queue",
        "DependsOn": "Sibling",
        "Properties": {
            "QueueName": {"Fn::If": ["Bad", "not a valid name!", {"Ref": "AWS::NoValue"}]}
        },
    }
    # What breaks the parent is not passed to the child, whose queue keeps its name.
    body["Parameters"]["Break"] = {"Type": "String", "Default": "no"}
    body["Conditions"] = {"Bad": {"Fn::Equals": [{"Ref": "Break"}, "bad"]}}
    name = create(cfn, json.dumps(body))
    child_id = outputs(cfn, name)["ChildId"]
    # The object behind the unchanged TemplateURL changes: the update deploys it, and the
    # rollback puts back the template the child had. (A change in place; a replacement is
    # test_a_root_rollback_gets_back_the_childs_replaced_queue_intact.)
    changed = json.loads(json.dumps(CHILD))
    changed["Resources"]["Queue"]["Properties"]["VisibilityTimeout"] = 99
    server.client("s3").put_object(Bucket=bucket, Key=key, Body=json.dumps(changed))
    cfn.update_stack(
        StackName=name,
        UsePreviousTemplate=True,
        Capabilities=CAPABILITIES,
        Parameters=[{"ParameterKey": "Break", "ParameterValue": "bad"}],
    )
    with pytest.raises(WaiterError):
        wait(cfn, name, "stack_update_complete")
    assert describe(cfn, name)["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    child = describe(cfn, child_id)
    assert child["StackStatus"] == "UPDATE_COMPLETE"
    assert outputs(cfn, child_id)["QueueName"] == f"first-{child['StackName']}"
    assert cfn.get_template(StackName=child_id)["TemplateBody"] == CHILD  # boto3 parses it
    updated = [
        e
        for e in cfn.describe_stack_events(StackName=child_id)["StackEvents"]
        if e["LogicalResourceId"] == child["StackName"]
    ]
    assert [e["ResourceStatus"] for e in updated][:2] == [
        "UPDATE_COMPLETE",
        "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
    ]


def test_a_serverless_application_with_a_template_location(
    server: Any, cfn: Any, bucket: str
) -> None:
    key = put(server, bucket, CHILD)
    body = json.dumps(
        {
            "Transform": "AWS::Serverless-2016-10-31",
            "Resources": {
                "App": {
                    "Type": "AWS::Serverless::Application",
                    "Properties": {
                        "Location": f"https://{bucket}.s3.amazonaws.com/{key}",
                        "Parameters": {"Prefix": "app"},
                    },
                }
            },
            "Outputs": {"Queue": {"Value": {"Fn::GetAtt": ["App", "Outputs.QueueName"]}}},
        }
    )
    name = create(cfn, body)
    child_id = physical_id(cfn, name, "App")
    child = describe(cfn, child_id)
    assert outputs(cfn, name)["Queue"] == f"app-{child['StackName']}"
    resource = cfn.describe_stack_resource(StackName=name, LogicalResourceId="App")
    assert resource["StackResourceDetail"]["ResourceType"] == "AWS::CloudFormation::Stack"


def test_a_change_set_lists_the_nested_stack(server: Any, cfn: Any, bucket: str) -> None:
    url = f"{server.endpoint_url}/{bucket}/{put(server, bucket, CHILD)}"
    name = create(cfn, parent(url))
    cfn.create_change_set(
        StackName=name,
        ChangeSetName="again",
        UsePreviousTemplate=True,
        Capabilities=CAPABILITIES,
    )
    cfn.get_waiter("change_set_create_complete").wait(
        StackName=name, ChangeSetName="again", WaiterConfig={"Delay": 0.2}
    )
    changes = cfn.describe_change_set(StackName=name, ChangeSetName="again")["Changes"]
    (change,) = [c["ResourceChange"] for c in changes]
    assert change["LogicalResourceId"] == "Child"
    assert change["Action"] == "Modify"
    assert change["Replacement"] == "False"
    assert change["Details"][0]["ChangeSource"] == "Automatic"


def test_a_template_url_naming_nothing_fails_the_resource(
    server: Any, cfn: Any, bucket: str
) -> None:
    name = stack_name("nested-missing")
    cfn.create_stack(
        StackName=name,
        TemplateBody=parent(f"{server.endpoint_url}/{bucket}/no/such/key.json"),
        Capabilities=CAPABILITIES,
    )
    with pytest.raises(WaiterError):
        wait(cfn, name, "stack_create_complete")
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    failed = next(e for e in events if e["ResourceStatus"] == "CREATE_FAILED")
    assert failed["ResourceStatusReason"].startswith("S3 error:")


def _queue_update(server: Any, cfn: Any, bucket: str, break_parent: bool) -> dict[str, Any]:
    """A parent whose update replaces the child's queue (a new name), failing afterwards in
    the parent when `break_parent`; answers what the test needs to look at."""
    key = put(server, bucket, CHILD)
    url = f"{server.endpoint_url}/{bucket}/{key}"
    body = json.loads(parent(url))
    body["Resources"]["Later"] = {
        "Type": "AWS::SQS::Queue",
        "DependsOn": "Child",
        "Properties": {
            "QueueName": {"Fn::If": ["Bad", "not a valid name!", {"Ref": "AWS::NoValue"}]}
        },
    }
    body["Parameters"]["Break"] = {"Type": "String", "Default": "no"}
    body["Conditions"] = {"Bad": {"Fn::Equals": [{"Ref": "Break"}, "bad"]}}
    name = create(cfn, json.dumps(body))
    child_id = outputs(cfn, name)["ChildId"]
    sqs = server.client("sqs")
    original = outputs(cfn, child_id)["QueueUrl"]
    sqs.send_message(QueueUrl=original, MessageBody="kept")
    changed = json.loads(json.dumps(CHILD))
    changed["Resources"]["Queue"]["Properties"]["QueueName"]["Fn::Sub"] = "${Prefix}-v2"
    server.client("s3").put_object(Bucket=bucket, Key=key, Body=json.dumps(changed))
    cfn.update_stack(
        StackName=name,
        UsePreviousTemplate=True,
        Capabilities=CAPABILITIES,
        Parameters=[{"ParameterKey": "Break", "ParameterValue": "bad" if break_parent else "no"}],
    )
    return {"name": name, "child_id": child_id, "original": original, "sqs": sqs}


def test_a_childs_replaced_queue_is_deleted_in_the_roots_cleanup_phase(
    server: Any, cfn: Any, bucket: str
) -> None:
    """As on AWS: the child's old queue outlives the child's update and is deleted once the
    root reaches UPDATE_COMPLETE_CLEANUP_IN_PROGRESS."""
    made = _queue_update(server, cfn, bucket, break_parent=False)
    wait(cfn, made["name"], "stack_update_complete")
    sqs = made["sqs"]
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_attributes(QueueUrl=made["original"])
    # Within one stack, events are in order (newest first); across stacks their millisecond
    # stamps may tie, and a tie is moved on by a millisecond, so order is read per stack.
    child_events = cfn.describe_stack_events(StackName=made["child_id"])["StackEvents"]
    deleted = next(
        i
        for i, e in enumerate(child_events)
        if e["LogicalResourceId"] == "Queue"
        and e["ResourceStatus"] == "DELETE_COMPLETE"
        and e["PhysicalResourceId"] == made["original"]
    )
    child_updated = next(
        i
        for i, e in enumerate(child_events)
        if e["PhysicalResourceId"] == made["child_id"] and e["ResourceStatus"] == "UPDATE_COMPLETE"
    )
    assert deleted < child_updated  # deleted after the child's own update had ended


def test_a_root_rollback_gets_back_the_childs_replaced_queue_intact(
    server: Any, cfn: Any, bucket: str
) -> None:
    """The child replaced its queue (new name), then the parent failed: the rollback points
    the child at its original queue again (never deleted: its message is still there) and
    deletes the replacement; no QueueDeletedRecently."""
    made = _queue_update(server, cfn, bucket, break_parent=True)
    with pytest.raises(WaiterError):
        wait(cfn, made["name"], "stack_update_complete")
    assert describe(cfn, made["name"])["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    child = describe(cfn, made["child_id"])
    assert child["StackStatus"] in ("UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE")
    assert outputs(cfn, made["child_id"])["QueueUrl"] == made["original"]
    sqs = made["sqs"]
    got = sqs.receive_message(QueueUrl=made["original"], WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in got] == ["kept"]
    assert not [u for u in sqs.list_queues().get("QueueUrls", []) if u.endswith("/first-v2")]
    resources = cfn.list_stack_resources(StackName=made["child_id"])["StackResourceSummaries"]
    assert [r["PhysicalResourceId"] for r in resources] == [made["original"]]


def _failed_root_rollback(
    server: Any, cfn: Any, bucket: str, lambda_client: Any, deploy: Any
) -> dict[str, Any]:
    """A root left UPDATE_ROLLBACK_FAILED after its child replaced its queue: the rollback
    points the child at its original queue again and holds the replacement for the root's
    cleanup, then a custom resource of the root refuses to go back."""
    handler = deploy(HANDLER.format(refuse=True), Timeout=30)
    token = lambda_client.get_function(FunctionName=handler)["Configuration"]["FunctionArn"]
    key = put(server, bucket, CHILD)
    body = json.loads(parent(f"{server.endpoint_url}/{bucket}/{key}"))
    body["Parameters"] |= {
        "Token": {"Type": "String"},
        "Value": {"Type": "String", "Default": "one"},
        "Break": {"Type": "String", "Default": "no"},
    }
    body["Conditions"] = {"Bad": {"Fn::Equals": [{"Ref": "Break"}, "bad"]}}
    body["Resources"]["Thing"] = {
        "Type": "Custom::Thing",
        "Properties": {"ServiceToken": {"Ref": "Token"}, "Value": {"Ref": "Value"}},
    }
    body["Resources"]["Later"] = {
        "Type": "AWS::SQS::Queue",
        "DependsOn": ["Child", "Thing"],
        "Properties": {
            "QueueName": {"Fn::If": ["Bad", "not a valid name!", {"Ref": "AWS::NoValue"}]}
        },
    }
    prefix = f"held{uuid.uuid4().hex[:8]}"
    name = create(cfn, json.dumps(body), Parameters=[
        {"ParameterKey": "Token", "ParameterValue": token},
        {"ParameterKey": "Prefix", "ParameterValue": prefix},
    ])  # fmt: skip
    changed = json.loads(json.dumps(CHILD))
    changed["Resources"]["Queue"]["Properties"]["QueueName"]["Fn::Sub"] = "${Prefix}-v2"
    server.client("s3").put_object(Bucket=bucket, Key=key, Body=json.dumps(changed))
    cfn.update_stack(
        StackName=name, UsePreviousTemplate=True, Capabilities=CAPABILITIES, Parameters=[
            {"ParameterKey": "Token", "UsePreviousValue": True},
            {"ParameterKey": "Prefix", "UsePreviousValue": True},
            {"ParameterKey": "Value", "ParameterValue": "two"},
            {"ParameterKey": "Break", "ParameterValue": "bad"},
        ],
    )  # fmt: skip
    with pytest.raises(WaiterError):
        wait(cfn, name, "stack_update_complete")
    assert describe(cfn, name)["StackStatus"] == "UPDATE_ROLLBACK_FAILED"
    sqs = server.client("sqs")
    replacement = sqs.get_queue_url(QueueName=f"{prefix}-v2")["QueueUrl"]
    return {"name": name, "sqs": sqs, "replacement": replacement}


def test_a_continued_rollback_deletes_the_childs_held_replacement(
    server: Any, cfn: Any, bucket: str, lambda_client: Any, deploy: Any
) -> None:
    """The replacement a failed rollback held for the root's cleanup is deleted in the
    cleanup phase ContinueUpdateRollback ends with (not held for ever)."""
    made = _failed_root_rollback(server, cfn, bucket, lambda_client, deploy)
    cfn.continue_update_rollback(StackName=made["name"], ResourcesToSkip=["Thing"])
    wait(cfn, made["name"], "stack_rollback_complete")

    assert describe(cfn, made["name"])["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    with pytest.raises(made["sqs"].exceptions.QueueDoesNotExist):
        made["sqs"].get_queue_attributes(QueueUrl=made["replacement"])


def test_deleting_a_root_deletes_its_childs_held_replacement(
    server: Any, cfn: Any, bucket: str, lambda_client: Any, deploy: Any
) -> None:
    """A root deleted in UPDATE_ROLLBACK_FAILED runs the cleanups it held first: the
    child's replacement goes with the tree instead of outliving it."""
    made = _failed_root_rollback(server, cfn, bucket, lambda_client, deploy)
    cfn.delete_stack(StackName=made["name"])
    wait(cfn, made["name"], "stack_delete_complete")

    with pytest.raises(made["sqs"].exceptions.QueueDoesNotExist):
        made["sqs"].get_queue_attributes(QueueUrl=made["replacement"])


def test_a_change_set_including_nested_stacks(server: Any, cfn: Any, bucket: str) -> None:
    """IncludeNestedStacks: the parent's change for its nested stack names the nested change
    set (ChangeSetId), which lists the child's own changes, belongs to the child stack and
    names its parent and root; only the root executes (updating both) or is deleted."""
    url = f"{server.endpoint_url}/{bucket}/{put(server, bucket, CHILD)}"
    name = create(cfn, parent(url))
    child_id = outputs(cfn, name)["ChildId"]
    second = [{"ParameterKey": "Prefix", "ParameterValue": "second"}]

    def change_set(change_set_name: str) -> str:
        made = cfn.create_change_set(
            StackName=name, ChangeSetName=change_set_name, UsePreviousTemplate=True,
            Parameters=second, Capabilities=CAPABILITIES, IncludeNestedStacks=True,
        )  # fmt: skip
        cfn.get_waiter("change_set_create_complete").wait(
            ChangeSetName=made["Id"], WaiterConfig={"Delay": 0.2, "MaxAttempts": 50}
        )
        return str(made["Id"])

    dropped = change_set("dropped")
    root = cfn.describe_change_set(ChangeSetName=dropped)
    assert root["IncludeNestedStacks"] is True
    assert "ParentChangeSetId" not in root
    child_change = next(
        c["ResourceChange"]
        for c in root["Changes"]
        if c["ResourceChange"]["LogicalResourceId"] == "Child"
    )
    nested_id = child_change["ChangeSetId"]
    nested = cfn.describe_change_set(ChangeSetName=nested_id)
    assert nested["StackId"] == child_id
    assert nested["ParentChangeSetId"] == dropped
    assert nested["RootChangeSetId"] == dropped
    assert nested["IncludeNestedStacks"] is True
    assert nested["Status"] == "CREATE_COMPLETE"
    queue = next(
        c["ResourceChange"]
        for c in nested["Changes"]
        if c["ResourceChange"]["LogicalResourceId"] == "Queue"
    )
    assert (queue["Action"], queue["Replacement"]) == ("Modify", "True")
    listed = cfn.list_change_sets(StackName=child_id)["Summaries"]
    assert [(s["ChangeSetId"], s.get("ParentChangeSetId")) for s in listed] == [
        (nested_id, dropped)
    ]
    with pytest.raises(cfn.exceptions.ClientError, match="nested change set"):
        cfn.execute_change_set(ChangeSetName=nested_id)
    with pytest.raises(cfn.exceptions.ClientError, match="nested change set"):
        cfn.delete_change_set(ChangeSetName=nested_id)
    cfn.delete_change_set(ChangeSetName=dropped)  # its nested change set goes with it
    with pytest.raises(cfn.exceptions.ChangeSetNotFoundException):
        cfn.describe_change_set(ChangeSetName=nested_id)

    executed = change_set("executed")
    nested_id = next(
        c["ResourceChange"]["ChangeSetId"]
        for c in cfn.describe_change_set(ChangeSetName=executed)["Changes"]
        if c["ResourceChange"]["LogicalResourceId"] == "Child"
    )
    cfn.execute_change_set(ChangeSetName=executed)
    wait(cfn, name, "stack_update_complete")
    child = describe(cfn, child_id)
    assert outputs(cfn, name)["ChildQueue"].endswith(f"/second-{child['StackName']}")
    described = cfn.describe_change_set(ChangeSetName=nested_id)
    assert described["ExecutionStatus"] == "EXECUTE_COMPLETE"
