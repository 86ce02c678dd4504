"""REST APIs (API Gateway v1) served end to end: built with boto3's `apigateway` client,
deployed, called over real HTTP; Lambda proxy events field by field, responses and every
answer the gateway gives by itself."""

from __future__ import annotations

import base64
import json
import re
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

ECHO = """
import json

def handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"x-echo": "yes", "x-single": "one"},
        "multiValueHeaders": {"x-multi": ["a", "b"]},
        "body": json.dumps(event),
    }
"""
ANSWERS = """
import base64, json, time

def handler(event, context):
    path = event["path"]
    if path == "/malformed":
        return {"statusCode": 200, "wrongValue": 1}
    if path == "/string":
        return "just a string"
    if path == "/error":
        raise RuntimeError("boom")
    if path == "/slow":
        time.sleep(1.5)
        return {"statusCode": 200, "body": "late"}
    if path == "/binary":
        body = base64.b64encode(b"\\x89PNG").decode()
        return {"statusCode": 200, "headers": {"Content-Type": "image/png"},
                "body": body, "isBase64Encoded": True}
    if path == "/empty":
        return {}
    if path == "/status-text":
        return {"statusCode": "201", "body": "made"}
    return {"statusCode": 200, "body": "ok"}
"""
MISSING_TOKEN = {"message": "Missing Authentication Token"}
INTERNAL = {"message": "Internal server error"}


def _served(rest_api: Any, deploy: Any, source: str = ECHO, **params: Any) -> Any:
    """An API with GET /pets/{id}, POST /pets and ANY /{proxy+}, deployed to prod."""
    api = rest_api(**params)
    function = deploy(source)
    api.method("/pets/{id}", "GET", function)
    api.method("/pets", "POST", function)
    api.method("/{proxy+}", "ANY", function)
    api.deploy("prod", variables={"color": "blue"})
    return api


def test_proxy_event_field_by_field(server, rest_api, deploy):
    """A GET reaches the function with the REST proxy event (payload 1.0 without version):
    resource, path inside the stage, headers in canonical case, multi-valued query string,
    path parameters, stage variables, and the request context AWS sends."""
    api = _served(rest_api, deploy)

    response = api.call(
        "GET",
        "/prod/pets/7?a=1&a=2&b=x%20y&plus=c+d",
        headers={"X-Custom": "v1", "User-Agent": "tests/1.0", "Accept": "application/json"},
    )

    assert response.status_code == 200
    event = response.json()
    assert "version" not in event
    assert (event["resource"], event["path"], event["httpMethod"]) == (
        "/pets/{id}",
        "/pets/7",
        "GET",
    )
    headers = event["headers"]
    assert headers["X-Custom"] == "v1"
    assert headers["User-Agent"] == "tests/1.0"
    assert headers["Host"].startswith("127.0.0.1:")
    assert headers["X-Forwarded-For"] == "127.0.0.1"
    assert headers["X-Forwarded-Proto"] == "http"
    assert headers["X-Forwarded-Port"] == str(server.settings.port)
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}", headers["X-Amzn-Trace-Id"])
    assert "Content-Length" not in headers
    assert "Connection" not in headers
    assert event["multiValueHeaders"]["X-Custom"] == ["v1"]
    assert {k: [v] for k, v in headers.items()} == event["multiValueHeaders"]
    assert event["queryStringParameters"] == {"a": "2", "b": "x y", "plus": "c d"}
    assert event["multiValueQueryStringParameters"] == {
        "a": ["1", "2"], "b": ["x y"], "plus": ["c d"],
    }  # fmt: skip
    assert event["pathParameters"] == {"id": "7"}
    assert event["stageVariables"] == {"color": "blue"}
    assert (event["body"], event["isBase64Encoded"]) == (None, False)
    context = event["requestContext"]
    resources = {
        r["path"]: r["id"] for r in api.apigateway.get_resources(restApiId=api.id)["items"]
    }
    deployment = api.apigateway.get_stage(restApiId=api.id, stageName="prod")["deploymentId"]
    assert context["resourceId"] == resources["/pets/{id}"]
    assert context["resourcePath"] == "/pets/{id}"
    assert context["httpMethod"] == "GET"
    assert context["path"] == "/prod/pets/7"
    assert context["stage"] == "prod"
    assert context["apiId"] == api.id
    assert context["accountId"] == server.settings.account_id
    assert context["deploymentId"] == deployment
    assert context["domainName"] == f"{api.id}.execute-api.localhost"
    assert context["domainPrefix"] == api.id
    assert context["protocol"] == "HTTP/1.1"
    assert uuid.UUID(context["requestId"])
    assert context["requestId"] == response.headers["x-amzn-requestid"]
    assert context["extendedRequestId"] == response.headers["x-amz-apigw-id"]
    assert context["extendedRequestId"] != context["requestId"]
    assert re.fullmatch(r"\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000", context["requestTime"])
    assert isinstance(context["requestTimeEpoch"], int)
    assert context["identity"] == {
        "accessKey": None,
        "accountId": None,
        "caller": None,
        "cognitoAuthenticationProvider": None,
        "cognitoAuthenticationType": None,
        "cognitoIdentityId": None,
        "cognitoIdentityPoolId": None,
        "principalOrgId": None,
        "sourceIp": "127.0.0.1",
        "user": None,
        "userAgent": "tests/1.0",
        "userArn": None,
    }
    assert "authorizer" not in context


