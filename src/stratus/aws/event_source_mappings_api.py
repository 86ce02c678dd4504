"""The Lambda API's event source mappings (2015-03-31/event-source-mappings): Create, Get,
Update, Delete and List. The rules live in stratus.mappings; the model's ranges (BatchSize
1-10,000, window 0-300 s, MaximumConcurrency 2-1,000) are checked by the protocol layer.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from stratus.mappings.model import settings_of
from stratus.mappings.service import MappingService

from .lambda_members import listed
from .protocols.adapter import Call, Handler, Output
from .wire import json_response


def _mappings(call: Call) -> MappingService:
    return call.services.mappings


async def create_mapping(call: Call, params: dict[str, Any]) -> Output:
    mapping = await _mappings(call).create(
        params.get("EventSourceArn", ""),
        params["FunctionName"],
        settings_of(params),
        params.get("Tags"),
    )
    return mapping.wire("Creating")


async def get_mapping(call: Call, params: dict[str, Any]) -> Output:
    mappings = _mappings(call)
    return mappings.get(params["UUID"]).wire(last_result=mappings.last_result(params["UUID"]))


async def update_mapping(call: Call, params: dict[str, Any]) -> Output:
    mapping, state = await _mappings(call).update(
        params["UUID"], params.get("FunctionName"), settings_of(params)
    )
    return mapping.wire(state)


async def delete_mapping(call: Call, params: dict[str, Any]) -> Output:
    mapping = await _mappings(call).delete(params["UUID"])
    return mapping.wire("Deleting")


async def list_mappings(call: Call, params: dict[str, Any]) -> Output:
    found, next_marker = _mappings(call).list(
        params.get("EventSourceArn"),
        params.get("FunctionName"),
        params.get("Marker"),
        params.get("MaxItems"),
    )
    shown = [m.wire(last_result=_mappings(call).last_result(m.uuid)) for m in found]
    return listed("EventSourceMappings", shown, next_marker)


HANDLERS: dict[str, Handler] = {
    "CreateEventSourceMapping": create_mapping,
    "GetEventSourceMapping": get_mapping,
    "UpdateEventSourceMapping": update_mapping,
    "DeleteEventSourceMapping": delete_mapping,
    "ListEventSourceMappings": list_mappings,
}


async def statistics(request: Request) -> Response:
    """Not part of the AWS API: each running poller's counters (workers, invokes, throttles,
    deleted, filtered), by mapping UUID, for tests and operators."""
    call = Call.of(request.scope, request.headers, "")
    found = call.services.mappings.poller_statistics()
    return json_response({uuid: dataclasses.asdict(s) for uuid, s in found.items()})


routes = [Route("/_stratus/mappings", statistics, methods=["GET"])]
