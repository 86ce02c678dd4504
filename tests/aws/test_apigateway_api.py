"""REST APIs' control plane through boto3's `apigateway` client, against a real server."""

from __future__ import annotations

import contextlib
import copy
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import httpx
import pytest
from botocore.exceptions import ClientError
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

LAMBDA = "arn:aws:lambda:us-east-1:000000000000:function:{}"
URI = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{}/invocations"
FUNCTION_URI = URI.format(LAMBDA.format("fn"))


@pytest.fixture(scope="module")
def apigw(server: Any) -> Any:
    return server.client("apigateway")


@pytest.fixture
def rest_api(apigw: Any) -> Iterator[Callable[..., dict[str, Any]]]:
    """Creates REST APIs (deleted after the test); returns the create function."""
    created: list[str] = []

    def create(**params: Any) -> dict[str, Any]:
        found: dict[str, Any] = apigw.create_rest_api(**{"name": "test", **params})
        created.append(found["id"])
        return found

    yield create
    for api_id in created:
        with contextlib.suppress(apigw.exceptions.NotFoundException):
            apigw.delete_rest_api(restApiId=api_id)


def error(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def with_proxy_method(
    apigw: Any, api_id: str, resource_id: str, method: str = "GET", **kw: Any
) -> None:
    apigw.put_method(
        restApiId=api_id,
        resourceId=resource_id,
        httpMethod=method,
        authorizationType=kw.pop("authorizationType", "NONE"),
        **kw,
    )
    apigw.put_integration(
        restApiId=api_id,
        resourceId=resource_id,
        httpMethod=method,
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=FUNCTION_URI,
    )


# -- REST APIs ---------------------------------------------------------------------------------
def test_create_rest_api_defaults(apigw, rest_api):
    """A new REST API: an EDGE endpoint, HEADER key source, a root resource "/", the Empty
    and Error models."""
    created = rest_api(
        name="pets", description="d", binaryMediaTypes=["image/png"], tags={"a": "b"}
    )

    resources = apigw.get_resources(restApiId=created["id"])["items"]
    models = apigw.get_models(restApiId=created["id"])["items"]

    assert re.fullmatch(r"[a-z0-9]{10}", created["id"])
    assert created["endpointConfiguration"]["types"] == ["EDGE"]
    assert (created["apiKeySource"], created["binaryMediaTypes"], created["tags"]) == (
        "HEADER",
        ["image/png"],
        {"a": "b"},
    )
    assert resources == [{"id": created["rootResourceId"], "path": "/"}]
    assert sorted(m["name"] for m in models) == ["Empty", "Error"]
    assert apigw.get_rest_api(restApiId=created["id"])["name"] == "pets"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"name": ""}, "Member must have length greater than or equal to 1"),
        ({"apiKeySource": "COOKIE"}, "at 'apiKeySource' failed to satisfy constraint"),
        ({"endpointConfiguration": {"types": ["EDGE", "REGIONAL"]}}, "endpointConfiguration.types"),
        ({"cloneFrom": "nothere123"}, "Invalid REST API identifier specified nothere123"),
    ],
)
def test_create_rest_api_refusals(apigw, rest_api, params, message):
    with pytest.raises(ClientError) as caught:
        rest_api(**params)

    code, text = error(caught)
    assert code in ("BadRequestException", "NotFoundException")
    assert message in text


def test_unknown_rest_api(apigw):
    """AWS's NotFoundException and wording, for every call naming an unknown API."""
    calls = [
        lambda: apigw.get_rest_api(restApiId="nothere123"),
        lambda: apigw.get_resources(restApiId="nothere123"),
        lambda: apigw.delete_rest_api(restApiId="nothere123"),
        lambda: apigw.create_deployment(restApiId="nothere123", stageName="s"),
        lambda: apigw.get_authorizers(restApiId="nothere123"),
    ]
    for call in calls:
        with pytest.raises(ClientError) as caught:
            call()

        assert error(caught) == (
            "NotFoundException",
            "Invalid REST API identifier specified nothere123",
        )


def test_rest_apis_page(apigw, rest_api):
    """GetRestApis pages with position/limit; botocore's paginator follows them."""
    ids = {rest_api(name=f"page-{n}")["id"] for n in range(5)}

    first = apigw.get_rest_apis(limit=2)
    pages = apigw.get_paginator("get_rest_apis").paginate(PaginationConfig={"PageSize": 2})
    found = [a["id"] for page in pages for a in page["items"]]

    assert len(first["items"]) == 2
    assert first["position"]
    assert ids <= set(found)
    assert len(found) == len(set(found))
    with pytest.raises(ClientError) as caught:
        apigw.get_rest_apis(limit=501)
    assert error(caught)[0] == "BadRequestException"


def test_update_rest_api(apigw, rest_api):
    """UpdateRestApi's patch paths, and a refusal naming the paths allowed."""
    api_id = rest_api(binaryMediaTypes=["image/png"])["id"]

    updated = apigw.update_rest_api(
        restApiId=api_id,
        patchOperations=[
            {"op": "replace", "path": "/name", "value": "renamed"},
            {"op": "add", "path": "/binaryMediaTypes/application~1octet-stream"},
            {"op": "remove", "path": "/binaryMediaTypes/image~1png"},
            {"op": "replace", "path": "/endpointConfiguration/types/EDGE", "value": "REGIONAL"},
            {"op": "replace", "path": "/apiKeySource", "value": "AUTHORIZER"},
            {"op": "replace", "path": "/minimumCompressionSize", "value": "1024"},
        ],
    )

    assert (updated["name"], updated["binaryMediaTypes"]) == (
        "renamed",
        ["application/octet-stream"],
    )
    assert updated["endpointConfiguration"]["types"] == ["REGIONAL"]
    assert (updated["apiKeySource"], updated["minimumCompressionSize"]) == ("AUTHORIZER", 1024)
    with pytest.raises(ClientError) as caught:
        apigw.update_rest_api(
            restApiId=api_id, patchOperations=[{"op": "replace", "path": "/id", "value": "x"}]
        )
    code, message = error(caught)
    assert code == "BadRequestException"
    assert message.startswith(
        "Invalid patch path '/id' specified for op 'replace'. Must be one of: ["
    )
    with pytest.raises(ClientError) as caught:
        apigw.update_rest_api(
            restApiId=api_id,
            patchOperations=[{"op": "replace", "path": "/apiKeySource", "value": "X"}],
        )
    assert error(caught)[0] == "BadRequestException"


def test_delete_rest_api(apigw, rest_api):
    api_id = rest_api()["id"]

    apigw.delete_rest_api(restApiId=api_id)

    with pytest.raises(ClientError) as caught:
        apigw.get_rest_api(restApiId=api_id)
    assert error(caught)[0] == "NotFoundException"


def test_clone_rest_api(apigw, rest_api):
    """cloneFrom copies resources, methods (with their authorizer), authorizers and models."""
    source = rest_api()
    pets = apigw.create_resource(
        restApiId=source["id"], parentId=source["rootResourceId"], pathPart="pets"
    )
    authorizer = apigw.create_authorizer(
        restApiId=source["id"],
        name="a",
        type="TOKEN",
        authorizerUri=FUNCTION_URI,
        identitySource="method.request.header.Auth",
    )
    with_proxy_method(
        apigw, source["id"], pets["id"], authorizationType="CUSTOM", authorizerId=authorizer["id"]
    )

    clone = rest_api(cloneFrom=source["id"])
    resources = {
        r["path"]: r for r in apigw.get_resources(restApiId=clone["id"], embed=["methods"])["items"]
    }
    copied = apigw.get_authorizers(restApiId=clone["id"])["items"]

    assert sorted(resources) == ["/", "/pets"]
    assert resources["/"]["id"] == clone["rootResourceId"]
    assert resources["/pets"]["id"] != pets["id"]
    assert [a["name"] for a in copied] == ["a"]
    assert copied[0]["id"] != authorizer["id"]
    assert resources["/pets"]["resourceMethods"]["GET"]["authorizerId"] == copied[0]["id"]


