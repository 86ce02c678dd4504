"""The REST APIs' data plane (API Gateway v1): requests to a deployed stage become Lambda
proxy invocations.

ExecuteApi (http_api.py) hands a request here when its API id is a REST API's; the addresses
are the HTTP APIs' (`Host: {id}.execute-api.localhost`, `/_aws/execute-api/{id}/...`), but
REST APIs have no `$default` stage: the path's first segment always names the stage.

Per request, in API Gateway's order:

    RestApiService.resolve (stage)  -> match (resource, method)     403 Missing Authentication
                                                                    Token for either
    stage throttling (method settings, rest_access.py)              429
    authorizer: CUSTOM (rest_authorizer.py)                         401/403/500
      AWS_IAM (iam_auth.py): unsigned                               403 Missing Authentication
        bad signature / unknown key / skew                          403 {"message": reason}
        execute-api:Invoke not allowed by the signer's policies     403 {"Message": "User:
        or the resource policy (which sees the signer)              <arn> is not authorized…"}
      COGNITO_USER_POOLS is not served: refused as tokenless        401
    API key and usage plan (rest_access.py)                         403, 429
    request validation (rest_validation.py)                         400
    integration: AWS_PROXY -> events.rest_event -> invoke ->        see rest_responses.py
      responses.http_response (REST rules); AWS, HTTP, HTTP_PROXY
      and MOCK with mapping templates (rest_integration.py)

The handler gets the proxy event AWS sends (its fields as LocalStack recorded them against
AWS), with two differences the ASGI server imposes: header names arrive lower-cased, so the
event carries them in canonical case (`content-type` -> `Content-Type`), and the headers
CloudFront adds on AWS (`CloudFront-*`, `Via`, `X-Amz-Cf-Id`) are absent. Like AWS, the
gateway drops `Content-Length` and `Connection` and adds `X-Forwarded-For/-Port/-Proto` and
`X-Amzn-Trace-Id`. Every answer carries `x-amzn-RequestId` (requestContext.requestId, a
UUID) and `x-amz-apigw-id` (requestContext.extendedRequestId). Limits, the integration
timer and the sending are pipeline.py's, shared with HTTP APIs and function URLs.
"""

from __future__ import annotations

import base64
import functools
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.types import Receive, Scope, Send

from stratus import ids
from stratus.apis.http.routes import Match, RouteKey
from stratus.apis.rest.match import ResourceMatch
from stratus.apis.rest.model import Method
from stratus.apis.rest.service import RestDeployment
from stratus.gateway.events import HttpRequest, Target, rest_event
from stratus.gateway.http_proxy import HttpProxy
from stratus.gateway.iam_auth import signer, wait_authorized, with_iam_caller
from stratus.gateway.lambda_authorizer import ResultCache, route_arn
from stratus.gateway.pipeline import (
    Door,
    Reply,
    function_ref,
    lets_gateway_invoke,
    mapped,
    wait_body,
    wait_invoke,
    wait_serve,
)
from stratus.gateway.responses import Flavor, HttpResponse
from stratus.gateway.rest_access import Access
from stratus.gateway.rest_authorizer import Granted, wait_authorize
from stratus.gateway.rest_integration import wait_custom
from stratus.gateway.rest_policy import NO_POLICY, decide, denied
from stratus.gateway.rest_responses import (
    HEADERS_TOO_LARGE,
    INTERNAL,
    MISSING_TOKEN,
    THROTTLED,
    TIMED_OUT,
    TOO_LARGE,
    UNAUTHORIZED,
    Asked,
    GatewayAnswer,
    customized,
    gateway_response,
)
from stratus.gateway.rest_validation import check_request
from stratus.iam.model import Identity
from stratus.iam.sigv4 import Refused
from stratus.policies import Effect
from stratus.services import Services

log = logging.getLogger(__name__)
PAYLOAD_LIMIT = 10 * 1024 * 1024  # API Gateway's request payload quota
_DROPPED = frozenset({"content-length", "connection"})
_SET_BY_GATEWAY = frozenset({"x-forwarded-port", "x-forwarded-proto"})


# Lambda refusing the call (throttled, no such function) is a 500 for REST APIs, as the
# Lambda guide states; the log says why.
DOOR = Door("REST API", b"x-amzn-requestid", PAYLOAD_LIMIT, TOO_LARGE, HEADERS_TOO_LARGE, INTERNAL)


