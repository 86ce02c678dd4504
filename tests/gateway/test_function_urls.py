"""Function URLs end to end: the config through boto3's lambda client, then real HTTP requests."""

from __future__ import annotations

import base64
import re
import time
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

ECHO = """
import json

def handler(event, context):
    return {
        "statusCode": 201,
        "headers": {"x-echo": "yes", "Access-Control-Allow-Origin": "https://mine.example"},
        "cookies": ["a=1", "b=2"],
        "body": json.dumps({"event": event, "arn": context.invoked_function_arn}),
    }
"""

# A streaming custom runtime: the request body lists the parts to send, and may ask for the
# http-integration prelude (status, headers, cookies) before them.
STREAMING_BOOTSTRAP = r"""#!/usr/bin/env python3
import http.client, json, os, time

HOST = os.environ["AWS_LAMBDA_RUNTIME_API"]
control = http.client.HTTPConnection(HOST)
while True:
    control.request("GET", "/2018-06-01/runtime/invocation/next")
    response = control.getresponse()
    event = json.loads(response.read())
    request_id = response.getheader("Lambda-Runtime-Aws-Request-Id")
    order = json.loads(event["body"])
    upload = http.client.HTTPConnection(HOST)
    upload.putrequest("POST", "/2018-06-01/runtime/invocation/%s/response" % request_id)
    upload.putheader("Lambda-Runtime-Function-Response-Mode", "streaming")
    upload.putheader("Transfer-Encoding", "chunked")
    prelude = order.get("prelude")
    kind = "application/vnd.awslambda.http-integration-response" if prelude else "text/plain"
    upload.putheader("Content-Type", kind)
    upload.endheaders()
    parts = [part.encode() for part in order["parts"]]
    if prelude:
        parts.insert(0, json.dumps(prelude).encode() + b"\0" * 8)
    for data in parts:
        if data == b"sleep":
            time.sleep(0.5)
            continue
        upload.send(b"%x\r\n%s\r\n" % (len(data), data))
    upload.send(b"0\r\n\r\n")
    upload.getresponse().read()
    upload.close()
"""


@pytest.fixture
def url(lambda_client: Any) -> Any:
    """Creates function URL configs; returns the create function (its answer)."""

    def create(name: str, **params: Any) -> dict[str, Any]:
        params.setdefault("AuthType", "NONE")
        return lambda_client.create_function_url_config(  # type: ignore[no-any-return]
            FunctionName=name, **params
        )

    return create


def url_id(config: dict[str, Any]) -> str:
    found = re.fullmatch(
        r"http://([a-z0-9]{32})\.lambda-url\.localhost:\d+/", config["FunctionUrl"]
    )
    assert found, config["FunctionUrl"]
    return found.group(1)


def call(
    server: Any, config: dict[str, Any], path: str, method: str = "GET", *, by_host: bool = False,
    **kw: Any,
) -> httpx.Response:  # fmt: skip
    """A request to the function URL, addressed by path (default) or by Host header."""
    uid = url_id(config)
    if by_host:
        headers = {"host": f"{uid}.lambda-url.localhost:{server.settings.port}"}
        headers |= kw.pop("headers", {})
        return httpx.request(method, f"{server.endpoint_url}{path}", headers=headers, **kw)
    return httpx.request(method, f"{server.endpoint_url}/_aws/lambda-url/{uid}{path}", **kw)


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = exc.value.response["Error"]
    return error["Code"], error["Message"]