# -- resources ---------------------------------------------------------------------------------
def test_resource_tree(apigw, rest_api):
    """Resources nest; paths follow; methods are listed, embedded only with embed=methods."""
    api = rest_api()
    pets = apigw.create_resource(
        restApiId=api["id"], parentId=api["rootResourceId"], pathPart="pets"
    )
    pet = apigw.create_resource(restApiId=api["id"], parentId=pets["id"], pathPart="{id}")
    proxy = apigw.create_resource(restApiId=api["id"], parentId=pet["id"], pathPart="{proxy+}")
    with_proxy_method(apigw, api["id"], pet["id"])

    plain = {r["path"]: r for r in apigw.get_resources(restApiId=api["id"])["items"]}
    embedded = apigw.get_resource(restApiId=api["id"], resourceId=pet["id"], embed=["methods"])

    assert (pet["path"], pet["parentId"], proxy["path"]) == (
        "/pets/{id}",
        pets["id"],
        "/pets/{id}/{proxy+}",
    )
    assert sorted(plain) == ["/", "/pets", "/pets/{id}", "/pets/{id}/{proxy+}"]
    assert plain["/pets/{id}"]["resourceMethods"] == {"GET": {}}
    assert embedded["resourceMethods"]["GET"]["methodIntegration"]["type"] == "AWS_PROXY"


@pytest.mark.parametrize(
    ("parts", "code", "message"),
    [
        (
            ["pets", "pets"],
            "ConflictException",
            "Another resource with the same parent already has this name: pets",
        ),
        (
            ["{id}", "{name}"],
            "BadRequestException",
            "A sibling ({id}) of this resource already has a variable path part -- only one "
            "is allowed",
        ),
        (["{id}", "{proxy+}"], "BadRequestException", "A sibling ({id})"),
        (["pe ts"], "BadRequestException", "Resource's path part only allow a-zA-Z0-9._-"),
        (["{a+b}"], "BadRequestException", "Resource's path part only allow"),
    ],
)
def test_resource_refusals(apigw, rest_api, parts, code, message):
    """Siblings are unique, at most one of them a variable; path parts are checked."""
    api = rest_api()
    *first, last = parts
    for part in first:
        apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart=part)

    with pytest.raises(ClientError) as caught:
        apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart=last)

    assert error(caught)[0] == code
    assert message in error(caught)[1]


def test_resource_under_greedy_or_unknown_parent(apigw, rest_api):
    api = rest_api()
    proxy = apigw.create_resource(
        restApiId=api["id"], parentId=api["rootResourceId"], pathPart="{proxy+}"
    )

    with pytest.raises(ClientError) as greedy:
        apigw.create_resource(restApiId=api["id"], parentId=proxy["id"], pathPart="x")
    with pytest.raises(ClientError) as unknown:
        apigw.create_resource(restApiId=api["id"], parentId="nothere", pathPart="x")

    assert error(greedy)[0] == "BadRequestException"
    assert "greedy" in error(greedy)[1]
    assert error(unknown) == ("NotFoundException", "Invalid Resource identifier specified nothere")


def test_update_and_delete_resources(apigw, rest_api):
    """Renaming or moving a resource re-paths its descendants; deleting one deletes them."""
    api = rest_api()
    root = api["rootResourceId"]
    a = apigw.create_resource(restApiId=api["id"], parentId=root, pathPart="a")
    b = apigw.create_resource(restApiId=api["id"], parentId=root, pathPart="b")
    child = apigw.create_resource(restApiId=api["id"], parentId=a["id"], pathPart="c")

    renamed = apigw.update_resource(
        restApiId=api["id"],
        resourceId=a["id"],
        patchOperations=[{"op": "replace", "path": "/pathPart", "value": "aa"}],
    )
    moved = apigw.update_resource(
        restApiId=api["id"],
        resourceId=a["id"],
        patchOperations=[{"op": "replace", "path": "/parentId", "value": b["id"]}],
    )
    child_path = apigw.get_resource(restApiId=api["id"], resourceId=child["id"])["path"]
    apigw.delete_resource(restApiId=api["id"], resourceId=b["id"])
    left = [r["path"] for r in apigw.get_resources(restApiId=api["id"])["items"]]

    assert renamed["path"] == "/aa"
    assert moved["path"] == "/b/aa"
    assert child_path == "/b/aa/c"
    assert left == ["/"]
    with pytest.raises(ClientError) as caught:
        apigw.delete_resource(restApiId=api["id"], resourceId=root)
    assert error(caught)[0] == "BadRequestException"
    with pytest.raises(ClientError) as caught:
        apigw.update_resource(
            restApiId=api["id"],
            resourceId=root,
            patchOperations=[{"op": "replace", "path": "/pathPart", "value": "x"}],
        )
    assert error(caught)[0] == "BadRequestException"


# -- methods and integrations ------------------------------------------------------------------
@pytest.fixture
def resource(apigw: Any, rest_api: Any) -> tuple[str, str]:
    """(api id, id of /pets)."""
    api = rest_api()
    pets = apigw.create_resource(
        restApiId=api["id"], parentId=api["rootResourceId"], pathPart="pets"
    )
    return api["id"], pets["id"]


def test_methods(apigw, resource):
    """PutMethod records what it is given (AWS_IAM included, which the data plane refuses);
    UpdateMethod patches; DeleteMethod removes it."""
    api_id, pets = resource
    validator = apigw.create_request_validator(restApiId=api_id, name="v", validateRequestBody=True)
    model = apigw.create_model(
        restApiId=api_id, name="Pet", contentType="application/json", schema='{"type": "object"}'
    )

    put = apigw.put_method(
        restApiId=api_id,
        resourceId=pets,
        httpMethod="POST",
        authorizationType="AWS_IAM",
        apiKeyRequired=True,
        operationName="addPet",
        requestValidatorId=validator["id"],
        requestModels={"application/json": model["name"]},
        requestParameters={"method.request.header.X-Id": True},
    )
    patched = apigw.update_method(
        restApiId=api_id,
        resourceId=pets,
        httpMethod="POST",
        patchOperations=[
            {"op": "replace", "path": "/apiKeyRequired", "value": "false"},
            {
                "op": "add",
                "path": "/requestParameters/method.request.querystring.q",
                "value": "false",
            },
            {"op": "replace", "path": "/authorizationType", "value": "NONE"},
        ],
    )
    apigw.delete_method(restApiId=api_id, resourceId=pets, httpMethod="POST")

    assert (put["authorizationType"], put["apiKeyRequired"], put["operationName"]) == (
        "AWS_IAM",
        True,
        "addPet",
    )
    assert (put["requestValidatorId"], put["requestModels"]) == (
        validator["id"],
        {"application/json": "Pet"},
    )
    assert patched["apiKeyRequired"] is False
    assert patched["authorizationType"] == "NONE"
    assert patched["requestParameters"] == {
        "method.request.header.X-Id": True,
        "method.request.querystring.q": False,
    }
    with pytest.raises(ClientError) as caught:
        apigw.get_method(restApiId=api_id, resourceId=pets, httpMethod="POST")
    assert error(caught)[0] == "NotFoundException"
    assert error(caught)[1].startswith("Invalid Method identifier specified")


