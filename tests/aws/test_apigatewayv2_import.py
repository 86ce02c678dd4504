"""ImportApi, ReimportApi and ExportApi through boto3, with documents the SAM translator makes,
then real HTTP requests to the imported APIs."""

from __future__ import annotations

import contextlib
import copy
import json
import time
from pathlib import Path
from typing import Any

import boto3
import httpx
import jwt
import pytest
import yaml
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

ECHO = """
import json

def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event)}
"""
# A Lambda authorizer with simple responses: the header x-key must be open-sesame.
AUTHORIZER = """
def handler(event, context):
    return {"isAuthorized": event["headers"].get("x-key") == "open-sesame"}
"""
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def apigw(server: Any) -> Any:
    return server.client("apigatewayv2")


@pytest.fixture
def imported(apigw: Any) -> Any:
    """ImportApi (the body as JSON text unless given as text); APIs deleted after the test."""
    created: list[str] = []

    def create(body: Any, **params: Any) -> dict[str, Any]:
        text = body if isinstance(body, str) else json.dumps(body)
        api: dict[str, Any] = apigw.import_api(Body=text, **params)
        created.append(api["ApiId"])
        return api

    yield create
    for api_id in created:
        with contextlib.suppress(apigw.exceptions.NotFoundException):
            apigw.delete_api(ApiId=api_id)


def arn(server: Any, name: str) -> str:
    return f"arn:aws:lambda:{server.settings.region}:{server.settings.account_id}:function:{name}"


def sam_body(server: Any, resources: dict[str, Any], arns: dict[str, str], api: str) -> dict:
    """The Body the SAM translator gives AWS::ApiGatewayV2::Api `api`, with the intrinsics it
    leaves resolved as CloudFormation would (plain string substitution)."""
    template = {"Transform": "AWS::Serverless-2016-10-31", "Resources": copy.deepcopy(resources)}
    session = boto3.Session(region_name=server.settings.region)
    translator = Translator({}, Parser(), boto_session=session)
    translated = translator.translate(template, parameter_values={}, get_managed_policy_map=dict)
    names = {
        "AWS::Partition": "aws",
        "AWS::Region": server.settings.region,
        "AWS::AccountId": server.settings.account_id,
        "AWS::StackName": "my-stack",
    } | {f"{k}.Arn": v for k, v in arns.items()}

    def resolve(node: Any) -> Any:
        if isinstance(node, list):
            return [resolve(v) for v in node]
        if not isinstance(node, dict):
            return node
        if "Fn::Sub" in node:
            sub = node["Fn::Sub"]
            text, extra = (sub, {}) if isinstance(sub, str) else sub
            for name, value in (names | {k: resolve(v) for k, v in extra.items()}).items():
                text = text.replace("${" + name + "}", value)
            return text
        if "Ref" in node:
            return names[node["Ref"]]
        if "Fn::GetAtt" in node:
            return arns[node["Fn::GetAtt"][0]]
        return {k: resolve(v) for k, v in node.items()}

    return resolve(translated["Resources"][api]["Properties"]["Body"])  # type: ignore[no-any-return]


def function(events: dict[str, Any]) -> dict[str, Any]:
    properties = {"Runtime": "python3.11", "Handler": "app.handler", "InlineCode": "x"}
    return {"Type": "AWS::Serverless::Function", "Properties": properties | {"Events": events}}


def http_event(path: str, method: str, **properties: Any) -> dict[str, Any]:
    return {"Type": "HttpApi", "Properties": {"Path": path, "Method": method, **properties}}


def call(server: Any, api_id: str, path: str, method: str = "GET", **kw: Any) -> httpx.Response:
    return httpx.request(method, f"{server.endpoint_url}/_aws/execute-api/{api_id}{path}", **kw)


def simple_document(server: Any, function_arn: str, path: str, title: str = "simple") -> dict:
    uri = (
        f"arn:aws:apigateway:{server.settings.region}:lambda:path/2015-03-31/functions/"
        f"{function_arn}/invocations"
    )
    integration = {"type": "aws_proxy", "uri": uri, "payloadFormatVersion": "2.0"}
    return {
        "openapi": "3.0.1",
        "info": {"title": title, "version": "1"},
        "paths": {path: {"get": {"x-amazon-apigateway-integration": integration}}},
    }


