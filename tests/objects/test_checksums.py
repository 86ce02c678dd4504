"""The integrity checksums current boto3 sends by default, and the rest it can send: stored,
verified (BadDigest when the body is not what was summed), and returned with
ChecksumMode=ENABLED, which botocore checks against the body it reads. aws-chunked bodies
with trailing checksums are encoded by botocore's own AwsChunkedWrapper."""

from __future__ import annotations

import base64
import hashlib
import io
from typing import Any

import httpx
import pytest
from botocore import httpchecksum
from botocore.exceptions import ClientError

from stratus.testing import RunningServer

BODY = b"The quick brown fox jumps over the lazy dog\n" * 1000
# botocore's own implementations, the oracle for each algorithm's value.
ORACLES = {
    "CRC32": httpchecksum.CrtCrc32Checksum,
    "CRC32C": httpchecksum.CrtCrc32cChecksum,
    "CRC64NVME": httpchecksum.CrtCrc64NvmeChecksum,
    "SHA1": httpchecksum.Sha1Checksum,
    "SHA256": httpchecksum.Sha256Checksum,
    "SHA512": httpchecksum.Sha512Checksum,
    "XXHASH64": httpchecksum.CrtXxhash64Checksum,
    "XXHASH3": httpchecksum.CrtXxhash3Checksum,
    "XXHASH128": httpchecksum.CrtXxhash128Checksum,
}
AUTH = {
    "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, "
    "SignedHeaders=host, Signature=0"
}


def oracle(algorithm: str, data: bytes) -> str:
    checksum = ORACLES[algorithm]()
    checksum.update(data)
    return base64.b64encode(checksum.digest()).decode()


def test_default_put_and_get_validate(s3: Any, bucket: str):
    """boto3's defaults (when_supported): PutObject sends CRC32, GetObject asks for the
    checksum and botocore validates the body against it."""
    put = s3.put_object(Bucket=bucket, Key="k", Body=BODY)
    got = s3.get_object(Bucket=bucket, Key="k")

    assert put["ChecksumCRC32"] == oracle("CRC32", BODY)
    assert got["Body"].read() == BODY
    assert got["ChecksumCRC32"] == oracle("CRC32", BODY)
    assert got["ChecksumType"] == "FULL_OBJECT"


@pytest.mark.parametrize("algorithm", sorted(ORACLES))
def test_every_algorithm(s3: Any, bucket: str, algorithm: str):
    """Each algorithm boto3 offers is computed as botocore computes it."""
    put = s3.put_object(Bucket=bucket, Key=algorithm, Body=BODY, ChecksumAlgorithm=algorithm)
    head = s3.head_object(Bucket=bucket, Key=algorithm, ChecksumMode="ENABLED")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=algorithm)["Contents"][0]

    assert put[f"Checksum{algorithm}"] == oracle(algorithm, BODY)
    assert head[f"Checksum{algorithm}"] == oracle(algorithm, BODY)
    assert listed["ChecksumAlgorithm"] == [algorithm]


def test_wrong_checksum_is_bad_digest_and_stores_nothing(s3: Any, bucket: str):
    """A body whose checksum is not the one sent is BadDigest; the key stays absent."""
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=bucket, Key="k", Body=BODY, ChecksumSHA256=oracle("SHA256", b"other"))
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket=bucket, Key="k")

    assert refused.value.response["Error"]["Code"] == "BadDigest"


def test_content_md5(s3: Any, bucket: str):
    """Content-MD5 is checked: a wrong one is BadDigest, one that is not an MD5 InvalidDigest."""
    right = base64.b64encode(hashlib.md5(BODY).digest()).decode()
    s3.put_object(Bucket=bucket, Key="ok", Body=BODY, ContentMD5=right)
    with pytest.raises(ClientError) as wrong:
        s3.put_object(
            Bucket=bucket, Key="k", Body=BODY, ContentMD5=base64.b64encode(b"x" * 16).decode()
        )
    with pytest.raises(ClientError) as invalid:
        s3.put_object(Bucket=bucket, Key="k", Body=BODY, ContentMD5="nope")

    assert wrong.value.response["Error"]["Code"] == "BadDigest"
    assert invalid.value.response["Error"]["Code"] == "InvalidDigest"


