"""WebSocket APIs' data plane: a connection's handshake, messages and close become Lambda
proxy invocations of the routes `$connect`, the selected key (else `$default`) and
`$disconnect` ("Overview of WebSocket APIs in API Gateway").

A client connects to a stage, at the HTTP APIs' addresses with the ws scheme:

    ws://127.0.0.1:4566/_aws/execute-api/{api-id}/{stage}
    ws://{api-id}.execute-api.localhost:4566/{stage}
    ws://{custom domain}:4566/{base path}                 (a mapping to the stage)

Per connection:

    handshake   $connect's integration runs before the upgrade is answered; a function
                error or unreadable answer refuses it (502 {"message": "Internal server
                error"}), a statusCode outside 2xx refuses it with that status; no $connect
                route: accepted. Unknown API or stage, or an HTTP API: 403 {"message":
                "Forbidden"}
    message     over 128 KB: closed with 1009. Else the route selection expression picks the
                route (websocket.py in apis/http), else `$default`; no route: the frame
                {"message": "Forbidden", "connectionId", "requestId"}. Each message is its own
                invocation, running beside the others of the connection (as on AWS, no
                ordering between their answers). A function error: {"message": "Internal
                server error", ...}. A two-way route (one with a route response) sends the
                function's `body` back (base64-decoded to a binary frame when
                isBase64Encoded); a one-way route sends nothing
    close       by the client, by DeleteConnection, or by the gateway (1001) after the
                idle timeout (10 min without a message either way) or the maximum duration
                (2 h; Settings.websocket_*): once the messages in flight are done,
                $disconnect's integration runs (its answer is ignored)

MOCK integrations answer from their templates (websocket_mock.py). Authorizers, API keys
and throttling are not applied to WebSocket APIs yet.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.types import Message, Receive, Scope, Send

from stratus import ids
from stratus.apis.http.model import Integration, Route
from stratus.apis.http.service import Deployment
from stratus.apis.http.websocket import CONNECT, DEFAULT, DISCONNECT, is_websocket, select_route
from stratus.errors import StratusError
from stratus.gateway.connections import MESSAGE_LIMIT, Closed, Connection, Connections
from stratus.gateway.pipeline import decoded_headers, function_ref, lets_gateway_invoke
from stratus.gateway.websocket_events import (
    Connected,
    connect_event,
    disconnect_event,
    message_event,
)
from stratus.gateway.websocket_mock import MockFailed, mock_answer
from stratus.runtime.spec import InvokeResult
from stratus.services import Services

log = logging.getLogger(__name__)
_JSON = [(b"content-type", b"application/json")]


def new_connection_id() -> str:
    """16 characters like AWS's (`L0SM9cOFvHcCIhw=`), without `/` or `+`, which a
    @connections URL would have to escape."""
    while True:
        found = base64.b64encode(ids.token_bytes(11)).decode()
        if "/" not in found and "+" not in found:
            return found


def new_request_id() -> str:
    return base64.b64encode(ids.token_bytes(11)).decode()


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one invocation of a route's integration gave."""

    failed: bool  # a function error, an unreadable answer, or Lambda refusing the call
    status: int = 200  # the answer's statusCode (200 without one)
    frame: str | bytes | None = None  # what a two-way route sends back
    headers: Mapping[str, str] = field(default_factory=dict)  # the answer's, lower-cased


async def wait_serve_connection(
    services: Services,
    connections: Connections,
    scope: Scope,
    receive: Receive,
    send: Send,
    api_id: str,
    path: str,
    domain_name: str,
) -> None:
    """One WebSocket connection to API `api_id` (`path`: the raw path after it)."""
    if (await receive())["type"] != "websocket.connect":
        return
    deployment = await services.apis.resolve(api_id, path)
    if deployment is None or deployment.path != "/" or not is_websocket(deployment.api):
        await _wait_refuse(send, 403, b'{"message":"Forbidden"}')
        return
    stage = deployment.stage.StageName
    headers = decoded_headers(scope)
    now = datetime.now(UTC)
    connected = Connected(
        api_id=api_id,
        stage=stage,
        connection_id=new_connection_id(),
        domain_name=domain_name,
        source_ip=(scope.get("client") or ("127.0.0.1", 0))[0],
        user_agent=next((v for k, v in headers if k == "user-agent"), None),
        connected_at=int(now.timestamp() * 1000),
        headers=headers,
        query=scope.get("query_string", b"").decode("latin-1"),
        stage_variables=deployment.stage.StageVariables,
    )
    route = _routes(deployment).get(CONNECT)
    outcome = Outcome(failed=False)  # (no $connect route: accepted)
    if route is not None:
        request_id = new_request_id()
        port = (scope.get("server") or ("", 80))[1]
        event = connect_event(connected, CONNECT, request_id, now, port)
        outcome = await _wait_integration(services, deployment, route, event, two_way=False)
        if outcome.failed:
            await _wait_refuse(send, 502, b'{"message": "Internal server error"}')
            return
        if not 200 <= outcome.status < 300:
            await _wait_refuse(send, outcome.status, b'{"message": "Forbidden"}')
            return
    accept: dict[str, Any] = {"type": "websocket.accept"}
    if subprotocol := _subprotocol(outcome.headers, headers):
        accept["subprotocol"] = subprotocol
    await send(accept)
    connection = Connection(
        connected.connection_id, api_id, stage, send, connected.source_ip,
        connected.user_agent, now,
    )  # fmt: skip
    connections.add(connection)
    try:
        code, reason = await _wait_messages(
            services, receive, connection, connected, api_id, path, deployment
        )
    finally:
        connection.closed = True
        connections.remove(connection)
    await _wait_disconnect(services, api_id, path, deployment, connected, code, reason)


