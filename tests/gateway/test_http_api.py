"""HTTP APIs end to end: apigatewayv2 through boto3, then real HTTP requests to the API."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

ECHO = """
import json

def handler(event, context):
    return {
        "statusCode": 201,
        "headers": {"x-echo": "yes"},
        "cookies": ["a=1", "b=2"],
        "body": json.dumps(event),
    }
"""


@pytest.fixture(scope="module")
def apigw(server: Any) -> Any:
    return server.client("apigatewayv2")


@pytest.fixture
def api(apigw: Any) -> Any:
    """Creates APIs (deleted after the test); returns the create_api function."""
    created: list[str] = []

    def create(**params: Any) -> dict[str, Any]:
        found: dict[str, Any] = apigw.create_api(Name="test", ProtocolType="HTTP", **params)
        created.append(found["ApiId"])
        return found

    yield create
    for api_id in created:
        apigw.delete_api(ApiId=api_id)


def arn(server: Any, name: str) -> str:
    return f"arn:aws:lambda:{server.settings.region}:{server.settings.account_id}:function:{name}"


def call(
    server: Any, api_id: str, path: str, method: str = "GET", *, by_host: bool = False, **kw: Any
) -> httpx.Response:
    """A request to the API, addressed by path (default) or by Host header."""
    if by_host:
        headers = {"host": f"{api_id}.execute-api.localhost:{server.settings.port}"}
        headers |= kw.pop("headers", {})
        return httpx.request(method, f"{server.endpoint_url}{path}", headers=headers, **kw)
    url = f"{server.endpoint_url}/_aws/execute-api/{api_id}{path}"
    return httpx.request(method, url, **kw)


def with_proxy_route(apigw: Any, api_id: str, target: str, key: str, version: str) -> None:
    integration = apigw.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=target,
        PayloadFormatVersion=version,
    )  # fmt: skip
    apigw.create_route(
        ApiId=api_id, RouteKey=key, Target=f"integrations/{integration['IntegrationId']}"
    )


@pytest.mark.parametrize("by_host", [False, True])
def test_quick_create_serves_payload_2_0(server, api, deploy, by_host):
    """Quick create routes every request to the function with a payload 2.0 event, and its
    result becomes the response (status, headers, cookies, body)."""
    name = deploy(ECHO)
    created = api(Target=arn(server, name))

    response = call(
        server, created["ApiId"], "/pets/dog?x=1&x=2", "POST", by_host=by_host,
        headers={"Cookie": "c=3; d=4", "content-type": "application/json"}, content=b'{"k":1}',
    )  # fmt: skip

    assert response.status_code == 201
    assert response.headers["x-echo"] == "yes"
    assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]
    assert response.headers["apigw-requestid"]
    assert response.headers["content-length"] == str(len(response.content))
    event = response.json()
    assert event["version"] == "2.0"
    assert event["routeKey"] == "$default"
    assert event["rawPath"] == "/pets/dog"
    assert event["rawQueryString"] == "x=1&x=2"
    assert event["queryStringParameters"] == {"x": "1,2"}
    assert event["cookies"] == ["c=3", "d=4"]
    assert event["body"] == '{"k":1}'
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["apiId"] == created["ApiId"]
    assert context["stage"] == "$default"
    assert context["http"]["method"] == "POST"
    assert context["requestId"] == response.headers["apigw-requestid"]
    assert context["accountId"] == server.settings.account_id
    assert context["domainName"] == f"{created['ApiId']}.execute-api.localhost"


def test_quick_create_makes_route_integration_and_stage(server, apigw, api, deploy):
    """CreateApi with Target reports a $default route, an AWS_PROXY 2.0 integration and an
    auto-deployed $default stage, all managed by API Gateway."""
    name = deploy(ECHO)
    created = api(Target=arn(server, name), Description="d", Tags={"team": "x"})
    api_id = created["ApiId"]

    routes = apigw.get_routes(ApiId=api_id)["Items"]
    integrations = apigw.get_integrations(ApiId=api_id)["Items"]
    stages = apigw.get_stages(ApiId=api_id)["Items"]

    assert re.fullmatch("[a-z0-9]{10}", api_id)
    assert created["ApiEndpoint"] == f"http://{api_id}.execute-api.localhost:{server.settings.port}"
    assert created["ProtocolType"] == "HTTP"
    assert created["Tags"] == {"team": "x"}
    assert apigw.get_api(ApiId=api_id)["Description"] == "d"
    assert [(r["RouteKey"], r["ApiGatewayManaged"]) for r in routes] == [("$default", True)]
    assert routes[0]["Target"] == f"integrations/{integrations[0]['IntegrationId']}"
    assert integrations[0]["IntegrationType"] == "AWS_PROXY"
    assert integrations[0]["PayloadFormatVersion"] == "2.0"
    assert integrations[0]["TimeoutInMillis"] == 30000
    assert [(s["StageName"], s["AutoDeploy"]) for s in stages] == [("$default", True)]
    assert api_id in [a["ApiId"] for a in apigw.get_apis()["Items"]]


def test_routes_with_path_parameters_greedy_paths_and_any(server, apigw, api, deploy):
    """The most specific route wins; path parameters, greedy paths and ANY reach the event."""
    target = arn(server, deploy(ECHO))
    api_id = api()["ApiId"]
    apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    for key in ("GET /pets/{id}", "ANY /files/{path+}", "GET /pets/dog"):
        with_proxy_route(apigw, api_id, target, key, "2.0")

    one = call(server, api_id, "/pets/7").json()
    literal = call(server, api_id, "/pets/dog").json()
    greedy = call(server, api_id, "/files/a/b%20c.txt", "DELETE").json()
    missing = call(server, api_id, "/nothing")

    assert (one["routeKey"], one["pathParameters"]) == ("GET /pets/{id}", {"id": "7"})
    assert literal["routeKey"] == "GET /pets/dog"
    assert "pathParameters" not in literal
    assert greedy["routeKey"] == "ANY /files/{path+}"
    assert greedy["pathParameters"] == {"path": "a/b c.txt"}
    assert missing.status_code == 404
    assert missing.json() == {"message": "Not Found"}


def test_named_stage_with_variables_and_payload_1_0(server, apigw, api, deploy):
    """A named stage is addressed by its prefix and passes its variables; an integration
    with payload format 1.0 gets a 1.0 event."""
    target = arn(server, deploy(ECHO))
    api_id = api()["ApiId"]
    apigw.create_stage(
        ApiId=api_id, StageName="prod", StageVariables={"color": "blue"}, AutoDeploy=True
    )
    with_proxy_route(apigw, api_id, target, "GET /pets/{id}", "1.0")

    response = call(server, api_id, "/prod/pets/1?a=1&a=2", by_host=True)
    unknown_stage = call(server, api_id, "/beta/pets/1")

    assert response.status_code == 201
    event = response.json()
    assert event["version"] == "1.0"
    assert event["path"] == "/prod/pets/1"
    assert event["resource"] == "/pets/{id}"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"id": "1"}
    assert event["stageVariables"] == {"color": "blue"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"]}
    assert event["requestContext"]["stage"] == "prod"
    assert unknown_stage.status_code == 404


def test_response_inference_and_binary_bodies(server, api, deploy):
    """A plain result becomes a 200 JSON response; a base64 result body is decoded, and a
    binary request body reaches the handler base64-encoded."""
    name = deploy(
        """
        import base64

        def handler(event, context):
            if event["rawPath"] == "/plain":
                return {"hello": "world"}
            raw = base64.b64decode(event["body"]) if event["isBase64Encoded"] else b""
            return {"statusCode": 200, "isBase64Encoded": True,
                    "body": base64.b64encode(raw[::-1]).decode()}
        """
    )
    api_id = api(Target=arn(server, name))["ApiId"]

    plain = call(server, api_id, "/plain")
    binary = call(
        server, api_id, "/bin", "POST", content=b"\x00\x01\xff",
        headers={"content-type": "application/octet-stream"},
    )  # fmt: skip

    assert plain.status_code == 200
    assert plain.headers["content-type"] == "application/json"
    assert plain.json() == {"hello": "world"}
    assert binary.content == base64.b64decode(base64.b64encode(b"\xff\x01\x00"))


def test_function_error_is_a_500(server, api, deploy):
    """A handler that raises gives HTTP APIs' internal error."""
    name = deploy("def handler(event, context):\n    raise ValueError('boom')\n")
    api_id = api(Target=arn(server, name))["ApiId"]

    response = call(server, api_id, "/")

    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}
    assert response.headers["apigw-requestid"]


