"""The AWS JSON protocols 1.0 and 1.1 (SQS, DynamoDB, Step Functions, EventBridge, Logs…).

Request: POST / with the operation in a header, the input members as one JSON object:

    X-Amz-Target: Logs_20140328.FilterLogEvents      <targetPrefix from the model>.<operation>
    Content-Type: application/x-amz-json-1.1
    {"logGroupName": "/aws/lambda/f", "limit": 100, "startTime": 1767225600000}

  blobs travel as base64 text, timestamps as epoch seconds (json_codec.py); the members are
  checked against the model (validate.py) before the handler runs.

Answer: 200, the same Content-Type, the output members as one JSON object.

Error: the API's status (400 for the caller's mistakes, 500 for ours), the same Content-Type,
`{"__type": "ResourceNotFoundException", "message": "…"}`. An operation the model lacks, or one
Stratus does not implement, is UnknownOperationException, as AWS answers a target it does not
know.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from botocore.model import OperationModel, ServiceModel, Shape
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Receive, Scope

from stratus import ids
from stratus.errors import (
    Malformed,
    StratusError,
    UnknownOperation,
)

from . import json_codec, validate
from .adapter import Api, Call, handler_of, wait_by_target_prefix
from .body import decoded, wait_body
from .errors import JSON_ERRORS, ErrorTable, WireError, wire_error

log = logging.getLogger("stratus.aws")

_CONTENT_TYPE = "application/x-amz-json-{}"


class JsonApis:
    """The APIs served over JSON 1.0/1.1, found by their `X-Amz-Target` prefix."""

    def __init__(self, apis: Iterable[Api]) -> None:
        self._apis = tuple(apis)
        self._by_prefix: dict[str, tuple[Api, ServiceModel]] | None = None

    async def wait_answer(self, scope: Scope, receive: Receive) -> Response:
        """The answer to one request, errors included (rendered as the API names them)."""
        headers = Headers(scope=scope)
        request_id = ids.uuid4()
        target = headers.get("x-amz-target", "")
        prefix, _, name = target.rpartition(".")
        found = (await self._wait_index()).get(prefix)
        version = found[1].metadata.get("jsonVersion", "1.0") if found else _version(headers)
        try:
            if found is None:
                raise UnknownOperation(f"Stratus does not serve the operation {target!r}.")
            api, model = found
            operation = find_operation(model, name)
            handler = handler_of(api, model, name)
            body = await wait_body(receive, headers, api.body_limit, name)
            body = decoded(body, headers, api.body_limit, name)
            params = parse_input(operation, body)
            validate.check(operation.input_shape, params)
            output = await handler(Call.of(scope, headers, request_id), params)
        except StratusError as exc:
            return error_response(
                exc,
                found[0].errors if found else {},
                version,
                request_id,
                found[1] if found else None,
            )
        except Exception as exc:
            log.exception("unexpected error serving %s", target)
            error = StratusError(f"Internal error: {exc}")
            return error_response(error, {}, version, request_id)
        if isinstance(output, Response):
            return output
        return _response(200, render_output(operation, output), version, request_id)

    async def _wait_index(self) -> dict[str, tuple[Api, ServiceModel]]:
        if self._by_prefix is None:
            self._by_prefix = await wait_by_target_prefix(self._apis)
        return self._by_prefix


def find_operation(model: ServiceModel, name: str) -> OperationModel:
    if name not in model.operation_names:
        raise UnknownOperation(f"The {model.service_id} API has no operation {name!r}.")
    return model.operation_model(name)


def parse_input(operation: OperationModel, body: bytes) -> dict[str, Any]:
    """The input members of a JSON request body."""
    document = json_codec.loads(body)
    shape = operation.input_shape
    if shape is None:
        return {}
    if not isinstance(document, dict):
        raise Malformed("Could not parse request body into json: expected an object")
    params: dict[str, Any] = json_codec.from_json(shape, document)
    return params


def render_output(operation: OperationModel, output: Mapping[str, Any] | None) -> bytes:
    shape = operation.output_shape
    if shape is None or not output:
        return b"{}"
    return orjson.dumps(json_codec.to_json(shape, output))


def error_response(
    exc: StratusError,
    api: ErrorTable,
    version: str,
    request_id: str | None = None,
    model: ServiceModel | None = None,
) -> Response:
    wire = wire_error(exc, api, JSON_ERRORS)
    body: dict[str, Any] = {"__type": wire.code, "message": exc.message}
    if exc.extra:  # the error shape's other members (DynamoDB's Item, CancellationReasons)
        body |= _error_members(exc.extra, wire.code, model)
    headers = {}
    if wire.query_code:  # awsQueryCompatible APIs: botocore reports this code
        headers["x-amzn-query-error"] = f"{wire.query_code};{_fault(wire)}"
    request_id = request_id or ids.uuid4()
    return _response(wire.status, orjson.dumps(body), version, request_id, headers)


def _error_members(
    extra: Mapping[str, Any], code: str, model: ServiceModel | None
) -> dict[str, Any]:
    """Extra members rendered by the model's error shape (blobs as base64), when it has one."""
    if model is None or code not in model.shape_names:
        return dict(extra)
    rendered: dict[str, Any] = json_codec.to_json(_error_shape(model, code), dict(extra))
    return rendered


@functools.lru_cache(maxsize=512)
def _error_shape(model: ServiceModel, code: str) -> Shape:
    """The error's shape, made once: botocore's shape_for builds a new Shape per call, and
    the codec's writers are kept per shape object (one set per call grew without end)."""
    return model.shape_for(code)


def _fault(wire: WireError) -> str:
    return "Sender" if wire.sender else "Receiver"


def _response(
    status: int, body: bytes, version: str, request_id: str, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        body,
        status_code=status,
        media_type=_CONTENT_TYPE.format(version),
        headers={"x-amzn-RequestId": request_id, **(headers or {})},
    )


def _version(headers: Headers) -> str:
    return "1.0" if headers.get("content-type", "").endswith("json-1.0") else "1.1"
