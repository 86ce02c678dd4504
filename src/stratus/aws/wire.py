"""Error and JSON rendering shared by the AWS wire adapters.

    REST-JSON            protocols/rest_json.py
    JSON 1.1  (Logs)     status, body {"__type": <code>, "message"}

botocore reads the error code from the header (REST-JSON) or `__type` (JSON 1.1) and raises
the client's exception class of that name.
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
    Validation,
)

from .protocols.errors import ErrorTable, WireError, wire_error

# Lambda's limit for a CreateFunction/UpdateFunctionCode request body (base64 zip included).
CONTROL_BODY_LIMIT = 70_167_211

# And every JSON 1.0/1.1 API: AWS's common errors.
JSON_ERRORS: ErrorTable = {
    Validation: WireError("ValidationException", 400),
    Malformed: WireError("SerializationException", 400),
    Throttled: WireError("ThrottlingException", 400),
    UnknownOperation: WireError("UnknownOperationException", 400),
    StratusError: WireError("InternalFailure", 500),
}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type="application/json",
        headers={"x-amzn-RequestId": str(uuid.uuid4()), **(headers or {})},
    )


def json11_error(exc: StratusError, api: ErrorTable) -> Response:
    wire = wire_error(exc, api, JSON_ERRORS)
    return Response(
        orjson.dumps({"__type": wire.code, "message": exc.message}),
        status_code=wire.status,
        media_type="application/x-amz-json-1.1",
        headers={"x-amzn-RequestId": str(uuid.uuid4())},
    )


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