@pytest.mark.parametrize(
    ("params", "code", "message"),
    [
        (
            {"authorizationType": "CUSTOM"},
            "BadRequestException",
            "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or "
            "COGNITO_USER_POOLS requires a valid authorizer.",
        ),
        (
            {"authorizationType": "CUSTOM", "authorizerId": "nope"},
            "BadRequestException",
            "Invalid authorizer ID specified",
        ),
        (
            {"authorizationType": "NONE", "requestValidatorId": "nope"},
            "BadRequestException",
            "Invalid Request Validator identifier specified nope",
        ),
        (
            {"authorizationType": "NONE", "requestModels": {"application/json": "Nope"}},
            "BadRequestException",
            "Invalid model name specified: Nope",
        ),
        (
            {"authorizationType": "NONE", "requestParameters": {"q": True}},
            "BadRequestException",
            "Invalid mapping expression specified: q",
        ),
        (
            {"authorizationType": "SIGV4"},
            "BadRequestException",
            "at 'authorizationType' failed to satisfy constraint",
        ),
        (
            {"authorizationType": "NONE", "httpMethod": "FETCH"},
            "BadRequestException",
            "Invalid HttpMethod specified 'FETCH'",
        ),
    ],
)
def test_put_method_refusals(apigw, resource, params, code, message):
    api_id, pets = resource
    params = {"httpMethod": "GET", **params}

    with pytest.raises(ClientError) as caught:
        apigw.put_method(restApiId=api_id, resourceId=pets, **params)

    assert error(caught) == (code, message) or (
        error(caught)[0] == code and message in error(caught)[1]
    )


def test_put_method_twice(apigw, resource):
    api_id, pets = resource
    apigw.put_method(restApiId=api_id, resourceId=pets, httpMethod="GET", authorizationType="NONE")

    with pytest.raises(ClientError) as caught:
        apigw.put_method(
            restApiId=api_id, resourceId=pets, httpMethod="GET", authorizationType="NONE"
        )

    assert error(caught) == ("ConflictException", "Method already exists for this resource")


def test_integrations(apigw, resource):
    """PutIntegration fills AWS's defaults; UpdateIntegration patches; DeleteIntegration."""
    api_id, pets = resource
    apigw.put_method(restApiId=api_id, resourceId=pets, httpMethod="ANY", authorizationType="NONE")

    put = apigw.put_integration(
        restApiId=api_id,
        resourceId=pets,
        httpMethod="ANY",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=FUNCTION_URI,
    )
    patched = apigw.update_integration(
        restApiId=api_id,
        resourceId=pets,
        httpMethod="ANY",
        patchOperations=[
            {"op": "replace", "path": "/timeoutInMillis", "value": "5000"},
            {"op": "add", "path": "/cacheKeyParameters/method.request.path.id"},
        ],
    )
    got = apigw.get_integration(restApiId=api_id, resourceId=pets, httpMethod="ANY")
    apigw.delete_integration(restApiId=api_id, resourceId=pets, httpMethod="ANY")

    assert (put["type"], put["httpMethod"], put["uri"]) == ("AWS_PROXY", "POST", FUNCTION_URI)
    assert (put["timeoutInMillis"], put["passthroughBehavior"], put["cacheNamespace"]) == (
        29000,
        "WHEN_NO_MATCH",
        pets,
    )
    assert (put["connectionType"], put["cacheKeyParameters"]) == ("INTERNET", [])
    assert patched["timeoutInMillis"] == 5000 == got["timeoutInMillis"]
    assert got["cacheKeyParameters"] == ["method.request.path.id"]
    with pytest.raises(ClientError) as caught:
        apigw.get_integration(restApiId=api_id, resourceId=pets, httpMethod="ANY")
    assert error(caught) == ("NotFoundException", "Invalid Integration identifier specified")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {
                "type": "AWS_PROXY",
                "integrationHttpMethod": "POST",
                "uri": FUNCTION_URI,
                "timeoutInMillis": 30000,
            },
            "Timeout should be between 50 ms and 29000 ms",
        ),
        (
            {
                "type": "AWS_PROXY",
                "integrationHttpMethod": "POST",
                "uri": FUNCTION_URI,
                "timeoutInMillis": 10,
            },
            "Timeout should be between 50 ms and 29000 ms",
        ),
        (
            {"type": "AWS_PROXY", "uri": FUNCTION_URI},
            "Enumeration value for HttpMethod must be non-empty",
        ),
        (
            {"type": "AWS_PROXY", "integrationHttpMethod": "POST"},
            "Invalid Integration URI specified",
        ),
        (
            {"type": "AWS_PROXY", "integrationHttpMethod": "POST", "uri": "arn:aws:s3:::bucket"},
            "Invalid integration URI",
        ),
        (
            {"type": "HTTP_PROXY", "integrationHttpMethod": "GET", "uri": "ftp://x"},
            "Invalid HTTP endpoint",
        ),
        ({"type": "LAMBDA"}, "at 'type' failed to satisfy constraint"),
    ],
)
def test_put_integration_refusals(apigw, resource, params, message):
    api_id, pets = resource
    apigw.put_method(restApiId=api_id, resourceId=pets, httpMethod="GET", authorizationType="NONE")

    with pytest.raises(ClientError) as caught:
        apigw.put_integration(restApiId=api_id, resourceId=pets, httpMethod="GET", **params)

    assert error(caught)[0] == "BadRequestException"
    assert message in error(caught)[1]


def test_other_integration_types_are_recorded(apigw, resource):
    """MOCK, HTTP and AWS integrations are accepted and recorded as given."""
    api_id, pets = resource
    for method, params in {
        "GET": {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}},
        "POST": {
            "type": "HTTP_PROXY",
            "integrationHttpMethod": "POST",
            "uri": "https://example.com/{proxy}",
        },
        "PUT": {
            "type": "AWS",
            "integrationHttpMethod": "POST",
            "uri": "arn:aws:apigateway:us-east-1:sqs:path/000000000000/queue",
        },
    }.items():
        apigw.put_method(
            restApiId=api_id, resourceId=pets, httpMethod=method, authorizationType="NONE"
        )
        apigw.put_integration(restApiId=api_id, resourceId=pets, httpMethod=method, **params)

    found = apigw.get_resource(restApiId=api_id, resourceId=pets, embed=["methods"])[
        "resourceMethods"
    ]

    assert {m: found[m]["methodIntegration"]["type"] for m in found} == {
        "GET": "MOCK",
        "POST": "HTTP_PROXY",
        "PUT": "AWS",
    }


def test_method_and_integration_responses(apigw, resource):
    api_id, pets = resource
    with_proxy_method(apigw, api_id, pets)
    ids = {"restApiId": api_id, "resourceId": pets, "httpMethod": "GET", "statusCode": "200"}

    method_response = apigw.put_method_response(
        **ids,
        responseParameters={"method.response.header.X-A": False},
        responseModels={"application/json": "Empty"},
    )
    integration_response = apigw.put_integration_response(
        **ids, selectionPattern="", responseTemplates={"application/json": "{}"}
    )
    patched = apigw.update_integration_response(
        **ids, patchOperations=[{"op": "replace", "path": "/selectionPattern", "value": "2\\d{2}"}]
    )
    method = apigw.get_method(restApiId=api_id, resourceId=pets, httpMethod="GET")
    apigw.delete_integration_response(**ids)
    apigw.delete_method_response(**ids)

    assert method_response["responseParameters"] == {"method.response.header.X-A": False}
    assert integration_response["responseTemplates"] == {"application/json": "{}"}
    assert patched["selectionPattern"] == "2\\d{2}"
    assert method["methodResponses"]["200"]["responseModels"] == {"application/json": "Empty"}
    assert (
        method["methodIntegration"]["integrationResponses"]["200"]["selectionPattern"] == "2\\d{2}"
    )
    for call in (apigw.get_method_response, apigw.get_integration_response):
        with pytest.raises(ClientError) as caught:
            call(**ids)
        assert error(caught) == ("NotFoundException", "Invalid Response status code specified")


