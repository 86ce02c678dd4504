"""Ranged and conditional GETs, and conditional writes, as S3 answers them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

BODY = bytes(range(100))


@pytest.fixture
def stored(s3: Any, bucket: str) -> tuple[str, str]:
    etag = s3.put_object(Bucket=bucket, Key="k", Body=BODY)["ETag"]
    return bucket, etag


def status(exc: pytest.ExceptionInfo[ClientError]) -> int:
    return int(exc.value.response["ResponseMetadata"]["HTTPStatusCode"])


@pytest.mark.parametrize(
    ("header", "expected", "content_range"),
    [
        ("bytes=0-9", BODY[:10], "bytes 0-9/100"),
        ("bytes=90-", BODY[90:], "bytes 90-99/100"),
        ("bytes=-5", BODY[-5:], "bytes 95-99/100"),
        ("bytes=95-200", BODY[95:], "bytes 95-99/100"),
    ],
)
def test_ranges(s3: Any, stored: tuple[str, str], header: str, expected: bytes, content_range: str):
    """A satisfiable range is 206 with Content-Range and just those bytes."""
    got = s3.get_object(Bucket=stored[0], Key="k", Range=header)

    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentRange"] == content_range
    assert got["ContentLength"] == len(expected)
    assert got["Body"].read() == expected


def test_unsatisfiable_range_is_416(s3: Any, stored: tuple[str, str]):
    """A range starting past the end is InvalidRange (416); a malformed one is ignored."""
    with pytest.raises(ClientError) as refused:
        s3.get_object(Bucket=stored[0], Key="k", Range="bytes=100-")
    ignored = s3.get_object(Bucket=stored[0], Key="k", Range="lines=1-2")

    assert refused.value.response["Error"]["Code"] == "InvalidRange"
    assert status(refused) == 416
    assert ignored["Body"].read() == BODY


def test_if_match_and_if_none_match(s3: Any, stored: tuple[str, str]):
    """If-Match with the ETag serves; another is 412. If-None-Match with the ETag is 304;
    another serves."""
    bucket, etag = stored
    matched = s3.get_object(Bucket=bucket, Key="k", IfMatch=etag)
    with pytest.raises(ClientError) as failed:
        s3.get_object(Bucket=bucket, Key="k", IfMatch='"0123"')
    with pytest.raises(ClientError) as not_modified:
        s3.get_object(Bucket=bucket, Key="k", IfNoneMatch=etag)
    other = s3.get_object(Bucket=bucket, Key="k", IfNoneMatch='"0123"')
    with pytest.raises(ClientError) as head:
        s3.head_object(Bucket=bucket, Key="k", IfNoneMatch=etag)

    assert matched["Body"].read() == BODY
    assert failed.value.response["Error"]["Code"] == "PreconditionFailed"
    assert status(failed) == 412
    assert status(not_modified) == 304
    assert other["Body"].read() == BODY
    assert status(head) == 304


def test_modified_since(s3: Any, stored: tuple[str, str]):
    """If-Modified-Since before the write serves, after it is 304; If-Unmodified-Since
    before it is 412; If-Match wins over a failing If-Unmodified-Since."""
    bucket, etag = stored
    earlier = datetime.now(UTC) - timedelta(hours=1)
    later = datetime.now(UTC) + timedelta(hours=1)
    served = s3.get_object(Bucket=bucket, Key="k", IfModifiedSince=earlier)
    with pytest.raises(ClientError) as not_modified:
        s3.get_object(Bucket=bucket, Key="k", IfModifiedSince=later)
    with pytest.raises(ClientError) as failed:
        s3.get_object(Bucket=bucket, Key="k", IfUnmodifiedSince=earlier)
    both = s3.get_object(Bucket=bucket, Key="k", IfMatch=etag, IfUnmodifiedSince=earlier)

    assert served["Body"].read() == BODY
    assert status(not_modified) == 304
    assert status(failed) == 412
    assert both["Body"].read() == BODY


def test_conditional_writes(s3: Any, bucket: str):
    """If-None-Match: * writes only a new key (412 once it exists); If-Match writes only
    over the named ETag."""
    first = s3.put_object(Bucket=bucket, Key="once", Body=b"1", IfNoneMatch="*")
    with pytest.raises(ClientError) as exists:
        s3.put_object(Bucket=bucket, Key="once", Body=b"2", IfNoneMatch="*")
    with pytest.raises(ClientError) as stale:
        s3.put_object(Bucket=bucket, Key="once", Body=b"3", IfMatch='"0123"')
    s3.put_object(Bucket=bucket, Key="once", Body=b"4", IfMatch=first["ETag"])
    with pytest.raises(ClientError) as missing:
        s3.put_object(Bucket=bucket, Key="never", Body=b"5", IfMatch=first["ETag"])

    assert exists.value.response["Error"]["Code"] == "PreconditionFailed"
    assert status(exists) == 412
    assert status(stale) == 412
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"4"
    assert missing.value.response["Error"]["Code"] == "NoSuchKey"
