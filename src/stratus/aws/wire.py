"""Error and JSON rendering shared by the REST-JSON adapters (Lambda, API Gateway):

    status, header x-amzn-ErrorType: <code>, body {"Type", "message"}

botocore reads the error code from the header and raises the client's exception class of
that name.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from stratus.errors import (
    Malformed,
    StratusError,
    Throttled,
    TooLarge,
    UnknownOperation,
    UnsupportedMediaType,
    Validation,
)

from .protocols.errors import ErrorTable, WireError, wire_error

# Lambda's limit for a CreateFunction/UpdateFunctionCode request body (base64 zip included).
CONTROL_BODY_LIMIT = 70_167_211

# Errors every REST-JSON API shares, where its own table names nothing more specific.
REST_JSON_ERRORS: ErrorTable = {
    Validation: WireError("ValidationException", 400),
    Malformed: WireError("SerializationException", 400),
    TooLarge: WireError("RequestTooLargeException", 413),
    UnsupportedMediaType: WireError("UnsupportedMediaTypeException", 415),
    Throttled: WireError("TooManyRequestsException", 429),
    UnknownOperation: WireError("UnknownOperationException", 404),
    StratusError: WireError("ServiceException", 500),
}
# AWS spells the message key with a capital M for these (botocore accepts either).
_CAPITAL_MESSAGE = ("ResourceNotFoundException",)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type="application/json",
        headers={"x-amzn-RequestId": str(uuid.uuid4()), **(headers or {})},
    )


def rest_json_error(exc: StratusError, api: ErrorTable) -> Response:
    wire = wire_error(exc, api, REST_JSON_ERRORS)
    key = "Message" if wire.code in _CAPITAL_MESSAGE else "message"
    kind = "User" if wire.sender else "Service"
    headers = {"x-amzn-ErrorType": wire.code}
    if isinstance(exc, Throttled):
        headers["Retry-After"] = "1"
    body = {"Type": kind, key: exc.message} | {k: v for k, v in exc.extra.items() if k != "Type"}
    return json_response(body, wire.status, headers)


async def read_json(request: Request, limit: int = CONTROL_BODY_LIMIT) -> Any:
    """The request's JSON body; refused before reading when it declares more than `limit`."""
    if int(request.headers.get("content-length") or 0) > limit:
        raise TooLarge(f"Request must be smaller than {limit} bytes for this operation")
    body = await request.body()
    if not body:
        return {}
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise Malformed(f"Could not parse request body into json: {exc}") from exc
