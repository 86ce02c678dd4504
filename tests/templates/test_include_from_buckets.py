"""AWS::Include snippets in any bucket of the server (`aws cloudformation package
--s3-bucket X` uploads them there), not only where `stratus deploy` uploads them."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.templates.test_stacks import create, outputs

SNIPPET = (
    b"Queue:\n  Type: AWS::SQS::Queue\n"
    b"  Properties:\n    QueueName: !Sub '${AWS::StackName}-included'\n"
)


def body(location: str) -> str:
    return (
        "Resources:\n"
        "  Fn::Transform:\n"
        "    Name: AWS::Include\n"
        f"    Parameters: {{Location: '{location}'}}\n"
        "Outputs:\n"
        "  QueueName: {Value: !GetAtt Queue.QueueName}\n"
    )


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


@pytest.fixture(scope="module")
def bucket(server: Any) -> str:
    name = f"snippets-{uuid.uuid4().hex[:10]}"
    s3 = server.client("s3")
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="parts/queue.yaml", Body=SNIPPET)
    return name


def test_a_snippet_in_a_bucket_is_included(server: Any, cfn: Any, bucket: str) -> None:
    name = create(cfn, body(f"s3://{bucket}/parts/queue.yaml"))

    assert outputs(cfn, name)["QueueName"] == f"{name}-included"


def test_a_missing_snippet_is_refused_in_s3s_words(server: Any, cfn: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as refused:
        create(cfn, body(f"s3://{bucket}/parts/missing.yaml"))

    message = refused.value.response["Error"]["Message"]
    assert f"cannot read s3://{bucket}/parts/missing.yaml" in message
    assert "NoSuchKey" in message