class RestGateway:
    """Serves every REST API: holds the authorizers' cached answers and the throttling and
    quota counters (one per server; clocks injectable for tests)."""

    def __init__(self, http: HttpProxy, clock: Callable[[], float] = time.monotonic) -> None:
        self.http = http  # the client of HTTP, HTTP_PROXY and AWS service integrations
        self.authorizer_results = ResultCache(clock)
        self.access = Access(clock)

    async def __call__(
        self,
        services: Services,
        scope: Scope,
        receive: Receive,
        send: Send,
        api_id: str,
        path: str,
    ) -> None:
        extended = base64.urlsafe_b64encode(ids.token_bytes(11)).decode()
        answer = functools.partial(
            self.wait_answer, services, scope, receive, api_id, path, extended
        )
        await wait_serve(
            DOOR, scope, send, path, answer,
            request_id=ids.uuid4(), headers=(("x-amz-apigw-id", extended),),
        )  # fmt: skip

    async def wait_answer(
        self,
        services: Services,
        scope: Scope,
        receive: Receive,
        api_id: str,
        path: str,
        extended_id: str,
        reply: Reply,
    ) -> HttpResponse:
        body = await wait_body(scope, receive, reply)
        deployment: RestDeployment | None = await services.rest_apis.resolve(api_id, path)
        if deployment is None:
            return MISSING_TOKEN
        answer = await self._wait_served(services, scope, deployment, body, extended_id, reply)
        if isinstance(answer, GatewayAnswer) and deployment.gateway_responses:
            return customized(
                answer, deployment.gateway_responses, _asked(scope, deployment, reply)
            )
        return answer

    async def _wait_served(
        self,
        services: Services,
        scope: Scope,
        deployment: RestDeployment,
        body: bytes,
        extended_id: str,
        reply: Reply,
    ) -> HttpResponse:
        api_id = deployment.api.id
        found = deployment.match(scope["method"])
        if found is None:
            return MISSING_TOKEN
        resource, method, _ = found
        if not self.access.admit_stage(deployment, resource.path, method.httpMethod):
            return THROTTLED
        decision = _check_policy(services, scope, deployment, method.httpMethod)
        if isinstance(decision, GatewayAnswer):
            return decision
        caller: Identity | None = None
        if method.authorizationType == "AWS_IAM":
            signed = await _wait_iam(services, scope, deployment, method.httpMethod, body)
            if isinstance(signed, GatewayAnswer):
                return signed
            caller = signed
        elif method.authorizationType == "COGNITO_USER_POOLS":
            log.warning(
                "REST API %s: %s %s has authorizationType COGNITO_USER_POOLS, which Stratus "
                "does not check yet; refused as AWS refuses a request without a token",
                api_id, method.httpMethod, resource.path,
            )  # fmt: skip
            return UNAUTHORIZED
        elif decision is None and method.authorizationType != "CUSTOM":
            # Implicitly denied by the resource policy; a Lambda authorizer may still allow.
            return _denied(services, scope, deployment, method.httpMethod, explicit=False)
        event = _event(scope, services, deployment, found, body, reply.request_id)
        event["requestContext"]["extendedRequestId"] = extended_id
        if caller is not None:
            with_iam_caller(event, caller)
        admitted = await self._wait_admit(services, deployment, found, event, reply)
        if admitted is not None:
            return admitted
        invalid = check_request(deployment, method, event, body)
        if invalid is not None:
            return invalid
        return await _wait_integration(services, self.http, deployment, method, event, reply)

    async def _wait_admit(
        self,
        services: Services,
        deployment: RestDeployment,
        found: ResourceMatch,
        event: dict[str, Any],
        reply: Reply,
    ) -> HttpResponse | None:
        """The method's authorizer, then its API key (the steps that may add to the
        event's requestContext): None to go on, else the answer to send."""
        resource, method, _ = found
        context = event["requestContext"]
        granted: Granted | None = None
        if method.authorizationType == "CUSTOM":
            settings = services.settings
            arn = route_arn(
                settings.region, settings.account_id, deployment.api.id,
                deployment.stage.stageName, event["httpMethod"], deployment.path,
            )  # fmt: skip
            generation = services.rest_apis.authorizer_generation(
                deployment.api.id, deployment.stage.stageName
            )
            answer = await wait_authorize(
                services.functions, self.authorizer_results,
                deployment.authorizers.get(method.authorizerId or ""), event, arn, reply,
                generation,
            )  # fmt: skip
            if isinstance(answer, HttpResponse):
                return answer
            granted = answer
            context["authorizer"] = granted.authorizer
        if not method.apiKeyRequired:
            return None
        if deployment.api.apiKeySource == "AUTHORIZER":
            value = granted.usage_identifier_key if granted else None
        else:
            value = _last(event["multiValueHeaders"], "x-api-key")
        key = await self.access.wait_key(
            services.rest_apis, deployment, value, resource.path, method.httpMethod
        )
        if isinstance(key, HttpResponse):
            return key
        context["identity"] |= {"apiKey": key.value, "apiKeyId": key.id}
        return None