def test_response_mapping(rest_api, deploy):
    """The function's statusCode, headers and multiValueHeaders reach the client, with
    API Gateway's request-id headers."""
    api = _served(rest_api, deploy)

    response = api.call("GET", "/prod/pets/1")

    assert response.status_code == 200
    assert response.headers["x-echo"] == "yes"
    assert response.headers.get_list("x-multi") == ["a", "b"]
    assert response.headers["content-type"] == "application/json"
    assert uuid.UUID(response.headers["x-amzn-requestid"])
    assert re.fullmatch(r"[A-Za-z0-9_-]{15}=", response.headers["x-amz-apigw-id"])


def test_bodies_text_and_binary(rest_api, deploy):
    """Bodies travel as text, base64-encoded only for the API's binaryMediaTypes."""
    api = _served(rest_api, deploy, binaryMediaTypes=["image/*"])

    text = api.call("POST", "/prod/pets", json={"name": "rex"}).json()
    binary = api.call(
        "POST", "/prod/pets", content=b"\x89PNG\x00", headers={"Content-Type": "image/png"}
    ).json()

    assert (text["body"], text["isBase64Encoded"]) == ('{"name":"rex"}', False)
    assert text["headers"]["Content-Type"] == "application/json"
    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == b"\x89PNG\x00"


def test_greedy_paths_and_trailing_slashes(rest_api, deploy):
    """`{proxy+}` takes the rest of the path, kept percent-encoded as AWS passes it; a
    trailing slash is ignored for matching but kept in `path`."""
    api = _served(rest_api, deploy)

    deep = api.call("DELETE", "/prod/a/b%2Bc/d").json()
    slash = api.call("GET", "/prod/pets/9/").json()

    assert (deep["resource"], deep["path"]) == ("/{proxy+}", "/a/b%2Bc/d")
    assert deep["pathParameters"] == {"proxy": "a/b%2Bc/d"}
    assert deep["httpMethod"] == "DELETE"
    assert (slash["resource"], slash["path"]) == ("/pets/{id}", "/pets/9/")
    assert slash["pathParameters"] == {"id": "9"}


def test_a_base_url_ending_in_a_slash_reaches_the_resource(rest_api, deploy):
    """`{stage}//pets/9` (a stage URL ending in "/" plus "/pets/9") reaches /pets/{id}, as
    on AWS; before, it answered 403 Missing Authentication Token."""
    api = _served(rest_api, deploy)

    response = api.call("GET", "/prod//pets/9")

    assert response.status_code == 200
    assert response.json()["resource"] == "/pets/{id}"
    assert response.json()["pathParameters"] == {"id": "9"}


def test_root_resource_and_host_addressing(rest_api, deploy):
    """The root resource answers `/{stage}`; the Host header addresses the API too."""
    api = rest_api()
    api.method("/", "GET", deploy(ECHO))
    api.deploy("v1")

    by_path = api.call("GET", "/v1")
    by_host = api.call("GET", "/v1/", by_host=True)

    assert by_path.status_code == by_host.status_code == 200
    assert (by_path.json()["resource"], by_path.json()["path"]) == ("/", "/")
    assert by_host.json()["requestContext"]["stage"] == "v1"


