"""The supervisor's end of an environment's control socket: length-prefixed frames.

    frame = u32 header_length | u32 body_length | header (JSON object) | body (bytes)

(drawn in full in lib/bootstrap.py). An asyncio Protocol, not a StreamReader: the runtime
sends each frame with one sendall, so it nearly always arrives in one read, and handing the
parsed frame to the one waiter costs the event loop a future, where reading it through
StreamReader.readexactly (prefix, then the rest) cost two calls of its Python-level
machinery per frame, on every invocation's critical path (docs/design.md, issue 15).
"""

from __future__ import annotations

import asyncio
import collections
import socket
import struct
from typing import cast

import orjson

FRAME = struct.Struct(">II")
Frame = tuple[dict[str, object], bytes]
# Bytes read ahead while nobody waits for a frame, as StreamReader's limit did: past it,
# reading pauses until the next wait_frame, so an environment writing frames between
# invocations (user code can reach the socket) blocks instead of filling the server.
READ_AHEAD = 256 * 1024


class FrameChannel(asyncio.Protocol):
    """Frames in and out of one control socket; one reader waits at a time."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._frames: collections.deque[Frame] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None
        self._lost: BaseException | None = None  # why no more frames will come
        self._paused = False

    # -- asyncio.Protocol ---------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # (uvloop's transports implement asyncio.Transport without subclassing it)
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        while len(buffer) >= FRAME.size:
            header_len, body_len = FRAME.unpack_from(buffer)
            end = FRAME.size + header_len + body_len
            if len(buffer) < end:
                break
            header = orjson.loads(buffer[FRAME.size : FRAME.size + header_len])
            self._frames.append((header, bytes(buffer[FRAME.size + header_len : end])))
            del buffer[:end]
        if self._frames:
            self._wake()
        if self._waiter is None and (self._frames or len(buffer) > READ_AHEAD):
            self._pause()

    def connection_lost(self, exc: Exception | None) -> None:
        # As StreamReader.readexactly says it: EOF mid-frame or before one is an
        # IncompleteReadError; a reset is the ConnectionError it was.
        if isinstance(exc, ConnectionError):
            self._lost = exc
        else:
            self._lost = asyncio.IncompleteReadError(bytes(self._buffer), None)
        self._wake()

    # -- the supervisor's side ------------------------------------------------------------
    async def wait_frame(self) -> Frame:
        """The next frame; IncompleteReadError or ConnectionError once the socket is gone."""
        assert self._waiter is None, "one reader waits at a time"
        while not self._frames:
            if self._lost is not None:
                raise self._lost
            self._resume()
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._frames.popleft()

    def send(self, header: dict[str, object], body: bytes) -> None:
        assert self._transport is not None
        raw = orjson.dumps(header)
        self._transport.write(FRAME.pack(len(raw), len(body)) + raw + body)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def _pause(self) -> None:
        if not self._paused and self._transport is not None:
            self._paused = True
            self._transport.pause_reading()

    def _resume(self) -> None:
        if self._paused and self._transport is not None:
            self._paused = False
            self._transport.resume_reading()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


async def wait_connect(sock: socket.socket) -> FrameChannel:
    """A channel on a connected Unix socket (the parent's end of a socketpair)."""
    loop = asyncio.get_running_loop()
    _, channel = await loop.create_unix_connection(FrameChannel, sock=sock)
    return channel
