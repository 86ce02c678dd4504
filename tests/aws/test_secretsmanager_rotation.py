"""Secrets Manager rotation: RotateSecret runs the rotation function's four steps
(createSecret, setSecret, testSecret, finishSecret) with AWS's event, as durable work; the
function calls back into Secrets Manager with boto3, as real rotation functions do."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.conftest import wait_for

from stratus.testing import RunningServer

# A rotation function as AWS documents the protocol: createSecret puts a new value as
# AWSPENDING under the token, finishSecret moves AWSCURRENT to it. Every step it is called
# with is logged in a secret of its own, so the test sees the events.
ROTATOR = """
import json, os
import boto3

client = boto3.client("secretsmanager")

def handler(event, context):
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    seen = json.loads(client.get_secret_value(SecretId=os.environ["LOG"])["SecretString"])
    client.put_secret_value(SecretId=os.environ["LOG"],
                            SecretString=json.dumps(seen + [event]))
    metadata = client.describe_secret(SecretId=arn)
    if not metadata["RotationEnabled"]:
        raise ValueError("rotation is not enabled")
    stages = metadata["VersionIdsToStages"]
    if token not in stages or "AWSPENDING" not in stages[token]:
        raise ValueError("the token is not AWSPENDING")
    if os.environ.get("FAIL_AT") == step:
        raise RuntimeError("failing at " + step)
    if step == "createSecret":
        try:
            client.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        except client.exceptions.ResourceNotFoundException:
            password = client.get_random_password(ExcludePunctuation=True)["RandomPassword"]
            client.put_secret_value(SecretId=arn, ClientRequestToken=token,
                                    SecretString=password, VersionStages=["AWSPENDING"])
    elif step == "finishSecret":
        current = next(v for v, s in stages.items() if "AWSCURRENT" in s)
        if current != token:
            client.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT",
                                               MoveToVersionId=token,
                                               RemoveFromVersionId=current)
"""


@pytest.fixture(scope="module")
def sm(server: RunningServer) -> Any:
    return server.client("secretsmanager")


def rotator(sm: Any, deploy: Callable[..., str], **env: str) -> tuple[str, str]:
    """A deployed rotation function and the secret its steps are logged in."""
    log = f"rotation-log-{uuid.uuid4().hex[:8]}"
    sm.create_secret(Name=log, SecretString="[]")
    name = deploy(ROTATOR, Timeout=30, Environment={"Variables": {"LOG": log, **env}})
    return f"arn:aws:lambda:us-east-1:000000000000:function:{name}", log


def test_rotate_secret_runs_the_four_steps(sm: Any, deploy: Callable[..., str]) -> None:
    """The function gets createSecret, setSecret, testSecret, finishSecret with the
    secret's ARN and the new version's token; the new value becomes AWSCURRENT, the old
    AWSPREVIOUS; DescribeSecret shows the rotation."""
    function, log = rotator(sm, deploy)
    name = f"rotated-{uuid.uuid4().hex[:8]}"
    arn = sm.create_secret(Name=name, SecretString="initial")["ARN"]

    started = sm.rotate_secret(
        SecretId=name, RotationLambdaARN=function, RotationRules={"AutomaticallyAfterDays": 30}
    )
    assert wait_for(lambda: "LastRotatedDate" in sm.describe_secret(SecretId=name), 60)

    token = started["VersionId"]
    steps = [
        (e["SecretId"], e["ClientRequestToken"], e["Step"])
        for e in json.loads(sm.get_secret_value(SecretId=log)["SecretString"])
    ]
    described = sm.describe_secret(SecretId=name)
    assert (started["ARN"], started["Name"]) == (arn, name)
    assert steps == [
        (arn, token, "createSecret"),
        (arn, token, "setSecret"),
        (arn, token, "testSecret"),
        (arn, token, "finishSecret"),
    ]
    assert sm.get_secret_value(SecretId=name)["VersionId"] == token
    assert sm.get_secret_value(SecretId=name)["SecretString"] != "initial"
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == (
        "initial"
    )
    assert described["RotationEnabled"] is True
    assert described["RotationLambdaARN"] == function
    assert described["RotationRules"] == {"AutomaticallyAfterDays": 30}
    assert described["VersionIdsToStages"][token] == ["AWSCURRENT"]
    assert (described["NextRotationDate"] - described["LastRotatedDate"]).days == 30


def test_a_failed_rotation_leaves_the_secret_and_blocks_the_next(
    sm: Any, deploy: Callable[..., str], server: RunningServer
) -> None:
    """A step that fails leaves AWSCURRENT where it was and AWSPENDING on the new version;
    RotateSecret again is refused while it is unfinished; CancelRotateSecret clears it."""
    function, log = rotator(sm, deploy, FAIL_AT="testSecret")
    name = f"failing-{uuid.uuid4().hex[:8]}"
    sm.create_secret(Name=name, SecretString="initial")

    token = sm.rotate_secret(SecretId=name, RotationLambdaARN=function)["VersionId"]
    assert wait_for(lambda: "testSecret" in sm.get_secret_value(SecretId=log)["SecretString"], 60)
    server.wait_idle()

    with pytest.raises(ClientError) as again:
        sm.rotate_secret(SecretId=name, RotationLambdaARN=function)
    assert again.value.response["Error"]["Code"] == "InvalidRequestException"
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "initial"
    assert sm.describe_secret(SecretId=name)["VersionIdsToStages"][token] == ["AWSPENDING"]

    sm.cancel_rotate_secret(SecretId=name)
    described = sm.describe_secret(SecretId=name)
    assert described["RotationEnabled"] is False
    assert token not in described["VersionIdsToStages"]


def test_rotate_secret_without_a_function_is_refused(sm: Any) -> None:
    """A secret that never had a rotation function needs RotationLambdaARN."""
    name = f"no-rotator-{uuid.uuid4().hex[:8]}"
    sm.create_secret(Name=name, SecretString="v")

    with pytest.raises(ClientError) as refused:
        sm.rotate_secret(SecretId=name)

    assert refused.value.response["Error"]["Code"] == "InvalidParameterException"