def test_unknown_api_is_a_404_and_other_requests_pass_through(server):
    """An unknown API id gets API Gateway's 404; a Host that is not an API's leaves the
    request to the AWS endpoint."""
    unknown = call(server, "abcdefghij", "/x")
    by_host = call(server, "abcdefghij", "/", by_host=True)
    health = httpx.get(f"{server.endpoint_url}/_stratus/health", headers={"host": "localhost"})

    assert (unknown.status_code, unknown.json()) == (404, {"message": "Not Found"})
    assert by_host.status_code == 404
    assert health.status_code == 200


def test_oversized_payload_is_a_413(server, api, deploy):
    """A body over 10 MB is refused before the function runs."""
    api_id = api(Target=arn(server, deploy(ECHO)))["ApiId"]

    response = call(server, api_id, "/", "POST", content=b"x" * (10 * 1024 * 1024 + 1))

    assert response.status_code == 413
    assert response.json() == {"message": "Request Entity Too Large"}


def test_throttled_function_is_a_429(server, api, deploy, lambda_client):
    """A function with reserved concurrency 0 is throttled: 429 Too Many Requests."""
    name = deploy(ECHO)
    lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    api_id = api(Target=arn(server, name))["ApiId"]

    response = call(server, api_id, "/")

    assert response.status_code == 429
    assert response.json() == {"message": "Too Many Requests"}


