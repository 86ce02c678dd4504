"""Reserved and provisioned concurrency, and account settings, over the Lambda API."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from stratus.errors import Validation
from stratus.functions.concurrency import (
    Concurrency,
    PutFunctionConcurrencyRequest,
    PutProvisionedConcurrencyRequest,
)
from stratus.functions.names import FunctionRef, parse_reference
from stratus.validation import parse

from .wire import json_response, read_json


def _concurrency(request: Request) -> Concurrency:
    return request.app.state.concurrency  # type: ignore[no-any-return]


def _ref(request: Request) -> FunctionRef:
    return parse_reference(request.path_params["name"], request.query_params.get("Qualifier"))


def _unqualified(request: Request) -> str:
    """Reserved concurrency belongs to the function, not to a version or alias."""
    ref = _ref(request)
    if ref.qualifier:
        raise Validation(
            f"1 validation error detected: Value '{request.path_params['name']}' at "
            "'functionName' failed to satisfy constraint: Member must satisfy regular "
            "expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?"
            "(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)"
        )
    return ref.name


async def put_reserved(request: Request) -> Response:
    body = parse(PutFunctionConcurrencyRequest, await read_json(request))
    count = await _concurrency(request).put_reserved(
        _unqualified(request), body.ReservedConcurrentExecutions
    )
    return json_response({"ReservedConcurrentExecutions": count})


async def get_reserved(request: Request) -> Response:
    count = await _concurrency(request).get_reserved(_unqualified(request))
    return json_response({} if count is None else {"ReservedConcurrentExecutions": count})


async def delete_reserved(request: Request) -> Response:
    await _concurrency(request).delete_reserved(_unqualified(request))
    return Response(status_code=204)


async def provisioned(request: Request) -> Response:
    """GET serves both GetProvisionedConcurrencyConfig and, with ?List=ALL, the List call."""
    concurrency = _concurrency(request)
    ref = _ref(request)
    if request.query_params.get("List") == "ALL":
        configs = await concurrency.list_provisioned(ref.name)
        service = request.app.state.functions
        items = [
            config.wire(available, service.arn(ref.name, config.qualifier))
            for config, available in configs
        ]
        return json_response({"ProvisionedConcurrencyConfigs": items})
    config, available = await concurrency.get_provisioned(ref)
    return json_response(config.wire(available))


async def put_provisioned(request: Request) -> Response:
    body = parse(PutProvisionedConcurrencyRequest, await read_json(request))
    config = await _concurrency(request).put_provisioned(
        _ref(request), body.ProvisionedConcurrentExecutions
    )
    return json_response(config.wire(0), 202)


async def delete_provisioned(request: Request) -> Response:
    await _concurrency(request).delete_provisioned(_ref(request))
    return Response(status_code=204)


async def account_settings(request: Request) -> Response:
    functions = request.app.state.functions
    limits = functions.invoker.concurrency
    count, code_size = await functions.usage()
    return json_response(
        {
            "AccountLimit": {
                "TotalCodeSize": 80 * 1024**3,
                "CodeSizeUnzipped": 250 * 1024**2,
                "CodeSizeZipped": 50 * 1024**2,
                "ConcurrentExecutions": limits.account_limit,
                "UnreservedConcurrentExecutions": limits.unreserved_limit,
            },
            "AccountUsage": {"TotalCodeSize": code_size, "FunctionCount": count},
        }
    )


routes = [
    Route("/2017-10-31/functions/{name}/concurrency", put_reserved, methods=["PUT"]),
    Route("/2017-10-31/functions/{name}/concurrency", delete_reserved, methods=["DELETE"]),
    Route("/2019-09-30/functions/{name}/concurrency", get_reserved, methods=["GET"]),
    Route("/2019-09-30/functions/{name}/provisioned-concurrency", provisioned, methods=["GET"]),
    Route("/2019-09-30/functions/{name}/provisioned-concurrency", put_provisioned, methods=["PUT"]),
    Route(
        "/2019-09-30/functions/{name}/provisioned-concurrency",
        delete_provisioned,
        methods=["DELETE"],
    ),
    Route("/2016-08-19/account-settings", account_settings, methods=["GET"]),
    Route("/2016-08-19/account-settings/", account_settings, methods=["GET"]),
]
