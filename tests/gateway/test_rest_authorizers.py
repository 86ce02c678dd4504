"""REST APIs' Lambda authorizers (TOKEN and REQUEST): the pure parts with tables, then end
to end (an authorizer function, an echo integration, real HTTP requests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from stratus.apis.rest.model import Authorizer
from stratus.gateway.lambda_authorizer import Answer
from stratus.gateway.rest_authorizer import Granted, granted, identity_of, identity_value

EVENT = {
    "multiValueHeaders": {"Authorization": ["tok"], "X-Multi": ["a", "b"], "Empty": [""]},
    "multiValueQueryStringParameters": {"q": ["1", "2"]},
    "stageVariables": {"sv": "stage-value"},
    "requestContext": {"httpMethod": "GET", "requestTimeEpoch": 5, "identity": {}},
}


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("method.request.header.Authorization", "tok"),
        ("method.request.header.authorization", "tok"),
        ("method.request.header.X-Multi", "b"),
        ("method.request.multivalueheader.X-Multi", "a,b"),
        ("method.request.header.Missing", None),
        ("method.request.querystring.q", "2"),
        ("method.request.multivaluequerystring.q", "1,2"),
        ("method.request.querystring.none", None),
        ("stageVariables.sv", "stage-value"),
        ("stageVariables.nope", None),
        ("context.httpMethod", "GET"),
        ("context.requestTimeEpoch", "5"),
        ("context.identity", None),
        ("nonsense", None),
    ],
)
def test_identity_values(source, value):
    assert identity_value(source, EVENT) == value


def _authorizer(kind: str, source: str, expression: str | None = None) -> Authorizer:
    return Authorizer(
        id="a1", name="a", type=kind, identitySource=source,
        identityValidationExpression=expression,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("authorizer", "identity"),
    [
        (_authorizer("TOKEN", "method.request.header.Authorization"), ["tok"]),
        (_authorizer("TOKEN", "method.request.header.Authorization", "t.k"), ["tok"]),
        (_authorizer("TOKEN", "method.request.header.Authorization", "t"), None),
        (_authorizer("TOKEN", "method.request.header.Empty"), None),
        (_authorizer("TOKEN", "method.request.header.Missing"), None),
        (
            _authorizer("REQUEST", "method.request.header.Authorization, stageVariables.sv"),
            ["tok", "stage-value"],
        ),
        (_authorizer("REQUEST", "method.request.header.Authorization, stageVariables.x"), None),
        (_authorizer("REQUEST", ""), []),
    ],
)
def test_identity(authorizer, identity):
    """Every identity source must have a value; a TOKEN must match its expression."""
    assert identity_of(authorizer, EVENT) == identity


def test_granted_context_values_become_strings():
    """requestContext.authorizer: principalId, integrationLatency, then the context, its
    values as strings; objects in the context are AWS's 500."""
    answer = Answer(None, (), "bob", {"s": "x", "n": 1, "f": 1.5, "b": True}, "key")

    assert granted(answer, 12) == Granted(
        {
            "principalId": "bob",
            "integrationLatency": 12,
            "s": "x",
            "n": "1",
            "f": "1.5",
            "b": "true",
        },
        "key",
    )
    assert granted(Answer(None, context={"o": {"a": 1}}), 0).status == 500  # type: ignore[union-attr]


# -- end to end ------------------------------------------------------------------------------

ECHO = """
import json

def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event)}
"""
AUTHORIZER = """
import json, os

def handler(event, context):
    shared = os.environ["SHARED"]
    with open(os.path.join(shared, "calls"), "a") as f:
        f.write("x\\n")
    with open(os.path.join(shared, "event.json"), "w") as f:
        json.dump(event, f)
    token = event.get("authorizationToken") or event["headers"].get("Authorization", "")
    arn = event["methodArn"]
    if token == "unauthorized":
        raise Exception("Unauthorized")
    if token == "crash":
        raise RuntimeError("boom")
    if token == "garbage":
        return "not a policy"
    effect = "Deny" if token.startswith("deny") else "Allow"
    resource = arn
    if token.startswith("elsewhere"):
        resource = arn.rsplit("/", 2)[0] + "/POST/*"
    if token.startswith("wildcard"):
        resource = arn.split("/", 1)[0] + "/*/GET/*"
    return {
        "principalId": "user-" + token,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
        "context": {"tier": "gold", "n": 7, "ok": True},
        "usageIdentifierKey": "ignored-here",
    }
"""
UNAUTHORIZED = {"message": "Unauthorized"}


