"""The Lambda API's layer operations (REST-JSON under /2018-10-31/layers), as botocore calls them.

    POST   /2018-10-31/layers/{LayerName}/versions                     PublishLayerVersion
    GET    /2018-10-31/layers/{LayerName}/versions                     ListLayerVersions
    GET    /2018-10-31/layers/{LayerName}/versions/{VersionNumber}     GetLayerVersion
    DELETE /2018-10-31/layers/{LayerName}/versions/{VersionNumber}     DeleteLayerVersion
    GET    /2018-10-31/layers                                          ListLayers
    GET    /2018-10-31/layers?find=LayerVersion&Arn=...                GetLayerVersionByArn

Each endpoint parses, calls one method of stratus.functions.layers.Layers, and renders.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from stratus.functions.layers import (
    Layers,
    LayerVersion,
    ListLayersQuery,
    PublishLayerVersionRequest,
)
from stratus.validation import parse

from .wire import json_response, read_json

PREFIX = "/2018-10-31/layers"


def _layers(request: Request) -> Layers:
    return request.app.state.functions.layers  # type: ignore[no-any-return]


def _render(request: Request, version: LayerVersion) -> dict[str, object]:
    """The version with a Content.Location that downloads its archive."""
    body = version.model_dump(exclude_none=True)
    base = str(request.base_url).rstrip("/")
    body["Content"]["Location"] = f"{base}/_stratus/code/{version.Content.CodeSha256}"
    return body


def _query(request: Request) -> ListLayersQuery:
    return parse(ListLayersQuery, dict(request.query_params))


async def publish_layer_version(request: Request) -> Response:
    body = parse(PublishLayerVersionRequest, await read_json(request))
    version = await _layers(request).publish(request.path_params["layer"], body)
    return json_response(_render(request, version), 201)


async def get_layer_version(request: Request) -> Response:
    version = await _layers(request).get(
        request.path_params["layer"], request.path_params["version"]
    )
    return json_response(_render(request, version))


async def delete_layer_version(request: Request) -> Response:
    await _layers(request).delete(request.path_params["layer"], request.path_params["version"])
    return Response(status_code=204)


async def list_layer_versions(request: Request) -> Response:
    found, next_marker = await _layers(request).list_versions(
        request.path_params["layer"], _query(request)
    )
    body: dict[str, object] = {"LayerVersions": [version.listed() for version in found]}
    if next_marker:
        body["NextMarker"] = next_marker
    return json_response(body)


async def list_layers(request: Request) -> Response:
    """ListLayers, or GetLayerVersionByArn: botocore sends both to this path."""
    if request.query_params.get("find") == "LayerVersion":
        version = await _layers(request).get_by_arn(request.query_params.get("Arn", ""))
        return json_response(_render(request, version))
    found, next_marker = await _layers(request).list_layers(_query(request))
    body: dict[str, object] = {
        "Layers": [
            {"LayerName": s.name, "LayerArn": s.arn, "LatestMatchingVersion": s.latest.listed()}
            for s in found
        ]
    }
    if next_marker:
        body["NextMarker"] = next_marker
    return json_response(body)


routes = [
    Route(PREFIX, list_layers, methods=["GET"]),
    Route(f"{PREFIX}/", list_layers, methods=["GET"]),
    Route(f"{PREFIX}/{{layer}}/versions", publish_layer_version, methods=["POST"]),
    Route(f"{PREFIX}/{{layer}}/versions", list_layer_versions, methods=["GET"]),
    Route(f"{PREFIX}/{{layer}}/versions/{{version:int}}", get_layer_version, methods=["GET"]),
    Route(f"{PREFIX}/{{layer}}/versions/{{version:int}}", delete_layer_version, methods=["DELETE"]),
]
