"""GetObjectAttributes: HeadObject's facts and a multipart object's parts, chosen by the
x-amz-object-attributes header, with S3's errors."""

from __future__ import annotations

import base64
import os
from typing import Any

import pytest
from botocore import httpchecksum
from botocore.exceptions import ClientError

from stratus.testing import RunningServer

from .test_multipart import MIB, upload

ALL = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = exc.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def crc32(data: bytes) -> bytes:
    checksum = httpchecksum.CrtCrc32Checksum()
    checksum.update(data)
    return checksum.digest()


def test_a_simple_object(s3: Any, bucket: str):
    """A simple object answers its ETag without quotes, size, STANDARD, its checksum and
    Last-Modified, and no ObjectParts; only the attributes asked for are answered."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"hello", ChecksumAlgorithm="CRC32")
    head = s3.head_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")

    answer = s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=ALL)
    size_only = s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["ObjectSize"])

    assert answer["ETag"] == head["ETag"].strip('"')
    assert answer["ObjectSize"] == 5
    assert answer["StorageClass"] == "STANDARD"
    assert answer["Checksum"] == {
        "ChecksumCRC32": base64.b64encode(crc32(b"hello")).decode(),
        "ChecksumType": "FULL_OBJECT",
    }
    assert answer["LastModified"] == head["LastModified"]
    assert "ObjectParts" not in answer
    assert "VersionId" not in answer
    assert "ETag" not in size_only
    assert size_only["ObjectSize"] == 5


def test_a_composite_multipart_object_pages_its_parts(s3: Any, bucket: str):
    """A multipart object with a COMPOSITE checksum answers the checksum without its -N
    (so a client can recompute it from the parts' checksums) and lists its parts with
    their sizes and checksums, MaxParts at a time after PartNumberMarker."""
    parts = [os.urandom(5 * MIB), os.urandom(5 * MIB), b"tail"]
    upload_id, done = upload(s3, bucket, "big", parts, ChecksumAlgorithm="CRC32")
    completed = s3.complete_multipart_upload(
        Bucket=bucket, Key="big", UploadId=upload_id, MultipartUpload={"Parts": done}
    )

    first = s3.get_object_attributes(
        Bucket=bucket, Key="big", ObjectAttributes=["Checksum", "ObjectParts"], MaxParts=2
    )
    rest = s3.get_object_attributes(
        Bucket=bucket,
        Key="big",
        ObjectAttributes=["ObjectParts"],
        MaxParts=2,
        PartNumberMarker=first["ObjectParts"]["NextPartNumberMarker"],
    )

    composite = crc32(b"".join(crc32(p) for p in parts))
    assert first["Checksum"]["ChecksumCRC32"] == base64.b64encode(composite).decode()
    assert completed["ChecksumCRC32"] == first["Checksum"]["ChecksumCRC32"] + "-3"
    assert first["Checksum"]["ChecksumType"] == "COMPOSITE"
    page = first["ObjectParts"]
    assert page["TotalPartsCount"] == 3
    assert (page["PartNumberMarker"], page["MaxParts"], page["IsTruncated"]) == (0, 2, True)
    assert page["NextPartNumberMarker"] == 2
    expected = [
        {"PartNumber": d["PartNumber"], "Size": len(p), "ChecksumCRC32": d["ChecksumCRC32"]}
        for d, p in zip(done, parts, strict=True)
    ]
    assert page["Parts"] == expected[:2]
    last = rest["ObjectParts"]
    assert (last["PartNumberMarker"], last["IsTruncated"]) == (2, False)
    assert last["Parts"] == expected[2:]


def test_a_full_object_multipart_object_lists_no_parts(s3: Any, bucket: str):
    """Without part-level checksums (a FULL_OBJECT checksum) S3 answers only the parts'
    count."""
    parts = [os.urandom(5 * MIB), b"end"]
    upload_id, done = upload(
        s3, bucket, "crc", parts, ChecksumAlgorithm="CRC32C", ChecksumType="FULL_OBJECT"
    )
    s3.complete_multipart_upload(
        Bucket=bucket, Key="crc", UploadId=upload_id, MultipartUpload={"Parts": done}
    )

    answer = s3.get_object_attributes(Bucket=bucket, Key="crc", ObjectAttributes=ALL)

    assert answer["ObjectParts"] == {"TotalPartsCount": 2}
    assert answer["Checksum"]["ChecksumType"] == "FULL_OBJECT"
    assert answer["ObjectSize"] == 5 * MIB + 3


def test_versions_and_delete_markers(s3: Any, bucket: str):
    """VersionId reads that version (x-amz-version-id answered); a current delete marker is
    NoSuchKey saying x-amz-delete-marker, a marker named by id 405 MethodNotAllowed."""
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    old = s3.put_object(Bucket=bucket, Key="k", Body=b"old")
    s3.put_object(Bucket=bucket, Key="k", Body=b"newer")

    by_id = s3.get_object_attributes(
        Bucket=bucket, Key="k", VersionId=old["VersionId"], ObjectAttributes=ALL
    )
    current = s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["ObjectSize"])
    marker = s3.delete_object(Bucket=bucket, Key="k")["VersionId"]
    with pytest.raises(ClientError) as deleted:
        s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=ALL)
    with pytest.raises(ClientError) as marker_by_id:
        s3.get_object_attributes(Bucket=bucket, Key="k", VersionId=marker, ObjectAttributes=ALL)

    assert by_id["VersionId"] == old["VersionId"]
    assert (by_id["ObjectSize"], by_id["ETag"]) == (3, old["ETag"].strip('"'))
    assert current["ObjectSize"] == 5
    assert error(deleted) == ("NoSuchKey", 404)
    assert deleted.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amz-delete-marker"]
    assert error(marker_by_id) == ("MethodNotAllowed", 405)


def test_errors(s3: Any, bucket: str, server: RunningServer):
    """A missing key, bucket or version is S3's 404 (as GetObject answers); an unknown
    attribute name is InvalidArgument; no x-amz-object-attributes at all is
    InvalidRequest."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    bare = server.client("s3", user_agent_extra="no-attributes-header")  # its own client
    bare.meta.events.register(
        "before-sign.s3.GetObjectAttributes",
        lambda request, **_: request.headers.__delitem__("x-amz-object-attributes"),
    )
    with pytest.raises(ClientError) as no_key:
        s3.get_object_attributes(Bucket=bucket, Key="nope", ObjectAttributes=ALL)
    with pytest.raises(ClientError) as no_bucket:
        s3.get_object_attributes(Bucket="no-such-bucket-x", Key="k", ObjectAttributes=ALL)
    with pytest.raises(ClientError) as no_version:
        s3.get_object_attributes(Bucket=bucket, Key="k", VersionId="v9", ObjectAttributes=ALL)
    with pytest.raises(ClientError) as head_no_version:
        s3.get_object(Bucket=bucket, Key="k", VersionId="v9")
    with pytest.raises(ClientError) as bad_name:
        s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["ETag", "Colour"])
    with pytest.raises(ClientError) as missing:
        bare.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["ETag"])

    assert error(no_key) == ("NoSuchKey", 404)
    assert error(no_bucket) == ("NoSuchBucket", 404)
    assert error(no_version) == error(head_no_version) == ("NoSuchVersion", 404)
    assert error(bad_name) == ("InvalidArgument", 400)
    assert bad_name.value.response["Error"]["Message"] == "Invalid attribute name specified."
    assert error(missing) == ("InvalidRequest", 400)
