"""Fixtures for object storage: the session's server, a boto3 S3 client and a fresh bucket."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from stratus.testing import RunningServer

_names = itertools.count()


def bucket_name(prefix: str = "bucket") -> str:
    return f"{prefix}-{next(_names)}"


@pytest.fixture(scope="session")
def s3(server: RunningServer) -> Any:
    return server.client("s3")


@pytest.fixture
def bucket(s3: Any) -> str:
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    return name