# -- authorizers, models, validators -----------------------------------------------------------
def test_authorizers(apigw, resource):
    """TOKEN and REQUEST authorizers; caching defaults to 300 s; one in use stays."""
    api_id, pets = resource
    token = apigw.create_authorizer(
        restApiId=api_id,
        name="token",
        type="TOKEN",
        authorizerUri=FUNCTION_URI,
        identitySource="method.request.header.Authorization",
        identityValidationExpression="^Bearer .+$",
    )
    request = apigw.create_authorizer(
        restApiId=api_id,
        name="request",
        type="REQUEST",
        authorizerUri=FUNCTION_URI,
        identitySource="method.request.header.A,method.request.querystring.b",
        authorizerResultTtlInSeconds=0,
    )
    apigw.put_method(
        restApiId=api_id,
        resourceId=pets,
        httpMethod="GET",
        authorizationType="CUSTOM",
        authorizerId=token["id"],
    )

    updated = apigw.update_authorizer(
        restApiId=api_id,
        authorizerId=token["id"],
        patchOperations=[
            {"op": "replace", "path": "/authorizerResultTtlInSeconds", "value": "60"},
            {"op": "replace", "path": "/name", "value": "renamed"},
        ],
    )
    listed = apigw.get_authorizers(restApiId=api_id)["items"]

    assert re.fullmatch(r"[a-z0-9]{6}", token["id"])
    assert token["authorizerResultTtlInSeconds"] == 300
    assert request["identitySource"] == "method.request.header.A, method.request.querystring.b"
    assert (updated["name"], updated["authorizerResultTtlInSeconds"]) == ("renamed", 60)
    assert sorted(a["name"] for a in listed) == ["renamed", "request"]
    with pytest.raises(ClientError) as caught:
        apigw.delete_authorizer(restApiId=api_id, authorizerId=token["id"])
    assert error(caught)[0] == "BadRequestException"
    assert "GET /pets" in error(caught)[1]
    apigw.delete_authorizer(restApiId=api_id, authorizerId=request["id"])
    with pytest.raises(ClientError) as caught:
        apigw.get_authorizer(restApiId=api_id, authorizerId=request["id"])
    assert error(caught)[0] == "NotFoundException"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {
                "type": "COGNITO_USER_POOLS",
                "providerARNs": ["arn:aws:cognito-idp:us-east-1:0:userpool/x"],
            },
            "Authorizers of type COGNITO_USER_POOLS are not supported by Stratus yet",
        ),
        (
            {"type": "TOKEN", "identitySource": "method.request.header.A"},
            "Authorizer URI must be provided",
        ),
        ({"type": "TOKEN", "authorizerUri": FUNCTION_URI}, "Invalid identity source specified"),
        (
            {
                "type": "TOKEN",
                "authorizerUri": FUNCTION_URI,
                "identitySource": "method.request.querystring.t",
            },
            "a TOKEN authorizer reads one header",
        ),
        (
            {
                "type": "TOKEN",
                "authorizerUri": FUNCTION_URI,
                "identitySource": "method.request.header.A",
                "identityValidationExpression": "(",
            },
            "Invalid identityValidationExpression",
        ),
        (
            {"type": "REQUEST", "authorizerUri": FUNCTION_URI},
            "Identity source is required for a REQUEST authorizer",
        ),
        (
            {"type": "REQUEST", "authorizerUri": FUNCTION_URI, "identitySource": "header.A"},
            "Invalid identity source specified",
        ),
        (
            {"type": "REQUEST", "authorizerUri": "arn:aws:s3:::b", "identitySource": "context.a"},
            "Invalid authorizer URI",
        ),
        (
            {
                "type": "TOKEN",
                "authorizerUri": FUNCTION_URI,
                "identitySource": "method.request.header.A",
                "authorizerResultTtlInSeconds": 3601,
            },
            "authorizerResultTtlInSeconds",
        ),
    ],
)
def test_authorizer_refusals(apigw, resource, params, message):
    api_id, _ = resource

    with pytest.raises(ClientError) as caught:
        apigw.create_authorizer(restApiId=api_id, name="a", **params)

    assert error(caught)[0] == "BadRequestException"
    assert message in error(caught)[1]


def test_models(apigw, resource):
    """Models hold draft 4 schemas, checked; names are unique; one in use stays."""
    api_id, pets = resource
    schema = json.dumps({"type": "object", "required": ["name"]})
    created = apigw.create_model(
        restApiId=api_id, name="Pet", contentType="application/json", schema=schema
    )
    apigw.put_method(
        restApiId=api_id,
        resourceId=pets,
        httpMethod="POST",
        authorizationType="NONE",
        requestModels={"application/json": "Pet"},
    )

    updated = apigw.update_model(
        restApiId=api_id,
        modelName="Pet",
        patchOperations=[{"op": "replace", "path": "/schema", "value": '{"type": "array"}'}],
    )

    assert (created["name"], created["schema"]) == ("Pet", schema)
    assert (
        apigw.get_model(restApiId=api_id, modelName="Pet")["schema"]
        == updated["schema"]
        == '{"type": "array"}'
    )
    with pytest.raises(ClientError) as caught:
        apigw.create_model(
            restApiId=api_id, name="Pet", contentType="application/json", schema="{}"
        )
    assert error(caught) == ("ConflictException", "Model name already exists for this REST API")
    with pytest.raises(ClientError) as caught:
        apigw.delete_model(restApiId=api_id, modelName="Pet")
    assert error(caught)[0] == "ConflictException"
    assert "POST /pets" in error(caught)[1]
    apigw.delete_method(restApiId=api_id, resourceId=pets, httpMethod="POST")
    apigw.delete_model(restApiId=api_id, modelName="Pet")
    with pytest.raises(ClientError) as caught:
        apigw.get_model(restApiId=api_id, modelName="Pet")
    assert error(caught) == ("NotFoundException", "Invalid model name specified Pet")


@pytest.mark.parametrize(
    ("name", "schema", "message"),
    [
        (
            "Pet",
            "{not json",
            "Invalid model specified: Validation Result: warnings : [], errors : [Invalid "
            "model schema specified",
        ),
        ("Pet", '{"type": 5}', "Invalid model schema specified: 5 is not valid"),
        ("Pet", "[]", "a schema is a JSON object"),
        ("Pet_1", "{}", "Invalid model name specified: 'Pet_1'"),
    ],
)
def test_model_refusals(apigw, resource, name, schema, message):
    with pytest.raises(ClientError) as caught:
        apigw.create_model(
            restApiId=resource[0], name=name, contentType="application/json", schema=schema
        )

    assert error(caught)[0] == "BadRequestException"
    assert message in error(caught)[1]


def test_request_validators(apigw, resource):
    api_id, pets = resource
    created = apigw.create_request_validator(
        restApiId=api_id, name="body", validateRequestBody=True
    )
    apigw.put_method(
        restApiId=api_id,
        resourceId=pets,
        httpMethod="GET",
        authorizationType="NONE",
        requestValidatorId=created["id"],
    )

    updated = apigw.update_request_validator(
        restApiId=api_id,
        requestValidatorId=created["id"],
        patchOperations=[{"op": "replace", "path": "/validateRequestParameters", "value": "true"}],
    )
    listed = apigw.get_request_validators(restApiId=api_id)["items"]

    assert (created["validateRequestBody"], created["validateRequestParameters"]) == (True, False)
    assert updated["validateRequestParameters"] is True
    assert [v["id"] for v in listed] == [created["id"]]
    with pytest.raises(ClientError) as caught:
        apigw.delete_request_validator(restApiId=api_id, requestValidatorId=created["id"])
    assert error(caught)[0] == "BadRequestException"
    apigw.delete_method(restApiId=api_id, resourceId=pets, httpMethod="GET")
    apigw.delete_request_validator(restApiId=api_id, requestValidatorId=created["id"])
    assert apigw.get_request_validators(restApiId=api_id)["items"] == []


