"""ASGI plumbing shared by the gateway's front doors (HTTP APIs, function URLs): the
request's size limits, reading its body, and sending an `HttpResponse`.

Header quota: API Gateway refuses a request whose request line and header values add up
to more than 10,240 bytes ("Total combined size of request line and header values",
HTTP API and REST API quotas). What it answers is not documented; Stratus answers 431
Request Header Fields Too Large, with each gateway's own JSON body. Function URLs have no
documented figure: Stratus applies the same one rather than passing any size through.
The request line is counted as AWS would see it (`GET /path?query HTTP/1.1`, the path
inside the API or URL, without Stratus's `/_aws/...` prefix). The HTTP server (uvicorn
with httptools) has no header limit of its own, so a request gets this 431 however big its
headers are, once they have arrived.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, MutableMapping
from typing import Any

from stratus.gateway.responses import HttpResponse

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

HEADER_LIMIT = 10_240  # bytes: the request line plus the header values


def headers_too_large(scope: Scope, path: str) -> bool:
    """Whether the request is over API Gateway's header quota; `path` is the raw path
    inside the API or URL."""
    size = len(scope["method"]) + len(path) + len(" HTTP/1.1") + 1
    query = scope.get("query_string", b"")
    if query:
        size += len(query) + 1  # the "?"
    for _, value in scope["headers"]:
        size += len(value)
    return size > HEADER_LIMIT


async def wait_body(scope: Scope, receive: Receive, limit: int) -> bytes | None:
    """The request body, or None when it is (or declares to be) over `limit` bytes; an
    oversized body is refused before it is all read."""
    declared = next((v for k, v in scope["headers"] if k == b"content-length"), b"0")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def encode_headers(
    headers: tuple[tuple[str, str], ...],
    request_id: tuple[bytes, bytes],
    dropped: Collection[str],
) -> list[tuple[bytes, bytes]]:
    """A response's headers for the ASGI server: names lower-cased, values in latin-1
    (other characters as `?`), those named in `dropped` (lower case) left out because the
    gateway sets them itself, and the gateway's request-id header (name, value) last."""
    encoded = [
        (name.encode("latin-1"), v.encode("latin-1", "replace"))
        for k, v in headers
        if (name := k.lower()) not in dropped
    ]
    encoded.append(request_id)
    return encoded


async def wait_send(
    send: Send,
    response: HttpResponse,
    request_id: tuple[bytes, bytes],
    dropped: Collection[str] = ("content-length",),
) -> None:
    """Send a whole response: its headers as `encode_headers` makes them, then
    Content-Length for its body."""
    headers = encode_headers(response.headers, request_id, dropped)
    headers.append((b"content-length", b"%d" % len(response.body)))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
