"""The HTTP APIs' data plane: requests to an API become Lambda proxy invocations; a
request to a REST API (API Gateway v1) goes to rest.py instead. Both run through
pipeline.py (limits, the integration timer, one Reply).

Two addresses reach API `abc123defg` on the main port (both documented in the README):

    Host: abc123defg.execute-api.localhost[:port]    GET /prod/pets/1
    http://127.0.0.1:4566/_aws/execute-api/abc123defg/prod/pets/1

The `$default` stage has no prefix (`/pets/1`). Anything else passes through untouched to
the AWS endpoint, so the Host pattern must match exactly. WebSocket APIs are reached at the
same addresses (ws://...; websocket.py), and their stages' @connections API over HTTP
(connections.py); any other HTTP request to a WebSocket API is 426 Upgrade Required.

Per request: ApiService.resolve (API, stage, routes) -> routes.match_route -> events.* ->
FunctionService.invoke -> responses.http_response (or an HTTP_PROXY target, or an AWS API).
What the client sees on failure, as API Gateway answers it:

    unknown API, stage or route; route without integration   404 Not Found
    JWT authorizer: token missing or invalid, JWKS unusable  401 Unauthorized
    JWT authorizer: none of the route's scopes in the token  403 Forbidden
    Lambda authorizer: identity source missing / denied      401 / 403 (lambda_authorizer.py)
    AWS_IAM (iam_auth.py): unsigned                          403 Forbidden
      bad signature, unknown key, clock skew                 403 {"message": AWS's reason}
      execute-api:Invoke not allowed                         403 {"message": "User: <arn> is
                                                             not authorized to perform: …"}
    Lambda authorizer: error, timeout, unreadable answer     500 Internal Server Error
    request line and header values over 10,240 bytes         431 Request Header Fields Too Large
    body over 10 MB                                          413 Request Entity Too Large
    over the stage's route throttling (throttle.py)          429 Too Many Requests
    function throttled                                       429 Too Many Requests
    no answer within the integration's TimeoutInMillis       503 Service Unavailable
    HTTP_PROXY target unreachable / late (http_proxy.py)     500 / 504 Gateway Timeout
    AWS service integration (service_integration.py)         the API's own status and body
    function error, unreadable output, Lambda refusing       500 Internal Server Error

each with the body `{"message":"<that text>"}`.

With a CorsConfiguration, preflights are answered without routing and the API's CORS
headers replace the function's on every answer (cors.py).

Every answer carries `apigw-requestid` (the event's requestContext.requestId).
"""

from __future__ import annotations

import base64
import functools
import logging
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stratus import ids
from stratus.apis.http.model import DEFAULT_STAGE, Route
from stratus.apis.http.routes import RouteKey, match_route
from stratus.apis.http.service import Deployment
from stratus.apis.http.websocket import is_websocket
from stratus.errors import StratusError, Throttled, TooLarge
from stratus.gateway.connections import PREFIX as CONNECTIONS
from stratus.gateway.connections import Connections, wait_refusal
from stratus.gateway.cors import is_preflight, origin_of, preflight, with_cors
from stratus.gateway.events import HttpRequest, Target, http_api_v1_event, http_api_v2_event
from stratus.gateway.http_proxy import BAD_GATEWAY, HttpProxy
from stratus.gateway.iam_auth import not_authorized, signer, wait_authorized, with_iam_caller
from stratus.gateway.jwt_authorizer import (
    Forbidden,
    JwksCache,
    Unauthorized,
    token_from,
    wait_authorize,
)
from stratus.gateway.lambda_authorizer import ResultCache
from stratus.gateway.lambda_authorizer import wait_authorize as wait_lambda_authorize
from stratus.gateway.pipeline import (
    Door,
    Reply,
    decoded_headers,
    function_ref,
    host_of,
    lets_gateway_invoke,
    mapped,
    wait_body,
    wait_invoke,
    wait_serve,
)
from stratus.gateway.responses import Flavor, HttpResponse, internal_error
from stratus.gateway.rest import RestGateway
from stratus.gateway.service_integration import ServiceCalls, wait_service
from stratus.gateway.throttle import Throttles
from stratus.gateway.websocket import wait_serve_connection
from stratus.iam.model import Identity
from stratus.iam.sigv4 import Refused
from stratus.services import Services

