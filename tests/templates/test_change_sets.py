"""Change sets over the CloudFormation API (boto3 against the real server): what they list,
their statuses and waiters, executing and deleting them, and the stack they make."""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError, WaiterError
from tests.templates.test_stacks import create, describe, physical_id, stack_name, template

FAST = {"Delay": 0.2, "MaxAttempts": 150}
QUEUES = template(
    """
    Parameters:
      Visibility:
        Type: Number
        Default: 30
      Name:
        Type: String
        Default: ""
    Conditions:
      Named: !Not [!Equals [!Ref Name, ""]]
    Resources:
      Source:
        Type: AWS::SQS::Queue
        Properties:
          QueueName: !If [Named, !Ref Name, !Ref AWS::NoValue]
          VisibilityTimeout: !Ref Visibility
      Follower:
        Type: AWS::SQS::Queue
        Properties:
          RedrivePolicy:
            deadLetterTargetArn: !GetAtt Source.Arn
            maxReceiveCount: 3
    Outputs:
      Url:
        Value: !Ref Source
    """
)


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


def change_set(cfn: Any, name: str, body: str | None = QUEUES, **kwargs: Any) -> dict[str, Any]:
    """Create a change set and wait until it is complete (or failed)."""
    if body is not None:
        kwargs["TemplateBody"] = body
    made = cfn.create_change_set(StackName=name, ChangeSetName="cs1", **kwargs)
    with contextlib.suppress(WaiterError):
        cfn.get_waiter("change_set_create_complete").wait(
            ChangeSetName=made["Id"], StackName=name, WaiterConfig=FAST
        )
    return cfn.describe_change_set(ChangeSetName=made["Id"])  # type: ignore[no-any-return]


def execute(cfn: Any, name: str, described: dict[str, Any], waiter: str) -> None:
    cfn.execute_change_set(ChangeSetName=described["ChangeSetId"])
    cfn.get_waiter(waiter).wait(StackName=name, WaiterConfig=FAST)


def changes(described: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in described["Changes"]
    }


def test_a_create_change_set_reviews_then_creates_the_stack(cfn: Any) -> None:
    """A CREATE change set makes the stack in REVIEW_IN_PROGRESS with no resources; executed,
    the stack is created and stack_create_complete waits for it."""
    name = stack_name("cs")
    described = change_set(cfn, name, ChangeSetType="CREATE", Description="first")

    assert described["Status"] == "CREATE_COMPLETE"
    assert described["ExecutionStatus"] == "AVAILABLE"
    assert described["Description"] == "first"
    assert described["StackName"] == name
    assert {p["ParameterKey"]: p["ParameterValue"] for p in described["Parameters"]} == {
        "Visibility": "30", "Name": ""
    }  # fmt: skip
    assert changes(described) == {
        "Source": {"Action": "Add", "LogicalResourceId": "Source",
                   "ResourceType": "AWS::SQS::Queue", "Scope": [], "Details": []},
        "Follower": {"Action": "Add", "LogicalResourceId": "Follower",
                     "ResourceType": "AWS::SQS::Queue", "Scope": [], "Details": []},
    }  # fmt: skip
    stack = describe(cfn, name)
    assert stack["StackStatus"] == "REVIEW_IN_PROGRESS"
    assert cfn.list_stack_resources(StackName=name)["StackResourceSummaries"] == []

    execute(cfn, name, described, "stack_create_complete")

    assert describe(cfn, name)["StackStatus"] == "CREATE_COMPLETE"
    assert physical_id(cfn, name, "Source").startswith("http")
    done = cfn.describe_change_set(ChangeSetName="cs1", StackName=name)
    assert done["ExecutionStatus"] == "EXECUTE_COMPLETE"
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    statuses = [e["ResourceStatus"] for e in events if e["LogicalResourceId"] == name]
    assert statuses[-1] == "REVIEW_IN_PROGRESS"
    assert statuses[0] == "CREATE_COMPLETE"