# -- control plane -----------------------------------------------------------------------------
def test_url_config_create_get_update_list_delete(lambda_client, deploy, url, server):
    name = deploy(ECHO)
    created = url(name, Cors={"AllowOrigins": ["https://a.example"], "MaxAge": 60})
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["FunctionArn"].endswith(f":function:{name}")
    assert created["AuthType"] == "NONE"
    assert created["InvokeMode"] == "BUFFERED"
    assert created["Cors"] == {"AllowOrigins": ["https://a.example"], "MaxAge": 60}
    assert created["FunctionUrl"].endswith(f".lambda-url.localhost:{server.settings.port}/")
    url_id(created)

    got = lambda_client.get_function_url_config(FunctionName=name)
    assert got["FunctionUrl"] == created["FunctionUrl"]
    assert got["CreationTime"] == created["CreationTime"] == got["LastModifiedTime"]

    time.sleep(0.01)
    updated = lambda_client.update_function_url_config(
        FunctionName=name, InvokeMode="RESPONSE_STREAM", Cors={"AllowOrigins": ["*"]}
    )
    assert updated["FunctionUrl"] == created["FunctionUrl"]
    assert updated["InvokeMode"] == "RESPONSE_STREAM"
    assert updated["Cors"] == {"AllowOrigins": ["*"]}
    assert updated["LastModifiedTime"] > updated["CreationTime"]

    listed = lambda_client.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"]
    assert [c["FunctionUrl"] for c in listed] == [created["FunctionUrl"]]

    with pytest.raises(ClientError) as exc:
        url(name)
    assert error_code(exc)[0] == "ResourceConflictException"

    deleted = lambda_client.delete_function_url_config(FunctionName=name)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_function_url_config(FunctionName=name)
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.delete_function_url_config(FunctionName=name)
    assert lambda_client.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"] == []


def test_the_url_follows_its_config_at_once(lambda_client, deploy, url, server):
    """The gateway keeps what a url-id resolves to, but an update or a deletion of the
    config applies to the very next request."""
    name = deploy(ECHO)
    config = url(name)
    origin = {"origin": "https://a.example"}
    before = call(server, config, "/", headers=origin)
    lambda_client.update_function_url_config(
        FunctionName=name, Cors={"AllowOrigins": ["https://a.example"]}
    )
    updated = call(server, config, "/", headers=origin)
    lambda_client.delete_function_url_config(FunctionName=name)
    deleted = call(server, config, "/")

    assert before.headers["access-control-allow-origin"] == "https://mine.example"  # its own
    assert updated.headers["access-control-allow-origin"] == "https://a.example"
    assert (deleted.status_code, deleted.json()) == (403, {"Message": "Forbidden"})


def test_url_config_errors(lambda_client, deploy, url):
    name = deploy(ECHO)
    with pytest.raises(ClientError) as exc:
        url(name, Qualifier="1")
    assert error_code(exc)[0] == "ValidationException"
    with pytest.raises(ClientError) as exc:
        url(name, Qualifier="missing")
    assert error_code(exc)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        url("no-such-function")
    assert error_code(exc)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        url(name, InvokeMode="SOMETIMES")
    assert error_code(exc)[0] == "ValidationException"
    with pytest.raises(ClientError) as exc:
        url(name, Cors={"MaxAge": 86401})
    assert error_code(exc)[0] == "ValidationException"
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.update_function_url_config(FunctionName=name, InvokeMode="BUFFERED")


def test_alias_url_invokes_the_alias_and_goes_with_it(lambda_client, deploy, url, server):
    name = deploy(ECHO)
    version = lambda_client.publish_version(FunctionName=name)["Version"]
    lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    config = url(name, Qualifier="live")
    assert config["FunctionArn"].endswith(f":function:{name}:live")
    assert url(name)["FunctionUrl"] != config["FunctionUrl"]  # the function's own, separate

    response = call(server, config, "/")
    assert response.status_code == 201
    assert response.json()["arn"].endswith(f":function:{name}:live")

    lambda_client.delete_alias(FunctionName=name, Name="live")
    assert call(server, config, "/").status_code == 403
    listed = lambda_client.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"]
    assert len(listed) == 1


def test_deleting_the_function_deletes_its_url(lambda_client, deploy, url, server):
    name = deploy(ECHO)
    config = url(name)
    assert call(server, config, "/").status_code == 201  # served (and its target kept)
    lambda_client.delete_function(FunctionName=name)
    response = call(server, config, "/")
    assert (response.status_code, response.json()) == (403, {"Message": "Forbidden"})
    deploy(ECHO, FunctionName=name)
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_function_url_config(FunctionName=name)


