"""CloudFormation over the query protocol, against the real server: boto3's `cloudformation`
client, and raw form posts for what boto3 would refuse to send."""

from __future__ import annotations

import itertools
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from stratus.testing import RunningServer

SIGNED_FOR = (
    "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=0"
)


@pytest.fixture(scope="module")
def cfn(server: RunningServer) -> Any:
    return server.client("cloudformation")


@pytest.fixture(scope="module")
def unchecked(server: RunningServer) -> Any:
    """A client that sends what botocore's own validation would refuse."""
    return server.client("cloudformation", parameter_validation=False)


def post(
    server: RunningServer, body: bytes | str, service: str | None = "cloudformation"
) -> httpx.Response:
    headers = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}
    if service:
        headers["authorization"] = SIGNED_FOR.format(service=service)
    return httpx.post(f"{server.endpoint_url}/", content=body, headers=headers)


def error_of(response: httpx.Response) -> dict[str, str]:
    """Type, Code and Message of an <ErrorResponse>, namespaces dropped."""
    root = ET.fromstring(response.content)
    assert root.tag.endswith("ErrorResponse")
    fields = {el.tag.split("}")[-1]: el.text or "" for el in root.iter()}
    return {k: fields[k] for k in ("Type", "Code", "Message", "RequestId")}


def test_unknown_action_is_invalid_action(server):
    """An Action CloudFormation does not have is InvalidAction, in AWS's XML and words."""
    response = post(server, "Action=LaunchRocket&Version=2010-05-15")

    error = error_of(response)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/xml")
    assert error["Type"] == "Sender"
    assert error["Code"] == "InvalidAction"
    assert error["Message"] == "Could not find operation LaunchRocket for version 2010-05-15"
    assert error["RequestId"] == response.headers["x-amzn-requestid"]


def test_operation_stratus_does_not_implement(cfn):
    """An operation AWS has but Stratus does not yet is refused by name, not with a 500."""
    with pytest.raises(ClientError) as refused:
        cfn.create_stack_set(StackSetName="s", TemplateBody="{}")

    error = refused.value.response["Error"]
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Code"] == "InvalidAction"
    assert error["Message"] == "Stratus does not implement CloudFormation CreateStackSet yet."


def test_missing_required_member(unchecked):
    """A required member left out is a ValidationError in AWS's words."""
    with pytest.raises(ClientError) as refused:
        unchecked.describe_stack_resource(LogicalResourceId="Fn")

    error = refused.value.response["Error"]
    assert error["Code"] == "ValidationError"
    assert error["Type"] == "Sender"
    assert error["Message"] == (
        "1 validation error detected: Value null at 'stackName' failed to satisfy "
        "constraint: Member must not be null"
    )


def test_constraints_from_the_model(unchecked):
    """Enum values, lengths and numeric ranges from the model are checked before anything
    runs; every problem is listed."""
    with pytest.raises(ClientError) as refused:
        unchecked.create_stack(StackName="s", TemplateBody="", TimeoutInMinutes=0)
    with pytest.raises(ClientError) as stage:
        unchecked.get_template(StackName="s", TemplateStage="Final")

    assert refused.value.response["Error"]["Message"].startswith("2 validation errors detected: ")
    assert stage.value.response["Error"]["Message"] == (
        "1 validation error detected: Value 'Final' at 'templateStage' failed to satisfy "
        "constraint: Member must satisfy enum value set: [Original, Processed]"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"Action=DescribeStacks&Version=2010-05-15&StackName=%FF%FE", "not valid form data"),
        (b"Action=DescribeStacks&Version=2010-05-15&StackName=\xff", "not valid form data"),
    ],
)
def test_malformed_body(server, body, message):
    """A body that is not UTF-8 form data is MalformedQueryString, never a 500."""
    response = post(server, body)

    error = error_of(response)
    assert response.status_code == 400
    assert error["Code"] == "MalformedQueryString"
    assert message in error["Message"]


def test_bad_scalar_is_a_validation_error(server):
    """Text that is not the member's type names the member."""
    response = post(
        server, "Action=CreateStack&Version=2010-05-15&StackName=s&DisableRollback=perhaps"
    )

    error = error_of(response)
    assert response.status_code == 400
    assert error["Code"] == "ValidationError"
    assert error["Message"] == (
        "1 validation error detected: Value 'perhaps' at 'disableRollback' failed to "
        "satisfy constraint: Member must be true or false"
    )


