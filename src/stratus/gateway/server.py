"""The HTTP APIs' data plane: requests to an API become Lambda proxy invocations.

Two addresses reach API `abc123defg` on the main port (both documented in the README):

    Host: abc123defg.execute-api.localhost[:port]    GET /prod/pets/1
    http://127.0.0.1:4566/_aws/execute-api/abc123defg/prod/pets/1

The `$default` stage has no prefix (`/pets/1`). Anything else passes through untouched to
the AWS endpoint, so the Host pattern must match exactly.

Per request: ApiService.resolve (API, stage, routes) -> routes.match_route -> events.* ->
FunctionService.invoke -> responses.http_response. What the client sees on failure, as
API Gateway answers it:

    unknown API, stage or route; route without integration   404 Not Found
    JWT authorizer: token missing or invalid, JWKS unusable  401 Unauthorized
    JWT authorizer: none of the route's scopes in the token  403 Forbidden
    Lambda authorizer: identity source missing / denied      401 / 403 (lambda_authorizer.py)
    Lambda authorizer: error, timeout, unreadable answer     500 Internal Server Error
    body over 10 MB                                          413 Request Entity Too Large
    over the stage's route throttling (throttle.py)          429 Too Many Requests
    function throttled                                       429 Too Many Requests
    no answer within the integration's TimeoutInMillis       503 Service Unavailable
    function error, unreadable output, Lambda refusing       500 Internal Server Error

each with the body `{"message":"<that text>"}`.

With a CorsConfiguration, preflights are answered without routing and the API's CORS
headers replace the function's on every answer (cors.py).

Every answer carries `apigw-requestid` (the event's requestContext.requestId).
"""

from __future__ import annotations

import asyncio
import base64
import functools
import os
import re
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.datastructures import State

from stratus.apis.model import Route, function_of
from stratus.apis.routes import RouteKey, match_route
from stratus.apis.service import Deployment
from stratus.errors import RequestTooLarge, StratusError, Throttled
from stratus.functions.names import FunctionRef, parse_reference
from stratus.functions.service import FunctionService
from stratus.gateway.asgi import wait_body
from stratus.gateway.cors import is_preflight, origin_of, preflight, with_cors
from stratus.gateway.events import HttpRequest, Target, http_api_v1_event, http_api_v2_event
from stratus.gateway.jwt_authorizer import (
    Forbidden,
    JwksCache,
    Unauthorized,
    token_from,
    wait_authorize,
)
from stratus.gateway.lambda_authorizer import ResultCache
from stratus.gateway.lambda_authorizer import wait_authorize as wait_lambda_authorize
from stratus.gateway.responses import Flavor, HttpResponse, http_response, internal_error
from stratus.gateway.throttle import Throttles
from stratus.runtime.spec import InvokeResult

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PAYLOAD_LIMIT = 10 * 1024 * 1024  # API Gateway's request payload quota
PATH_PREFIX = "/_aws/execute-api/"
_HOST = re.compile(r"^([a-z0-9]{10})\.execute-api\.localhost(?::\d+)?$")
_JSON = (("content-type", "application/json"),)
NOT_FOUND = HttpResponse(404, _JSON, b'{"message":"Not Found"}')
TOO_LARGE = HttpResponse(413, _JSON, b'{"message":"Request Entity Too Large"}')
THROTTLED = HttpResponse(429, _JSON, b'{"message":"Too Many Requests"}')
_CORS = "stratus.cors"  # scope key: (the API's CORS configuration, the request's Origin)
UNAVAILABLE = HttpResponse(503, _JSON, b'{"message":"Service Unavailable"}')
UNAUTHORIZED = HttpResponse(401, _JSON, b'{"message":"Unauthorized"}')
FORBIDDEN = HttpResponse(403, _JSON, b'{"message":"Forbidden"}')


