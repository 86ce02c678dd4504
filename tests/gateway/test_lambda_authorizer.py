"""Lambda (REQUEST) authorizers: the pure parts with tables, then end to end (apigatewayv2
through boto3, an authorizer function and an echo integration, real HTTP requests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from stratus.gateway.lambda_authorizer import (
    Answer,
    MalformedAnswer,
    ResultCache,
    identity_values,
    policy_allows,
    read_answer,
    route_arn,
)

ARN = route_arn("us-east-1", "000000000000", "abcdefghij", "$default", "GET", "/pets/1")


def _statement(effect: str, resource: Any, action: Any = "execute-api:Invoke") -> dict:
    return {"Action": action, "Effect": effect, "Resource": resource}


@pytest.mark.parametrize(
    ("statements", "allowed"),
    [
        ([], False),
        ([_statement("Allow", ARN)], True),
        ([_statement("Allow", [ARN])], True),
        ([_statement("Allow", "*")], True),
        ([_statement("Allow", "arn:aws:execute-api:*:*:abcdefghij/*/GET/*")], True),
        ([_statement("Allow", "arn:aws:execute-api:*:*:abcdefghij/*/POST/*")], False),
        ([_statement("Allow", "arn:aws:execute-api:*:*:abcdefghij/$default/GET/pets/?")], True),
        ([_statement("Allow", ARN), _statement("Deny", "*")], False),
        ([_statement("Deny", "arn:aws:execute-api:*:*:other/*"), _statement("Allow", "*")], True),
        ([_statement("Allow", ARN, action="execute-api:*")], True),
        ([_statement("Allow", ARN, action=["s3:GetObject"])], False),
        ([_statement("Allow", ARN, action="*")], True),
        ([_statement("Maybe", ARN)], False),
    ],
)
def test_policy_evaluation(statements, allowed):
    assert policy_allows(statements, ARN) is allowed


@pytest.mark.parametrize(
    ("output", "simple", "expected"),
    [
        ({"isAuthorized": True}, True, Answer(True)),
        ({"isAuthorized": False, "context": {"a": 1}}, True, Answer(False, context={"a": 1})),
        (
            {"principalId": "u", "policyDocument": {"Statement": _statement("Allow", "*")}},
            False,
            Answer(None, (_statement("Allow", "*"),), "u"),
        ),
        (
            {"policyDocument": {"Statement": [_statement("Deny", "*")]}, "context": {}},
            True,
            Answer(None, (_statement("Deny", "*"),), None, {}),
        ),
    ],
)
def test_answers_are_read(output, simple, expected):
    assert read_answer(json.dumps(output).encode(), simple) == expected


@pytest.mark.parametrize(
    ("output", "simple"),
    [
        (b"not json", True),
        (b"[]", True),
        (b'{"isAuthorized": "yes"}', True),
        (b"{}", True),
        (b'{"isAuthorized": true}', False),
        (b'{"isAuthorized": true, "context": "x"}', True),
        (b'{"policyDocument": {"Statement": ["x"]}}', False),
    ],
)
def test_malformed_answers(output, simple):
    with pytest.raises(MalformedAnswer):
        read_answer(output, simple)


@pytest.mark.parametrize(
    ("sources", "headers", "query", "expected"),
    [
        ([], [], "", []),
        (["$request.header.Auth"], [("auth", "t")], "", ["t"]),
        (["$request.header.auth"], [("Auth", "a"), ("AUTH", "b")], "", ["a,b"]),
        (["$request.header.Auth"], [], "", None),
        (["$request.header.Auth"], [("auth", " ")], "", None),
        (["$request.querystring.k"], [], "k=1&k=2", ["1,2"]),
        (["$request.querystring.k"], [], "k=", None),
        (["$request.header.a", "$stageVariables.v"], [("a", "1")], "", ["1", "sv"]),
        (["$stageVariables.missing"], [], "", None),
        (["$context.identity.sourceIp", "$context.requestTimeEpoch"], [], "", ["10.0.0.1", "5"]),
        (["$context.identity.caller"], [], "", None),  # null: missing
        (["$context.identity"], [], "", None),  # an object is no value
        (["$context.nothing.here"], [], "", None),
    ],
)
def test_identity_values(sources, headers, query, expected):
    context = {"identity": {"sourceIp": "10.0.0.1", "caller": None}, "requestTimeEpoch": 5}

    assert identity_values(sources, headers, query, {"v": "sv"}, context) == expected


def test_result_cache_keeps_answers_for_their_ttl():
    now = [0.0]
    cache = ResultCache(clock=lambda: now[0], max_entries=2)
    cache.put(("a",), Answer(True), 10)
    cache.put(("z",), Answer(True), 0)  # TTL 0: not cached
    assert cache.get(("a",)) == Answer(True)
    assert cache.get(("z",)) is None
    now[0] = 9.9
    assert cache.get(("a",)) == Answer(True)
    now[0] = 10.0
    assert cache.get(("a",)) is None
    for key in ("b", "c", "d"):
        cache.put((key,), Answer(False), 100)
    assert cache.get(("b",)) is None  # the oldest went past max_entries
    assert cache.get(("d",)) == Answer(False)


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
    token = event["headers"].get("authorization", "")
    arn = event.get("routeArn") or event["methodArn"]
    if token == "crash":
        raise RuntimeError("boom")
    if token == "garbage":
        return "not an answer"
    if token.startswith("iam-"):
        effect = "Allow" if token in ("iam-allow", "iam-elsewhere") else "Deny"
        resource = arn if token != "iam-elsewhere" else arn.rsplit("/", 2)[0] + "/POST/*"
        return {
            "principalId": "bob",
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {"Action": "execute-api:Invoke", "Effect": effect, "Resource": [resource]}
                ],
            },
            "context": {"user": "bob", "tier": "gold"},
        }
    return {"isAuthorized": token.startswith("allow"), "context": {"user": "alice", "n": 1}}
"""