def test_sam_implicit_api_imports_and_serves(server, apigw, imported, deploy):
    """The implicit ServerlessHttpApi of a function with HttpApi events imports as an API
    whose routes (a method route, ANY {proxy+}, $default) call the function once a $default
    stage exists."""
    name = deploy(ECHO)
    events = {
        "Hello": http_event("/hello", "get"),
        "Proxy": http_event("/items/{proxy+}", "ANY"),
        "CatchAll": {"Type": "HttpApi"},
    }
    body = sam_body(
        server, {"Fn": function(events)}, {"Fn": arn(server, name)}, "ServerlessHttpApi"
    )

    api = imported(body)
    apigw.create_stage(ApiId=api["ApiId"], StageName="$default", AutoDeploy=True)
    hello = call(server, api["ApiId"], "/hello")
    proxy = call(server, api["ApiId"], "/items/a/b", "DELETE")
    other = call(server, api["ApiId"], "/elsewhere", "POST")

    assert api["Name"] == "my-stack"
    assert api["ProtocolType"] == "HTTP"
    assert api["Tags"] == {"httpapi:createdBy": "SAM"}
    assert (hello.status_code, hello.json()["routeKey"]) == (200, "GET /hello")
    assert proxy.json()["routeKey"] == "ANY /items/{proxy+}"
    assert proxy.json()["pathParameters"] == {"proxy": "a/b"}
    assert other.json()["routeKey"] == "$default"
    routes = apigw.get_routes(ApiId=api["ApiId"])["Items"]
    assert {r["RouteKey"] for r in routes} == {"GET /hello", "ANY /items/{proxy+}", "$default"}
    integrations = apigw.get_integrations(ApiId=api["ApiId"])["Items"]
    assert {i["IntegrationType"] for i in integrations} == {"AWS_PROXY"}
    assert {i["PayloadFormatVersion"] for i in integrations} == {"2.0"}


@pytest.fixture
def issuer(tmp_path: Path) -> str:
    jwk = json.loads(RSAAlgorithm.to_jwk(KEY.public_key())) | {"kid": "k1", "use": "sig"}
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk]}))
    return f"file://{path}"


