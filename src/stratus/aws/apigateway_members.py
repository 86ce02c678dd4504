"""Input and output members every part of the REST API Gateway API (`apigateway`) reads or
writes the same way: the request shapes of stratus.apis.rest from the parsed members, patch
operations, `position`/`limit` paging, `embed`, and pages of items."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from stratus.apis.rest.requests import PatchOperation, PatchRequest
from stratus.apis.rest.service import RestApiService
from stratus.apis.shape import Shape, parse_request

from .protocols.adapter import Call


def rest_apis(call: Call) -> RestApiService:
    return call.services.rest_apis


def patch_of(params: dict[str, Any]) -> list[PatchOperation]:
    return parse_request(PatchRequest, params).patchOperations


def page_of(params: dict[str, Any]) -> tuple[str | None, int | None]:
    """The `position` and `limit` query members (the service checks the limit's range)."""
    return params.get("position"), params.get("limit")


def embeds(params: dict[str, Any], wanted: str) -> bool:
    """`embed=methods` (botocore repeats the parameter; the CLI may join with commas)."""
    values: list[str] = params.get("embed") or []
    return wanted in {part.strip() for value in values for part in value.split(",")}


def one(found: Shape) -> dict[str, Any]:
    return found.wire()


def listed(
    found: tuple[Sequence[Any], str | None], render: Callable[[Any], Any] | None = None
) -> dict[str, Any]:
    """A page: `items` (`item` on the wire) and the `position` of the next page, if any."""
    items, position = found
    page: dict[str, Any] = {"items": [render(i) if render else i.wire() for i in items]}
    if position is not None:
        page["position"] = position
    return page