def _error(call_: Callable[[], Any]) -> tuple[str, int]:
    with pytest.raises(ClientError) as raised:
        call_()
    error = raised.value.response
    return error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]


def test_control_plane_errors(server, apigw, api, deploy):
    """Unknown ids are NotFoundException, bad input BadRequestException, a second route
    with the same key ConflictException."""
    api_id = api(Target=arn(server, deploy(ECHO)))["ApiId"]
    route_id = apigw.get_routes(ApiId=api_id)["Items"][0]["RouteId"]

    assert _error(lambda: apigw.get_api(ApiId="nosuchapi1")) == ("NotFoundException", 404)
    assert _error(lambda: apigw.get_route(ApiId=api_id, RouteId="nope")) == (
        "NotFoundException",
        404,
    )
    assert _error(lambda: apigw.create_route(ApiId=api_id, RouteKey="$default")) == (
        "ConflictException",
        409,
    )
    assert _error(lambda: apigw.create_route(ApiId=api_id, RouteKey="FETCH /x")) == (
        "BadRequestException",
        400,
    )
    assert _error(
        lambda: apigw.create_integration(
            ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri="not an arn",
            PayloadFormatVersion="2.0",
        )
    ) == ("BadRequestException", 400)  # fmt: skip
    assert _error(lambda: apigw.create_stage(ApiId=api_id, StageName="$default")) == (
        "ConflictException",
        409,
    )
    assert _error(lambda: apigw.create_api(Name="w", ProtocolType="WEBSOCKET")) == (
        "BadRequestException",
        400,
    )
    assert _error(lambda: apigw.get_api(ApiId="nosuchapi1"))[0] == "NotFoundException"
    assert apigw.update_route(ApiId=api_id, RouteId=route_id, RouteKey="GET /x")["RouteKey"] == (
        "GET /x"
    )


def test_update_and_delete(server, apigw, api, deploy):
    """UpdateApi changes the name; deleted routes stop serving; DeleteApi removes it all."""
    created = api(Target=arn(server, deploy(ECHO)))
    api_id = created["ApiId"]
    route_id = apigw.get_routes(ApiId=api_id)["Items"][0]["RouteId"]

    renamed = apigw.update_api(ApiId=api_id, Name="renamed")
    apigw.delete_route(ApiId=api_id, RouteId=route_id)
    after_route = call(server, api_id, "/")

    assert renamed["Name"] == "renamed"
    assert after_route.status_code == 404
    assert json.loads(after_route.content) == {"message": "Not Found"}


