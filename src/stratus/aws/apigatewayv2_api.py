"""The API Gateway v2 API (REST-JSON under /v2/apis) for boto3's `apigatewayv2` client.

Members travel under their jsonName (`apiId`, `routeKey`, ...); lists come back as
`{"items": [...]}`. Each endpoint parses, calls one ApiService method, and renders; the
rules live in stratus.apis. Errors are rendered by aws/app.py, by apigateway_api.ERRORS.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from stratus.apis.model import (
    CreateApiRequest,
    CreateAuthorizerRequest,
    CreateIntegrationRequest,
    CreateRouteRequest,
    CreateStageRequest,
    ImportApiRequest,
    Shape,
    UpdateApiRequest,
    UpdateAuthorizerRequest,
    UpdateRouteRequest,
    UpdateStageRequest,
    parse_request,
)
from stratus.apis.service import ApiService
from stratus.errors import Invalid

from .wire import json_response, read_json

PREFIX = "/v2/apis"


def _service(request: Request) -> ApiService:
    return request.app.state.apis  # type: ignore[no-any-return]


def _api_id(request: Request) -> str:
    return str(request.path_params["api_id"])


def _items(found: Sequence[Shape]) -> Response:
    return json_response({"items": [item.wire() for item in found]})


async def create_api(request: Request) -> Response:
    body = parse_request(CreateApiRequest, await read_json(request))
    return json_response((await _service(request).create_api(body)).wire(), 201)


async def get_api(request: Request) -> Response:
    return json_response((await _service(request).get_api(_api_id(request))).wire())


async def get_apis(request: Request) -> Response:
    return _items(await _service(request).list_apis())


async def update_api(request: Request) -> Response:
    body = parse_request(UpdateApiRequest, await read_json(request))
    return json_response((await _service(request).update_api(_api_id(request), body)).wire())


async def delete_api(request: Request) -> Response:
    await _service(request).delete_api(_api_id(request))
    return Response(status_code=204)


async def import_api(request: Request) -> Response:
    body = parse_request(ImportApiRequest, await read_json(request))
    fail, basepath = _import_options(request)
    api = await _service(request).import_api(body.Body, fail_on_warnings=fail, basepath=basepath)
    return json_response(api.wire(), 201)


async def reimport_api(request: Request) -> Response:
    body = parse_request(ImportApiRequest, await read_json(request))
    fail, basepath = _import_options(request)
    api = await _service(request).reimport_api(
        _api_id(request), body.Body, fail_on_warnings=fail, basepath=basepath
    )
    return json_response(api.wire(), 201)


async def export_api(request: Request) -> Response:
    query = request.query_params
    output_type = query.get("outputType", "")
    document = await _service(request).export_api(
        _api_id(request),
        specification=request.path_params["specification"],
        output_type=output_type,
        stage_name=query.get("stageName"),
        include_extensions=_flag(query.get("includeExtensions"), "includeExtensions", True),
        export_version=query.get("exportVersion"),
    )
    media_type = "application/yaml" if output_type == "YAML" else "application/json"
    return Response(
        document, media_type=media_type, headers={"x-amzn-RequestId": str(uuid.uuid4())}
    )


def _import_options(request: Request) -> tuple[bool, str]:
    """ImportApi/ReimportApi's query: failOnWarnings and basepath."""
    query = request.query_params
    fail = _flag(query.get("failOnWarnings"), "failOnWarnings", False)
    return fail, query.get("basepath", "ignore")


def _flag(value: str | None, name: str, default: bool) -> bool:
    """A boolean query parameter, as botocore writes it (true/false)."""
    if value is None:
        return default
    if value.lower() not in ("true", "false"):
        raise Invalid(f"Invalid {name} {value!r}: true or false")
    return value.lower() == "true"


async def create_route(request: Request) -> Response:
    body = parse_request(CreateRouteRequest, await read_json(request))
    route = await _service(request).create_route(_api_id(request), body)
    return json_response(route.wire(), 201)


async def get_route(request: Request) -> Response:
    route_id = request.path_params["route_id"]
    return json_response((await _service(request).get_route(_api_id(request), route_id)).wire())


async def get_routes(request: Request) -> Response:
    return _items(await _service(request).list_routes(_api_id(request)))


async def update_route(request: Request) -> Response:
    body = parse_request(UpdateRouteRequest, await read_json(request))
    route_id = request.path_params["route_id"]
    route = await _service(request).update_route(_api_id(request), route_id, body)
    return json_response(route.wire())


async def delete_route(request: Request) -> Response:
    await _service(request).delete_route(_api_id(request), request.path_params["route_id"])
    return Response(status_code=204)


async def create_integration(request: Request) -> Response:
    body = parse_request(CreateIntegrationRequest, await read_json(request))
    integration = await _service(request).create_integration(_api_id(request), body)
    return json_response(integration.wire(), 201)


