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


def test_private_domains_take_access_associations(apigateway):
    """A PRIVATE domain has a domainNameId and ARN; access associations to it are stored as
    AWS answers them (nothing to enforce here), listed, rejected or deleted."""
    made = apigateway.create_domain_name(
        domainName="private.example.localhost", endpointConfiguration={"types": ["PRIVATE"]},
        certificateArn="arn:aws:acm:us-east-1:000000000000:certificate/x",
    )  # fmt: skip
    public = apigateway.create_domain_name(
        domainName="public.example.localhost", endpointConfiguration={"types": ["REGIONAL"]},
        regionalCertificateArn="arn:aws:acm:us-east-1:000000000000:certificate/x",
    )  # fmt: skip
    try:
        arn = made["domainNameArn"]
        assert arn.endswith(f":/domainnames/private.example.localhost+{made['domainNameId']}")
        first = apigateway.create_domain_name_access_association(
            domainNameArn=arn, accessAssociationSourceType="VPCE",
            accessAssociationSource="vpce-0abc", tags={"team": "a"},
        )  # fmt: skip
        second = apigateway.create_domain_name_access_association(
            domainNameArn=arn, accessAssociationSourceType="VPCE", accessAssociationSource="vpce-1"
        )
        with pytest.raises(ClientError) as twice:
            apigateway.create_domain_name_access_association(
                domainNameArn=arn, accessAssociationSourceType="VPCE",
                accessAssociationSource="vpce-0abc",
            )  # fmt: skip
        with pytest.raises(ClientError) as not_private:
            apigateway.create_domain_name_access_association(
                domainNameArn=arn.replace("private.", "public.").rsplit("+", 1)[0] + "+x",
                accessAssociationSourceType="VPCE", accessAssociationSource="vpce-2",
            )  # fmt: skip
        listed = apigateway.get_domain_name_access_associations()["items"]
        others = apigateway.get_domain_name_access_associations(resourceOwner="OTHER_ACCOUNTS")
        apigateway.reject_domain_name_access_association(
            domainNameAccessAssociationArn=second["domainNameAccessAssociationArn"],
            domainNameArn=arn,
        )  # fmt: skip
        apigateway.delete_domain_name_access_association(
            domainNameAccessAssociationArn=first["domainNameAccessAssociationArn"]
        )
        with pytest.raises(ClientError) as gone:
            apigateway.delete_domain_name_access_association(
                domainNameAccessAssociationArn=first["domainNameAccessAssociationArn"]
            )
        after = apigateway.get_domain_name_access_associations()["items"]
    finally:
        apigateway.delete_domain_name(domainName="private.example.localhost")
        apigateway.delete_domain_name(domainName="public.example.localhost")

    assert "domainNameArn" not in public
    assert first["accessAssociationSource"] == "vpce-0abc"
    assert first["tags"] == {"team": "a"}
    assert first["domainNameAccessAssociationArn"].endswith("/vpcesource/vpce-0abc")
    assert {a["accessAssociationSource"] for a in listed} >= {"vpce-0abc", "vpce-1"}
    assert others["items"] == []
    assert twice.value.response["Error"]["Code"] == "ConflictException"
    assert not_private.value.response["Error"]["Code"] == "NotFoundException"
    assert gone.value.response["Error"]["Code"] == "NotFoundException"
    assert [a for a in after if a["domainNameArn"] == arn] == []