def _event(
    scope: Scope,
    services: Services,
    deployment: RestDeployment,
    found: ResourceMatch,
    body: bytes,
    request_id: str,
) -> dict[str, Any]:
    """The Lambda proxy event for the request (before authorizer and API key)."""
    resource, _, parameters = found
    target = Target(
        Match(_route(resource.path), parameters),
        services.settings.account_id,
        deployment.stage.variables or {},
        resource_id=resource.id,
        binary_media_types=deployment.api.binaryMediaTypes or (),
        deployment_id=deployment.deployment_id,
    )
    return rest_event(_request(scope, deployment, body, request_id), target)


async def _wait_integration(
    services: Services,
    http: HttpProxy,
    deployment: RestDeployment,
    method: Method,
    event: dict[str, Any],
    reply: Reply,
) -> HttpResponse:
    integration = method.methodIntegration
    if integration is None:
        return INTERNAL
    if integration.type != "AWS_PROXY":
        return await wait_custom(services, http, deployment, method, event, reply)
    if (integration.httpMethod or "POST") != "POST":
        log.warning(
            "REST API %s: %s on stage %s answers 500: its integration calls Lambda with %s, "
            "not POST",
            deployment.api.id, method.httpMethod, deployment.stage.stageName,
            integration.httpMethod,
        )  # fmt: skip
        return INTERNAL
    function = function_ref(integration.uri or "")
    source = _invoke_arn(services, deployment, method.httpMethod)
    api_id = deployment.api.id
    if not lets_gateway_invoke(services.functions, function, source, "REST API", api_id):
        return INTERNAL
    result = await wait_invoke(
        services.functions, function, orjson.dumps(event), reply,
        timeout_ms=integration.timeoutInMillis, late=TIMED_OUT,
    )  # fmt: skip
    binary = _accepts_binary(event["multiValueHeaders"], deployment.api.binaryMediaTypes or ())
    return mapped(Flavor.REST, result, binary=binary)


@functools.lru_cache(maxsize=1024)
def _route(resource_path: str) -> RouteKey:
    """What events.rest_event reads the resource path from (it reads `.path` only)."""
    return RouteKey(f"ANY {resource_path}", "ANY")


@functools.lru_cache(maxsize=1024)
def _event_name(raw: bytes) -> str:
    """The name the event gives a header the client sent: `content-type` -> `Content-Type`,
    the case most clients send names in (the ASGI server hands them over lower-cased); ""
    for the ones the gateway drops or sets itself. Per raw name, once (every request asks)."""
    name = raw.decode("latin-1")
    if name in _DROPPED or name in _SET_BY_GATEWAY:
        return ""
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


def _request(scope: Scope, deployment: RestDeployment, body: bytes, request_id: str) -> HttpRequest:
    source_ip = (scope.get("client") or ("127.0.0.1", 0))[0]
    headers: list[tuple[str, str]] = []
    forwarded_for = trace = None
    for raw_name, raw_value in scope["headers"]:
        name = _event_name(raw_name)
        if not name:
            continue
        value = raw_value.decode("latin-1")
        if name == "X-Forwarded-For":
            forwarded_for = value
            continue
        trace = trace or (value if name == "X-Amzn-Trace-Id" else None)
        headers.append((name, value))
    if trace is None:
        headers.append(("X-Amzn-Trace-Id", f"Root=1-{int(time.time()):08x}-{ids.token_hex(12)}"))
    port = (scope.get("server") or ("", 80))[1]
    headers += [
        ("X-Forwarded-For", f"{forwarded_for}, {source_ip}" if forwarded_for else source_ip),
        ("X-Forwarded-Port", str(port)),
        ("X-Forwarded-Proto", scope.get("scheme", "http")),
    ]
    return HttpRequest(
        method=scope["method"],
        path=deployment.path,
        query=scope.get("query_string", b"").decode("latin-1"),
        headers=tuple(headers),
        body=body,
        source_ip=source_ip,
        stage=deployment.stage.stageName,
        api_id=deployment.api.id,
        domain_name=f"{deployment.api.id}.execute-api.localhost",
        request_id=request_id,
        time=datetime.now(UTC),
        protocol=f"HTTP/{scope.get('http_version', '1.1')}",
    )


