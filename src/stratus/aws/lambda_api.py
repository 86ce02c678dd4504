"""The Lambda API (REST-JSON under /2015-03-31/functions) for boto3 and the aws CLI.

Each endpoint parses, calls one service method, and renders; the rules live in
stratus.functions.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from stratus.errors import (
    Conflict,
    Invalid,
    Malformed,
    NotFound,
    PreconditionFailed,
    StratusError,
    Throttled,
    TooLarge,
    UnknownOperation,
    UnsupportedMediaType,
    Validation,
)
from stratus.functions.aliases import CreateAliasRequest, UpdateAliasRequest
from stratus.functions.concurrency import ProvisionedConcurrencyNotFound
from stratus.functions.model import (
    CreateFunctionRequest,
    UpdateFunctionCodeRequest,
    UpdateFunctionConfigurationRequest,
)
from stratus.functions.names import FunctionRef, parse_reference
from stratus.functions.service import SYNC_PAYLOAD_LIMIT, FunctionService
from stratus.functions.versions import PublishVersionRequest
from stratus.validation import parse

from .protocols.errors import ErrorTable, WireError
from .wire import json_response, read_json

PREFIX = "/2015-03-31/functions"

# Lambda's names for Stratus's errors (every Lambda route, layers and function URLs too).
ERRORS: ErrorTable = {
    Invalid: WireError("InvalidParameterValueException", 400),
    Validation: WireError("ValidationException", 400),
    Malformed: WireError("InvalidRequestContentException", 400),
    NotFound: WireError("ResourceNotFoundException", 404),
    ProvisionedConcurrencyNotFound: WireError("ProvisionedConcurrencyConfigNotFoundException", 404),
    Conflict: WireError("ResourceConflictException", 409),
    PreconditionFailed: WireError("PreconditionFailedException", 412),
    TooLarge: WireError("RequestTooLargeException", 413),
    UnsupportedMediaType: WireError("UnsupportedMediaTypeException", 415),
    Throttled: WireError("TooManyRequestsException", 429),
    UnknownOperation: WireError("UnknownOperationException", 404),
    StratusError: WireError("ServiceException", 500),
}


def _service(request: Request) -> FunctionService:
    return request.app.state.functions  # type: ignore[no-any-return]


def _ref(request: Request) -> FunctionRef:
    return parse_reference(request.path_params["name"], request.query_params.get("Qualifier"))


async def create_function(request: Request) -> Response:
    body = parse(CreateFunctionRequest, await read_json(request))
    config = await _service(request).create(body)
    return json_response(config.model_dump(), 201)


async def list_functions(request: Request) -> Response:
    max_items = _int_param(request, "MaxItems", 1, 10000)
    version = request.query_params.get("FunctionVersion")
    if version not in (None, "ALL"):
        raise Invalid(
            f"1 validation error detected: Value '{version}' at 'functionVersion' failed to "
            "satisfy constraint: Member must satisfy enum value set: [ALL]"
        )
    functions, next_marker = await _service(request).list(
        request.query_params.get("Marker"), max_items, all_versions=version == "ALL"
    )
    body: dict[str, object] = {"Functions": [f.model_dump() for f in functions]}
    if next_marker:
        body["NextMarker"] = next_marker
    return json_response(body)


async def get_function(request: Request) -> Response:
    service = _service(request)
    record = await service.get(_ref(request))
    config = record.configuration
    location = f"{str(request.base_url).rstrip('/')}/_stratus/code/{config.CodeSha256}"
    body: dict[str, object] = {
        "Configuration": config.model_dump(),
        "Code": {"RepositoryType": "S3", "Location": location},
    }
    if record.tags:
        body["Tags"] = record.tags
    reserved = service.invoker.concurrency.reserved(config.FunctionName)
    if reserved is not None:
        body["Concurrency"] = {"ReservedConcurrentExecutions": reserved}
    return json_response(body)


async def get_configuration(request: Request) -> Response:
    record = await _service(request).get(_ref(request))
    return json_response(record.configuration.model_dump())


async def update_configuration(request: Request) -> Response:
    body = parse(UpdateFunctionConfigurationRequest, await read_json(request))
    config = await _service(request).update_configuration(_ref(request), body)
    return json_response(config.model_dump())


async def update_code(request: Request) -> Response:
    body = parse(UpdateFunctionCodeRequest, await read_json(request))
    config = await _service(request).update_code(_ref(request), body)
    return json_response(config.model_dump())


async def delete_function(request: Request) -> Response:
    await _service(request).delete(_ref(request))
    return Response(status_code=204)


async def invoke(request: Request) -> Response:
    ref = _ref(request)
    kind = request.headers.get("x-amz-invocation-type", "RequestResponse")
    declared = int(request.headers.get("content-length") or 0)
    if declared > SYNC_PAYLOAD_LIMIT:
        raise TooLarge(
            f"Request must be smaller than {SYNC_PAYLOAD_LIMIT} bytes for the InvokeFunction "
            "operation"
        )
    payload = await request.body()
    if kind == "RequestResponse":
        return await _invoke_sync(request, ref, payload)
    if kind == "Event":
        request_id = await request.app.state.async_invocations.accept(ref, payload)
        return Response(status_code=202, headers={"x-amzn-RequestId": request_id})
    if kind == "DryRun":
        await _service(request).spec(ref)
        return Response(status_code=204)
    raise Invalid(
        f"1 validation error detected: Value '{kind}' at 'invocationType' failed to satisfy "
        "constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]"
    )


async def _invoke_sync(request: Request, ref: FunctionRef, payload: bytes) -> Response:
    log_type = request.headers.get("x-amz-log-type", "None")
    if log_type not in ("None", "Tail"):
        raise Invalid(
            f"1 validation error detected: Value '{log_type}' at 'logType' failed to satisfy "
            "constraint: Member must satisfy enum value set: [None, Tail]"
        )
    result = await _service(request).invoke(
        ref,
        payload,
        client_context=request.headers.get("x-amz-client-context"),
        want_log_tail=log_type == "Tail",
    )
    headers = {"X-Amz-Executed-Version": result.executed_version}
    if result.function_error:
        headers["X-Amz-Function-Error"] = result.function_error
    if result.log_tail:
        headers["X-Amz-Log-Result"] = result.log_tail
    return Response(result.payload, 200, headers, media_type="application/json")


async def publish_version(request: Request) -> Response:
    body = parse(PublishVersionRequest, await read_json(request))
    config = await _service(request).publish_version(_ref(request).name, body)
    return json_response(config.model_dump(), 201)


async def list_versions(request: Request) -> Response:
    found, next_marker = await _service(request).list_versions(
        _ref(request).name,
        request.query_params.get("Marker"),
        _int_param(request, "MaxItems", 1, 10000),
    )
    body: dict[str, object] = {"Versions": [v.model_dump() for v in found]}
    if next_marker:
        body["NextMarker"] = next_marker
    return json_response(body)


async def create_alias(request: Request) -> Response:
    body = parse(CreateAliasRequest, await read_json(request))
    alias = await _service(request).aliases.create(_ref(request).name, body)
    return json_response(alias.wire(), 201)


async def get_alias(request: Request) -> Response:
    alias = await _service(request).aliases.get(_ref(request).name, request.path_params["alias"])
    return json_response(alias.wire())


async def update_alias(request: Request) -> Response:
    body = parse(UpdateAliasRequest, await read_json(request))
    alias = await _service(request).aliases.update(
        _ref(request).name, request.path_params["alias"], body
    )
    return json_response(alias.wire())


async def delete_alias(request: Request) -> Response:
    await _service(request).aliases.delete(_ref(request).name, request.path_params["alias"])
    return Response(status_code=204)


async def list_aliases(request: Request) -> Response:
    aliases = await _service(request).aliases.list(
        _ref(request).name, request.query_params.get("FunctionVersion")
    )
    return json_response({"Aliases": [a.wire() for a in aliases]})


async def get_code(request: Request) -> Response:
    """Where GetFunction's Code.Location points: the deployment package as uploaded."""
    try:
        archive = _service(request).code_archive(request.path_params["sha"])
    except (OSError, ValueError):
        return Response(status_code=404)
    return Response(archive, media_type="application/zip")


