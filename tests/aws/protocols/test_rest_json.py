"""The rest-json protocol layer, held to botocore's own serializer and parser: requests
botocore builds parse back to the same members; answers we render parse in botocore to the
members we gave; errors become the client's exception codes. Lambda is the API served; other
rest-json models (Scheduler, API Gateway v1/v2, Data Exchange, Braket, and one with greedy labels)
prove the layer is not Lambda-shaped."""

from __future__ import annotations

import http.client
import json
import select
import socket
import time
import tracemalloc
import urllib.parse
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.awsrequest import HeadersDict
from botocore.model import OperationModel, Shape
from botocore.parsers import create_parser
from botocore.serialize import create_serializer
from hypothesis import given
from hypothesis import strategies as st
from shape_values import JSON_TEXT, ORACLE, values
from starlette.datastructures import Headers

from stratus.aws.lambda_api import ERRORS as LAMBDA_ERRORS
from stratus.aws.protocols.adapter import Api
from stratus.aws.protocols.models import service_model
from stratus.aws.protocols.rest_json import RestJson, error_response
from stratus.errors import (
    Malformed,
    NotFound,
    Throttled,
    TooLarge,
    Validation,
)

ARN = "arn:aws:lambda:us-east-1:000000000000:function:f"
WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _api(service: str) -> RestJson:
    return RestJson(Api(service, {}, {}), lambda operation, headers: (10**9, "it"))


def _through_the_wire(api: RestJson, operation: str, params: dict[str, Any]) -> tuple[str, Any]:
    """Serialize with botocore, then route and parse with our layer."""
    model = api.model.operation_model(operation)
    serializer = create_serializer("rest-json", include_validation=False)
    request = serializer.serialize_to_request(params, model)
    # botocore leaves query values unencoded (numbers stay numbers) until it sends them.
    query = {
        k: [str(item) for item in v] if isinstance(v, list) else [str(v)]
        for k, v in (request["query_string"] or {}).items()
        if v != []
    }
    path, _, literal = request["url_path"].partition("?")
    query |= {k: [v] for k, v in urllib.parse.parse_qsl(literal, keep_blank_values=True)}
    found = api.router.match(request["method"], path, {k: v[-1] for k, v in query.items()})
    assert found is not None, request["url_path"]
    body = request["body"] if isinstance(request["body"], bytes) else request["body"].encode()
    headers = Headers(
        {k: v if isinstance(v, str) else v.decode() for k, v in request["headers"].items()}
    )
    return found.operation, api.plan(found.operation).parse(found.labels, query, headers, body)