@pytest.fixture(scope="module")
def apigw(server: Any) -> Any:
    return server.client("apigatewayv2")


@pytest.fixture
def protected(server, apigw, deploy, shared_dir):
    """make(**authorizer settings) -> request(token) against `GET /me` behind the authorizer."""
    created: list[str] = []
    prefix = f"arn:aws:lambda:{server.settings.region}:{server.settings.account_id}:function:"
    authorizer_function = deploy(AUTHORIZER, Environment={"Variables": {"SHARED": str(shared_dir)}})
    echo = deploy(ECHO)

    def make(integration_version: str = "2.0", **settings: Any) -> Any:
        api_id = apigw.create_api(Name="lambda-auth", ProtocolType="HTTP")["ApiId"]
        created.append(api_id)
        apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
        integration = apigw.create_integration(
            ApiId=api_id,
            IntegrationType="AWS_PROXY",
            IntegrationUri=prefix + echo,
            PayloadFormatVersion=integration_version,
        )["IntegrationId"]
        settings = {
            "AuthorizerPayloadFormatVersion": "2.0",
            "EnableSimpleResponses": True,
            "IdentitySource": ["$request.header.Authorization"],
            "AuthorizerUri": f"arn:aws:apigateway:{server.settings.region}:lambda:path/"
            f"2015-03-31/functions/{prefix}{authorizer_function}/invocations",
        } | settings
        authorizer = apigw.create_authorizer(
            ApiId=api_id, AuthorizerType="REQUEST", Name="lambda", **settings
        )["AuthorizerId"]
        apigw.create_route(
            ApiId=api_id,
            RouteKey="GET /me",
            Target=f"integrations/{integration}",
            AuthorizationType="CUSTOM",
            AuthorizerId=authorizer,
        )

        def request(token: str | None) -> httpx.Response:
            headers = {"authorization": token} if token is not None else {}
            url = f"{server.endpoint_url}/_aws/execute-api/{api_id}/me?q=1"
            return httpx.get(url, headers=headers, timeout=30)

        request.api_id = api_id  # type: ignore[attr-defined]
        return request

    yield make
    for api_id in created:
        apigw.delete_api(ApiId=api_id)


