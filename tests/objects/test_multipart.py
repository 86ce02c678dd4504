"""Multipart uploads: parts, completion with S3's ETag (MD5 of the parts' MD5s, "-N") and
checksums, the part rules (5 MiB but the last, ascending, ETags that match), listing and
aborting, UploadPartCopy, and s3transfer's multipart upload and ranged download."""

from __future__ import annotations

import base64
import hashlib
import os
from typing import Any

import pytest
from boto3.s3.transfer import TransferConfig
from botocore import httpchecksum
from botocore.exceptions import ClientError

MIB = 1024 * 1024


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def upload(
    s3: Any, bucket: str, key: str, parts: list[bytes], **create: Any
) -> tuple[str, list[dict[str, Any]]]:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key, **create)["UploadId"]
    done = []
    for number, data in enumerate(parts, 1):
        answer = s3.upload_part(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data
        )
        entry = {"PartNumber": number, "ETag": answer["ETag"]}
        entry |= {
            k: v for k, v in answer.items() if k.startswith("Checksum") and k != "ChecksumType"
        }
        done.append(entry)
    return upload_id, done


def test_complete_gives_aws_etag_and_the_bytes(s3: Any, bucket: str):
    """The object is the parts in order; its ETag is md5(md5(p1)+md5(p2)+…)-N and HEAD
    reports PartsCount."""
    parts = [os.urandom(5 * MIB), b"middle" * MIB, b"tail"]
    upload_id, done = upload(s3, bucket, "big", parts, Metadata={"m": "1"}, ContentType="video/x")
    completed = s3.complete_multipart_upload(
        Bucket=bucket, Key="big", UploadId=upload_id, MultipartUpload={"Parts": done}
    )
    head = s3.head_object(Bucket=bucket, Key="big")
    body = s3.get_object(Bucket=bucket, Key="big")["Body"].read()

    digests = b"".join(hashlib.md5(p).digest() for p in parts)
    assert completed["ETag"] == f'"{hashlib.md5(digests).hexdigest()}-3"'
    assert head["ETag"] == completed["ETag"]
    assert head["PartsCount"] == 3
    assert head["Metadata"] == {"m": "1"}
    assert head["ContentType"] == "video/x"
    assert body == b"".join(parts)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_composite_checksum(s3: Any, bucket: str):
    """With ChecksumAlgorithm SHA256 each part has its checksum, and the object's is the
    checksum of the parts' checksums, then -N."""
    parts = [os.urandom(5 * MIB), b"end"]
    upload_id, done = upload(s3, bucket, "sha", parts, ChecksumAlgorithm="SHA256")
    completed = s3.complete_multipart_upload(
        Bucket=bucket, Key="sha", UploadId=upload_id, MultipartUpload={"Parts": done}
    )

    raw = b"".join(hashlib.sha256(p).digest() for p in parts)
    expected = base64.b64encode(hashlib.sha256(raw).digest()).decode() + "-2"
    assert done[0]["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(parts[0]).digest()).decode()
    assert completed["ChecksumSHA256"] == expected
    assert completed["ChecksumType"] == "COMPOSITE"


def test_full_object_crc(s3: Any, bucket: str):
    """ChecksumType FULL_OBJECT with a CRC gives the CRC of the whole object."""
    parts = [os.urandom(5 * MIB), b"end"]
    upload_id, done = upload(
        s3, bucket, "crc", parts, ChecksumAlgorithm="CRC32C", ChecksumType="FULL_OBJECT"
    )
    completed = s3.complete_multipart_upload(
        Bucket=bucket, Key="crc", UploadId=upload_id, MultipartUpload={"Parts": done}
    )
    whole = httpchecksum.CrtCrc32cChecksum()
    whole.update(b"".join(parts))

    assert completed["ChecksumCRC32C"] == base64.b64encode(whole.digest()).decode()
    assert completed["ChecksumType"] == "FULL_OBJECT"


def test_part_rules(s3: Any, bucket: str):
    """A part under 5 MiB that is not the last is EntityTooSmall; parts out of order are
    InvalidPartOrder; a wrong ETag or missing part InvalidPart; part number 10,001
    InvalidArgument; an unknown upload NoSuchUpload."""
    upload_id, done = upload(s3, bucket, "k", [b"small", b"last"])
    complete = lambda parts: s3.complete_multipart_upload(  # noqa: E731
        Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    with pytest.raises(ClientError) as too_small:
        complete(done)
    with pytest.raises(ClientError) as order:
        complete(list(reversed(done)))
    with pytest.raises(ClientError) as wrong_etag:
        complete([{"PartNumber": 1, "ETag": '"00000000000000000000000000000000"'}])
    with pytest.raises(ClientError) as missing:
        complete([{"PartNumber": 7, "ETag": done[0]["ETag"]}])
    with pytest.raises(ClientError) as number:
        s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=10_001, Body=b"x")
    with pytest.raises(s3.exceptions.NoSuchUpload):
        s3.upload_part(Bucket=bucket, Key="k", UploadId="nope", PartNumber=1, Body=b"x")
    single = complete(done[:1])

    assert code(too_small) == "EntityTooSmall"
    assert code(order) == "InvalidPartOrder"
    assert code(wrong_etag) == code(missing) == "InvalidPart"
    assert code(number) == "InvalidArgument"
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"small"
    assert single["ETag"].endswith('-1"')


def test_list_parts_uploads_and_abort(s3: Any, bucket: str):
    """ListParts pages the parts; ListMultipartUploads lists open uploads by key; an aborted
    upload is gone (NoSuchUpload)."""
    upload_id, done = upload(s3, bucket, "x/a", [b"1", b"2", b"3"])
    other, _ = upload(s3, bucket, "x/b", [b"1"])
    first = s3.list_parts(Bucket=bucket, Key="x/a", UploadId=upload_id, MaxParts=2)
    rest = s3.list_parts(
        Bucket=bucket, Key="x/a", UploadId=upload_id, PartNumberMarker=first["NextPartNumberMarker"]
    )
    uploads = s3.list_multipart_uploads(Bucket=bucket, Prefix="x/")["Uploads"]
    s3.abort_multipart_upload(Bucket=bucket, Key="x/a", UploadId=upload_id)
    with pytest.raises(s3.exceptions.NoSuchUpload):
        s3.list_parts(Bucket=bucket, Key="x/a", UploadId=upload_id)
    left = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]

    assert [p["PartNumber"] for p in first["Parts"]] == [1, 2]
    assert first["IsTruncated"] is True
    assert [p["PartNumber"] for p in rest["Parts"]] == [3]
    assert rest["Parts"][0]["ETag"] == done[2]["ETag"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [("x/a", upload_id), ("x/b", other)]
    assert [u["UploadId"] for u in left] == [other]


def test_upload_part_copy(s3: Any, bucket: str):
    """UploadPartCopy takes a whole object or a byte range of it as a part."""
    source = os.urandom(6 * MIB)
    s3.put_object(Bucket=bucket, Key="src", Body=source)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    one = s3.upload_part_copy(
        Bucket=bucket, Key="dst", UploadId=upload_id, PartNumber=1, CopySource=f"{bucket}/src"
    )
    two = s3.upload_part_copy(
        Bucket=bucket,
        Key="dst",
        UploadId=upload_id,
        PartNumber=2,
        CopySource={"Bucket": bucket, "Key": "src"},
        CopySourceRange="bytes=10-19",
    )
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="dst",
        UploadId=upload_id,
        MultipartUpload={
            "Parts": [
                {"PartNumber": 1, "ETag": one["CopyPartResult"]["ETag"]},
                {"PartNumber": 2, "ETag": two["CopyPartResult"]["ETag"]},
            ]
        },
    )

    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == source + source[10:20]


