"""The Lambda events of the three payload formats, against the structure of AWS's examples."""

import base64
import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stratus.apis.http.routes import Match, RouteKey
from stratus.gateway.events import (
    HttpRequest,
    Target,
    http_api_v1_event,
    http_api_v2_event,
    is_text,
    request_time,
    rest_event,
)

AT = datetime(2020, 3, 12, 19, 3, 58, 390000, tzinfo=UTC)

REQUEST = HttpRequest(
    method="POST",
    path="/my/value1",
    query="parameter1=value1&parameter1=value2&parameter2=value",
    headers=(
        ("Header1", "value1"),
        ("Header2", "value1"),
        ("header2", "value2"),
        ("Cookie", "cookie1=a; cookie2=b"),
        ("User-Agent", "agent"),
        ("cookie", "cookie3=c"),
        ("Content-Type", "text/plain"),
    ),
    body=b"Hello from Lambda",
    source_ip="192.0.2.1",
    stage="$default",
    api_id="abc123",
    domain_name="abc123.execute-api.localhost",
    request_id="JKJaXmPLvHcESHA=",
    time=AT,
)
TARGET = Target(
    match=Match(RouteKey.parse("POST /my/{parameter1}"), {"parameter1": "value1"}),
    account_id="123456789012",
    stage_variables={"stageVariable1": "value1"},
)


