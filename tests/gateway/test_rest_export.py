"""GetExport: a REST API stage as Swagger 2.0 or OpenAPI 3.0, from its deployment, with
API Gateway's extensions; an export imports back into an API that serves the same."""

from __future__ import annotations

import json

import pytest
import yaml
from botocore.exceptions import ClientError

ECHO = """
def handler(event, context):
    return {"statusCode": 200, "body": "pet " + event["pathParameters"]["id"]}
"""


def _api(rest_api, deploy, apigateway):
    api = rest_api(name="exported", binaryMediaTypes=["image/png"])
    apigateway.create_model(
        restApiId=api.id, name="Pet", contentType="application/json",
        schema=json.dumps({"type": "object", "required": ["name"]}),
    )  # fmt: skip
    validator = apigateway.create_request_validator(
        restApiId=api.id, name="body-only", validateRequestBody=True
    )["id"]
    function = deploy(ECHO)
    resource = api.method(
        "/pets/{id}", "GET", function, requestParameters={"method.request.path.id": True}
    )
    apigateway.put_method_response(
        restApiId=api.id, resourceId=resource, httpMethod="GET", statusCode="200",
        responseParameters={"method.response.header.X-Pet": False},
    )  # fmt: skip
    api.method(
        "/pets", "POST", function, requestModels={"application/json": "Pet"},
        requestValidatorId=validator, apiKeyRequired=True,
    )  # fmt: skip
    apigateway.put_gateway_response(
        restApiId=api.id, responseType="DEFAULT_4XX", statusCode="418",
        responseTemplates={"application/json": '{"oops": true}'},
    )  # fmt: skip
    api.deploy("prod")
    api.method("/later", "GET", function)  # not deployed: not exported
    return api


def test_swagger_with_extensions_imports_back_and_serves(rest_api, deploy, apigateway):
    api = _api(rest_api, deploy, apigateway)

    found = apigateway.get_export(
        restApiId=api.id, stageName="prod", exportType="swagger",
        parameters={"extensions": "apigateway"}, accepts="application/json",
    )  # fmt: skip
    document = json.loads(found["body"].read())
    copy = rest_api(name="placeholder")
    apigateway.put_rest_api(restApiId=copy.id, mode="overwrite", body=json.dumps(document))
    copy.deploy("prod")

    assert document["swagger"] == "2.0"
    assert document["basePath"] == "/prod"
    assert set(document["paths"]) == {"/pets", "/pets/{id}"}
    get = document["paths"]["/pets/{id}"]["get"]
    assert get["parameters"] == [{"name": "id", "in": "path", "required": True, "type": "string"}]
    assert get["x-amazon-apigateway-integration"]["type"] == "aws_proxy"
    post = document["paths"]["/pets"]["post"]
    assert post["security"] == [{"api_key": []}]
    assert post["x-amazon-apigateway-request-validator"] == "body-only"
    assert document["definitions"]["Pet"] == {"type": "object", "required": ["name"]}
    assert document["x-amazon-apigateway-gateway-responses"]["DEFAULT_4XX"]["statusCode"] == "418"
    assert document["x-amazon-apigateway-binary-media-types"] == ["image/png"]
    served = copy.call("GET", "/prod/pets/7")
    assert (served.status_code, served.text) == (200, "pet 7")
    assert copy.call("GET", "/prod/nowhere").status_code == 418  # its gateway response too


def test_oas30_yaml_without_extensions(rest_api, deploy, apigateway):
    api = _api(rest_api, deploy, apigateway)

    found = apigateway.get_export(
        restApiId=api.id, stageName="prod", exportType="oas30", accepts="application/yaml"
    )
    document = yaml.safe_load(found["body"].read())

    assert document["openapi"] == "3.0.1"
    assert document["servers"][0]["variables"]["basePath"]["default"] == "prod"
    assert "x-amazon-apigateway-integration" not in json.dumps(document)
    assert document["components"]["schemas"]["Pet"]["required"] == ["name"]
    post = document["paths"]["/pets"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Pet"
    }


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"stageName": "prod", "exportType": "raml"}, "BadRequestException"),
        ({"stageName": "nope", "exportType": "swagger"}, "NotFoundException"),
    ],
)
def test_bad_exports_are_refused(rest_api, deploy, apigateway, params, code):
    api = _api(rest_api, deploy, apigateway)
    with pytest.raises(ClientError) as caught:
        apigateway.get_export(restApiId=api.id, **params)
    assert caught.value.response["Error"]["Code"] == code
