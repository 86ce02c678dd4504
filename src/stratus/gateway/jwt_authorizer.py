"""JWT authorizers of HTTP APIs: checking a request's token the way API Gateway does.

For a route with a JWT authorizer, API Gateway ("Control access to HTTP APIs with JWT
authorizers"):

1. reads the token from the authorizer's identity source (e.g. `$request.header.Authorization`),
   with or without a leading `Bearer `;
2. decodes it and checks its signature with the key of the issuer's JWKS whose `kid` is the
   token's; the JWKS is found at `jwks_uri` of `{Issuer}/.well-known/openid-configuration`;
3. checks the claims: `iss` equals the Issuer; `aud` or `client_id` is one of the Audience;
   `exp` is in the future, `nbf` and `iat` are in the past;
4. if the route has AuthorizationScopes, the token's `scope` (space-separated) or `scp`
   claim must hold at least one of them.

Failure at 1-3 is a 401 `{"message":"Unauthorized"}` (so is a JWKS that cannot be fetched
or read: never a 500), failure at 4 a 403 `{"message":"Forbidden"}`.

Stratus extension, for offline use: an Issuer that is a `file://` path names a JWKS JSON file
directly (no discovery document); `iss` must still equal the Issuer string.

Keys are cached per issuer for `ttl` seconds (AWS caches them for up to two hours); a token
whose `kid` is not in the cached set refetches the set (key rotation), at most once per
`refetch_after` seconds. Fetching runs in a thread (urllib), never on the event loop. Each
fetch forgets the issuers whose keys are past `ttl` (they would be fetched again anyway), so
issuers of deleted authorizers are not kept for the server's life.

AWS documents RSA keys only; Stratus also accepts EC keys (ES256/384/512). Symmetric (HS*)
and `none` tokens are always refused.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

import jwt
from jwt import PyJWK, PyJWKSet

ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
FETCH_TIMEOUT = 5.0
MAX_JWKS_BYTES = 1024 * 1024


class Unauthorized(Exception):
    """The token is missing or invalid (401)."""


class Forbidden(Exception):
    """The token is valid but lacks the route's scopes (403)."""


@dataclass(frozen=True, slots=True)
class JwtResult:
    """What the integration sees in requestContext.authorizer."""

    claims: dict[str, str]
    scopes: list[str] | None


def token_from(
    identity_source: Sequence[str], headers: Iterable[tuple[str, str]], query: Mapping[str, str]
) -> str | None:
    """The token the identity source names, `Bearer ` stripped; None when it is absent."""
    for source in identity_source:
        value: str | None = None
        if source.lower().startswith("$request.header."):
            name = source[len("$request.header.") :].lower()
            value = next((v for k, v in headers if k.lower() == name), None)
        elif source.startswith("$request.querystring."):
            value = query.get(source[len("$request.querystring.") :])
        if value is None:
            continue
        value = value.strip()
        if value[:7].lower() == "bearer " or value.lower() == "bearer":
            value = value[7:].strip()
        return value or None
    return None


def _read_url(url: str) -> bytes:
    parsed = urlparse(url)
    if parsed.scheme == "file":
        with open(unquote(parsed.path), "rb") as f:
            return f.read(MAX_JWKS_BYTES)
    if parsed.scheme not in ("http", "https"):
        raise ValueError(f"unsupported URL scheme in {url!r}")
    request = urllib.request.Request(url, headers={"accept": "application/json"})
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:
        return bytes(response.read(MAX_JWKS_BYTES))


def fetch_jwks(issuer: str) -> dict[str, PyJWK]:
    """Blocking: the issuer's signing keys by kid (discovery, or a file:// JWKS)."""
    if issuer.startswith("file://"):
        jwks_uri = issuer
    else:
        discovery = json.loads(_read_url(issuer.rstrip("/") + "/.well-known/openid-configuration"))
        jwks_uri = discovery["jwks_uri"]
    data = json.loads(_read_url(jwks_uri))
    keys: dict[str, PyJWK] = {}
    for key in PyJWKSet.from_dict(data).keys:
        if key.key_id is not None and key.public_key_use in (None, "sig"):
            keys[key.key_id] = key
    return keys


