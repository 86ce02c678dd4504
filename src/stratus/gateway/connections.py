"""WebSocket APIs' open connections, and the @connections API that reaches them.

Backend code (most often the API's own functions, with `apigatewaymanagementapi` and the
stage's URL as endpoint) manages connections through the stage's callback URL
("Use @connections commands in your backend service"):

    POST   /{stage}/@connections/{connectionId}   the body goes to the client as one frame
                                                  (text when it is UTF-8, else binary)
    GET    /{stage}/@connections/{connectionId}   {connectedAt, identity, lastActiveAt}
    DELETE /{stage}/@connections/{connectionId}   the gateway closes the connection (1000)

A connection that is not open (never was, closed, or still in its $connect) answers
410 GoneException, as AWS does; a body over 128 KB 413 PayloadTooLargeException. Callers
sign their requests (SigV4, service execute-api): unsigned is 403 ForbiddenException, and
with signature checking on the signer needs `execute-api:ManageConnections` on
`arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/@connections/{id}`
(`wait_refusal`). Errors are rest-json's: `x-amzn-ErrorType` and `{"message": ...}`.

The registry is in memory, per server process: connections live on the socket that carries
them. A frame is sent from the calling request's task; a function that posts to its own
connection during a message's invocation is answered at once (no lock is held while a
function runs), so it cannot deadlock.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import unquote

import orjson
from starlette.types import Scope, Send

from stratus.gateway.iam_auth import signer, wait_authorized
from stratus.gateway.responses import HttpResponse
from stratus.iam.sigv4 import Refused
from stratus.services import Services

log = logging.getLogger(__name__)
MESSAGE_LIMIT = 128 * 1024  # API Gateway's WebSocket message payload quota
PREFIX = "/@connections/"
_JSON = (("content-type", "application/json"),)


def _error(status: int, code: str, message: str) -> HttpResponse:
    headers = (*_JSON, ("x-amzn-ErrorType", code))
    return HttpResponse(status, headers, orjson.dumps({"message": message}))


GONE = _error(410, "GoneException", "The connection is gone")


async def wait_refusal(
    services: Services, scope: Scope, body: bytes, api_id: str, stage: str, path: str
) -> HttpResponse | None:
    """Why a @connections request is refused (unsigned, or not allowed), or None."""
    caller = signer(services, scope, body)
    if isinstance(caller, Refused):
        return _error(403, "ForbiddenException", caller.message)
    settings = services.settings
    arn = (
        f"arn:aws:execute-api:{settings.region}:{settings.account_id}:"
        f"{api_id}/{stage}/{scope['method']}{path}"
    )
    action = "execute-api:ManageConnections"
    if not await wait_authorized(services, caller, action, arn):
        message = f"User: {caller.arn} is not authorized to perform: {action} on resource: {arn}"
        return _error(403, "ForbiddenException", message)
    return None


class Closed(Exception):
    """The connection is no longer open: nothing can be sent on it."""


@dataclass(slots=True, eq=False)
class Connection:
    """One open connection: the ASGI `send` of its socket, and what GetConnection tells."""

    id: str
    api_id: str
    stage: str
    send: Send
    source_ip: str
    user_agent: str | None
    connected_at: datetime
    last_active_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    closed: bool = False
    close_reason: str | None = None  # why the gateway closed it, if it did

    def touch(self) -> None:
        self.last_active_at = datetime.now(UTC)

    async def wait_send(self, data: str | bytes) -> None:
        """One frame to the client; raises Closed once the socket is gone."""
        if self.closed:
            raise Closed(self.id)
        message = {"type": "websocket.send", "text" if isinstance(data, str) else "bytes": data}
        self.touch()  # (a frame sent counts as activity for the idle timeout)
        try:
            await self.send(message)
        except (OSError, RuntimeError) as exc:  # uvicorn's ClientDisconnected is an OSError
            self.closed = True
            raise Closed(self.id) from exc

    async def wait_close(
        self, code: int = 1000, reason: str = "Closed by DeleteConnection"
    ) -> None:
        """The gateway closes the connection (`reason`: $disconnect's disconnectReason)."""
        if self.closed:
            return
        self.closed = True
        self.close_reason = reason
        with contextlib.suppress(OSError, RuntimeError):
            await self.send({"type": "websocket.close", "code": code})


class Connections:
    """The open connections of every WebSocket API, by connection id."""

    def __init__(self) -> None:
        self._open: dict[str, Connection] = {}

    def add(self, connection: Connection) -> None:
        self._open[connection.id] = connection

    def remove(self, connection: Connection) -> None:
        if self._open.get(connection.id) is connection:
            del self._open[connection.id]

    def find(self, api_id: str, stage: str, connection_id: str) -> Connection | None:
        found = self._open.get(connection_id)
        if found is None or found.closed or (found.api_id, found.stage) != (api_id, stage):
            return None
        return found

    def __len__(self) -> int:
        return len(self._open)

    async def wait_manage(
        self, api_id: str, stage: str, method: str, path: str, body: bytes
    ) -> HttpResponse:
        """One @connections request (`path`: inside the stage, `/@connections/{id}`)."""
        connection_id = path.removeprefix(PREFIX)
        if not path.startswith(PREFIX) or not connection_id or "/" in connection_id:
            return _error(403, "ForbiddenException", "Forbidden")
        found = self.find(api_id, stage, unquote(connection_id))
        if method == "POST":
            if len(body) > MESSAGE_LIMIT:
                return _error(413, "PayloadTooLargeException", "Message too long")
            if found is None:
                return GONE
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                data: str | bytes = body
            else:
                data = text
            try:
                await found.wait_send(data)
            except Closed:
                return GONE
            return HttpResponse(200, _JSON, b"")
        if found is None:
            return GONE
        if method == "GET":
            return HttpResponse(200, _JSON, orjson.dumps(_described(found)))
        if method == "DELETE":
            await found.wait_close()
            return HttpResponse(204, (), b"")
        return _error(403, "ForbiddenException", f"Method {method} is not allowed on @connections")


def _described(connection: Connection) -> dict[str, object]:
    """GetConnection's answer (botocore reads these timestamps as ISO 8601)."""
    return {
        "connectedAt": _iso(connection.connected_at),
        "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
        "lastActiveAt": _iso(connection.last_active_at),
    }


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
