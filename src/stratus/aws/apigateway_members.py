"""Input and output members every part of the REST API Gateway API (`apigateway`) reads or
writes the same way: the request shapes of stratus.apis.rest from the parsed members, patch
operations, `position`/`limit` paging, `embed`, and pages of items."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from stratus.apis.rest.requests import PatchOperation, PatchRequest
from stratus.apis.rest.service import RestApiService
from stratus.apis.shape import Shape, parse_request

from .protocols.adapter import Call, Handler, Output


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


def addressed(
    noun: str, part: Callable[[Call], Any], address: Sequence[str], **methods: str
) -> dict[str, Handler]:
    """`Get<noun>`, `Update<noun>` and `Delete<noun>`, for those of `get`, `update` and
    `delete` that `methods` names: each calls that method of `part` with the members named by
    `address` (in order), Update with the patch after them."""

    def at(params: dict[str, Any]) -> list[Any]:
        return [params[name] for name in address]

    async def get(call: Call, params: dict[str, Any]) -> Output:
        return one(await getattr(part(call), methods["get"])(*at(params)))

    async def update(call: Call, params: dict[str, Any]) -> Output:
        return one(await getattr(part(call), methods["update"])(*at(params), patch_of(params)))

    async def delete(call: Call, params: dict[str, Any]) -> Output:
        await getattr(part(call), methods["delete"])(*at(params))
        return None

    handlers: dict[str, Handler] = {"get": get, "update": update, "delete": delete}
    return {f"{verb.title()}{noun}": handlers[verb] for verb in methods}