async def _wait_messages(
    services: Services,
    receive: Receive,
    connection: Connection,
    connected: Connected,
    api_id: str,
    path: str,
    deployment: Deployment,
) -> tuple[int, str]:
    """Serve the client's messages until the connection closes; its close code and reason
    ($disconnect's disconnectStatusCode and disconnectReason)."""
    settings = services.settings
    ends = asyncio.get_running_loop().time() + settings.websocket_max_duration
    async with asyncio.TaskGroup() as tasks:
        while True:
            message = await _wait_receive(
                receive, connection, settings.websocket_idle_timeout, ends
            )
            if message is None:  # idle, or open too long: closed, as on AWS
                await connection.wait_close(1001, "Going away")
                return 1001, "Going away"
            if message["type"] == "websocket.disconnect":
                code = message.get("code", 1005)
                return code, connection.close_reason or _reason(code, message.get("reason"))
            body = message.get("text")
            data: str | bytes = body if body is not None else message.get("bytes") or b""
            if len(data.encode() if isinstance(data, str) else data) > MESSAGE_LIMIT:
                await connection.wait_close(1009, "Message too big")
                continue
            connection.touch()
            tasks.create_task(
                _wait_message(services, connection, connected, api_id, path, deployment, data)
            )


async def _wait_receive(
    receive: Receive, connection: Connection, idle_s: float, ends: float
) -> Message | None:
    """The next message from the client, or None once the connection has been idle (no
    message either way) for `idle_s` or has reached `ends` (loop time)."""
    loop = asyncio.get_running_loop()
    while True:
        idle_ends = (
            loop.time() + idle_s - (datetime.now(UTC) - connection.last_active_at).total_seconds()
        )
        deadline = min(idle_ends, ends)
        if deadline <= loop.time():
            return None
        try:
            async with asyncio.timeout_at(deadline):
                return await receive()
        except TimeoutError:
            continue  # (a post may have made it active meanwhile: the loop re-checks)


def _subprotocol(answered: Mapping[str, str], asked: Sequence[tuple[str, str]]) -> str | None:
    """The subprotocol the $connect function chose (its Sec-WebSocket-Protocol header), if
    the client offered it: browsers drop a connection whose answer names none of theirs."""
    chosen = answered.get("sec-websocket-protocol")
    offered = [p.strip() for k, v in asked if k == "sec-websocket-protocol" for p in v.split(",")]
    return chosen if chosen in offered else None


def _reason(code: int, given: str | None) -> str:
    if code == 1005:
        return "Client-side close frame status not set"
    return given or ""


async def _wait_refuse(send: Send, status: int, body: bytes) -> None:
    """The handshake refused with an HTTP answer (ASGI's websocket.http.response)."""
    headers = [*_JSON, (b"content-length", b"%d" % len(body))]
    await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
    await send({"type": "websocket.http.response.body", "body": body})


def _routes(deployment: Deployment) -> Mapping[str, Route]:
    return {r.RouteKey: r for r in deployment.routes}


async def _wait_current(
    services: Services, api_id: str, path: str, deployment: Deployment
) -> Deployment:
    """What the stage serves now (a new deployment applies to open connections' next
    messages), or, when the API or stage is gone, what it served at the handshake."""
    return await services.apis.resolve(api_id, path) or deployment