async def get_integration(request: Request) -> Response:
    found = await _service(request).get_integration(
        _api_id(request), request.path_params["integration_id"]
    )
    return json_response(found.wire())


async def get_integrations(request: Request) -> Response:
    return _items(await _service(request).list_integrations(_api_id(request)))


async def delete_integration(request: Request) -> Response:
    await _service(request).delete_integration(
        _api_id(request), request.path_params["integration_id"]
    )
    return Response(status_code=204)


async def create_stage(request: Request) -> Response:
    body = parse_request(CreateStageRequest, await read_json(request))
    stage = await _service(request).create_stage(_api_id(request), body)
    return json_response(stage.wire(), 201)


async def get_stage(request: Request) -> Response:
    stage = await _service(request).get_stage(_api_id(request), request.path_params["stage"])
    return json_response(stage.wire())


async def get_stages(request: Request) -> Response:
    return _items(await _service(request).list_stages(_api_id(request)))


async def update_stage(request: Request) -> Response:
    body = parse_request(UpdateStageRequest, await read_json(request))
    stage = await _service(request).update_stage(
        _api_id(request), request.path_params["stage"], body
    )
    return json_response(stage.wire())


async def delete_cors_configuration(request: Request) -> Response:
    await _service(request).delete_cors_configuration(_api_id(request))
    return Response(status_code=204)


async def delete_stage(request: Request) -> Response:
    await _service(request).delete_stage(_api_id(request), request.path_params["stage"])
    return Response(status_code=204)


async def create_authorizer(request: Request) -> Response:
    body = parse_request(CreateAuthorizerRequest, await read_json(request))
    found = await _service(request).create_authorizer(_api_id(request), body)
    return json_response(found.wire(), 201)


async def get_authorizer(request: Request) -> Response:
    found = await _service(request).get_authorizer(
        _api_id(request), request.path_params["authorizer_id"]
    )
    return json_response(found.wire())


async def get_authorizers(request: Request) -> Response:
    return _items(await _service(request).list_authorizers(_api_id(request)))


async def update_authorizer(request: Request) -> Response:
    body = parse_request(UpdateAuthorizerRequest, await read_json(request))
    found = await _service(request).update_authorizer(
        _api_id(request), request.path_params["authorizer_id"], body
    )
    return json_response(found.wire())


async def delete_authorizer(request: Request) -> Response:
    await _service(request).delete_authorizer(
        _api_id(request), request.path_params["authorizer_id"]
    )
    return Response(status_code=204)


_API = f"{PREFIX}/{{api_id}}"
_AUTHORIZER = f"{_API}/authorizers/{{authorizer_id}}"
routes = [
    Route(PREFIX, create_api, methods=["POST"]),
    Route(PREFIX, get_apis, methods=["GET"]),
    Route(PREFIX, import_api, methods=["PUT"]),
    Route(_API, get_api, methods=["GET"]),
    Route(_API, reimport_api, methods=["PUT"]),
    Route(f"{_API}/exports/{{specification}}", export_api, methods=["GET"]),
    Route(_API, update_api, methods=["PATCH"]),
    Route(_API, delete_api, methods=["DELETE"]),
    Route(f"{_API}/routes", create_route, methods=["POST"]),
    Route(f"{_API}/routes", get_routes, methods=["GET"]),
    Route(f"{_API}/routes/{{route_id}}", get_route, methods=["GET"]),
    Route(f"{_API}/routes/{{route_id}}", update_route, methods=["PATCH"]),
    Route(f"{_API}/routes/{{route_id}}", delete_route, methods=["DELETE"]),
    Route(f"{_API}/integrations", create_integration, methods=["POST"]),
    Route(f"{_API}/integrations", get_integrations, methods=["GET"]),
    Route(f"{_API}/integrations/{{integration_id}}", get_integration, methods=["GET"]),
    Route(f"{_API}/integrations/{{integration_id}}", delete_integration, methods=["DELETE"]),
    Route(f"{_API}/authorizers", create_authorizer, methods=["POST"]),
    Route(f"{_API}/authorizers", get_authorizers, methods=["GET"]),
    Route(_AUTHORIZER, get_authorizer, methods=["GET"]),
    Route(_AUTHORIZER, update_authorizer, methods=["PATCH"]),
    Route(_AUTHORIZER, delete_authorizer, methods=["DELETE"]),
    Route(f"{_API}/stages", create_stage, methods=["POST"]),
    Route(f"{_API}/stages", get_stages, methods=["GET"]),
    Route(f"{_API}/stages/{{stage}}", get_stage, methods=["GET"]),
    Route(f"{_API}/stages/{{stage}}", update_stage, methods=["PATCH"]),
    Route(f"{_API}/stages/{{stage}}", delete_stage, methods=["DELETE"]),
    Route(f"{_API}/cors", delete_cors_configuration, methods=["DELETE"]),
]