def test_missing_action(server):
    """A form without an Action says so."""
    response = post(server, "Version=2010-05-15&StackName=s")

    assert response.status_code == 400
    assert error_of(response)["Code"] == "InvalidAction"
    assert "names no Action" in error_of(response)["Message"]


def test_unsigned_request_is_routed_by_version(server):
    """Without a signature, the API version names the service (curl works)."""
    response = post(server, "Action=LaunchRocket&Version=2010-05-15", service=None)
    anonymous = post(server, "Action=LaunchRocket", service=None)

    assert error_of(response)["Message"] == (
        "Could not find operation LaunchRocket for version 2010-05-15"
    )
    assert error_of(anonymous)["Code"] == "InvalidAction"
    assert "Could not tell which service" in error_of(anonymous)["Message"]


def test_query_service_stratus_does_not_serve(server):
    """A request signed for a query service Stratus lacks is refused, naming what it serves."""
    response = post(server, "Action=DescribeDBInstances&Version=2014-10-31", service="rds")

    error = error_of(response)
    assert response.status_code == 400
    assert error["Code"] == "InvalidAction"
    assert error["Message"] == (
        "Stratus serves cloudformation, iam, monitoring, sns, sqs, sts over the AWS query "
        "protocol, not rds."
    )


def test_json_services_still_answer_json(server):
    """JSON 1.1 requests on the same path are untouched: an unknown target is JSON."""
    response = httpx.post(
        f"{server.endpoint_url}/",
        content=b"{}",
        headers={
            "content-type": "application/x-amz-json-1.1",
            "x-amz-target": "Logs_20140328.Nothing",
        },
    )

    assert response.status_code == 400
    assert response.json()["__type"] == "UnknownOperationException"


# --- stacks ------------------------------------------------------------------------------

_names = itertools.count()
WAIT = {"Delay": 0.2, "MaxAttempts": 150}
# Markup, non-ASCII and CRLF line ends, all of which must come back unchanged.
LOG_GROUP = (
    'AWSTemplateFormatVersion: "2010-09-09"\r\n'
    'Description: "Logs <&> für Tests"\r\n'
    "Parameters:\r\n"
    "  Retention:\r\n"
    "    Type: Number\r\n"
    "    Default: 7\r\n"
    "    Description: days <kept>\r\n"
    "Resources:\r\n"
    "  Group:\r\n"
    "    Type: AWS::Logs::LogGroup\r\n"
    "    Properties:\r\n"
    "      RetentionInDays: !Ref Retention\r\n"
    "Outputs:\r\n"
    "  GroupName:\r\n"
    "    Value: !Ref Group\r\n"
    "    Export:\r\n"
    '      Name: !Sub "${AWS::StackName}-group"\r\n'
)


def name(prefix: str = "wire") -> str:
    return f"{prefix}-{next(_names)}-{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def stack(cfn) -> dict[str, Any]:
    """One stack of one log group, created and waited for with boto3's waiter."""
    stack_name = name()
    created = cfn.create_stack(
        StackName=stack_name,
        TemplateBody=LOG_GROUP,
        Parameters=[{"ParameterKey": "Retention", "ParameterValue": "14"}],
        Tags=[{"Key": "team", "Value": "a&b"}],
    )
    cfn.get_waiter("stack_create_complete").wait(StackName=stack_name, WaiterConfig=WAIT)
    return {"StackName": stack_name, "StackId": created["StackId"]}


def test_create_answers_a_stack_id(stack):
    """CreateStack answers the new stack's ARN."""
    assert stack["StackId"].startswith("arn:aws:cloudformation:us-east-1:")
    assert f":stack/{stack['StackName']}/" in stack["StackId"]


