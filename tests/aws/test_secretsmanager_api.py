"""Secrets Manager over JSON 1.1, with boto3's `secretsmanager` client against the real
server."""

from __future__ import annotations

import json
import re
import sqlite3
import string
import subprocess
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from stratus.testing import RunningServer

AWS = "/var/tmp/awscli/bin/aws"


@pytest.fixture(scope="module")
def sm(server: RunningServer) -> Any:
    return server.client("secretsmanager")


@pytest.fixture
def name() -> str:
    return f"app/db-{uuid.uuid4().hex[:8]}"


def error(refused: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return refused.value.response["Error"]["Code"], refused.value.response["Error"]["Message"]


def test_create_then_get_by_name_arn_and_partial_arn(sm: Any, name: str) -> None:
    """A secret's value is read by its name, its ARN, or its ARN without the random
    suffix; the ARN ends in six random characters."""
    made = sm.create_secret(Name=name, SecretString='{"user":"u","password":"p"}')

    partial = made["ARN"][:-7]
    reads = [sm.get_secret_value(SecretId=i) for i in (name, made["ARN"], partial)]
    assert re.fullmatch(
        rf"arn:aws:secretsmanager:us-east-1:000000000000:secret:{name}-[A-Za-z0-9]{{6}}",
        made["ARN"],
    )
    assert made["Name"] == name
    assert {r["SecretString"] for r in reads} == {'{"user":"u","password":"p"}'}
    assert {r["VersionId"] for r in reads} == {made["VersionId"]}
    assert reads[0]["VersionStages"] == ["AWSCURRENT"]
    assert reads[0]["ARN"] == made["ARN"]


def test_binary_secret_and_description_and_kms_key(sm: Any, name: str) -> None:
    """SecretBinary comes back as bytes; Description and KmsKeyId are kept."""
    sm.create_secret(
        Name=name, SecretBinary=b"\x00\x01key", Description="the key", KmsKeyId="alias/mine"
    )

    got = sm.get_secret_value(SecretId=name)
    described = sm.describe_secret(SecretId=name)
    assert got["SecretBinary"] == b"\x00\x01key"
    assert "SecretString" not in got
    assert (described["Description"], described["KmsKeyId"]) == ("the key", "alias/mine")
    assert "RotationEnabled" not in described  # never configured: AWS returns null


def test_values_are_encrypted_at_rest(sm: Any, server: RunningServer, name: str) -> None:
    """The database holds no secret value in the clear, string or binary."""
    sm.create_secret(Name=name, SecretString="hunter2-plain-text")
    sm.put_secret_value(SecretId=name, SecretBinary=b"binary-hunter2")

    with sqlite3.connect(server.settings.data_dir / "stratus.db") as db:
        stored = [r[0] for r in db.execute("SELECT sealed FROM secret_versions")]
        records = [r[0] for r in db.execute("SELECT record FROM secrets")]

    assert stored
    assert not any("hunter2" in value for value in stored + records)
    assert sm.get_secret_value(SecretId=name)["SecretBinary"] == b"binary-hunter2"


def test_missing_and_existing_secrets_answer_as_aws(sm: Any, name: str) -> None:
    """Unknown names are ResourceNotFoundException with AWS's message; a second
    CreateSecret of a name is ResourceExistsException; a retried one (same token and
    value) answers as the first did."""
    token = str(uuid.uuid4())
    first = sm.create_secret(Name=name, SecretString="v", ClientRequestToken=token)

    again = sm.create_secret(Name=name, SecretString="v", ClientRequestToken=token)
    with pytest.raises(ClientError) as exists:
        sm.create_secret(Name=name, SecretString="other")
    with pytest.raises(ClientError) as missing:
        sm.get_secret_value(SecretId=name + "-nope")
    assert again["ARN"] == first["ARN"]
    assert again["VersionId"] == token
    assert error(exists) == (
        "ResourceExistsException",
        f"The operation failed because the secret {name} already exists.",
    )
    assert error(missing) == (
        "ResourceNotFoundException",
        "Secrets Manager can't find the specified secret.",
    )


def test_bad_input_is_refused(sm: Any, name: str) -> None:
    """Both kinds of value, a name outside the charset, and a value past 65536 bytes are
    InvalidParameterException."""
    with pytest.raises(ClientError) as both:
        sm.create_secret(Name=name, SecretString="a", SecretBinary=b"b")
    with pytest.raises(ClientError) as bad_name:
        sm.create_secret(Name="no spaces allowed", SecretString="a")
    with pytest.raises(ClientError) as big:
        sm.create_secret(Name=name, SecretString="é" * 40000)
    with pytest.raises(ClientError) as replicated:
        sm.create_secret(Name=name, SecretString="a", AddReplicaRegions=[{"Region": "eu-west-1"}])

    assert error(both)[0] == "InvalidParameterException"
    assert error(bad_name) == (
        "InvalidParameterException",
        "Invalid name. Must be a valid name containing alphanumeric characters, or any of the "
        "following: -/_+=.@!",
    )
    assert error(big)[0] == "InvalidParameterException"
    assert error(replicated)[0] == "InvalidParameterException"


def test_put_secret_value_moves_current_and_previous(sm: Any, name: str) -> None:
    """A new value takes AWSCURRENT; the old current becomes AWSPREVIOUS; both stay
    readable by label and by VersionId; a label that names no version is not found."""
    first = sm.create_secret(Name=name, SecretString="one")["VersionId"]
    second = sm.put_secret_value(SecretId=name, SecretString="two")
    pending = sm.put_secret_value(SecretId=name, SecretString="three", VersionStages=["AWSPENDING"])

    assert second["VersionStages"] == ["AWSCURRENT"]
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "two"
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == ("one")
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPENDING")["SecretString"] == (
        "three"
    )
    assert sm.get_secret_value(SecretId=name, VersionId=first)["SecretString"] == "one"
    assert sm.describe_secret(SecretId=name)["VersionIdsToStages"] == {
        first: ["AWSPREVIOUS"],
        second["VersionId"]: ["AWSCURRENT"],
        pending["VersionId"]: ["AWSPENDING"],
    }
    with pytest.raises(ClientError) as no_label:
        sm.get_secret_value(SecretId=name, VersionStage="NOPE")
    assert error(no_label) == (
        "ResourceNotFoundException",
        "Secrets Manager can't find the specified secret value for staging label: NOPE",
    )


