"""Custom resources backed by functions, deployed over the CloudFormation API (boto3): the
handler gets CloudFormation's request and answers with the cfn-response protocol (a PUT to
the presigned ResponseURL on Stratus's object storage)."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import WaiterError
from tests.conftest import wait_for
from tests.templates.test_stacks import (
    CAPABILITIES,
    create,
    describe,
    outputs,
    physical_id,
    stack_name,
    wait,
)

from stratus.testing import serve_in_process


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


# The handler answers as its properties tell it to and keeps every request it got in a
# queue, so the test sees exactly what CloudFormation sent.
HANDLER = """
import json, os, boto3, cfnresponse

def handler(event, context):
    if "Records" in event:  # through a topic: the request is the message
        event = json.loads(event["Records"][0]["Sns"]["Message"])
    boto3.client("sqs").send_message(QueueUrl=os.environ["LOG"], MessageBody=json.dumps(event))
    props = event["ResourceProperties"]
    if event["RequestType"] == "Delete":
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {}, event["PhysicalResourceId"])
        return
    if props.get("Fail") == "yes":
        cfnresponse.send(event, context, cfnresponse.FAILED, {}, "failed-id",
                         reason="the handler said no")
        return
    if props.get("Silent") == "yes":
        return
    cfnresponse.send(event, context, cfnresponse.SUCCESS,
                     {"Greeting": "hello " + props["Name"], "Size": len(props["Name"])},
                     "thing-" + props.get("Generation", "1"), noEcho=props.get("Secret") == "yes")
