"""Presigned URLs, in both forms boto3 makes (SigV2 query, its default for S3, and SigV4
with signature_version="s3v4"), work from plain HTTP clients until they expire."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest

from stratus.testing import RunningServer


@pytest.fixture(params=["default", "s3v4"])
def signer(request: pytest.FixtureRequest, server: RunningServer) -> Any:
    if request.param == "default":
        return server.client("s3")
    return server.client("s3", signature_version="s3v4")


def test_presigned_get_and_put(signer: Any, s3: Any, bucket: str):
    """A presigned PUT stores what a plain client sends; a presigned GET reads it back."""
    params = {"Bucket": bucket, "Key": "p.txt"}
    put_url = signer.generate_presigned_url("put_object", Params=params, ExpiresIn=300)
    get_url = signer.generate_presigned_url("get_object", Params=params, ExpiresIn=300)
    put = httpx.put(put_url, content=b"presigned body")
    got = httpx.get(get_url)

    assert put.status_code == 200
    assert got.status_code == 200
    assert got.content == b"presigned body"
    assert s3.get_object(Bucket=bucket, Key="p.txt")["Body"].read() == b"presigned body"


def test_expired_v4_url_is_access_denied(server: RunningServer, s3: Any, bucket: str):
    """Past X-Amz-Date + X-Amz-Expires the URL is refused: AccessDenied, "Request has
    expired", with the expiry and server time."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    v4 = server.client("s3", signature_version="s3v4")
    url = v4.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=60
    )
    old = re.sub(r"X-Amz-Date=\d{8}T\d{6}Z", "X-Amz-Date=20200101T000000Z", url)
    refused = httpx.get(old)

    assert "X-Amz-Credential=" in url
    assert refused.status_code == 403
    assert "<Code>AccessDenied</Code>" in refused.text
    assert "<Message>Request has expired</Message>" in refused.text
    assert "<Expires>2020-01-01T00:01:00Z</Expires>" in refused.text


def test_expired_v2_url_is_access_denied(s3: Any, bucket: str):
    """A SigV2 query URL past its Expires (epoch seconds) is refused the same way."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=60
    )
    old = re.sub(r"Expires=\d+", f"Expires={int(time.time()) - 10}", url)
    refused = httpx.get(old)

    assert "AWSAccessKeyId=" in url
    assert refused.status_code == 403
    assert "<Message>Request has expired</Message>" in refused.text


def test_expiry_longer_than_a_week_is_refused(server: RunningServer, bucket: str):
    """X-Amz-Expires past 604,800 seconds is refused, as SigV4 allows no longer."""
    v4 = server.client("s3", signature_version="s3v4")
    url = v4.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=60
    )
    refused = httpx.get(url.replace("X-Amz-Expires=60", "X-Amz-Expires=604801"))

    assert refused.status_code == 400
    assert "<Code>InvalidArgument</Code>" in refused.text