class ExecuteApi:
    """ASGI middleware: answers requests addressed to an HTTP API, passes on the rest."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.jwks = JwksCache()  # JWT authorizers' signing keys, per issuer
        self.throttles = Throttles()  # stages' throttling, a token bucket per route
        self.lambda_results = ResultCache()  # Lambda authorizers' cached answers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        address = address_of(scope) if scope["type"] == "http" else None
        if address is None:
            await self.app(scope, receive, send)
            return
        request_id = base64.b64encode(os.urandom(11)).decode()
        state = scope["app"].state
        # The invocation outlives the answer when the integration times out, as on AWS:
        # the client gets its 503, and leaving the group waits for the function to finish.
        async with asyncio.TaskGroup() as invocations:
            try:
                response = await wait_answer(
                    state, scope, receive, *address, request_id, invocations, self.jwks,
                    throttles=self.throttles, lambda_results=self.lambda_results,
                )  # fmt: skip
            except StratusError as exc:
                response = failure(exc)
            if _CORS in scope:  # the API's CORS headers replace the function's
                response = with_cors(*scope[_CORS], response)
            await _wait_send(send, response, request_id)


def failure(exc: StratusError) -> HttpResponse:
    """What the client gets when Lambda refuses the call."""
    if isinstance(exc, Throttled):
        return THROTTLED
    if isinstance(exc, RequestTooLarge):
        return TOO_LARGE
    return internal_error(Flavor.HTTP_V2)  # e.g. the function is gone


def address_of(scope: Scope) -> tuple[str, str] | None:
    """(api id, raw path after the API) when the request is addressed to an HTTP API."""
    path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
    host = next((v for k, v in scope["headers"] if k == b"host"), b"").decode("latin-1")
    found = _HOST.match(host.lower())
    if found:
        return found.group(1), path
    if path.startswith(PATH_PREFIX):
        api_id, _, rest = path[len(PATH_PREFIX) :].partition("/")
        return api_id, f"/{rest}"
    return None


@functools.lru_cache(maxsize=256)
def _parsed(keys: tuple[str, ...]) -> tuple[RouteKey, ...]:
    """Route keys parsed once per set of routes, not once per request."""
    return tuple(RouteKey.parse(key) for key in keys)


async def wait_answer(
    state: State,
    scope: Scope,
    receive: Receive,
    api_id: str,
    path: str,
    request_id: str,
    invocations: asyncio.TaskGroup,
    jwks: JwksCache,
    *,
    throttles: Throttles | None = None,
    lambda_results: ResultCache | None = None,
) -> HttpResponse:
    body = await wait_body(scope, receive, PAYLOAD_LIMIT)
    if body is None:
        return TOO_LARGE
    deployment: Deployment | None = await state.apis.resolve(api_id, path)
    if deployment is None:
        return NOT_FOUND
    cors = deployment.api.CorsConfiguration
    headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"])
    if cors is not None:
        if is_preflight(scope["method"], headers):
            return preflight(cors, origin_of(headers))  # answered here, whatever the routes
        scope[_CORS] = (cors, origin_of(headers))
    keys = _parsed(tuple(r.RouteKey for r in deployment.routes))
    routes = dict(zip(keys, deployment.routes, strict=True))
    match = match_route(routes, scope["method"], deployment.path)
    integration_id = routes[match.route].integration_id if match else None
    integration = deployment.integrations.get(integration_id or "")
    if match is None or integration is None:
        return NOT_FOUND
    route_key = routes[match.route].RouteKey
    if throttles and not throttles.admit(api_id, deployment.stage, route_key):
        return THROTTLED
    query = scope.get("query_string", b"").decode("latin-1")
    try:
        claims = await _wait_authorize(jwks, deployment, routes[match.route], scope, query)
    except Unauthorized:
        return UNAUTHORIZED
    except Forbidden:
        return FORBIDDEN
    request = HttpRequest(
        method=scope["method"],
        path=deployment.path,
        query=query,
        headers=headers,
        body=body,
        source_ip=(scope.get("client") or ("127.0.0.1", 0))[0],
        stage=deployment.stage.StageName,
        api_id=api_id,
        domain_name=f"{api_id}.execute-api.localhost",
        request_id=request_id,
        time=datetime.now(UTC),
        protocol=f"HTTP/{scope.get('http_version', '1.1')}",
    )
    target = Target(match, state.settings.account_id, deployment.stage.StageVariables, jwt=claims)
    flavor = Flavor(integration.PayloadFormatVersion)
    build = http_api_v2_event if flavor is Flavor.HTTP_V2 else http_api_v1_event
    event = build(request, target)
    if routes[match.route].AuthorizationType == "CUSTOM":  # lambda_authorizer.py
        denied = await wait_lambda_authorize(
            state.functions, lambda_results or ResultCache(),
            deployment.authorizers.get(routes[match.route].AuthorizerId or ""), request, target,
            state.settings.region, event, flavor.value, invocations.create_task,
        )  # fmt: skip
        if denied is not None:
            return denied
    call = invocations.create_task(
        _wait_invoke(
            state.functions,
            _reference(integration.IntegrationUri),
            orjson.dumps(event),
        )
    )
    done, _ = await asyncio.wait({call}, timeout=integration.TimeoutInMillis / 1000)
    if not done:
        return UNAVAILABLE
    result = call.result()
    if isinstance(result, StratusError):
        return failure(result)
    return http_response(flavor, result.payload, function_error=bool(result.function_error))


@functools.lru_cache(maxsize=256)
def _reference(uri: str) -> FunctionRef:
    """The function an integration URI calls, parsed once per URI rather than per request
    (two regex matches; a bad URI raises, and lru_cache does not keep exceptions)."""
    return parse_reference(function_of(uri))


async def _wait_authorize(
    jwks: JwksCache, deployment: Deployment, route: Route, scope: Scope, query: str
) -> dict[str, Any] | None:
    """The JWT authorizer's output for the event, None for a route without one; raises
    Unauthorized (401) or Forbidden (403), see jwt_authorizer."""
    if route.AuthorizationType != "JWT":
        return None
    authorizer = deployment.authorizers.get(route.AuthorizerId or "")
    jwt = authorizer.JwtConfiguration if authorizer else None
    if authorizer is None or jwt is None or not jwt.Issuer:
        raise Unauthorized("the route's authorizer is gone")
    headers = ((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"])
    token = token_from(authorizer.IdentitySource, headers, dict(parse_qsl(query)))
    result = await wait_authorize(
        jwks,
        token,
        jwt.Issuer,
        jwt.Audience or (),
        route.AuthorizationScopes or (),
    )
    return {"claims": result.claims, "scopes": result.scopes}


async def _wait_invoke(
    functions: FunctionService, ref: FunctionRef, payload: bytes
) -> InvokeResult | StratusError:
    # Lambda's refusal is a value here: raised in the task group it would cancel the request.
    try:
        # The payload is the event orjson just serialized: no need to parse it to prove
        # it is JSON (the public Invoke still checks; the size limit still applies).
        return await functions.invoke(ref, payload, trusted_json=True)
    except StratusError as exc:
        return exc


async def _wait_send(send: Send, response: HttpResponse, request_id: str) -> None:
    headers = [
        (k.lower().encode("latin-1"), v.encode("latin-1", "replace"))
        for k, v in response.headers
        if k.lower() != "content-length"
    ]
    headers += [
        (b"content-length", str(len(response.body)).encode()),
        (b"apigw-requestid", request_id.encode()),
    ]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
