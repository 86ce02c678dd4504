"""TestInvokeMethod and TestInvokeAuthorizer.

TestInvokeMethod: one request through a REST API's method as it is now, without a
deployment, by the same code that serves deployed stages (rest.py): the proxy event, request
validation, the integration (Lambda proxy or custom, with mapping templates and content
handling) and the API's gateway responses. As on AWS, a test invocation skips what guards
the method from callers: the resource policy, the authorizer, API keys and throttling; the
stage is `test-invoke-stage`, with the stage variables the call gives.

The answer is AWS's: status, body, headers (and multiValueHeaders), latency in ms and an
execution log in API Gateway's words ("Execution log for request …", the method request's
path, query, headers and body, the status the method completed with).

TestInvokeAuthorizer: the authorizer's function called for a request to `test-invoke-stage`
(rest_authorizer.py, never from the cache), answering the status a caller would get (200
when the policy allows the method ARN `…/test-invoke-stage/<METHOD>/<path>`; the method is
the request's first, GET when none is implied), the principal id, the policy document the
function answered, the latency and a log.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson
from starlette.types import Message

from stratus.apis.rest.match import ResourceMatch, match_resource
from stratus.apis.rest.model import Method
from stratus.apis.rest.test_invoke import (
    TEST_STAGE,
    TestAuthorizerRequest,
    TestAuthorizerResult,
    TestInvokeRequest,
    TestInvokeResult,
)
from stratus.errors import NotFound
from stratus.gateway.http_proxy import HttpProxy
from stratus.gateway.lambda_authorizer import Answer, ResultCache, route_arn
from stratus.gateway.pipeline import Reply
from stratus.gateway.responses import HttpResponse
from stratus.gateway.rest import DOOR, _event, _wait_integration
from stratus.gateway.rest_authorizer import Granted, wait_authorize
from stratus.gateway.rest_responses import Asked, GatewayAnswer, customized
from stratus.gateway.rest_validation import check_request
from stratus.services import Services

_SOURCE_IP = "test-invoke-source-ip"


async def wait_test_invoke(
    services: Services, http: HttpProxy, request: TestInvokeRequest
) -> TestInvokeResult:
    started = time.monotonic()
    request_id = str(uuid.uuid4())
    resource = await services.rest_apis.resources.get(request.api_id, request.resource_id)
    method = resource.methods.get(request.http_method)
    if method is None:
        raise NotFound("Invalid Method identifier specified")
    wanted = urlsplit(request.path_with_query or resource.path)
    deployment = await services.rest_apis.undeployed(
        request.api_id, wanted.path or "/", request.stage_variables
    )
    found = match_resource([resource], request.http_method, wanted.path or "/")
    if found is None:  # a path the resource does not take: its variables stay unbound
        found = ResourceMatch(resource, method, {})
    body = (request.body or "").encode()
    scope = _scope(request, wanted.query, services.settings.port)
    log = _Log(request_id)
    log.add(f"HTTP Method: {request.http_method}, Resource Path: {wanted.path or '/'}")
    log.add(f"Method request path: {dict(found.path_parameters)}")
    log.add(f"Method request query string: {dict(_pairs(wanted.query))}")
    log.add(f"Method request headers: {_headers(request)}")
    log.add(f"Method request body before transformations: {request.body or ''}")

    captured: list[Message] = []

    async def capture(message: Message) -> None:
        captured.append(message)

    async with asyncio.TaskGroup() as tasks:
        reply = Reply(DOOR, capture, request_id, tasks)
        event = _event(scope, services, deployment, found, body, request_id)
        answer = check_request(deployment, method, event, body) or await _wait_integration(
            services, http, deployment, method, event, reply
        )
        if isinstance(answer, GatewayAnswer) and deployment.gateway_responses:
            asked = Asked(
                request.headers, dict(_pairs(wanted.query)), request.stage_variables,
                {"requestId": request_id, "apiId": request.api_id,
                 "stage": deployment.stage.stageName, "httpMethod": request.http_method},
            )  # fmt: skip
            answer = customized(answer, deployment.gateway_responses, asked)
    # Sent already only when the integration timed out (its answer went out at once).
    sent = _sent(captured) if reply.sent else answer
    log.add(f"Method response body after transformations: {sent.body.decode(errors='replace')}")
    log.add(f"Method response headers: {dict(sent.headers)}")
    log.add(f"Successfully completed execution\n{log.stamp()} : Method completed with status: "
            f"{sent.status}")  # fmt: skip
    multi: dict[str, list[str]] = {}
    for name, value in sent.headers:
        multi.setdefault(name, []).append(value)
    return TestInvokeResult(
        status=sent.status,
        body=sent.body.decode(errors="replace"),
        headers={name: values[-1] for name, values in multi.items()},
        multi_value_headers=multi,
        log=log.text(),
        latency_ms=int((time.monotonic() - started) * 1000),
    )


class _Kept(ResultCache):
    """A cache of one test call: what the function answered, kept to report its policy."""

    kept: Answer | None = None

    def get(self, key: tuple[str, ...]) -> Answer | None:
        return None

    def put(self, key: tuple[str, ...], answer: Answer, ttl: float) -> None:
        self.kept = answer


async def wait_test_authorizer(
    services: Services, request: TestAuthorizerRequest
) -> TestAuthorizerResult:
    started = time.monotonic()
    request_id = str(uuid.uuid4())
    rest_apis = services.rest_apis
    authorizer = await rest_apis.authorizers.get(request.api_id, request.authorizer_id)
    wanted = urlsplit(request.path_with_query or "/")
    path = wanted.path or "/"
    deployment = await rest_apis.undeployed(request.api_id, path, request.stage_variables)
    root = next(r for r in deployment.resources if r.path == "/")
    # The event an authorizer sees names the resource the path reaches, if any.
    found = match_resource(deployment.resources, "GET", path) or ResourceMatch(
        root, Method(httpMethod="GET"), {}
    )
    scope = _scope(_as_method(request), wanted.query, services.settings.port)
    event = _event(scope, services, deployment, found, (request.body or "").encode(), request_id)
    settings = services.settings
    arn = route_arn(settings.region, settings.account_id, request.api_id, TEST_STAGE, "GET", path)
    log = _Log(request_id)
    log.add(f"Starting authorizer: {authorizer.id} for request: {request_id}")
    cache = _Kept()
    kept_for = authorizer.model_copy(update={"authorizerResultTtlInSeconds": 1})
    captured: list[Message] = []

    async def capture(message: Message) -> None:
        captured.append(message)

    async with asyncio.TaskGroup() as tasks:
        reply = Reply(DOOR, capture, request_id, tasks)
        answer = await wait_authorize(services.functions, cache, kept_for, event, arn, reply)
    status = 200 if isinstance(answer, Granted) else answer.status
    kept = cache.kept
    policy = None
    if kept is not None and kept.authorized is None:
        policy = orjson.dumps({"Version": "2012-10-17", "Statement": list(kept.statements)})
    log.add(f"Incoming identity: {event['multiValueHeaders']}")
    log.add(f"Endpoint request URI: lambda:invoke {authorizer.authorizerUri}")
    log.add(f"Authorizer result: {'Allow' if status == 200 else 'Deny'} ({status})")
    return TestAuthorizerResult(
        client_status=status,
        principal_id=kept.principal_id if kept else None,
        policy=policy.decode() if policy else None,
        log=log.text(),
        latency_ms=int((time.monotonic() - started) * 1000),
    )


def _as_method(request: TestAuthorizerRequest) -> TestInvokeRequest:
    return TestInvokeRequest(
        api_id=request.api_id, resource_id="", http_method="GET",
        path_with_query=request.path_with_query, body=request.body, headers=request.headers,
        multi_value_headers=request.multi_value_headers, stage_variables=request.stage_variables,
    )  # fmt: skip


class _Log:
    """API Gateway's execution log of one test invocation."""

    def __init__(self, request_id: str) -> None:
        self._lines = [f"Execution log for request {request_id}"]
        self.add(f"Starting execution for request: {request_id}")

    @staticmethod
    def stamp() -> str:
        return datetime.now(UTC).strftime("%a %b %d %H:%M:%S UTC %Y")

    def add(self, line: str) -> None:
        self._lines.append(f"{self.stamp()} : {line}")

    def text(self) -> str:
        return "\n".join(self._lines) + "\n"


def _pairs(query: str) -> list[tuple[str, str]]:
    return parse_qsl(query, keep_blank_values=True)


def _headers(request: TestInvokeRequest) -> dict[str, list[str]]:
    found = {k: list(v) for k, v in request.multi_value_headers.items()}
    for name, value in request.headers.items():
        found.setdefault(name, []).append(value)
    return found


def _scope(request: TestInvokeRequest, query: str, port: int) -> dict[str, Any]:
    """The ASGI scope a real request would have made."""
    headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, values in _headers(request).items()
        for value in values
    ]
    return {
        "type": "http", "method": request.http_method, "headers": headers,
        "query_string": query.encode("latin-1"), "client": (_SOURCE_IP, 0),
        "server": ("localhost", port), "scheme": "http", "http_version": "1.1",
    }  # fmt: skip


def _sent(messages: list[Message]) -> HttpResponse:
    start = next(m for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    headers = tuple(
        (k.decode("latin-1"), v.decode("latin-1"))
        for k, v in start["headers"]
        if k.lower() != b"content-length"
    )
    return HttpResponse(int(start["status"]), headers, body)
