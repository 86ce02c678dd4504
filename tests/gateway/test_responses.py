"""From a function's output to the client's HTTP response, as tables of cases."""

import base64
import json

import pytest

from stratus.gateway.responses import Flavor, HttpResponse, http_response

V2, V1, REST = Flavor.HTTP_V2, Flavor.HTTP_V1, Flavor.REST
JSON = ("Content-Type", "application/json")
HTTP_API_ERROR = HttpResponse(500, (JSON,), b'{"message":"Internal Server Error"}')
PNG_BASE64 = base64.b64encode(b"\x89P").decode()
REST_ERROR = HttpResponse(502, (JSON,), b'{"message": "Internal server error"}')


def out(value: object) -> bytes:
    return json.dumps(value).encode()


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        # AWS's inference table: no statusCode means 200, JSON, the output as the body
        (out("Hello from Lambda!"), HttpResponse(200, (JSON,), b"Hello from Lambda!")),
        (
            b'{ "message": "Hello from Lambda!" }',
            HttpResponse(200, (JSON,), b'{ "message": "Hello from Lambda!" }'),
        ),
        (out([1, 2]), HttpResponse(200, (JSON,), b"[1, 2]")),
        (b"null", HttpResponse(200, (JSON,), b"null")),
        (out({"status": 404}), HttpResponse(200, (JSON,), b'{"status": 404}')),
        # a statusCode makes it a structured response
        (
            out({"statusCode": 201, "headers": {"x-a": "1"}, "body": "made"}),
            HttpResponse(201, (("x-a", "1"),), b"made"),
        ),
        (out({"statusCode": 204}), HttpResponse(204, (), b"")),
        (
            out({"statusCode": 200, "cookies": ["a=1; Path=/", "b=2"], "body": ""}),
            HttpResponse(200, (("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2")), b""),
        ),
        (
            out({"statusCode": 200, "isBase64Encoded": True, "body": PNG_BASE64}),
            HttpResponse(200, (), b"\x89P"),
        ),
        # payload 2.0 has no multiValueHeaders: they are ignored
        (
            out({"statusCode": 200, "multiValueHeaders": {"x-a": ["1", "2"]}}),
            HttpResponse(200, (), b""),
        ),
        # non-string header values are sent as text
        (
            out({"statusCode": 200, "headers": {"x-ok": True, "x-n": 3}}),
            HttpResponse(200, (("x-ok", "true"), ("x-n", "3")), b""),
        ),
        # output API Gateway cannot read
        (b"not json", HTTP_API_ERROR),
        (out({"statusCode": "abc"}), HTTP_API_ERROR),
        (out({"statusCode": 99}), HTTP_API_ERROR),
        (out({"statusCode": 200, "body": {"a": 1}}), HTTP_API_ERROR),
        (out({"statusCode": 200, "headers": ["x-a"]}), HTTP_API_ERROR),
        (out({"statusCode": 200, "headers": {"x-a": None}}), HTTP_API_ERROR),
        (out({"statusCode": 200, "cookies": "a=1"}), HTTP_API_ERROR),
        (out({"statusCode": 200, "isBase64Encoded": True, "body": "%%%"}), HTTP_API_ERROR),
    ],
)
def test_payload_v2(output, expected):
    """Payload 2.0 responses, with AWS's inference for outputs without a statusCode."""
    assert http_response(V2, output) == expected


@pytest.mark.parametrize(
    ("flavor", "output", "expected"),
    [
        (
            V1,
            out({"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": "hi"}),
            HttpResponse(200, (("content-type", "text/plain"),), b"hi"),
        ),
        # multiValueHeaders carry repeats and win over headers of the same name
        (
            V1,
            out(
                {
                    "statusCode": 302,
                    "headers": {"Location": "/a", "X-A": "single"},
                    "multiValueHeaders": {"x-a": ["1", "2"]},
                }
            ),
            HttpResponse(302, (("Location", "/a"), ("x-a", "1"), ("x-a", "2")), b""),
        ),
        (
            V1,
            out({"statusCode": 200, "isBase64Encoded": True, "body": "AAE="}),
            HttpResponse(200, (), b"\x00\x01"),
        ),
        # REST: the default content type is application/json
        (REST, out({"statusCode": 200, "body": "{}"}), HttpResponse(200, (JSON,), b"{}")),
        (
            REST,
            out({"statusCode": 404, "headers": {"Content-Type": "text/html"}, "body": "<p>"}),
            HttpResponse(404, (("Content-Type", "text/html"),), b"<p>"),
        ),
        # no inference in 1.0 and REST: a statusCode is required
        (V1, out({"message": "hi"}), HTTP_API_ERROR),
        (V1, out("hi"), HTTP_API_ERROR),
        (REST, out({"message": "hi"}), REST_ERROR),
        (REST, out("hi"), REST_ERROR),
        (REST, b"", REST_ERROR),
        (REST, out({"statusCode": 200, "body": 5}), REST_ERROR),
        (REST, out({"statusCode": 200, "multiValueHeaders": {"a": "b"}}), REST_ERROR),
        # REST: no other members; statusCode optional (200) or a numeric string
        (REST, out({"statusCode": 200, "wrongValue": "x"}), REST_ERROR),
        (REST, out({}), HttpResponse(200, (JSON,), b"")),
        (REST, out({"headers": {"a": "1"}}), HttpResponse(200, (("a", "1"), JSON), b"")),
        (REST, out({"statusCode": "201", "headers": None}), HttpResponse(201, (JSON,), b"")),
        (REST, out({"statusCode": "test"}), REST_ERROR),
        (REST, out(None), REST_ERROR),
    ],
)
def test_payload_v1_and_rest(flavor, output, expected):
    """Payload 1.0 and REST proxy responses; malformed ones are AWS's internal errors."""
    assert http_response(flavor, output) == expected


@pytest.mark.parametrize(
    ("flavor", "expected"),
    [(V2, HTTP_API_ERROR), (V1, HTTP_API_ERROR), (REST, REST_ERROR)],
)
def test_function_error(flavor, expected):
    """A function error is never shown to the client: 500 on HTTP APIs, 502 on REST APIs."""
    output = out({"errorMessage": "boom", "errorType": "Exception", "stackTrace": []})

    assert http_response(flavor, output, function_error=True) == expected
