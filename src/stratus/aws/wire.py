"""JSON answers and bodies for the API Gateway adapters, until they move onto
protocols/rest_json.py (which renders rest-json errors)."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from stratus.errors import Malformed

from .protocols.body import wait_body

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
    """The request's JSON body, refused (TooLarge) the moment it passes `limit`."""
    body = await wait_body(request.receive, request.headers, limit, "this operation")
    if not body:
        return {}
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise Malformed(f"Could not parse request body into json: {exc}") from exc
