"""REST APIs against arbitrary input (hypothesis): the pure parts (matching, identity
sources, MOCK answers, validation) never fail but as documented, and raw requests to a
served REST API, authorizer and validator included, never get a 500 from Stratus."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import create_function
from tests.gateway.rest_apis import RestApi
from tests.gateway.test_bad_requests import exchange, request

from stratus.apis.rest.match import match_resource
from stratus.apis.rest.model import Authorizer, Integration, Method, Resource
from stratus.gateway.rest_authorizer import identity_of
from stratus.gateway.rest_integration import Call, answer_mock
from stratus.gateway.rest_validation import missing, model_name

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
SEGMENT = st.one_of(st.sampled_from(["pets", "1", "%2F", "%", "é", "", "{x}"]), TEXT)
PATH = st.lists(SEGMENT.filter(lambda s: "/" not in s), max_size=5).map(lambda p: "/" + "/".join(p))
RESOURCES = [
    Resource(id=path, path=path, resourceMethods={"GET": Method(httpMethod="GET")})
    for path in ("/", "/pets", "/pets/{id}", "/pets/{id}/toys", "/files/{path+}", "/{proxy+}")
]


@FUZZ
@given(st.sampled_from(["GET", "POST", "get", ""]), PATH)
def test_matching_never_raises(method, path):
    found = match_resource(RESOURCES, method, path)
    if found is not None:
        assert all(isinstance(v, str) and v for v in found.path_parameters.values())


def _event(headers: dict[str, list[str]], query: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "multiValueHeaders": headers,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {"httpMethod": "GET", "identity": {}},
    }


MULTI = st.dictionaries(TEXT, st.lists(TEXT, min_size=1, max_size=3), max_size=4)


@FUZZ
@given(TEXT, st.one_of(st.none(), TEXT), MULTI, MULTI)
def test_identity_sources_never_raise(source, expression, headers, query):
    for kind in ("TOKEN", "REQUEST"):
        authorizer = Authorizer(
            id="a", name="a", type=kind, identitySource=source,
            identityValidationExpression=expression if kind == "TOKEN" else None,
        )  # fmt: skip
        found = identity_of(authorizer, _event(headers, query))
        assert found is None or all(isinstance(v, str) and v for v in found)


@FUZZ
@given(
    st.dictionaries(TEXT, st.booleans(), max_size=4),
    st.dictionaries(TEXT, TEXT, max_size=3),
    st.one_of(st.none(), TEXT),
    MULTI,
    MULTI,
)
def test_validation_helpers_never_raise(parameters, models, content_type, headers, query):
    method = Method(httpMethod="GET", requestParameters=parameters, requestModels=models)
    assert isinstance(missing(method, _event(headers, query)), list)
    assert isinstance(model_name(method, content_type), str)


@FUZZ
@given(
    st.one_of(st.none(), TEXT, st.just('{"statusCode": 404}'), st.just('{"statusCode": "x"}')),
    st.dictionaries(
        st.sampled_from(["200", "404", "500"]),
        st.fixed_dictionaries(
            {"statusCode": st.sampled_from(["200", "404", "500"])},
            optional={
                "selectionPattern": st.one_of(TEXT, st.just("4\\d\\d"), st.just("(")),
                "responseParameters": st.dictionaries(TEXT, TEXT, max_size=3),
                "responseTemplates": st.dictionaries(TEXT, TEXT, max_size=2),
            },
        ),
        max_size=3,
    ),
)
def test_mock_answers_are_always_well_formed(template, responses):
    integration = Integration.model_validate({
        "type": "MOCK",
        "requestTemplates": {"application/json": template} if template is not None else None,
        "integrationResponses": responses or None,
    })  # fmt: skip

    response = answer_mock(Call({}, integration))

    assert 100 <= response.status <= 599
    assert isinstance(response.body, bytes)


# -- raw requests to a served REST API ----------------------------------------------------------

HANDLER = """
import json

def handler(event, context):
    if "authorizationToken" in event or event.get("type") == "REQUEST":
        token = event.get("authorizationToken", "")
        return {"principalId": "p", "policyDocument": {"Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Deny" if "deny" in token else "Allow",
             "Resource": "*"}]}, "context": {"t": token[:10]}}
    return {"statusCode": 200, "body": json.dumps(event)}
"""


@pytest.fixture(scope="module")
def served(server: Any) -> Any:
    """A REST API (prod) with ANY /{proxy+}, a TOKEN-authorized GET /secure and a
    validated POST /checked, all calling one function."""
    lam, apigateway = server.client("lambda"), server.client("apigateway")
    name = f"rest-fuzz-{time.monotonic_ns()}"
    create_function(lam, name, HANDLER)
    api = RestApi(server, apigateway)
    authorizer = api.authorizer(name, authorizerResultTtlInSeconds=0)
    validator = apigateway.create_request_validator(
        restApiId=api.id, name="v", validateRequestBody=True, validateRequestParameters=True
    )["id"]
    apigateway.create_model(
        restApiId=api.id, name="Thing", contentType="application/json",
        schema=json.dumps({"type": "object", "required": ["a"]}),
    )  # fmt: skip
    api.method("/{proxy+}", "ANY", name)
    api.method("/secure", "GET", name, authorizationType="CUSTOM", authorizerId=authorizer)
    api.method(
        "/checked", "POST", name, requestValidatorId=validator,
        requestModels={"application/json": "Thing"},
        requestParameters={"method.request.header.X-Need": True},
    )  # fmt: skip
    api.deploy("prod")
    yield api
    apigateway.delete_rest_api(restApiId=api.id)
    lam.delete_function(FunctionName=name)


HEADER_NAMES = [b"Authorization: ", b"X-Need: ", b"Content-Type: ", b"x-api-key: "]
RAW = st.binary(max_size=30).filter(lambda b: not set(b) & set(b" \r\n?#"))


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from([b"GET", b"POST", b"DELETE", b"BREW", b"get"]),
    st.sampled_from([b"/prod/", b"/prod/secure", b"/prod/checked", b"/", b"/beta/"]),
    RAW,
    st.binary(max_size=20).filter(lambda b: b"\r" not in b and b"\n" not in b),
    st.lists(
        st.sampled_from(HEADER_NAMES).flatmap(lambda name: RAW.map(lambda value: name + value)),
        max_size=3,
    ),
    st.binary(max_size=40),
)  # fmt: skip
def test_fuzzed_requests_never_get_500(server, served, method, base, path, query, headers, body):
    target = f"/_aws/execute-api/{served.id}".encode() + base + path + b"?" + query
    length = f"Content-Length: {len(body)}".encode()
    answer = exchange(server, request(target, *headers, length, method=method), body=body)

    assert answer.status < 500 or answer.status == 502, (target, headers, answer.body)
    assert "x-amzn-requestid" in answer.headers or answer.status == 400
