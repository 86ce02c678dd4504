"""WebSocket APIs' rules (ProtocolType WEBSOCKET), beside the HTTP APIs' in service.py.

A WebSocket API routes messages, not requests ("Working with routes for WebSocket APIs"):

    route keys     `$connect` (the handshake), `$disconnect` (the close), `$default` (a
                   message no other key matches) and any key of the API's own that does not
                   start with `$`
    selection      RouteSelectionExpression, evaluated on each message's JSON body:
                   `$request.body.action` or `${request.body.action}` (a dotted path; several
                   references with text around them are joined). A body that is not JSON, or
                   lacks the path, selects `$default`
    two-way        a route with a route response (key `$default`) sends the integration's
                   answer back to the client; RouteResponseSelectionExpression is `$default`
    integrations   payload format 1.0 only (AWS: the only one for WebSocket APIs)

`Parts` keeps the three parts only WebSocket APIs have (route responses, integration
responses, models); for an HTTP API the calls answer as AWS does (Create/Update refused as
"supported only for WebSocket APIs", the lists empty, Get/Delete not found), after checking
that what they name exists.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

import orjson

from stratus.errors import Conflict, Invalid, NotFound

from ..ids import new_id
from ..rest.model_template import model_template
from ..shape import Shape, parse_request
from .model import (
    Api,
    ApiModel,
    IntegrationResponse,
    IntegrationResponseRequest,
    ModelRequest,
    RouteResponse,
    RouteResponseRequest,
)
from .store import INTEGRATION_RESPONSES, MODELS, ROUTE_RESPONSES, ApiStore, Kind

S = TypeVar("S", bound=Shape)
WEBSOCKET = "WEBSOCKET"
CONNECT, DISCONNECT, DEFAULT = "$connect", "$disconnect", "$default"
PREDEFINED = (CONNECT, DISCONNECT, DEFAULT)
_REFERENCE = re.compile(  # ${request.body.a.b} or $request.body.a.b
    r"\$\{request\.body\.([\w.\-]+)\}|\$request\.body\.([\w\-]+(?:\.[\w\-]+)*)"
)


def is_websocket(api: Api) -> bool:
    return api.ProtocolType == WEBSOCKET


def check_route_key(key: str) -> str:
    """A WebSocket route key: a predefined one or the API's own (not starting with `$`)."""
    if key.startswith("$") and key not in PREDEFINED:
        raise Invalid(
            f"Invalid route key {key!r}: keys starting with $ are reserved; use $connect, "
            "$disconnect, $default or a key of your own such as sendmessage"
        )
    return key


def check_route_access(authorization: str | None, api_key_required: bool | None) -> None:
    """Stratus's WebSocket APIs apply no authorizer and no API key yet: a route asking for
    one is refused rather than served open."""
    if authorization not in (None, "NONE"):
        raise Invalid(
            f"AuthorizationType {authorization} is not supported on Stratus's WebSocket APIs "
            "yet (their routes take NONE): authorize in the $connect function instead"
        )
    if api_key_required:
        raise Invalid("ApiKeyRequired is not supported on Stratus's WebSocket APIs yet")


def check_selection_expression(expression: str | None) -> str:
    """A RouteSelectionExpression Stratus can evaluate (see `select_route`)."""
    if not expression or not _REFERENCE.search(expression):
        raise Invalid(
            f"Invalid RouteSelectionExpression {expression!r}: WebSocket APIs require one "
            "such as $request.body.action (or ${request.body.action})"
        )
    return expression


def check_route_response_selection(expression: str | None) -> str | None:
    if expression not in (None, DEFAULT):
        raise Invalid(
            f"Invalid RouteResponseSelectionExpression {expression!r}: WebSocket APIs "
            "support $default only"
        )
    return expression