def test_named_stage_prefix_wins_over_default_stage(server, apigw, api, deploy):
    """With both a `$default` and a `prod` stage, `/prod/...` selects prod and any other
    path goes to `$default` whole."""
    api_id = api(Target=arn(server, deploy(ECHO)))["ApiId"]
    apigw.create_stage(ApiId=api_id, StageName="prod", AutoDeploy=True)

    staged = call(server, api_id, "/prod/pets").json()
    default = call(server, api_id, "/production/pets").json()

    assert (staged["requestContext"]["stage"], staged["rawPath"]) == ("prod", "/prod/pets")
    assert (default["requestContext"]["stage"], default["rawPath"]) == (
        "$default",
        "/production/pets",
    )


def test_integration_timeout_is_a_503(server, apigw, api, deploy):
    """A function slower than the integration's TimeoutInMillis: 503 Service Unavailable,
    on time, while the function runs on."""
    name = deploy(
        "import time\n\ndef handler(event, context):\n    time.sleep(3)\n    return 'late'\n",
        Timeout=10,
    )
    api_id = api()["ApiId"]
    apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    integration = apigw.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=arn(server, name),
        PayloadFormatVersion="2.0", TimeoutInMillis=1000,
    )  # fmt: skip
    apigw.create_route(
        ApiId=api_id, RouteKey="$default", Target=f"integrations/{integration['IntegrationId']}"
    )
    started = time.monotonic()

    response = call(server, api_id, "/")

    assert response.status_code == 503
    assert response.json() == {"message": "Service Unavailable"}
    assert time.monotonic() - started < 2.9


def test_a_stage_without_auto_deploy_serves_its_deployment(server, apigw, api, deploy):
    """Nothing until deployed; then the routes as they were at the deployment, until the
    next one; a stage can go back to an older deployment; a served deployment cannot be
    deleted; AutoDeploy stages and APIs without routes are refused as on AWS."""
    api_id = api()["ApiId"]
    target = arn(server, deploy(ECHO))
    apigw.create_stage(ApiId=api_id, StageName="prod")
    with pytest.raises(ClientError) as no_routes:
        apigw.create_deployment(ApiId=api_id, StageName="prod")
    with_proxy_route(apigw, api_id, target, "GET /first", "2.0")

    before = call(server, api_id, "/prod/first").status_code
    first = apigw.create_deployment(ApiId=api_id, StageName="prod", Description="one")
    with_proxy_route(apigw, api_id, target, "GET /second", "2.0")
    served_first = [call(server, api_id, f"/prod/{p}").status_code for p in ("first", "second")]
    second = apigw.create_deployment(ApiId=api_id, StageName="prod")
    served_second = call(server, api_id, "/prod/second").status_code
    apigw.update_stage(ApiId=api_id, StageName="prod", DeploymentId=first["DeploymentId"])
    back = call(server, api_id, "/prod/second").status_code
    with pytest.raises(ClientError) as in_use:
        apigw.delete_deployment(ApiId=api_id, DeploymentId=first["DeploymentId"])
    apigw.delete_deployment(ApiId=api_id, DeploymentId=second["DeploymentId"])
    apigw.create_stage(ApiId=api_id, StageName="auto", AutoDeploy=True)
    with pytest.raises(ClientError) as auto:
        apigw.create_deployment(ApiId=api_id, StageName="auto")
    listed = apigw.get_deployments(ApiId=api_id)["Items"]

    assert no_routes.value.response["Error"]["Code"] == "BadRequestException"
    assert before == 404
    assert (first["DeploymentStatus"], first["Description"]) == ("DEPLOYED", "one")
    assert served_first == [201, 404]
    assert served_second == 201
    assert back == 404
    assert apigw.get_stage(ApiId=api_id, StageName="prod")["DeploymentId"] == first["DeploymentId"]
    assert in_use.value.response["Error"]["Code"] == "BadRequestException"
    assert auto.value.response["Error"]["Code"] == "BadRequestException"
    assert [d["DeploymentId"] for d in listed] == [first["DeploymentId"]]
    assert call(server, api_id, "/auto/second").status_code == 201  # AutoDeploy: live
