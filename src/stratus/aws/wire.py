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
    InvalidRequestContent,
    RequestTooLarge,
    StratusError,
)

# Lambda's limit for a CreateFunction/UpdateFunctionCode request body (base64 zip included).
CONTROL_BODY_LIMIT = 70_167_211


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type="application/json",
        headers={"x-amzn-RequestId": str(uuid.uuid4()), **(headers or {})},
    )


def json11_error(exc: StratusError) -> Response:
    status = 400 if exc.status < 500 else exc.status
    return Response(
        orjson.dumps({"__type": exc.code, "message": exc.message}),
        status_code=status,
        media_type="application/x-amz-json-1.1",
        headers={"x-amzn-RequestId": str(uuid.uuid4())},
    )


async def read_json(request: Request, limit: int = CONTROL_BODY_LIMIT) -> Any:
    """The request's JSON body; refused before reading when it declares more than `limit`."""
    if int(request.headers.get("content-length") or 0) > limit:
        raise RequestTooLarge(f"Request must be smaller than {limit} bytes for this operation")
    body = await request.body()
    if not body:
        return {}
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequestContent(f"Could not parse request body into json: {exc}") from exc
