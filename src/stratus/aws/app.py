"""The AWS-compatible endpoint: one ASGI app that speaks each service's wire protocol.

POSTs to `/` carrying `X-Amz-Target` are JSON 1.0/1.1 APIs (CloudWatch Logs), found by the
target's prefix; form-encoded POSTs to `/` are the query protocol (CloudFormation), by the
service in their SigV4 scope. Both are served by aws/protocols from the adapters' tables and
render their own errors. Lambda and API Gateway's REST and HTTP APIs (rest-json) are served
from their models by protocols/rest_json.py, which renders their errors too.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Receive, Scope, Send

from stratus.errors import StratusError, UnknownOperation
from stratus.services import Services

from . import (
    apigateway_api,
    apigatewayv2_api,
    artifacts_api,
    cloudcontrol_api,
    cloudformation_api,
    cloudwatch_api,
    dynamodb_api,
    dynamodbstreams_api,
    event_source_mappings_api,
    events_api,
    iam_api,
    lambda_api,
    logs_api,
    s3_api,
    scheduler_api,
    secretsmanager_api,
    sns_api,
    sqs_api,
    ssm_api,
    stepfunctions_api,
    sts_api,
)
from .protocols import models, query
from .protocols.adapter import Api
from .protocols.aws_json import JsonApis
from .protocols.errors import WireError
from .protocols.query import QueryApis
from .protocols.rest_json import error_response as rest_json_error
from .protocols.rest_xml import RestXml
from .protocols.rpc_v2_cbor import CborApis
from .s3_requests import S3Route
from .s3_website import WebsiteRoute
from .signatures import VerifySignatures
from .wire import json_response

log = logging.getLogger("stratus.aws")

LAMBDA = lambda_api.api()
HTTP_APIS = apigatewayv2_api.api()
APIGATEWAY = apigateway_api.api()
SCHEDULER = scheduler_api.api()
S3 = RestXml(s3_api.API, models.service_model("s3"), s3_api.SERVICE_CHECKED)
# Every API on the protocol layer (coverage.py counts their operations).
SERVED_APIS: tuple[Api, ...] = (
    LAMBDA.api,
    APIGATEWAY.api,
    HTTP_APIS.api,
    logs_api.API,
    cloudformation_api.API,
    sqs_api.API,
    sns_api.API,
    events_api.API,
    SCHEDULER.api,
    S3.api,
    dynamodb_api.API,
    dynamodbstreams_api.API,
    stepfunctions_api.API,
    ssm_api.API,
    secretsmanager_api.API,
    sts_api.API,
    cloudcontrol_api.API,
    iam_api.API,
    cloudwatch_api.API,
)
JSON_APIS = JsonApis(
    [
        logs_api.API,
        sqs_api.API,
        events_api.API,
        dynamodb_api.API,
        dynamodbstreams_api.API,
        stepfunctions_api.API,
        ssm_api.API,
        secretsmanager_api.API,
        cloudcontrol_api.API,
        cloudwatch_api.API,  # boto3 prefers JSON 1.0 to the model's first protocol, CBOR
    ]
)
# Smithy RPC v2 CBOR: POST /service/<name>/operation/<operation>.
CBOR_APIS = CborApis([cloudwatch_api.API])
QUERY_APIS = QueryApis(
    [
        cloudformation_api.API,
        sqs_api.QUERY_API,
        sns_api.API,
        sts_api.API,
        iam_api.API,
        cloudwatch_api.QUERY_API,
    ]
)


async def root(request: Request) -> Response:
    """POST /: the JSON and query protocols' one address."""
    if "x-amz-target" in request.headers:
        return await JSON_APIS.wait_answer(request.scope, request.receive)
    if query.is_query(request):
        return await QUERY_APIS.wait_answer(request.scope, request.receive)
    raise UnknownOperation(
        "POST / takes JSON requests naming their operation in X-Amz-Target, or query "
        "requests (Content-Type: application/x-www-form-urlencoded) naming their Action."
    )


class QueueUrlRoute(BaseRoute):
    """POST /<12-digit account>/<queue>: SQS clients that send to the queue's URL (the query
    protocol's older habit); the handlers take the queue from the path. Nothing else, so
    other paths keep their 404 (a plain Route would answer 405 to every two-segment GET)."""

    _PATH = re.compile(r"/[0-9]{12}/[^/]+")

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        wanted = scope["type"] == "http" and scope["method"] == "POST"
        if wanted and self._PATH.fullmatch(scope["path"]):
            return Match.FULL, {}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        apis = JSON_APIS if "x-amz-target" in Headers(scope=scope) else QUERY_APIS
        response = await apis.wait_answer(scope, receive)
        await response(scope, receive, send)


async def health(request: Request) -> Response:
    """Liveness, which isolation this host gave environments (see runtime/sandbox.py), and
    whether requests' signatures are checked (signatures.py): "verified" or "off"."""
    services: Services = request.app.state.services
    signatures = "verified" if services.settings.verify_signatures else "off"
    return json_response(
        {"status": "running", "isolation": request.app.state.isolation, "signatures": signatures}
    )


async def work(request: Request) -> Response:
    """The durable work queue's statistics, per kind: queued, due, leased, dead."""
    services: Services = request.app.state.services
    statistics = await services.work.wait_statistics()
    return json_response(
        {name: dataclasses.asdict(kind) for name, kind in statistics.kinds.items()}
    )


# Until each REST route knows its API (aws/protocols), the path tells API Gateway's from Lambda's.
_API_GATEWAY_PATHS = ("/v2/", "/restapis", "/apikeys", "/usageplans")


async def _stratus_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StratusError)
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
    pages: Sequence[BaseRoute] = (),
) -> Starlette:
    """The endpoint; `pages` are routes of the layers beside this one (the console's)."""
    routes = [
        # A bucket's website host, before S3's virtual hosts (which would take it for a bucket).
        WebsiteRoute(),
        # S3 matches only requests that name it (a bucket's virtual host, or SigV4 scope s3):
        # its paths /{Bucket}/{Key+} would otherwise shadow every other API's.
        S3Route(S3),
        # Then: Invoke and the JSON and query APIs' one address (SQS) are the hot paths;
        # Lambda's paths are all its own and no other route's path is "/".
        LAMBDA.route(),
        Route("/", root, methods=["POST"]),
        CBOR_APIS,  # its paths (/service/…/operation/…) are its own
        Route("/", sns_api.by_url, methods=["GET"]),  # SNS's SubscribeURL / UnsubscribeURL
        *lambda_api.routes,
        *event_source_mappings_api.routes,
        HTTP_APIS.route(),
        SCHEDULER.route(),  # before API Gateway's: both answer /tags/{arn}
        APIGATEWAY.route(),
        *artifacts_api.routes,
        Route("/_stratus/health", health, methods=["GET"]),
        Route("/_stratus/work", work, methods=["GET"]),
        *pages,
        QueueUrlRoute(),  # last: after Lambda's two-segment paths
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            StratusError: _stratus_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
    )
    app.add_middleware(VerifySignatures)  # only with STRATUS_VERIFY_SIGNATURES=true
    return app


__all__ = ["AsyncIterator", "build_app"]