@pytest.mark.parametrize(
    "path",
    ["/beta/pets/1", "/prod/nothing/here/at/all/x/../", "/prod", "/", ""],
)
def test_unknown_stage_resource_or_method_is_missing_token(rest_api, deploy, path):
    """No stage, no resource or no method: 403 Missing Authentication Token, as AWS."""
    api = rest_api()
    api.method("/pets/{id}", "GET", deploy(ECHO))
    api.deploy("prod")

    response = api.call("GET", path)
    wrong_method = api.call("POST", "/prod/pets/1")

    assert (response.status_code, response.json()) == (403, MISSING_TOKEN)
    assert response.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    assert uuid.UUID(response.headers["x-amzn-requestid"])
    assert (wrong_method.status_code, wrong_method.json()) == (403, MISSING_TOKEN)


def test_stages_serve_their_deployment(rest_api, deploy):
    """A method added after the deployment is served only once deployed again."""
    api = rest_api()
    function = deploy(ECHO)
    api.method("/a", "GET", function)
    api.deploy("prod")
    api.method("/b", "GET", function)

    before = api.call("GET", "/prod/b")
    api.deploy("prod")
    after = api.call("GET", "/prod/b")

    assert before.status_code == 403
    assert after.status_code == 200


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/malformed", 502, INTERNAL),
        ("/string", 502, INTERNAL),
        ("/error", 502, INTERNAL),
        ("/empty", 200, b""),
        ("/status-text", 201, b"made"),
    ],
)
def test_function_outputs(rest_api, deploy, path, status, body):
    """Malformed output and function errors are 502 Internal server error; what AWS
    accepts (no statusCode, a numeric string) is answered."""
    api = rest_api()
    api.method("/{proxy+}", "ANY", deploy(ANSWERS))
    api.deploy("prod")

    response = api.call("GET", f"/prod{path}")

    assert response.status_code == status
    assert (response.json() if isinstance(body, dict) else response.content) == body


def test_integration_timeout_is_504(rest_api, deploy):
    """No answer within the integration's timeoutInMillis: 504 Endpoint request timed out."""
    api = rest_api()
    api.method(
        "/slow",
        "GET",
        integration={
            "type": "AWS_PROXY",
            "integrationHttpMethod": "POST",
            "uri": api.function_uri(deploy(ANSWERS)),
            "timeoutInMillis": 300,
        },
    )
    api.deploy("prod")

    response = api.call("GET", "/prod/slow")

    assert response.status_code == 504
    assert response.json() == {"message": "Endpoint request timed out"}
    assert response.headers["x-amzn-errortype"] == "InternalServerErrorException"


def test_binary_responses_follow_accept(rest_api, deploy):
    """isBase64Encoded output is decoded when the request's Accept is a binary media type,
    else sent as the base64 text."""
    binary_api = _served(rest_api, deploy, ANSWERS, binaryMediaTypes=["image/png"])
    plain_api = _served(rest_api, deploy, ANSWERS)

    decoded = binary_api.call("GET", "/prod/binary", headers={"Accept": "image/png"})
    not_accepted = binary_api.call("GET", "/prod/binary", headers={"Accept": "text/html"})
    no_types = plain_api.call("GET", "/prod/binary", headers={"Accept": "image/png"})

    assert decoded.content == b"\x89PNG"
    assert decoded.headers["content-type"] == "image/png"
    assert not_accepted.content == no_types.content == base64.b64encode(b"\x89PNG")


def test_lambda_refusing_is_500(rest_api, deploy, lambda_client):
    """Lambda refusing the call (function gone, reserved concurrency 0): 500."""
    api = rest_api()
    gone, throttled = deploy(ECHO), deploy(ECHO)
    api.method("/gone", "GET", gone)
    api.method("/throttled", "GET", throttled)
    api.deploy("prod")
    lambda_client.delete_function(FunctionName=gone)
    lambda_client.put_function_concurrency(FunctionName=throttled, ReservedConcurrentExecutions=0)

    for path in ("/prod/gone", "/prod/throttled"):
        response = api.call("GET", path)
        assert (response.status_code, response.json()) == (500, INTERNAL)