def sign(issuer: str, **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": issuer, "aud": "my-api", "sub": "alice", "iat": now, "exp": now + 300}
    return jwt.encode(body | claims, KEY, "RS256", headers={"kid": "k1"})


def test_sam_auth_and_cors_are_enforced(server, apigw, imported, deploy, issuer):
    """An AWS::Serverless::HttpApi with a default JWT authorizer, a Lambda authorizer, a route
    opted out, and CORS: 401 without a token, 403 when the Lambda says no, preflights answered."""
    echo, auth = deploy(ECHO), deploy(AUTHORIZER)
    api = {
        "Type": "AWS::Serverless::HttpApi",
        "Properties": {
            "Auth": {
                "DefaultAuthorizer": "Jwt",
                "Authorizers": {
                    "Jwt": {
                        "JwtConfiguration": {"issuer": issuer, "audience": ["my-api"]},
                        "IdentitySource": "$request.header.Authorization",
                    },
                    "Lam": {
                        "FunctionArn": {"Fn::GetAtt": ["AuthFn", "Arn"]},
                        "AuthorizerPayloadFormatVersion": "2.0",
                        "EnableSimpleResponses": True,
                        "Identity": {"Headers": ["x-key"], "ReauthorizeEvery": 0},
                    },
                },
            },
            "CorsConfiguration": {"AllowOrigins": ["https://app.example"], "AllowMethods": ["GET"]},
        },
    }
    ref = {"ApiId": {"Ref": "Api"}}
    events = {
        "Secure": http_event("/secure", "get", **ref, Auth={"AuthorizationScopes": ["read"]}),
        "Lambda": http_event("/lam", "post", **ref, Auth={"Authorizer": "Lam"}),
        "Open": http_event("/open", "get", **ref, Auth={"Authorizer": "NONE"}),
    }
    resources = {"Api": api, "AuthFn": function({}), "Fn": function(events)}
    arns = {"Fn": arn(server, echo), "AuthFn": arn(server, auth)}
    api_id = imported(sam_body(server, resources, arns, "Api"))["ApiId"]
    apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)

    no_token = call(server, api_id, "/secure")
    with_token = call(
        server, api_id, "/secure", headers={"authorization": f"Bearer {sign(issuer, scope='read')}"}
    )
    without_scope = call(
        server, api_id, "/secure", headers={"authorization": f"Bearer {sign(issuer)}"}
    )
    refused = call(server, api_id, "/lam", "POST", headers={"x-key": "wrong"})
    allowed = call(server, api_id, "/lam", "POST", headers={"x-key": "open-sesame"})
    open_route = call(server, api_id, "/open")
    preflight = call(
        server, api_id, "/open", "OPTIONS",
        headers={"origin": "https://app.example", "access-control-request-method": "GET"},
    )  # fmt: skip

    assert (no_token.status_code, no_token.json()) == (401, {"message": "Unauthorized"})
    assert with_token.status_code == 200
    assert with_token.json()["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] == "alice"
    assert without_scope.status_code == 403
    assert refused.status_code == 403
    assert (allowed.status_code, allowed.json()["routeKey"]) == (200, "POST /lam")
    assert open_route.status_code == 200
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    authorizers = {a["Name"]: a for a in apigw.get_authorizers(ApiId=api_id)["Items"]}
    assert authorizers["Jwt"]["AuthorizerType"] == "JWT"
    assert authorizers["Lam"]["AuthorizerType"] == "REQUEST"


def test_reimport_replaces_routes_and_keeps_stages(server, apigw, imported, deploy):
    """ReimportApi replaces the routes (the old path stops answering, the new one answers) and
    the API's name; the API id and its stages stay."""
    function_arn = arn(server, deploy(ECHO))
    api = imported(simple_document(server, function_arn, "/hello"))
    apigw.create_stage(ApiId=api["ApiId"], StageName="$default", AutoDeploy=True)
    before = call(server, api["ApiId"], "/hello")

    again = apigw.reimport_api(
        ApiId=api["ApiId"], Body=json.dumps(simple_document(server, function_arn, "/bye", "v2"))
    )
    old = call(server, api["ApiId"], "/hello")
    new = call(server, api["ApiId"], "/bye")

    assert before.status_code == 200
    assert (again["ApiId"], again["Name"]) == (api["ApiId"], "v2")
    assert old.status_code == 404
    assert (new.status_code, new.json()["routeKey"]) == (200, "GET /bye")
    routes = apigw.get_routes(ApiId=api["ApiId"])["Items"]
    assert [r["RouteKey"] for r in routes] == ["GET /bye"]
    assert len(apigw.get_integrations(ApiId=api["ApiId"])["Items"]) == 1
    assert [s["StageName"] for s in apigw.get_stages(ApiId=api["ApiId"])["Items"]] == ["$default"]


def test_warnings_are_reported_or_fail_the_import(server, apigw, imported):
    """A REST-only integration type is a warning: reported in Warnings by default; with
    FailOnWarnings the import fails and creates nothing."""
    document = simple_document(server, arn(server, "fn"), "/a")
    document["paths"]["/a"]["get"]["x-amazon-apigateway-integration"]["type"] = "aws"
    before = len(apigw.get_apis()["Items"])

    with pytest.raises(ClientError) as caught:
        imported(document, FailOnWarnings=True)
    after_failure = len(apigw.get_apis()["Items"])
    api = imported(document)

    error = caught.value.response["Error"]
    assert error["Code"] == "BadRequestException"
    assert error["Message"].startswith("Warnings found during import:")
    assert "not AWS" in error["Message"]
    assert after_failure == before
    assert len(api["Warnings"]) == 1
    assert apigw.get_api(ApiId=api["ApiId"])["Warnings"] == api["Warnings"]
    assert apigw.get_routes(ApiId=api["ApiId"])["Items"][0].get("Target") is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"swagger": "2.0", "info": {"title": "t"}, "paths": {}}', "only OpenAPI 3.0"),
        ("openapi: [", "neither JSON nor YAML"),
        (
            json.dumps(
                {
                    "openapi": "3.0.1",
                    "info": {"title": "t"},
                    "paths": {
                        "/a": {
                            "post": {
                                "x-amazon-apigateway-integration": {
                                    "type": "aws_proxy",
                                    "integrationSubtype": "Kinesis-PutRecord",
                                    "payloadFormatVersion": "1.0",
                                    "requestParameters": {"StreamName": "s"},
                                }
                            }
                        }
                    },
                }
            ),
            "Amazon Kinesis Data Streams, which Stratus does not serve",
        ),
        (
            json.dumps(
                {
                    "openapi": "3.0.1",
                    "info": {"title": "t"},
                    "paths": {
                        "/a": {
                            "get": {
                                "x-amazon-apigateway-integration": {
                                    "$ref": "#/components/x-amazon-apigateway-integrations/gone"
                                }
                            }
                        }
                    },
                }
            ),
            "which the document does not define",
        ),
    ],
)
def test_bad_documents_are_bad_requests(apigw, body, message):
    """Errors are BadRequestException with the reason, and no API is created."""
    before = len(apigw.get_apis()["Items"])

    with pytest.raises(ClientError) as caught:
        apigw.import_api(Body=body)

    assert caught.value.response["Error"]["Code"] == "BadRequestException"
    assert message in caught.value.response["Error"]["Message"]
    assert len(apigw.get_apis()["Items"]) == before