"""


def body(*, via_topic: bool = False, **thing: Any) -> str:
    """The stack: a log queue, the handler, and `Thing` (Custom::Greeter) with `thing`
    added to its properties."""
    properties = {
        "ServiceToken": {"Fn::GetAtt": ["Handler", "Arn"]},
        "Name": {"Ref": "Name"},
        "Generation": {"Ref": "Generation"},
        "Fail": {"Ref": "Fail"},
        "Count": 3,
        **thing,
    }
    document: dict[str, Any] = {
        "Parameters": {
            "Name": {"Type": "String", "Default": "world"},
            "Generation": {"Type": "String", "Default": "1"},
            "Fail": {"Type": "String", "Default": "no"},
        },
        "Resources": {
            "Log": {"Type": "AWS::SQS::Queue"},
            "Handler": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "python3.11",
                    "Handler": "index.handler",
                    "Timeout": 30,
                    "Role": "arn:aws:iam::000000000000:role/custom",
                    "Environment": {"Variables": {"LOG": {"Ref": "Log"}}},
                    "Code": {"ZipFile": HANDLER},
                },
            },
            "Thing": {"Type": "Custom::Greeter", "Properties": properties},
        },
        "Outputs": {
            "Greeting": {"Value": {"Fn::GetAtt": ["Thing", "Greeting"]}},
            "Size": {"Value": {"Fn::GetAtt": ["Thing", "Size"]}},
            "Id": {"Value": {"Ref": "Thing"}},
        },
    }
    if via_topic:
        resources: dict[str, Any] = document["Resources"]
        resources["Requests"] = {
            "Type": "AWS::SNS::Topic",
            "Properties": {
                "Subscription": [
                    {"Protocol": "lambda", "Endpoint": {"Fn::GetAtt": ["Handler", "Arn"]}}
                ]
            },
        }
        properties["ServiceToken"] = {"Ref": "Requests"}
    return json.dumps(document)


def requests(server: Any, cfn: Any, name: str) -> list[dict[str, Any]]:
    sqs = server.client("sqs")
    url = physical_id(cfn, name, "Log")
    found: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        if not got.get("Messages"):
            return found
        for message in got["Messages"]:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_create_update_delete_send_cloudformations_requests(server: Any, cfn: Any) -> None:
    name = create(cfn, body())
    assert outputs(cfn, name) == {"Greeting": "hello world", "Size": "5", "Id": "thing-1"}
    (created,) = requests(server, cfn, name)
    stack_id = describe(cfn, name)["StackId"]
    assert created["RequestType"] == "Create"
    assert created["StackId"] == stack_id
    assert created["LogicalResourceId"] == "Thing"
    assert created["ResourceType"] == "Custom::Greeter"
    assert created["ResourceProperties"]["Count"] == "3"  # scalars arrive as strings
    assert created["ResourceProperties"]["ServiceToken"].endswith(
        ":function:" + physical_id(cfn, name, "Handler")
    )
    assert "X-Amz-Signature=" in created["ResponseURL"]
    assert "PhysicalResourceId" not in created
    assert "OldResourceProperties" not in created

    cfn.update_stack(
        StackName=name,
        UsePreviousTemplate=True,
        Capabilities=CAPABILITIES,
        Parameters=[{"ParameterKey": "Name", "ParameterValue": "there"}],
    )
    wait(cfn, name, "stack_update_complete")
    assert outputs(cfn, name)["Greeting"] == "hello there"
    (updated,) = requests(server, cfn, name)
    assert updated["RequestType"] == "Update"
    assert updated["PhysicalResourceId"] == "thing-1"
    assert updated["OldResourceProperties"]["Name"] == "world"
    assert updated["ResourceProperties"]["Name"] == "there"

    # A new physical id from the handler replaces the resource: the old one gets a Delete
    # in the cleanup phase, after the update succeeded.
    cfn.update_stack(
        StackName=name,
        UsePreviousTemplate=True,
        Capabilities=CAPABILITIES,
        Parameters=[
            {"ParameterKey": "Name", "UsePreviousValue": True},
            {"ParameterKey": "Generation", "ParameterValue": "2"},
        ],
    )
    wait(cfn, name, "stack_update_complete")
    assert outputs(cfn, name)["Id"] == "thing-2"
    sent = requests(server, cfn, name)
    assert [(r["RequestType"], r.get("PhysicalResourceId")) for r in sent] == [
        ("Update", "thing-1"),
        ("Delete", "thing-1"),
    ]

    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")
    events = cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
    deleted = [e for e in events if e["LogicalResourceId"] == "Thing"]
    assert deleted[0]["ResourceStatus"] == "DELETE_COMPLETE"
    assert deleted[0]["PhysicalResourceId"] == "thing-2"


def test_a_failed_answer_fails_the_stack_with_its_reason_and_rolls_back(
    server: Any, cfn: Any
) -> None:
    name = stack_name("custom-fail")
    cfn.create_stack(
        StackName=name,
        TemplateBody=body(),
        Capabilities=CAPABILITIES,
        Parameters=[{"ParameterKey": "Fail", "ParameterValue": "yes"}],
    )
    with pytest.raises(WaiterError):  # the waiter fails on ROLLBACK_COMPLETE
        wait(cfn, name, "stack_create_complete")
    stack = describe(cfn, name)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    events = cfn.describe_stack_events(StackName=stack["StackId"])["StackEvents"]
    failed = next(e for e in events if e["ResourceStatus"] == "CREATE_FAILED")
    assert failed["LogicalResourceId"] == "Thing"
    assert (
        "Received response status [FAILED] from custom resource. Message returned: "
        "the handler said no" in failed["ResourceStatusReason"]
    )
    # As on AWS, the rollback sends the failed resource a Delete (with the id it answered).
    thing = [e["ResourceStatus"] for e in events if e["LogicalResourceId"] == "Thing"]
    assert thing[:2] == ["DELETE_COMPLETE", "DELETE_IN_PROGRESS"]


def test_no_answer_times_out_after_service_timeout(server: Any, cfn: Any) -> None:
    name = create(cfn, body(Silent="yes", ServiceTimeout=5), wait=None)
    stack_id = describe(cfn, name)["StackId"]

    def waiting_for_the_answer() -> bool:
        events = cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
        return any(
            e["LogicalResourceId"] == "Thing" and e["ResourceStatus"] == "CREATE_IN_PROGRESS"
            for e in events
        )

    assert wait_for(waiting_for_the_answer)
    server.advance(6)  # past ServiceTimeout: the Create fails; the rollback's Delete waits too
    assert wait_for(
        lambda: any(
            e["ResourceStatus"] == "CREATE_FAILED"
            for e in cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
        )
    )
    server.advance(6)
    assert wait_for(lambda: describe(cfn, stack_id)["StackStatus"].endswith("_COMPLETE"))
    events = cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
    failed = next(e for e in events if e["ResourceStatus"] == "CREATE_FAILED")
    assert "did not receive a response from your Custom Resource" in failed["ResourceStatusReason"]
    assert describe(cfn, stack_id)["StackStatus"] == "ROLLBACK_COMPLETE"


def test_a_bad_service_timeout_fails_the_resource(server: Any, cfn: Any) -> None:
    name = stack_name("custom-timeout")
    cfn.create_stack(
        StackName=name, TemplateBody=body(ServiceTimeout=4000), Capabilities=CAPABILITIES
    )
    with pytest.raises(WaiterError):
        wait(cfn, name, "stack_create_complete")
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    failed = next(e for e in events if e["ResourceStatus"] == "CREATE_FAILED")
    assert (
        "ServiceTimeout must be a whole number of seconds from 1 to 3600"
        in failed["ResourceStatusReason"]
    )


def test_no_echo_masks_the_outputs_made_from_the_resource(server: Any, cfn: Any) -> None:
    name = create(cfn, body(Secret="yes"))
    # GetAtt values are masked; the physical id (Ref) is not.
    assert outputs(cfn, name) == {"Greeting": "*****", "Size": "*****", "Id": "thing-1"}


def test_a_restart_while_waiting_keeps_waiting(tmp_path: Path) -> None:
    """kill -9 while a custom resource awaits its answer: after the restart the stack still
    waits for the same request, and the late answer completes it."""
    data = tmp_path / "data"
    data.mkdir()
    with serve_in_process(data) as server:
        cfn = server.client("cloudformation")
        cfn.create_stack(
            StackName="waiting", TemplateBody=body(Silent="yes"), Capabilities=CAPABILITIES
        )
        sent: list[dict[str, Any]] = []
        assert wait_for(
            lambda: bool(
                cfn.describe_stack_resources(StackName="waiting", LogicalResourceId="Log")[
                    "StackResources"
                ]
            )
        )

        def received() -> bool:
            sent.extend(requests(server, cfn, "waiting"))
            return bool(sent)

        assert wait_for(received, 60)
        assert server.process is not None
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
    (created,) = sent
    assert created["RequestType"] == "Create"

    with serve_in_process(data) as server:
        cfn = server.client("cloudformation")
        time.sleep(1)  # the server settles the stack at start: it must still be waiting
        assert describe(cfn, "waiting")["StackStatus"] == "CREATE_IN_PROGRESS"
        # The handler answers late (the URL's host is this server's new port).
        path = created["ResponseURL"].split("/", 3)[3]
        answer = {
            "Status": "SUCCESS",
            "PhysicalResourceId": "late-thing",
            "StackId": created["StackId"],
            "RequestId": created["RequestId"],
            "LogicalResourceId": "Thing",
            "Data": {"Greeting": "late hello", "Size": 10},
        }
        put = httpx.put(f"{server.endpoint_url}/{path}", content=json.dumps(answer), timeout=10)
        assert put.status_code == 200
        assert wait_for(
            lambda: not describe(cfn, "waiting")["StackStatus"].endswith("_IN_PROGRESS"), 60
        )
        assert describe(cfn, "waiting")["StackStatus"] == "CREATE_COMPLETE"
        assert outputs(cfn, "waiting") == {
            "Greeting": "late hello",
            "Size": "10",
            "Id": "late-thing",
        }


def test_a_topic_service_token_publishes_the_request(server: Any, cfn: Any) -> None:
    name = create(cfn, body(via_topic=True))
    assert outputs(cfn, name)["Greeting"] == "hello world"
    (created,) = requests(server, cfn, name)
    assert created["ServiceToken"] == physical_id(cfn, name, "Requests")


def test_the_stacks_timeout_cuts_a_custom_resources_wait(server: Any, cfn: Any) -> None:
    """CreateStack's TimeoutInMinutes passes while the handler has not answered: the
    resource fails, and the rollback sends it its Delete."""
    name = create(cfn, body(Silent="yes"), wait=None, TimeoutInMinutes=1)
    stack_id = describe(cfn, name)["StackId"]
    assert describe(cfn, name)["TimeoutInMinutes"] == 1

    def waiting() -> bool:
        events = cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
        return any(
            e["LogicalResourceId"] == "Thing" and e["ResourceStatus"] == "CREATE_IN_PROGRESS"
            for e in events
        )

    assert wait_for(waiting)
    server.advance(61)
    assert wait_for(lambda: describe(cfn, stack_id)["StackStatus"] == "ROLLBACK_COMPLETE", 60)
    events = cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
    failed = next(e for e in events if e["ResourceStatus"] == "CREATE_FAILED")
    assert failed["LogicalResourceId"] == "Thing"
    assert "TimeoutInMinutes (1) passed" in failed["ResourceStatusReason"]
    thing = [e["ResourceStatus"] for e in events if e["LogicalResourceId"] == "Thing"]
    assert thing[0] == "DELETE_COMPLETE"