def test_an_update_change_set_lists_modifications_with_replacement(cfn: Any) -> None:
    """An in-place change is Replacement False from a parameter; a name change replaces the
    queue (True), and the queue referring to it by GetAtt is then Conditional, dynamic."""
    name = create(cfn, QUEUES)
    source = physical_id(cfn, name, "Source")

    in_place = change_set(
        cfn, name, Parameters=[{"ParameterKey": "Visibility", "ParameterValue": "45"}]
    )

    assert changes(in_place) == {
        "Source": {
            "Action": "Modify", "LogicalResourceId": "Source", "PhysicalResourceId": source,
            "ResourceType": "AWS::SQS::Queue", "Replacement": "False", "Scope": ["Properties"],
            "Details": [{
                "Target": {"Attribute": "Properties", "Name": "VisibilityTimeout",
                           "RequiresRecreation": "Never"},
                "Evaluation": "Static", "ChangeSource": "ParameterReference",
                "CausingEntity": "Visibility",
            }],
        }
    }  # fmt: skip
    cfn.delete_change_set(ChangeSetName="cs1", StackName=name)

    renamed = change_set(
        cfn, name, Parameters=[{"ParameterKey": "Name", "ParameterValue": f"{name}-src"}]
    )

    found = changes(renamed)
    assert found["Source"]["Replacement"] == "True"
    assert found["Source"]["Details"][0]["Target"] == {
        "Attribute": "Properties", "Name": "QueueName", "RequiresRecreation": "Always"
    }  # fmt: skip
    assert found["Follower"]["Replacement"] == "False"  # RedrivePolicy changes in place
    assert found["Follower"]["Details"][0]["Evaluation"] == "Dynamic"
    assert found["Follower"]["Details"][0]["ChangeSource"] == "ResourceAttribute"
    assert found["Follower"]["Details"][0]["CausingEntity"] == "Source.Arn"

    execute(cfn, name, renamed, "stack_update_complete")

    assert physical_id(cfn, name, "Source").endswith(f"/{name}-src")


def test_a_change_set_without_changes_fails_with_the_aws_reason(cfn: Any) -> None:
    name = create(cfn, QUEUES)

    described = change_set(cfn, name)

    assert described["Status"] == "FAILED"
    assert described["ExecutionStatus"] == "UNAVAILABLE"
    assert described["StatusReason"] == (
        "The submitted information didn't contain changes. Submit different information to "
        "create a change set."
    )
    with pytest.raises(WaiterError):
        cfn.get_waiter("change_set_create_complete").wait(
            ChangeSetName="cs1", StackName=name, WaiterConfig=FAST
        )
    with pytest.raises(ClientError) as refused:
        cfn.execute_change_set(ChangeSetName="cs1", StackName=name)
    assert refused.value.response["Error"]["Code"] == "InvalidChangeSetStatus"


def test_removed_resources_are_listed_and_removed(cfn: Any) -> None:
    name = create(cfn, QUEUES)
    follower = physical_id(cfn, name, "Follower")
    only_source = template(
        """
        Resources:
          Source:
            Type: AWS::SQS::Queue
            Properties:
              VisibilityTimeout: 30
        """
    )

    described = change_set(cfn, name, only_source)

    assert changes(described)["Follower"] == {
        "Action": "Remove", "LogicalResourceId": "Follower", "PhysicalResourceId": follower,
        "ResourceType": "AWS::SQS::Queue", "Scope": [], "Details": [],
    }  # fmt: skip
    source = changes(described)["Source"]  # the template's text changed: a modification
    assert source["Replacement"] == "False"
    assert [d["ChangeSource"] for d in source["Details"]] == ["DirectModification"]
    execute(cfn, name, described, "stack_update_complete")
    ids = [
        r["LogicalResourceId"]
        for r in cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]
    ]
    assert ids == ["Source"]


