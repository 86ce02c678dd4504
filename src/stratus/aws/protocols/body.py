"""Request bodies, size-checked while they stream.

A body is refused the moment it passes its limit: at once when its Content-Length declares
more, else (chunked, or a client that lies) as soon as the bytes received pass it, so an
oversized body never sits in memory. The error is TooLarge; each API's error table names it
(Lambda's RequestTooLargeException 413, the query protocol's RequestEntityTooLarge).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import Receive

from stratus.errors import TooLarge


async def wait_body(receive: Receive, headers: Headers, limit: int, what: str) -> bytes:
    """The whole request body, refused as soon as it declares or reaches more than `limit`.
    `what` names the call in the message ("this operation", "CreateFunction")."""
    declared = headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large(limit, what)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large(limit, what)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def too_large(limit: int, what: str) -> TooLarge:
    return TooLarge(f"Request must be smaller than {limit} bytes for {what}")