def _int_param(request: Request, name: str, low: int, high: int) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise Invalid(
            f"1 validation error detected: Value '{raw}' at '{name[0].lower() + name[1:]}' "
            f"failed to satisfy constraint: Member must have value between {low} and {high}"
        )
    return value


routes = [
    # Invoke first: routes are matched in order, and it is the hot path.
    Route(f"{PREFIX}/{{name}}/invocations", invoke, methods=["POST"]),
    Route(f"{PREFIX}", create_function, methods=["POST"]),
    Route(f"{PREFIX}", list_functions, methods=["GET"]),
    Route(f"{PREFIX}/", list_functions, methods=["GET"]),
    Route(f"{PREFIX}/{{name}}", get_function, methods=["GET"]),
    Route(f"{PREFIX}/{{name}}", delete_function, methods=["DELETE"]),
    Route(f"{PREFIX}/{{name}}/configuration", get_configuration, methods=["GET"]),
    Route(f"{PREFIX}/{{name}}/configuration", update_configuration, methods=["PUT"]),
    Route(f"{PREFIX}/{{name}}/code", update_code, methods=["PUT"]),
    Route(f"{PREFIX}/{{name}}/versions", publish_version, methods=["POST"]),
    Route(f"{PREFIX}/{{name}}/versions", list_versions, methods=["GET"]),
    Route(f"{PREFIX}/{{name}}/aliases", create_alias, methods=["POST"]),
    Route(f"{PREFIX}/{{name}}/aliases", list_aliases, methods=["GET"]),
    Route(f"{PREFIX}/{{name}}/aliases/{{alias}}", get_alias, methods=["GET"]),
    Route(f"{PREFIX}/{{name}}/aliases/{{alias}}", update_alias, methods=["PUT"]),
    Route(f"{PREFIX}/{{name}}/aliases/{{alias}}", delete_alias, methods=["DELETE"]),
    Route("/_stratus/code/{sha:path}", get_code, methods=["GET"]),
]
