"""AWS APIs called in process for API Gateway's AWS service integrations (HTTP APIs'
IntegrationSubtype, gateway/service_integration.py), answered as the API answers its clients.

    parameters  text, as API Gateway maps them -> the operation's members, by its model:
                numbers and booleans parsed, lists and maps read as JSON (a list also as
                comma-separated text); names and the rest as workflow Tasks' parameters are
                read (sdk_tasks.py)
    the call    SdkCalls.wait_action: the adapter's own handler, checked by the model first,
                as aws-sdk Tasks call it; no HTTP to ourselves
    the answer  a JSON API's output or error as its protocol renders them (aws_json.py), with
                its status and Content-Type; SQS as API Gateway gets it, the JSON form of its
                query API, every member present (null when absent):
                  {"SendMessageResponse": {"SendMessageResult": {"MD5OfMessageBody": ...,
                   "MessageId": ...}, "ResponseMetadata": {"RequestId": ...}}}
                  {"Error": {"Code": "AWS.SimpleQueueService.NonExistentQueue",
                   "Message": ..., "Type": "Sender"}, "RequestId": ...}

server.py gives one to the gateway (app.state.service_calls).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping
from typing import Any

import orjson
from botocore.model import (
    ListShape,
    MapShape,
    OperationModel,
    ServiceModel,
    Shape,
    StructureShape,
)

from stratus import ids
from stratus.errors import StratusError, Validation

from .protocols import aws_json, models
from .protocols.adapter import Api
from .protocols.errors import QUERY_ERRORS, wire_error
from .sdk_tasks import SDK_SERVICES, SdkCalls

log = logging.getLogger(__name__)

Answer = tuple[int, str, bytes]  # status, Content-Type, body
_QUERY_JSON = "sqs"  # the API answered in its query API's JSON form
# ReceiveMessage's list, as API Gateway's answers spell it.
_QUERY_JSON_NAMES = {"Messages": "messages"}


class ServiceCalls:
    """gateway.service_integration.ServiceCalls over the adapters' handlers."""

    def __init__(self, calls: SdkCalls) -> None:
        self._calls = calls

    async def wait_answer(
        self, service: str, operation: str, parameters: Mapping[str, Any]
    ) -> Answer:
        """`operation` of `service` (as sdk_tasks names the services) with `parameters`
        (text, or lists and maps of text), answered as over the wire."""
        api = SDK_SERVICES[service].api
        model = await models.wait_service_model(api.name)
        found = model.operation_model(operation)
        request_id = ids.uuid4()
        try:
            params = _typed(found.input_shape, parameters) if found.input_shape else {}
            output = await self._calls.wait_action(api, model, found, params, request_id)
        except StratusError as exc:
            return _error(exc, api, model, service, request_id)
        except Exception as exc:  # a bug of ours: the client gets the API's 500, we the trace
            log.exception("unexpected error in %s %s", service, operation)
            failure = StratusError(f"Internal error: {exc}")
            return _error(failure, api, model, service, request_id)
        if service == _QUERY_JSON:
            return 200, "application/json", _query_json(found, output, request_id)
        version = model.metadata.get("jsonVersion", "1.0")
        return 200, f"application/x-amz-json-{version}", aws_json.render_output(found, output)


def _error(
    exc: StratusError, api: Api, model: ServiceModel, service: str, request_id: str
) -> Answer:
    if service == _QUERY_JSON:
        wire = wire_error(exc, api.errors, QUERY_ERRORS)
        error = {
            "Code": wire.query_code or wire.code,
            "Message": exc.message,
            "Type": "Sender" if wire.sender else "Receiver",
        }
        body = {"Error": error, "RequestId": request_id}
        return wire.status, "application/json", orjson.dumps(body)
    version = model.metadata.get("jsonVersion", "1.0")
    response = aws_json.error_response(exc, api.errors, version, request_id, model)
    return response.status_code, str(response.media_type), bytes(response.body)


# ---- text -> members ----------------------------------------------------------------------


def _typed(shape: Shape, value: Any) -> Any:
    """`value` with its text read as the model's types say (names in any case)."""
    if isinstance(value, str):
        return _from_text(shape, value)
    if isinstance(value, Mapping) and isinstance(shape, StructureShape):
        members = {name.lower(): member for name, member in shape.members.items()}
        return {
            key: _typed(members[key.lower()], item) if key.lower() in members else item
            for key, item in value.items()
        }
    if isinstance(value, Mapping) and isinstance(shape, MapShape):
        return {key: _typed(shape.value, item) for key, item in value.items()}
    if isinstance(value, list) and isinstance(shape, ListShape):
        return [_typed(shape.member, item) for item in value]
    return value


def _from_text(shape: Shape, text: str) -> Any:
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("float", "double"):
            return float(text)
    except ValueError:
        raise Validation(f"{shape.name}: {text!r} is not a number") from None
    if kind == "boolean":
        if text.lower() not in ("true", "false"):
            raise Validation(f"{shape.name}: {text!r} is not true or false")
        return text.lower() == "true"
    if kind not in ("list", "map", "structure"):
        return text  # strings; timestamps and blobs as sdk_tasks reads text
    try:
        parsed = orjson.loads(text)
    except orjson.JSONDecodeError:
        parsed = None
    if kind == "list" and not isinstance(parsed, list):
        parsed = [item.strip() for item in text.split(",")]
    if not isinstance(parsed, list if kind == "list" else dict):
        raise Validation(f"{shape.name}: {text!r} is not a JSON object")
    return _typed(shape, parsed)


# ---- output -> the query API's JSON -------------------------------------------------------


def _query_json(operation: OperationModel, output: Any, request_id: str) -> bytes:
    name = operation.name
    answer: dict[str, Any] = {}
    if operation.output_shape is not None:
        answer[f"{name}Result"] = _members(operation.output_shape, output or {})
    answer["ResponseMetadata"] = {"RequestId": request_id}
    return orjson.dumps({f"{name}Response": answer})


def _members(shape: Shape, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(shape, StructureShape):
        return {
            _QUERY_JSON_NAMES.get(name, name): _members(member, value.get(name))
            for name, member in sorted(shape.members.items())
        }
    if isinstance(shape, ListShape):
        return [_members(shape.member, item) for item in value] or None
    if isinstance(shape, MapShape):
        return {key: _members(shape.value, item) for key, item in value.items()} or None
    if shape.type_name == "blob" and isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value
