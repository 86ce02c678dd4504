"""The Lambda event a WebSocket API sends, for its three kinds of event (pure).

As AWS's examples show it ("Set up a Lambda proxy integration for WebSocket APIs", and the
events API Gateway sends), every event carries `requestContext` and `isBase64Encoded`:

    requestContext   routeKey, eventType (CONNECT | MESSAGE | DISCONNECT), connectionId,
                     messageId (MESSAGE only), extendedRequestId, requestId, requestTime,
                     requestTimeEpoch, messageDirection "IN", stage, connectedAt (ms),
                     identity {sourceIp, userAgent (CONNECT, DISCONNECT)}, domainName, apiId
    CONNECT          headers, multiValueHeaders (names in the case clients send them,
                     `Sec-WebSocket-Key`; Connection and Upgrade left out and
                     X-Forwarded-For/-Port/-Proto added, as API Gateway does),
                     queryStringParameters and multiValueQueryStringParameters (when the
                     handshake had a query)
    MESSAGE          body (text as sent; a binary frame base64-encoded, isBase64Encoded true)
    DISCONNECT       headers, multiValueHeaders; disconnectStatusCode, disconnectReason
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from stratus.gateway.events import epoch_ms, request_time


@dataclass(frozen=True, slots=True)
class Connected:
    """What every event of one connection shares."""

    api_id: str
    stage: str
    connection_id: str
    domain_name: str
    source_ip: str
    user_agent: str | None
    connected_at: int  # epoch ms
    headers: tuple[tuple[str, str], ...]  # the handshake's
    query: str  # the handshake's raw query string
    stage_variables: Mapping[str, str]


def _context(
    connected: Connected, route_key: str, kind: str, request_id: str, at: datetime
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "routeKey": route_key,
        "eventType": kind,
        "extendedRequestId": request_id,
        "requestTime": request_time(at),
        "messageDirection": "IN",
        "stage": connected.stage,
        "connectedAt": connected.connected_at,
        "requestTimeEpoch": epoch_ms(at),
        "identity": {"sourceIp": connected.source_ip},
        "requestId": request_id,
        "domainName": connected.domain_name,
        "connectionId": connected.connection_id,
        "apiId": connected.api_id,
    }
    if kind != "MESSAGE":
        context["identity"]["userAgent"] = connected.user_agent
    return context


def _with_stage_variables(event: dict[str, Any], connected: Connected) -> dict[str, Any]:
    if connected.stage_variables:
        event["stageVariables"] = dict(connected.stage_variables)
    return event


def _headers(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        multi.setdefault(name, []).append(value)
    return {"headers": {k: v[-1] for k, v in multi.items()}, "multiValueHeaders": multi}


# The gateway's own hop-by-hop headers, and the ones it sets itself.
_LEFT_OUT = frozenset({"connection", "upgrade", "x-forwarded-for", "x-forwarded-port",
                       "x-forwarded-proto"})  # fmt: skip
_NAMES = {  # names whose usual case is not one capital per dash-separated word
    "sec-websocket-key": "Sec-WebSocket-Key",
    "sec-websocket-version": "Sec-WebSocket-Version",
    "sec-websocket-extensions": "Sec-WebSocket-Extensions",
    "sec-websocket-protocol": "Sec-WebSocket-Protocol",
    "x-amzn-trace-id": "X-Amzn-Trace-Id",
}


def header_name(name: str) -> str:
    """A lower-cased header name (as ASGI gives them) in the case clients send it."""
    return _NAMES.get(name) or "-".join(p[:1].upper() + p[1:] for p in name.split("-"))


def connect_event(
    connected: Connected, route_key: str, request_id: str, at: datetime, port: int
) -> dict[str, Any]:
    forwarded = next((v for k, v in connected.headers if k == "x-forwarded-for"), None)
    pairs = [(header_name(k), v) for k, v in connected.headers if k not in _LEFT_OUT]
    pairs += [
        (
            "X-Forwarded-For",
            f"{forwarded}, {connected.source_ip}" if forwarded else connected.source_ip,
        ),
        ("X-Forwarded-Port", str(port)),
        ("X-Forwarded-Proto", "http"),
    ]
    event = _headers(pairs)
    if connected.query:
        multi: dict[str, list[str]] = {}
        for name, value in parse_qsl(connected.query, keep_blank_values=True):
            multi.setdefault(name, []).append(value)
        event["queryStringParameters"] = {k: v[-1] for k, v in multi.items()}
        event["multiValueQueryStringParameters"] = multi
    event["requestContext"] = _context(connected, route_key, "CONNECT", request_id, at)
    event["isBase64Encoded"] = False
    return _with_stage_variables(event, connected)


def message_event(
    connected: Connected,
    route_key: str,
    request_id: str,
    message_id: str,
    at: datetime,
    body: str | bytes,
) -> dict[str, Any]:
    context = _context(connected, route_key, "MESSAGE", request_id, at)
    context["messageId"] = message_id
    binary = isinstance(body, bytes)
    text = base64.b64encode(body).decode("ascii") if isinstance(body, bytes) else body
    event = {"requestContext": context, "body": text, "isBase64Encoded": binary}
    return _with_stage_variables(event, connected)


def disconnect_event(
    connected: Connected,
    route_key: str,
    request_id: str,
    at: datetime,
    code: int,
    reason: str,
) -> dict[str, Any]:
    host = next((v for k, v in connected.headers if k.lower() == "host"), "")
    event = _headers((("Host", host), ("x-api-key", ""), ("X-Forwarded-For", "")))
    context = _context(connected, route_key, "DISCONNECT", request_id, at)
    context["disconnectStatusCode"] = code
    context["disconnectReason"] = reason
    event["requestContext"] = context
    event["isBase64Encoded"] = False
    return _with_stage_variables(event, connected)