def test_objects_without_a_checksum_get_crc64nvme(server: RunningServer, s3: Any, bucket: str):
    """A PUT naming no checksum (a plain HTTP client) is given CRC64NVME, as S3 does."""
    httpx.put(
        f"{server.endpoint_url}/{bucket}/plain", content=BODY, headers=AUTH
    ).raise_for_status()
    head = s3.head_object(Bucket=bucket, Key="plain", ChecksumMode="ENABLED")

    assert head["ChecksumCRC64NVME"] == oracle("CRC64NVME", BODY)


def _chunked(body: bytes, algorithm: str, chunk_size: int = 8192) -> bytes:
    wrapper = httpchecksum.AwsChunkedWrapper(
        io.BytesIO(body),
        checksum_cls=ORACLES[algorithm],
        checksum_name=f"x-amz-checksum-{algorithm.lower()}",
        chunk_size=chunk_size,
    )
    return wrapper.read()


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "SHA256"])
def test_aws_chunked_with_trailing_checksum(
    server: RunningServer, s3: Any, bucket: str, algorithm: str
):
    """An aws-chunked body (as SDKs stream over TLS) is stored decoded, its trailing
    checksum verified and kept; the Content-Encoding does not keep aws-chunked."""
    encoded = _chunked(BODY, algorithm)
    headers = {
        **AUTH,
        "Content-Encoding": "aws-chunked",
        "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "x-amz-decoded-content-length": str(len(BODY)),
        "x-amz-trailer": f"x-amz-checksum-{algorithm.lower()}",
        "x-amz-sdk-checksum-algorithm": algorithm,
    }
    put = httpx.put(f"{server.endpoint_url}/{bucket}/chunked", content=encoded, headers=headers)
    got = s3.get_object(Bucket=bucket, Key="chunked", ChecksumMode="ENABLED")

    assert put.status_code == 200
    assert got["Body"].read() == BODY
    assert got[f"Checksum{algorithm}"] == oracle(algorithm, BODY)
    assert "ContentEncoding" not in got


def test_aws_chunked_with_a_wrong_trailer(server: RunningServer, bucket: str):
    """A trailing checksum that does not match the decoded body is BadDigest."""
    encoded = _chunked(BODY, "CRC32").replace(
        f"x-amz-checksum-crc32:{oracle('CRC32', BODY)}".encode(),
        f"x-amz-checksum-crc32:{oracle('CRC32', b'x')}".encode(),
    )
    headers = {
        **AUTH,
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(len(BODY)),
        "x-amz-trailer": "x-amz-checksum-crc32",
    }
    put = httpx.put(f"{server.endpoint_url}/{bucket}/bad", content=encoded, headers=headers)

    assert put.status_code == 400
    assert "<Code>BadDigest</Code>" in put.text


def test_upload_and_download_file_with_defaults(s3: Any, bucket: str, tmp_path: Any):
    """upload_file / download_file with boto3's default settings (small file: one PUT)."""
    source = tmp_path / "in.bin"
    source.write_bytes(BODY)
    s3.upload_file(str(source), bucket, "file")
    target = tmp_path / "out.bin"
    s3.download_file(bucket, "file", str(target))

    assert target.read_bytes() == BODY


def test_aws_chunked_shorter_than_declared_is_incomplete(server: RunningServer, bucket: str):
    """An aws-chunked body whose decoded bytes fall short of x-amz-decoded-content-length is
    IncompleteBody, and nothing is stored."""
    headers = {
        **AUTH,
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(len(BODY) + 10),
    }
    put = httpx.put(
        f"{server.endpoint_url}/{bucket}/short", content=_chunked(BODY, "CRC32"), headers=headers
    )
    missing = httpx.get(f"{server.endpoint_url}/{bucket}/short", headers=AUTH)

    assert put.status_code == 400
    assert "<Code>IncompleteBody</Code>" in put.text
    assert missing.status_code == 404
