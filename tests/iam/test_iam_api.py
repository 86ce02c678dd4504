"""The IAM subset Stratus serves (query protocol), through boto3: users, access keys,
inline and managed policies, attachments and roles, with AWS's errors."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from stratus.testing import RunningServer

POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}],
}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
         "Action": "sts:AssumeRole"}
    ],
}  # fmt: skip


@pytest.fixture
def iam(verified: RunningServer) -> Any:
    return verified.client("iam")


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _code(call: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as refused:
        call()
    response = refused.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_users_are_created_read_listed_and_deleted(iam: Any) -> None:
    name = _name("u")
    created = iam.create_user(UserName=name, Path="/team/")["User"]
    read = iam.get_user(UserName=name)["User"]
    listed = [u["UserName"] for u in iam.list_users(PathPrefix="/team/")["Users"]]
    iam.delete_user(UserName=name)

    missing = _code(lambda: iam.get_user(UserName=name))

    assert created["Arn"] == f"arn:aws:iam::000000000000:user/team/{name}"
    assert read["UserId"] == created["UserId"]
    assert name in listed
    assert missing == ("NoSuchEntity", 404)


def test_a_user_name_is_unique(iam: Any) -> None:
    name = _name("u")
    iam.create_user(UserName=name)

    assert _code(lambda: iam.create_user(UserName=name)) == ("EntityAlreadyExists", 409)


def test_a_user_has_at_most_two_access_keys_and_keeps_them_until_deleted(iam: Any) -> None:
    name = _name("u")
    iam.create_user(UserName=name)
    first = iam.create_access_key(UserName=name)["AccessKey"]
    iam.create_access_key(UserName=name)

    third = _code(lambda: iam.create_access_key(UserName=name))
    undeletable = _code(lambda: iam.delete_user(UserName=name))
    listed = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]

    assert first["AccessKeyId"].startswith("AKIA")
    assert len(first["SecretAccessKey"]) == 40
    assert third == ("LimitExceeded", 409)
    assert undeletable == ("DeleteConflict", 409)
    assert len(listed) == 2
    assert "SecretAccessKey" not in listed[0]


def test_inline_policies_read_back_as_documents(iam: Any) -> None:
    name = _name("u")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="invoke", PolicyDocument=json.dumps(POLICY))

    read = iam.get_user_policy(UserName=name, PolicyName="invoke")
    names = iam.list_user_policies(UserName=name)["PolicyNames"]
    iam.delete_user_policy(UserName=name, PolicyName="invoke")

    assert read["PolicyDocument"] == POLICY  # botocore decodes IAM's URL-encoded JSON
    assert names == ["invoke"]
    assert iam.list_user_policies(UserName=name)["PolicyNames"] == []


def test_a_policy_document_must_be_a_policy(iam: Any) -> None:
    name = _name("u")
    iam.create_user(UserName=name)
    with_principal = {"Statement": [{**POLICY["Statement"][0], "Principal": "*"}]}

    not_json = _code(
        lambda: iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument="{nope")
    )
    principal = _code(
        lambda: iam.create_policy(PolicyName=_name("p"), PolicyDocument=json.dumps(with_principal))
    )

    assert not_json == ("MalformedPolicyDocument", 400)
    assert principal == ("MalformedPolicyDocument", 400)


def test_managed_policies_attach_to_users_and_block_their_deletion(iam: Any) -> None:
    user, policy_name = _name("u"), _name("p")
    iam.create_user(UserName=user)
    policy = iam.create_policy(PolicyName=policy_name, PolicyDocument=json.dumps(POLICY))["Policy"]
    iam.attach_user_policy(UserName=user, PolicyArn=policy["Arn"])
    iam.attach_user_policy(UserName=user, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")

    attached = iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]
    in_use = _code(lambda: iam.delete_policy(PolicyArn=policy["Arn"]))
    version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId="v1")["PolicyVersion"]
    count = iam.get_policy(PolicyArn=policy["Arn"])["Policy"]["AttachmentCount"]
    iam.detach_user_policy(UserName=user, PolicyArn=policy["Arn"])
    iam.delete_policy(PolicyArn=policy["Arn"])

    assert policy["Arn"] == f"arn:aws:iam::000000000000:policy/{policy_name}"
    assert {a["PolicyName"] for a in attached} == {policy_name, "AdministratorAccess"}
    assert in_use == ("DeleteConflict", 409)
    assert version["Document"] == POLICY
    assert version["IsDefaultVersion"]
    assert count == 1
    assert _code(lambda: iam.get_policy(PolicyArn=policy["Arn"])) == ("NoSuchEntity", 404)


def test_an_unknown_aws_managed_policy_is_not_attached(iam: Any) -> None:
    user = _name("u")
    iam.create_user(UserName=user)

    refused = _code(
        lambda: iam.attach_user_policy(
            UserName=user, PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicyAtAll"
        )
    )

    assert refused == ("NoSuchEntity", 404)


def test_roles_hold_their_trust_and_policies(iam: Any) -> None:
    name = _name("r")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(POLICY))
    iam.attach_role_policy(
        RoleName=name, PolicyArn="arn:aws:iam::aws:policy/AmazonAPIGatewayInvokeFullAccess"
    )

    read = iam.get_role(RoleName=name)["Role"]
    blocked = _code(lambda: iam.delete_role(RoleName=name))
    iam.delete_role_policy(RoleName=name, PolicyName="p")
    iam.detach_role_policy(
        RoleName=name, PolicyArn="arn:aws:iam::aws:policy/AmazonAPIGatewayInvokeFullAccess"
    )
    iam.delete_role(RoleName=name)

    assert role["Arn"] == f"arn:aws:iam::000000000000:role/{name}"
    assert read["AssumeRolePolicyDocument"] == TRUST
    assert blocked == ("DeleteConflict", 409)
    assert _code(lambda: iam.get_role(RoleName=name)) == ("NoSuchEntity", 404)


def test_iam_works_with_signatures_off_too(server: RunningServer) -> None:
    iam = server.client("iam")
    name = _name("u")

    iam.create_user(UserName=name)

    assert iam.get_user(UserName=name)["User"]["UserName"] == name
