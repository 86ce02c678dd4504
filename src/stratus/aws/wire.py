"""JSON answers and bodies for the API Gateway adapters, until they move onto
protocols/rest_json.py (which renders rest-json errors)."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from stratus.errors import (
    Malformed,
    TooLarge,
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
