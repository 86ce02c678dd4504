"""Objects through boto3's client and resource APIs: bytes, metadata and content headers
round-trip, ETags are AWS's, deletes and copies behave as S3's, listings page as S3's."""

from __future__ import annotations

import hashlib
import urllib.parse
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from stratus.testing import RunningServer


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_put_get_round_trip_with_metadata_and_content_headers(s3: Any, bucket: str):
    """Bytes, x-amz-meta-* metadata (lower-cased) and the content headers come back as
    sent; the ETag is the quoted MD5 of the bytes."""
    body = bytes(range(256)) * 100
    expires = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    put = s3.put_object(
        Bucket=bucket,
        Key="dir/file.bin",
        Body=body,
        Metadata={"Color": "red", "x": "1"},
        ContentType="application/x-thing",
        ContentEncoding="identity",
        ContentDisposition='attachment; filename="f.bin"',
        ContentLanguage="en",
        CacheControl="max-age=60",
        Expires=expires,
    )
    got = s3.get_object(Bucket=bucket, Key="dir/file.bin")
    head = s3.head_object(Bucket=bucket, Key="dir/file.bin")

    etag = f'"{hashlib.md5(body).hexdigest()}"'
    assert put["ETag"] == got["ETag"] == head["ETag"] == etag
    assert got["Body"].read() == body
    assert got["ContentLength"] == head["ContentLength"] == len(body)
    assert got["Metadata"] == head["Metadata"] == {"color": "red", "x": "1"}
    assert got["ContentType"] == "application/x-thing"
    assert got["ContentEncoding"] == "identity"
    assert got["ContentDisposition"] == 'attachment; filename="f.bin"'
    assert got["ContentLanguage"] == "en"
    assert got["CacheControl"] == "max-age=60"
    assert got["ExpiresString"] == "Wed, 02 Jan 2030 03:04:05 GMT"
    assert got["AcceptRanges"] == "bytes"
    assert abs((got["LastModified"] - datetime.now(UTC)).total_seconds()) < 120


def test_defaults_of_an_empty_object(s3: Any, bucket: str):
    """An object without a body is empty, typed binary/octet-stream, ETag of no bytes."""
    s3.put_object(Bucket=bucket, Key="empty")
    got = s3.get_object(Bucket=bucket, Key="empty")

    assert got["Body"].read() == b""
    assert got["ContentType"] == "binary/octet-stream"
    assert got["ETag"] == f'"{hashlib.md5(b"").hexdigest()}"'