def test_changes_are_paged(cfn: Any) -> None:
    resources = "\n".join(f"  Q{i}:\n    Type: AWS::SQS::Queue" for i in range(130))
    name = stack_name("paged")

    made = cfn.create_change_set(
        StackName=name, ChangeSetName="many", ChangeSetType="CREATE",
        TemplateBody=f"Resources:\n{resources}\n",
    )  # fmt: skip
    first = cfn.describe_change_set(ChangeSetName=made["Id"])
    second = cfn.describe_change_set(ChangeSetName=made["Id"], NextToken=first["NextToken"])

    assert len(first["Changes"]) == 100
    assert len(second["Changes"]) == 30
    assert "NextToken" not in second
    ids = [c["ResourceChange"]["LogicalResourceId"] for c in first["Changes"] + second["Changes"]]
    assert sorted(ids) == sorted(f"Q{i}" for i in range(130))
    cfn.delete_stack(StackName=name)  # a stack waiting for review deletes at once
    cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=FAST)


def test_list_delete_and_executing_one_drops_the_others(cfn: Any) -> None:
    name = create(cfn, QUEUES)
    for i, visibility in enumerate(("40", "50")):
        cfn.create_change_set(
            StackName=name, ChangeSetName=f"v{i}", TemplateBody=QUEUES,
            Parameters=[{"ParameterKey": "Visibility", "ParameterValue": visibility}],
        )  # fmt: skip

    listed = cfn.list_change_sets(StackName=name)["Summaries"]

    assert [(s["ChangeSetName"], s["Status"], s["ExecutionStatus"]) for s in listed] == [
        ("v0", "CREATE_COMPLETE", "AVAILABLE"), ("v1", "CREATE_COMPLETE", "AVAILABLE")
    ]  # fmt: skip
    assert all(s["StackName"] == name and s["ChangeSetId"].startswith("arn:") for s in listed)
    with pytest.raises(ClientError) as exists:
        cfn.create_change_set(StackName=name, ChangeSetName="v0", TemplateBody=QUEUES)
    assert exists.value.response["Error"]["Code"] == "AlreadyExistsException"

    cfn.execute_change_set(ChangeSetName="v1", StackName=name)
    cfn.get_waiter("stack_update_complete").wait(StackName=name, WaiterConfig=FAST)

    assert [s["ChangeSetName"] for s in cfn.list_change_sets(StackName=name)["Summaries"]] == ["v1"]
    with pytest.raises(ClientError) as gone:
        cfn.describe_change_set(ChangeSetName="v0", StackName=name)
    assert gone.value.response["Error"]["Code"] == "ChangeSetNotFound"
    cfn.delete_change_set(ChangeSetName="v1", StackName=name)
    assert cfn.list_change_sets(StackName=name)["Summaries"] == []
    # By name on a stack that exists, a change set that is not there is nothing to delete
    # (`cdk deploy` deletes its fixed-name one so before every update); by ARN it is unknown.
    cfn.delete_change_set(ChangeSetName="v1", StackName=name)
    with pytest.raises(ClientError) as unknown:
        cfn.delete_change_set(ChangeSetName=listed[0]["ChangeSetId"])
    assert unknown.value.response["Error"]["Code"] == "ChangeSetNotFound"
    with pytest.raises(ClientError) as no_stack:
        cfn.delete_change_set(ChangeSetName="v1", StackName=stack_name("none"))
    assert no_stack.value.response["Error"]["Code"] == "ChangeSetNotFound"
    queue = cfn.describe_stack_resource(StackName=name, LogicalResourceId="Source")
    assert queue["StackResourceDetail"]["ResourceStatus"] == "UPDATE_COMPLETE"


