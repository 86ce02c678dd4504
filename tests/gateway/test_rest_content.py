"""REST APIs' content handling (CONVERT_TO_TEXT / CONVERT_TO_BINARY with binaryMediaTypes)
and VPC_LINK integrations, through real requests to the gateway."""

from __future__ import annotations

import base64
from typing import Any

MOCK = {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}}


def _respond(apigateway: Any, api: Any, resource_id: str, **response: Any) -> None:
    api.respond(resource_id, "POST", **response)


def test_request_payloads_convert_to_binary_and_to_text(rest_api, apigateway, target):
    """Text sent to a CONVERT_TO_BINARY integration arrives base64-decoded; a binary body
    (its type in binaryMediaTypes) sent to a CONVERT_TO_TEXT one arrives base64-encoded."""
    api = rest_api(binaryMediaTypes=["application/octet-stream"])
    for path, handling in (("/to-binary", "CONVERT_TO_BINARY"), ("/to-text", "CONVERT_TO_TEXT")):
        resource_id = api.method(path, "POST", integration={
            "type": "HTTP", "integrationHttpMethod": "POST", "uri": f"{target}{path}",
            "contentHandling": handling,
        })  # fmt: skip
        _respond(apigateway, api, resource_id)
    api.deploy("prod")

    as_binary = api.call("POST", "/prod/to-binary", content=base64.b64encode(b"hello"),
                         headers={"content-type": "text/plain"})  # fmt: skip
    as_text = api.call("POST", "/prod/to-text", content=b"hi\x01",
                       headers={"content-type": "application/octet-stream"})  # fmt: skip
    broken = api.call("POST", "/prod/to-binary", content=b"not base64!",
                      headers={"content-type": "text/plain"})  # fmt: skip

    assert as_binary.status_code == 200, as_binary.text
    assert as_binary.json()["body"] == "hello"
    assert as_text.json()["body"] == base64.b64encode(b"hi\x01").decode()
    assert broken.status_code == 500
    assert broken.json() == {"message": "Internal server error"}


def test_response_payloads_follow_content_handling_and_accept(rest_api, apigateway):
    """A template's base64 text becomes bytes with CONVERT_TO_BINARY; without a
    contentHandling it does too when the client's Accept is a binary media type, and stays
    text when it is not."""
    encoded = base64.b64encode(b"\x89PNG\x00").decode()
    api = rest_api(binaryMediaTypes=["image/png"])
    converted = api.method("/converted", "POST", integration=MOCK)
    _respond(apigateway, api, converted, contentHandling="CONVERT_TO_BINARY",
             responseTemplates={"application/json": encoded})  # fmt: skip
    plain = api.method("/plain", "POST", integration=MOCK)
    _respond(apigateway, api, plain, responseTemplates={"application/json": encoded})
    api.deploy("prod")

    forced = api.call("POST", "/prod/converted", headers={"accept": "application/json"})
    wanted = api.call("POST", "/prod/plain", headers={"accept": "image/png"})
    as_text = api.call("POST", "/prod/plain", headers={"accept": "application/json"})

    assert forced.content == b"\x89PNG\x00"
    assert wanted.content == b"\x89PNG\x00"
    assert as_text.text == encoded


def test_a_vpc_link_integration_reaches_its_local_target_or_answers_500(
    server, rest_api, apigateway, target
):
    """connectionType VPC_LINK: the link's stratus:target tag is where the request goes (the
    URI's path kept); a link without one has nothing behind it: 500, as AWS answers when a
    link's target is unreachable."""
    linked = apigateway.create_vpc_link(
        name="nlb", targetArns=["arn:aws:elasticloadbalancing:us-east-1:000000000000:"
                                "loadbalancer/net/nlb/abc"], tags={"stratus:target": target},
    )  # fmt: skip
    unbacked = apigateway.create_vpc_link(name="empty", targetArns=["arn:nlb"])
    v2 = server.client("apigatewayv2")
    to_alb = v2.create_vpc_link(Name="alb", SubnetIds=["subnet-1"], Tags={"stratus:target": target})
    api = rest_api()
    links = (("/linked", "${stageVariables.link}"), ("/unbacked", unbacked["id"]),
             ("/alb", to_alb["VpcLinkId"]))  # fmt: skip
    for path, link in links:
        api.method(path, "GET", integration={
            "type": "HTTP_PROXY", "integrationHttpMethod": "GET",
            "uri": f"http://nlb.internal{path}/x", "connectionType": "VPC_LINK",
            "connectionId": link,
        })  # fmt: skip
    api.deploy("prod", variables={"link": linked["id"]})
    try:
        reached = api.call("GET", "/prod/linked?q=1")
        refused = api.call("GET", "/prod/unbacked")
        through_v2 = api.call("GET", "/prod/alb")
    finally:
        for link in (linked, unbacked):
            apigateway.delete_vpc_link(vpcLinkId=link["id"])
        v2.delete_vpc_link(VpcLinkId=to_alb["VpcLinkId"])

    assert reached.status_code == 207
    assert reached.json()["path"] == "/linked/x?q=1"
    assert through_v2.status_code == 207
    assert through_v2.json()["path"] == "/alb/x"
    assert refused.status_code == 500
    assert refused.json() == {"message": "Internal server error"}
