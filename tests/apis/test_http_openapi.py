"""OpenAPI 3.0 documents -> HTTP API definitions (apis/http_openapi.py), pure: documents made
by the SAM translator, and tables of what AWS accepts, warns about, and refuses."""

from __future__ import annotations

import copy
import json
from typing import Any

import boto3
import pytest
import yaml
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

from stratus.apis.http.openapi import parse_definition
from stratus.errors import Invalid

REGION, ACCOUNT = "us-east-1", "000000000000"
FN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn"
AUTH_FN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:auth"
URI = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{FN}/invocations"
PROXY = {"type": "aws_proxy", "httpMethod": "POST", "uri": URI, "payloadFormatVersion": "2.0"}
# An AWS service integration, as AWS's serverless patterns write one.
SERVICE = {
    "type": "aws_proxy",
    "integrationSubtype": "StepFunctions-StartSyncExecution",
    "credentials": f"arn:aws:iam::{ACCOUNT}:role/api",
    "requestParameters": {
        "Input": "$request.body",
        "StateMachineArn": "arn:aws:states:${AWS::Region}:${AWS::AccountId}:stateMachine:m",
    },
    "payloadFormatVersion": "1.0",
    "connectionType": "INTERNET",
}


def sam_bodies(resources: dict[str, Any], arns: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The SAM translator's AWS::ApiGatewayV2::Api Bodies by logical id, with the intrinsics
    it leaves (Fn::Sub, Ref, Fn::GetAtt) resolved as CloudFormation would."""
    template = {"Transform": "AWS::Serverless-2016-10-31", "Resources": copy.deepcopy(resources)}
    translator = Translator({}, Parser(), boto_session=boto3.Session(region_name=REGION))
    translated = translator.translate(template, parameter_values={}, get_managed_policy_map=dict)
    return {
        logical: resolve(resource["Properties"]["Body"], arns)
        for logical, resource in translated["Resources"].items()
        if resource["Type"] == "AWS::ApiGatewayV2::Api"
    }


def resolve(node: Any, arns: dict[str, str]) -> Any:
    """Plain string substitution of the intrinsics SAM writes into an HttpApi's Body."""
    if isinstance(node, list):
        return [resolve(v, arns) for v in node]
    if not isinstance(node, dict):
        return node
    if "Fn::Sub" in node:
        text, extra = (node["Fn::Sub"], {}) if isinstance(node["Fn::Sub"], str) else node["Fn::Sub"]
        names = {"AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT}
        names |= {f"{k}.Arn": v for k, v in arns.items()}
        names |= {k: resolve(v, arns) for k, v in extra.items()}
        for name, value in names.items():
            text = text.replace("${" + name + "}", value)
        return text
    if "Ref" in node:
        return {"AWS::StackName": "my-stack"}.get(node["Ref"], node["Ref"])
    if "Fn::GetAtt" in node:
        return arns[node["Fn::GetAtt"][0]]
    return {k: resolve(v, arns) for k, v in node.items()}


def function(events: dict[str, Any]) -> dict[str, Any]:
    properties = {"Runtime": "python3.11", "Handler": "app.handler", "InlineCode": "x"}
    return {"Type": "AWS::Serverless::Function", "Properties": properties | {"Events": events}}


def http_event(path: str, method: str, **properties: Any) -> dict[str, Any]:
    return {"Type": "HttpApi", "Properties": {"Path": path, "Method": method, **properties}}


def parse(document: Any, **kwargs: Any) -> Any:
    return parse_definition(document, region=REGION, account_id=ACCOUNT, **kwargs)


def doc(paths: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    document = {"openapi": "3.0.1", "info": {"title": "t", "version": "1.0"}}
    return document | {"paths": paths if paths is not None else {}} | top


def test_sam_implicit_api_makes_routes_and_lambda_integrations():
    """The implicit ServerlessHttpApi: a method route, an ANY {proxy+} route and the $default
    route, each with a payload 2.0 integration calling the function; the stack name is the
    API's name and SAM's tag its tag."""
    events = {
        "Hello": http_event("/hello", "get"),
        "Proxy": http_event("/items/{proxy+}", "ANY"),
        "CatchAll": {"Type": "HttpApi"},
    }
    body = sam_bodies({"Fn": function(events)}, {"Fn": FN})["ServerlessHttpApi"]

    definition = parse(body)

    assert definition.Name == "my-stack"
    assert definition.Version == "1.0"
    assert definition.Tags == {"httpapi:createdBy": "SAM"}
    assert {r.RouteKey for r in definition.Routes} == {
        "GET /hello",
        "ANY /items/{proxy+}",
        "$default",
    }
    for route in definition.Routes:
        integration = definition.Integrations[route.Integration]
        assert integration.IntegrationType == "AWS_PROXY"
        assert integration.IntegrationUri == URI
        assert integration.PayloadFormatVersion == "2.0"
        assert route.AuthorizationType == "NONE"
    assert definition.Warnings == ()


def test_sam_auth_and_cors():
    """An AWS::Serverless::HttpApi with a default JWT authorizer (scopes per route), a Lambda
    authorizer, a route opted out with NONE, and a CorsConfiguration."""
    api = {
        "Type": "AWS::Serverless::HttpApi",
        "Properties": {
            "Auth": {
                "DefaultAuthorizer": "Jwt",
                "Authorizers": {
                    "Jwt": {
                        "JwtConfiguration": {"issuer": "https://issuer.example", "audience": ["a"]},
                        "IdentitySource": "$request.header.Authorization",
                    },
                    "Lam": {
                        "FunctionArn": {"Fn::GetAtt": ["AuthFn", "Arn"]},
                        "AuthorizerPayloadFormatVersion": "2.0",
                        "EnableSimpleResponses": True,
                        "Identity": {"Headers": ["x-key"], "ReauthorizeEvery": 60},
                    },
                },
            },
            "CorsConfiguration": {"AllowOrigins": ["https://a.example"], "MaxAge": 600},
        },
    }
    ref = {"ApiId": {"Ref": "Api"}}
    events = {
        "Secure": http_event("/secure", "get", **ref, Auth={"AuthorizationScopes": ["read"]}),
        "Lambda": http_event("/lam", "post", **ref, Auth={"Authorizer": "Lam"}),
        "Open": http_event("/open", "get", **ref, Auth={"Authorizer": "NONE"}),
    }
    resources = {"Api": api, "AuthFn": function({}), "Fn": function(events)}
    body = sam_bodies(resources, {"Fn": FN, "AuthFn": AUTH_FN})["Api"]

    definition = parse(body)

    routes = {r.RouteKey: r for r in definition.Routes}
    assert routes["GET /secure"].AuthorizationType == "JWT"
    assert routes["GET /secure"].Authorizer == "Jwt"
    assert routes["GET /secure"].AuthorizationScopes == ("read",)
    assert routes["POST /lam"].AuthorizationType == "CUSTOM"
    assert routes["POST /lam"].Authorizer == "Lam"
    assert routes["GET /open"].AuthorizationType == "NONE"
    jwt = definition.Authorizers["Jwt"]
    assert jwt.AuthorizerType == "JWT"
    assert jwt.IdentitySource == ["$request.header.Authorization"]
    assert jwt.JwtConfiguration.Issuer == "https://issuer.example"
    assert jwt.JwtConfiguration.Audience == ["a"]
    lam = definition.Authorizers["Lam"]
    assert lam.AuthorizerType == "REQUEST"
    assert lam.AuthorizerUri.endswith(f"/functions/{AUTH_FN}/invocations")
    assert lam.AuthorizerPayloadFormatVersion == "2.0"
    assert lam.EnableSimpleResponses is True
    assert lam.IdentitySource == ["$request.header.x-key"]
    assert lam.AuthorizerResultTtlInSeconds == 60
    assert definition.CorsConfiguration.AllowOrigins == ["https://a.example"]
    assert definition.CorsConfiguration.MaxAge == 600


def test_json_and_yaml_text_read_like_the_dict():
    """ImportApi's body is text: JSON or YAML give the same definition as the object."""
    document = doc({"/a": {"get": {"x-amazon-apigateway-integration": PROXY}}})

    from_dict = parse(document)

    assert parse(json.dumps(document)) == from_dict
    assert parse(yaml.safe_dump(document)) == from_dict
    assert parse(json.dumps(document).encode()) == from_dict


def test_aws_documented_forms():
    """AWS's own examples: payloadFormatVersion as a number, `/$default` with isDefaultRoute,
    integrations shared through components, AWS variables in URIs, an OpenID Connect URL as
    the issuer, a comma-separated identity source, operationId as the OperationName."""
    with_variables = (
        "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
        "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:fn/invocations"
    )
    shared = {"$ref": "#/components/x-amazon-apigateway-integrations/main"}
    document = doc(
        {
            "/$default": {
                "x-amazon-apigateway-any-method": {
                    "isDefaultRoute": True,
                    "x-amazon-apigateway-integration": PROXY | {"payloadFormatVersion": 1.0},
                }
            },
            "/pets": {
                "get": {"operationId": "ListPets", "x-amazon-apigateway-integration": shared},
                "post": {"x-amazon-apigateway-integration": shared, "security": [{"oidc": []}]},
            },
            "/keys": {
                "get": {"x-amazon-apigateway-integration": shared, "security": [{"lambda": []}]}
            },
        },
        components={
            "x-amazon-apigateway-integrations": {"main": PROXY | {"uri": with_variables}},
            "securitySchemes": {
                "oidc": {
                    "type": "openIdConnect",
                    "openIdConnectUrl": "https://idp.example/pool/.well-known/openid-configuration",
                    "x-amazon-apigateway-authorizer": {
                        "type": "jwt",
                        "jwtConfiguration": {"audience": ["a"]},
                        "identitySource": "$request.header.Authorization",
                    },
                },
                "lambda": {
                    "type": "apiKey",
                    "name": "Unused",
                    "in": "header",
                    "x-amazon-apigateway-authorizer": {
                        "type": "request",
                        "identitySource": "$request.header.a, $request.querystring.b",
                        "authorizerUri": with_variables,
                        "authorizerPayloadFormatVersion": "1.0",
                        "authorizerResultTtlInSeconds": "300",
                    },
                },
            },
        },
    )

    definition = parse(document)

    routes = {r.RouteKey: r for r in definition.Routes}
    assert set(routes) == {"$default", "GET /pets", "POST /pets", "GET /keys"}
    assert definition.Integrations[routes["$default"].Integration].PayloadFormatVersion == "1.0"
    shared_key = routes["GET /pets"].Integration
    assert routes["POST /pets"].Integration == shared_key == routes["GET /keys"].Integration
    assert len(definition.Integrations) == 2
    assert definition.Integrations[shared_key].IntegrationUri == URI
    assert routes["GET /pets"].OperationName == "ListPets"
    assert definition.Authorizers["oidc"].JwtConfiguration.Issuer == "https://idp.example/pool"
    lam = definition.Authorizers["lambda"]
    assert lam.IdentitySource == ["$request.header.a", "$request.querystring.b"]
    assert lam.AuthorizerResultTtlInSeconds == 300
    assert lam.AuthorizerUri == URI


def test_top_level_security_is_the_default():
    """`security` at the top applies to operations that name none; `[]` opts one out."""
    scheme = {
        "type": "oauth2",
        "x-amazon-apigateway-authorizer": {
            "type": "jwt",
            "jwtConfiguration": {"issuer": "https://i.example", "audience": ["a"]},
            "identitySource": "$request.header.Authorization",
        },
    }
    document = doc(
        {"/a": {"get": {}, "post": {"security": []}}},
        security=[{"jwt": ["s"]}],
        components={"securitySchemes": {"jwt": scheme}},
    )

    routes = {r.RouteKey: r for r in parse(document).Routes}

    assert routes["GET /a"].AuthorizationType == "JWT"
    assert routes["GET /a"].AuthorizationScopes == ("s",)
    assert routes["GET /a"].Integration is None
    assert routes["POST /a"].AuthorizationType == "NONE"


@pytest.mark.parametrize(
    ("servers", "mode", "expected"),
    [
        ([{"url": "https://x.example/a/b/c"}], "ignore", "GET /e"),
        ([{"url": "https://x.example/a/b/c"}], "prepend", "GET /a/b/c/e"),
        ([{"url": "https://x.example/a/b/c"}], "split", "GET /b/c/e"),
        ([{"url": "https://x.example/a"}], "split", "GET /e"),
        ([{"url": "/v1/"}], "prepend", "GET /v1/e"),
        (
            [
                {"url": "https://x.example/ignored"},
                {
                    "url": "https://x.example/{basePath}",
                    "variables": {"basePath": {"default": "p/q"}},
                },
            ],
            "prepend",
            "GET /p/q/e",
        ),
        ([], "prepend", "GET /e"),
        ([{"url": "https://x.example/a/b/c"}], None, "GET /e"),  # CloudFormation's unset BasePath
    ],
)
def test_basepath_modes(servers, mode, expected):
    """The base path (a basePath server variable first, else a server URL's path) is ignored,
    prepended, or prepended without its first segment; the $default route keeps its key."""
    paths = {
        "/e": {"get": {"x-amazon-apigateway-integration": PROXY}},
        "$default": {"x-amazon-apigateway-any-method": {"x-amazon-apigateway-integration": PROXY}},
    }

    definition = parse(doc(paths, servers=servers), basepath=mode)

    assert {r.RouteKey for r in definition.Routes} == {expected, "$default"}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"swagger": "2.0", "info": {"title": "t"}, "paths": {}}, "only OpenAPI 3.0"),
        ({"info": {"title": "t"}, "paths": {}}, "Invalid OpenAPI version"),
        ({"openapi": "3.1.0", "info": {"title": "t"}, "paths": {}}, "Invalid OpenAPI version"),
        (doc(**{"x-amazon-apigateway-importexport-version": "2.0"}), "the only version is 1.0"),
        ({"openapi": "3.0.1", "info": {}, "paths": {}}, "info.title is required"),
        ({"openapi": "3.0.1", "info": {"title": "t"}}, "paths must be an object"),
        ("[1, 2]", "give an OpenAPI 3.0 document"),
        ("openapi: [unclosed", "neither JSON nor YAML"),
        (doc({"a": {"get": {}}}), "paths start with '/'"),
        (doc({"/a//b": {"get": {}}}), "empty path segment"),
        (doc({"$default": {"get": {}}}), "the $default route takes only"),
        (doc({"/a": {"get": {"security": [{"x": []}, {"y": []}]}}}), "only one of IAM"),
        (doc({"/a": {"get": {"security": [{"x": [], "y": []}]}}}), "only one of IAM"),
        (doc({"/a": {"get": {"security": [{"nope": []}]}}}), "does not define"),
        (
            doc({"/a": {"get": {"x-amazon-apigateway-integration": {"$ref": "#/components/x"}}}}),
            "which the document does not define",
        ),
        (
            doc({"/a": {"get": {"x-amazon-apigateway-integration": {"$ref": "other.yaml#/x"}}}}),
            "only references inside the document",
        ),
        (
            doc({"/a": {"get": {"x-amazon-apigateway-integration": PROXY | {"type": "nope"}}}}),
            "Invalid integration type",
        ),
        (
            doc(
                {
                    "/a": {
                        "get": {
                            "x-amazon-apigateway-integration": SERVICE
                            | {"requestParameters": ["Input"]}
                        }
                    }
                }
            ),
            "requestParameters of the integration of GET /a must be an object",
        ),
        (
            doc({"/a": {"get": {"x-amazon-apigateway-integration": PROXY | {"uri": None}}}}),
            "needs a uri",
        ),
        (
            doc({"/a": {"get": {"x-amazon-apigateway-integration": PROXY | {"uri": "http://x"}}}}),
            "Invalid integration URI",
        ),
        (
            doc(
                {
                    "/a": {
                        "get": {
                            "x-amazon-apigateway-integration": PROXY
                            | {"payloadFormatVersion": "3.0"}
                        }
                    }
                }
            ),
            "Invalid payload format version",
        ),
        (
            doc(
                {
                    "/a": {
                        "get": {
                            "x-amazon-apigateway-integration": PROXY | {"timeoutInMillis": 40000}
                        }
                    }
                }
            ),
            "less than or equal to 30000",
        ),
    ],
)
def test_errors(document, message):
    """Documents AWS refuses, or Stratus cannot honour: Invalid saying why, nothing made."""
    with pytest.raises(Invalid) as caught:
        parse(document)

    assert message in caught.value.message