def test_refusals(cfn: Any) -> None:
    name = create(cfn, QUEUES)

    def code_of(**kwargs: Any) -> tuple[str, str]:
        with pytest.raises(ClientError) as refused:
            cfn.create_change_set(ChangeSetName="c", TemplateBody=QUEUES, **kwargs)
        error = refused.value.response["Error"]
        return error["Code"], error["Message"]

    missing_stack = stack_name("none")
    assert code_of(StackName=missing_stack) == (
        "ValidationError", f"Stack [{missing_stack}] does not exist"
    )  # fmt: skip
    code, message = code_of(StackName=name, ChangeSetType="CREATE")
    assert (code, message) == (
        "ValidationError",
        f"Stack [{name}] already exists and cannot be created again with the changeSet [c].",
    )
    code, message = code_of(StackName=name, ChangeSetType="IMPORT")
    assert code == "ValidationError"
    assert "IMPORT" in message
    with pytest.raises(ClientError) as missing:
        cfn.describe_change_set(ChangeSetName="nope", StackName=name)
    assert missing.value.response["Error"]["Code"] == "ChangeSetNotFound"
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_get_template_summary(cfn: Any) -> None:
    summary = cfn.get_template_summary(TemplateBody=QUEUES)

    assert summary["ResourceTypes"] == ["AWS::SQS::Queue"]
    declared = {p["ParameterKey"]: p for p in summary["Parameters"]}
    assert declared["Visibility"]["ParameterType"] == "Number"
    assert declared["Visibility"]["DefaultValue"] == "30"
    assert declared["Name"]["ParameterType"] == "String"
    name = create(cfn, QUEUES)
    by_stack = cfn.get_template_summary(StackName=name)
    assert [p["ParameterKey"] for p in by_stack["Parameters"]] == ["Visibility", "Name"]


def test_a_template_without_parameters_has_an_empty_list_of_them(cfn: Any) -> None:
    """AWS answers <Parameters/> (botocore: []), and `sam deploy` indexes summary["Parameters"]
    before it updates a stack."""
    bare = template(
        """
        Resources:
          Queue:
            Type: AWS::SQS::Queue
        """
    )
    name = create(cfn, bare)

    assert cfn.get_template_summary(StackName=name)["Parameters"] == []
    assert cfn.get_template_summary(TemplateBody=bare)["Parameters"] == []
    assert cfn.validate_template(TemplateBody=bare)["Parameters"] == []


def test_use_previous_value_keeps_every_parameter(cfn: Any) -> None:
    """A parameter left at its default keeps that value on update even after the template's
    default changes, when the update asks for its previous value."""
    name = create(cfn, QUEUES)
    moved = QUEUES.replace("Default: 30", "Default: 99")

    cfn.update_stack(
        StackName=name, TemplateBody=moved + "\n# touched\n",
        Parameters=[{"ParameterKey": "Visibility", "UsePreviousValue": True},
                    {"ParameterKey": "Name", "UsePreviousValue": True}],
    )  # fmt: skip
    cfn.get_waiter("stack_update_complete").wait(StackName=name, WaiterConfig=FAST)

    values = {p["ParameterKey"]: p["ParameterValue"] for p in describe(cfn, name)["Parameters"]}
    assert values["Visibility"] == "30"