def test_http_api_v2():
    """Payload 2.0: lower-cased, comma-joined headers; cookies apart; raw path and query."""
    event = http_api_v2_event(REQUEST, TARGET)

    assert event == {
        "version": "2.0",
        "routeKey": "POST /my/{parameter1}",
        "rawPath": "/my/value1",
        "rawQueryString": "parameter1=value1&parameter1=value2&parameter2=value",
        "cookies": ["cookie1=a", "cookie2=b", "cookie3=c"],
        "headers": {
            "header1": "value1",
            "header2": "value1,value2",
            "user-agent": "agent",
            "content-type": "text/plain",
        },
        "queryStringParameters": {"parameter1": "value1,value2", "parameter2": "value"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.localhost",
            "domainPrefix": "abc123",
            "http": {
                "method": "POST",
                "path": "/my/value1",
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.1",
                "userAgent": "agent",
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "POST /my/{parameter1}",
            "stage": "$default",
            "time": "12/Mar/2020:19:03:58 +0000",
            "timeEpoch": 1584039838390,
        },
        "body": "Hello from Lambda",
        "pathParameters": {"parameter1": "value1"},
        "isBase64Encoded": False,
        "stageVariables": {"stageVariable1": "value1"},
    }


def test_http_api_v2_minimal():
    """Payload 2.0 leaves out what the request does not have; a named stage prefixes paths."""
    request = HttpRequest(
        method="GET",
        path="/",
        query="",
        headers=(),
        body=b"",
        source_ip="192.0.2.1",
        stage="dev",
        api_id="abc123",
        domain_name="abc123.execute-api.localhost",
        request_id="id",
        time=AT,
    )
    target = Target(match=Match(RouteKey.parse("$default"), {}), account_id="123456789012")

    event = http_api_v2_event(request, target)

    assert set(event) == {
        "version",
        "routeKey",
        "rawPath",
        "rawQueryString",
        "headers",
        "requestContext",
        "isBase64Encoded",
    }
    assert (event["routeKey"], event["rawPath"]) == ("$default", "/dev/")
    assert event["rawQueryString"] == ""
    assert event["requestContext"]["http"]["path"] == "/dev/"
    assert event["requestContext"]["stage"] == "dev"
    assert event["isBase64Encoded"] is False


def test_http_api_v1():
    """Payload 1.0 of an HTTP API: multi-value maps, nulls, the request-context of AWS's example."""
    event = http_api_v1_event(REQUEST, TARGET)

    assert event == {
        "version": "1.0",
        "resource": "/my/{parameter1}",
        "path": "/my/value1",
        "httpMethod": "POST",
        "headers": {
            "header1": "value1",
            "header2": "value2",
            "cookie": "cookie3=c",
            "user-agent": "agent",
            "content-type": "text/plain",
        },
        "multiValueHeaders": {
            "header1": ["value1"],
            "header2": ["value1", "value2"],
            "cookie": ["cookie1=a; cookie2=b", "cookie3=c"],
            "user-agent": ["agent"],
            "content-type": ["text/plain"],
        },
        "queryStringParameters": {"parameter1": "value2", "parameter2": "value"},
        "multiValueQueryStringParameters": {
            "parameter1": ["value1", "value2"],
            "parameter2": ["value"],
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.localhost",
            "domainPrefix": "abc123",
            "extendedRequestId": "JKJaXmPLvHcESHA=",
            "httpMethod": "POST",
            "identity": {
                "accessKey": None,
                "accountId": None,
                "caller": None,
                "cognitoAuthenticationProvider": None,
                "cognitoAuthenticationType": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "principalOrgId": None,
                "sourceIp": "192.0.2.1",
                "user": None,
                "userAgent": "agent",
                "userArn": None,
            },
            "path": "/my/value1",
            "protocol": "HTTP/1.1",
            "requestId": "JKJaXmPLvHcESHA=",
            "requestTime": "12/Mar/2020:19:03:58 +0000",
            "requestTimeEpoch": 1584039838390,
            "resourceId": None,
            "resourcePath": "/my/{parameter1}",
            "stage": "$default",
        },
        "pathParameters": {"parameter1": "value1"},
        "stageVariables": {"stageVariable1": "value1"},
        "body": "Hello from Lambda",
        "isBase64Encoded": False,
    }


def test_rest():
    """REST proxy: header case kept, stage outside `path` but inside `requestContext.path`."""
    request = HttpRequest(
        method="POST",
        path="/hello/world",
        query="name=me&multivalueName=you&multivalueName=me",
        headers=(
            ("Content-Type", "application/json"),
            ("headerName", "headerValue"),
            ("User-Agent", "PostmanRuntime/2.4.5"),
        ),
        body=b'{\r\n\t"a": 1\r\n}',
        source_ip="192.168.196.186",
        stage="testStage",
        api_id="gy415nuibc",
        domain_name="gy415nuibc.execute-api.localhost",
        request_id="deef4878-7910-11e6-8f14-25afc3e9ae33",
        time=AT,
    )
    target = Target(
        match=Match(RouteKey.parse("ANY /{proxy+}"), {"proxy": "hello/world"}),
        account_id="123456789012",
        stage_variables={"stageVariableName": "stageVariableValue"},
        resource_id="roq9wj",
    )

    event = rest_event(request, target)

    assert "version" not in event
    assert event["resource"] == "/{proxy+}"
    assert event["path"] == "/hello/world"
    assert event["httpMethod"] == "POST"
    assert event["headers"] == {
        "Content-Type": "application/json",
        "headerName": "headerValue",
        "User-Agent": "PostmanRuntime/2.4.5",
    }
    assert event["multiValueHeaders"]["headerName"] == ["headerValue"]
    assert event["queryStringParameters"] == {"name": "me", "multivalueName": "me"}
    assert event["multiValueQueryStringParameters"] == {
        "name": ["me"],
        "multivalueName": ["you", "me"],
    }
    assert event["pathParameters"] == {"proxy": "hello/world"}
    assert event["stageVariables"] == {"stageVariableName": "stageVariableValue"}
    assert event["body"] == '{\r\n\t"a": 1\r\n}'
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert {k: context[k] for k in ("resourceId", "resourcePath", "httpMethod", "path")} == {
        "resourceId": "roq9wj",
        "resourcePath": "/{proxy+}",
        "httpMethod": "POST",
        "path": "/testStage/hello/world",
    }
    assert (context["stage"], context["apiId"], context["accountId"]) == (
        "testStage",
        "gy415nuibc",
        "123456789012",
    )
    assert context["identity"]["sourceIp"] == "192.168.196.186"
    assert context["identity"]["userAgent"] == "PostmanRuntime/2.4.5"
    assert context["requestTime"] == "12/Mar/2020:19:03:58 +0000"


def test_rest_empty_request():
    """REST proxy sends null for absent query, path parameters, stage variables and body."""
    request = HttpRequest(
        method="GET",
        path="/",
        query="",
        headers=(),
        body=b"",
        source_ip="192.0.2.1",
        stage="prod",
        api_id="abc123",
        domain_name="abc123.execute-api.localhost",
        request_id="id",
        time=AT,
    )
    target = Target(match=Match(RouteKey.parse("GET /"), {}), account_id="123456789012")

    event = rest_event(request, target)

    nulls = ("queryStringParameters", "multiValueQueryStringParameters", "pathParameters")
    assert all(event[k] is None for k in (*nulls, "stageVariables", "body"))
    assert (event["headers"], event["multiValueHeaders"]) == ({}, {})
    assert event["requestContext"]["identity"]["userAgent"] is None
    assert event["isBase64Encoded"] is False


PNG = b"\x89PNG\r\n\x1a\n\x00"


@pytest.mark.parametrize(
    ("build", "content_type", "binary_media_types", "encoded"),
    [
        (http_api_v2_event, "image/png", (), True),
        (http_api_v2_event, "application/octet-stream", (), True),
        (http_api_v1_event, "image/png", (), True),
        (http_api_v2_event, "text/plain; charset=utf-8", (), False),
        (http_api_v2_event, "application/json", (), False),
        # REST APIs treat a body as binary only for the API's binaryMediaTypes
        (rest_event, "image/png", (), False),
        (rest_event, "image/png", ("image/*",), True),
        (rest_event, "image/png", ("*/*",), True),
        (rest_event, "text/plain", ("image/png",), False),
    ],
)
def test_binary_body(build, content_type, binary_media_types, encoded):
    """Binary bodies travel base64-encoded with isBase64Encoded true."""
    body = PNG if encoded else b"text"
    request = HttpRequest(
        method="PUT",
        path="/img",
        query="",
        headers=(("Content-Type", content_type),),
        body=body,
        source_ip="192.0.2.1",
        stage="$default",
        api_id="abc123",
        domain_name="abc123.execute-api.localhost",
        request_id="id",
        time=AT,
    )
    target = Target(
        match=Match(RouteKey.parse("PUT /img"), {}),
        account_id="123456789012",
        binary_media_types=binary_media_types,
    )

    event = build(request, target)

    assert event["isBase64Encoded"] is encoded
    expected = base64.b64encode(body).decode() if encoded else body.decode()
    assert event["body"] == expected


@pytest.mark.parametrize(
    ("content_type", "text"),
    [
        ("text/html", True),
        ("application/json", True),
        ("application/vnd.api+json", True),
        ("application/xml; charset=utf-8", True),
        ("Application/JSON", True),
        ("application/x-www-form-urlencoded", False),
        ("multipart/form-data; boundary=x", False),
        ("image/jpeg", False),
        (None, False),
    ],
)
def test_is_text(content_type, text):
    """HTTP APIs pass text media types as text and everything else base64-encoded."""
    assert is_text(content_type) is text


@pytest.mark.parametrize(
    ("at", "text"),
    [
        (AT, "12/Mar/2020:19:03:58 +0000"),
        (datetime(2021, 1, 2, 3, 4, 5, tzinfo=UTC), "02/Jan/2021:03:04:05 +0000"),
        # times are reported in UTC whatever zone they come in
        (
            datetime(2021, 12, 31, 23, 30, tzinfo=timezone(timedelta(hours=-2))),
            "01/Jan/2022:01:30:00 +0000",
        ),
    ],
)
def test_request_time(at, text):
    """requestContext times use API Gateway's CLF-style format, in English and UTC."""
    assert request_time(at) == text


_NAMES = st.sampled_from(["Cookie", "cookie", "COOKIE", "Host", "host", "X-A", "x-a", "Accept"])
_VALUES = st.text(alphabet=" ;=,abc", max_size=12)


@given(st.lists(st.tuples(_NAMES, _VALUES), max_size=8))
def test_v2_headers_and_cookies_as_the_grouped_rule_gives_them(pairs):
    """Payload 2.0's one-pass header mapping gives what grouping the values by lower-cased
    name, splitting every Cookie value on `;` and joining the rest with commas gives."""
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name.lower(), []).append(value)
    cookies = [c.strip() for v in grouped.pop("cookie", ()) for c in v.split(";") if c.strip()]
    request = dataclasses.replace(REQUEST, headers=tuple(pairs), body=b"")

    event = http_api_v2_event(request, TARGET)

    assert event["headers"] == {k: ",".join(v) for k, v in grouped.items()}
    assert list(event["headers"]) == list(grouped)
    assert event.get("cookies", []) == cookies


@given(
    st.datetimes(datetime(1970, 1, 2), datetime(9999, 12, 30), timezones=st.just(UTC)),
    st.integers(-3600, 3600),
)
def test_request_time_kept_per_second_matches_the_instant(at, shift_s):
    """The kept text is the one for the instant asked about, whatever zone it is in and
    whatever was asked before."""
    request_time(at)
    other = (at + timedelta(seconds=shift_s)).astimezone(timezone(timedelta(hours=5)))

    assert request_time(other) == other.astimezone(UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
