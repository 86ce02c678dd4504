"""Lambda's resource-based policies through boto3: AddPermission / RemovePermission /
GetPolicy on functions, versions and aliases, the whole-document resource policy calls, and
layer version permissions."""

import json
import time

import pytest
from tests.conftest import make_zip

HANDLER = "def handler(e, c):\n    return 1\n"


def policy_of(client, **kwargs):
    answer = client.get_policy(**kwargs)
    return json.loads(answer["Policy"]), answer["RevisionId"]


def test_add_permission_writes_aws_statements(lambda_client, deploy):
    name = deploy(HANDLER)
    arn = lambda_client.get_function(FunctionName=name)["Configuration"]["FunctionArn"]

    added = lambda_client.add_permission(
        FunctionName=name,
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::my-bucket",
        SourceAccount="123456789012",
    )
    lambda_client.add_permission(
        FunctionName=name, StatementId="acct", Action="lambda:*", Principal="123456789012"
    )
    policy, revision = policy_of(lambda_client, FunctionName=name)

    assert json.loads(added["Statement"]) == {
        "Sid": "s3",
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": arn,
        "Condition": {
            "StringEquals": {"AWS:SourceAccount": "123456789012"},
            "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::my-bucket"},
        },
    }
    assert policy["Version"] == "2012-10-17"
    assert policy["Id"] == "default"
    assert [s["Sid"] for s in policy["Statement"]] == ["s3", "acct"]
    assert policy["Statement"][1]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    assert revision


def test_a_duplicate_sid_conflicts_and_a_stale_revision_fails(lambda_client, deploy):
    name = deploy(HANDLER)
    grant = {"Action": "lambda:InvokeFunction", "Principal": "sns.amazonaws.com"}
    lambda_client.add_permission(FunctionName=name, StatementId="one", **grant)
    _, revision = policy_of(lambda_client, FunctionName=name)

    with pytest.raises(lambda_client.exceptions.ResourceConflictException, match="already exists"):
        lambda_client.add_permission(FunctionName=name, StatementId="one", **grant)
    lambda_client.add_permission(FunctionName=name, StatementId="two", RevisionId=revision, **grant)
    with pytest.raises(lambda_client.exceptions.PreconditionFailedException):
        lambda_client.add_permission(
            FunctionName=name, StatementId="three", RevisionId=revision, **grant
        )


def test_remove_permission_and_the_last_one_removes_the_policy(lambda_client, deploy):
    name = deploy(HANDLER)
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_policy(FunctionName=name)
    lambda_client.add_permission(
        FunctionName=name, StatementId="a", Action="lambda:InvokeFunction", Principal="*"
    )

    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.remove_permission(FunctionName=name, StatementId="nope")
    lambda_client.remove_permission(FunctionName=name, StatementId="a")

    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_policy(FunctionName=name)


def test_each_alias_and_version_has_its_own_policy(lambda_client, deploy):
    name = deploy(HANDLER)
    version = lambda_client.publish_version(FunctionName=name)["Version"]
    lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    grant = {"Action": "lambda:InvokeFunction", "Principal": "events.amazonaws.com"}

    lambda_client.add_permission(FunctionName=name, Qualifier="live", StatementId="a", **grant)
    lambda_client.add_permission(FunctionName=name, Qualifier=version, StatementId="v", **grant)

    alias_policy, _ = policy_of(lambda_client, FunctionName=name, Qualifier="live")
    assert alias_policy["Statement"][0]["Resource"].endswith(f":function:{name}:live")
    assert (
        policy_of(lambda_client, FunctionName=name, Qualifier=version)[0]["Statement"][0]["Sid"]
        == "v"
    )
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_policy(FunctionName=name)
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.add_permission(FunctionName=name, Qualifier="nope", StatementId="x", **grant)
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException):
        lambda_client.add_permission(
            FunctionName=name, Qualifier="$LATEST", StatementId="x", **grant
        )
    lambda_client.delete_alias(FunctionName=name, Name="live")
    lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_policy(FunctionName=name, Qualifier="live")


def test_permissions_are_checked_against_the_model_and_the_function(lambda_client, deploy):
    name = deploy(HANDLER)

    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.add_permission(
            FunctionName=name + "-missing",
            StatementId="a",
            Action="lambda:InvokeFunction",
            Principal="*",
        )
    with pytest.raises(lambda_client.exceptions.ClientError, match="ValidationException"):
        lambda_client.add_permission(
            FunctionName=name, StatementId="bad sid!", Action="lambda:InvokeFunction", Principal="*"
        )


def test_put_and_delete_resource_policy(lambda_client, deploy):
    name = deploy(HANDLER)
    arn = lambda_client.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "x", "Effect": "Allow", "Principal": "*", "Action": "lambda:*", "Resource": arn}
        ],
    }

    put = lambda_client.put_resource_policy(ResourceArn=arn, Policy=json.dumps(document))
    got = lambda_client.get_resource_policy(ResourceArn=arn)

    assert json.loads(got["Policy"])["Statement"] == document["Statement"]
    assert got["RevisionId"] == put["RevisionId"]
    assert policy_of(lambda_client, FunctionName=name)[0]["Statement"][0]["Sid"] == "x"
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException):
        lambda_client.put_resource_policy(ResourceArn=arn, Policy="not json")
    lambda_client.delete_resource_policy(ResourceArn=arn)
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_resource_policy(ResourceArn=arn)


def test_layer_version_permissions(lambda_client):
    layer = f"perm-layer-{time.time_ns()}"
    published = lambda_client.publish_layer_version(
        LayerName=layer, Content={"ZipFile": make_zip({"python/x.py": "X = 1\n"})}
    )
    version = published["Version"]

    added = lambda_client.add_layer_version_permission(
        LayerName=layer,
        VersionNumber=version,
        StatementId="everyone",
        Action="lambda:GetLayerVersion",
        Principal="*",
        OrganizationId="o-abcdefghij",
    )
    policy = json.loads(
        lambda_client.get_layer_version_policy(LayerName=layer, VersionNumber=version)["Policy"]
    )

    assert json.loads(added["Statement"]) == {
        "Sid": "everyone",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "lambda:GetLayerVersion",
        "Resource": published["LayerVersionArn"],
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}},
    }
    assert [s["Sid"] for s in policy["Statement"]] == ["everyone"]
    with pytest.raises(lambda_client.exceptions.ResourceConflictException):
        lambda_client.add_layer_version_permission(
            LayerName=layer,
            VersionNumber=version,
            StatementId="everyone",
            Action="lambda:GetLayerVersion",
            Principal="123456789012",
        )
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException):
        lambda_client.add_layer_version_permission(
            LayerName=layer,
            VersionNumber=version,
            StatementId="acct",
            Action="lambda:GetLayerVersion",
            Principal="123456789012",
            OrganizationId="o-abcdefghij",
        )
    lambda_client.remove_layer_version_permission(
        LayerName=layer, VersionNumber=version, StatementId="everyone"
    )
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_layer_version_policy(LayerName=layer, VersionNumber=version)
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.add_layer_version_permission(
            LayerName=layer,
            VersionNumber=version + 1,
            StatementId="x",
            Action="lambda:GetLayerVersion",
            Principal="*",
        )
