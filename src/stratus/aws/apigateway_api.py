"""The API Gateway API for REST APIs (REST-JSON under /restapis), for boto3's `apigateway`
client. Methods and integrations are in apigateway_methods_api.py, API keys and usage plans
in apigateway_keys_api.py; both use the helpers from here.

Members travel under their own camelCase names; lists come back as `{"item": [...],
"position": "<next page>"}` (botocore reads the `items` member from the `item` key), and page
with the `position` and `limit` (1..500, default 25) query parameters. ImportRestApi
(`POST /restapis?mode=import`) and PutRestApi take the OpenAPI document as the raw body.
Each endpoint parses, calls one RestApiService method, and renders; the rules live in
stratus.apis. Errors are rendered by aws/app.py, by the table ERRORS.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from stratus.apis.model import Shape, parse_request
from stratus.apis.rest_model import Resource
from stratus.apis.rest_requests import (
    CreateAuthorizerRequest,
    CreateDeploymentRequest,
    CreateModelRequest,
    CreateRequestValidatorRequest,
    CreateResourceRequest,
    CreateRestApiRequest,
    CreateStageRequest,
    PatchOperation,
    PatchRequest,
)
from stratus.apis.rest_service import RestApiService
from stratus.errors import Conflict, Invalid, Malformed, NotFound, Throttled

from .protocols.errors import ErrorTable, WireError
from .wire import CONTROL_BODY_LIMIT, json_response, read_json

# API Gateway's names for Stratus's errors, the same for REST APIs (v1) and HTTP APIs (v2).
ERRORS: ErrorTable = {
    Invalid: WireError("BadRequestException", 400),
    NotFound: WireError("NotFoundException", 404),
    Conflict: WireError("ConflictException", 409),
    Throttled: WireError("TooManyRequestsException", 429),
}

M = TypeVar("M", bound=Shape)
# Query parameters that are ImportRestApi's and PutRestApi's own, not `parameters` entries.
_OWN_QUERY = frozenset({"mode", "failonwarnings"})


# -- reading requests --------------------------------------------------------------------------
def service_of(request: Request) -> RestApiService:
    return request.app.state.rest_apis  # type: ignore[no-any-return]


def path_param(request: Request, name: str) -> str:
    return str(request.path_params[name])


async def body_of(request: Request, model: type[M]) -> M:
    try:
        return parse_request(model, await read_json(request))
    except Malformed as exc:  # API Gateway calls a body it cannot read a bad request
        raise Invalid(exc.message) from exc


async def patch_of(request: Request) -> list[PatchOperation]:
    return (await body_of(request, PatchRequest)).patchOperations


def flag(request: Request, name: str) -> bool:
    value = request.query_params.get(name, "false").lower()
    if value not in ("true", "false"):
        raise Invalid(f"Invalid value {value!r} for {name}: use true or false")
    return value == "true"


def page_of(request: Request) -> tuple[str | None, int | None]:
    limit = request.query_params.get("limit")
    try:
        return request.query_params.get("position"), None if limit is None else int(limit)
    except ValueError:
        raise Invalid(f"Invalid limit {limit!r}: give a number from 1 to 500") from None


def _embeds(request: Request, wanted: str) -> bool:
    """`embed=methods` (botocore repeats the parameter; the CLI may join with commas)."""
    values = request.query_params.getlist("embed")
    return wanted in {part.strip() for value in values for part in value.split(",")}


# -- rendering ---------------------------------------------------------------------------------
def one(found: Shape, status: int = 200) -> Response:
    return json_response(found.wire(), status)


def listed(found: tuple[Sequence[Any], str | None], render: Any = None) -> Response:
    items, position = found
    body: dict[str, Any] = {"item": [render(i) if render else i.wire() for i in items]}
    if position is not None:
        body["position"] = position
    return json_response(body)


def done(status: int = 202) -> Response:
    return Response(status_code=status)


# -- REST APIs ---------------------------------------------------------------------------------
async def create_rest_api(request: Request) -> Response:
    if request.query_params.get("mode") == "import":
        return await import_rest_api(request)
    body = await body_of(request, CreateRestApiRequest)
    return one(await service_of(request).create_rest_api(body), 201)


async def _document(request: Request) -> bytes:
    if int(request.headers.get("content-length") or 0) > CONTROL_BODY_LIMIT:
        raise Invalid("The OpenAPI document is too large")
    body = await request.body()
    if not body:
        raise Invalid("Invalid OpenAPI input: the request body is empty; send the document")
    return body


def _import_parameters(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if k not in _OWN_QUERY}


async def import_rest_api(request: Request) -> Response:
    found = await service_of(request).import_rest_api(
        await _document(request),
        fail_on_warnings=flag(request, "failonwarnings"),
        parameters=_import_parameters(request),
    )
    return one(found, 201)


async def put_rest_api(request: Request) -> Response:
    found = await service_of(request).put_rest_api(
        path_param(request, "api"),
        await _document(request),
        mode=request.query_params.get("mode", "merge"),
        fail_on_warnings=flag(request, "failonwarnings"),
        parameters=_import_parameters(request),
    )
    return one(found)


async def get_rest_api(request: Request) -> Response:
    return one(await service_of(request).get_rest_api(path_param(request, "api")))


async def get_rest_apis(request: Request) -> Response:
    return listed(await service_of(request).list_rest_apis(*page_of(request)))


async def update_rest_api(request: Request) -> Response:
    found = await service_of(request).update_rest_api(
        path_param(request, "api"), await patch_of(request)
    )
    return one(found)


async def delete_rest_api(request: Request) -> Response:
    await service_of(request).delete_rest_api(path_param(request, "api"))
    return done()


# -- resources ---------------------------------------------------------------------------------
async def get_resources(request: Request) -> Response:
    embed = _embeds(request, "methods")
    found = await service_of(request).resources.list(path_param(request, "api"), *page_of(request))
    return listed(found, lambda r: r.wire_embedded(embed))


async def get_resource(request: Request) -> Response:
    found: Resource = await service_of(request).resources.get(
        path_param(request, "api"), path_param(request, "resource")
    )
    return json_response(found.wire_embedded(_embeds(request, "methods")))


async def create_resource(request: Request) -> Response:
    body = await body_of(request, CreateResourceRequest)
    found = await service_of(request).resources.create(
        path_param(request, "api"), path_param(request, "resource"), body
    )
    return one(found, 201)


async def update_resource(request: Request) -> Response:
    found = await service_of(request).resources.update(
        path_param(request, "api"), path_param(request, "resource"), await patch_of(request)
    )
    return json_response(found.wire_embedded(True))


async def delete_resource(request: Request) -> Response:
    await service_of(request).resources.delete(
        path_param(request, "api"), path_param(request, "resource")
    )
    return done()


# -- authorizers, models, request validators (one shape of calls each) -------------------------
def _collection(part: str, create_model: type[Shape]) -> list[Route]:
    """Create, Get, GetAll, Update and Delete for one kind of part of an API, as the routes
    `/restapis/{api}/<collection>[/{key}]`."""

    def of(request: Request) -> Any:
        return getattr(service_of(request), part)

    async def create(request: Request) -> Response:
        body = await body_of(request, create_model)
        return one(await of(request).create(path_param(request, "api"), body), 201)

    async def get(request: Request) -> Response:
        return one(await of(request).get(path_param(request, "api"), path_param(request, "key")))

    async def get_all(request: Request) -> Response:
        return listed(await of(request).list(path_param(request, "api"), *page_of(request)))

    async def update(request: Request) -> Response:
        return one(
            await of(request).update(
                path_param(request, "api"), path_param(request, "key"), await patch_of(request)
            )
        )

    async def delete(request: Request) -> Response:
        await of(request).delete(path_param(request, "api"), path_param(request, "key"))
        return done()

    collection = {
        "authorizers": "authorizers",
        "models": "models",
        "validators": "requestvalidators",
    }[part]
    base = f"{_API}/{collection}"
    return [
        Route(base, create, methods=["POST"]),
        Route(base, get_all, methods=["GET"]),
        Route(f"{base}/{{key}}", get, methods=["GET"]),
        Route(f"{base}/{{key}}", update, methods=["PATCH"]),
        Route(f"{base}/{{key}}", delete, methods=["DELETE"]),
    ]


# -- deployments and stages --------------------------------------------------------------------
async def create_deployment(request: Request) -> Response:
    body = await body_of(request, CreateDeploymentRequest)
    return one(
        await service_of(request).stages.create_deployment(path_param(request, "api"), body), 201
    )


async def get_deployment(request: Request) -> Response:
    summary = _embeds(request, "apisummary")
    stages = service_of(request).stages
    return one(
        await stages.get_deployment(
            path_param(request, "api"), path_param(request, "deployment"), summary
        )
    )


async def get_deployments(request: Request) -> Response:
    return listed(
        await service_of(request).stages.list_deployments(
            path_param(request, "api"), *page_of(request)
        )
    )


async def update_deployment(request: Request) -> Response:
    stages = service_of(request).stages
    patch = await patch_of(request)
    return one(
        await stages.update_deployment(
            path_param(request, "api"), path_param(request, "deployment"), patch
        )
    )


async def delete_deployment(request: Request) -> Response:
    await service_of(request).stages.delete_deployment(
        path_param(request, "api"), path_param(request, "deployment")
    )
    return done()


async def create_stage(request: Request) -> Response:
    body = await body_of(request, CreateStageRequest)
    return one(await service_of(request).stages.create_stage(path_param(request, "api"), body), 201)


async def get_stage(request: Request) -> Response:
    return one(
        await service_of(request).stages.get_stage(
            path_param(request, "api"), path_param(request, "stage")
        )
    )


async def get_stages(request: Request) -> Response:
    deployment = request.query_params.get("deploymentId")
    found = await service_of(request).stages.list_stages(path_param(request, "api"), deployment)
    return json_response({"item": [s.wire() for s in found]})


async def update_stage(request: Request) -> Response:
    patch = await patch_of(request)
    return one(
        await service_of(request).stages.update_stage(
            path_param(request, "api"), path_param(request, "stage"), patch
        )
    )


async def delete_stage(request: Request) -> Response:
    await service_of(request).stages.delete_stage(
        path_param(request, "api"), path_param(request, "stage")
    )
    return done()


_API = "/restapis/{api}"
_RESOURCE = f"{_API}/resources/{{resource}}"


def verbs(path: str, *handlers: tuple[str, Any]) -> list[Route]:
    return [Route(path, handler, methods=[verb]) for verb, handler in handlers]


routes = [
    *verbs("/restapis", ("POST", create_rest_api), ("GET", get_rest_apis)),
    *verbs(
        _API,
        ("GET", get_rest_api),
        ("PATCH", update_rest_api),
        ("DELETE", delete_rest_api),
        ("PUT", put_rest_api),
    ),
    Route(f"{_API}/resources", get_resources, methods=["GET"]),
    *verbs(
        _RESOURCE,
        ("GET", get_resource),
        ("POST", create_resource),
        ("PATCH", update_resource),
        ("DELETE", delete_resource),
    ),
    *_collection("authorizers", CreateAuthorizerRequest),
    *_collection("models", CreateModelRequest),
    *_collection("validators", CreateRequestValidatorRequest),
    *verbs(f"{_API}/deployments", ("POST", create_deployment), ("GET", get_deployments)),
    *verbs(
        f"{_API}/deployments/{{deployment}}",
        ("GET", get_deployment),
        ("PATCH", update_deployment),
        ("DELETE", delete_deployment),
    ),
    *verbs(f"{_API}/stages", ("POST", create_stage), ("GET", get_stages)),
    *verbs(
        f"{_API}/stages/{{stage}}",
        ("GET", get_stage),
        ("PATCH", update_stage),
        ("DELETE", delete_stage),
    ),
]