def test_describe_stacks_members_and_types(cfn, stack):
    """DescribeStacks carries every member boto3 models, with its type: datetimes,
    booleans, lists of parameters, outputs and tags; text comes back unescaped."""
    [described] = cfn.describe_stacks(StackName=stack["StackName"])["Stacks"]
    by_id = cfn.describe_stacks(StackName=stack["StackId"])["Stacks"]

    assert described["StackId"] == stack["StackId"]
    assert described["StackStatus"] == "CREATE_COMPLETE"
    assert described["Description"] == "Logs <&> für Tests"
    assert isinstance(described["CreationTime"], datetime)
    assert described["CreationTime"].tzinfo is not None
    assert described["DisableRollback"] is False
    assert described["Parameters"] == [{"ParameterKey": "Retention", "ParameterValue": "14"}]
    assert described["Tags"] == [{"Key": "team", "Value": "a&b"}]
    [output] = described["Outputs"]
    assert output["OutputKey"] == "GroupName"
    assert output["ExportName"] == f"{stack['StackName']}-group"
    assert by_id == [described]


def test_describe_all_stacks_includes_it(cfn, stack):
    """Without StackName, DescribeStacks lists the account's stacks."""
    paginator = cfn.get_paginator("describe_stacks")

    ids = [s["StackId"] for page in paginator.paginate() for s in page["Stacks"]]

    assert stack["StackId"] in ids
    assert len(ids) == len(set(ids))


def test_resources_three_ways(cfn, stack):
    """DescribeStackResources, DescribeStackResource (detail) and ListStackResources
    (summaries) each use their own members for the same resource."""
    [resource] = cfn.describe_stack_resources(StackName=stack["StackName"])["StackResources"]
    detail = cfn.describe_stack_resource(StackName=stack["StackName"], LogicalResourceId="Group")[
        "StackResourceDetail"
    ]
    [summary] = cfn.list_stack_resources(StackName=stack["StackName"])["StackResourceSummaries"]
    one = cfn.describe_stack_resources(StackName=stack["StackName"], LogicalResourceId="Group")

    assert resource["LogicalResourceId"] == "Group"
    assert resource["ResourceType"] == "AWS::Logs::LogGroup"
    assert resource["ResourceStatus"] == "CREATE_COMPLETE"
    assert resource["StackId"] == stack["StackId"]
    assert isinstance(resource["Timestamp"], datetime)
    assert detail["LastUpdatedTimestamp"] == resource["Timestamp"]
    assert detail["PhysicalResourceId"] == resource["PhysicalResourceId"]
    assert summary["LastUpdatedTimestamp"] == resource["Timestamp"]
    assert summary["PhysicalResourceId"] == resource["PhysicalResourceId"]
    assert "StackId" not in summary
    assert one["StackResources"] == [resource]


def test_describe_stack_resource_of_unknown_logical_id(cfn, stack):
    """A logical id the stack lacks is a ValidationError."""
    with pytest.raises(ClientError) as refused:
        cfn.describe_stack_resource(StackName=stack["StackName"], LogicalResourceId="Nope")

    assert refused.value.response["Error"]["Code"] == "ValidationError"
    assert "Nope" in refused.value.response["Error"]["Message"]


def test_events_newest_first(cfn, stack):
    """DescribeStackEvents answers the history newest first, stack and resource events."""
    events = cfn.describe_stack_events(StackName=stack["StackName"])["StackEvents"]

    assert events[0]["LogicalResourceId"] == stack["StackName"]
    assert events[0]["ResourceStatus"] == "CREATE_COMPLETE"
    assert events[-1]["ResourceStatus"] == "CREATE_IN_PROGRESS"
    assert {e["LogicalResourceId"] for e in events} == {stack["StackName"], "Group"}
    assert all(isinstance(e["Timestamp"], datetime) for e in events)
    assert len({e["EventId"] for e in events}) == len(events)


def test_get_template_returns_the_text_unchanged(cfn, stack):
    """GetTemplate's Original stage is the text sent, CRLF and all; Processed is JSON."""
    original = cfn.get_template(StackName=stack["StackName"])
    processed = cfn.get_template(StackName=stack["StackName"], TemplateStage="Processed")

    assert original["TemplateBody"] == LOG_GROUP
    assert original["StagesAvailable"] == ["Original", "Processed"]
    # botocore decodes a JSON template body into a dict.
    assert processed["TemplateBody"]["Resources"]["Group"]["Type"] == "AWS::Logs::LogGroup"