def _calls(shared_dir: Path) -> int:
    path = shared_dir / "calls"
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_simple_allow_passes_the_context(protected, shared_dir):
    request = protected()
    response = request("allow")
    assert response.status_code == 200
    event = response.json()
    assert event["requestContext"]["authorizer"] == {"lambda": {"user": "alice", "n": 1}}
    seen = json.loads((shared_dir / "event.json").read_text())
    assert seen["version"] == "2.0"
    assert seen["type"] == "REQUEST"
    assert seen["identitySource"] == ["allow"]
    assert seen["routeArn"].endswith(f"{event['requestContext']['apiId']}/$default/GET/me")
    assert seen["routeArn"].startswith("arn:aws:execute-api:")
    assert seen["routeKey"] == "GET /me"
    assert seen["rawQueryString"] == "q=1"
    assert seen["queryStringParameters"] == {"q": "1"}
    assert "body" not in seen


def test_simple_deny_is_403(protected):
    response = protected()("deny")
    assert response.status_code == 403
    assert response.json() == {"message": "Forbidden"}


def test_missing_identity_is_401_without_invoking(protected, shared_dir):
    response = protected()(None)
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}
    assert _calls(shared_dir) == 0


@pytest.mark.parametrize("token", ["crash", "garbage"])
def test_failing_authorizer_is_500(protected, token):
    response = protected()(token)
    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}


def test_iam_policy_payload_1_0(protected, shared_dir):
    request = protected("1.0", AuthorizerPayloadFormatVersion="1.0", EnableSimpleResponses=False)
    allowed = request("iam-allow")
    assert allowed.status_code == 200
    assert allowed.json()["requestContext"]["authorizer"] == {
        "user": "bob",
        "tier": "gold",
        "principalId": "bob",
    }
    seen = json.loads((shared_dir / "event.json").read_text())
    assert (seen["version"], seen["type"], seen["identitySource"]) == (
        "1.0",
        "REQUEST",
        "iam-allow",
    )
    assert seen["methodArn"].endswith("/$default/GET/me")
    assert request("iam-deny").status_code == 403
    assert request("iam-elsewhere").status_code == 403


def test_iam_policy_payload_2_0_without_simple_responses(protected):
    request = protected(EnableSimpleResponses=False)
    response = request("iam-allow")
    assert response.status_code == 200
    assert response.json()["requestContext"]["authorizer"]["lambda"]["user"] == "bob"
    assert request("iam-deny").status_code == 403


def test_results_are_cached_by_identity(protected, shared_dir):
    request = protected(AuthorizerResultTtlInSeconds=300)
    assert request("allow-1").status_code == 200
    assert request("allow-1").status_code == 200
    assert _calls(shared_dir) == 1
    assert request("allow-2").status_code == 200
    assert request("deny").status_code == 403
    assert request("deny").status_code == 403
    assert _calls(shared_dir) == 3


def test_without_ttl_every_request_invokes(protected, shared_dir):
    request = protected()
    for _ in range(2):
        assert request("allow").status_code == 200
    assert _calls(shared_dir) == 2


def test_context_variables_are_identity_sources(protected, shared_dir):
    """`$context.X` identity sources (as SAM's Identity.Context writes them) are accepted and
    read per request: their values reach the authorizer and key its cache, and a variable
    the request has no value for is 401 without invoking."""
    by_ip = protected(
        IdentitySource=["$request.header.Authorization", "$context.identity.sourceIp"],
        AuthorizerResultTtlInSeconds=300,
    )
    made_up = protected(IdentitySource=["$request.header.Authorization", "$context.contextVar"])

    first, again = by_ip("allow"), by_ip("allow")
    seen = json.loads((shared_dir / "event.json").read_text())
    refused = made_up("allow")

    assert (first.status_code, again.status_code) == (200, 200)
    assert seen["identitySource"] == ["allow", first.json()["requestContext"]["http"]["sourceIp"]]
    assert _calls(shared_dir) == 1  # the second answer came from the cache
    assert refused.status_code == 401


def test_context_identity_values_key_the_cache(protected, shared_dir):
    """A source whose value changes per request ($context.requestId) invokes every time."""
    request = protected(IdentitySource=["$context.requestId"], AuthorizerResultTtlInSeconds=300)

    answers = [request("allow").status_code for _ in range(2)]

    assert answers == [200, 200]
    assert _calls(shared_dir) == 2


