"""The Lambda API's function URL configuration (REST-JSON, 2021-10-31):

    POST   /2021-10-31/functions/{FunctionName}/url    CreateFunctionUrlConfig   201
    GET    /2021-10-31/functions/{FunctionName}/url    GetFunctionUrlConfig
    PUT    /2021-10-31/functions/{FunctionName}/url    UpdateFunctionUrlConfig
    DELETE /2021-10-31/functions/{FunctionName}/url    DeleteFunctionUrlConfig   204
    GET    /2021-10-31/functions/{FunctionName}/urls   ListFunctionUrlConfigs

`?Qualifier=` (or a qualified FunctionName) picks an alias or $LATEST; the rules live in
stratus.functions.urls, the serving in stratus.gateway.function_urls.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from stratus.errors import Invalid
from stratus.functions.names import FunctionRef, parse_reference
from stratus.functions.urls import FunctionUrlRequest, FunctionUrls
from stratus.validation import parse

from .wire import json_response, read_json

PATH = "/2021-10-31/functions/{name}/url"


def _urls(request: Request) -> FunctionUrls:
    return request.app.state.functions.urls  # type: ignore[no-any-return]


def _ref(request: Request) -> FunctionRef:
    return parse_reference(request.path_params["name"], request.query_params.get("Qualifier"))


async def create(request: Request) -> Response:
    body = parse(FunctionUrlRequest, await read_json(request))
    urls = _urls(request)
    config = await urls.create(_ref(request), body)
    return json_response(config.wire(urls.port), 201)


async def get(request: Request) -> Response:
    urls = _urls(request)
    config = await urls.get(_ref(request))
    return json_response(config.wire(urls.port))


async def update(request: Request) -> Response:
    body = parse(FunctionUrlRequest, await read_json(request))
    urls = _urls(request)
    config = await urls.update(_ref(request), body)
    return json_response(config.wire(urls.port))


async def delete(request: Request) -> Response:
    await _urls(request).delete(_ref(request))
    return Response(status_code=204)


async def list_configs(request: Request) -> Response:
    urls = _urls(request)
    raw = request.query_params.get("MaxItems")
    max_items = None
    if raw is not None:
        max_items = int(raw) if raw.isdigit() else 0
        if not 1 <= max_items <= 50:
            raise Invalid(
                f"1 validation error detected: Value '{raw}' at 'maxItems' failed to satisfy "
                "constraint: Member must have value between 1 and 50"
            )
    found, next_marker = await urls.list(
        parse_reference(request.path_params["name"]).name,
        request.query_params.get("Marker"),
        max_items,
    )
    body: dict[str, object] = {"FunctionUrlConfigs": [c.wire(urls.port) for c in found]}
    if next_marker:
        body["NextMarker"] = next_marker
    return json_response(body)


routes = [
    Route(PATH, create, methods=["POST"]),
    Route(PATH, get, methods=["GET"]),
    Route(PATH, update, methods=["PUT"]),
    Route(PATH, delete, methods=["DELETE"]),
    Route(f"{PATH}s", list_configs, methods=["GET"]),
]