def test_iam_authorization_imports_as_aws_iam():
    """`security: [{AWS_IAM: []}]` (what SAM writes for Auth DefaultAuthorizer AWS_IAM), or a
    scheme of x-amazon-apigateway-authtype awsSigv4, is a route of AuthorizationType AWS_IAM."""
    named = parse(doc({"/a": {"get": {"security": [{"AWS_IAM": []}]}}}))
    scheme = {"type": "apiKey", "name": "Authorization", "in": "header",
              "x-amazon-apigateway-authtype": "awsSigv4"}  # fmt: skip
    by_scheme = parse(
        doc({"/a": {"get": {"security": [{"sig": []}]}}},
            components={"securitySchemes": {"sig": scheme}})
    )  # fmt: skip

    assert [r.AuthorizationType for r in named.Routes] == ["AWS_IAM"]
    assert [r.AuthorizationType for r in by_scheme.Routes] == ["AWS_IAM"]


@pytest.mark.parametrize(
    ("scheme", "message"),
    [
        ({"x-amazon-apigateway-authorizer": {"type": "token"}}, "only REST APIs have"),
        ({"x-amazon-apigateway-authorizer": {"type": "cognito"}}, "Invalid authorizer type"),
        (
            {"type": "apiKey", "x-amazon-apigateway-authtype": "awsSigv4"},
            "scopes to IAM authorization (AWS_IAM)",
        ),
        (
            {
                "x-amazon-apigateway-authorizer": {
                    "type": "request",
                    "authorizerUri": AUTH_FN,
                    "authorizerPayloadFormatVersion": "2.0",
                }
            },
            "scopes are for JWT authorizers only",
        ),
    ],
)
def test_authorizer_errors(scheme, message):
    """Authorizers HTTP APIs (or Stratus) lack, and scopes given to a Lambda authorizer."""
    document = doc(
        {"/a": {"get": {"security": [{"s": ["read"]}]}}},
        components={"securitySchemes": {"s": scheme}},
    )

    with pytest.raises(Invalid) as caught:
        parse(document)

    assert message in caught.value.message


