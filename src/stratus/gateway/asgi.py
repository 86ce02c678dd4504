"""Small ASGI helpers shared by the gateway's front doors (HTTP APIs, function URLs)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]


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
