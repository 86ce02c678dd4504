"""The JSON 1.0/1.1 protocols against botocore as the oracle: what botocore's JSONSerializer
sends, we parse back to the members it was given; what we render, botocore's JSONParser reads
back as the same members. Values come from hypothesis, following each operation's model."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from botocore.model import OperationModel
from botocore.parsers import JSONParser
from botocore.serialize import JSONSerializer
from hypothesis import given
from hypothesis import strategies as st
from shape_values import JSON_TEXT, ORACLE, operation, values

from stratus.aws import logs_api
from stratus.aws.protocols import aws_json
from stratus.errors import (
    Invalid,
    Malformed,
    NotFound,
    StratusError,
    Throttled,
    TooLarge,
    UnknownOperation,
    Validation,
)

# Blobs, timestamps, maps of structures, nested lists, longs and doubles, in JSON 1.0 and 1.1.
OPERATIONS = [
    "logs:FilterLogEvents",
    "logs:GetLogEvents",
    "logs:DescribeLogStreams",
    "logs:PutLogEvents",
    "logs:GetQueryResults",
    "sqs:SendMessage",
    "sqs:SendMessageBatch",
    "sqs:ReceiveMessage",
    "sqs:GetQueueAttributes",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:BatchWriteItem",
    "dynamodb:DescribeTable",
    "dynamodbstreams:GetRecords",
    "stepfunctions:StartExecution",
    "stepfunctions:DescribeExecution",
    "stepfunctions:GetExecutionHistory",
    "events:PutEvents",
    "events:PutRule",
    "events:ListTargetsByRule",
    "kinesis:PutRecords",
    "secretsmanager:CreateSecret",
    "secretsmanager:GetSecretValue",
    "secretsmanager:BatchGetSecretValue",
    "secretsmanager:ListSecrets",
]


def json_values(op: OperationModel, shape: Any) -> st.SearchStrategy[Any]:
    # botocore sends timestamps as whole epoch seconds in JSON.
    return values(shape, text=JSON_TEXT, time_step_ms=1000)


def botocore_sends(op: OperationModel, params: dict[str, Any]) -> bytes:
    body = JSONSerializer().serialize_to_request(params, op)["body"]
    return body if isinstance(body, bytes) else body.encode()


def botocore_reads(op: OperationModel, body: bytes, status: int = 200) -> dict[str, Any]:
    parsed: dict[str, Any] = JSONParser().parse(
        {"body": body, "headers": {}, "status_code": status}, op.output_shape
    )
    parsed.pop("ResponseMetadata", None)
    return parsed


@pytest.mark.parametrize("name", OPERATIONS)
@ORACLE
@given(data=st.data())
def test_inputs_serialized_by_botocore_parse_back(name: str, data: st.DataObject) -> None:
    """Any input botocore serializes, we parse back to the same members."""
    op = operation(name)
    params = data.draw(json_values(op, op.input_shape))

    parsed = aws_json.parse_input(op, botocore_sends(op, params))

    assert parsed == params


@pytest.mark.parametrize("name", OPERATIONS)
@ORACLE
@given(data=st.data())
def test_rendered_outputs_read_back_by_botocore(name: str, data: st.DataObject) -> None:
    """Any output the model allows, rendered, is what botocore's parser reads."""
    op = operation(name)
    output = data.draw(json_values(op, op.output_shape)) if op.output_shape else {}

    parsed = botocore_reads(op, aws_json.render_output(op, output))

    assert parsed == output


def test_blobs_and_timestamps_on_the_wire() -> None:
    """Blobs travel as base64, timestamps as epoch seconds, both ways."""
    op = operation("kinesis:PutRecords")
    body = b'{"StreamName":"s","Records":[{"Data":"aGk=","PartitionKey":"p"}]}'
    history = operation("stepfunctions:DescribeExecution")
    started = datetime(2026, 1, 1, 0, 0, 1, 500000, tzinfo=UTC)

    parsed = aws_json.parse_input(op, body)
    rendered = orjson.loads(
        aws_json.render_output(
            history,
            {
                "executionArn": "a",
                "stateMachineArn": "s",
                "status": "RUNNING",
                "startDate": started,
            },
        )
    )

    assert parsed["Records"][0]["Data"] == b"hi"
    assert rendered["startDate"] == 1767225601.5


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "Could not parse request body into json"),
        (b"[1, 2]", "expected an object"),
        (b'{"logGroupName": 5}', "Value '5' at 'logGroupName' is not a valid string"),
        (b'{"logGroupName": "g", "limit": "10"}', "at 'limit' is not a valid integer"),
        (b'{"logGroupName": "g", "limit": true}', "at 'limit' is not a valid integer"),
        (b'{"logGroupName": "g", "logStreamNames": "s"}', "is not a valid list"),
    ],
)
def test_bodies_that_are_not_the_model_are_malformed(body: bytes, message: str) -> None:
    """JSON of the wrong type is a SerializationException naming the member."""
    op = operation("logs:FilterLogEvents")

    with pytest.raises(Malformed) as refused:
        aws_json.parse_input(op, body)

    assert message in refused.value.message


def test_members_the_model_does_not_name_are_ignored() -> None:
    """As AWS does, unknown members are dropped, not refused."""
    op = operation("logs:FilterLogEvents")

    parsed = aws_json.parse_input(op, b'{"logGroupName": "g", "colour": "red"}')

    assert parsed == {"logGroupName": "g"}


@pytest.mark.parametrize(
    ("error", "code", "status"),
    [
        (NotFound("The specified log group does not exist."), "ResourceNotFoundException", 400),
        (Invalid("bad token"), "InvalidParameterException", 400),
        (Validation("1 validation error detected: ..."), "ValidationException", 400),
        (Malformed("Could not parse request body into json"), "SerializationException", 400),
        (UnknownOperation("no such target"), "UnknownOperationException", 400),
        (Throttled("slow down"), "ThrottlingException", 400),
        (TooLarge("Request must be smaller than 1 bytes"), "RequestEntityTooLarge", 413),
        (StratusError("Internal error: boom"), "InternalFailure", 500),
    ],
)
def test_errors_render_as_botocore_reads_them(error: StratusError, code: str, status: int) -> None:
    """{"__type": code, "message": …} with the API's status; botocore reads the code."""
    op = operation("logs:FilterLogEvents")

    response = aws_json.error_response(error, logs_api.ERRORS, "1.1", "req-1")
    parsed = JSONParser().parse(
        {"body": response.body, "headers": dict(response.headers), "status_code": status},
        op.output_shape,
    )

    assert response.status_code == status
    assert response.headers["content-type"] == "application/x-amz-json-1.1"
    assert parsed["Error"] == {"Code": code, "Message": error.message}
    assert parsed["ResponseMetadata"]["RequestId"] == "req-1"