def test_reimport_errors(server, apigw, imported):
    """Reimporting an unknown API is NotFound; a bad document leaves the API as it was."""
    api = imported(simple_document(server, arn(server, "fn"), "/a"))

    with pytest.raises(ClientError) as missing:
        apigw.reimport_api(ApiId="nosuchapi0", Body=json.dumps(simple_document(server, "f", "/a")))
    with pytest.raises(ClientError) as bad:
        apigw.reimport_api(ApiId=api["ApiId"], Body='{"openapi": "2.0"}')

    assert missing.value.response["Error"]["Code"] == "NotFoundException"
    assert bad.value.response["Error"]["Code"] == "BadRequestException"
    assert [r["RouteKey"] for r in apigw.get_routes(ApiId=api["ApiId"])["Items"]] == ["GET /a"]


def test_yaml_body_and_basepath(server, imported, apigw):
    """The body may be YAML; Basepath=prepend puts the server URL's path before each route."""
    document = simple_document(server, arn(server, "fn"), "/e")
    document["servers"] = [{"url": "https://example.com/v1"}]

    api = imported(yaml.safe_dump(document), Basepath="prepend")

    assert [r["RouteKey"] for r in apigw.get_routes(ApiId=api["ApiId"])["Items"]] == ["GET /v1/e"]


def test_export_and_import_again(server, apigw, imported, deploy):
    """ExportApi gives OAS 3.0 as JSON or YAML (with or without extensions, for a stage or
    the latest configuration); an export imports into a second API that serves the same."""
    name = deploy(ECHO)
    events = {"Hello": http_event("/hello/{who}", "get"), "CatchAll": {"Type": "HttpApi"}}
    body = sam_body(
        server, {"Fn": function(events)}, {"Fn": arn(server, name)}, "ServerlessHttpApi"
    )
    api_id = imported(body)["ApiId"]
    apigw.create_stage(ApiId=api_id, StageName="prod", AutoDeploy=True)

    exported = apigw.export_api(ApiId=api_id, Specification="OAS30", OutputType="JSON")
    document = json.loads(exported["body"].read())
    as_yaml = apigw.export_api(
        ApiId=api_id, Specification="OAS30", OutputType="YAML", StageName="prod"
    )
    plain = apigw.export_api(
        ApiId=api_id, Specification="OAS30", OutputType="JSON", IncludeExtensions=False
    )
    copy_id = imported(document)["ApiId"]
    apigw.create_stage(ApiId=copy_id, StageName="$default", AutoDeploy=True)
    served = call(server, copy_id, "/hello/bob")

    assert document["openapi"] == "3.0.1"
    assert document["info"]["title"] == "my-stack"
    assert set(document["paths"]) == {"/hello/{who}", "/$default"}
    stage_document = yaml.safe_load(as_yaml["body"].read())
    assert stage_document["servers"][0]["variables"]["basePath"]["default"] == "prod"
    assert b"x-amazon-apigateway" not in plain["body"].read()
    copied = {r["RouteKey"] for r in apigw.get_routes(ApiId=copy_id)["Items"]}
    assert copied == {"GET /hello/{who}", "$default"}
    assert served.status_code == 200
    assert served.json()["pathParameters"] == {"who": "bob"}


def test_a_stage_exports_what_it_serves(server, apigw, imported, deploy):
    """A stage without AutoDeploy exports its deployment; the API exports its latest."""
    body = simple_document(server, arn(server, deploy(ECHO)), "/old")
    api_id = imported(body)["ApiId"]
    apigw.create_stage(ApiId=api_id, StageName="prod")
    apigw.create_deployment(ApiId=api_id, StageName="prod")
    integration = apigw.get_integrations(ApiId=api_id)["Items"][0]["IntegrationId"]
    apigw.create_route(ApiId=api_id, RouteKey="GET /new", Target=f"integrations/{integration}")

    def paths(**stage: str) -> set[str]:
        found = apigw.export_api(ApiId=api_id, Specification="OAS30", OutputType="JSON", **stage)
        return set(json.loads(found["body"].read())["paths"])

    assert paths(StageName="prod") == {"/old"}
    assert paths() == {"/old", "/new"}


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"Specification": "OAS20", "OutputType": "JSON"}, "BadRequestException"),
        ({"Specification": "OAS30", "OutputType": "XML"}, "BadRequestException"),
        (
            {"Specification": "OAS30", "OutputType": "JSON", "StageName": "nope"},
            "NotFoundException",
        ),
    ],
)
def test_export_errors(server, apigw, imported, params, code):
    api = imported(simple_document(server, arn(server, "fn"), "/a"))

    with pytest.raises(ClientError) as caught:
        apigw.export_api(ApiId=api["ApiId"], **params)

    assert caught.value.response["Error"]["Code"] == code
