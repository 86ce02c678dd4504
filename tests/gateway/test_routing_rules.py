"""Routing rules of custom domain names: by header and base path, by priority, before or
instead of the API mappings, as the domain's RoutingMode says; served under the domain's
Host name."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

ECHO = """
def handler(event, context):
    return {"statusCode": 200, "body": event["requestContext"]["stage"] + " " + event["path"]}
"""
DOMAIN = "rules.example.localhost"
BETA_HEADER = {"Header": "X-Version", "ValueGlob": "beta*"}


@pytest.fixture(scope="module")
def apigw2(server: Any) -> Any:
    return server.client("apigatewayv2")


def _get(server: Any, path: str, **headers: str) -> httpx.Response:
    return httpx.get(
        f"{server.endpoint_url}{path}", headers={"host": DOMAIN, **headers}, timeout=30
    )


def _invoke(api_id: str, stage: str, strip: bool = False) -> list[dict[str, Any]]:
    return [{"InvokeApi": {"ApiId": api_id, "Stage": stage, "StripBasePath": strip}}]


def test_rules_route_by_header_and_base_path_then_mappings(server, rest_api, deploy, apigw2):
    function = deploy(ECHO)
    api = rest_api()
    api.method("/pets", "GET", function)
    api.method("/orders/pets", "GET", function)
    api.deploy("prod")
    api.deploy("beta")
    apigw2.create_domain_name(
        DomainName=DOMAIN, RoutingMode="ROUTING_RULE_THEN_API_MAPPING",
        DomainNameConfigurations=[{"CertificateArn": "arn:aws:acm:us-east-1:0:certificate/x"}],
    )  # fmt: skip
    try:
        apigw2.create_api_mapping(DomainName=DOMAIN, ApiId=api.id, Stage="prod")
        beta = apigw2.create_routing_rule(
            DomainName=DOMAIN, Priority=10, Actions=_invoke(api.id, "beta"),
            Conditions=[{"MatchHeaders": {"AnyOf": [BETA_HEADER]}}],
        )  # fmt: skip
        stripped = apigw2.create_routing_rule(
            DomainName=DOMAIN, Priority=20, Actions=_invoke(api.id, "beta", strip=True),
            Conditions=[{"MatchBasePaths": {"AnyOf": ["orders"]}}],
        )  # fmt: skip
        with pytest.raises(ClientError) as same_priority:
            apigw2.create_routing_rule(DomainName=DOMAIN, Priority=10,
                                       Actions=_invoke(api.id, "prod"), Conditions=[])  # fmt: skip
        with pytest.raises(ClientError) as no_stage:
            apigw2.create_routing_rule(DomainName=DOMAIN, Priority=30,
                                       Actions=_invoke(api.id, "nope"), Conditions=[])  # fmt: skip

        by_header = _get(server, "/pets", **{"x-version": "beta-2"})
        by_path = _get(server, "/orders/pets")
        by_mapping = _get(server, "/pets")
        listed = apigw2.list_routing_rules(DomainName=DOMAIN)["RoutingRules"]
        apigw2.put_routing_rule(
            DomainName=DOMAIN, RoutingRuleId=stripped["RoutingRuleId"], Priority=20,
            Actions=_invoke(api.id, "beta"), Conditions=[{"MatchBasePaths": {"AnyOf": ["orders"]}}],
        )  # fmt: skip
        unstripped = _get(server, "/orders/pets")
        apigw2.update_domain_name(DomainName=DOMAIN, RoutingMode="ROUTING_RULE_ONLY")
        no_rule = _get(server, "/pets")
        apigw2.delete_routing_rule(DomainName=DOMAIN, RoutingRuleId=beta["RoutingRuleId"])
        with pytest.raises(ClientError) as gone:
            apigw2.get_routing_rule(DomainName=DOMAIN, RoutingRuleId=beta["RoutingRuleId"])
    finally:
        apigw2.delete_domain_name(DomainName=DOMAIN)

    assert (by_header.status_code, by_header.text) == (200, "beta /pets")
    assert (by_path.status_code, by_path.text) == (200, "beta /pets")
    assert (by_mapping.status_code, by_mapping.text) == (200, "prod /pets")
    assert (unstripped.status_code, unstripped.text) == (200, "beta /orders/pets")
    assert no_rule.status_code != 200
    assert [r["Priority"] for r in listed] == [10, 20]
    assert beta["RoutingRuleArn"].endswith(
        f"/domainnames/{DOMAIN}/routingrules/{beta['RoutingRuleId']}"
    )
    assert same_priority.value.response["Error"]["Code"] == "ConflictException"
    assert no_stage.value.response["Error"]["Code"] == "NotFoundException"
    assert gone.value.response["Error"]["Code"] == "NotFoundException"