def _calls(shared_dir: Path) -> int:
    path = shared_dir / "calls"
    return len(path.read_text().splitlines()) if path.exists() else 0


@pytest.fixture
def protected(rest_api, deploy, shared_dir):
    """make(kind, **authorizer settings) -> the API with GET /me and GET /pets/{id} behind
    that authorizer, deployed to prod with stage variable sv=stage-value."""

    def make(kind: str = "TOKEN", **settings: Any) -> Any:
        api = rest_api()
        function = deploy(AUTHORIZER, Environment={"Variables": {"SHARED": str(shared_dir)}})
        authorizer = api.authorizer(function, kind, **settings)
        echo = deploy(ECHO)
        for path in ("/me", "/pets/{id}"):
            api.method(path, "GET", echo, authorizationType="CUSTOM", authorizerId=authorizer)
        api.deploy("prod", variables={"sv": "stage-value"})
        return api

    return make


def _get(api: Any, token: str | None, path: str = "/prod/me", **kw: Any) -> Any:
    headers = {"Authorization": token} if token is not None else {}
    return api.call("GET", path, headers=headers, **kw)


def test_token_authorizer_allows_with_context(server, protected, shared_dir):
    """TOKEN: the function gets type, authorizationToken and methodArn; its policy allows;
    principalId, integrationLatency and the context (as strings) reach the integration."""
    api = protected(authorizerResultTtlInSeconds=0)

    response = _get(api, "allow-1")

    assert response.status_code == 200
    authorizer = response.json()["requestContext"]["authorizer"]
    assert authorizer.pop("integrationLatency") >= 0
    assert authorizer == {"principalId": "user-allow-1", "tier": "gold", "n": "7", "ok": "true"}
    seen = json.loads((shared_dir / "event.json").read_text())
    settings = server.settings
    assert seen == {
        "type": "TOKEN",
        "authorizationToken": "allow-1",
        "methodArn": f"arn:aws:execute-api:{settings.region}:{settings.account_id}:"
        f"{api.id}/prod/GET/me",
    }


@pytest.mark.parametrize("token", [None, ""])
def test_token_missing_is_401_without_calling(protected, shared_dir, token):
    response = _get(protected(), token)

    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    assert response.headers["x-amzn-errortype"] == "UnauthorizedException"
    assert _calls(shared_dir) == 0


def test_token_validation_expression(protected, shared_dir):
    """A token that does not match identityValidationExpression is 401 without a call."""
    api = protected(identityValidationExpression="^allow-[0-9]+$", authorizerResultTtlInSeconds=0)

    assert _get(api, "allow-x").status_code == 401
    assert _calls(shared_dir) == 0
    assert _get(api, "allow-12").status_code == 200


@pytest.mark.parametrize(
    ("token", "status", "body"),
    [
        (
            "deny",
            403,
            {"Message": "User is not authorized to access this resource with an explicit deny"},
        ),
        ("elsewhere", 403, {"Message": "User is not authorized to access this resource"}),
        ("unauthorized", 401, UNAUTHORIZED),
        ("crash", 500, {"message": None}),
        ("garbage", 500, {"message": None}),
    ],
)
def test_token_refusals(protected, token, status, body):
    """Explicit and implicit denies are 403 (AWS's capital-M bodies); the function failing
    with "Unauthorized" is 401; any other failure is 500 {"message": null}."""
    response = _get(protected(), token)

    assert (response.status_code, response.json()) == (status, body)


def test_results_are_cached_by_token_and_evaluated_per_method(protected, shared_dir):
    """With the default TTL (300 s) a token's policy is reused, and checked against each
    request's methodArn: a policy for /me does not open /pets/1."""
    api = protected()

    assert _get(api, "allow").status_code == 200
    assert _get(api, "allow").status_code == 200
    cached = _get(api, "allow", "/prod/pets/1")
    assert _calls(shared_dir) == 1
    assert cached.status_code == 403
    assert _get(api, "wildcard", "/prod/pets/1").status_code == 200
    assert _get(api, "wildcard").status_code == 200
    assert _calls(shared_dir) == 2
    assert (
        _get(api, "allow", "/prod/me").json()["requestContext"]["authorizer"]["integrationLatency"]
        == 0
    )


