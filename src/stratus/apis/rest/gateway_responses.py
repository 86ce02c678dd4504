"""Gateway responses: what a REST API answers by itself (Put/Get/Update/Delete
GatewayResponse, GetGatewayResponses), as "Gateway response types for API Gateway" lists.

Every API has all 21 types: those nobody put are AWS's defaults (`defaultResponse: true`,
the type's status — none for DEFAULT_4XX/5XX — and the body template
`{"message":$context.error.messageString}`). A type without its own customization falls
back to DEFAULT_4XX or DEFAULT_5XX by its status, when those are customized. Deleting a
put response restores the default. Deployments freeze them with the rest of the API
(stages.py), so changes reach clients with the next deployment, as on AWS.
"""

from __future__ import annotations

from typing import Any, get_args

from stratus.errors import Invalid

from ..shape import parse_request
from .model import GatewayResponse, GatewayResponseType
from .patch import SET, apply_patch, entry, field
from .requests import Patch
from .store import GATEWAY_RESPONSES, Parts, RestStore, page

DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'
# The status of each type by default (DEFAULT_4XX/5XX have none of their own).
DEFAULT_STATUS: dict[str, str | None] = {
    "DEFAULT_4XX": None, "DEFAULT_5XX": None, "RESOURCE_NOT_FOUND": "404",
    "UNAUTHORIZED": "401", "INVALID_API_KEY": "403", "ACCESS_DENIED": "403",
    "AUTHORIZER_FAILURE": "500", "AUTHORIZER_CONFIGURATION_ERROR": "500",
    "INVALID_SIGNATURE": "403", "EXPIRED_TOKEN": "403", "MISSING_AUTHENTICATION_TOKEN": "403",
    "INTEGRATION_FAILURE": "504", "INTEGRATION_TIMEOUT": "504", "API_CONFIGURATION_ERROR": "500",
    "UNSUPPORTED_MEDIA_TYPE": "415", "BAD_REQUEST_PARAMETERS": "400", "BAD_REQUEST_BODY": "400",
    "REQUEST_TOO_LARGE": "413", "THROTTLED": "429", "QUOTA_EXCEEDED": "429",
    "WAF_FILTERED": "403",
}  # fmt: skip
TYPES: tuple[str, ...] = get_args(GatewayResponseType)
_PATCH = (
    field("/statusCode", ops=SET),
    entry("/responseParameters"),
    entry("/responseTemplates"),
)


def default_response(response_type: str) -> GatewayResponse:
    return GatewayResponse.model_validate(
        {
            "responseType": response_type,
            "statusCode": DEFAULT_STATUS[response_type],
            "responseParameters": {},
            "responseTemplates": {"application/json": DEFAULT_TEMPLATE},
            "defaultResponse": True,
        }
    )


def _checked_type(response_type: str) -> str:
    if response_type not in DEFAULT_STATUS:
        raise Invalid(f"Invalid response type {response_type!r}: one of {', '.join(TYPES)}")
    return response_type


def _checked(response: GatewayResponse) -> GatewayResponse:
    code = response.statusCode
    if code is not None and not (code.isdigit() and 100 <= int(code) <= 599):
        raise Invalid(f"Invalid status code {code!r}: give an HTTP status code, 100 to 599")
    for name in response.responseParameters or {}:
        if not name.startswith("gatewayresponse.header."):
            raise Invalid(
                f"Invalid mapping expression specified: {name}; gateway responses map "
                "gatewayresponse.header.<name>"
            )
    return response


def put_in(parts: Parts, fields: dict[str, Any]) -> GatewayResponse:
    """Stores one customized response (PutGatewayResponse; imports use it too)."""
    _checked_type(str(fields.get("responseType")))
    response = _checked(parse_request(GatewayResponse, {**fields, "defaultResponse": False}))
    parts.put(GATEWAY_RESPONSES, response.responseType, response)
    return response


def effective(parts: Parts) -> list[GatewayResponse]:
    """All 21 types: the customized ones and the defaults."""
    put: dict[str, GatewayResponse] = {r.responseType: r for r in parts.all(GATEWAY_RESPONSES)}
    return [put.get(t) or default_response(t) for t in TYPES]


class GatewayResponses:
    def __init__(self, store: RestStore) -> None:
        self._store = store

    async def put(self, api_id: str, fields: dict[str, Any]) -> GatewayResponse:
        return await self._store.write(api_id, lambda parts: put_in(parts, fields))

    async def get(self, api_id: str, response_type: str) -> GatewayResponse:
        _checked_type(response_type)

        def read(parts: Parts) -> GatewayResponse:
            found = parts.get(GATEWAY_RESPONSES, response_type)
            return found or default_response(response_type)

        return await self._store.read(api_id, read)

    async def list(
        self, api_id: str, position: str | None = None, limit: int | None = None
    ) -> tuple[list[GatewayResponse], str | None]:
        found = await self._store.read(api_id, effective)
        return page(found, lambda r: r.responseType, position, limit)

    async def update(self, api_id: str, response_type: str, patch: Patch) -> GatewayResponse:
        _checked_type(response_type)

        def work(parts: Parts) -> GatewayResponse:
            found = parts.get(GATEWAY_RESPONSES, response_type) or default_response(response_type)
            return put_in(parts, apply_patch(found.wire(), patch, _PATCH))

        return await self._store.write(api_id, work)

    async def delete(self, api_id: str, response_type: str) -> None:
        _checked_type(response_type)

        def work(parts: Parts) -> None:
            parts.require(GATEWAY_RESPONSES, response_type)
            parts.delete(GATEWAY_RESPONSES, response_type)

        await self._store.write(api_id, work)
