"""CORS for browser requests to buckets (placeholder until rules are honoured)."""

from __future__ import annotations

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from .protocols.rest_xml import RestXml


class Cors:
    async def preflight(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError

    def decorate(self, response: Response) -> None:
        raise NotImplementedError


async def wait_cors(scope: Scope, api: RestXml) -> Cors | None:
    return None
