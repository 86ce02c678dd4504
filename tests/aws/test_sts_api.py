"""STS's GetCallerIdentity over the query protocol (boto3 against the real server): every
request is the account's owner, so the caller is the account's root user."""

from __future__ import annotations

from typing import Any

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


def test_an_operation_stratus_does_not_serve_is_an_aws_error(server: Any) -> None:
    sts = server.client("sts")

    with pytest.raises(ClientError) as refused:
        sts.assume_role(RoleArn="arn:aws:iam::000000000000:role/r", RoleSessionName="session")

    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert refused.value.response["Error"]["Code"] == "InvalidAction"