# -- deployments and stages --------------------------------------------------------------------
def test_deployment_needs_methods_with_integrations(apigw, resource):
    api_id, pets = resource

    with pytest.raises(ClientError) as empty:
        apigw.create_deployment(restApiId=api_id, stageName="prod")
    apigw.put_method(restApiId=api_id, resourceId=pets, httpMethod="GET", authorizationType="NONE")
    with pytest.raises(ClientError) as bare:
        apigw.create_deployment(restApiId=api_id, stageName="prod")

    assert error(empty) == ("BadRequestException", "The REST API doesn't contain any methods")
    assert error(bare) == ("BadRequestException", "No integration defined for method: GET /pets")
    assert apigw.get_deployments(restApiId=api_id)["items"] == []
    assert apigw.get_stages(restApiId=api_id)["item"] == []


def test_deployments_and_stages(apigw, resource):
    """CreateDeployment with stageName makes the stage, then points it at later ones; a
    deployment in use cannot be deleted; the API summary is the snapshot's."""
    api_id, pets = resource
    with_proxy_method(apigw, api_id, pets)

    first = apigw.create_deployment(
        restApiId=api_id,
        stageName="prod",
        stageDescription="live",
        description="one",
        variables={"color": "red"},
    )
    with_proxy_method(apigw, api_id, pets, "POST", apiKeyRequired=True)
    second = apigw.create_deployment(restApiId=api_id, stageName="prod", variables={"size": "L"})
    stage = apigw.get_stage(restApiId=api_id, stageName="prod")
    summary_1 = apigw.get_deployment(
        restApiId=api_id, deploymentId=first["id"], embed=["apisummary"]
    )
    summary_2 = apigw.get_deployment(
        restApiId=api_id, deploymentId=second["id"], embed=["apisummary"]
    )

    assert re.fullmatch(r"[a-z0-9]{6}", first["id"])
    assert (stage["deploymentId"], stage["description"]) == (second["id"], "live")
    assert stage["variables"] == {"color": "red", "size": "L"}
    assert summary_1["apiSummary"] == {
        "/pets": {"GET": {"authorizationType": "NONE", "apiKeyRequired": False}}
    }
    assert summary_2["apiSummary"]["/pets"]["POST"] == {
        "authorizationType": "NONE",
        "apiKeyRequired": True,
    }
    assert "apiSummary" not in apigw.get_deployment(restApiId=api_id, deploymentId=first["id"])
    assert [
        s["stageName"]
        for s in apigw.get_stages(restApiId=api_id, deploymentId=second["id"])["item"]
    ] == ["prod"]
    assert apigw.get_stages(restApiId=api_id, deploymentId=first["id"])["item"] == []
    with pytest.raises(ClientError) as caught:
        apigw.delete_deployment(restApiId=api_id, deploymentId=second["id"])
    assert error(caught) == (
        "BadRequestException",
        "Active stages pointing to this deployment must be moved or deleted",
    )
    apigw.delete_deployment(restApiId=api_id, deploymentId=first["id"])
    apigw.delete_stage(restApiId=api_id, stageName="prod")
    apigw.delete_deployment(restApiId=api_id, deploymentId=second["id"])
    assert apigw.get_deployments(restApiId=api_id)["items"] == []


def test_create_and_update_stage(apigw, resource):
    """CreateStage names a deployment; UpdateStage's patch paths, method settings included."""
    api_id, pets = resource
    with_proxy_method(apigw, api_id, pets)
    one = apigw.create_deployment(restApiId=api_id)["id"]
    two = apigw.create_deployment(restApiId=api_id)["id"]

    created = apigw.create_stage(
        restApiId=api_id, stageName="dev", deploymentId=one, variables={"a": "1"}, tags={"t": "v"}
    )
    updated = apigw.update_stage(
        restApiId=api_id,
        stageName="dev",
        patchOperations=[
            {"op": "replace", "path": "/deploymentId", "value": two},
            {"op": "replace", "path": "/description", "value": "development"},
            {"op": "replace", "path": "/variables/b", "value": "2"},
            {"op": "remove", "path": "/variables/a"},
            {"op": "replace", "path": "/tracingEnabled", "value": "true"},
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "100"},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "50"},
            {"op": "replace", "path": "/~1pets/GET/throttling/rateLimit", "value": "5.5"},
            {"op": "replace", "path": "/~1pets/GET/logging/loglevel", "value": "INFO"},
        ],
    )

    assert (created["deploymentId"], created["variables"], created["tags"]) == (
        one,
        {"a": "1"},
        {"t": "v"},
    )
    assert (updated["deploymentId"], updated["description"], updated["tracingEnabled"]) == (
        two,
        "development",
        True,
    )
    assert updated["variables"] == {"b": "2"}
    settings = updated["methodSettings"]
    assert (settings["*/*"]["throttlingRateLimit"], settings["*/*"]["throttlingBurstLimit"]) == (
        100.0,
        50,
    )
    # a method's own settings start from the stage-wide ones
    assert settings["~1pets/GET"]["throttlingRateLimit"] == 5.5
    assert settings["~1pets/GET"]["throttlingBurstLimit"] == 50
    assert settings["~1pets/GET"]["loggingLevel"] == "INFO"
    dropped = apigw.update_stage(
        restApiId=api_id, stageName="dev", patchOperations=[{"op": "remove", "path": "/~1pets/GET"}]
    )
    assert list(dropped["methodSettings"]) == ["*/*"]


@pytest.mark.parametrize(
    ("operation", "code", "message"),
    [
        (
            {"op": "replace", "path": "/deploymentId", "value": "nope"},
            "NotFoundException",
            "Invalid Deployment identifier specified nope",
        ),
        (
            {"op": "replace", "path": "/variables/a", "value": "no spaces"},
            "BadRequestException",
            "variables.a",
        ),
        (
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "fast"},
            "BadRequestException",
            "Invalid value 'fast'",
        ),
        (
            {"op": "replace", "path": "/*/*/logging/loglevel", "value": "LOUD"},
            "BadRequestException",
            "loggingLevel",
        ),
        (
            {"op": "replace", "path": "/pets/GET/throttling/rateLimit", "value": "1"},
            "BadRequestException",
            "Invalid method setting path",
        ),
        (
            {"op": "replace", "path": "/stageName", "value": "x"},
            "BadRequestException",
            "Invalid patch path '/stageName'",
        ),
    ],
)
def test_update_stage_refusals(apigw, resource, operation, code, message):
    api_id, pets = resource
    with_proxy_method(apigw, api_id, pets)
    apigw.create_deployment(restApiId=api_id, stageName="dev")

    with pytest.raises(ClientError) as caught:
        apigw.update_stage(restApiId=api_id, stageName="dev", patchOperations=[operation])

    assert error(caught)[0] == code
    assert message in error(caught)[1]


def test_stage_refusals(apigw, resource):
    api_id, pets = resource
    with_proxy_method(apigw, api_id, pets)
    deployment = apigw.create_deployment(restApiId=api_id, stageName="dev")["id"]

    with pytest.raises(ClientError) as twice:
        apigw.create_stage(restApiId=api_id, stageName="dev", deploymentId=deployment)
    with pytest.raises(ClientError) as bad_name:
        apigw.create_stage(restApiId=api_id, stageName="de v", deploymentId=deployment)
    with pytest.raises(ClientError) as no_deployment:
        apigw.create_stage(restApiId=api_id, stageName="qa", deploymentId="nope")
    with pytest.raises(ClientError) as unknown:
        apigw.get_stage(restApiId=api_id, stageName="qa")

    assert error(twice) == ("ConflictException", "Stage already exists")
    assert error(bad_name)[0] == "BadRequestException"
    assert "Stage name only allows" in error(bad_name)[1]
    assert error(no_deployment) == (
        "NotFoundException",
        "Invalid Deployment identifier specified nope",
    )
    assert error(unknown) == ("NotFoundException", "Invalid Stage identifier specified qa")


