"""gateway/jwt_authorizer.py on its own: keys made here, tokens signed with PyJWT, JWKS
served by a tiny local HTTP server (OIDC discovery) or read from a file:// issuer."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from stratus.gateway.jwt_authorizer import (
    Forbidden,
    JwksCache,
    JwksStatistics,
    Unauthorized,
    fetch_jwks,
    token_from,
    wait_authorize,
)

AUDIENCE = ["my-api"]
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def jwks(*keys: tuple[str, Any]) -> dict[str, Any]:
    out = []
    for kid, private in keys:
        algorithm = RSAAlgorithm if isinstance(private, rsa.RSAPrivateKey) else ECAlgorithm
        jwk = json.loads(algorithm.to_jwk(private.public_key()))
        out.append(jwk | {"kid": kid, "use": "sig"})
    return {"keys": out}


def sign(
    issuer: str, key: Any = RSA_KEY, kid: str = "k1", alg: str = "RS256", **claims: Any
) -> str:
    now = int(time.time())
    body = {"iss": issuer, "aud": "my-api", "sub": "user-1", "iat": now, "exp": now + 300}
    body |= claims
    return jwt.encode(
        {k: v for k, v in body.items() if v is not None}, key, alg, headers={"kid": kid}
    )


@pytest.fixture
def issuer(tmp_path: Path) -> str:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks(("k1", RSA_KEY), ("e1", EC_KEY))))
    return f"file://{path}"


def check(issuer: str, token: str | None, scopes: tuple[str, ...] = (), **kw: Any) -> Any:
    cache = kw.pop("cache", None) or JwksCache()
    return asyncio.run(wait_authorize(cache, token, issuer, AUDIENCE, scopes))


def test_valid_rsa_token_gives_its_claims_as_strings(issuer):
    result = check(issuer, sign(issuer, groups=["a", "b"], admin=True, n=3))
    assert result.claims["sub"] == "user-1"
    assert result.claims["iss"] == issuer
    assert result.claims["groups"] == "[a b]"
    assert result.claims["admin"] == "true"
    assert result.claims["n"] == "3"
    assert result.claims["exp"].isdigit()
    assert result.scopes is None


def test_valid_ec_token(issuer):
    assert check(issuer, sign(issuer, EC_KEY, kid="e1", alg="ES256")).claims["sub"] == "user-1"


def test_client_id_stands_for_aud(issuer):
    assert check(issuer, sign(issuer, aud=None, client_id="my-api")).claims["client_id"]


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        "not-a-jwt",
        "a.b.c",
    ],
)
def test_unreadable_tokens_are_unauthorized(issuer, token):
    with pytest.raises(Unauthorized):
        check(issuer, token)


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": -10},  # expired (times are seconds from now, made when the test runs)
        {"exp": None},  # no expiry
        {"nbf": 600},  # not yet valid
        {"iat": 600},  # issued in the future
        {"iss": "https://other.example.com"},
        {"aud": "other-api"},
        {"aud": None},
        {"aud": ["x", "y"]},
    ],
)
def test_bad_claims_are_unauthorized(issuer, claims):
    now = int(time.time())
    timed = {k: now + v if k in ("exp", "nbf", "iat") and v is not None else v
             for k, v in claims.items()}  # fmt: skip
    with pytest.raises(Unauthorized):
        check(issuer, sign(issuer, **timed))


def test_aud_list_with_one_match_passes(issuer):
    assert check(issuer, sign(issuer, aud=["x", "my-api"]))


def test_bad_signature_unknown_kid_and_symmetric_algorithms_are_unauthorized(issuer):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    secret = "s" * 64
    for token in (
        sign(issuer, other),  # signed with a key that is not the issuer's
        sign(issuer, kid="nope"),
        sign(issuer, secret, alg="HS256"),
        sign(issuer, RSA_KEY, kid="e1"),  # RSA signature under an EC key
    ):
        with pytest.raises(Unauthorized):
            check(issuer, token)
    header, payload, _ = sign(issuer).split(".")
    with pytest.raises(Unauthorized):
        check(issuer, f"{header}.{payload}.")


@pytest.mark.parametrize(
    ("claims", "scopes"),
    [
        ({"scope": "read write"}, ["read", "write"]),
        ({"scp": ["admin", "delete"]}, ["admin", "delete"]),
        ({"scope": "read"}, None),
        ({}, None),
    ],
)
def test_route_scopes_need_one_in_the_token(issuer, claims, scopes):
    """The token's scopes reach the event; none of the route's gives a 403."""
    token = sign(issuer, **claims)
    if scopes is None:
        with pytest.raises(Forbidden):
            check(issuer, token, ("write", "delete"))
    else:
        assert check(issuer, token, ("write", "delete")).scopes == scopes


def test_broken_or_missing_jwks_is_unauthorized(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    for issuer in (f"file://{broken}", f"file://{tmp_path}/missing.json", "http://127.0.0.1:9/x"):
        with pytest.raises(Unauthorized):
            check(issuer, sign(issuer))


def test_token_from_identity_source():
    headers = [("Authorization", "Bearer abc"), ("x-token", "def")]
    assert token_from(["$request.header.Authorization"], headers, {}) == "abc"
    assert token_from(["$request.header.X-Token"], headers, {}) == "def"
    assert token_from(["$request.querystring.t"], [], {"t": "ghi"}) == "ghi"
    assert token_from(["$request.header.Authorization"], [("authorization", "jkl")], {}) == "jkl"
    assert token_from(["$request.header.Authorization"], [], {}) is None
    assert token_from(["$request.header.Authorization"], [("authorization", "Bearer ")], {}) is None


class _Idp(BaseHTTPRequestHandler):
    keys: dict[str, Any] = {}
    hits: list[str] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        if self.path == "/.well-known/openid-configuration":
            body = {"issuer": base, "jwks_uri": f"{base}/keys"}
        elif self.path == "/keys":
            body = self.keys
        else:
            self.send_error(404)
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def idp() -> Iterator[str]:
    _Idp.keys = jwks(("k1", RSA_KEY))
    _Idp.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Idp)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_discovery_then_jwks_and_cache(idp):
    assert set(fetch_jwks(idp)) == {"k1"}
    _Idp.hits.clear()
    cache = JwksCache()
    assert check(idp, sign(idp), cache=cache).claims["sub"] == "user-1"
    assert check(idp, sign(idp), cache=cache)
    assert _Idp.hits == ["/.well-known/openid-configuration", "/keys"]  # fetched once


def test_unknown_kid_refetches_after_a_while(idp):
    now = [0.0]
    cache = JwksCache(ttl=300, refetch_after=10, clock=lambda: now[0])
    check(idp, sign(idp), cache=cache)
    rotated = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _Idp.keys = jwks(("k1", RSA_KEY), ("k2", rotated))
    with pytest.raises(Unauthorized):  # too soon to fetch again
        check(idp, sign(idp, rotated, kid="k2"), cache=cache)
    now[0] = 11
    assert check(idp, sign(idp, rotated, kid="k2"), cache=cache)


def test_issuers_past_their_ttl_are_forgotten_at_the_next_fetch():
    """Each fetch forgets the issuers whose keys are past the TTL, and the idle locks of
    issuers without keys (one whose fetch failed): issuers no authorizer names any more
    are not kept for the server's life."""
    now = [0.0]

    def fetch(issuer: str) -> dict[str, Any]:
        if issuer == "https://down":
            raise OSError("unreachable")
        return {}

    cache = JwksCache(ttl=300, fetch=fetch, clock=lambda: now[0])

    async def ask(issuer: str) -> JwksStatistics:
        await cache.wait_key(issuer, "k1")
        return cache.statistics()

    async def main() -> list[JwksStatistics]:
        seen = [await ask("https://a"), await ask("https://down")]
        now[0] = 100
        seen.append(await ask("https://b"))
        now[0] = 400  # a's and b's keys are past the TTL
        seen.append(await ask("https://c"))
        return seen

    seen = asyncio.run(main())

    assert seen == [
        JwksStatistics(issuers=1, locks=1),
        JwksStatistics(issuers=1, locks=2),  # down's lock: its fetch swept while holding it
        JwksStatistics(issuers=2, locks=2),  # down's lock gone; a's and b's kept
        JwksStatistics(issuers=1, locks=1),  # only c's
    ]
