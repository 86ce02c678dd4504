"""Workflow Tasks that call an AWS API in process: `arn:aws:states:::aws-sdk:<service>:<action>`
and the optimised integrations that are one API call (sns:publish, events:putEvents,
dynamodb:getItem/putItem/updateItem/deleteItem).

    parameters (PascalCase, as Step Functions takes them)
      -> the operation's input members, by botocore's model (names matched without regard
         to case: Step Functions' `StateMachineArn` is the API's `stateMachineArn`)
      -> checked by the model (validate.py), as a request would be
      -> the adapter's own handler, with a Call of its own: the same rules as over the wire,
         no HTTP to ourselves
      -> the output members, keys in PascalCase, timestamps ISO 8601, blobs as text
    a refusal (StratusError) -> the API's error code (the adapter's table, then the protocol's)
      -> the task's error `<Service>.<Code>Exception` (aws-sdk: `DynamoDb.`, `Sqs.`, `Sfn.`…
         as AWS's Java SDK names the service; optimised: `DynamoDB.`, `SNS.`, `EventBridge.`)

It lives with the adapters because it is one: it reads the same tables. The workflows reach it
through `bridges.SdkCalls`, which server.py fills in.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape
from starlette.datastructures import Headers
from starlette.responses import Response

from stratus import ids
from stratus.errors import Invalid, StratusError, Validation
from stratus.services import Services
from stratus.templates.service import StackService
from stratus.workflows.failure import RUNTIME, StatesFailure

from . import (
    dynamodb_api,
    events_api,
    logs_api,
    secretsmanager_api,
    sns_api,
    sqs_api,
    ssm_api,
    stepfunctions_api,
)
from .app import APIGATEWAY, HTTP_APIS, LAMBDA, S3, SCHEDULER
from .protocols import models, validate
from .protocols.adapter import Api, Call, handler_of
from .protocols.body import BodyStream
from .protocols.errors import (
    JSON_ERRORS,
    QUERY_ERRORS,
    REST_JSON_ERRORS,
    REST_XML_ERRORS,
    ErrorTable,
    wire_error,
)
from .protocols.timestamps import parse_time, utc

# A task result beyond this is States.DataLimitExceeded anyway; a streamed body (GetObject)
# is read no further.
_RESULT_LIMIT = 256 * 1024


@dataclass(frozen=True, slots=True)
class SdkService:
    api: Api
    error_prefix: str  # the service as AWS's Java SDK names it: DynamoDb, Sqs, Sfn


# The service names of the aws-sdk ARNs (AWS's list) that Stratus serves.
SDK_SERVICES: Mapping[str, SdkService] = {
    "sqs": SdkService(sqs_api.API, "Sqs"),
    "sns": SdkService(sns_api.API, "Sns"),
    "eventbridge": SdkService(events_api.API, "EventBridge"),
    "scheduler": SdkService(SCHEDULER.api, "Scheduler"),
    "lambda": SdkService(LAMBDA.api, "Lambda"),
    "dynamodb": SdkService(dynamodb_api.API, "DynamoDb"),
    "s3": SdkService(S3.api, "S3"),
    "sfn": SdkService(stepfunctions_api.API, "Sfn"),
    "ssm": SdkService(ssm_api.API, "Ssm"),
    "secretsmanager": SdkService(secretsmanager_api.API, "SecretsManager"),
    "cloudwatchlogs": SdkService(logs_api.API, "CloudWatchLogs"),
    "apigateway": SdkService(APIGATEWAY.api, "ApiGateway"),
    "apigatewayv2": SdkService(HTTP_APIS.api, "ApiGatewayV2"),
}

_PROTOCOL_ERRORS: Mapping[str, ErrorTable] = {
    "json": JSON_ERRORS,
    "query": QUERY_ERRORS,
    "rest-json": REST_JSON_ERRORS,
    "rest-xml": REST_XML_ERRORS,
}


class SdkCalls:
    """bridges.SdkCalls (workflow tasks) over the adapters' handlers; `scheduled` is the
    same caller as bridges.SdkCaller (EventBridge Scheduler's universal targets)."""

    def __init__(
        self, services: Callable[[], Services], stacks: Callable[[], StackService]
    ) -> None:
        self._services, self._stacks = services, stacks
        self.scheduled = ScheduledCalls(self)

    async def wait_call(
        self, service: str, action: str, parameters: Any, error_prefix: str | None = None
    ) -> dict[str, Any]:
        """The API's answer to `action` (camelCase, as in the ARN) with `parameters`, keys in
        PascalCase; a refusal is a StatesFailure named `<prefix>.<Code>Exception`."""
        served = SDK_SERVICES.get(service)
        if served is None:
            raise StatesFailure(
                RUNTIME,
                f"Stratus does not serve the AWS SDK integration of '{service}'; it serves "
                + ", ".join(sorted(SDK_SERVICES)),
            )
        api, prefix = served.api, error_prefix or served.error_prefix
        model = await models.wait_service_model(api.name)
        operation = _operation(model, action, service)
        if operation.name not in api.handlers:
            raise StatesFailure(
                RUNTIME, f"Stratus does not implement {model.service_id} {operation.name} yet"
            )
        request_id = ids.uuid4()
        try:
            output = await self.wait_action(api, model, operation, parameters, request_id)
        except StratusError as exc:
            raise _failure(exc, api, model, prefix, request_id) from exc
        if isinstance(output, Response):
            raise StatesFailure(
                RUNTIME, f"{model.service_id} {operation.name} streams its answer: not a task"
            )
        shape = operation.output_shape
        return await _wait_output(shape, dict(output or {})) if shape else {}

    async def wait_action(
        self,
        api: Api,
        model: ServiceModel,
        operation: OperationModel,
        parameters: Any,
        request_id: str,
    ) -> Any:
        """The handler's output for `parameters` (members named as the model names them, in
        any case), checked by the model first; a refusal raises its StratusError."""
        handler = handler_of(api, model, operation.name)
        params = _input(operation, parameters, operation.name in api.streamed)
        validate.check(operation.input_shape, params)
        protocol = model.metadata.get("protocol", "")
        return await handler(self._call(request_id, api, operation, protocol), params)

    def _call(self, request_id: str, api: Api, operation: OperationModel, protocol: str) -> Call:
        services = self._services()
        endpoint = services.settings.endpoint_url
        host = endpoint.split("://", 1)[-1]
        headers = [(b"host", host.encode())]
        if protocol == "json":  # handlers that answer per protocol (SQS's) look for it
            headers.append((b"x-amz-target", f"{api.name}.{operation.name}".encode()))
        scope = {
            "type": "http",
            "scheme": "http",
            "method": "POST",
            "path": "/",
            "query_string": b"",
            "headers": headers,
            "client": ("127.0.0.1", 0),
            "server": None,
        }
        return Call(services, self._stacks(), Headers(scope=scope), request_id, scope)


class ScheduledCalls:
    """bridges.SdkCaller: a universal schedule target's action (schedules/universal.py names
    it by botocore's model and PascalCase operation); its answer is dropped, as on AWS, and
    a refusal raises its StratusError, which the schedule retries or dead-letters."""

    def __init__(self, calls: SdkCalls) -> None:
        self._calls = calls
        self._apis = {served.api.name: served.api for served in SDK_SERVICES.values()}

    async def wait_call(self, api_name: str, operation: str, params: dict[str, Any]) -> None:
        api = self._apis.get(api_name)
        if api is None:
            raise Invalid(f"Stratus does not serve the {api_name} API.")
        model = await models.wait_service_model(api_name)
        if operation not in model.operation_names:
            raise Invalid(f"{model.service_id} has no action {operation}.")
        found = model.operation_model(operation)
        await self._calls.wait_action(api, model, found, params, ids.uuid4())


def _operation(model: ServiceModel, action: str, service: str) -> OperationModel:
    name = action[:1].upper() + action[1:]
    if name not in model.operation_names:
        raise StatesFailure(
            RUNTIME, f"The AWS SDK integration of '{service}' has no action '{action}'"
        )
    return model.operation_model(name)


def _failure(
    exc: StratusError, api: Api, model: ServiceModel, prefix: str, request_id: str
) -> StatesFailure:
    wire = wire_error(exc, api.errors, _PROTOCOL_ERRORS.get(model.protocol, JSON_ERRORS))
    code = wire.code.rsplit(".", 1)[-1]  # namespaced codes: the name after the last dot
    name = code if code.endswith("Exception") else f"{code}Exception"
    cause = (
        f"{exc.message} (Service: {prefix}, Status Code: {wire.status}, Request ID: {request_id})"
    )
    return StatesFailure(f"{prefix}.{name}", cause)


# ---- parameters -> input members ----------------------------------------------------------


def _input(operation: OperationModel, parameters: Any, streamed: bool) -> dict[str, Any]:
    shape = operation.input_shape
    if shape is None:
        return {}
    if parameters is None:
        parameters = {}
    members: dict[str, Any] = _members(shape, parameters, "")
    if streamed and isinstance(members.get("Body"), bytes):
        members["Body"] = _body_stream(members["Body"])
    return members


def _members(shape: Shape, value: Any, where: str) -> Any:
    if isinstance(shape, StructureShape):
        if shape.metadata.get("document"):
            return value
        if not isinstance(value, Mapping):
            raise Validation(f"{where or 'The parameters'} must be an object")
        by_lower = {name.lower(): name for name in shape.members}
        out = {}
        for key, item in value.items():
            name = key if key in shape.members else by_lower.get(key.lower())
            if name is None:
                raise Validation(
                    f"The field '{where + key}' is not supported by {shape.name}; it takes "
                    + ", ".join(_pascal(m) for m in shape.members)
                )
            out[name] = _members(shape.members[name], item, f"{where}{key}.")
        return out
    if isinstance(shape, ListShape):
        if not isinstance(value, list):
            raise Validation(f"{where.rstrip('.')} must be an array")
        return [_members(shape.member, item, where) for item in value]
    if isinstance(shape, MapShape):
        if not isinstance(value, Mapping):
            raise Validation(f"{where.rstrip('.')} must be an object")
        return {k: _members(shape.value, v, f"{where}{k}.") for k, v in value.items()}
    kind = shape.type_name
    if kind == "string" and isinstance(value, Mapping | list):
        return orjson.dumps(value).decode()  # SNS's Message, SQS's MessageBody: as JSON text
    if kind == "blob":
        # Text is the bytes of its UTF-8 (S3's Body, Lambda's Payload); JSON as its text.
        if isinstance(value, str):
            return value.encode()
        return orjson.dumps(value)
    if kind == "timestamp" and isinstance(value, str | int | float) and not isinstance(value, bool):
        try:
            return parse_time(str(value))
        except ValueError as exc:
            raise Validation(f"{where.rstrip('.')} is not a timestamp: {value!r}") from exc
    return value


def _body_stream(data: bytes) -> BodyStream:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": data, "more_body": False}

    return BodyStream(receive)


# ---- output members -> result -------------------------------------------------------------


async def _wait_output(shape: Shape, value: Any) -> Any:
    if isinstance(shape, StructureShape) and isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            member = shape.members.get(key)
            out[_pascal(key)] = await _wait_output(member, item) if member else _plain(item)
        return out
    if isinstance(shape, ListShape) and isinstance(value, list | tuple):
        return [await _wait_output(shape.member, item) for item in value]
    if isinstance(shape, MapShape) and isinstance(value, Mapping):
        return {k: await _wait_output(shape.value, v) for k, v in value.items()}
    if shape.type_name == "blob":
        return _text(await _wait_bytes(value))
    if shape.type_name == "timestamp" and isinstance(value, datetime | int | float):
        return _instant(value)
    return _plain(value)


async def _wait_bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, AsyncIterable):  # a streamed body (GetObject), read to the limit
        chunks, size = [], 0
        async for chunk in value:
            chunks.append(chunk)
            size += len(chunk)
            if size > _RESULT_LIMIT:
                break
        return b"".join(chunks)
    return bytes(value)


def _text(data: bytes) -> str:
    """Bytes as the task sees them: their text when UTF-8, else base64."""
    try:
        return data.decode()
    except UnicodeDecodeError:
        return base64.b64encode(data).decode()


def _instant(value: datetime | float) -> str:
    """ISO 8601 as Java's Instant prints it: no fraction when whole seconds."""
    moment = utc(value)
    stamp = f"{moment:%Y-%m-%dT%H:%M:%S}"
    if moment.microsecond % 1000 == 0 and moment.microsecond:
        stamp += f".{moment.microsecond // 1000:03d}"
    elif moment.microsecond:
        stamp += f".{moment.microsecond:06d}"
    return stamp + "Z"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return _instant(value)
    if isinstance(value, bytes):
        return _text(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _pascal(name: str) -> str:
    return name[:1].upper() + name[1:]