# -- API keys and usage plans ------------------------------------------------------------------
@pytest.fixture
def stage(apigw: Any, resource: tuple[str, str]) -> tuple[str, str]:
    """(api id, stage name) of a deployed REST API."""
    api_id, pets = resource
    with_proxy_method(apigw, api_id, pets, apiKeyRequired=True)
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    return api_id, "prod"


@pytest.fixture
def keys(apigw: Any) -> Iterator[list[str]]:
    """Ids of API keys and usage plans to delete after the test."""
    made: list[str] = []
    yield made
    for made_id in made:
        with contextlib.suppress(apigw.exceptions.NotFoundException):
            apigw.delete_api_key(apiKey=made_id)
        with contextlib.suppress(apigw.exceptions.NotFoundException):
            apigw.delete_usage_plan(usagePlanId=made_id)


def test_api_keys(apigw, stage, keys):
    """Values are generated (40 characters) or given, shown only when asked; disabled unless
    enabled; names filter; patches change them."""
    api_id, stage_name = stage
    generated = apigw.create_api_key(
        name="gen-key", stageKeys=[{"restApiId": api_id, "stageName": stage_name}]
    )
    given = apigw.create_api_key(name="given-key", enabled=True, value="v" * 30, customerId="c1")
    keys += [generated["id"], given["id"]]

    hidden = apigw.get_api_key(apiKey=generated["id"])
    shown = apigw.get_api_key(apiKey=generated["id"], includeValue=True)
    by_name = apigw.get_api_keys(nameQuery="gen", includeValues=True)["items"]
    by_customer = apigw.get_api_keys(customerId="c1")["items"]
    updated = apigw.update_api_key(
        apiKey=generated["id"],
        patchOperations=[
            {"op": "replace", "path": "/enabled", "value": "true"},
            {"op": "remove", "path": "/stages", "value": f"{api_id}/{stage_name}"},
        ],
    )

    assert re.fullmatch(r"[a-z0-9]{10}", generated["id"])
    assert re.fullmatch(r"[A-Za-z0-9]{40}", generated["value"])
    assert generated["enabled"] is False
    assert given["enabled"] is True
    assert generated["stageKeys"] == [f"{api_id}/{stage_name}"]
    assert "value" not in hidden
    assert shown["value"] == generated["value"]
    assert [(k["id"], k["value"]) for k in by_name] == [(generated["id"], generated["value"])]
    assert [k["id"] for k in by_customer] == [given["id"]]
    assert "value" not in by_customer[0]
    assert updated["enabled"] is True
    assert updated["stageKeys"] == []
    apigw.delete_api_key(apiKey=given["id"])
    with pytest.raises(ClientError) as caught:
        apigw.get_api_key(apiKey=given["id"])
    assert error(caught) == (
        "NotFoundException",
        f"Invalid API Key identifier specified {given['id']}",
    )


def test_api_key_refusals(apigw, stage, keys):
    keys.append(apigw.create_api_key(name="k", value="x" * 20)["id"])

    with pytest.raises(ClientError) as twice:
        apigw.create_api_key(name="k2", value="x" * 20)
    with pytest.raises(ClientError) as short:
        apigw.create_api_key(name="k3", value="x" * 19)
    with pytest.raises(ClientError) as no_stage:
        apigw.create_api_key(name="k4", stageKeys=[{"restApiId": stage[0], "stageName": "nope"}])

    assert error(twice) == ("ConflictException", "API Key already exists")
    assert error(short)[0] == "BadRequestException"
    assert "at 'value'" in error(short)[1]
    assert error(no_stage) == (
        "NotFoundException",
        f"Invalid stage identifier specified: {stage[0]}/nope",
    )


def test_usage_plans(apigw, stage, keys):
    """Usage plans: API stages, throttle and quota, their patches, their keys."""
    api_id, stage_name = stage
    plan = apigw.create_usage_plan(
        name="basic",
        apiStages=[{"apiId": api_id, "stage": stage_name}],
        throttle={"burstLimit": 10, "rateLimit": 5.0},
        quota={"limit": 1000, "period": "DAY"},
    )
    key = apigw.create_api_key(name="plan-key", enabled=True)
    keys += [plan["id"], key["id"]]

    plan_key = apigw.create_usage_plan_key(
        usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY"
    )
    updated = apigw.update_usage_plan(
        usagePlanId=plan["id"],
        patchOperations=[
            {"op": "replace", "path": "/throttle/rateLimit", "value": "2.5"},
            {"op": "replace", "path": "/quota/period", "value": "MONTH"},
            {
                "op": "replace",
                "path": f"/apiStages/{api_id}:{stage_name}/throttle/~1pets/GET/rateLimit",
                "value": "1",
            },
        ],
    )
    of_key = apigw.get_usage_plans(keyId=key["id"])["items"]

    assert re.fullmatch(r"[a-z0-9]{6}", plan["id"])
    assert (plan["throttle"], plan["quota"]) == (
        {"burstLimit": 10, "rateLimit": 5.0},
        {"limit": 1000, "period": "DAY"},
    )
    assert plan_key == {
        **plan_key,
        "id": key["id"],
        "type": "API_KEY",
        "value": key["value"],
        "name": "plan-key",
    }
    assert updated["throttle"]["rateLimit"] == 2.5
    assert updated["quota"]["period"] == "MONTH"
    assert updated["apiStages"] == [
        {"apiId": api_id, "stage": stage_name, "throttle": {"/pets/GET": {"rateLimit": 1.0}}}
    ]
    assert [p["id"] for p in of_key] == [plan["id"]]
    assert (
        apigw.get_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"])["value"] == key["value"]
    )
    assert [k["id"] for k in apigw.get_usage_plan_keys(usagePlanId=plan["id"])["items"]] == [
        key["id"]
    ]
    apigw.delete_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"])
    assert apigw.get_usage_plan_keys(usagePlanId=plan["id"])["items"] == []
    assert apigw.get_usage_plans(keyId=key["id"])["items"] == []


def test_usage_plan_refusals(apigw, stage, keys):
    """A key is in at most one plan per API stage; stages, quotas and ids are checked."""
    api_id, stage_name = stage
    api_stages = [{"apiId": api_id, "stage": stage_name}]
    one = apigw.create_usage_plan(name="one", apiStages=api_stages)
    two = apigw.create_usage_plan(name="two", apiStages=api_stages)
    key = apigw.create_api_key(name="k")
    keys += [one["id"], two["id"], key["id"]]
    apigw.create_usage_plan_key(usagePlanId=one["id"], keyId=key["id"], keyType="API_KEY")

    with pytest.raises(ClientError) as shared:
        apigw.create_usage_plan_key(usagePlanId=two["id"], keyId=key["id"], keyType="API_KEY")
    with pytest.raises(ClientError) as twice:
        apigw.create_usage_plan_key(usagePlanId=one["id"], keyId=key["id"], keyType="API_KEY")
    with pytest.raises(ClientError) as no_stage:
        apigw.create_usage_plan(name="x", apiStages=[{"apiId": api_id, "stage": "nope"}])
    with pytest.raises(ClientError) as no_period:
        apigw.create_usage_plan(name="x", quota={"limit": 5})
    with pytest.raises(ClientError) as no_key:
        apigw.create_usage_plan_key(usagePlanId=one["id"], keyId="nothere123", keyType="API_KEY")
    with pytest.raises(ClientError) as no_plan:
        apigw.get_usage_plan(usagePlanId="nope")

    assert error(shared)[0] == "ConflictException"
    assert "cannot reference multiple Usage Plans with the same API Stage" in error(shared)[1]
    assert error(twice)[0] == "ConflictException"
    assert error(no_stage)[0] == "NotFoundException"
    assert error(no_period) == (
        "BadRequestException",
        "A usage plan's quota needs a limit and a period (DAY, WEEK or MONTH)",
    )
    assert error(no_key) == ("NotFoundException", "Invalid API Key identifier specified nothere123")
    assert error(no_plan) == ("NotFoundException", "Invalid Usage Plan ID specified nope")


