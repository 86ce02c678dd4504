"""Models, route responses and integration responses of apigatewayv2: AWS documents each as
"Supported only for WebSocket APIs", and Stratus serves HTTP APIs only, so no API here can
have one. The calls answer what is true of an HTTP API, after checking what they name
exists (NotFoundException for an unknown API, route or integration, as AWS checks first):

    Create…, Update…            BadRequestException: not for HTTP APIs
    Get…s (the lists)           an empty list
    Get…, Delete…, GetModelTemplate   NotFoundException: there is none with that id
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

from stratus.errors import Invalid, NotFound

from .service import ApiService


@dataclass(frozen=True, slots=True)
class Part:
    noun: str  # "Model", "RouteResponse", "IntegrationResponse"
    plural: str  # as messages say it: "Models", "Route responses"...
    parent: str  # what it hangs on: "api", "route" or "integration"


MODELS = Part("Model", "Models", "api")
ROUTE_RESPONSES = Part("RouteResponse", "Route responses", "route")
INTEGRATION_RESPONSES = Part("IntegrationResponse", "Integration responses", "integration")


class WebSocketOnly:
    def __init__(self, apis: ApiService) -> None:
        self._apis = apis

    async def _check(self, part: Part, api_id: str, parent_id: str | None) -> None:
        if part.parent == "route":
            await self._apis.get_route(api_id, parent_id or "")
        elif part.parent == "integration":
            await self._apis.get_integration(api_id, parent_id or "")
        else:
            await self._apis.get_api(api_id)

    async def refuse(self, part: Part, api_id: str, parent_id: str | None = None) -> NoReturn:
        await self._check(part, api_id, parent_id)
        raise Invalid(
            f"{part.plural} are supported only for WebSocket APIs; API {api_id} is an HTTP API"
        )

    async def none(self, part: Part, api_id: str, parent_id: str | None = None) -> list[object]:
        await self._check(part, api_id, parent_id)
        return []

    async def missing(
        self, part: Part, api_id: str, key: str, parent_id: str | None = None
    ) -> NoReturn:
        await self._check(part, api_id, parent_id)
        raise NotFound(
            f"Unable to find {part.noun} with id '{key}': HTTP APIs have no "
            f"{part.plural.lower()} (they are WebSocket APIs')"
        )
