"""The Lambda API's layer operations (2018-10-31/layers): Publish, Get, GetByArn, Delete and
List. Each handler calls one method of stratus.functions.layers.Layers.
"""

from __future__ import annotations

from typing import Any

from stratus.functions.layers import (
    Layers,
    LayerVersion,
    ListLayersQuery,
    PublishLayerVersionRequest,
)
from stratus.validation import parse

from .lambda_members import listed
from .protocols.adapter import Call, Handler, Output


def _layers(call: Call) -> Layers:
    return call.services.functions.layers


def _render(call: Call, version: LayerVersion) -> dict[str, Any]:
    """The version with a Content.Location that downloads its archive."""
    body = version.model_dump(exclude_none=True)
    body["Content"]["Location"] = f"{call.base_url}/_stratus/code/{version.Content.CodeSha256}"
    return body


async def publish_layer_version(call: Call, params: dict[str, Any]) -> Output:
    request = parse(PublishLayerVersionRequest, params)
    return _render(call, await _layers(call).publish(params["LayerName"], request))


async def get_layer_version(call: Call, params: dict[str, Any]) -> Output:
    version = await _layers(call).get(params["LayerName"], params["VersionNumber"])
    return _render(call, version)


async def get_layer_version_by_arn(call: Call, params: dict[str, Any]) -> Output:
    return _render(call, await _layers(call).get_by_arn(params["Arn"]))


async def delete_layer_version(call: Call, params: dict[str, Any]) -> Output:
    await _layers(call).delete(params["LayerName"], params["VersionNumber"])
    return None


async def list_layer_versions(call: Call, params: dict[str, Any]) -> Output:
    query = parse(ListLayersQuery, params)
    found, next_marker = await _layers(call).list_versions(params["LayerName"], query)
    return listed("LayerVersions", [version.listed() for version in found], next_marker)


async def list_layers(call: Call, params: dict[str, Any]) -> Output:
    found, next_marker = await _layers(call).list_layers(parse(ListLayersQuery, params))
    items = [
        {"LayerName": s.name, "LayerArn": s.arn, "LatestMatchingVersion": s.latest.listed()}
        for s in found
    ]
    return listed("Layers", items, next_marker)


HANDLERS: dict[str, Handler] = {
    "PublishLayerVersion": publish_layer_version,
    "GetLayerVersion": get_layer_version,
    "GetLayerVersionByArn": get_layer_version_by_arn,
    "DeleteLayerVersion": delete_layer_version,
    "ListLayerVersions": list_layer_versions,
    "ListLayers": list_layers,
}