@pytest.mark.parametrize(
    ("service", "operation", "params"),
    [
        (
            "lambda",
            "Invoke",
            {
                "FunctionName": ARN,
                "InvocationType": "Event",
                "LogType": "Tail",
                "ClientContext": "e30=",
                "Payload": b'{"k": [1, 2]}',
                "Qualifier": "$LATEST",
            },
        ),
        (
            "lambda",
            "CreateFunction",
            {
                "FunctionName": "f",
                "Role": "arn:aws:iam::000000000000:role/r",
                "Code": {"ZipFile": b"PK\x03\x04 not really"},
                "Timeout": 30,
                "Publish": True,
                "Environment": {"Variables": {"KEY": "value"}},
                "Layers": ["arn:aws:lambda:us-east-1:000000000000:layer:l:1"],
                "Tags": {"team": "core"},
            },
        ),
        ("lambda", "ListFunctions", {"MaxItems": 7, "Marker": "m/ a", "FunctionVersion": "ALL"}),
        ("lambda", "GetLayerVersion", {"LayerName": "l", "VersionNumber": 12}),
        ("lambda", "GetLayerVersionByArn", {"Arn": "arn:aws:lambda:us-east-1:0:layer:l:1"}),
        ("lambda", "ListLayers", {"CompatibleRuntime": "python3.12"}),
        ("lambda", "GetProvisionedConcurrencyConfig", {"FunctionName": "f", "Qualifier": "1"}),
        ("lambda", "ListProvisionedConcurrencyConfigs", {"FunctionName": "f", "MaxItems": 3}),
        ("lambda", "UpdateAlias", {"FunctionName": "f", "Name": "live", "FunctionVersion": "2"}),
        (
            "scheduler",
            "CreateSchedule",
            {
                "Name": "s",
                "ScheduleExpression": "rate(1 minute)",
                "StartDate": WHEN,
                "FlexibleTimeWindow": {"Mode": "OFF"},
                "Target": {"Arn": ARN, "RoleArn": "arn:aws:iam::0:role/r", "Input": "{}"},
            },
        ),
        ("scheduler", "ListSchedules", {"NamePrefix": "s", "MaxResults": 5, "State": "ENABLED"}),
        ("apigatewayv2", "GetApis", {"MaxResults": "10", "NextToken": "t"}),
        ("apigatewayv2", "UpdateRoute", {"ApiId": "a1", "RouteId": "r1", "RouteKey": "GET /x"}),
        ("apigatewayv2", "ImportApi", {"Body": "{}", "FailOnWarnings": True, "Basepath": "x"}),
        (
            "apigateway",
            "GetExport",
            {
                "restApiId": "a",
                "stageName": "s",
                "exportType": "oas30",
                "parameters": {"extensions": "postman"},
                "accepts": "y",
            },
        ),
        ("apigateway", "PutRestApi", {"restApiId": "a", "body": b"{}", "mode": "merge"}),
        (
            "dataexchange",
            "SendApiAsset",
            {
                "AssetId": "a",
                "DataSetId": "d",
                "RevisionId": "r",
                "RequestHeaders": {"x-trace": "1"},
                "Body": "hi",
                "Method": "PUT",
                "Path": "/p",
            },
        ),
        (
            "braket",
            "CreateQuantumTask",
            {
                "action": '{"a": 1}',
                "clientToken": "t",
                "deviceArn": "arn:d",
                "outputS3Bucket": "b",
                "outputS3KeyPrefix": "p",
                "shots": 5,
            },
        ),
        (
            "agent-registry-control",
            "TagResource",
            {"resourceArn": "arn:aws:x:us-east-1:0:thing/a/b", "tags": {"k": "v"}},
        ),
    ],
)
def test_requests_botocore_builds_parse_back_to_the_same_members(service, operation, params):
    """Every location (uri, greedy uri, query, query map, header, header map, JSON body,
    blob and string payloads) and type (int, long, bool, timestamp, blob) comes back whole."""
    found, parsed = _through_the_wire(_api(service), operation, params)

    assert found == operation
    assert parsed == params


def _minimal(shape: Shape | None, depth: int = 0) -> Any:
    """The smallest input botocore will serialize: each required member, by type."""
    if shape is None:
        return {}
    kind = shape.type_name
    if kind == "structure":
        return {
            name: _minimal(shape.members[name], depth + 1)
            for name in shape.required_members
            if depth < 6
        }
    return {
        "string": "x1",
        "integer": 1,
        "long": 1,
        "boolean": True,
        "timestamp": WHEN,
        "blob": b"x",
        "list": [],
        "map": {},
        "float": 1.0,
        "double": 1.0,
    }.get(kind, "x1")


@pytest.mark.parametrize("service", ["lambda", "scheduler", "apigatewayv2", "apigateway"])
def test_every_operation_of_a_model_is_routed_to_itself(service):
    """AWS's path matching picks the right operation for each operation's own request,
    query literals (?List=ALL, ?find=LayerVersion, ?mode=import) included."""
    api = _api(service)
    wrong = []
    for name in api.model.operation_names:
        model: OperationModel = api.model.operation_model(name)
        found, _ = _through_the_wire(api, name, _minimal(model.input_shape))
        if found != name:
            wrong.append((name, found))

    assert wrong == []