# -- data plane --------------------------------------------------------------------------------
@pytest.mark.parametrize("by_host", [False, True])
def test_get_sends_the_function_url_event(deploy, url, server, by_host):
    name = deploy(ECHO)
    config = url(name)
    uid = url_id(config)
    response = call(
        server, config, "/pets/dog%201?a=1&a=2&b=", by_host=by_host,
        headers={"cookie": "c=1; d=2", "x-thing": "v", "user-agent": "tester"},
    )  # fmt: skip
    assert response.status_code == 201
    event = response.json()["event"]
    context = event.pop("requestContext")
    headers = event.pop("headers")
    assert event == {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/pets/dog%201",
        "rawQueryString": "a=1&a=2&b=",
        "cookies": ["c=1", "d=2"],
        "queryStringParameters": {"a": "1,2", "b": ""},
        "isBase64Encoded": False,
    }
    assert headers["x-thing"] == "v"
    assert "cookie" not in headers
    assert re.fullmatch(r"\d+/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000", context.pop("time"))
    assert isinstance(context.pop("timeEpoch"), int)
    assert response.headers["x-amzn-requestid"] == context.pop("requestId")
    assert context == {
        "accountId": "anonymous",
        "apiId": uid,
        "domainName": f"{uid}.lambda-url.localhost",
        "domainPrefix": uid,
        "http": {
            "method": "GET",
            "path": "/pets/dog%201",
            "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1",
            "userAgent": "tester",
        },
        "routeKey": "$default",
        "stage": "$default",
    }


@pytest.mark.parametrize("by_host", [False, True])
def test_post_bodies_text_and_binary(deploy, url, server, by_host):
    config = url(deploy(ECHO))
    text = call(server, config, "/", "POST", by_host=by_host, json={"x": 1}).json()["event"]
    assert (text["body"], text["isBase64Encoded"]) == ('{"x":1}', False)
    raw = bytes(range(256))
    binary = call(
        server, config, "/up", "POST", by_host=by_host, content=raw,
        headers={"content-type": "application/octet-stream"},
    ).json()["event"]  # fmt: skip
    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == raw
    assert binary["rawPath"] == "/up"


def test_root_of_the_path_form_and_other_hosts_pass_through(deploy, url, server):
    config = url(deploy(ECHO))
    uid = url_id(config)
    assert (
        httpx.get(f"{server.endpoint_url}/_aws/lambda-url/{uid}").json()["event"]["rawPath"] == "/"
    )
    # Not a url-id (too short): the AWS endpoint answers, not the gateway.
    other = httpx.get(
        f"{server.endpoint_url}/_stratus/health", headers={"host": "abc.lambda-url.localhost"}
    )
    assert other.status_code == 200
    unknown = httpx.get(f"{server.endpoint_url}/_aws/lambda-url/{'a' * 32}/")
    assert (unknown.status_code, unknown.json()) == (403, {"Message": "Forbidden"})


def test_response_mapping(deploy, url, server):
    name = deploy(
        """
        import base64

        def handler(event, context):
            kind = event["rawPath"]
            if kind == "/binary":
                return {
                    "statusCode": 202,
                    "headers": {"content-type": "image/png", "x-n": 3},
                    "cookies": ["s=1; Path=/", "t=2"],
                    "body": base64.b64encode(b"\\x89PNG\\x00").decode(),
                    "isBase64Encoded": True,
                }
            if kind == "/inferred":
                return {"hello": "world"}
            if kind == "/string":
                return "just text"
            return {"statusCode": "bad"}
        """
    )
    config = url(name)
    binary = call(server, config, "/binary")
    assert binary.status_code == 202
    assert binary.content == b"\x89PNG\x00"
    assert binary.headers["content-type"] == "image/png"
    assert binary.headers["x-n"] == "3"
    assert binary.headers.get_list("set-cookie") == ["s=1; Path=/", "t=2"]
    inferred = call(server, config, "/inferred")
    assert (inferred.status_code, inferred.json()) == (200, {"hello": "world"})
    assert inferred.headers["content-type"] == "application/json"
    assert call(server, config, "/string").text == "just text"
    malformed = call(server, config, "/malformed")
    assert (malformed.status_code, malformed.text) == (502, "Internal Server Error")


def test_function_error_is_502(deploy, url, server):
    config = url(deploy("def handler(event, context):\n    raise ValueError('boom')\n"))
    response = call(server, config, "/")
    assert (response.status_code, response.text) == (502, "Internal Server Error")
    assert response.headers["x-amzn-requestid"]


