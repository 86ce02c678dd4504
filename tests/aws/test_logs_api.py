"""Function logs through CloudWatch Logs' API, as `aws logs` and boto3 read them."""

import json
import time
from collections.abc import Iterator

import httpx
import pytest
from botocore.exceptions import ClientError


def test_filter_log_events_returns_the_functions_output(server, lambda_client, deploy):
    """START, the handler's lines and REPORT land in /aws/lambda/<name>."""
    name = deploy("def handler(e, c):\n    print('logged', e['n'])\n")
    for n in range(2):
        lambda_client.invoke(FunctionName=name, Payload=json.dumps({"n": n}))
    logs = server.client("logs")

    events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    streams = logs.describe_log_streams(logGroupName=f"/aws/lambda/{name}")["logStreams"]

    messages = [e["message"] for e in events]
    assert "logged 0" in messages
    assert "logged 1" in messages
    assert sum(m.startswith("REPORT RequestId:") for m in messages) == 2
    assert all(e["timestamp"] <= time.time() * 1000 for e in events)
    assert len(streams) == 1
    assert streams[0]["logStreamName"] == events[0]["logStreamName"]


def test_a_function_never_invoked_has_no_log_group(server, deploy):
    """As on AWS, the log group appears with the first invocation."""
    name = deploy("def handler(e, c):\n    return 1\n")
    logs = server.client("logs")

    try:
        logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")
    except logs.exceptions.ResourceNotFoundException:
        return
    raise AssertionError("expected ResourceNotFoundException")


def post_json(server, target: str, body: bytes | Iterator[bytes] = b"{}") -> httpx.Response:
    return httpx.post(
        f"{server.endpoint_url}/",
        content=body,
        headers={"content-type": "application/x-amz-json-1.1", "x-amz-target": target},
    )


def test_operations_stratus_lacks_are_unknown_operations(server):
    """An operation of the model Stratus does not implement, one the model lacks and a target
    of an API Stratus does not serve are all UnknownOperationException, as JSON."""
    logs = server.client("logs")

    with pytest.raises(ClientError) as lacking:
        logs.describe_destinations()
    missing = post_json(server, "Logs_20140328.LaunchRocket")
    other = post_json(server, "Firehose_20150804.ListDeliveryStreams")

    assert lacking.value.response["Error"] == {
        "Code": "UnknownOperationException",
        "Message": "Stratus does not implement CloudWatch Logs DescribeDestinations yet.",
    }
    assert lacking.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert missing.json()["__type"] == "UnknownOperationException"
    assert "no operation 'LaunchRocket'" in missing.json()["message"]
    assert other.status_code == 400
    assert other.json()["__type"] == "UnknownOperationException"


def test_input_is_checked_against_the_model(server):
    """Members breaking the model's constraints are refused in AWS's words before the
    handler runs."""
    response = post_json(server, "Logs_20140328.FilterLogEvents", b'{"limit": 0}')

    assert response.status_code == 400
    assert response.json() == {
        "__type": "ValidationException",
        "message": "1 validation error detected: Value '0' at 'limit' failed to satisfy "
        "constraint: Member must have value greater than or equal to 1",
    }


def test_bodies_past_the_limit_are_refused_while_streaming(server):
    """A chunked body (4 MiB, no Content-Length) is refused once it passes the API's limit."""

    def chunks() -> Iterator[bytes]:
        for _ in range(64):
            yield b" " * 65536

    response = post_json(server, "Logs_20140328.FilterLogEvents", chunks())

    assert response.status_code == 413
    assert response.json()["__type"] == "RequestEntityTooLarge"
    assert "smaller than" in response.json()["message"]
