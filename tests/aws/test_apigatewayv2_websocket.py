"""WebSocket APIs' control plane through boto3's `apigatewayv2`: the API and its selection
expression, route keys, integrations, route responses, integration responses and models,
explicit deployments, and the errors AWS answers for what does not fit."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from websockets.sync.client import connect


@pytest.fixture(scope="module")
def apigw(server: Any) -> Any:
    return server.client("apigatewayv2")


@pytest.fixture
def api(apigw: Any) -> Iterator[Callable[..., dict[str, Any]]]:
    made: list[str] = []

    def create(**params: Any) -> dict[str, Any]:
        params = {"Name": "ws", "ProtocolType": "WEBSOCKET"} | params
        found: dict[str, Any] = apigw.create_api(**params)
        made.append(found["ApiId"])
        return found

    yield create
    for api_id in made:
        apigw.delete_api(ApiId=api_id)


def _error(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_a_websocket_api_and_its_routes(server, apigw, api):
    """CreateApi takes ProtocolType WEBSOCKET with a RouteSelectionExpression and answers a
    ws:// endpoint; route keys are $connect, $disconnect, $default or the API's own."""
    made = api(RouteSelectionExpression="$request.body.action", Description="chat")
    api_id = made["ApiId"]
    keys = ["$connect", "$disconnect", "$default", "sendmessage"]
    routes = [apigw.create_route(ApiId=api_id, RouteKey=key) for key in keys]
    updated = apigw.update_api(ApiId=api_id, RouteSelectionExpression="${request.body.type}")

    assert made["ProtocolType"] == "WEBSOCKET"
    assert made["ApiEndpoint"] == f"ws://{api_id}.execute-api.localhost:{server.settings.port}"
    assert made["RouteSelectionExpression"] == "$request.body.action"
    assert made["ApiKeySelectionExpression"] == "$request.header.x-api-key"
    assert [r["RouteKey"] for r in routes] == keys
    assert updated["RouteSelectionExpression"] == "${request.body.type}"
    assert sorted(r["RouteKey"] for r in apigw.get_routes(ApiId=api_id)["Items"]) == sorted(keys)


def test_what_a_websocket_api_refuses(apigw, api):
    """No selection expression, a reserved key of its own, payload format 2.0, CORS, quick
    create and RouteResponseSelectionExpression other than $default are BadRequest, and so
    are authorizers and API keys (not applied yet); a second route with the same key is a
    conflict; HTTP APIs refuse WebSocket members."""
    api_id = api(RouteSelectionExpression="$request.body.action")["ApiId"]
    arn = "arn:aws:lambda:us-east-1:000000000000:function:f"

    assert _error(lambda: apigw.create_api(Name="x", ProtocolType="WEBSOCKET"))[0] == (
        "BadRequestException"
    )
    assert _error(
        lambda: apigw.create_api(
            Name="x",
            ProtocolType="WEBSOCKET",
            RouteSelectionExpression="$request.body.a",
            Target=arn,
        )
    ) == ("BadRequestException", "Quick create (Target) is supported only for HTTP APIs")
    code, message = _error(lambda: apigw.create_route(ApiId=api_id, RouteKey="$other"))
    assert code == "BadRequestException"
    assert "reserved" in message
    apigw.create_route(ApiId=api_id, RouteKey="ping")
    assert _error(lambda: apigw.create_route(ApiId=api_id, RouteKey="ping"))[0] == (
        "ConflictException"
    )
    assert (
        _error(
            lambda: apigw.create_route(
                ApiId=api_id, RouteKey="pong", RouteResponseSelectionExpression="$request.body.x"
            )
        )[0]
        == "BadRequestException"
    )
    assert _error(
        lambda: apigw.create_integration(
            ApiId=api_id,
            IntegrationType="AWS_PROXY",
            IntegrationUri=arn,
            PayloadFormatVersion="2.0",
        )
    ) == ("BadRequestException", "WebSocket APIs support PayloadFormatVersion 1.0 only")
    http_id = api(Name="h", ProtocolType="HTTP")["ApiId"]
    assert (
        _error(
            lambda: apigw.create_route(
                ApiId=http_id, RouteKey="GET /x", RouteResponseSelectionExpression="$default"
            )
        )[0]
        == "BadRequestException"
    )