@dataclass(frozen=True, slots=True)
class JwksStatistics:
    issuers: int  # with keys kept
    locks: int  # one per issuer being fetched, or fetched and kept


class JwksCache:
    """Signing keys per issuer, fetched off the event loop and kept `ttl` seconds."""

    def __init__(
        self,
        ttl: float = 300.0,
        refetch_after: float = 10.0,
        fetch: Callable[[str], dict[str, PyJWK]] = fetch_jwks,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.refetch_after = refetch_after
        self._fetch = fetch
        self._clock = clock
        self._keys: dict[str, tuple[float, dict[str, PyJWK]]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def statistics(self) -> JwksStatistics:
        return JwksStatistics(len(self._keys), len(self._locks))

    async def wait_key(self, issuer: str, kid: str) -> PyJWK | None:
        found = self._keys.get(issuer)
        now = self._clock()
        if (
            found
            and now - found[0] < self.ttl
            and (kid in found[1] or now - found[0] < self.refetch_after)
        ):
            return found[1].get(kid)
        lock = self._locks.setdefault(issuer, asyncio.Lock())
        async with lock:
            found = self._keys.get(issuer)
            if found is None or self._clock() - found[0] >= self.refetch_after:
                try:
                    keys = await asyncio.to_thread(self._fetch, issuer)
                except Exception:  # unreachable or broken JWKS: the request is unauthorized
                    return None
                finally:
                    self._forget_stale()
                found = (self._clock(), keys)
                self._keys[issuer] = found
            return found[1].get(kid)

    def _forget_stale(self) -> None:
        """Issuers whose keys are past `ttl`, and the locks no fetch holds of issuers
        without kept keys (at worst a lock dropped as a waiter wakes: one fetch too many)."""
        now = self._clock()
        for issuer in [i for i, (at, _) in self._keys.items() if now - at >= self.ttl]:
            del self._keys[issuer]
        for issuer, lock in list(self._locks.items()):
            if not lock.locked() and issuer not in self._keys:
                del self._locks[issuer]


def _claim_text(value: Any) -> str:
    """Claims reach the integration as strings, as on AWS (arrays as `[a b]`)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(_claim_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def token_scopes(claims: Mapping[str, Any]) -> list[str]:
    found = claims.get("scope", claims.get("scp"))
    if isinstance(found, str):
        return found.split()
    if isinstance(found, list):
        return [str(s) for s in found]
    return []


async def wait_authorize(
    cache: JwksCache,
    token: str | None,
    issuer: str,
    audience: Sequence[str],
    route_scopes: Sequence[str],
) -> JwtResult:
    """Checks the token; raises Unauthorized (401) or Forbidden (403)."""
    if not token:
        raise Unauthorized("no token")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise Unauthorized(str(exc)) from exc
    kid, alg = header.get("kid"), header.get("alg")
    if not isinstance(kid, str) or alg not in ALGORITHMS:
        raise Unauthorized("token without kid or with an unsupported algorithm")
    key = await cache.wait_key(issuer, kid)
    if key is None:
        raise Unauthorized("no key for the token's kid")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=[alg],
            issuer=issuer,
            options={"require": ["exp", "iss"], "verify_aud": False},
        )
    except Exception as exc:  # any unreadable or mismatched token is a 401, never a 500
        raise Unauthorized(str(exc)) from exc
    aud = claims.get("aud")
    offered = [*(aud if isinstance(aud, list) else [aud]), claims.get("client_id")]
    if not any(isinstance(a, str) and a in audience for a in offered):
        raise Unauthorized("audience")
    scopes: list[str] | None = None
    if route_scopes:
        scopes = token_scopes(claims)
        if not set(scopes) & set(route_scopes):
            raise Forbidden("scopes")
    return JwtResult({k: _claim_text(v) for k, v in claims.items()}, scopes)