def _parsed_by_botocore(api: RestJson, operation: str, output: dict[str, Any]) -> dict[str, Any]:
    response = api.plan(operation).render(output, "req-1", "application/json")
    model = api.model.operation_model(operation)
    parsed = create_parser("rest-json").parse(
        {
            "status_code": response.status_code,
            "headers": HeadersDict(response.headers),
            "body": response.body,
        },
        model.output_shape,
    )
    parsed.pop("ResponseMetadata")
    # Given bytes (not a stream), botocore decodes a blob payload to text.
    payload = model.output_shape.serialization.get("payload")
    if isinstance(parsed.get(payload), str):
        parsed[payload] = parsed[payload].encode()
    return parsed


@pytest.mark.parametrize(
    ("service", "operation", "output"),
    [
        (
            "lambda",
            "Invoke",
            {
                "StatusCode": 200,
                "FunctionError": "Unhandled",
                "LogResult": "bG9n",
                "ExecutedVersion": "$LATEST",
                "Payload": b'{"errorMessage": "boom"}',
            },
        ),
        ("lambda", "Invoke", {"StatusCode": 202, "Payload": b""}),
        (
            "lambda",
            "GetFunction",
            {
                "Configuration": {"FunctionName": "f", "MemorySize": 128, "Layers": []},
                "Code": {"RepositoryType": "S3", "Location": "http://x/y"},
                "Tags": {"a": "b"},
                "Concurrency": {"ReservedConcurrentExecutions": 3},
            },
        ),
        ("lambda", "GetFunctionConcurrency", {}),
        ("lambda", "ListFunctions", {"Functions": [], "NextMarker": "n"}),
        (
            "scheduler",
            "GetSchedule",
            {"Name": "s", "CreationDate": WHEN, "StartDate": WHEN, "State": "ENABLED"},
        ),
        (
            "apigateway",
            "GetExport",
            {"contentType": "application/json", "body": b"{}", "contentDisposition": "attachment"},
        ),
    ],
)
def test_answers_we_render_parse_in_botocore_to_the_same_members(service, operation, output):
    """Status code, header members, payloads and JSON bodies (timestamps, nested shapes)."""
    assert _parsed_by_botocore(_api(service), operation, output) == output


@pytest.mark.parametrize(
    ("service", "operation"),
    [
        ("lambda", "GetFunctionConfiguration"),
        ("lambda", "ListFunctions"),
        ("lambda", "GetLayerVersion"),
        ("scheduler", "GetSchedule"),
        ("apigatewayv2", "GetApi"),
    ],
)
@ORACLE
@given(data=st.data())
def test_any_body_output_reads_back_in_botocore(service, operation, data):
    """Any JSON body the model allows (renamed members, timestamps, nested lists and maps),
    rendered, is what botocore's parser reads."""
    api = _api(service)
    shape = api.model.operation_model(operation).output_shape
    output = data.draw(values(shape, text=JSON_TEXT, time_step_ms=1000))

    assert _parsed_by_botocore(api, operation, output) == output


def test_no_content_answers_have_an_empty_body():
    """DeleteFunction's StatusCode 204 and DeleteAlias's model status answer with no body."""
    api = _api("lambda")

    deleted = api.plan("DeleteFunction").render({"StatusCode": 204}, "r", "application/json")
    alias = api.plan("DeleteAlias").render(None, "r", "application/json")

    assert (deleted.status_code, deleted.body) == (204, b"")
    assert (alias.status_code, alias.body) == (204, b"")


@pytest.mark.parametrize(
    ("error", "code", "status", "key"),
    [
        (NotFound("Function not found: f"), "ResourceNotFoundException", 404, "Message"),
        (Validation("1 validation error detected: …"), "ValidationException", 400, "message"),
        (
            Throttled("Rate exceeded", Reason="ReservedFunctionConcurrentInvocationLimitExceeded"),
            "TooManyRequestsException",
            429,
            "message",
        ),
        (
            TooLarge("Request must be smaller than 6 bytes"),
            "RequestEntityTooLargeException",
            413,
            "message",
        ),
    ],
)
def test_errors_parse_in_botocore_to_their_code(error, code, status, key):
    """The code travels in x-amzn-ErrorType; the body carries Type and the message under the
    key AWS uses; a throttle says when to retry."""
    response = error_response(error, LAMBDA_ERRORS)
    parsed = create_parser("rest-json").parse(
        {
            "status_code": response.status_code,
            "headers": dict(response.headers),
            "body": response.body,
        },
        service_model("lambda").operation_model("Invoke").output_shape,
    )
    body = json.loads(response.body)

    assert parsed["Error"]["Code"] == code
    assert parsed["Error"]["Message"] == error.message
    assert response.status_code == status
    assert body["Type"] == "User"
    assert key in body
    assert ("retry-after" in response.headers) == isinstance(error, Throttled)


