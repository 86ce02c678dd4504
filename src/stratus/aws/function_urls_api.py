"""The Lambda API's function URL configuration (2021-10-31/.../url): Create, Get, Update,
Delete and List. `Qualifier` (or a qualified FunctionName) picks an alias or $LATEST; the
rules live in stratus.functions.urls, the serving in stratus.gateway.function_urls.
"""

from __future__ import annotations

from typing import Any

from stratus.functions.names import parse_reference
from stratus.functions.urls import FunctionUrlRequest, FunctionUrls
from stratus.validation import parse

from .lambda_members import listed, ref
from .protocols.adapter import Call, Handler, Output


def _urls(call: Call) -> FunctionUrls:
    return call.services.functions.urls


async def create(call: Call, params: dict[str, Any]) -> Output:
    urls = _urls(call)
    config = await urls.create(ref(params), parse(FunctionUrlRequest, params))
    return config.wire(urls.port)


async def get(call: Call, params: dict[str, Any]) -> Output:
    urls = _urls(call)
    return (await urls.get(ref(params))).wire(urls.port)


async def update(call: Call, params: dict[str, Any]) -> Output:
    urls = _urls(call)
    config = await urls.update(ref(params), parse(FunctionUrlRequest, params))
    return config.wire(urls.port)


async def delete(call: Call, params: dict[str, Any]) -> Output:
    await _urls(call).delete(ref(params))
    return None


async def list_configs(call: Call, params: dict[str, Any]) -> Output:
    urls = _urls(call)
    found, next_marker = await urls.list(
        parse_reference(params["FunctionName"]).name, params.get("Marker"), params.get("MaxItems")
    )
    return listed("FunctionUrlConfigs", [c.wire(urls.port) for c in found], next_marker)


HANDLERS: dict[str, Handler] = {
    "CreateFunctionUrlConfig": create,
    "GetFunctionUrlConfig": get,
    "UpdateFunctionUrlConfig": update,
    "DeleteFunctionUrlConfig": delete,
    "ListFunctionUrlConfigs": list_configs,
}