def _invoke_arn(services: Services, deployment: RestDeployment, http_method: str) -> str:
    settings = services.settings
    return route_arn(
        settings.region, settings.account_id, deployment.api.id, deployment.stage.stageName,
        http_method, deployment.path,
    )  # fmt: skip


def _check_policy(
    services: Services, scope: Scope, deployment: RestDeployment, http_method: str
) -> GatewayAnswer | Effect | str | None:
    """The explicit-deny answer, else the resource policy's decision (rest_policy.py)."""
    if not deployment.api.policy:
        return NO_POLICY  # most APIs have none: nothing to gather for it
    settings = services.settings
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    decision = decide(
        deployment.api.policy,
        _invoke_arn(services, deployment, http_method),
        f"arn:aws:execute-api:{settings.region}:{settings.account_id}:{deployment.api.id}/",
        (scope.get("client") or ("127.0.0.1", 0))[0],
        headers,
        region=settings.region,
        secure=scope.get("scheme") == "https",
    )
    if decision == "Deny":
        return _denied(services, scope, deployment, http_method, explicit=True)
    return decision


def _denied(
    services: Services, scope: Scope, deployment: RestDeployment, http_method: str, *,
    explicit: bool, user: str = "anonymous",
) -> GatewayAnswer:  # fmt: skip
    arn = _invoke_arn(services, deployment, http_method)
    return denied(arn, services.settings.account_id, explicit=explicit, user=user)


async def _wait_iam(
    services: Services, scope: Scope, deployment: RestDeployment, http_method: str, body: bytes
) -> Identity | GatewayAnswer:
    """The signer of a request to an AWS_IAM method, if its policies or the API's resource
    policy (now with the signer as principal) allow execute-api:Invoke (iam_auth.py)."""
    caller = signer(services, scope, body)
    if isinstance(caller, Refused):
        if caller.kind == "missing":
            return MISSING_TOKEN
        kind = "UnrecognizedClientException" if caller.kind == "unknown-key" else (
            "InvalidSignatureException")  # fmt: skip
        response_type = "EXPIRED_TOKEN" if caller.kind == "skewed" else "INVALID_SIGNATURE"
        return gateway_response(403, caller.message, kind, response_type)
    settings = services.settings
    arn = _invoke_arn(services, deployment, http_method)
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    resource = decide(
        deployment.api.policy, arn,
        f"arn:aws:execute-api:{settings.region}:{settings.account_id}:{deployment.api.id}/",
        (scope.get("client") or ("127.0.0.1", 0))[0], headers, region=settings.region,
        secure=scope.get("scheme") == "https", caller=caller,
    )  # fmt: skip
    if resource == "Deny":
        return _denied(services, scope, deployment, http_method, explicit=True, user=caller.arn)
    others = () if resource == NO_POLICY else (resource,)
    if not await wait_authorized(services, caller, "execute-api:Invoke", arn, *others):
        return _denied(services, scope, deployment, http_method, explicit=False, user=caller.arn)
    return caller


def _asked(scope: Scope, deployment: RestDeployment, reply: Reply) -> Asked:
    """What an API's gateway responses may read of the request."""
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
    source_ip = (scope.get("client") or ("127.0.0.1", 0))[0]
    context = {
        "requestId": reply.request_id,
        "apiId": deployment.api.id,
        "stage": deployment.stage.stageName,
        "httpMethod": scope["method"],
        "path": scope.get("path", ""),
        "identity": {"sourceIp": source_ip, "userAgent": headers.get("user-agent")},
    }
    return Asked(headers, query, deployment.stage.variables or {}, context)


def _last(multi: dict[str, list[str]], name: str) -> str | None:
    return next((values[-1] for k, values in multi.items() if k.lower() == name), None)


def _accepts_binary(headers: dict[str, list[str]], binary_media_types: Sequence[str]) -> bool:
    """Whether a base64 body is decoded: the request's first Accept type must be one of the
    API's binaryMediaTypes (`*/*` takes anything), as API Gateway decides for proxies."""
    if not binary_media_types:
        return False
    first = next((values[0] for k, values in headers.items() if k.lower() == "accept"), "")
    accept = first.split(",", 1)[0].split(";", 1)[0].strip().lower()
    return any(t == "*/*" or fnmatchcase(accept, t.lower()) for t in binary_media_types)
