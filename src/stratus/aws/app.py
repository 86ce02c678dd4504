"""The AWS-compatible endpoint: one ASGI app that speaks each service's wire protocol.

Requests carrying `X-Amz-Target` are JSON 1.1 services (CloudWatch Logs); form-encoded
POSTs to `/` are the query protocol (CloudFormation), by the service in their SigV4 scope;
the rest are routed by path (REST-JSON: Lambda). Errors are rendered once, here, by protocol.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from stratus.errors import StratusError, UnknownOperation
from stratus.services import Services

from . import (
    apigateway_api,
    apigateway_keys_api,
    apigateway_methods_api,
    apigatewayv2_api,
    artifacts_api,
    cloudformation_api,
    concurrency_api,
    event_config_api,
    function_urls_api,
    lambda_api,
    layers_api,
    logs_api,
    query,
    streaming_api,
)
from .protocols.errors import WireError
from .wire import json11_error, json_response, rest_json_error

log = logging.getLogger("stratus.aws")

# Services spoken over the query protocol, by signing name.
QUERY_SERVICES: dict[str, query.Handler] = {cloudformation_api.SERVICE: cloudformation_api.handle}


async def json11(request: Request) -> Response:
    target = request.headers.get("x-amz-target", "")
    if target.startswith(logs_api.TARGET_PREFIX):
        return await logs_api.dispatch(request, target)
    if query.is_query(request):
        return await query.dispatch(request, QUERY_SERVICES)
    raise UnknownOperation(f"Stratus does not implement the operation {target or '(none)'}.")


async def health(request: Request) -> Response:
    """Liveness, and which isolation this host gave environments (see runtime/sandbox.py)."""
    return json_response({"status": "running", "isolation": request.app.state.isolation})


async def work(request: Request) -> Response:
    """The durable work queue's statistics, per kind: queued, due, leased, dead."""
    services: Services = request.app.state.services
    statistics = await services.work.wait_statistics()
    return json_response(
        {name: dataclasses.asdict(kind) for name, kind in statistics.kinds.items()}
    )


# Until each REST route knows its API (aws/protocols), the path tells API Gateway's from Lambda's.
_API_GATEWAY_PATHS = ("/v2/", "/restapis", "/apikeys", "/usageplans")
_QUERY_ERRORS = {cloudformation_api.SERVICE: cloudformation_api.ERRORS}


async def _stratus_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StratusError)
    if query.is_query(request):
        service = query.signing_service(request.headers)
        return query.error_response(exc, service, _QUERY_ERRORS.get(service or "", {}))
    if request.headers.get("x-amz-target"):
        return json11_error(exc, logs_api.ERRORS)
    if request.url.path.startswith(_API_GATEWAY_PATHS):
        return rest_json_error(exc, apigateway_api.ERRORS)
    return rest_json_error(exc, lambda_api.ERRORS)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return await _stratus_error(
            request, UnknownOperation(f"No operation matches {request.method} {request.url.path}")
        )
    wire = WireError(
        "InvalidRequestException" if exc.status_code < 500 else "ServiceException", exc.status_code
    )
    return rest_json_error(StratusError(exc.detail), {StratusError: wire})


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error serving %s %s", request.method, request.url.path)
    return await _stratus_error(request, StratusError(f"Internal error: {exc}"))


def build_app(
    lifespan: Callable[[Starlette], AbstractAsyncContextManager[None]] | None = None,
) -> Starlette:
    routes = [
        *lambda_api.routes,
        *streaming_api.routes,
        *concurrency_api.routes,
        *event_config_api.routes,
        *function_urls_api.routes,
        *layers_api.routes,
        *apigatewayv2_api.routes,
        *apigateway_api.routes,
        *apigateway_methods_api.routes,
        *apigateway_keys_api.routes,
        *artifacts_api.routes,
        Route("/", json11, methods=["POST"]),
        Route("/_stratus/health", health, methods=["GET"]),
        Route("/_stratus/work", work, methods=["GET"]),
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            StratusError: _stratus_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
    )


__all__ = ["AsyncIterator", "build_app"]