def test_stack_policy_refuses_a_denied_update(cfn: Any) -> None:
    name = create(cfn, QUEUES)
    policy = {
        "Statement": [
            {"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "Update:Replace", "Principal": "*",
             "Resource": "LogicalResourceId/Source"},
        ]
    }  # fmt: skip
    cfn.set_stack_policy(StackName=name, StackPolicyBody=json.dumps(policy))
    assert json.loads(cfn.get_stack_policy(StackName=name)["StackPolicyBody"]) == policy
    source = physical_id(cfn, name, "Source")

    cfn.update_stack(
        StackName=name, TemplateBody=QUEUES,
        Parameters=[{"ParameterKey": "Name", "ParameterValue": f"{name}-x"}],
    )  # fmt: skip
    with pytest.raises(WaiterError):
        cfn.get_waiter("stack_update_complete").wait(StackName=name, WaiterConfig=FAST)

    assert describe(cfn, name)["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert physical_id(cfn, name, "Source") == source
    failed = [e for e in cfn.describe_stack_events(StackName=name)["StackEvents"]
              if e["ResourceStatus"] == "UPDATE_FAILED"]  # fmt: skip
    assert failed[0]["LogicalResourceId"] == "Source"
    assert failed[0]["ResourceStatusReason"].startswith("Action denied by stack policy")

    cfn.update_stack(
        StackName=name, TemplateBody=QUEUES,
        Parameters=[{"ParameterKey": "Visibility", "ParameterValue": "31"}],
    )  # fmt: skip
    cfn.get_waiter("stack_update_complete").wait(StackName=name, WaiterConfig=FAST)  # in place
    with pytest.raises(ClientError) as bad:
        cfn.set_stack_policy(StackName=name, StackPolicyBody='{"Statement": [{"Effect": "Maybe"}]}')
    assert bad.value.response["Error"]["Code"] == "ValidationError"


def test_termination_protection_refuses_delete(cfn: Any) -> None:
    name = create(cfn, QUEUES, EnableTerminationProtection=True)
    assert describe(cfn, name)["EnableTerminationProtection"] is True

    with pytest.raises(ClientError) as refused:
        cfn.delete_stack(StackName=name)

    assert refused.value.response["Error"]["Code"] == "ValidationError"
    assert "TerminationProtection is enabled" in refused.value.response["Error"]["Message"]
    cfn.update_termination_protection(StackName=name, EnableTerminationProtection=False)
    cfn.delete_stack(StackName=name)
    cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=FAST)


TAGGED = template(
    """
    Parameters:
      Team:
        Type: String
    Resources:
      Fn:
        Type: AWS::Lambda::Function
        Properties:
          Runtime: python3.11
          Handler: index.handler
          Role: arn:aws:iam::000000000000:role/lambda-role
          Code:
            ZipFile: "def handler(event, context):\\n    return 1\\n"
          Tags:
            - Key: team
              Value: !Ref Team
      Inbox:
        Type: AWS::SQS::Queue
    """
)


def test_resource_and_stack_tags_apply_on_update_as_on_create(
    cfn: Any, lambda_client: Any, sqs: Any
) -> None:
    name = create(
        cfn, TAGGED, Parameters=[{"ParameterKey": "Team", "ParameterValue": "a"}],
        Tags=[{"Key": "env", "Value": "dev"}],
    )  # fmt: skip
    function, queue = physical_id(cfn, name, "Fn"), physical_id(cfn, name, "Inbox")
    assert lambda_client.get_function(FunctionName=function)["Tags"] == {"team": "a", "env": "dev"}
    assert sqs.list_queue_tags(QueueUrl=queue)["Tags"] == {"env": "dev"}

    described = change_set(
        cfn, name, TAGGED, Parameters=[{"ParameterKey": "Team", "ParameterValue": "b"}],
        Tags=[{"Key": "env", "Value": "prod"}],
    )  # fmt: skip
    found = changes(described)
    assert found["Fn"]["Replacement"] == "False"
    assert found["Inbox"]["Details"][0]["Target"]["Name"] == "Tags"
    execute(cfn, name, described, "stack_update_complete")

    assert lambda_client.get_function(FunctionName=function)["Tags"] == {"team": "b", "env": "prod"}
    assert sqs.list_queue_tags(QueueUrl=queue)["Tags"] == {"env": "prod"}
    assert describe(cfn, name)["Tags"] == [{"Key": "env", "Value": "prod"}]