# -- import ------------------------------------------------------------------------------------
SAM = {
    "Transform": "AWS::Serverless-2016-10-31",
    "Resources": {
        "Api": {
            "Type": "AWS::Serverless::Api",
            "Properties": {
                "StageName": "prod",
                "BinaryMediaTypes": ["image~1png"],
                "Models": {
                    "Pet": {
                        "type": "object",
                        "required": ["name"],
                        "properties": {"name": {"type": "string"}},
                    }
                },
                "Auth": {
                    "DefaultAuthorizer": "TokenAuth",
                    "Authorizers": {
                        "TokenAuth": {
                            "FunctionArn": {"Fn::GetAtt": ["AuthFn", "Arn"]},
                            "Identity": {"ValidationExpression": "^Bearer .+$"},
                        }
                    },
                },
            },
        },
        "AuthFn": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Runtime": "python3.11",
                "Handler": "app.handler",
                "CodeUri": "s3://b/k",
            },
        },
        "Fn": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Runtime": "python3.11",
                "Handler": "app.handler",
                "CodeUri": "s3://b/k",
                "Events": {
                    "Get": {
                        "Type": "Api",
                        "Properties": {
                            "RestApiId": {"Ref": "Api"},
                            "Path": "/pets/{id}",
                            "Method": "get",
                        },
                    },
                    "Add": {
                        "Type": "Api",
                        "Properties": {
                            "RestApiId": {"Ref": "Api"},
                            "Path": "/pets",
                            "Method": "post",
                            "RequestModel": {
                                "Model": "Pet",
                                "Required": True,
                                "ValidateBody": True,
                            },
                        },
                    },
                    "Any": {
                        "Type": "Api",
                        "Properties": {
                            "RestApiId": {"Ref": "Api"},
                            "Path": "/{proxy+}",
                            "Method": "any",
                            "Auth": {"Authorizer": "NONE", "ApiKeyRequired": True},
                        },
                    },
                },
            },
        },
    },
}


def sam_body(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    """The OpenAPI body the SAM translator makes for an API, its intrinsics resolved as a
    stack in us-east-1 named "stack" would."""
    session = boto3.session.Session(region_name="us-east-1")  # only its region is read
    translated = Translator(None, Parser(), boto_session=session).translate(
        copy.deepcopy(template), parameter_values={}, get_managed_policy_map=lambda: {}
    )

    def resolve(value: Any) -> Any:
        if isinstance(value, list):
            return [resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if list(value) == ["Ref"]:
            return {"AWS::StackName": "stack", "AWS::Region": "us-east-1"}[value["Ref"]]
        if list(value) == ["Fn::GetAtt"]:
            return LAMBDA.format(value["Fn::GetAtt"][0])
        if list(value) == ["Fn::Sub"]:
            text, names = (
                value["Fn::Sub"] if isinstance(value["Fn::Sub"], list) else (value["Fn::Sub"], {})
            )
            names = {k: resolve(v) for k, v in names.items()} | {"AWS::Region": "us-east-1"}
            return re.sub(
                r"\$\{([^}]+)\}",
                lambda m: names.get(m[1]) or LAMBDA.format(m[1].split(".")[0]),
                text,
            )
        return {k: resolve(v) for k, v in value.items()}

    return resolve(translated["Resources"][logical_id]["Properties"]["Body"])  # type: ignore[no-any-return]


@pytest.fixture
def imported(apigw: Any) -> Iterator[list[str]]:
    made: list[str] = []
    yield made
    for api_id in made:
        apigw.delete_rest_api(restApiId=api_id)


def methods_of(apigw: Any, api_id: str) -> dict[str, dict[str, Any]]:
    resources = apigw.get_resources(restApiId=api_id, embed=["methods"], limit=500)["items"]
    return {r["path"]: r.get("resourceMethods", {}) for r in resources}


def test_import_what_sam_makes(apigw, imported):
    """ImportRestApi of the SAM translator's body: resources, methods with the TOKEN
    authorizer (NONE where SAM says so), the api key requirement, the model and validator,
    Lambda proxy integrations; then it deploys."""
    created = apigw.import_rest_api(body=json.dumps(sam_body(SAM, "Api")))
    imported.append(created["id"])
    api_id = created["id"]

    methods = methods_of(apigw, api_id)
    authorizers = apigw.get_authorizers(restApiId=api_id)["items"]
    validators = apigw.get_request_validators(restApiId=api_id)["items"]
    pet = apigw.get_model(restApiId=api_id, modelName="pet")
    deployment = apigw.create_deployment(restApiId=api_id, stageName="prod")

    assert (created["name"], created["binaryMediaTypes"]) == ("stack", ["image/png"])
    assert sorted(methods) == ["/", "/pets", "/pets/{id}", "/{proxy+}"]
    assert [(a["name"], a["type"], a["identitySource"]) for a in authorizers] == [
        ("TokenAuth", "TOKEN", "method.request.header.Authorization")
    ]
    assert authorizers[0]["identityValidationExpression"] == "^Bearer .+$"
    get = methods["/pets/{id}"]["GET"]
    assert (get["authorizationType"], get["authorizerId"]) == ("CUSTOM", authorizers[0]["id"])
    assert get["methodIntegration"] == {
        **get["methodIntegration"],
        "type": "AWS_PROXY",
        "httpMethod": "POST",
        "uri": URI.format(LAMBDA.format("Fn")),
        "timeoutInMillis": 29000,
        "passthroughBehavior": "WHEN_NO_MATCH",
    }
    add = methods["/pets"]["POST"]
    assert add["requestModels"] == {"application/json": "pet"}
    assert add["requestValidatorId"] == validators[0]["id"]
    assert validators[0]["validateRequestBody"] is True
    assert json.loads(pet["schema"])["required"] == ["name"]
    proxy = methods["/{proxy+}"]["ANY"]
    assert (proxy["authorizationType"], proxy["apiKeyRequired"]) == ("NONE", True)
    assert re.fullmatch(r"[a-z0-9]{6}", deployment["id"])


def test_import_of_the_implicit_api(apigw, imported):
    """The ServerlessRestApi SAM makes for Api events without RestApiId imports too."""
    template = copy.deepcopy(SAM)
    template["Resources"]["Fn"]["Properties"]["Events"]["Hello"] = {
        "Type": "Api",
        "Properties": {"Path": "/hello", "Method": "get"},
    }

    created = apigw.import_rest_api(body=json.dumps(sam_body(template, "ServerlessRestApi")))
    imported.append(created["id"])

    assert methods_of(apigw, created["id"])["/hello"]["GET"]["authorizationType"] == "NONE"


SWAGGER = {
    "swagger": "2.0",
    "info": {"title": "yaml api", "version": "1"},
    "paths": {
        "/a": {
            "get": {
                "x-amazon-apigateway-integration": {
                    "type": "aws_proxy",
                    "httpMethod": "POST",
                    "uri": FUNCTION_URI,
                }
            }
        },
        "/a/b": {"get": {"x-amazon-apigateway-integration": {"type": "mock"}}},
    },
}


def test_import_yaml_and_warnings(apigw, imported):
    """A YAML body imports; warnings come back, and fail the import with failOnWarnings."""
    doc = copy.deepcopy(SWAGGER)
    doc["x-amazon-apigateway-documentation"] = {"version": "1"}

    created = apigw.import_rest_api(body=json.dumps(doc))
    imported.append(created["id"])
    with pytest.raises(ClientError) as caught:
        apigw.import_rest_api(body=json.dumps(doc), failOnWarnings=True)
    from_yaml = apigw.import_rest_api(
        body=(b"swagger: '2.0'\ninfo: {title: from yaml}\npaths: {}\n")
    )
    imported.append(from_yaml["id"])

    assert created["warnings"] == [
        "x-amazon-apigateway-documentation is not supported by Stratus yet and was ignored"
    ]
    assert error(caught)[0] == "BadRequestException"
    assert "Warnings found during import" in error(caught)[1]
    assert from_yaml["name"] == "from yaml"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not: [valid", "Invalid OpenAPI input: the body is neither JSON nor YAML"),
        (b'{"openapi": "3.0.1", "paths": {}}', "Invalid OpenAPI input: info.title is required"),
        (
            json.dumps(
                {
                    **SWAGGER,
                    "paths": {
                        "/a": {
                            "get": {
                                "x-amazon-apigateway-integration": {
                                    "type": "aws_proxy",
                                    "httpMethod": "POST",
                                    "uri": FUNCTION_URI,
                                    "timeoutInMillis": 60000,
                                }
                            }
                        }
                    },
                }
            ).encode(),
            "Unable to put integration on 'GET' for resource at path '/a': Timeout should be "
            "between 50 ms and 29000 ms",
        ),
        (
            json.dumps({**SWAGGER, "paths": {"/{a}/x": {}, "/{b}/y": {}}}).encode(),
            "Unable to create resource at path '/{b}/y': A sibling ({a}) of this resource "
            "already has a variable path part",
        ),
        (
            json.dumps({**SWAGGER, "definitions": {"Bad": {"type": 7}}}).encode(),
            "Unable to create model 'Bad'",
        ),
    ],
)
def test_import_refusals(apigw, imported, body, message):
    """A document that cannot become a REST API is refused whole, saying where."""
    before = {a["id"] for a in apigw.get_rest_apis(limit=500)["items"]}

    with pytest.raises(ClientError) as caught:
        apigw.import_rest_api(body=body)

    assert error(caught)[0] == "BadRequestException"
    assert message in error(caught)[1]
    assert {a["id"] for a in apigw.get_rest_apis(limit=500)["items"]} == before


def test_put_rest_api_merge_and_overwrite(apigw, imported):
    """PutRestApi merges by default (methods replaced or added, the rest kept) or overwrites
    (what the document does not name goes); resource ids of kept paths stay."""
    created = apigw.import_rest_api(body=json.dumps(SWAGGER))
    imported.append(created["id"])
    api_id = created["id"]
    ids_before = {r["path"]: r["id"] for r in apigw.get_resources(restApiId=api_id)["items"]}
    other = copy.deepcopy(SWAGGER)
    other["paths"] = {"/a": {"post": SWAGGER["paths"]["/a"]["get"]}, "/c": SWAGGER["paths"]["/a"]}

    merged = apigw.put_rest_api(restApiId=api_id, body=json.dumps(other))
    after_merge = methods_of(apigw, api_id)
    apigw.put_rest_api(restApiId=api_id, body=json.dumps(other), mode="overwrite")
    after_overwrite = methods_of(apigw, api_id)
    ids_after = {r["path"]: r["id"] for r in apigw.get_resources(restApiId=api_id)["items"]}

    assert merged["id"] == api_id
    assert {p: sorted(m) for p, m in after_merge.items()} == {
        "/": [],
        "/a": ["GET", "POST"],
        "/a/b": ["GET"],
        "/c": ["GET"],
    }
    assert {p: sorted(m) for p, m in after_overwrite.items()} == {
        "/": [],
        "/a": ["POST"],
        "/c": ["GET"],
    }
    assert ids_after["/a"] == ids_before["/a"]
    assert ids_after["/"] == ids_before["/"]
    with pytest.raises(ClientError) as caught:
        apigw.put_rest_api(restApiId=api_id, body=json.dumps(other), mode="replace")
    assert error(caught)[0] == "BadRequestException"


# -- bad requests on the wire ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("POST", "/restapis", b"{", 400, "BadRequestException"),
        ("POST", "/restapis", b"[1]", 400, "BadRequestException"),
        ("POST", "/restapis", b'{"name": 5}', 400, "BadRequestException"),
        ("GET", "/restapis?limit=many", b"", 400, "BadRequestException"),
        ("GET", "/restapis?limit=0", b"", 400, "BadRequestException"),
        ("GET", "/restapis?position=%%%", b"", 400, "BadRequestException"),
        ("GET", "/apikeys/nothere?includeValue=maybe", b"", 400, "BadRequestException"),
        ("POST", "/restapis?mode=import", b"", 400, "BadRequestException"),
        ("PUT", "/restapis/nothere123", b"{}", 400, "BadRequestException"),
        ("PATCH", "/restapis/nothere123", b'{"patchOperations": [{"op": "jump"}]}', 400,
         "BadRequestException"),
        ("GET", "/restapis/nothere123/stages/prod", b"", 404, "NotFoundException"),
    ],
)  # fmt: skip
def test_bad_requests(server, method, path, body, status, code):
    """Bodies and query parameters the server cannot use: API Gateway's typed errors, never
    a 500."""
    response = httpx.request(method, f"{server.endpoint_url}{path}", content=body)

    assert response.status_code == status
    assert response.headers["x-amzn-ErrorType"] == code
    assert response.json()["message"]


