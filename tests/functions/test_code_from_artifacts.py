"""Code named by S3Bucket/S3Key: the artifacts `stratus deploy` uploads, read by Lambda's API."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools

import httpx
import pytest
from tests.conftest import ROLE, invoke_json, make_zip

_names = itertools.count()

HANDLER = """
    def handler(event, context):
        return {"version": VERSION}
    VERSION = %d
"""


def _upload(server, data: bytes) -> str:
    response = httpx.put(f"{server.endpoint_url}/_stratus/artifacts", content=data)
    response.raise_for_status()
    return response.json()["Key"]  # type: ignore[no-any-return]


def _error(excinfo):
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


@pytest.fixture
def function_name(lambda_client):
    name = f"from-artifacts-{next(_names)}"
    yield name
    with contextlib.suppress(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.delete_function(FunctionName=name)


def test_create_and_update_from_uploaded_artifacts(server, lambda_client, function_name):
    """CreateFunction and UpdateFunctionCode read S3Bucket stratus-artifacts + S3Key."""
    first = make_zip({"app.py": HANDLER % 1})
    second = make_zip({"app.py": HANDLER % 2})

    created = lambda_client.create_function(
        FunctionName=function_name,
        Runtime="python3.11",
        Role=ROLE,
        Handler="app.handler",
        Code={"S3Bucket": "stratus-artifacts", "S3Key": _upload(server, first)},
    )
    _, before = invoke_json(lambda_client, function_name)
    updated = lambda_client.update_function_code(
        FunctionName=function_name, S3Bucket="stratus-artifacts", S3Key=_upload(server, second)
    )
    _, after = invoke_json(lambda_client, function_name)

    assert created["CodeSha256"] == base64.b64encode(hashlib.sha256(first).digest()).decode()
    assert created["CodeSize"] == len(first)
    assert before == {"version": 1}
    assert updated["CodeSha256"] == base64.b64encode(hashlib.sha256(second).digest()).decode()
    assert after == {"version": 2}


def test_layer_from_uploaded_artifact(server, lambda_client, function_name):
    """PublishLayerVersion reads S3Bucket/S3Key too; the function sees the layer at /opt."""
    archive = make_zip({"python/shared.py": "GREETING = 'from the layer'\n"})
    layer = lambda_client.publish_layer_version(
        LayerName=f"artifact-layer-{next(_names)}",
        Content={"S3Bucket": "stratus-artifacts", "S3Key": _upload(server, archive)},
    )
    lambda_client.create_function(
        FunctionName=function_name,
        Runtime="python3.11",
        Role=ROLE,
        Handler="app.handler",
        Code={
            "ZipFile": make_zip(
                {"app.py": "import shared\ndef handler(e, c):\n    return shared.GREETING\n"}
            )
        },
        Layers=[layer["LayerVersionArn"]],
    )

    _, result = invoke_json(lambda_client, function_name)

    assert layer["Content"]["CodeSize"] == len(archive)
    assert result == "from the layer"


def test_unknown_key_is_a_missing_s3_object(lambda_client, function_name):
    """A key that was never uploaded fails as a missing S3 object fails on AWS."""
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException) as create:
        lambda_client.create_function(
            FunctionName=function_name,
            Runtime="python3.11",
            Role=ROLE,
            Handler="app.handler",
            Code={"S3Bucket": "stratus-artifacts", "S3Key": "0" * 64},
        )
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException) as layer:
        lambda_client.publish_layer_version(
            LayerName="never-published",
            Content={"S3Bucket": "stratus-artifacts", "S3Key": "../../stratus.db"},
        )

    for excinfo in (create, layer):
        code, message = _error(excinfo)
        assert code == "InvalidParameterValueException"
        assert message.startswith("Error occurred while GetObject. S3 Error Code: NoSuchKey.")


def test_other_buckets_come_from_object_storage(lambda_client, function_name):
    """Any other bucket is one of the object storage's (tests/objects/test_function_code.py):
    one that does not exist is refused in S3's words."""
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException) as create:
        lambda_client.create_function(
            FunctionName=function_name,
            Runtime="python3.11",
            Role=ROLE,
            Handler="app.handler",
            Code={"S3Bucket": "my-deploy-bucket", "S3Key": "app.zip"},
        )
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException) as layer:
        lambda_client.publish_layer_version(
            LayerName="elsewhere",
            Content={"S3Bucket": "my-deploy-bucket", "S3Key": "layer.zip"},
        )

    for excinfo in (create, layer):
        _, message = _error(excinfo)
        assert message.startswith("Error occurred while GetObject. S3 Error Code: NoSuchBucket.")


def test_update_code_with_unknown_key_keeps_the_function(server, lambda_client, function_name):
    """A failed UpdateFunctionCode leaves the function's code as it was."""
    archive = make_zip({"app.py": HANDLER % 7})
    lambda_client.create_function(
        FunctionName=function_name,
        Runtime="python3.11",
        Role=ROLE,
        Handler="app.handler",
        Code={"S3Bucket": "stratus-artifacts", "S3Key": _upload(server, archive)},
    )

    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException):
        lambda_client.update_function_code(
            FunctionName=function_name, S3Bucket="stratus-artifacts", S3Key="f" * 64
        )
    _, result = invoke_json(lambda_client, function_name)

    assert result == {"version": 7}