def test_request_authorizer_control_plane(server, apigw):
    api_id = apigw.create_api(Name="ctl", ProtocolType="HTTP")["ApiId"]
    function = f"arn:aws:lambda:{server.settings.region}:000000000000:function:auth"
    try:
        created = apigw.create_authorizer(
            ApiId=api_id,
            AuthorizerType="REQUEST",
            Name="l",
            AuthorizerUri=function,
            AuthorizerPayloadFormatVersion="2.0",
            EnableSimpleResponses=True,
            AuthorizerResultTtlInSeconds=60,
            IdentitySource=["$request.header.Authorization", "$request.querystring.k"],
        )
        authorizer_id = created["AuthorizerId"]
        got = apigw.get_authorizer(ApiId=api_id, AuthorizerId=authorizer_id)
        assert got["AuthorizerType"] == "REQUEST"
        assert got["AuthorizerUri"] == function
        assert got["AuthorizerResultTtlInSeconds"] == 60
        assert got["EnableSimpleResponses"] is True
        assert "JwtConfiguration" not in got
        updated = apigw.update_authorizer(
            ApiId=api_id, AuthorizerId=authorizer_id, AuthorizerResultTtlInSeconds=0
        )
        assert updated["AuthorizerResultTtlInSeconds"] == 0
        assert updated["IdentitySource"] == got["IdentitySource"]
        route = apigw.create_route(
            ApiId=api_id, RouteKey="GET /x", AuthorizationType="CUSTOM", AuthorizerId=authorizer_id
        )
        assert route["AuthorizationType"] == "CUSTOM"
        with pytest.raises(apigw.exceptions.BadRequestException, match="not a JWT authorizer"):
            apigw.create_route(
                ApiId=api_id, RouteKey="GET /y", AuthorizationType="JWT", AuthorizerId=authorizer_id
            )
        bad = [
            {"AuthorizerPayloadFormatVersion": "1.0", "EnableSimpleResponses": True},
            {"AuthorizerResultTtlInSeconds": 30, "IdentitySource": []},
            {"AuthorizerUri": "arn:aws:apigateway:us-east-1:lambda:path/x"},
            {"IdentitySource": ["Authorization"]},
        ]
        for changes in bad:
            settings = {
                "AuthorizerUri": function,
                "AuthorizerPayloadFormatVersion": "2.0",
                "IdentitySource": ["$request.header.Authorization"],
            } | changes
            with pytest.raises(apigw.exceptions.BadRequestException):
                apigw.create_authorizer(
                    ApiId=api_id, AuthorizerType="REQUEST", Name="bad", **settings
                )
        with pytest.raises(apigw.exceptions.BadRequestException):
            apigw.create_authorizer(
                ApiId=api_id,
                AuthorizerType="REQUEST",
                Name="no-version",
                AuthorizerUri=function,
                IdentitySource=["$request.header.Authorization"],
            )
        with pytest.raises(apigw.exceptions.BadRequestException):
            apigw.create_authorizer(
                ApiId=api_id,
                AuthorizerType="REQUEST",
                Name="ttl",
                AuthorizerUri=function,
                IdentitySource=["$request.header.Authorization"],
                AuthorizerPayloadFormatVersion="2.0",
                AuthorizerResultTtlInSeconds=4000,
            )
    finally:
        apigw.delete_api(ApiId=api_id)


def test_reset_authorizers_cache_invokes_again(protected, shared_dir, apigw):
    request = protected(AuthorizerResultTtlInSeconds=300)
    request("allow-1")
    request("allow-1")
    apigw.reset_authorizers_cache(ApiId=request.api_id, StageName="$default")
    request("allow-1")

    assert _calls(shared_dir) == 2


def test_a_stage_deleted_and_made_again_does_not_get_its_cached_answers_back(
    protected, shared_dir, apigw
):
    """Deleting a stage forgets its authorizer cache generation without letting an answer
    cached before the deletion (in any generation) serve the stage made again."""
    request = protected(AuthorizerResultTtlInSeconds=300)
    request("allow-1")
    apigw.reset_authorizers_cache(ApiId=request.api_id, StageName="$default")
    request("allow-1")
    apigw.delete_stage(ApiId=request.api_id, StageName="$default")
    apigw.create_stage(ApiId=request.api_id, StageName="$default", AutoDeploy=True)
    again = request("allow-1")

    assert again.status_code == 200
    assert _calls(shared_dir) == 3
