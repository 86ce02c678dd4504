"""Request bodies, size-checked while they stream.

A body is refused the moment it passes its limit: at once when its Content-Length declares
more, else (chunked, or a client that lies) as soon as the bytes received pass it, so an
oversized body never sits in memory. The error is TooLarge; each API's error table names it
(Lambda's RequestEntityTooLargeException 413, the query protocol's RequestEntityTooLarge).
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator

from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect
from starlette.types import Receive

from stratus.errors import Malformed, TooLarge


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


def decoded(body: bytes, headers: Headers, limit: int, what: str) -> bytes:
    """The body as sent before its `Content-Encoding: gzip` (botocore compresses the
    operations whose model asks for it, e.g. CloudWatch's PutMetricData past 10 KB),
    refused once the inflated bytes pass `limit`, so a small bomb stays small."""
    encoding = headers.get("content-encoding", "").lower()
    if "gzip" not in encoding:
        return body
    inflater = zlib.decompressobj(wbits=31)
    try:
        inflated = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise Malformed(f"The request body is not valid gzip: {exc}") from exc
    if len(inflated) > limit or inflater.unconsumed_tail:
        raise too_large(limit, what)
    return inflated


def too_large(limit: int, what: str) -> TooLarge:
    return TooLarge(f"Request must be smaller than {limit} bytes for {what}")


class BodyStream:
    """A request body handed over unread, for operations that stream it to its destination
    (S3's PutObject and UploadPart write it to a file as it arrives): an async iterator of
    its chunks. The service bounds its size; a client that goes away mid-body ends the
    iteration with ClientDisconnect, so a half-received body is never taken for a whole one."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self.trailers: dict[str, str] = {}
        self.ended = False  # the whole body was received

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while not self.ended:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect()
            chunk = message.get("body", b"")
            self.ended = not message.get("more_body", False)
            if chunk:
                yield chunk

    async def wait_drain(self, limit: int) -> bool:
        """Read and drop what is left of the body (an answer given before it was read, e.g.
        NoSuchBucket), at most `limit` bytes: the connection can then serve the next
        request. False when more was left: the connection must close instead."""
        read = 0
        async for chunk in self:
            read += len(chunk)
            if read > limit:
                return False
        return True
