"""The Lambda API's asynchronous invocation configuration (2019-09-25/.../event-invoke-config):
Put, Update, Get, Delete and List. `Qualifier` (or a qualified FunctionName) picks a version
or alias; the rules live in stratus.functions.event_config.
"""

from __future__ import annotations

from typing import Any

from stratus.functions.event_config import EventInvokeConfigRequest, EventInvokeConfigs
from stratus.validation import parse

from .lambda_members import listed, ref
from .protocols.adapter import Call, Handler, Output


def _configs(call: Call) -> EventInvokeConfigs:
    return call.services.functions.event_configs


async def put_config(call: Call, params: dict[str, Any]) -> Output:
    request = parse(EventInvokeConfigRequest, params)
    return (await _configs(call).put(ref(params), request)).wire()


async def update_config(call: Call, params: dict[str, Any]) -> Output:
    request = parse(EventInvokeConfigRequest, params)
    return (await _configs(call).update(ref(params), request)).wire()


async def get_config(call: Call, params: dict[str, Any]) -> Output:
    return (await _configs(call).get(ref(params))).wire()


async def delete_config(call: Call, params: dict[str, Any]) -> Output:
    await _configs(call).delete(ref(params))
    return None


async def list_configs(call: Call, params: dict[str, Any]) -> Output:
    found, next_marker = await _configs(call).list(
        ref(params).name, params.get("Marker"), params.get("MaxItems")
    )
    return listed("FunctionEventInvokeConfigs", [c.wire() for c in found], next_marker)


HANDLERS: dict[str, Handler] = {
    "PutFunctionEventInvokeConfig": put_config,
    "UpdateFunctionEventInvokeConfig": update_config,
    "GetFunctionEventInvokeConfig": get_config,
    "DeleteFunctionEventInvokeConfig": delete_config,
    "ListFunctionEventInvokeConfigs": list_configs,
}
