"""Custom domain names: created through either API Gateway API (one shared set, as on AWS),
mapped to REST and HTTP API stages by base path, served under their own Host name."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

ECHO = """
def handler(event, context):
    return {"statusCode": 200, "body": event.get("rawPath") or event.get("path")}
"""


@pytest.fixture(scope="module")
def apigw2(server: Any) -> Any:
    return server.client("apigatewayv2")


def _get(server: Any, host: str, path: str) -> httpx.Response:
    return httpx.get(f"{server.endpoint_url}{path}", headers={"host": host}, timeout=30)


def test_mappings_route_by_base_path_to_rest_and_http_apis(
    server, rest_api, deploy, apigateway, apigw2
):
    function = deploy(ECHO)
    rest = rest_api()
    rest.method("/pets", "GET", function)
    rest.deploy("prod")
    http_api = apigw2.create_api(
        Name="domain-target", ProtocolType="HTTP",
        Target=f"arn:aws:lambda:{server.settings.region}:{server.settings.account_id}:function:{function}",
    )["ApiId"]  # fmt: skip
    made = apigateway.create_domain_name(
        domainName="api.example.localhost", endpointConfiguration={"types": ["REGIONAL"]},
        regionalCertificateArn="arn:aws:acm:us-east-1:000000000000:certificate/x",
    )  # fmt: skip
    try:
        apigateway.create_base_path_mapping(
            domainName="api.example.localhost", restApiId=rest.id, stage="prod"
        )
        mapping = apigw2.create_api_mapping(
            DomainName="api.example.localhost", ApiId=http_api, Stage="$default",
            ApiMappingKey="orders/v2",
        )  # fmt: skip
        with pytest.raises(ClientError) as again:
            apigateway.create_domain_name(domainName="api.example.localhost")
        with pytest.raises(ClientError) as taken:
            apigateway.create_base_path_mapping(
                domainName="api.example.localhost", restApiId=rest.id, stage="prod"
            )
        with pytest.raises(ClientError) as no_stage:
            apigw2.create_api_mapping(
                DomainName="api.example.localhost", ApiId=http_api, Stage="nope", ApiMappingKey="x"
            )

        to_rest = _get(server, "api.example.localhost", "/pets")
        to_http = _get(server, f"api.example.localhost:{server.settings.port}", "/orders/v2/list")
        unmapped = _get(server, "other.example.localhost", "/pets")
        seen_by_v2 = apigw2.get_domain_name(DomainName="api.example.localhost")
        mappings = apigateway.get_base_path_mappings(domainName="api.example.localhost")["items"]
        apigw2.delete_api_mapping(
            DomainName="api.example.localhost", ApiMappingId=mapping["ApiMappingId"]
        )
        after = _get(server, "api.example.localhost", "/orders/v2/list")
    finally:
        apigateway.delete_domain_name(domainName="api.example.localhost")
        apigw2.delete_api(ApiId=http_api)

    assert made["regionalDomainName"].endswith(".execute-api.localhost")
    assert made["domainNameStatus"] == "AVAILABLE"
    assert (to_rest.status_code, to_rest.text) == (200, "/pets")
    assert (to_http.status_code, to_http.text) == (200, "/list")
    assert unmapped.status_code != 200
    assert seen_by_v2["DomainNameConfigurations"][0]["EndpointType"] == "REGIONAL"
    assert sorted(m["basePath"] for m in mappings) == ["(none)", "orders/v2"]
    assert after.status_code == 403  # the REST API's root mapping now: it has no such path
    assert again.value.response["Error"]["Code"] == "ConflictException"
    assert taken.value.response["Error"]["Code"] == "ConflictException"
    assert no_stage.value.response["Error"]["Code"] == "NotFoundException"
    with pytest.raises(ClientError) as gone:
        apigw2.get_domain_name(DomainName="api.example.localhost")
    assert gone.value.response["Error"]["Code"] == "NotFoundException"


@pytest.mark.parametrize("name", ["not a domain", "-x.example.com", "a..b"])
def test_bad_domain_names_are_refused(apigateway, name):
    with pytest.raises(ClientError) as caught:
        apigateway.create_domain_name(domainName=name)
    assert caught.value.response["Error"]["Code"] == "BadRequestException"