def test_a_version_is_never_modified(sm: Any, name: str) -> None:
    """PutSecretValue with an existing token: the same value is a no-op, another is
    refused."""
    token = sm.create_secret(Name=name, SecretString="one")["VersionId"]

    same = sm.put_secret_value(SecretId=name, SecretString="one", ClientRequestToken=token)
    with pytest.raises(ClientError) as changed:
        sm.put_secret_value(SecretId=name, SecretString="two", ClientRequestToken=token)
    assert same["VersionId"] == token
    assert error(changed)[0] == "ResourceExistsException"


def test_update_secret_changes_description_and_value(sm: Any, name: str) -> None:
    """UpdateSecret with a value makes a new AWSCURRENT version; without, only settings."""
    sm.create_secret(Name=name, SecretString="one")

    plain = sm.update_secret(SecretId=name, Description="now described")
    valued = sm.update_secret(SecretId=name, SecretString="two")
    assert "VersionId" not in plain
    assert sm.describe_secret(SecretId=name)["Description"] == "now described"
    assert sm.get_secret_value(SecretId=name)["VersionId"] == valued["VersionId"]
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "two"


def test_delete_restore_and_force_delete(sm: Any, name: str) -> None:
    """A deleted secret answers InvalidRequestException until restored; DeletionDate is 30
    days on by default; ForceDeleteWithoutRecovery removes it at once (the name is free)."""
    sm.create_secret(Name=name, SecretString="v")

    deleted = sm.delete_secret(SecretId=name)
    described = sm.describe_secret(SecretId=name)
    with pytest.raises(ClientError) as refused:
        sm.get_secret_value(SecretId=name)
    with pytest.raises(ClientError) as recreate:
        sm.create_secret(Name=name, SecretString="v")
    listed = [s["Name"] for s in sm.list_secrets()["SecretList"]]
    planned = [s["Name"] for s in sm.list_secrets(IncludePlannedDeletion=True)["SecretList"]]
    window = deleted["DeletionDate"] - described["DeletedDate"]
    assert round(window.total_seconds() / 86400) == 30
    assert error(refused) == (
        "InvalidRequestException",
        "You can't perform this operation on the secret because it was marked for deletion.",
    )
    assert error(recreate)[0] == "InvalidRequestException"
    assert name not in listed
    assert name in planned

    sm.restore_secret(SecretId=name)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v"

    with pytest.raises(ClientError) as both:
        sm.delete_secret(SecretId=name, RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True)
    with pytest.raises(ClientError) as short:
        sm.delete_secret(SecretId=name, RecoveryWindowInDays=3)
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    with pytest.raises(ClientError) as gone:
        sm.describe_secret(SecretId=name)
    assert error(both)[0] == "InvalidParameterException"
    assert error(short)[0] == "InvalidParameterException"
    assert error(gone)[0] == "ResourceNotFoundException"
    assert sm.create_secret(Name=name, SecretString="again")["Name"] == name


