"""HTTP APIs' private integrations (HTTP_PROXY with ConnectionType VPC_LINK): the link's
stratus:target tag is where requests go, with the stage in the path as AWS sends it; a link
without a target answers 500."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError


@pytest.fixture(scope="module")
def apigw(server: Any) -> Any:
    return server.client("apigatewayv2")


LISTENER = "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/alb/abc/def"


def test_a_private_integration_reaches_its_links_target(server, apigw, target):
    linked = apigw.create_vpc_link(Name="alb", SubnetIds=["subnet-1"],
                                   Tags={"stratus:target": target})  # fmt: skip
    unbacked = apigw.create_vpc_link(Name="empty", SubnetIds=["subnet-1"])
    api_id = apigw.create_api(Name="private", ProtocolType="HTTP")["ApiId"]
    try:
        for key, link in (("GET /items/{id}", linked), ("GET /nothing", unbacked)):
            made = apigw.create_integration(
                ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="ANY",
                IntegrationUri=LISTENER, ConnectionType="VPC_LINK",
                ConnectionId=link["VpcLinkId"], PayloadFormatVersion="1.0",
            )  # fmt: skip
            assert (made["ConnectionType"], made["ConnectionId"]) == ("VPC_LINK", link["VpcLinkId"])
            apigw.create_route(ApiId=api_id, RouteKey=key,
                               Target=f"integrations/{made['IntegrationId']}")  # fmt: skip
        apigw.create_stage(ApiId=api_id, StageName="test", AutoDeploy=True)
        base = f"{server.endpoint_url}/_aws/execute-api/{api_id}"

        reached = httpx.get(f"{base}/test/items/7?x=1", timeout=30)
        refused = httpx.get(f"{base}/test/nothing", timeout=30)

        assert reached.status_code == 207
        assert reached.json()["path"] == "/test/items/7?x=1"
        assert refused.status_code == 500
        assert refused.json() == {"message": "Internal Server Error"}
        with pytest.raises(ClientError) as no_link:
            apigw.create_integration(
                ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationUri=LISTENER,
                ConnectionType="VPC_LINK", PayloadFormatVersion="1.0",
            )  # fmt: skip
        assert no_link.value.response["Error"]["Code"] == "BadRequestException"
    finally:
        apigw.delete_api(ApiId=api_id)
        for link in (linked, unbacked):
            apigw.delete_vpc_link(VpcLinkId=link["VpcLinkId"])