def test_wrong_json_types_are_refused_before_the_handler():
    """A string where the model wants an integer is MalformedException."""
    plan = _api("lambda").plan("CreateFunction")

    with pytest.raises(Malformed, match="'memorySize'"):
        plan.parse({}, {}, Headers({}), b'{"FunctionName": "f", "MemorySize": "big"}')


def test_unknown_paths_and_unimplemented_operations_answer_unknown_operation(server):
    """A path no operation has, and an operation Stratus does not serve, are 404
    UnknownOperationException, in rest-json's error shape."""
    lambda_client = server.client("lambda")
    connection = http.client.HTTPConnection("127.0.0.1", server.settings.port)
    connection.request("GET", "/2015-03-31/no-such-thing")
    response = connection.getresponse()
    body = json.loads(response.read())
    connection.close()

    with pytest.raises(lambda_client.exceptions.ClientError) as unserved:
        lambda_client.list_capacity_providers()

    assert response.status == 404
    assert response.getheader("x-amzn-ErrorType") == "UnknownOperationException"
    assert body["Type"] == "User"
    assert unserved.value.response["Error"]["Code"] == "UnknownOperationException"
    assert "ListCapacityProviders" in unserved.value.response["Error"]["Message"]


def _send_chunked(port: int, head: str, chunk_size: int, up_to: int) -> tuple[str, int]:
    """POST a chunked body of `chunk_size` chunks until the server answers (or `up_to` bytes
    are sent): the answer's first bytes, and how much was sent by then."""
    chunk = b"x" * chunk_size
    frame = b"%x\r\n%s\r\n" % (len(chunk), chunk)
    sock = socket.create_connection(("127.0.0.1", port))
    sent = 0
    deadline = time.monotonic() + 60
    try:
        sock.sendall(f"{head}\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
        while sent < up_to and time.monotonic() < deadline:
            if select.select([sock], [], [], 0)[0]:
                break  # the server has answered
            try:
                sock.sendall(frame)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        sock.settimeout(10)
        return sock.recv(65536).decode("latin-1"), sent
    finally:
        sock.close()


def test_a_chunked_invoke_body_is_refused_as_soon_as_it_passes_6_mb(server, deploy):
    """A chunked body (no Content-Length) gets 413 RequestEntityTooLargeException once it passes
    Invoke's limit; the server holds no more than about the limit while refusing 64 MB."""
    name = deploy("def handler(e, c):\n    return 1\n")
    head = f"POST /2015-03-31/functions/{name}/invocations HTTP/1.1"
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        answer, sent = _send_chunked(server.settings.port, head, 256 * 1024, 64 * 1024 * 1024)
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()

    assert answer.startswith("HTTP/1.1 413")
    assert "x-amzn-errortype: requestentitytoolargeexception" in answer.lower()
    assert sent < 32 * 1024 * 1024
    assert peak < 20 * 1024 * 1024


def test_a_chunked_create_function_body_is_refused_past_70_mb(server):
    """CreateFunction's limit (70,167,211 bytes) holds for a body that never states its size."""
    limit = 70_167_211
    head = "POST /2015-03-31/functions HTTP/1.1"

    answer, sent = _send_chunked(server.settings.port, head, 1024 * 1024, 2 * limit)

    assert answer.startswith("HTTP/1.1 413")
    assert limit <= sent < limit + 32 * 1024 * 1024