def test_mock_integration_answers_cors_preflights(rest_api, deploy):
    """A MOCK integration answers with its integration response: status, literal header
    mappings and template, as SAM's CORS OPTIONS methods use it."""
    api = rest_api()
    api.method("/pets", "GET", deploy(ECHO))
    resource_id = api.method(
        "/pets",
        "OPTIONS",
        integration={
            "type": "MOCK",
            "requestTemplates": {"application/json": '{"statusCode": 200}'},
        },
    )
    api.apigateway.put_method_response(
        restApiId=api.id,
        resourceId=resource_id,
        httpMethod="OPTIONS",
        statusCode="200",
        responseParameters={"method.response.header.Access-Control-Allow-Origin": False},
    )
    api.apigateway.put_integration_response(
        restApiId=api.id,
        resourceId=resource_id,
        httpMethod="OPTIONS",
        statusCode="200",
        responseParameters={"method.response.header.Access-Control-Allow-Origin": "'*'"},
        responseTemplates={"application/json": '{"ok": true}'},
    )
    api.deploy("prod")

    response = api.call("OPTIONS", "/prod/pets")

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.json() == {"ok": True}


@pytest.mark.parametrize(
    "integration",
    [
        # Nothing listens on the discard port: the back end cannot be reached.
        {"type": "HTTP_PROXY", "integrationHttpMethod": "GET", "uri": "http://127.0.0.1:9/"},
        {"type": "AWS_PROXY", "integrationHttpMethod": "GET"},
        {
            "type": "AWS",
            "integrationHttpMethod": "POST",
            "uri": "arn:aws:apigateway:us-east-1:nosuch:action/Go",
        },
    ],
)
def test_integrations_that_cannot_answer_are_500(rest_api, deploy, integration, caplog):
    """An unreachable back end, a service Stratus does not know, and AWS_PROXY calling
    Lambda other than with POST: 500 and a log line saying why."""
    api = rest_api()
    if integration["type"] == "AWS_PROXY":
        integration = integration | {"uri": api.function_uri(deploy(ECHO))}
    api.method("/x", "GET", integration=integration)
    api.deploy("prod")

    response = api.call("GET", "/prod/x")

    assert (response.status_code, response.json()) == (500, INTERNAL)
    assert "answers 500" in caplog.text


def test_an_unsigned_request_to_an_aws_iam_method_is_refused(rest_api, deploy):
    """AWS_IAM methods need a signed request (tests/iam/test_gateway_iam.py has the signed
    ones): without one, the answer AWS gives a request without credentials."""
    api = rest_api()
    api.method("/iam", "GET", deploy(ECHO), authorizationType="AWS_IAM")
    api.deploy("prod")

    response = api.call("GET", "/prod/iam")

    assert (response.status_code, response.json()) == (403, MISSING_TOKEN)


def test_oversized_body_is_413(rest_api, deploy):
    """Bodies over API Gateway's 10 MB quota are refused before the function runs."""
    api = _served(rest_api, deploy)

    response = api.call("POST", "/prod/pets", content=b"x" * (10 * 1024 * 1024 + 1))

    assert response.status_code == 413


def test_event_is_json_the_function_can_read(rest_api, deploy):
    """Odd but legal requests (no headers to speak of, empty query values, unicode paths)
    still make a readable event."""
    api = _served(rest_api, deploy)

    event = api.call("GET", "/prod/caf%C3%A9?empty=&flag").json()

    assert event["path"] == "/caf%C3%A9"
    assert event["queryStringParameters"] == {"empty": "", "flag": ""}
    assert json.loads(json.dumps(event)) == event


def test_a_custom_id_tag_fixes_the_api_id(server, rest_api, deploy, apigateway):
    """`_custom_id_` keeps an API's URL across redeploys; the id is unique across REST and
    HTTP APIs, and must read as an API id."""
    api = rest_api(name="fixed", tags={"_custom_id_": "myshop"})
    api.method("/hello", "GET", deploy(ECHO))
    api.deploy("prod")
    http = server.client("apigatewayv2")

    with pytest.raises(ClientError) as taken:
        http.create_api(Name="clash", ProtocolType="HTTP", Tags={"_custom_id_": "myshop"})
    with pytest.raises(ClientError) as bad:
        apigateway.create_rest_api(name="bad", tags={"_custom_id_": "Not_Valid"})
    made = http.create_api(Name="fixed-http", ProtocolType="HTTP", Tags={"_custom_id_": "myhttp"})
    http.delete_api(ApiId=made["ApiId"])

    assert api.id == "myshop"
    assert api.call("GET", "/prod/hello", by_host=True).status_code == 200
    assert taken.value.response["Error"]["Code"] == "ConflictException"
    assert bad.value.response["Error"]["Code"] == "BadRequestException"
    assert made["ApiId"] == "myhttp"