log = logging.getLogger(__name__)
PAYLOAD_LIMIT = 10 * 1024 * 1024  # API Gateway's request payload quota
PATH_PREFIX = "/_aws/execute-api/"
_PATH_PREFIX = PATH_PREFIX.encode()
_HOST_SUFFIX = b".execute-api.localhost"  # in every Host naming an API (lower-cased)
_HOST = re.compile(r"^([a-z0-9]{1,32})\.execute-api\.localhost(?::\d+)?$")
_JSON = (("content-type", "application/json"),)
NOT_FOUND = HttpResponse(404, _JSON, b'{"message":"Not Found"}')
TOO_LARGE = HttpResponse(413, _JSON, b'{"message":"Request Entity Too Large"}')
HEADERS_TOO_LARGE = HttpResponse(431, _JSON, b'{"message":"Request Header Fields Too Large"}')
THROTTLED = HttpResponse(429, _JSON, b'{"message":"Too Many Requests"}')
UNAVAILABLE = HttpResponse(503, _JSON, b'{"message":"Service Unavailable"}')
UNAUTHORIZED = HttpResponse(401, _JSON, b'{"message":"Unauthorized"}')
FORBIDDEN = HttpResponse(403, _JSON, b'{"message":"Forbidden"}')
UPGRADE_REQUIRED = HttpResponse(426, _JSON, b'{"message":"Upgrade Required"}')


def _json(status: int, message: str) -> HttpResponse:
    return HttpResponse(status, _JSON, orjson.dumps({"message": message}))


DOOR = Door(
    "HTTP API", b"apigw-requestid", PAYLOAD_LIMIT, TOO_LARGE, HEADERS_TOO_LARGE,
    internal_error(Flavor.HTTP_V2),  # e.g. the function is gone
    ((Throttled, THROTTLED), (TooLarge, TOO_LARGE)),
)  # fmt: skip


class ExecuteApi:
    """ASGI middleware: answers requests addressed to an HTTP API, passes on the rest."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.jwks = JwksCache()  # JWT authorizers' signing keys, per issuer
        self.throttles = Throttles()  # stages' throttling, a token bucket per route
        self.lambda_results = ResultCache()  # Lambda authorizers' cached answers
        self.http_proxy = HttpProxy()  # HTTP_PROXY integrations' client (http_proxy.py)
        # REST APIs (rest.py), whose ids share the namespace
        self.rest = RestGateway(self.http_proxy)
        self._calls: ServiceCalls | None = None
        self.connections = Connections()  # WebSocket APIs' open connections (connections.py)

    def callback_domain(self, scope: Scope, api_id: str) -> str:
        """The domainName of a WebSocket API's events: `https://{domainName}/{stage}` is
        the stage's @connections endpoint, through the TLS door (callback_tls.py)."""
        port = getattr(scope["app"].state, "callback_port", None)
        if port is None:  # (an app without the door: the host form, as HTTP APIs give)
            return f"{api_id}.execute-api.localhost"
        return f"127.0.0.1:{port}/_aws/execute-api/{api_id}"

    def _service_calls(self, scope: Scope) -> ServiceCalls | None:
        # (set on the app's state by server.py; found once, not per request)
        if self._calls is None:
            self._calls = getattr(scope["app"].state, "service_calls", None)
        return self._calls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, self._closing_on_shutdown(receive), send)
            return
        if scope["type"] == "websocket":
            services = scope["app"].state.services
            address = address_of(scope) or await _custom_domain(services, scope)
            if address is None:
                await self.app(scope, receive, send)
                return
            domain = self.callback_domain(scope, address[0])
            await wait_serve_connection(
                services, self.connections, scope, receive, send, *address, domain
            )  # websocket.py
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        services = scope["app"].state.services
        address = address_of(scope) or await _custom_domain(services, scope)
        if address is None:
            await self.app(scope, receive, send)
            return
        api_id, path = address
        if await services.rest_apis.is_rest_api(api_id):
            await self.rest(services, scope, receive, send, api_id, path)
            return
        answer = functools.partial(
            wait_answer, services, scope, receive, api_id, path, self.jwks,
            throttles=self.throttles, lambda_results=self.lambda_results,
            http_proxy=self.http_proxy,
            service_calls=self._service_calls(scope), connections=self.connections,
        )  # fmt: skip
        request_id = base64.b64encode(ids.token_bytes(11)).decode()
        await wait_serve(DOOR, scope, send, path, answer, request_id=request_id)

    def _closing_on_shutdown(self, receive: Receive) -> Receive:
        """`receive` that closes the HTTP_PROXY client when the server shuts down (its
        keep-alive connections would otherwise outlive the app)."""

        async def wait_message() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                await self.http_proxy.wait_close()
            return message

        return wait_message