def select_route(expression: str, body: bytes | str) -> str | None:
    """The route key `expression` yields for a message body, or None (then `$default`)."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    missing = False

    def value(found: re.Match[str]) -> str:
        nonlocal missing
        node: Any = document
        for step in (found.group(1) or found.group(2)).split("."):
            if not isinstance(node, dict) or step not in node:
                missing = True
                return ""
            node = node[step]
        if isinstance(node, str):
            return node
        if isinstance(node, dict | list) or node is None:
            missing = True
            return ""
        return orjson.dumps(node).decode()

    key = _REFERENCE.sub(value, expression)
    return None if missing else key


@dataclass(frozen=True, slots=True)
class Part:
    """One of the three WebSocket-only parts: its kind and what it hangs on."""

    kind: Kind
    plural: str  # as messages say it
    parent: str | None  # the member naming its route or integration, if any
    key: str  # the member its key is in (RouteResponseKey...)


ROUTE_RESPONSE = Part(ROUTE_RESPONSES, "Route responses", "RouteId", "RouteResponseKey")
INTEGRATION_RESPONSE = Part(
    INTEGRATION_RESPONSES, "Integration responses", "IntegrationId", "IntegrationResponseKey"
)
MODEL = Part(MODELS, "Models", None, "Name")
_SHAPES: dict[str, type[Shape]] = {
    "RouteResponse": RouteResponse,
    "IntegrationResponse": IntegrationResponse,
    "Model": ApiModel,
}
_REQUESTS: dict[str, type[Shape]] = {
    "RouteResponse": RouteResponseRequest,
    "IntegrationResponse": IntegrationResponseRequest,
    "Model": ModelRequest,
}


class Parts:
    """Route responses, integration responses and models of WebSocket APIs."""

    def __init__(
        self,
        store: ApiStore,
        api_of: Callable[[str], Awaitable[Api]],
        check_parent: Callable[[Part, str, str | None], Awaitable[None]],
    ) -> None:
        self._store = store
        self._api_of = api_of  # NotFound for an unknown API
        self._check_parent = check_parent  # NotFound for an unknown route or integration

    def request(self, part: Part, params: Mapping[str, Any]) -> Shape:
        return parse_request(_REQUESTS[part.kind.name], params)

    async def _websocket(self, part: Part, api_id: str, parent: str | None) -> bool:
        api = await self._api_of(api_id)
        await self._check_parent(part, api_id, parent)
        return is_websocket(api)

    async def create(self, part: Part, api_id: str, parent: str | None, request: Shape) -> Shape:
        if not await self._websocket(part, api_id, parent):
            _refuse(part, api_id)
        fields = request.model_dump(exclude_none=True)
        if part.key not in fields:
            raise Invalid(f"{part.key} is required")
        if part is ROUTE_RESPONSE and fields[part.key] != DEFAULT:
            raise Invalid(
                f"Invalid RouteResponseKey {fields[part.key]!r}: WebSocket APIs support "
                "$default only"
            )
        for found in await self._all(part, api_id, parent):
            if getattr(found, part.key) == fields[part.key]:
                raise _conflict(part, fields[part.key])
        key = new_id(6 if part is not MODEL else 7)
        id_member = f"{part.kind.name}Id"
        made = _SHAPES[part.kind.name].model_validate(
            fields | {id_member: key} | ({part.parent: parent} if part.parent else {})
        )
        await self._store.put_child(api_id, part.kind, key, made, new=True)
        return made

    async def list_of(self, part: Part, api_id: str, parent: str | None) -> list[Shape]:
        if not await self._websocket(part, api_id, parent):
            return []
        return await self._all(part, api_id, parent)

    async def get(self, part: Part, api_id: str, parent: str | None, key: str) -> Shape:
        websocket = await self._websocket(part, api_id, parent)
        found = await self._store.get_child(api_id, part.kind, key, _SHAPES[part.kind.name])
        if found is None or (part.parent and getattr(found, part.parent) != parent):
            _missing(part, key, websocket)
        return found

    async def update(
        self, part: Part, api_id: str, parent: str | None, key: str, request: Shape
    ) -> Shape:
        found = await self.get(part, api_id, parent, key)
        changes = request.model_dump(exclude_none=True)
        if part is ROUTE_RESPONSE and changes.get(part.key, DEFAULT) != DEFAULT:
            raise Invalid("Invalid RouteResponseKey: WebSocket APIs support $default only")
        updated = found.model_copy(update=changes)
        await self._store.put_child(api_id, part.kind, key, updated, new=False)
        return updated

    async def delete(self, part: Part, api_id: str, parent: str | None, key: str) -> None:
        await self.get(part, api_id, parent, key)
        await self._store.delete_child(api_id, part.kind, key)

    async def template(self, api_id: str, model_id: str) -> str:
        """GetModelTemplate: the mapping template drafted from the model's schema."""
        found = await self.get(MODEL, api_id, None, model_id)
        assert isinstance(found, ApiModel)
        others = {m.Name: m.Schema or "{}" for m in await self._all(MODEL, api_id, None)
                  if isinstance(m, ApiModel)}  # fmt: skip
        return model_template(found.Schema or "{}", others)

    async def delete_of(self, part: Part, api_id: str, parent: str) -> None:
        """Every part hanging on a route or integration being deleted."""
        for found in await self._all(part, api_id, parent):
            await self._store.delete_child(api_id, part.kind, getattr(found, f"{part.kind.name}Id"))

    async def _all(self, part: Part, api_id: str, parent: str | None) -> list[Shape]:
        found = await self._store.list_children(api_id, part.kind, _SHAPES[part.kind.name])
        if part.parent is None:
            return list(found)
        return [f for f in found if getattr(f, part.parent) == parent]


def _refuse(part: Part, api_id: str) -> NoReturn:
    raise Invalid(
        f"{part.plural} are supported only for WebSocket APIs; API {api_id} is an HTTP API"
    )


def _missing(part: Part, key: str, websocket: bool) -> NoReturn:
    why = (
        "" if websocket else f": HTTP APIs have no {part.plural.lower()} (they are WebSocket APIs')"
    )
    raise NotFound(f"Unable to find {part.kind.name} with id '{key}'{why}")


def _conflict(part: Part, key: str) -> Exception:
    return Conflict(f"A {part.kind.name} with key {key!r} already exists")