def test_route_responses_integration_responses_and_models(apigw, api):
    """The WebSocket-only parts are created, listed, read, updated and deleted; deleting a
    route takes its route responses with it; HTTP APIs still answer that they have none."""
    api_id = api(RouteSelectionExpression="$request.body.action")["ApiId"]
    route_id = apigw.create_route(
        ApiId=api_id, RouteKey="$default", RouteResponseSelectionExpression="$default"
    )["RouteId"]
    integration_id = apigw.create_integration(
        ApiId=api_id, IntegrationType="MOCK", RequestTemplates={"$default": '{"statusCode":200}'},
        TemplateSelectionExpression="\\$default",
    )["IntegrationId"]  # fmt: skip
    response = apigw.create_route_response(
        ApiId=api_id, RouteId=route_id, RouteResponseKey="$default"
    )
    integration_response = apigw.create_integration_response(
        ApiId=api_id, IntegrationId=integration_id, IntegrationResponseKey="$default",
        ResponseTemplates={"$default": '{"ok": true}'},
    )  # fmt: skip
    schema = {"type": "object", "properties": {"action": {"type": "string"}}}
    model = apigw.create_model(
        ApiId=api_id, Name="Message", ContentType="application/json", Schema=json.dumps(schema)
    )
    listed = apigw.get_route_responses(ApiId=api_id, RouteId=route_id)["Items"]
    read = apigw.get_integration_response(
        ApiId=api_id, IntegrationId=integration_id,
        IntegrationResponseId=integration_response["IntegrationResponseId"],
    )  # fmt: skip
    renamed = apigw.update_model(ApiId=api_id, ModelId=model["ModelId"], Description="msg")
    template = apigw.get_model_template(ApiId=api_id, ModelId=model["ModelId"])["Value"]
    second = _error(
        lambda: apigw.create_route_response(
            ApiId=api_id, RouteId=route_id, RouteResponseKey="$default"
        )
    )
    apigw.delete_route(ApiId=api_id, RouteId=route_id)
    gone = _error(
        lambda: apigw.get_route_response(
            ApiId=api_id, RouteId=route_id, RouteResponseId=response["RouteResponseId"]
        )
    )
    http_id = api(Name="h", ProtocolType="HTTP")["ApiId"]

    assert response["RouteResponseKey"] == "$default"
    assert "RouteId" not in response
    assert [r["RouteResponseId"] for r in listed] == [response["RouteResponseId"]]
    assert read["ResponseTemplates"] == {"$default": '{"ok": true}'}
    assert json.loads(model["Schema"]) == schema
    assert renamed["Description"] == "msg"
    assert renamed["Name"] == "Message"
    assert '"action" : "$inputRoot.action"' in template
    assert second[0] == "ConflictException"
    assert gone[0] == "NotFoundException"
    assert apigw.get_models(ApiId=api_id)["Items"][0]["Name"] == "Message"
    assert apigw.get_models(ApiId=http_id)["Items"] == []
    assert _error(lambda: apigw.create_model(ApiId=http_id, Name="M", Schema="{}"))[0] == (
        "BadRequestException"
    )


ECHO = """
def handler(event, context):
    return {"statusCode": 200, "body": "v1:" + event["body"]}
"""


def test_a_stage_without_auto_deploy_serves_its_deployment(server, apigw, api, deploy):
    """CreateDeployment freezes the routes and route responses: a stage pointing at it
    answers as deployed, and a route response added later changes nothing until the next
    deployment."""
    function = deploy(ECHO)
    arn = (
        f"arn:aws:lambda:{server.settings.region}:{server.settings.account_id}:function:{function}"
    )
    api_id = api(RouteSelectionExpression="$request.body.action")["ApiId"]
    integration = apigw.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=arn
    )
    route_id = apigw.create_route(
        ApiId=api_id, RouteKey="$default", Target=f"integrations/{integration['IntegrationId']}"
    )["RouteId"]
    apigw.create_stage(ApiId=api_id, StageName="live")
    first = apigw.create_deployment(ApiId=api_id, StageName="live")
    apigw.create_route_response(ApiId=api_id, RouteId=route_id, RouteResponseKey="$default")
    url = f"{server.endpoint_url.replace('http', 'ws')}/_aws/execute-api/{api_id}/live"

    with connect(url, open_timeout=60) as ws:
        ws.send("one-way")
        with pytest.raises(TimeoutError):
            ws.recv(timeout=5)
    apigw.create_deployment(ApiId=api_id, StageName="live")
    with connect(url, open_timeout=60) as ws:
        ws.send("two-way")
        answer = ws.recv(timeout=60)

    assert first["DeploymentStatus"] == "DEPLOYED"
    assert answer == "v1:two-way"