def address_of(scope: Scope) -> tuple[str, str] | None:
    """(api id, raw path after the API) when the request is addressed to an HTTP API. Every
    request to the server asks, so the bytes are tested before anything is decoded."""
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
    host = host_of(scope).lower()
    if _HOST_SUFFIX in host and (found := _HOST.match(host.decode("latin-1"))):
        return found.group(1), raw_path.decode("latin-1")
    if raw_path.startswith(_PATH_PREFIX):
        api_id, _, rest = raw_path[len(_PATH_PREFIX) :].decode("latin-1").partition("/")
        return api_id, f"/{rest}"
    return None


_OWN_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", ""})


async def _custom_domain(services: Services, scope: Scope) -> tuple[str, str] | None:
    """(api id, path with its stage) when the Host is a custom domain name with a mapping
    (apis/domains.py). The server's own names skip the lookup: they are the hot path."""
    host = host_of(scope).decode("latin-1")
    name = host.rsplit(":", 1)[0].lower() if not host.endswith("]") else host.lower()
    if name in _OWN_HOSTS:
        return None
    path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
    headers: dict[str, list[str]] = {}  # for routing rules (apis/routing_rules.py)
    for key, value in scope["headers"]:
        headers.setdefault(key.decode("latin-1"), []).append(value.decode("latin-1"))
    routed = await services.domains.route(name, path, headers)
    if routed is None:
        return None
    if not routed.stage or routed.stage == DEFAULT_STAGE:
        return routed.api_id, routed.path
    return routed.api_id, f"/{routed.stage}{routed.path}"


@functools.lru_cache(maxsize=256)
def _parsed(keys: tuple[str, ...]) -> tuple[RouteKey, ...]:
    """Route keys parsed once per set of routes, not once per request."""
    return tuple(RouteKey.parse(key) for key in keys)


_TABLES: dict[int, tuple[tuple[Route, ...], dict[RouteKey, Route]]] = {}
_TABLES_LIMIT = 256


def _route_table(routes: tuple[Route, ...]) -> dict[RouteKey, Route]:
    """The routes by parsed key, built once per resolved deployment: ApiService.resolve
    hands out the same tuple for as long as its cache holds it. Keyed by identity (the
    entry keeps the tuple alive, so its id is not reused while cached)."""
    entry = _TABLES.get(id(routes))
    if entry is None or entry[0] is not routes:
        if len(_TABLES) >= _TABLES_LIMIT:
            _TABLES.clear()
        keys = _parsed(tuple(r.RouteKey for r in routes))
        entry = _TABLES[id(routes)] = (routes, dict(zip(keys, routes, strict=True)))
    return entry[1]