def test_overwrite_replaces(s3: Any, bucket: str):
    """A second PUT of a key replaces the object."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"old", Metadata={"v": "1"})
    s3.put_object(Bucket=bucket, Key="k", Body=b"new")
    got = s3.get_object(Bucket=bucket, Key="k")

    assert got["Body"].read() == b"new"
    assert got["Metadata"] == {}


def test_keys_with_odd_characters(s3: Any, bucket: str):
    """Keys keep slashes (leading, trailing, doubled), spaces, unicode, + and % as sent."""
    keys = ["/lead", "trail/", "a//b", "with space", "ünï/コード", "plus+sign", "pct%20", "q?x=1"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    bodies = {key: s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}

    assert listed == sorted(keys, key=lambda k: k.encode())
    assert bodies == {key: key.encode() for key in keys}


def test_keys_made_of_slashes_are_keys_not_the_bucket(s3: Any, bucket: str):
    """`/` and `//` are keys (their paths end /bucket// and /bucket///); deleting them
    leaves the bucket and its other objects."""
    for key in ["/", "//", "kept"]:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    got = s3.get_object(Bucket=bucket, Key="/")["Body"].read()
    s3.delete_object(Bucket=bucket, Key="/")
    s3.delete_object(Bucket=bucket, Key="//")

    assert got == b"/"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["kept"]


def test_missing_key(s3: Any, bucket: str):
    """GET of a missing key is NoSuchKey naming the key; HEAD is a bare 404."""
    with pytest.raises(s3.exceptions.NoSuchKey) as missing:
        s3.get_object(Bucket=bucket, Key="nope/here")
    with pytest.raises(ClientError) as head:
        s3.head_object(Bucket=bucket, Key="nope/here")

    assert missing.value.response["Error"]["Key"] == "nope/here"
    assert missing.value.response["Error"]["Message"] == "The specified key does not exist."
    assert code(head) == "404"


def test_key_too_long(s3: Any, bucket: str):
    """Keys past 1,024 bytes of UTF-8 are KeyTooLongError."""
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=bucket, Key="é" * 513, Body=b"x")

    assert code(refused) == "KeyTooLongError"


def test_delete_and_delete_objects(s3: Any, bucket: str):
    """DeleteObject removes one (a missing key is still 204); DeleteObjects removes many and
    reports each; Quiet reports none."""
    for key in ["a", "b", "c", "d"]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    one = s3.delete_object(Bucket=bucket, Key="a")
    missing = s3.delete_object(Bucket=bucket, Key="never")
    many = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "b"}, {"Key": "zz"}]})
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "c"}], "Quiet": True})
    left = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]

    assert one["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert "Errors" not in many
    assert missing["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert sorted(d["Key"] for d in many["Deleted"]) == ["b", "zz"]
    assert "Deleted" not in quiet
    assert left == ["d"]


def test_copy_object(s3: Any, bucket: str):
    """CopyObject copies bytes and metadata (COPY), or takes new metadata (REPLACE); copying
    onto itself without a change is InvalidRequest; the source may be in another bucket."""
    other = f"{bucket}-copy"
    s3.create_bucket(Bucket=other)
    s3.put_object(
        Bucket=bucket, Key="src", Body=b"payload", Metadata={"a": "1"}, ContentType="text/x"
    )
    copied = s3.copy_object(Bucket=other, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    replaced = s3.copy_object(
        Bucket=bucket,
        Key="src",
        CopySource=f"{bucket}/src",
        MetadataDirective="REPLACE",
        Metadata={"b": "2"},
        ContentType="text/y",
    )
    with pytest.raises(ClientError) as itself:
        s3.copy_object(Bucket=bucket, Key="src", CopySource=f"{bucket}/src")
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.copy_object(Bucket=bucket, Key="x", CopySource=f"{bucket}/missing")
    dst = s3.get_object(Bucket=other, Key="dst")
    src = s3.head_object(Bucket=bucket, Key="src")

    assert copied["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(b"payload").hexdigest()}"'
    assert dst["Body"].read() == b"payload"
    assert dst["Metadata"] == {"a": "1"}
    assert dst["ContentType"] == "text/x"
    assert replaced["CopyObjectResult"]["ETag"] == copied["CopyObjectResult"]["ETag"]
    assert src["Metadata"] == {"b": "2"}
    assert src["ContentType"] == "text/y"
    assert code(itself) == "InvalidRequest"


def test_copy_is_independent_of_its_source(s3: Any, bucket: str):
    """A copy keeps its bytes when the source is overwritten or deleted."""
    s3.put_object(Bucket=bucket, Key="src", Body=b"first")
    s3.copy_object(Bucket=bucket, Key="dst", CopySource=f"{bucket}/src")
    s3.put_object(Bucket=bucket, Key="src", Body=b"second")
    s3.delete_object(Bucket=bucket, Key="src")

    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"first"


def test_object_tagging(s3: Any, bucket: str):
    """Tags set with x-amz-tagging or PutObjectTagging are returned; TagCount on GET."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="a=1&b=two%20words")
    first = s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"]
    count = s3.get_object(Bucket=bucket, Key="k")["TagCount"]
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": [{"Key": "c", "Value": "3"}]})
    second = s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"]
    s3.delete_object_tagging(Bucket=bucket, Key="k")

    assert first == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "two words"}]
    assert count == 2
    assert second == [{"Key": "c", "Value": "3"}]
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == []


def test_resource_api(server: RunningServer, bucket: str, tmp_path: Any):
    """boto3's resource API: Bucket.put_object, Object.get, objects.filter, upload_file,
    download_file, Bucket.objects.all().delete()."""
    s3 = boto3.resource(
        "s3",
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    b = s3.Bucket(bucket)
    b.put_object(Key="docs/a.txt", Body=b"A")
    b.put_object(Key="docs/b.txt", Body=b"B")
    b.put_object(Key="other.txt", Body=b"O")
    source = tmp_path / "up.txt"
    source.write_bytes(b"uploaded")
    b.upload_file(str(source), "docs/up.txt")
    target = tmp_path / "down.txt"
    b.download_file("docs/up.txt", str(target))
    docs = sorted(o.key for o in b.objects.filter(Prefix="docs/"))
    body = s3.Object(bucket, "docs/a.txt").get()["Body"].read()
    b.objects.all().delete()

    assert docs == ["docs/a.txt", "docs/b.txt", "docs/up.txt"]
    assert body == b"A"
    assert target.read_bytes() == b"uploaded"
    assert list(b.objects.all()) == []


def test_virtual_host_style(server: RunningServer, bucket: str):
    """A request to <bucket>.localhost (and <bucket>.s3.localhost) addresses the bucket by
    its Host, as boto3's virtual addressing sends it."""
    import httpx

    auth = {
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, "
        "SignedHeaders=host, Signature=0"
    }
    port = server.settings.port
    base = server.endpoint_url
    put = httpx.put(
        f"{base}/v/key.txt", content=b"virtual", headers={"Host": f"{bucket}.localhost:{port}"}
    )
    got = httpx.get(f"{base}/v/key.txt", headers={"Host": f"{bucket}.s3.localhost:{port}"})
    listed = httpx.get(f"{base}/?list-type=2", headers={"Host": f"{bucket}.s3.us-east-1.localhost"})
    path_style = httpx.get(f"{base}/{bucket}/v/key.txt", headers=auth)

    assert put.status_code == 200
    assert got.content == b"virtual"
    assert "<Key>v/key.txt</Key>" in listed.text
    assert path_style.content == b"virtual"


def test_other_apis_keep_their_routes(server: RunningServer):
    """Unsigned or non-S3 requests to paths S3 could take still reach their own APIs."""
    queues = server.client("sqs").list_queues()
    functions = server.client("lambda").list_functions()

    assert queues["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert "Functions" in functions


def test_url_encoded_listing(s3: Any, bucket: str):
    """Listings URL-encode keys under EncodingType=url (boto3 asks for it and decodes)."""
    s3.put_object(Bucket=bucket, Key="a b+c\x01", Body=b"x")
    decoded = s3.list_objects_v2(Bucket=bucket)["Contents"][0]["Key"]
    raw = s3.list_objects(Bucket=bucket, EncodingType="url")

    assert decoded == "a b+c\x01"
    assert urllib.parse.unquote_plus(raw["Contents"][0]["Key"]) == "a b+c\x01"


def test_boto3_virtual_addressing(server: RunningServer, bucket: str):
    """boto3 with addressing_style=virtual against http://localhost:<port> sends
    <bucket>.localhost:<port> as the Host (sent to 127.0.0.1 here, as a resolver that knows
    *.localhost would): put, get, list and delete work unchanged."""
    port = server.settings.port
    client = boto3.client(
        "s3",
        endpoint_url=f"http://localhost:{port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(s3={"addressing_style": "virtual"}, retries={"max_attempts": 1}),
    )
    hosts: list[str] = []

    def to_loopback(request: Any, **_: Any) -> None:
        parts = urllib.parse.urlsplit(request.url)
        hosts.append(parts.netloc)
        request.headers["Host"] = parts.netloc
        request.url = urllib.parse.urlunsplit(parts._replace(netloc=f"127.0.0.1:{port}"))

    client.meta.events.register("before-send.s3", to_loopback)
    client.put_object(Bucket=bucket, Key="v/1.txt", Body=b"one")
    body = client.get_object(Bucket=bucket, Key="v/1.txt")["Body"].read()
    listed = [o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix="v/")["Contents"]]
    client.delete_object(Bucket=bucket, Key="v/1.txt")

    assert set(hosts) == {f"{bucket}.localhost:{port}"}
    assert body == b"one"
    assert listed == ["v/1.txt"]