def test_s3transfer_multipart_upload_and_download(s3: Any, bucket: str, tmp_path: Any):
    """upload_file of a 20 MB file goes multipart (8 MB parts by default) and download_file
    fetches it back with ranged GETs, both with boto3's default checksum settings."""
    data = os.urandom(20 * 1000 * 1000)
    source = tmp_path / "in.bin"
    source.write_bytes(data)
    config = TransferConfig(multipart_threshold=8 * MIB, multipart_chunksize=8 * MIB)
    s3.upload_file(str(source), bucket, "big.bin", Config=config)
    target = tmp_path / "out.bin"
    s3.download_file(bucket, "big.bin", str(target), Config=config)
    head = s3.head_object(Bucket=bucket, Key="big.bin")

    assert head["PartsCount"] == 3
    assert head["ContentLength"] == len(data)
    assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(data).digest()


def test_managed_copy_of_a_big_object(s3: Any, bucket: str):
    """s3transfer's managed copy (boto3 `copy`) of a 12 MB object goes multipart with
    UploadPartCopy ranges and yields the same bytes."""
    data = os.urandom(12 * MIB)
    s3.put_object(Bucket=bucket, Key="src", Body=data)
    config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
    s3.copy({"Bucket": bucket, "Key": "src"}, bucket, "dst", Config=config)
    head = s3.head_object(Bucket=bucket, Key="dst")
    body = s3.get_object(Bucket=bucket, Key="dst")["Body"].read()

    assert head["PartsCount"] == 3
    assert hashlib.sha256(body).digest() == hashlib.sha256(data).digest()


def test_get_and_head_by_part_number(s3: Any, bucket: str):
    """?partNumber=N reads part N of a multipart object (206, Content-Range, PartsCount); a
    simple object is one part; a part it lacks is InvalidPartNumber (416); a Range beside it
    is InvalidRequest."""
    parts = [os.urandom(5 * MIB), b"second part"]
    upload_id, done = upload(s3, bucket, "mp", parts)
    s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload_id, MultipartUpload={"Parts": done}
    )
    s3.put_object(Bucket=bucket, Key="simple", Body=b"one piece")
    second = s3.get_object(Bucket=bucket, Key="mp", PartNumber=2)
    head = s3.head_object(Bucket=bucket, Key="mp", PartNumber=1)
    simple = s3.get_object(Bucket=bucket, Key="simple", PartNumber=1)
    with pytest.raises(ClientError) as beyond:
        s3.get_object(Bucket=bucket, Key="simple", PartNumber=2)
    with pytest.raises(ClientError) as both:
        s3.get_object(Bucket=bucket, Key="mp", PartNumber=1, Range="bytes=0-1")

    assert second["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert second["Body"].read() == b"second part"
    assert second["ContentRange"] == f"bytes {5 * MIB}-{5 * MIB + 10}/{5 * MIB + 11}"
    assert second["PartsCount"] == 2
    assert head["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert head["ContentLength"] == 5 * MIB
    assert simple["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert simple["Body"].read() == b"one piece"
    assert code(beyond) == "InvalidPartNumber"
    assert beyond.value.response["ResponseMetadata"]["HTTPStatusCode"] == 416
    assert code(both) == "InvalidRequest"
