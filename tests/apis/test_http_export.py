"""HTTP APIs -> OpenAPI 3.0 documents (apis/http_export.py), pure: what an export says, and
that it imports back into the same API."""

from __future__ import annotations

import json
from typing import Any

import yaml

from stratus.apis.http.export import export_document, render
from stratus.apis.http.model import (
    Api,
    Authorizer,
    Cors,
    Integration,
    JwtSettings,
    Route,
    Stage,
)
from stratus.apis.http.openapi import parse_definition

FN = "arn:aws:lambda:us-east-1:000000000000:function:fn"
URI = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{FN}/invocations"
NOW = "2024-05-01T10:00:00Z"
API = Api(
    ApiId="abcdefghij",
    Name="pets",
    Description="Pet store",
    ApiEndpoint="http://abcdefghij.execute-api.localhost:4566",
    RouteSelectionExpression="${request.method} ${request.path}",
    CreatedDate=NOW,
    Tags={"team": "x"},
    CorsConfiguration=Cors(AllowOrigins=["https://a.example"], MaxAge=60),
)
INTEGRATIONS = {
    "i1": Integration(IntegrationId="i1", IntegrationUri=URI, PayloadFormatVersion="2.0"),
    "i2": Integration(
        IntegrationId="i2", IntegrationUri=FN, PayloadFormatVersion="1.0", TimeoutInMillis=5000
    ),
}
AUTHORIZERS = {
    "a1": Authorizer(
        AuthorizerId="a1",
        Name="jwt",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration=JwtSettings(Issuer="https://issuer.example", Audience=["aud"]),
    ),
    "a2": Authorizer(
        AuthorizerId="a2",
        AuthorizerType="REQUEST",
        Name="lambda",
        IdentitySource=["$request.header.x-key"],
        AuthorizerUri=URI,
        AuthorizerPayloadFormatVersion="2.0",
        AuthorizerResultTtlInSeconds=60,
        EnableSimpleResponses=True,
    ),
}
ROUTES = [
    Route(
        RouteId="r1",
        RouteKey="GET /pets/{id}",
        Target="integrations/i1",
        AuthorizationType="JWT",
        AuthorizerId="a1",
        AuthorizationScopes=["read"],
        OperationName="GetPet",
    ),
    Route(
        RouteId="r2",
        RouteKey="ANY /files/{proxy+}",
        Target="integrations/i2",
        AuthorizationType="CUSTOM",
        AuthorizerId="a2",
    ),
    Route(RouteId="r3", RouteKey="$default", Target="integrations/i1"),
    Route(RouteId="r4", RouteKey="POST /pets"),
]


def export(**kwargs: Any) -> dict[str, Any]:
    return export_document(API, ROUTES, INTEGRATIONS, AUTHORIZERS, **kwargs)


def test_export_imports_back_into_the_same_api():
    """Routes, integrations, authorizers with scopes, CORS, tags and info survive an export
    and an import of it."""
    definition = parse_definition(export(), region="us-east-1", account_id="000000000000")

    assert (definition.Name, definition.Description) == ("pets", "Pet store")
    assert definition.Tags == {"team": "x"}
    assert definition.CorsConfiguration == API.CorsConfiguration
    assert definition.Warnings == ()
    routes = {r.RouteKey: r for r in definition.Routes}
    assert set(routes) == {"GET /pets/{id}", "ANY /files/{proxy+}", "$default", "POST /pets"}
    get = routes["GET /pets/{id}"]
    assert (get.AuthorizationType, get.Authorizer, get.AuthorizationScopes) == (
        "JWT",
        "jwt",
        ("read",),
    )
    assert get.OperationName == "GetPet"
    assert definition.Integrations[get.Integration].IntegrationUri == URI
    files = routes["ANY /files/{proxy+}"]
    assert (files.AuthorizationType, files.Authorizer) == ("CUSTOM", "lambda")
    integration = definition.Integrations[files.Integration]
    assert (integration.IntegrationUri, integration.PayloadFormatVersion) == (FN, "1.0")
    assert integration.TimeoutInMillis == 5000
    assert routes["POST /pets"].Integration is None
    jwt = definition.Authorizers["jwt"]
    assert jwt.JwtConfiguration.Issuer == "https://issuer.example"
    assert jwt.IdentitySource == ["$request.header.Authorization"]
    lam = definition.Authorizers["lambda"]
    assert lam.model_dump(exclude={"Name"}) == {
        "AuthorizerType": "REQUEST",
        "IdentitySource": ["$request.header.x-key"],
        "JwtConfiguration": None,
        "AuthorizerUri": URI,
        "AuthorizerPayloadFormatVersion": "2.0",
        "AuthorizerResultTtlInSeconds": 60,
        "EnableSimpleResponses": True,
    }


def test_document_shape():
    """AWS's layout: path parameters per path, a default response per operation, ANY as
    x-amazon-apigateway-any-method, $default under /$default, the version stamp."""
    document = export()

    assert document["openapi"] == "3.0.1"
    assert document["info"]["version"] == "2024-05-01 10:00:00UTC"
    assert document["x-amazon-apigateway-importexport-version"] == "1.0"
    assert document["servers"][0]["url"] == f"{API.ApiEndpoint}/{{basePath}}"
    pet = document["paths"]["/pets/{id}"]
    assert pet["parameters"][0] | {"description": None} == {
        "name": "id",
        "in": "path",
        "description": None,
        "required": True,
        "schema": {"type": "string"},
    }
    assert pet["get"]["responses"] == {
        "default": {"description": "Default response for GET /pets/{id}"}
    }
    assert pet["get"]["security"] == [{"jwt": ["read"]}]
    assert document["paths"]["/files/{proxy+}"]["parameters"][0]["name"] == "proxy+"
    assert "x-amazon-apigateway-any-method" in document["paths"]["/files/{proxy+}"]
    default = document["paths"]["/$default"]["x-amazon-apigateway-any-method"]
    assert default["isDefaultRoute"] is True
    schemes = document["components"]["securitySchemes"]
    assert schemes["jwt"]["type"] == "oauth2"
    assert schemes["lambda"] | {"x-amazon-apigateway-authorizer": None} == {
        "type": "apiKey",
        "name": "x-key",
        "in": "header",
        "x-amazon-apigateway-authorizer": None,
    }


def test_without_extensions_nothing_amazon_is_left():
    """includeExtensions=false: no x-amazon-apigateway-* member anywhere, no tags."""
    text = json.dumps(export(include_extensions=False))

    assert "x-amazon-apigateway" not in text
    assert "tags" not in json.loads(text)
    assert "/pets/{id}" in json.loads(text)["paths"]


def test_a_stage_is_the_base_path():
    """A named stage is the basePath variable's default; $default (or none) is empty."""
    stage = Stage(StageName="prod", CreatedDate=NOW, LastUpdatedDate="2024-06-01T00:00:00Z")
    default = stage.model_copy(update={"StageName": "$default"})

    def base(document: dict[str, Any]) -> str:
        return str(document["servers"][0]["variables"]["basePath"]["default"])

    assert base(export(stage=stage)) == "prod"
    assert export(stage=stage)["info"]["version"] == "2024-06-01 00:00:00UTC"
    assert base(export(stage=default)) == ""
    assert base(export()) == ""


def test_render_json_and_yaml():
    document = export()

    assert json.loads(render(document, "JSON")) == document
    assert yaml.safe_load(render(document, "YAML")) == document
