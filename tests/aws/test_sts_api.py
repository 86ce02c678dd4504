"""STS over the query protocol (boto3 against the real server): GetCallerIdentity (every
request is the account's owner, so the caller is the account's root user) and AssumeRole
(temporary credentials of AWS's shape, which work here since nothing is checked)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import httpx
import pytest
from botocore.exceptions import ClientError


def test_get_caller_identity_names_the_account_root(server: Any) -> None:
    sts = server.client("sts")

    identity = sts.get_caller_identity()

    account = server.settings.account_id
    assert identity["Account"] == account
    assert identity["UserId"] == account
    assert identity["Arn"] == f"arn:aws:iam::{account}:root"


def test_an_unsigned_request_finds_sts_by_its_api_version(server: Any) -> None:
    answer = httpx.post(
        server.endpoint_url,
        data={"Action": "GetCallerIdentity", "Version": "2011-06-15"},
        timeout=30,
    )

    assert answer.status_code == 200
    assert f"<Account>{server.settings.account_id}</Account>" in answer.text
    assert "<GetCallerIdentityResponse" in answer.text


def test_assume_role_hands_out_credentials_that_work(server: Any) -> None:
    sts = server.client("sts")
    account = server.settings.account_id
    role = f"arn:aws:iam::{account}:role/cdk-hnb659fds-deploy-role-{account}-us-east-1"

    answer = sts.assume_role(RoleArn=role, RoleSessionName="aws-cdk-ada", DurationSeconds=900)

    credentials = answer["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    assert len(credentials["AccessKeyId"]) == 20
    assert len(credentials["SecretAccessKey"]) == 40
    assert credentials["SessionToken"]
    left = credentials["Expiration"] - datetime.now(UTC)
    assert timedelta(seconds=800) < left <= timedelta(seconds=900)
    user = answer["AssumedRoleUser"]
    assert user["Arn"] == (
        f"arn:aws:sts::{account}:assumed-role/cdk-hnb659fds-deploy-role-{account}-us-east-1"
        "/aws-cdk-ada"
    )
    assert user["AssumedRoleId"].startswith("AROA")
    assert user["AssumedRoleId"].endswith(":aws-cdk-ada")
    # The credentials sign requests like any others (a session token included).
    assumed = boto3.client(
        "sqs",
        endpoint_url=server.endpoint_url,
        region_name=server.settings.region,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
    assert "QueueUrl" in assumed.create_queue(QueueName="assumed-role-queue")
    # An hour by default, as on AWS.
    default = sts.assume_role(RoleArn=role, RoleSessionName="s1")["Credentials"]["Expiration"]
    assert timedelta(seconds=3500) < default - datetime.now(UTC) <= timedelta(seconds=3600)


@pytest.mark.parametrize(
    ("arn", "duration"),
    [
        ("arn:aws:s3:::a-bucket-not-a-role", 900),
        ("arn:aws:iam::000000000000:user/someone", 900),
        ("arn:aws:iam::000000000000:role/r", 43201),
    ],
)
def test_assume_role_refuses_what_aws_refuses(server: Any, arn: str, duration: int) -> None:
    with pytest.raises(ClientError) as refused:
        server.client("sts").assume_role(
            RoleArn=arn, RoleSessionName="session", DurationSeconds=duration
        )

    assert refused.value.response["Error"]["Code"] == "ValidationError"


def test_an_operation_stratus_does_not_serve_is_an_aws_error(server: Any) -> None:
    sts = server.client("sts")

    with pytest.raises(ClientError) as refused:
        sts.get_session_token()

    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert refused.value.response["Error"]["Code"] == "InvalidAction"
