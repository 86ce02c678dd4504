"""The Lambda API's asynchronous invocation configuration (REST-JSON, 2019-09-25):

    PUT    /2019-09-25/functions/{FunctionName}/event-invoke-config       Put
    POST   /2019-09-25/functions/{FunctionName}/event-invoke-config       Update
    GET    /2019-09-25/functions/{FunctionName}/event-invoke-config       Get
    DELETE /2019-09-25/functions/{FunctionName}/event-invoke-config       Delete
    GET    /2019-09-25/functions/{FunctionName}/event-invoke-config/list  List

`?Qualifier=` (or a qualified FunctionName) picks a version or alias; the rules live in
stratus.functions.event_config.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from stratus.errors import Invalid
from stratus.functions.event_config import EventInvokeConfigRequest, EventInvokeConfigs
from stratus.functions.names import FunctionRef, parse_reference
from stratus.validation import parse

from .wire import json_response, read_json

PATH = "/2019-09-25/functions/{name}/event-invoke-config"


def _configs(request: Request) -> EventInvokeConfigs:
    return request.app.state.functions.event_configs  # type: ignore[no-any-return]


def _ref(request: Request) -> FunctionRef:
    return parse_reference(request.path_params["name"], request.query_params.get("Qualifier"))


async def put_config(request: Request) -> Response:
    body = parse(EventInvokeConfigRequest, await read_json(request))
    return json_response((await _configs(request).put(_ref(request), body)).wire())


async def update_config(request: Request) -> Response:
    body = parse(EventInvokeConfigRequest, await read_json(request))
    return json_response((await _configs(request).update(_ref(request), body)).wire())


async def get_config(request: Request) -> Response:
    return json_response((await _configs(request).get(_ref(request))).wire())


async def delete_config(request: Request) -> Response:
    await _configs(request).delete(_ref(request))
    return Response(status_code=204)


async def list_configs(request: Request) -> Response:
    found, next_marker = await _configs(request).list(
        _ref(request).name, request.query_params.get("Marker"), _max_items(request)
    )
    body: dict[str, object] = {"FunctionEventInvokeConfigs": [c.wire() for c in found]}
    if next_marker:
        body["NextMarker"] = next_marker
    return json_response(body)


def _max_items(request: Request) -> int | None:
    raw = request.query_params.get("MaxItems")
    if raw is None:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 50:
        raise Invalid(
            f"1 validation error detected: Value '{raw}' at 'maxItems' failed to satisfy "
            "constraint: Member must have value between 1 and 50"
        )
    return int(raw)


routes = [
    Route(PATH, put_config, methods=["PUT"]),
    Route(PATH, update_config, methods=["POST"]),
    Route(PATH, get_config, methods=["GET"]),
    Route(PATH, delete_config, methods=["DELETE"]),
    Route(f"{PATH}/list", list_configs, methods=["GET"]),
]
