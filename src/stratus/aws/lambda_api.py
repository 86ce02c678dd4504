"""The Lambda API for boto3 and the aws CLI: botocore's `lambda` model served by the rest-json
protocol (protocols/rest_json.py), with a table of handlers per part of the API:

    lambda_api          functions, code, configuration, versions, aliases, Invoke
    streaming_api       InvokeWithResponseStream
    concurrency_api     reserved and provisioned concurrency, account settings
    event_config_api    asynchronous invocation configuration
    function_urls_api   function URL configuration
    event_source_mappings_api   event source mappings (SQS queues)
    layers_api          layers
    permissions_api     resource-based policies of functions and layer versions
    function_settings_api  tags, recursion, runtime management, scaling, code signing,
                        InvokeAsync

Each handler takes the parsed, validated input members, makes one service call and returns
the output members; the rules live in stratus.functions.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import Headers
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
from stratus.functions.code_signing import CodeSigningConfigNotFound
from stratus.functions.concurrency import ProvisionedConcurrencyNotFound
from stratus.functions.model import (
    CreateFunctionRequest,
    UpdateFunctionCodeRequest,
    UpdateFunctionConfigurationRequest,
)
from stratus.functions.service import SYNC_PAYLOAD_LIMIT, FunctionService
from stratus.functions.versions import PublishVersionRequest
from stratus.validation import parse

from . import (
    concurrency_api,
    event_config_api,
    event_source_mappings_api,
    function_settings_api,
    function_urls_api,
    layers_api,
    permissions_api,
    streaming_api,
)
from .invoke_access import wait_check_invoke
from .lambda_members import listed, ref
from .protocols.adapter import Api, Call, Handler, Output
from .protocols.errors import ErrorTable, WireError
from .protocols.rest_json import RestJson
from .wire import CONTROL_BODY_LIMIT

# Lambda's names for Stratus's errors (every part of the Lambda API).
ERRORS: ErrorTable = {
    Invalid: WireError("InvalidParameterValueException", 400),
    Validation: WireError("ValidationException", 400),
    Malformed: WireError("InvalidRequestContentException", 400),
    NotFound: WireError("ResourceNotFoundException", 404),
    CodeSigningConfigNotFound: WireError("CodeSigningConfigNotFoundException", 404),
    ProvisionedConcurrencyNotFound: WireError("ProvisionedConcurrencyConfigNotFoundException", 404),
    Conflict: WireError("ResourceConflictException", 409),
    PreconditionFailed: WireError("PreconditionFailedException", 412),
    # The code AWS answers on the wire (for Invoke, sync or Event, and for an oversized
    # CreateFunction), though botocore's model names RequestTooLargeException.
    TooLarge: WireError("RequestEntityTooLargeException", 413),
    UnsupportedMediaType: WireError("UnsupportedMediaTypeException", 415),
    Throttled: WireError("TooManyRequestsException", 429),
    UnknownOperation: WireError("UnknownOperationException", 404),
    StratusError: WireError("ServiceException", 500),
}


def functions(call: Call) -> FunctionService:
    return call.services.functions


async def create_function(call: Call, params: dict[str, Any]) -> Output:
    config = await functions(call).create(parse(CreateFunctionRequest, params))
    return config.model_dump()


async def list_functions(call: Call, params: dict[str, Any]) -> Output:
    found, next_marker = await functions(call).list(
        params.get("Marker"),
        params.get("MaxItems"),
        all_versions=params.get("FunctionVersion") == "ALL",
    )
    return listed("Functions", [f.model_dump() for f in found], next_marker)


async def get_function(call: Call, params: dict[str, Any]) -> Output:
    service = functions(call)
    record = await service.get(ref(params))
    config = record.configuration
    body: dict[str, Any] = {
        "Configuration": config.model_dump(),
        "Code": {
            "RepositoryType": "S3",
            "Location": f"{call.base_url}/_stratus/code/{config.CodeSha256}",
        },
    }
    if record.tags:
        body["Tags"] = record.tags
    reserved = service.reserved_concurrency(config.FunctionName)
    if reserved is not None:
        body["Concurrency"] = {"ReservedConcurrentExecutions": reserved}
    return body


async def get_configuration(call: Call, params: dict[str, Any]) -> Output:
    return (await functions(call).get(ref(params))).configuration.model_dump()


async def update_configuration(call: Call, params: dict[str, Any]) -> Output:
    request = parse(UpdateFunctionConfigurationRequest, params)
    return (await functions(call).update_configuration(ref(params), request)).model_dump()


async def update_code(call: Call, params: dict[str, Any]) -> Output:
    request = parse(UpdateFunctionCodeRequest, params)
    return (await functions(call).update_code(ref(params), request)).model_dump()


async def delete_function(call: Call, params: dict[str, Any]) -> Output:
    await functions(call).delete(ref(params))
    return {"StatusCode": 204}


async def invoke(call: Call, params: dict[str, Any]) -> Output:
    target = ref(params)
    await wait_check_invoke(call, target)
    kind = params.get("InvocationType", "RequestResponse")
    payload = params.get("Payload", b"")
    if kind == "Event":
        # The event is queued under this call's request id, which the answer carries.
        await call.services.async_invocations.accept(target, payload, call.request_id)
        return {"StatusCode": 202}
    if kind == "DryRun":
        await functions(call).spec(target)
        return {"StatusCode": 204}
    result = await functions(call).invoke(
        target,
        payload,
        client_context=params.get("ClientContext"),
        want_log_tail=params.get("LogType") == "Tail",
        request_id=call.request_id,  # the answer's x-amzn-RequestId, as on AWS
    )
    return {
        "Payload": result.payload,
        "ExecutedVersion": result.executed_version,
        "FunctionError": result.function_error or None,
        "LogResult": result.log_tail or None,
    }


async def publish_version(call: Call, params: dict[str, Any]) -> Output:
    request = parse(PublishVersionRequest, params)
    return (await functions(call).publish_version(ref(params).name, request)).model_dump()


async def list_versions(call: Call, params: dict[str, Any]) -> Output:
    found, next_marker = await functions(call).list_versions(
        ref(params).name, params.get("Marker"), params.get("MaxItems")
    )
    return listed("Versions", [v.model_dump() for v in found], next_marker)


async def create_alias(call: Call, params: dict[str, Any]) -> Output:
    request = parse(CreateAliasRequest, params)
    return (await functions(call).aliases.create(ref(params).name, request)).wire()


async def get_alias(call: Call, params: dict[str, Any]) -> Output:
    return (await functions(call).aliases.get(ref(params).name, params["Name"])).wire()


async def update_alias(call: Call, params: dict[str, Any]) -> Output:
    request = parse(UpdateAliasRequest, params)
    aliases = functions(call).aliases
    return (await aliases.update(ref(params).name, params["Name"], request)).wire()


async def delete_alias(call: Call, params: dict[str, Any]) -> Output:
    await functions(call).aliases.delete(ref(params).name, params["Name"])
    return None


async def list_aliases(call: Call, params: dict[str, Any]) -> Output:
    found = await functions(call).aliases.list(ref(params).name, params.get("FunctionVersion"))
    return {"Aliases": [a.wire() for a in found]}


HANDLERS: dict[str, Handler] = {
    "CreateFunction": create_function,
    "ListFunctions": list_functions,
    "GetFunction": get_function,
    "GetFunctionConfiguration": get_configuration,
    "UpdateFunctionConfiguration": update_configuration,
    "UpdateFunctionCode": update_code,
    "DeleteFunction": delete_function,
    "Invoke": invoke,
    "PublishVersion": publish_version,
    "ListVersionsByFunction": list_versions,
    "CreateAlias": create_alias,
    "GetAlias": get_alias,
    "UpdateAlias": update_alias,
    "DeleteAlias": delete_alias,
    "ListAliases": list_aliases,
}


def body_limit(operation: str, headers: Headers) -> tuple[int, str]:
    """Lambda's request size limits: the invocation payload (6 MB), and the package upload
    for everything else. An Event invocation's smaller limit is the async queue's to check
    (async_queue.py): AWS's answer for it names the payload's size, so the body is read."""
    if operation == "Invoke":
        return SYNC_PAYLOAD_LIMIT, "the InvokeFunction operation"
    if operation == "InvokeWithResponseStream":
        return SYNC_PAYLOAD_LIMIT, "the InvokeWithResponseStream operation"
    return CONTROL_BODY_LIMIT, f"the {operation} operation"


def api() -> RestJson:
    """The Lambda API: every table above, served from botocore's model of it."""
    handlers = {
        **HANDLERS,
        **streaming_api.HANDLERS,
        **concurrency_api.HANDLERS,
        **event_config_api.HANDLERS,
        **event_source_mappings_api.HANDLERS,
        **function_urls_api.HANDLERS,
        **layers_api.HANDLERS,
        **permissions_api.HANDLERS,
        **function_settings_api.HANDLERS,
    }
    return RestJson(
        Api("lambda", handlers, ERRORS),
        body_limit,
        # Lambda answers a bad invocation or log type header as InvalidParameterValueException.
        header_error=Invalid,
        # Checked by stratus.functions as Lambda did when its tests were written: single-letter
        # variable names pass, and a bad layer list is one message about the whole list. The
        # model today says [a-zA-Z]([a-zA-Z0-9_])+ and names `layers.1.member`.
        service_checked=frozenset({"Environment", "Layers"}),
        # Invoke's payload is the function's JSON result.
        payload_media_type="application/json",
    )


async def get_code(request: Request) -> Response:
    """Where GetFunction's Code.Location points: the deployment package as uploaded."""
    try:
        call = Call.of(request.scope, request.headers, "")
        archive = call.services.functions.code_archive(request.path_params["sha"])
    except (OSError, ValueError):
        return Response(status_code=404)
    return Response(archive, media_type="application/zip")


# Not part of the AWS API: the download behind Code.Location and Content.Location.
routes = [Route("/_stratus/code/{sha:path}", get_code, methods=["GET"])]
