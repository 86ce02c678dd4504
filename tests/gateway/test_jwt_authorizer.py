"""JWT authorizers end to end: apigatewayv2 through boto3, then real HTTP requests with
tokens signed here (the issuer is a file:// JWKS, Stratus's offline extension)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ECHO = """
import json

def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event)}
"""
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def apigw(server: Any) -> Any:
    return server.client("apigatewayv2")


@pytest.fixture
def issuer(tmp_path: Path) -> str:
    jwk = json.loads(RSAAlgorithm.to_jwk(KEY.public_key())) | {"kid": "k1", "use": "sig"}
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk]}))
    return f"file://{path}"


def sign(issuer: str, key: Any = KEY, **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": issuer, "aud": "my-api", "sub": "alice", "iat": now, "exp": now + 300}
    body = {k: v for k, v in (body | claims).items() if v is not None}
    return jwt.encode(body, key, "RS256", headers={"kid": "k1"})


@pytest.fixture
def secured(server, apigw, deploy, issuer):
    """An API whose `GET /me` needs a token and `DELETE /me` the scope `admin`;
    returns payload format -> (api id, request function)."""
    created: list[str] = []

    def make(version: str = "2.0") -> Any:
        api_id = apigw.create_api(Name="jwt", ProtocolType="HTTP")["ApiId"]
        created.append(api_id)
        apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
        function = deploy(ECHO)
        integration = apigw.create_integration(
            ApiId=api_id,
            IntegrationType="AWS_PROXY",
            IntegrationUri=f"arn:aws:lambda:{server.settings.region}:"
            f"{server.settings.account_id}:function:{function}",
            PayloadFormatVersion=version,
        )["IntegrationId"]
        authorizer = apigw.create_authorizer(
            ApiId=api_id,
            AuthorizerType="JWT",
            Name="jwt",
            IdentitySource=["$request.header.Authorization"],
            JwtConfiguration={"Audience": ["my-api"], "Issuer": issuer},
        )["AuthorizerId"]
        for key, scopes in (("GET /me", []), ("DELETE /me", ["admin"])):
            apigw.create_route(
                ApiId=api_id,
                RouteKey=key,
                Target=f"integrations/{integration}",
                AuthorizationType="JWT",
                AuthorizerId=authorizer,
                AuthorizationScopes=scopes,
            )

        def request(method: str, token: str | None) -> httpx.Response:
            headers = {"authorization": f"Bearer {token}"} if token is not None else {}
            url = f"{server.endpoint_url}/_aws/execute-api/{api_id}/me"
            return httpx.request(method, url, headers=headers)

        return api_id, request

    yield make
    for api_id in created:
        apigw.delete_api(ApiId=api_id)


def test_valid_token_reaches_the_function_with_its_claims(secured, issuer):
    _, request = secured()
    response = request("GET", sign(issuer, groups=["a", "b"]))
    assert response.status_code == 200
    authorizer = response.json()["requestContext"]["authorizer"]
    assert authorizer["jwt"]["claims"]["sub"] == "alice"
    assert authorizer["jwt"]["claims"]["groups"] == "[a b]"
    assert authorizer["jwt"]["claims"]["iss"] == issuer
    assert authorizer["jwt"]["scopes"] is None


def test_payload_1_0_gets_claims_and_scopes(secured, issuer):
    _, request = secured("1.0")
    response = request("DELETE", sign(issuer, scope="read admin"))
    assert response.status_code == 200
    authorizer = response.json()["requestContext"]["authorizer"]
    assert authorizer["claims"]["sub"] == "alice"
    assert authorizer["scopes"] == ["read", "admin"]


@pytest.mark.parametrize(
    "case", ["missing", "bad signature", "expired", "wrong audience", "wrong issuer", "garbage"]
)
def test_invalid_tokens_get_401(secured, issuer, case):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = {
        "missing": None,
        "bad signature": sign(issuer, other),
        "expired": sign(issuer, exp=int(time.time()) - 60),
        "wrong audience": sign(issuer, aud="someone-else"),
        "wrong issuer": sign(issuer, iss="https://evil.example.com"),
        "garbage": "abc.def",
    }[case]
    _, request = secured()
    response = request("GET", token)
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}
    assert response.headers["apigw-requestid"]


def test_missing_scope_gets_403(secured, issuer):
    _, request = secured()
    response = request("DELETE", sign(issuer, scope="read"))
    assert response.status_code == 403
    assert response.json() == {"message": "Forbidden"}
    assert request("DELETE", sign(issuer, scope="admin")).status_code == 200


def test_unreachable_jwks_gets_401(apigw, secured, tmp_path):
    """An issuer whose keys cannot be read denies the request; never a 500."""
    api_id, request = secured()
    broken = f"file://{tmp_path}/missing.json"
    for authorizer in apigw.get_authorizers(ApiId=api_id)["Items"]:
        apigw.update_authorizer(
            ApiId=api_id,
            AuthorizerId=authorizer["AuthorizerId"],
            JwtConfiguration={"Issuer": broken},
        )
    response = request("GET", sign(broken))
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}


def test_authorizer_control_plane(apigw, issuer):
    api_id = apigw.create_api(Name="jwt-cp", ProtocolType="HTTP")["ApiId"]
    try:
        created = apigw.create_authorizer(
            ApiId=api_id,
            AuthorizerType="JWT",
            Name="a",
            IdentitySource=["$request.header.Authorization"],
            JwtConfiguration={"Audience": ["x"], "Issuer": issuer},
        )
        authorizer_id = created["AuthorizerId"]
        assert created["AuthorizerType"] == "JWT"
        assert created["JwtConfiguration"] == {"Audience": ["x"], "Issuer": issuer}
        assert apigw.get_authorizer(ApiId=api_id, AuthorizerId=authorizer_id)["Name"] == "a"
        updated = apigw.update_authorizer(
            ApiId=api_id, AuthorizerId=authorizer_id, Name="b", JwtConfiguration={"Audience": ["y"]}
        )
        assert updated["Name"] == "b"
        assert updated["JwtConfiguration"] == {"Audience": ["y"], "Issuer": issuer}
        items = apigw.get_authorizers(ApiId=api_id)["Items"]
        assert [a["AuthorizerId"] for a in items] == [authorizer_id]

        route = apigw.create_route(
            ApiId=api_id,
            RouteKey="GET /x",
            AuthorizationType="JWT",
            AuthorizerId=authorizer_id,
            AuthorizationScopes=["s"],
        )
        got = apigw.get_route(ApiId=api_id, RouteId=route["RouteId"])
        assert (got["AuthorizationType"], got["AuthorizerId"], got["AuthorizationScopes"]) == (
            "JWT",
            authorizer_id,
            ["s"],
        )
        with pytest.raises(ClientError) as in_use:
            apigw.delete_authorizer(ApiId=api_id, AuthorizerId=authorizer_id)
        assert in_use.value.response["Error"]["Code"] == "ConflictException"
        cleared = apigw.update_route(
            ApiId=api_id, RouteId=route["RouteId"], AuthorizationType="NONE"
        )
        assert cleared["AuthorizationType"] == "NONE"
        assert "AuthorizerId" not in cleared
        apigw.delete_authorizer(ApiId=api_id, AuthorizerId=authorizer_id)

        with pytest.raises(apigw.exceptions.NotFoundException):
            apigw.get_authorizer(ApiId=api_id, AuthorizerId=authorizer_id)
        with pytest.raises(apigw.exceptions.NotFoundException):
            apigw.create_route(
                ApiId=api_id, RouteKey="GET /y", AuthorizationType="JWT", AuthorizerId="nope123"
            )
        with pytest.raises(apigw.exceptions.BadRequestException, match="Invalid AuthorizerUri"):
            apigw.create_authorizer(
                ApiId=api_id,
                AuthorizerType="REQUEST",
                Name="l",
                IdentitySource=["$request.header.Authorization"],
                AuthorizerUri="arn:aws:apigateway:us-east-1:lambda:path/x",
                AuthorizerPayloadFormatVersion="2.0",
            )
        with pytest.raises(apigw.exceptions.BadRequestException):
            apigw.create_authorizer(
                ApiId=api_id,
                AuthorizerType="JWT",
                Name="no-config",
                IdentitySource=["$request.header.Authorization"],
            )
        with pytest.raises(apigw.exceptions.BadRequestException):
            apigw.create_route(ApiId=api_id, RouteKey="GET /z", AuthorizationType="JWT")
    finally:
        apigw.delete_api(ApiId=api_id)
    with pytest.raises(apigw.exceptions.NotFoundException):
        apigw.get_authorizers(ApiId=api_id)
