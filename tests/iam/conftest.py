"""A server that checks signatures (STRATUS_VERIFY_SIGNATURES=true), and clients of any key."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from stratus.testing import RunningServer, serve_in_thread


@pytest.fixture(scope="package")
def verified() -> Iterator[RunningServer]:
    with (
        tempfile.TemporaryDirectory() as data,
        serve_in_thread(Path(data), verify_signatures=True) as server,
    ):
        yield server


Client = Callable[..., Any]


@pytest.fixture(scope="package")
def client_of(verified: RunningServer) -> Client:
    """A boto3 client of `service` signing with the given key and secret."""

    def make(service: str, key: str, secret: str, **config: Any) -> Any:
        return boto3.client(  # type: ignore[call-overload]
            service,
            endpoint_url=verified.endpoint_url,
            region_name=verified.settings.region,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=Config(retries={"max_attempts": 1}, **config),
        )

    return make


@pytest.fixture
def user(verified: RunningServer) -> dict[str, str]:
    """A fresh IAM user with AdministratorAccess and one access key: {"UserName",
    "AccessKeyId", "SecretAccessKey"}."""
    import uuid

    iam = verified.client("iam")
    name = f"user-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    iam.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"UserName": name, "AccessKeyId": key["AccessKeyId"],
           "SecretAccessKey": key["SecretAccessKey"]}  # fmt: skip
