"""Gateway responses: the API (Put/Get/Update/Delete GatewayResponse, GetGatewayResponses)
with AWS's defaults, and the data plane answering with an API's own, once deployed."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

ECHO = """
def handler(event, context):
    return {"statusCode": 200, "body": "ok"}
"""
DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'


def test_every_type_starts_as_aws_default(rest_api, apigateway):
    api = rest_api()

    found = apigateway.get_gateway_responses(restApiId=api.id, limit=500)["items"]
    one = apigateway.get_gateway_response(
        restApiId=api.id, responseType="MISSING_AUTHENTICATION_TOKEN"
    )

    assert len(found) == 21
    assert all(r["defaultResponse"] for r in found)
    by_type = {r["responseType"]: r for r in found}
    assert by_type["THROTTLED"]["statusCode"] == "429"
    assert "statusCode" not in by_type["DEFAULT_4XX"]
    assert one["statusCode"] == "403"
    assert one["responseTemplates"] == {"application/json": DEFAULT_TEMPLATE}


def test_put_update_and_delete_restores_the_default(rest_api, apigateway):
    api = rest_api()

    put = apigateway.put_gateway_response(
        restApiId=api.id, responseType="DEFAULT_4XX", statusCode="418",
        responseParameters={"gatewayresponse.header.X-Why": "'custom'"},
        responseTemplates={"application/json": '{"oops": $context.error.messageString}'},
    )  # fmt: skip
    updated = apigateway.update_gateway_response(
        restApiId=api.id, responseType="DEFAULT_4XX",
        patchOperations=[
            {"op": "replace", "path": "/statusCode", "value": "400"},
            {"op": "add", "path": "/responseParameters/gatewayresponse.header.X-More",
             "value": "'yes'"},
        ],
    )  # fmt: skip
    apigateway.delete_gateway_response(restApiId=api.id, responseType="DEFAULT_4XX")
    restored = apigateway.get_gateway_response(restApiId=api.id, responseType="DEFAULT_4XX")

    assert (put["statusCode"], put["defaultResponse"]) == ("418", False)
    assert updated["statusCode"] == "400"
    assert updated["responseParameters"] == {
        "gatewayresponse.header.X-Why": "'custom'",
        "gatewayresponse.header.X-More": "'yes'",
    }
    assert restored["defaultResponse"] is True


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"responseType": "NOT_A_TYPE"}, "BadRequestException"),
        ({"responseType": "THROTTLED", "statusCode": "99"}, "BadRequestException"),
        (
            {
                "responseType": "THROTTLED",
                "responseParameters": {"method.response.header.X": "'1'"},
            },
            "BadRequestException",
        ),
    ],
)
def test_bad_gateway_responses_are_refused(rest_api, apigateway, params, code):
    api = rest_api()
    with pytest.raises(ClientError) as caught:
        apigateway.put_gateway_response(restApiId=api.id, **params)
    assert caught.value.response["Error"]["Code"] == code


def test_deleting_a_default_is_not_found(rest_api, apigateway):
    api = rest_api()
    with pytest.raises(ClientError) as caught:
        apigateway.delete_gateway_response(restApiId=api.id, responseType="THROTTLED")
    assert caught.value.response["Error"]["Code"] == "NotFoundException"


def test_the_data_plane_answers_with_the_deployed_responses(rest_api, deploy, apigateway):
    """A missing route answers the API's MISSING_AUTHENTICATION_TOKEN (status, headers from
    literals and the request, body template); a refused API key falls back to DEFAULT_4XX;
    changes reach clients with the next deployment only."""
    api = rest_api()
    api.method("/open", "GET", deploy(ECHO))
    api.method("/keyed", "GET", deploy(ECHO), apiKeyRequired=True)
    api.deploy("prod")
    apigateway.put_gateway_response(
        restApiId=api.id, responseType="MISSING_AUTHENTICATION_TOKEN", statusCode="404",
        responseParameters={
            "gatewayresponse.header.Access-Control-Allow-Origin": "'*'",
            "gatewayresponse.header.X-Asked": "method.request.header.x-trace",
        },
        responseTemplates={
            "application/json": '{"error": $context.error.messageString, '
            '"type": "$context.error.responseType", "stage": "$context.stage"}'
        },
    )  # fmt: skip
    apigateway.put_gateway_response(
        restApiId=api.id, responseType="DEFAULT_4XX",
        responseTemplates={"application/json": '{"four": "$context.error.message"}'},
    )  # fmt: skip

    before = api.call("GET", "/prod/nowhere")
    api.deploy("prod")
    missing = api.call("GET", "/prod/nowhere", headers={"x-trace": "t-1"})
    keyless = api.call("GET", "/prod/keyed")
    served = api.call("GET", "/prod/open")

    assert before.status_code == 403
    assert missing.status_code == 404
    assert missing.json() == {
        "error": "Missing Authentication Token",
        "type": "MISSING_AUTHENTICATION_TOKEN",
        "stage": "prod",
    }
    assert missing.headers["access-control-allow-origin"] == "*"
    assert missing.headers["x-asked"] == "t-1"
    assert (keyless.status_code, keyless.json()) == (403, {"four": "Forbidden"})
    assert (served.status_code, served.text) == (200, "ok")


def test_imports_and_templates_carry_gateway_responses(server, apigateway):
    """`x-amazon-apigateway-gateway-responses` (what SAM writes for an Api's
    GatewayResponses) imports as the API's own responses."""
    doc = {
        "swagger": "2.0",
        "info": {"title": "with-responses", "version": "1"},
        "paths": {},
        "x-amazon-apigateway-gateway-responses": {
            "UNAUTHORIZED": {
                "statusCode": 401,
                "responseParameters": {"gatewayresponse.header.WWW-Authenticate": "'Bearer'"},
                "responseTemplates": {"application/json": '{"login": true}'},
            }
        },
    }
    api = apigateway.import_rest_api(body=json.dumps(doc))
    try:
        found = apigateway.get_gateway_response(restApiId=api["id"], responseType="UNAUTHORIZED")
    finally:
        apigateway.delete_rest_api(restApiId=api["id"])

    assert (found["statusCode"], found["defaultResponse"]) == ("401", False)
    assert found["responseParameters"] == {"gatewayresponse.header.WWW-Authenticate": "'Bearer'"}