@pytest.mark.parametrize(
    ("document", "warning", "routes"),
    [
        (
            doc({"/a": {"get": {"x-amazon-apigateway-integration": PROXY | {"type": "AWS"}}}}),
            "support only AWS_PROXY and HTTP_PROXY integrations, not AWS",
            {"GET /a": None},
        ),
        (
            doc({"/a": {"get": {}}}, **{"x-amazon-apigateway-binary-media-types": ["*/*"]}),
            "x-amazon-apigateway-binary-media-types in the document is not supported",
            {"GET /a": None},
        ),
        (
            doc({"/a": {"get": {"x-amazon-apigateway-request-validator": "all"}}}),
            "x-amazon-apigateway-request-validator in GET /a is not supported",
            {"GET /a": None},
        ),
        (doc({"/a": {"trace": {}}}), "do not route TRACE", {}),
        (
            doc(
                {"/a": {"get": {"security": [{"key": []}]}}},
                components={"securitySchemes": {"key": {"type": "apiKey", "in": "header"}}},
            ),
            "the route is imported without authorization",
            {"GET /a": None},
        ),
        (
            doc(
                {
                    "/a": {
                        "get": {
                            "x-amazon-apigateway-integration": PROXY
                            | {"payloadFormatVersion": None}
                        }
                    }
                }
            ),
            "has no payloadFormatVersion; it uses 1.0",
            {"GET /a": "1.0"},
        ),
    ],
)
def test_warnings(document, warning, routes):
    """Valid but unusable parts are skipped with a warning (failOnWarnings turns them into
    an error, in the service)."""
    definition = parse(document)

    assert any(warning in w for w in definition.Warnings), definition.Warnings
    found = {
        r.RouteKey: r.Integration and definition.Integrations[r.Integration].PayloadFormatVersion
        for r in definition.Routes
    }
    assert found == routes