def test_skipped_resources_resolve_to_placeholders(cfn: Any, sqs: Any) -> None:
    """With --skip-unsupported (the stack tag), Ref and GetAtt to a skipped resource give
    values of AWS's shape instead of failing the stack."""
    body = template(
        """
        Resources:
          Cluster:
            Type: AWS::ECS::Cluster
            Properties:
              ClusterName: orders
          Inbox:
            Type: AWS::SQS::Queue
            Properties:
              Tags:
                - Key: cluster
                  Value: !Ref Cluster
                - Key: arn
                  Value: !GetAtt Cluster.Arn
        Outputs:
          ClusterArn:
            Value: !GetAtt Cluster.Arn
        """
    )
    name = create(cfn, body, Tags=[{"Key": "stratus:skip-unsupported", "Value": "true"}])

    tags = sqs.list_queue_tags(QueueUrl=physical_id(cfn, name, "Inbox"))["Tags"]
    assert tags["cluster"] == f"{name}-Cluster-SKIPPED"
    assert tags["arn"] == f"arn:aws:ecs:us-east-1:000000000000:cluster/{name}-Cluster-SKIPPED"
    output = describe(cfn, name)["Outputs"][0]["OutputValue"]
    assert output == tags["arn"]


def test_a_misspelt_type_is_not_a_resource_type(cfn: Any) -> None:
    body = template(
        """
        Resources:
          Fn:
            Type: AWS::Serverless::Functon
        """
    )
    with pytest.raises(ClientError) as refused:
        create(cfn, body, wait=None, Tags=[{"Key": "stratus:skip-unsupported", "Value": "true"}])

    assert refused.value.response["Error"]["Message"] == (
        "Template format error: Unrecognized resource types: [AWS::Serverless::Functon]. "
        "AWS::Serverless::Functon (resource Fn) is not a resource type; did you mean "
        "AWS::Serverless::Function?"
    )


SERVERLESS_QUEUE = template(
    """
    Transform: AWS::Serverless-2016-10-31
    Resources:
      Table:
        Type: AWS::Serverless::SimpleTable
    """
)


def test_a_change_set_expands_a_transform_without_auto_expand(cfn: Any) -> None:
    """CAPABILITY_AUTO_EXPAND "doesn't apply to creating change sets": `sam deploy` and
    `aws cloudformation deploy` send CAPABILITY_IAM alone, and AWS expands SAM anyway.
    CreateStack still asks for it."""
    name = stack_name("sam-cs")
    with pytest.raises(ClientError) as refused:
        cfn.create_stack(StackName=name, TemplateBody=SERVERLESS_QUEUE)
    assert refused.value.response["Error"]["Code"] == "InsufficientCapabilitiesException"

    made = change_set(cfn, name, SERVERLESS_QUEUE, ChangeSetType="CREATE")

    assert made["Status"] == "CREATE_COMPLETE", made.get("StatusReason")
    assert [c["ResourceChange"]["ResourceType"] for c in made["Changes"]] == [
        "AWS::DynamoDB::Table"
    ]
    cfn.execute_change_set(ChangeSetName=made["ChangeSetId"])
    cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=FAST)
    assert describe(cfn, name)["StackStatus"] == "CREATE_COMPLETE"
    changed = SERVERLESS_QUEUE.replace(
        "SimpleTable", "SimpleTable\n    Properties: {PrimaryKey: {Name: pk, Type: String}}"
    )
    update = cfn.create_change_set(
        StackName=name, ChangeSetName="cs2", ChangeSetType="UPDATE", TemplateBody=changed,
        Capabilities=["CAPABILITY_IAM"],
    )  # fmt: skip
    cfn.get_waiter("change_set_create_complete").wait(ChangeSetName=update["Id"], WaiterConfig=FAST)
    cfn.execute_change_set(ChangeSetName=update["Id"])
    cfn.get_waiter("stack_update_complete").wait(StackName=name, WaiterConfig=FAST)
    assert describe(cfn, name)["Capabilities"] == ["CAPABILITY_IAM"]  # as given


