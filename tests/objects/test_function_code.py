"""Function and layer packages from a bucket of the object storage (Code.S3Bucket/S3Key), as
on AWS; a missing object fails CreateFunction with S3's words."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.conftest import ROLE, make_zip

HANDLER = make_zip({"app.py": "def handler(event, context):\n    return {'from': 's3'}\n"})


def test_function_code_from_a_bucket(server: Any, s3: Any, bucket: str):
    """CreateFunction with Code.S3Bucket/S3Key (and S3ObjectVersion) reads the package from
    the object storage; the function runs it."""
    lambda_client = server.client("lambda")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=bucket, Key="pkg/app.zip", Body=HANDLER)["VersionId"]
    s3.put_object(Bucket=bucket, Key="pkg/app.zip", Body=b"not a zip any more")
    name = f"from-s3-{bucket}"
    lambda_client.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE,
        Handler="app.handler",
        Code={"S3Bucket": bucket, "S3Key": "pkg/app.zip", "S3ObjectVersion": first},
    )
    try:
        answer = lambda_client.invoke(FunctionName=name)["Payload"].read()
    finally:
        lambda_client.delete_function(FunctionName=name)

    assert answer == b'{"from": "s3"}'


def test_update_code_takes_the_object_version_named(server: Any, s3: Any, bucket: str):
    """UpdateFunctionCode with S3ObjectVersion takes that version, not the key's latest."""
    lambda_client = server.client("lambda")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=bucket, Key="pkg/app.zip", Body=HANDLER)["VersionId"]
    name = f"update-from-s3-{bucket}"
    lambda_client.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": "def handler(e, c):\n    return 'zip'\n"})},
    )
    s3.put_object(Bucket=bucket, Key="pkg/app.zip", Body=b"not a zip any more")
    try:
        lambda_client.update_function_code(
            FunctionName=name, S3Bucket=bucket, S3Key="pkg/app.zip", S3ObjectVersion=first
        )
        answer = lambda_client.invoke(FunctionName=name)["Payload"].read()
    finally:
        lambda_client.delete_function(FunctionName=name)

    assert answer == b'{"from": "s3"}'


def test_missing_package_is_refused_in_s3_words(server: Any, bucket: str):
    """A package key that is not there fails CreateFunction naming S3's NoSuchKey."""
    lambda_client = server.client("lambda")
    with pytest.raises(ClientError) as refused:
        lambda_client.create_function(
            FunctionName=f"missing-{bucket}",
            Runtime="python3.12",
            Role=ROLE,
            Handler="app.handler",
            Code={"S3Bucket": bucket, "S3Key": "nothing.zip"},
        )

    assert refused.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "S3 Error Code: NoSuchKey" in refused.value.response["Error"]["Message"]