def test_aws_service_integrations():
    """integrationSubtype makes an AWS service integration: its requestParameters (AWS
    variables replaced) and credentials are read."""
    document = doc({"/": {"post": {"x-amazon-apigateway-integration": SERVICE}}})

    definition = parse(document)

    (integration,) = definition.Integrations.values()
    assert integration.IntegrationType == "AWS_PROXY"
    assert integration.IntegrationSubtype == "StepFunctions-StartSyncExecution"
    assert integration.CredentialsArn == f"arn:aws:iam::{ACCOUNT}:role/api"
    assert integration.RequestParameters == {
        "Input": "$request.body",
        "StateMachineArn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:m",
    }
    assert integration.IntegrationUri is None
    assert definition.Warnings == ()


def test_ignored_properties_are_import_info():
    """Request bodies (HTTP APIs do not validate) and REST-only integration members are
    reported as ImportInfo, not warnings."""
    integration = PROXY | {"passthroughBehavior": "when_no_match"}
    document = doc(
        {"/a": {"post": {"requestBody": {}, "x-amazon-apigateway-integration": integration}}}
    )

    definition = parse(document)

    assert definition.Warnings == ()
    assert any("requestBody ignored" in i for i in definition.ImportInfo)
    assert any("passthroughBehavior ignored" in i for i in definition.ImportInfo)


