"""Smithy RPC v2 CBOR against botocore as the oracle: what botocore's RpcV2CBORSerializer
sends, we parse back to the members it was given; what we render, botocore's RpcV2CBORParser
reads back as the members we rendered; errors come back with their code."""

from __future__ import annotations

from typing import Any

import cbor2
import pytest
from botocore.model import OperationModel
from botocore.parsers import RpcV2CBORParser
from botocore.serialize import RpcV2CBORSerializer
from hypothesis import given
from hypothesis import strategies as st
from shape_values import JSON_TEXT, ORACLE, operation, values

from stratus.aws import cloudwatch_api
from stratus.aws.protocols import rpc_v2_cbor
from stratus.errors import Invalid, Malformed, NotFound, UnknownOperation, Validation
from stratus.observe.metric_service import InvalidCombination

# Timestamps, doubles, nested lists of structures, maps, longs and booleans. (Outputs that
# hold a tagged union, DescribeAlarms' EvaluationCriteria, are left out: the value maker
# draws structures with any number of members, and a union holds exactly one.)
OPERATIONS = [
    "cloudwatch:PutMetricData",
    "cloudwatch:GetMetricStatistics",
    "cloudwatch:GetMetricData",
    "cloudwatch:DescribeAlarmHistory",
    "cloudwatch:ListMetrics",
]


def botocore_sends(op: OperationModel, params: dict[str, Any]) -> bytes:
    body = RpcV2CBORSerializer().serialize_to_request(params, op)["body"]
    return bytes(body)


def botocore_reads(op: OperationModel, body: bytes, status: int = 200) -> dict[str, Any]:
    parsed: dict[str, Any] = RpcV2CBORParser().parse(
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
    params = data.draw(values(op.input_shape, text=JSON_TEXT))

    parsed = rpc_v2_cbor.parse_input(op, botocore_sends(op, params), "application/cbor")

    assert parsed == params


@pytest.mark.parametrize("name", OPERATIONS)
@ORACLE
@given(data=st.data())
def test_rendered_outputs_read_back_by_botocore(name: str, data: st.DataObject) -> None:
    """Any output the model allows, rendered, is what botocore's parser reads."""
    op = operation(name)
    output = data.draw(values(op.output_shape, text=JSON_TEXT)) if op.output_shape else {}

    parsed = botocore_reads(op, rpc_v2_cbor.render_output(op, output))

    assert parsed == output


@pytest.mark.parametrize(
    ("body", "content_type", "problem"),
    [
        (b"\xff\x00", "application/cbor", "Could not parse request body as CBOR"),
        (cbor2.dumps([1, 2]), "application/cbor", "expected a CBOR map"),
        (cbor2.dumps({"Namespace": 5}), "application/cbor", "is not a valid string"),
    ],
)
def test_bodies_that_are_not_the_model_are_malformed(
    body: bytes, content_type: str, problem: str
) -> None:
    op = operation("cloudwatch:ListMetrics")

    with pytest.raises(Malformed) as refused:
        rpc_v2_cbor.parse_input(op, body, content_type)

    assert problem in refused.value.message


def test_members_the_model_does_not_name_are_ignored() -> None:
    op = operation("cloudwatch:ListMetrics")

    parsed = rpc_v2_cbor.parse_input(op, cbor2.dumps({"Namespace": "A", "Extra": 1}), None)

    assert parsed == {"Namespace": "A"}


@pytest.mark.parametrize(
    ("error", "code", "status"),
    [
        (Invalid("bad"), "InvalidParameterValue", 400),
        (InvalidCombination("both"), "InvalidParameterCombination", 400),
        (NotFound("gone"), "ResourceNotFound", 404),
        (Validation("1 validation error"), "ValidationError", 400),
        (Malformed("not cbor"), "SerializationException", 400),
        (UnknownOperation("no"), "UnknownOperationException", 400),
    ],
)
def test_errors_render_as_botocore_reads_them(error: Any, code: str, status: int) -> None:
    """An awsQueryCompatible API's errors carry their query code, which botocore reports."""
    response = rpc_v2_cbor.error_response(error, cloudwatch_api.ERRORS, "rid")
    headers = {k.decode(): v.decode() for k, v in response.raw_headers}

    parsed = RpcV2CBORParser().parse(
        {"body": bytes(response.body), "headers": headers, "status_code": response.status_code},
        None,
    )

    assert (parsed["Error"]["Code"], response.status_code) == (code, status)
    assert parsed["Error"]["Message"] == error.message
    assert headers["smithy-protocol"] == "rpc-v2-cbor"