def test_tags_and_list_filters_and_paging(sm: Any) -> None:
    """Tags are added and removed; ListSecrets filters by name prefix, tag key/value,
    description (any case) and negation, and pages by MaxResults."""
    prefix = f"list{uuid.uuid4().hex[:6]}"
    for i in range(5):
        sm.create_secret(
            Name=f"{prefix}/s{i}",
            SecretString="v",
            Description=f"Number {i}",
            Tags=[{"Key": "team", "Value": "red" if i % 2 else "blue"}],
        )
    sm.tag_resource(SecretId=f"{prefix}/s0", Tags=[{"Key": "extra", "Value": "x"}])
    sm.untag_resource(SecretId=f"{prefix}/s0", TagKeys=["team"])

    def names(*filters: dict[str, Any]) -> list[str]:
        found = sm.list_secrets(Filters=[{"Key": "name", "Values": [prefix]}, *filters])
        return sorted(s["Name"].split("/")[1] for s in found["SecretList"])

    assert sm.describe_secret(SecretId=f"{prefix}/s0")["Tags"] == [{"Key": "extra", "Value": "x"}]
    assert names() == ["s0", "s1", "s2", "s3", "s4"]
    assert names({"Key": "tag-value", "Values": ["red"]}) == ["s1", "s3"]
    assert names({"Key": "tag-key", "Values": ["ext"]}) == ["s0"]
    assert names({"Key": "description", "Values": ["number 4"]}) == ["s4"]
    assert names({"Key": "name", "Values": [f"!{prefix}/s1"]}) == ["s0", "s2", "s3", "s4"]
    pages = sm.get_paginator("list_secrets").paginate(
        Filters=[{"Key": "name", "Values": [prefix]}], PaginationConfig={"PageSize": 2}
    )
    sizes = [len(p["SecretList"]) for p in pages]
    assert sizes == [2, 2, 1]
    with pytest.raises(ClientError) as bad_token:
        sm.list_secrets(NextToken="not-a-token")
    assert error(bad_token)[0] == "InvalidNextTokenException"


def test_version_ids_and_moving_labels(sm: Any, name: str) -> None:
    """ListSecretVersionIds lists labelled versions (all with IncludeDeprecated);
    UpdateSecretVersionStage moves AWSCURRENT and with it AWSPREVIOUS, and refuses to take a
    label from a version that does not have it."""
    v1 = sm.create_secret(Name=name, SecretString="one")["VersionId"]
    v2 = sm.put_secret_value(SecretId=name, SecretString="two")["VersionId"]
    v3 = sm.put_secret_value(SecretId=name, SecretString="three")["VersionId"]

    listed = sm.list_secret_version_ids(SecretId=name)["Versions"]
    everything = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
    assert {v["VersionId"]: v["VersionStages"] for v in listed} == {
        v2: ["AWSPREVIOUS"],
        v3: ["AWSCURRENT"],
    }
    assert {v["VersionId"] for v in everything} == {v1, v2, v3}

    with pytest.raises(ClientError) as wrong:
        sm.update_secret_version_stage(
            SecretId=name, VersionStage="AWSCURRENT", RemoveFromVersionId=v2, MoveToVersionId=v1
        )
    sm.update_secret_version_stage(
        SecretId=name, VersionStage="AWSCURRENT", RemoveFromVersionId=v3, MoveToVersionId=v1
    )
    assert error(wrong) == (
        "InvalidParameterException",
        f"The staging label AWSCURRENT is currently attached to version {v3}, but you have "
        f"attempted to remove it from version {v2}.",
    )
    assert sm.describe_secret(SecretId=name)["VersionIdsToStages"] == {
        v1: ["AWSCURRENT"],
        v3: ["AWSPREVIOUS"],
    }
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "one"

    sm.update_secret_version_stage(SecretId=name, VersionStage="blue", MoveToVersionId=v2)
    sm.update_secret_version_stage(
        SecretId=name, VersionStage="blue", RemoveFromVersionId=v2, MoveToVersionId=v3
    )
    assert sm.get_secret_value(SecretId=name, VersionStage="blue")["SecretString"] == "three"
    sm.update_secret_version_stage(SecretId=name, VersionStage="blue", RemoveFromVersionId=v3)
    with pytest.raises(ClientError) as unlabelled:
        sm.get_secret_value(SecretId=name, VersionStage="blue")
    assert error(unlabelled)[0] == "ResourceNotFoundException"


