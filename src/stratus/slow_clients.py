"""Deadlines for clients that send slowly: uvicorn's HTTP protocol with read timers.

uvicorn closes a keep-alive connection idle between requests, but a client that connects and
sends nothing, sends a request line and headers a byte at a time, or stops half-way through
its body holds a connection (and, for a body, the request's task) for ever. Each of these gets
a deadline here, as nginx's client_header_timeout and client_body_timeout do:

    connected, or a request begun   -> the whole header block within `header_s`
    headers complete, body pending  -> each piece of the body within `body_s` of the last
    request complete                -> no deadline: the handler may run for 15 minutes

Past a deadline the client gets `408 Request Timeout` (connection: close) if no answer has
started, and the connection is closed. The timers are plain loop timers, re-armed per chunk,
not a task per connection.

The same protocol joins each answer's status line and headers to its body: uvicorn writes them
apart, and on loopback each write is a segment that wakes the client (a syscall and a
scheduler wake-up, the largest single cost of a small AWS answer). The headers are held until
the body's first write, or the end of the loop's current step if none comes (HEAD, 100-continue,
a streamed answer's first chunk later).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

_REQUEST_TIMEOUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 34\r\nconnection: close\r\n\r\nThe request was not sent in time.\n"
)


def protocol_with_deadlines(header_s: float, body_s: float) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol, with these deadlines (uvicorn.Config(http=...))."""

    class ReadDeadlines(HttpToolsProtocol):
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm(header_s)

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._arm(header_s)

        def on_headers_complete(self) -> None:
            super().on_headers_complete()
            self._arm(body_s)
            if self.cycle is not None:
                self.cycle.transport = _HeldHeaders(self.transport, self.loop)

        def on_body(self, body: bytes) -> None:
            super().on_body(body)
            self._arm(body_s)

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._disarm()

        def _arm(self, seconds: float) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(seconds, self._too_slow)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _too_slow(self) -> None:
            self._deadline = None
            if self.transport.is_closing():
                return
            if self.cycle is None or not self.cycle.response_started:
                self.transport.write(_REQUEST_TIMEOUT)
            self.transport.close()

    return ReadDeadlines


_JOIN_LIMIT = 64 * 1024  # a larger body is written on its own rather than copied


class _HeldHeaders(asyncio.Transport):
    """The transport as one answer sees it: its first write (the status line and headers) is
    held and sent with the next write, or at the end of the loop's step."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None
        self._started = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        held = self._held
        if held is not None:
            self._held = None
            if len(data) <= _JOIN_LIMIT:
                self._transport.write(held + bytes(data))
                return
            self._transport.write(held)
        elif not self._started:
            self._started = True
            self._held = bytes(data)
            self._loop.call_soon(self.flush)
            return
        self._transport.write(data)

    def flush(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            self._transport.write(held)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)