def test_list_stacks_and_exports(cfn, stack):
    """ListStacks filters by status; ListExports has the stack's export."""
    complete = [
        s["StackId"]
        for page in cfn.get_paginator("list_stacks").paginate(StackStatusFilter=["CREATE_COMPLETE"])
        for s in page["StackSummaries"]
    ]
    deleted = cfn.list_stacks(StackStatusFilter=["DELETE_COMPLETE"])["StackSummaries"]
    exports = cfn.list_exports()["Exports"]

    assert stack["StackId"] in complete
    assert stack["StackId"] not in [s["StackId"] for s in deleted]
    assert {
        "ExportingStackId": stack["StackId"],
        "Name": f"{stack['StackName']}-group",
        "Value": next(e["Value"] for e in exports if e["ExportingStackId"] == stack["StackId"]),
    } in exports


def test_validate_template(cfn):
    """ValidateTemplate describes parameters and description; a broken template is a
    ValidationError."""
    summary = cfn.validate_template(TemplateBody=LOG_GROUP)
    with pytest.raises(ClientError) as broken:
        cfn.validate_template(TemplateBody="Resources: [")

    assert summary["Description"] == "Logs <&> für Tests"
    assert summary["Parameters"] == [
        {
            "ParameterKey": "Retention",
            "DefaultValue": "7",
            "NoEcho": False,
            "Description": "days <kept>",
        }
    ]
    assert broken.value.response["Error"]["Code"] == "ValidationError"


def test_template_url_from_object_storage(server, cfn):
    """TemplateURL names an object of this server's object storage (path style, or S3's
    virtual-host form): CreateStack and ValidateTemplate read the template from it."""
    s3 = server.client("s3")
    bucket = f"templates-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="dir/log group.yaml", Body=LOG_GROUP.encode())
    url = f"{server.endpoint_url}/{bucket}/dir/log%20group.yaml"
    stack_name = name("url")
    cfn.create_stack(
        StackName=stack_name,
        TemplateURL=url,
        Parameters=[{"ParameterKey": "Retention", "ParameterValue": "7"}],
    )
    cfn.get_waiter("stack_create_complete").wait(StackName=stack_name, WaiterConfig=WAIT)
    validated = cfn.validate_template(
        TemplateURL=f"https://{bucket}.s3.amazonaws.com/dir/log%20group.yaml"
    )
    template = cfn.get_template(StackName=stack_name)["TemplateBody"]

    assert [p["ParameterKey"] for p in validated["Parameters"]] == ["Retention"]
    assert "AWS::Logs::LogGroup" in str(template)


@pytest.mark.parametrize("operation", ["create_stack", "update_stack", "validate_template"])
def test_template_url_to_nothing_is_refused_clearly(cfn, operation):
    """A TemplateURL naming no object, or no object storage, is a ValidationError saying
    which."""
    call = getattr(cfn, operation)
    missing = {"TemplateURL": "https://no-such-bucket-here.s3.amazonaws.com/t.yaml"}
    unsupported = {"TemplateURL": "ftp://example.com/t.yaml"}
    if operation != "validate_template":
        missing["StackName"] = unsupported["StackName"] = name()

    with pytest.raises(ClientError) as absent:
        call(**missing)
    with pytest.raises(ClientError) as odd:
        call(**unsupported)

    assert absent.value.response["Error"]["Code"] == "ValidationError"
    assert absent.value.response["Error"]["Message"].startswith(
        "S3 error: The specified bucket does not exist"
    )
    assert odd.value.response["Error"]["Message"] == "TemplateURL must be a supported URL."


def test_service_errors_keep_their_codes(cfn, stack):
    """AlreadyExists and InsufficientCapabilities reach boto3 as their modelled exceptions;
    an unknown stack is AWS's ValidationError."""
    role = (
        "Resources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n"
        "      AssumeRolePolicyDocument: {}\n"
    )

    with pytest.raises(cfn.exceptions.AlreadyExistsException):
        cfn.create_stack(StackName=stack["StackName"], TemplateBody=LOG_GROUP)
    with pytest.raises(cfn.exceptions.InsufficientCapabilitiesException):
        cfn.create_stack(StackName=name(), TemplateBody=role)
    with pytest.raises(ClientError) as unknown:
        cfn.describe_stacks(StackName="no-such-stack")

    assert unknown.value.response["Error"]["Code"] == "ValidationError"
    assert (
        unknown.value.response["Error"]["Message"] == "Stack with id no-such-stack does not exist"
    )