def test_random_password_options(sm: Any) -> None:
    """GetRandomPassword: 32 characters of every kind by default; each option narrows the
    kinds; a length too short for every required kind is refused."""
    default = sm.get_random_password()["RandomPassword"]
    digits = sm.get_random_password(
        PasswordLength=50, ExcludeLowercase=True, ExcludeUppercase=True, ExcludePunctuation=True
    )["RandomPassword"]
    spaced = sm.get_random_password(
        PasswordLength=10, IncludeSpace=True, ExcludeCharacters="abcdefABCDEF0123"
    )["RandomPassword"]

    assert len(default) == 32
    assert any(c in string.punctuation for c in default)
    assert any(c.isupper() for c in default)
    assert any(c.islower() for c in default)
    assert len(digits) == 50
    assert digits.isdigit()
    assert " " in spaced
    assert (
        len(
            sm.get_random_password(PasswordLength=1, RequireEachIncludedType=False)[
                "RandomPassword"
            ]
        )
        == 1
    )
    assert not set(spaced) & set("abcdefABCDEF0123")
    with pytest.raises(ClientError) as short:
        sm.get_random_password(PasswordLength=3)
    with pytest.raises(ClientError) as nothing:
        sm.get_random_password(
            ExcludeLowercase=True, ExcludeUppercase=True, ExcludePunctuation=True,
            ExcludeNumbers=True,
        )  # fmt: skip
    assert error(short)[0] == "InvalidParameterException"
    assert error(nothing)[0] == "InvalidParameterException"


def test_batch_get_secret_value(sm: Any) -> None:
    """BatchGetSecretValue by ids reports each missing one in Errors; by filters it pages."""
    prefix = f"batch{uuid.uuid4().hex[:6]}"
    for i in range(3):
        sm.create_secret(Name=f"{prefix}-{i}", SecretString=f"v{i}")

    by_id = sm.batch_get_secret_value(SecretIdList=[f"{prefix}-0", f"{prefix}-missing"])
    filtered = sm.batch_get_secret_value(
        Filters=[{"Key": "name", "Values": [prefix]}], MaxResults=2
    )
    rest = sm.batch_get_secret_value(
        Filters=[{"Key": "name", "Values": [prefix]}], NextToken=filtered["NextToken"]
    )
    assert [v["SecretString"] for v in by_id["SecretValues"]] == ["v0"]
    assert by_id["Errors"] == [
        {
            "SecretId": f"{prefix}-missing",
            "ErrorCode": "ResourceNotFoundException",
            "Message": "Secrets Manager can't find the specified secret.",
        }
    ]
    got = {v["SecretString"] for v in filtered["SecretValues"] + rest["SecretValues"]}
    assert got == {"v0", "v1", "v2"}
    with pytest.raises(ClientError) as both:
        sm.batch_get_secret_value(SecretIdList=["a"], Filters=[{"Key": "name", "Values": ["a"]}])
    assert error(both)[0] == "InvalidParameterException"


def test_the_aws_cli_reads_a_secret(server: RunningServer, name: str) -> None:
    """`aws secretsmanager create-secret` / `get-secret-value` work against the server."""
    env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "PATH": "/usr/bin"}
    base = [AWS, "--endpoint-url", server.endpoint_url, "--region", "us-east-1"]
    subprocess.run(
        [*base, "secretsmanager", "create-secret", "--name", name, "--secret-string", "s3cr3t"],
        check=True, capture_output=True, env=env,
    )  # fmt: skip
    out = subprocess.run(
        [*base, "secretsmanager", "get-secret-value", "--secret-id", name],
        check=True, capture_output=True, env=env,
    )  # fmt: skip

    assert json.loads(out.stdout)["SecretString"] == "s3cr3t"
