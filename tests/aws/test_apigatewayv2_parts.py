"""apigatewayv2's VPC links, the WebSocket-only parts (models, route responses, integration
responses) as AWS answers them for an HTTP API, and the Delete… calls of one stage or route
member, through boto3 against a real server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:fn"


@pytest.fixture(scope="module")
def apigw(server: Any) -> Any:
    return server.client("apigatewayv2")


@pytest.fixture
def api(apigw: Any) -> Iterator[dict[str, str]]:
    """An HTTP API with one route to one integration: their ids."""
    api_id = apigw.create_api(Name="parts", ProtocolType="HTTP")["ApiId"]
    integration = apigw.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=FUNCTION,
        PayloadFormatVersion="2.0",
    )["IntegrationId"]  # fmt: skip
    route = apigw.create_route(
        ApiId=api_id, RouteKey="GET /pets", Target=f"integrations/{integration}"
    )["RouteId"]
    yield {"api": api_id, "route": route, "integration": integration}
    apigw.delete_api(ApiId=api_id)


def _code(caught: pytest.ExceptionInfo[ClientError]) -> str:
    return str(caught.value.response["Error"]["Code"])


def test_vpc_links_are_pending_then_available(apigw):
    made = apigw.create_vpc_link(Name="link", SubnetIds=["subnet-a"], SecurityGroupIds=["sg-1"])
    try:
        assert (made["VpcLinkStatus"], made["VpcLinkVersion"]) == ("PENDING", "V2")
        found = apigw.get_vpc_link(VpcLinkId=made["VpcLinkId"])
        assert found["VpcLinkStatus"] == "AVAILABLE"
        assert found["SubnetIds"] == ["subnet-a"]
        assert made["VpcLinkId"] in [v["VpcLinkId"] for v in apigw.get_vpc_links()["Items"]]
        assert apigw.update_vpc_link(VpcLinkId=made["VpcLinkId"], Name="renamed")["Name"] == (
            "renamed"
        )
    finally:
        apigw.delete_vpc_link(VpcLinkId=made["VpcLinkId"])
    with pytest.raises(ClientError) as gone:
        apigw.get_vpc_link(VpcLinkId=made["VpcLinkId"])
    assert _code(gone) == "NotFoundException"


def test_websocket_only_parts_answer_as_for_an_http_api(apigw, api):
    api_id, route, integration = api["api"], api["route"], api["integration"]
    with pytest.raises(ClientError) as model:
        apigw.create_model(ApiId=api_id, Name="Pet", Schema="{}")
    with pytest.raises(ClientError) as route_response:
        apigw.create_route_response(ApiId=api_id, RouteId=route, RouteResponseKey="$default")
    with pytest.raises(ClientError) as integration_response:
        apigw.create_integration_response(
            ApiId=api_id, IntegrationId=integration, IntegrationResponseKey="$default"
        )
    with pytest.raises(ClientError) as no_route:
        apigw.create_route_response(ApiId=api_id, RouteId="nosuch", RouteResponseKey="$default")
    with pytest.raises(ClientError) as no_model:
        apigw.get_model(ApiId=api_id, ModelId="abc")
    with pytest.raises(ClientError) as no_template:
        apigw.get_model_template(ApiId=api_id, ModelId="abc")

    assert [_code(c) for c in (model, route_response, integration_response)] == [
        "BadRequestException"
    ] * 3
    assert "WebSocket" in model.value.response["Error"]["Message"]
    assert _code(no_route) == "NotFoundException"
    assert _code(no_model) == "NotFoundException"
    assert _code(no_template) == "NotFoundException"
    assert apigw.get_models(ApiId=api_id)["Items"] == []
    assert apigw.get_route_responses(ApiId=api_id, RouteId=route)["Items"] == []
    assert apigw.get_integration_responses(ApiId=api_id, IntegrationId=integration)["Items"] == []


def test_one_member_of_a_stage_or_route_can_be_deleted(apigw, api):
    api_id, route = api["api"], api["route"]
    apigw.create_stage(
        ApiId=api_id, StageName="prod",
        AccessLogSettings={"DestinationArn": "arn:aws:logs:us-east-1:000000000000:log-group:a",
                           "Format": "$context.requestId"},
        RouteSettings={"GET /pets": {"ThrottlingRateLimit": 5.0, "ThrottlingBurstLimit": 2}},
    )  # fmt: skip
    assert apigw.get_stage(ApiId=api_id, StageName="prod")["AccessLogSettings"]["Format"] == (
        "$context.requestId"
    )

    apigw.delete_access_log_settings(ApiId=api_id, StageName="prod")
    apigw.delete_route_settings(ApiId=api_id, StageName="prod", RouteKey="GET /pets")
    stage = apigw.get_stage(ApiId=api_id, StageName="prod")

    assert "AccessLogSettings" not in stage
    assert "GET /pets" not in (stage.get("RouteSettings") or {})
    with pytest.raises(ClientError) as again:
        apigw.delete_route_settings(ApiId=api_id, StageName="prod", RouteKey="GET /pets")
    assert _code(again) == "NotFoundException"
    with pytest.raises(ClientError) as parameter:
        apigw.delete_route_request_parameter(
            ApiId=api_id, RouteId=route, RequestParameterKey="route.request.querystring.q"
        )
    assert _code(parameter) == "NotFoundException"