def test_cors_preflight_and_response_headers(deploy, lambda_client, url, server):
    name = deploy(ECHO)
    config = url(
        name,
        Cors={
            "AllowOrigins": ["https://app.example"],
            "AllowMethods": ["GET", "POST"],
            "AllowHeaders": ["x-custom", "content-type"],
            "ExposeHeaders": ["x-echo"],
            "AllowCredentials": True,
            "MaxAge": 300,
        },
    )
    preflight = call(
        server, config, "/things", "OPTIONS",
        headers={"origin": "https://app.example", "access-control-request-method": "POST"},
    )  # fmt: skip
    assert preflight.status_code == 200
    assert preflight.content == b""
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    assert preflight.headers["access-control-allow-methods"] == "GET,POST"
    assert preflight.headers["access-control-allow-headers"] == "x-custom,content-type"
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert preflight.headers["access-control-max-age"] == "300"

    actual = call(server, config, "/", headers={"origin": "https://app.example"})
    assert actual.status_code == 201
    assert actual.headers["access-control-allow-origin"] == "https://app.example"
    assert actual.headers["access-control-expose-headers"] == "x-echo"
    assert actual.headers["access-control-allow-credentials"] == "true"

    stranger = call(server, config, "/", headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in stranger.headers  # the function's is dropped

    cleared = lambda_client.update_function_url_config(FunctionName=name, Cors={})
    assert "Cors" not in cleared
    plain = call(server, config, "/", headers={"origin": "https://evil.example"})
    assert plain.headers["access-control-allow-origin"] == "https://mine.example"


def test_without_cors_options_reaches_the_function(deploy, url, server):
    config = url(deploy(ECHO))
    response = call(
        server, config, "/", "OPTIONS",
        headers={"origin": "https://app.example", "access-control-request-method": "GET"},
    )  # fmt: skip
    assert response.status_code == 201
    assert response.json()["event"]["requestContext"]["http"]["method"] == "OPTIONS"


def test_response_stream_of_a_buffered_function_is_mapped_as_buffered(deploy, url, server):
    config = url(deploy(ECHO), InvokeMode="RESPONSE_STREAM")
    response = call(server, config, "/x")
    assert response.status_code == 201
    assert response.json()["event"]["rawPath"] == "/x"


def test_response_stream_passes_chunks_as_they_come(deploy_custom, url, server):
    name = deploy_custom({"bootstrap": STREAMING_BOOTSTRAP}, Handler="unused")
    config = url(name, InvokeMode="RESPONSE_STREAM", Cors={"AllowOrigins": ["*"]})
    order = {"parts": ["first,", "sleep", "second"]}
    started = time.monotonic()
    arrivals = []
    with httpx.stream(
        "POST", f"{server.endpoint_url}/_aws/lambda-url/{url_id(config)}/",
        json=order, headers={"origin": "https://x.example"},
    ) as response:  # fmt: skip
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/plain"
        assert response.headers["transfer-encoding"] == "chunked"
        assert response.headers["access-control-allow-origin"] == "*"
        for chunk in response.iter_raw():
            arrivals.append((chunk, time.monotonic() - started))
    assert b"".join(c for c, _ in arrivals) == b"first,second"
    assert arrivals[0][0] == b"first,"
    assert arrivals[-1][1] - arrivals[0][1] >= 0.4  # the first part came before the pause


def test_response_stream_with_http_integration_prelude(deploy_custom, url, server):
    name = deploy_custom({"bootstrap": STREAMING_BOOTSTRAP}, Handler="unused")
    config = url(name, InvokeMode="RESPONSE_STREAM")
    order = {
        "prelude": {"statusCode": 207, "headers": {"x-kind": "prelude"}, "cookies": ["k=v"]},
        "parts": ["<p>", "hi</p>"],
    }
    response = call(server, config, "/", "POST", json=order)
    assert response.status_code == 207
    assert response.headers["x-kind"] == "prelude"
    assert response.headers["set-cookie"] == "k=v"
    assert response.text == "<p>hi</p>"