def test_update_then_delete(cfn):
    """UpdateStack and DeleteStack through boto3's waiters; a deleted stack is found by id
    only, as on AWS."""
    stack_name = name()
    stack_id = cfn.create_stack(StackName=stack_name, TemplateBody=LOG_GROUP)["StackId"]
    cfn.get_waiter("stack_create_complete").wait(StackName=stack_name, WaiterConfig=WAIT)

    updated = cfn.update_stack(
        StackName=stack_name,
        UsePreviousTemplate=True,
        Parameters=[{"ParameterKey": "Retention", "ParameterValue": "30"}],
    )
    cfn.get_waiter("stack_update_complete").wait(StackName=stack_name, WaiterConfig=WAIT)
    [after_update] = cfn.describe_stacks(StackName=stack_name)["Stacks"]
    cfn.delete_stack(StackName=stack_name)
    cfn.get_waiter("stack_delete_complete").wait(StackName=stack_id, WaiterConfig=WAIT)
    [deleted] = cfn.describe_stacks(StackName=stack_id)["Stacks"]

    assert updated["StackId"] == stack_id
    assert after_update["StackStatus"] == "UPDATE_COMPLETE"
    assert after_update["Parameters"] == [{"ParameterKey": "Retention", "ParameterValue": "30"}]
    assert isinstance(after_update["LastUpdatedTime"], datetime)
    assert deleted["StackStatus"] == "DELETE_COMPLETE"
    assert isinstance(deleted["DeletionTime"], datetime)
    with pytest.raises(ClientError, match=f"Stack with id {stack_name} does not exist"):
        cfn.describe_stacks(StackName=stack_name)


def test_pages_of_resources_and_events(cfn):
    """Past 100 items, ListStackResources and DescribeStackEvents answer pages with
    NextToken that boto3's paginators follow to every item exactly once;
    DescribeStackResources stops at AWS's 100."""
    count = 120
    body = "Resources:\n" + "".join(
        f"  Group{i:03d}:\n    Type: AWS::Logs::LogGroup\n" for i in range(count)
    )
    stack_name = name("paged")
    cfn.create_stack(StackName=stack_name, TemplateBody=body)
    cfn.get_waiter("stack_create_complete").wait(StackName=stack_name, WaiterConfig=WAIT)

    first = cfn.list_stack_resources(StackName=stack_name)
    resources = [
        r["LogicalResourceId"]
        for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack_name)
        for r in page["StackResourceSummaries"]
    ]
    event_pages = list(cfn.get_paginator("describe_stack_events").paginate(StackName=stack_name))
    events = [e["EventId"] for page in event_pages for e in page["StackEvents"]]
    described = cfn.describe_stack_resources(StackName=stack_name)["StackResources"]
    operation_pages = list(cfn.get_paginator("describe_events").paginate(StackName=stack_name))
    operation_events = [e["EventId"] for p in operation_pages for e in p["OperationEvents"]]

    assert len(first["StackResourceSummaries"]) == 100
    assert "NextToken" in first
    assert sorted(resources) == [f"Group{i:03d}" for i in range(count)]
    assert len(event_pages) == 3  # 2 stack events and 2 per resource: 242
    assert len(events) == len(set(events)) == 2 + 2 * count
    assert len(described) == 100
    assert len(operation_pages) == 3
    assert operation_events == events  # the same events, newest first, one operation
    with pytest.raises(ClientError, match="NextToken"):
        cfn.list_stack_resources(StackName=stack_name, NextToken="bm90IGEga2V5")


def test_bodies_past_the_limit_are_refused_while_streaming(server):
    """A chunked form (8 MiB, no Content-Length) is refused once it passes 4 MiB, in the query
    protocol's words."""

    def chunks():
        yield b"Action=ValidateTemplate&Version=2010-05-15&TemplateBody="
        for _ in range(128):
            yield b"x" * 65536

    response = post(server, chunks())

    assert response.status_code == 413
    assert error_of(response)["Code"] == "RequestEntityTooLarge"
    assert "smaller than 4194304 bytes" in error_of(response)["Message"]