def test_api_settings_from_the_document():
    """info, tags (a name alone is an empty value), CORS and the endpoint switch."""
    document = doc(
        info={"title": "Pets", "description": "d", "version": "v2"},
        tags=[{"name": "team", "x-amazon-apigateway-tag-value": "x"}, {"name": "prod"}],
        servers=[
            {
                "url": "https://x.example",
                "x-amazon-apigateway-endpoint-configuration": {"disableExecuteApiEndpoint": True},
            }
        ],
        **{
            "x-amazon-apigateway-cors": {"allowOrigins": ["*"], "allowMethods": ["GET"]},
            "x-amazon-apigateway-importexport-version": "1.0",
        },
    )

    definition = parse(document)

    assert (definition.Name, definition.Description, definition.Version) == ("Pets", "d", "v2")
    assert definition.Tags == {"team": "x", "prod": ""}
    assert definition.CorsConfiguration.AllowOrigins == ["*"]
    assert definition.CorsConfiguration.AllowMethods == ["GET"]
    assert definition.DisableExecuteApiEndpoint is True
    assert definition.Warnings == ()


def test_unknown_basepath_mode():
    with pytest.raises(Invalid) as caught:
        parse(doc(), basepath="strip")

    assert "ignore, prepend or split" in caught.value.message