async def wait_answer(
    services: Services,
    scope: Scope,
    receive: Receive,
    api_id: str,
    path: str,
    jwks: JwksCache,
    reply: Reply,
    *,
    throttles: Throttles | None = None,
    lambda_results: ResultCache | None = None,
    http_proxy: HttpProxy | None = None,
    service_calls: ServiceCalls | None = None,
    connections: Connections | None = None,
) -> HttpResponse:
    """The answer to one request to HTTP API `api_id` (`path`: the raw path after it)."""
    body = await wait_body(scope, receive, reply)
    deployment: Deployment | None = await services.apis.resolve(api_id, path)
    if deployment is None:
        return NOT_FOUND
    if is_websocket(deployment.api):  # the @connections API, on the stage's URL
        if connections is None or not deployment.path.startswith(CONNECTIONS):
            return UPGRADE_REQUIRED
        stage = deployment.stage.StageName
        refused = await wait_refusal(services, scope, body, api_id, stage, deployment.path)
        if refused is not None:
            return refused
        return await connections.wait_manage(
            api_id, deployment.stage.StageName, scope["method"], deployment.path, body
        )
    cors = deployment.api.CorsConfiguration
    headers = decoded_headers(scope)
    if cors is not None:
        if is_preflight(scope["method"], headers):
            return preflight(cors, origin_of(headers))  # answered here, whatever the routes
        reply.cors = functools.partial(with_cors, cors, origin_of(headers))
    routes = _route_table(deployment.routes)
    match = match_route(routes, scope["method"], deployment.path)
    if match is None:
        return NOT_FOUND
    route = routes[match.route]
    integration = deployment.integrations.get(route.integration_id or "")
    if integration is None:
        return NOT_FOUND
    if throttles and not throttles.admit(api_id, deployment.stage, route.RouteKey):
        return THROTTLED
    query = scope.get("query_string", b"").decode("latin-1")
    claims = None
    caller: Identity | None = None
    if route.AuthorizationType == "AWS_IAM":  # iam_auth.py
        arn = _route_arn(
            services, api_id, deployment.stage.StageName, scope["method"], deployment.path
        )
        signed = signer(services, scope, body)
        if isinstance(signed, Refused):
            return FORBIDDEN if signed.kind == "missing" else _json(403, signed.message)
        caller = signed
        if not await wait_authorized(services, caller, "execute-api:Invoke", arn):
            return _json(403, not_authorized(caller, arn, services.settings.account_id))
    if route.AuthorizationType == "JWT":
        try:
            claims = await _wait_authorize(jwks, deployment, route, scope, query)
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
        request_id=reply.request_id,
        time=datetime.now(UTC),
        protocol=f"HTTP/{scope.get('http_version', '1.1')}",
    )
    target = Target(
        match, services.settings.account_id, deployment.stage.StageVariables, jwt=claims
    )
    flavor = Flavor(integration.PayloadFormatVersion)
    build = http_api_v2_event if flavor is Flavor.HTTP_V2 else http_api_v1_event
    event = build(request, target)
    if caller is not None:
        with_iam_caller(event, caller)
    if route.AuthorizationType == "CUSTOM":  # lambda_authorizer.py
        denied = await wait_lambda_authorize(
            services.functions, lambda_results or ResultCache(),
            deployment.authorizers.get(route.AuthorizerId or ""), request, target,
            services.settings.region, event, flavor.value, reply,
            services.apis.authorizer_generation(request.api_id, request.stage),
        )  # fmt: skip
        if denied is not None:
            return denied
    if integration.IntegrationSubtype is not None:  # an AWS service: service_integration.py
        if service_calls is None:
            raise StratusError("AWS service integrations need the server's ServiceCalls")
        return await wait_service(service_calls, integration, event, body, reply, UNAVAILABLE)
    if integration.IntegrationType == "HTTP_PROXY":  # http_proxy.py
        if integration.ConnectionType == "VPC_LINK":  # apis/http/vpc_links.py
            link = await services.apis.vpc_links.find(integration.ConnectionId or "")
            if link is None or link.target is None:
                return BAD_GATEWAY
            # AWS sends the stage with the path ("test/path") to a private integration.
            stage = "" if request.stage == DEFAULT_STAGE else f"/{request.stage}"
            uri = link.target.rstrip("/") + stage + request.path
            integration = integration.model_copy(update={"IntegrationUri": uri})
        return await (http_proxy or HttpProxy()).wait_forward(
            integration, request.method, match.path_parameters, query, headers, body,
            request.source_ip,
        )  # fmt: skip
    function = function_ref(integration.IntegrationUri or "")
    source = _route_arn(
        services, api_id, deployment.stage.StageName, scope["method"], deployment.path
    )
    if not lets_gateway_invoke(services.functions, function, source, "HTTP API", api_id):
        return internal_error(flavor)
    result = await wait_invoke(
        services.functions, function, orjson.dumps(event), reply,
        timeout_ms=integration.TimeoutInMillis, late=UNAVAILABLE,
    )  # fmt: skip
    return mapped(flavor, result)


def _route_arn(services: Services, api_id: str, stage: str, method: str, path: str) -> str:
    settings = services.settings
    prefix = f"arn:aws:execute-api:{settings.region}:{settings.account_id}"
    return f"{prefix}:{api_id}/{stage}/{method}{path}"


async def _wait_authorize(
    jwks: JwksCache, deployment: Deployment, route: Route, scope: Scope, query: str
) -> dict[str, Any]:
    """The JWT authorizer's output for the event, for a route with AuthorizationType JWT;
    raises Unauthorized (401) or Forbidden (403), see jwt_authorizer."""
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
