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
"""

from __future__ import annotations

import asyncio

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