async def _wait_message(
    services: Services,
    connection: Connection,
    connected: Connected,
    api_id: str,
    path: str,
    deployment: Deployment,
    data: str | bytes,
) -> None:
    deployment = await _wait_current(services, api_id, path, deployment)
    routes = _routes(deployment)
    selected = select_route(deployment.api.RouteSelectionExpression, data)
    key = DEFAULT
    if selected is not None and selected in routes and selected not in (CONNECT, DISCONNECT):
        key = selected
    route = routes.get(key)
    request_id = new_request_id()
    try:
        if route is None:
            await connection.wait_send(_error_frame("Forbidden", connected, request_id))
            return
        event = message_event(connected, key, request_id, new_request_id(), datetime.now(UTC), data)
        two_way = route.RouteId in deployment.two_way
        outcome = await _wait_integration(services, deployment, route, event, two_way=two_way)
        if outcome.failed:
            frame: str | bytes | None = _error_frame("Internal server error", connected, request_id)
        else:
            frame = outcome.frame
        if frame is not None:
            await connection.wait_send(frame)
    except Closed:
        log.info("WebSocket %s: connection %s closed before its answer", api_id, connection.id)


def _error_frame(message: str, connected: Connected, request_id: str) -> str:
    return orjson.dumps(
        {"message": message, "connectionId": connected.connection_id, "requestId": request_id}
    ).decode()


async def _wait_disconnect(
    services: Services,
    api_id: str,
    path: str,
    deployment: Deployment,
    connected: Connected,
    code: int,
    reason: str,
) -> None:
    deployment = await _wait_current(services, api_id, path, deployment)
    route = _routes(deployment).get(DISCONNECT)
    if route is None:
        return
    event = disconnect_event(
        connected, DISCONNECT, new_request_id(), datetime.now(UTC), code, reason
    )
    await _wait_integration(services, deployment, route, event, two_way=False)


async def _wait_integration(
    services: Services,
    deployment: Deployment,
    route: Route,
    event: dict[str, Any],
    *,
    two_way: bool,
) -> Outcome:
    """Run a route's integration with `event`; what the connection makes of it is the
    caller's."""
    integration = deployment.integrations.get(route.integration_id or "")
    if integration is None:
        log.warning(
            "WebSocket API %s: route %s has no integration: answered as an error",
            deployment.api.ApiId, route.RouteKey,
        )  # fmt: skip
        return Outcome(failed=True)
    if integration.IntegrationType == "MOCK":  # websocket_mock.py
        responses = deployment.responses.get(integration.IntegrationId, ())
        try:
            status, frame = mock_answer(
                integration, responses, event.get("body") or "", event["requestContext"],
                deployment.stage.StageVariables,
            )  # fmt: skip
        except MockFailed as exc:
            log.warning("WebSocket API %s: MOCK integration: %s", deployment.api.ApiId, exc)
            return Outcome(failed=True)
        return Outcome(False, status, frame if two_way else None)
    return await _wait_lambda(services, deployment, route, integration, event, two_way)


async def _wait_lambda(
    services: Services,
    deployment: Deployment,
    route: Route,
    integration: Integration,
    event: dict[str, Any],
    two_way: bool,
) -> Outcome:
    function = function_ref(integration.IntegrationUri or "")
    settings = services.settings
    source = (
        f"arn:aws:execute-api:{settings.region}:{settings.account_id}:"
        f"{deployment.api.ApiId}/{deployment.stage.StageName}/{route.RouteKey}"
    )
    api_id = deployment.api.ApiId
    if not lets_gateway_invoke(services.functions, function, source, "WebSocket API", api_id):
        return Outcome(failed=True)
    try:
        result = await services.functions.invoke(function, orjson.dumps(event), trusted_json=True)
    except StratusError as exc:
        log.warning(
            "WebSocket API %s: invoking %s failed: %s: %s",
            deployment.api.ApiId, function.name, type(exc).__name__, exc.message,
        )  # fmt: skip
        return Outcome(failed=True)
    return _outcome(result, two_way)


def _outcome(result: InvokeResult, two_way: bool) -> Outcome:
    """A Lambda proxy answer: `{"statusCode", "body", "isBase64Encoded"}`, or any JSON
    value (a two-way route sends a string as it is, anything else as its JSON)."""
    if result.function_error:
        return Outcome(failed=True)
    try:
        answer = orjson.loads(result.payload) if result.payload else None
    except orjson.JSONDecodeError:
        return Outcome(failed=True)
    if not isinstance(answer, dict) or ("statusCode" not in answer and "body" not in answer):
        if answer is None or not two_way:
            return Outcome(failed=False)
        return Outcome(
            False, 200, answer if isinstance(answer, str) else orjson.dumps(answer).decode()
        )
    status = answer.get("statusCode", 200)
    if not isinstance(status, int):
        return Outcome(failed=True)
    given = answer.get("headers")
    headers = {str(k).lower(): str(v) for k, v in given.items()} if isinstance(given, dict) else {}
    body = answer.get("body")
    if not two_way or body is None:
        return Outcome(False, status, headers=headers)
    if not isinstance(body, str):
        body = orjson.dumps(body).decode()
    if answer.get("isBase64Encoded") is True:
        try:
            return Outcome(False, status, base64.b64decode(body, validate=True))
        except ValueError:
            return Outcome(failed=True)
    return Outcome(False, status, body)