def test_ttl_zero_calls_every_time(protected, shared_dir):
    api = protected(authorizerResultTtlInSeconds=0)

    for _ in range(3):
        assert _get(api, "allow").status_code == 200

    assert _calls(shared_dir) == 3


def test_request_authorizer(server, protected, shared_dir):
    """REQUEST: identity sources from a header, the query string and stage variables, all
    required; the function gets the proxy event without body after type and methodArn."""
    api = protected(
        "REQUEST",
        identitySource="method.request.header.Authorization, method.request.querystring.q, "
        "stageVariables.sv",
    )

    missing_query = _get(api, "allow")
    allowed = _get(api, "allow", "/prod/pets/3?q=1")

    assert (missing_query.status_code, missing_query.json()) == (401, UNAUTHORIZED)
    assert allowed.status_code == 200
    assert allowed.json()["requestContext"]["authorizer"]["principalId"] == "user-allow"
    seen = json.loads((shared_dir / "event.json").read_text())
    assert (seen["type"], seen["resource"], seen["path"]) == ("REQUEST", "/pets/{id}", "/pets/3")
    assert seen["methodArn"].endswith(f":{api.id}/prod/GET/pets/3")
    assert seen["queryStringParameters"] == {"q": "1"}
    assert seen["pathParameters"] == {"id": "3"}
    assert seen["stageVariables"] == {"sv": "stage-value"}
    assert seen["headers"]["Authorization"] == "allow"
    assert seen["requestContext"]["resourcePath"] == "/pets/{id}"
    assert "body" not in seen
    assert "isBase64Encoded" not in seen
    assert _calls(shared_dir) == 1
    assert _get(api, "allow", "/prod/pets/3?q=1").status_code == 200
    assert _calls(shared_dir) == 1  # cached by (header, query, stage variable)
    assert _get(api, "allow", "/prod/pets/3?q=2").status_code == 200
    assert _calls(shared_dir) == 2


def test_request_authorizer_without_sources_always_calls(protected, shared_dir):
    """Without identity sources (and caching) nothing is required and nothing cached."""
    api = protected("REQUEST", authorizerResultTtlInSeconds=0)

    assert _get(api, None).status_code == 200
    assert _get(api, None).status_code == 200
    assert _calls(shared_dir) == 2


def test_flushing_the_stage_authorizers_cache_calls_again(protected, shared_dir, apigateway):
    """FlushStageAuthorizersCache drops the stage's cached answers; FlushStageCache answers
    for an existing stage (Stratus keeps no integration cache) and 404 for a missing one."""
    api = protected()

    _get(api, "allow")
    _get(api, "allow")
    apigateway.flush_stage_authorizers_cache(restApiId=api.id, stageName="prod")
    _get(api, "allow")
    apigateway.flush_stage_cache(restApiId=api.id, stageName="prod")

    assert _calls(shared_dir) == 2
    with pytest.raises(ClientError) as caught:
        apigateway.flush_stage_authorizers_cache(restApiId=api.id, stageName="nope")
    assert caught.value.response["Error"]["Code"] == "NotFoundException"


def test_a_stage_deleted_and_made_again_does_not_get_its_cached_answers_back(
    protected, shared_dir, apigateway
):
    """Deleting a stage forgets its authorizer cache generation without letting an answer
    cached before the deletion (in any generation) serve the stage made again."""
    api = protected()
    _get(api, "allow")
    apigateway.flush_stage_authorizers_cache(restApiId=api.id, stageName="prod")
    _get(api, "allow")
    deployment = apigateway.get_stage(restApiId=api.id, stageName="prod")["deploymentId"]
    apigateway.delete_stage(restApiId=api.id, stageName="prod")
    apigateway.create_stage(restApiId=api.id, stageName="prod", deploymentId=deployment)
    again = _get(api, "allow")

    assert again.status_code == 200
    assert _calls(shared_dir) == 3