# -- ImportApiKeys -----------------------------------------------------------------------------
def test_import_api_keys(apigw, stage, keys):
    """A CSV file's keys are created (enabled unless it says not), added to the plans named,
    and overwritten by value when imported again."""
    api_id, stage_name = stage
    plan = apigw.create_usage_plan(name="p", apiStages=[{"apiId": api_id, "stage": stage_name}])
    keys.append(plan["id"])
    first_value, second_value = "imported0123456789abcdef", "imported-second-0123456789"
    document = (
        "Key,name,Description,enabled,UsagePlanIds,Ignored\n"
        f'{first_value},first,one,TRUE,"{plan["id"]}",x\n'
        f"{second_value},second,,false,,y\n"
    )

    imported = apigw.import_api_keys(body=document.encode(), format="csv")
    keys.extend(imported["ids"])
    first, second = (apigw.get_api_key(apiKey=i, includeValue=True) for i in imported["ids"])
    again = apigw.import_api_keys(
        body=f"name,key,enabled\nrenamed,{first_value},false\n".encode(), format="csv"
    )
    renamed = apigw.get_api_key(apiKey=first["id"])

    assert imported["warnings"] == []
    assert (first["name"], first["value"], first["description"], first["enabled"]) == (
        "first",
        first_value,
        "one",
        True,
    )
    assert (second["name"], second["value"], second["enabled"]) == ("second", second_value, False)
    assert [k["id"] for k in apigw.get_usage_plan_keys(usagePlanId=plan["id"])["items"]] == [
        first["id"]
    ]
    assert again["ids"] == [first["id"]]
    assert (renamed["name"], renamed["description"], renamed["enabled"]) == (
        "renamed",
        "one",
        False,
    )


@pytest.mark.parametrize(
    ("document", "code", "message"),
    [
        (b"name,description\nk,d\n", "BadRequestException", "must name the Name and Key columns"),
        (b"name,key\nk,short\n", "BadRequestException", "Invalid API key file, line 2:"),
        (b"name,key,enabled\nk,long-enough-value-0123456789,maybe\n", "BadRequestException",
         "line 2: Enabled must be true or false"),
        (b"\n\n", "BadRequestException", "it is empty"),
        (b"name,key,usageplanids\nk,long-enough-value-0123456789,nope\n", "NotFoundException",
         "Invalid Usage Plan ID specified nope"),
    ],
)  # fmt: skip
def test_import_api_keys_refusals(apigw, document, code, message):
    """A file that cannot be used is refused whole, saying where; no key is written."""
    before = {k["id"] for k in apigw.get_api_keys(limit=500)["items"]}

    with pytest.raises(ClientError) as caught:
        apigw.import_api_keys(body=document, format="csv")

    assert error(caught)[0] == code
    assert message in error(caught)[1]
    assert {k["id"] for k in apigw.get_api_keys(limit=500)["items"]} == before