def test_stack_policies_by_url_read_the_object_storage(server: Any, cfn: Any) -> None:
    """StackPolicyURL (CreateStack, SetStackPolicy) and StackPolicyDuringUpdateURL name
    objects of this server's object storage, as TemplateURL does."""
    s3 = server.client("s3")
    s3.create_bucket(Bucket="stack-policies")
    deny_all = {"Statement": [{"Effect": "Deny", "Action": "Update:*", "Principal": "*",
                               "Resource": "*"}]}  # fmt: skip
    allow_all = {"Statement": [{"Effect": "Allow", "Action": "Update:*", "Principal": "*",
                                "Resource": "*"}]}  # fmt: skip
    s3.put_object(Bucket="stack-policies", Key="deny.json", Body=json.dumps(deny_all).encode())
    s3.put_object(Bucket="stack-policies", Key="allow.json", Body=json.dumps(allow_all).encode())
    url = f"{server.endpoint_url}/stack-policies"

    name = create(cfn, QUEUES, StackPolicyURL=f"{url}/deny.json")
    kept = json.loads(cfn.get_stack_policy(StackName=name)["StackPolicyBody"])
    cfn.update_stack(
        StackName=name, TemplateBody=QUEUES,
        Parameters=[{"ParameterKey": "Visibility", "ParameterValue": "45"}],
        StackPolicyDuringUpdateURL="s3://stack-policies/allow.json",
    )  # fmt: skip
    cfn.get_waiter("stack_update_complete").wait(StackName=name, WaiterConfig=FAST)
    cfn.set_stack_policy(StackName=name, StackPolicyURL=f"{url}/allow.json")
    replaced = json.loads(cfn.get_stack_policy(StackName=name)["StackPolicyBody"])
    with pytest.raises(ClientError) as missing:
        cfn.set_stack_policy(StackName=name, StackPolicyURL=f"{url}/nope.json")

    assert kept == deny_all
    assert describe(cfn, name)["StackStatus"] == "UPDATE_COMPLETE"  # the deny lifted once
    assert replaced == allow_all
    assert missing.value.response["Error"]["Code"] == "ValidationError"
    assert "S3 error" in missing.value.response["Error"]["Message"]


def test_rollback_stack_after_a_creation_left_failed(server: Any, cfn: Any) -> None:
    """DisableRollback (`sam deploy --disable-rollback`) leaves CREATE_FAILED with what was
    made; RollbackStack, which the CLIs then suggest, deletes it: ROLLBACK_COMPLETE."""
    broken = template(
        """
        Resources:
          Kept:
            Type: AWS::SQS::Queue
          Broken:
            Type: AWS::Lambda::Function
            DependsOn: Kept
            Properties:
              Runtime: python3.11
              Handler: index.handler
              Role: arn:aws:iam::000000000000:role/r
              Layers: [arn:aws:lambda:us-east-1:000000000000:layer:missing:1]
              Code:
                ZipFile: "def handler(event, context): pass"
        """
    )
    name = create(cfn, broken, DisableRollback=True, wait=None)
    with pytest.raises(WaiterError):
        cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=FAST)
    left = describe(cfn, name)["StackStatus"]
    queue = physical_id(cfn, name, "Kept")
    sqs = server.client("sqs")
    sqs.get_queue_url(QueueName=queue.rsplit("/", 1)[-1])  # still there

    stack_id = cfn.rollback_stack(StackName=name)["StackId"]
    deadline = time.monotonic() + 30  # boto3's stack_rollback_complete is for updates
    while describe(cfn, name)["StackStatus"].endswith("_IN_PROGRESS"):
        assert time.monotonic() < deadline
        time.sleep(0.2)

    assert left == "CREATE_FAILED"
    assert stack_id == describe(cfn, name)["StackId"]
    assert describe(cfn, name)["StackStatus"] == "ROLLBACK_COMPLETE"
    with pytest.raises(ClientError):
        sqs.get_queue_url(QueueName=queue.rsplit("/", 1)[-1])
    with pytest.raises(ClientError) as again:
        cfn.rollback_stack(StackName=name)
    assert again.value.response["Error"]["Code"] == "ValidationError"
