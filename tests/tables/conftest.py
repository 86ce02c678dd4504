"""Fixtures for table tests: a DynamoDB client and resource on the session's real server,
and tables made with unique names."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from stratus.testing import RunningServer

_names = itertools.count()


def unique(prefix: str = "tbl") -> str:
    return f"{prefix}-{next(_names)}-{int(time.time() * 1000) % 10**8}"


@pytest.fixture(scope="module")
def ddb(server: RunningServer) -> Any:
    return server.client("dynamodb")


@pytest.fixture(scope="module")
def resource(server: RunningServer) -> Any:
    return boto3.resource(
        "dynamodb",
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


KeyMaker = Callable[..., str]


@pytest.fixture
def make_table(ddb: Any) -> KeyMaker:
    """make_table(hash=("pk", "S"), range=("sk", "N"), **extra) -> a new table's name."""

    def make(
        hash: tuple[str, str] = ("pk", "S"),
        range: tuple[str, str] | None = ("sk", "N"),
        attributes: tuple[tuple[str, str], ...] = (),
        **extra: Any,
    ) -> str:
        name = unique()
        key = [{"AttributeName": hash[0], "KeyType": "HASH"}]
        defined = [{"AttributeName": hash[0], "AttributeType": hash[1]}]
        if range is not None:
            key.append({"AttributeName": range[0], "KeyType": "RANGE"})
            defined.append({"AttributeName": range[0], "AttributeType": range[1]})
        defined += [{"AttributeName": n, "AttributeType": t} for n, t in attributes]
        extra.setdefault("BillingMode", "PAY_PER_REQUEST")
        ddb.create_table(TableName=name, KeySchema=key, AttributeDefinitions=defined, **extra)
        return name

    return make
