"""The Lambda event a WebSocket API sends, for its three kinds of event (pure).

As AWS's examples show it ("Set up a Lambda proxy integration for WebSocket APIs", and the
events API Gateway sends), every event carries `requestContext` and `isBase64Encoded`:

    requestContext   routeKey, eventType (CONNECT | MESSAGE | DISCONNECT), connectionId,
                     messageId (MESSAGE only), extendedRequestId, requestId, requestTime,
                     requestTimeEpoch, messageDirection "IN", stage, connectedAt (ms),
                     identity {sourceIp, userAgent (CONNECT, DISCONNECT)}, domainName, apiId
    CONNECT          headers, multiValueHeaders, queryStringParameters and
                     multiValueQueryStringParameters (when the handshake had a query)
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


def connect_event(
    connected: Connected, route_key: str, request_id: str, at: datetime
) -> dict[str, Any]:
    event = _headers(connected.headers)
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
