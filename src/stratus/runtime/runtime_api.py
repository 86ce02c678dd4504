"""The Lambda Runtime API (version 2018-06-01) that custom runtimes speak: one small HTTP server
per environment, on a loopback port (AWS_LAMBDA_RUNTIME_API=127.0.0.1:<port>).

    GET  /2018-06-01/runtime/invocation/next             200 the event, with headers
             Lambda-Runtime-Aws-Request-Id, Lambda-Runtime-Deadline-Ms (epoch ms),
             Lambda-Runtime-Invoked-Function-Arn, Lambda-Runtime-Trace-Id and, when the
             caller sent them, Lambda-Runtime-Client-Context, Lambda-Runtime-Cognito-Identity
    POST /2018-06-01/runtime/invocation/{id}/response    202 {"status": "OK"}
    POST /2018-06-01/runtime/invocation/{id}/error       202   (Lambda-Runtime-Function-Error-Type)
    POST /2018-06-01/runtime/init/error                  202

    refusals, as {"errorMessage", "errorType"}:
      400 InvalidRequestID             not the invocation in flight, or already answered
      400 InvalidFunctionResponseMode  Lambda-Runtime-Function-Response-Mode other than streaming
      403 InvalidStateTransition       e.g. /init/error after init, /next after an init error
      413 RequestEntityTooLarge        a buffered response over 6 MB (the invocation then fails
                                       with Function.ResponseSizeTooLarge)
      404 / 405                        no such path / method

The runtime's states are the Runtime Interface Emulator's:

    Started --/next--> Ready --event delivered--> Running --/response--> InvocationResponse
       |                 ^                          | (streamed: until the last chunk)  |
       |                 |                          +--/error--> InvocationErrorResponse --+
       |                 +----------/next---------- RuntimeResponseSentState <-------------+
       +--/init/error--> InitError          /next while Running hands out the same event again

A streamed response (Lambda-Runtime-Function-Response-Mode: streaming) is an HTTP/1.1 chunked
upload; its trailers Lambda-Runtime-Function-Error-Type / Lambda-Runtime-Function-Error-Body
(base64) report an error after the stream began.

The server never blocks the event loop and starts no tasks: httptools (llhttp, ~1 us a
request where h11 took ~40) parses in `data_received`; a waiting /next is answered the moment
the supervisor calls `deliver` (no task switch); all else reaches the supervisor as
`RuntimeEvent`s through one callback. While more than 64 KiB of streamed chunks wait to be
passed on, the runtime's upload is not read (backpressure).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import http
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import httptools
import orjson

from stratus.runtime.streaming import (
    BUFFERED_LIMIT_BYTES,
    STREAM_CONTENT_TYPE,
    STREAM_LIMIT_BYTES,
)

PREFIX = "/2018-06-01/runtime/"
PAUSE_ABOVE_BYTES = 64 * 1024
ERROR_TYPE = "lambda-runtime-function-error-type"
ERROR_BODY = "lambda-runtime-function-error-body"
RESPONSE_MODE = "lambda-runtime-function-response-mode"

STARTED, READY, RUNNING = "Started", "Ready", "Running"
RESPONDING, ERROR_RESPONDING = "InvocationResponse", "InvocationErrorResponse"
RESPONSE_SENT, INIT_ERROR = "RuntimeResponseSentState", "InitError"


@dataclass(frozen=True, slots=True)
class NextInvocation:
    """What /next hands the runtime."""

    request_id: str
    payload: bytes
    deadline_ms: int
    invoked_arn: str
    trace_id: str
    client_context: bytes | None = None  # JSON
    cognito_identity: bytes | None = None  # JSON


# -- what the supervisor hears ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Ready:
    """The runtime asked for its first event: the init phase is over."""


@dataclass(frozen=True, slots=True)
class InitFailed:
    payload: bytes  # the error, as Invoke returns it


@dataclass(frozen=True, slots=True)
class StreamStarted:
    request_id: str
    content_type: str


@dataclass(frozen=True, slots=True)
class Chunk:
    request_id: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Answered:
    """The invocation's outcome: a buffered result (ok), the end of a stream (ok, payload
    empty), or an error the runtime posted or the platform decided."""

    request_id: str
    payload: bytes
    ok: bool


@dataclass(frozen=True, slots=True)
class Truncated:
    """The runtime's connection closed in the middle of its answer."""

    request_id: str


RuntimeEvent = Ready | InitFailed | StreamStarted | Chunk | Answered | Truncated


def error_json(error_type: str, message: str) -> bytes:
    return orjson.dumps({"errorMessage": message, "errorType": error_type})


class RuntimeApi:
    """The Runtime API of one environment, and the state of its runtime.

    With `peer_uid` (the environment's own uid, when environments are confined), a connection
    from any other uid is closed before a byte is read: the port is on the host's loopback,
    where every local process can find it, but only its environment may use it."""

    def __init__(
        self, on_event: Callable[[RuntimeEvent], None], peer_uid: int | None = None
    ) -> None:
        self._emit = on_event
        self.peer_uid = peer_uid
        self.state = STARTED
        self._current: NextInvocation | None = None
        self._delivered = False
        self._answered = False
        self._waiters: list[_Connection] = []
        self._connections: set[_Connection] = set()
        self._server: asyncio.Server | None = None
        self._unread = 0  # streamed bytes the supervisor has not passed on yet
        self._paused: _Connection | None = None

    async def wait_listen(self) -> str:
        """Start listening; returns the address for AWS_LAMBDA_RUNTIME_API."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Connection(self), "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"127.0.0.1:{port}"

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for connection in list(self._connections):
            connection.abort()

    # -- supervisor side ---------------------------------------------------------------
    def deliver(self, invocation: NextInvocation) -> None:
        """Hand `invocation` to the runtime: now if it waits in /next, else at its next /next."""
        self._current = invocation
        self._delivered = self._answered = False
        if self.state == READY:
            self._hand_over_to_waiter()

    def consumed(self, size: int) -> None:
        """The supervisor passed on `size` streamed bytes; read on once it has caught up."""
        self._unread -= size
        if self._paused is not None and self._unread <= PAUSE_ABOVE_BYTES // 2:
            self._paused.resume()
            self._paused = None

    # -- runtime side ------------------------------------------------------------------
    def next(self, connection: _Connection) -> None:
        if self.state == RUNNING and self._current is not None:
            connection.send_event(self._current)  # asked again without answering: as the RIE
            return
        if self.state not in (STARTED, READY, RESPONSE_SENT):
            connection.reply_state_error(self.state, READY)
            return
        if self.state == STARTED:
            self.state = READY
            self._emit(Ready())
        self.state = READY
        self._waiters.append(connection)
        if self._current is not None and not self._delivered:
            self._hand_over_to_waiter()

    def begin_answer(self, connection: _Connection, request_id: str, kind: str) -> _Body:
        """A /response or /error post began; what reads its body."""
        current = self._current
        in_flight = current is not None and self._delivered and not self._answered
        if not in_flight or current is None or request_id != current.request_id:
            return _Refusal(connection, 400, "InvalidRequestID", "Invalid request ID")
        target = RESPONDING if kind == "response" else ERROR_RESPONDING
        if self.state != RUNNING:
            return _StateRefusal(connection, self.state, target)
        self.state = target
        if kind == "error":
            return _ErrorBody(self, connection, request_id)
        mode = connection.header(RESPONSE_MODE)
        if mode is None:
            return _BufferedBody(self, connection, request_id)
        if mode != "streaming":
            return _InvalidMode(self, connection, request_id, mode)
        content_type = connection.header("content-type") or STREAM_CONTENT_TYPE
        self._emit(StreamStarted(request_id, content_type))
        return _StreamedBody(self, connection, request_id)

    def begin_init_error(self, connection: _Connection) -> _Body:
        if self.state != STARTED:
            return _StateRefusal(connection, self.state, INIT_ERROR)
        self.state = INIT_ERROR
        return _InitErrorBody(self, connection)

    def answer(self, request_id: str, payload: bytes, ok: bool) -> None:
        self.state = RESPONSE_SENT
        self._answered = True
        self._emit(Answered(request_id, payload, ok))

    def stream_chunk(self, connection: _Connection, request_id: str, data: bytes) -> None:
        self._emit(Chunk(request_id, data))
        self._unread += len(data)
        if self._unread > PAUSE_ABOVE_BYTES and self._paused is None:
            self._paused = connection
            connection.pause()

    def init_failed(self, payload: bytes) -> None:
        self._emit(InitFailed(payload))

    def lost(self, connection: _Connection) -> None:
        self._connections.discard(connection)
        if connection in self._waiters:
            self._waiters.remove(connection)
        if self._paused is connection:
            self._paused = None
        body = connection.body
        answering = self.state in (RESPONDING, ERROR_RESPONDING)
        if body is not None and body.answers is not None and answering:
            self.state = RESPONSE_SENT  # as the RIE: the runtime may go on with /next
            self._answered = True
            self._emit(Truncated(body.answers))

    def _hand_over_to_waiter(self) -> None:
        if not self._waiters or self._current is None:
            return
        connection = self._waiters.pop(0)
        self.state = RUNNING
        self._delivered = True
        connection.send_event(self._current)


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection from the runtime (curl makes one per request; awslambdaric and
    http.client keep one alive). Requests are answered in order, one at a time: runtimes
    wait for each answer, so a request pipelined behind an unanswered one closes the
    connection."""

    def __init__(self, api: RuntimeApi) -> None:
        self._api = api
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._url = b""
        self._headers: dict[str, str] = {}
        self._trailers: dict[str, str] = {}
        self._in_body = False
        self._busy = False  # a request is in, its answer not yet out
        self._keep_alive = True
        self._closing = False
        self.body: _Body | None = None

    # -- asyncio.Protocol --------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self._api._connections.add(self)
        expected = self._api.peer_uid
        if expected is not None and loopback_peer_uid(transport) != expected:
            self._closing = True
            self._transport.abort()

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            if not self._busy:
                self._keep_alive = False
                self.reply(400, b"", content_type=b"text/plain")
            self.abort()

    def eof_received(self) -> bool:
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._api.lost(self)

    # -- httptools callbacks -----------------------------------------------------------
    def on_message_begin(self) -> None:
        if self._busy:  # pipelined: see the class docstring
            self.abort()
        self._url = b""
        self._headers = {}
        self._trailers = {}
        self._in_body = False

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        fields = self._trailers if self._in_body else self._headers
        fields[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        if self._closing:
            return
        self._in_body = True
        self._busy = True
        self._keep_alive = self._parser.should_keep_alive()
        if self._headers.get("expect", "").lower() == "100-continue" and self._transport:
            self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.body = self._route(self._parser.get_method().decode("latin-1"))

    def on_body(self, body: bytes) -> None:
        if self.body is not None:
            self.body.data(body)

    def on_message_complete(self) -> None:
        body, self.body = self.body, None
        if body is not None and not self._closing:
            body.end(self._trailers)

    def _route(self, method: str) -> _Body:
        api = self._api
        path = self._url.split(b"?", 1)[0].decode("latin-1")
        rest = path.removeprefix(PREFIX) if path.startswith(PREFIX) else None
        if rest == "invocation/next":
            return _NextRequest(api, self) if method == "GET" else _MethodRefusal(self)
        if rest == "init/error":
            return api.begin_init_error(self) if method == "POST" else _MethodRefusal(self)
        if rest is not None and rest.startswith("invocation/") and rest.count("/") == 2:
            _, request_id, kind = rest.split("/")
            if kind not in ("response", "error"):
                return _NotFound(self)
            if method != "POST":
                return _MethodRefusal(self)
            return api.begin_answer(self, request_id, kind)
        return _NotFound(self)

    def header(self, name: str) -> str | None:
        return self._headers.get(name)

    # -- responses ---------------------------------------------------------------------
    def send_event(self, invocation: NextInvocation) -> None:
        headers = [
            (b"Content-Type", b"application/json"),
            (b"Lambda-Runtime-Aws-Request-Id", invocation.request_id.encode()),
            (b"Lambda-Runtime-Deadline-Ms", str(invocation.deadline_ms).encode()),
            (b"Lambda-Runtime-Invoked-Function-Arn", invocation.invoked_arn.encode()),
            (b"Lambda-Runtime-Trace-Id", invocation.trace_id.encode()),
        ]
        if invocation.client_context is not None:
            headers.append((b"Lambda-Runtime-Client-Context", invocation.client_context))
        if invocation.cognito_identity is not None:
            headers.append((b"Lambda-Runtime-Cognito-Identity", invocation.cognito_identity))
        self.reply(200, invocation.payload, headers)

    def reply_error(self, status: int, error_type: str, message: str) -> None:
        self.reply(status, error_json(error_type, message))

    def reply_state_error(self, state: str, target: str) -> None:
        self.reply_error(
            403,
            "InvalidStateTransition",
            f"State transition from {state} to {target} failed for runtime. "
            "Error: State transition is not allowed",
        )

    def reply(
        self,
        status: int,
        body: bytes,
        headers: list[tuple[bytes, bytes]] | None = None,
        content_type: bytes = b"application/json",
    ) -> None:
        """The whole answer to the request in hand; the connection then takes the next."""
        if self._transport is None or self._closing:
            return
        head = [b"HTTP/1.1 %d %s\r\n" % (status, _PHRASES[status])]
        for name, value in headers or [(b"Content-Type", content_type)]:
            head.append(b"%s: %s\r\n" % (name, value))
        head.append(b"Content-Length: %d\r\n" % len(body))
        if not self._keep_alive:
            head.append(b"Connection: close\r\n")
        self._transport.write(b"".join(head) + b"\r\n" + body)
        self._busy = False
        if not self._keep_alive:
            self.abort()

    def pause(self) -> None:
        if self._transport is not None:
            self._transport.pause_reading()

    def resume(self) -> None:
        if self._transport is not None:
            self._transport.resume_reading()

    def abort(self) -> None:
        self._closing = True
        if self._transport is not None:
            self._transport.close()


def loopback_peer_uid(transport: asyncio.BaseTransport) -> int | None:
    """The uid owning the other end of a loopback TCP connection, from /proc/net/tcp (the
    kernel's socket table lists each socket's owner). Costs ~0.1 ms per connection; runtimes
    keep theirs open."""
    peer = transport.get_extra_info("peername")
    local = transport.get_extra_info("sockname")
    if not peer or not local:
        return None
    wanted = (_proc_address(peer[0], peer[1]), _proc_address(local[0], local[1]))
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            fields = line.split()
            if (fields[1], fields[2]) == wanted:
                return int(fields[7])
    return None


def _proc_address(host: str, port: int) -> str:
    """/proc/net/tcp's spelling of an IPv4 address: the bytes in host order, in hex."""
    return f"{int.from_bytes(socket.inet_aton(host), 'little'):08X}:{port:04X}"


_PHRASES = {status.value: status.phrase.encode() for status in http.HTTPStatus}


# -- request bodies ------------------------------------------------------------------------
class _Body:
    """Reads one request's body; `end` answers it."""

    answers: str | None = None  # the request id whose answer this body is

    def __init__(self, connection: _Connection) -> None:
        self.connection = connection

    def data(self, data: bytes) -> None:
        """Bodies nobody needs are read and dropped."""

    def end(self, trailers: dict[str, str]) -> None:
        raise NotImplementedError


class _NextRequest(_Body):
    def __init__(self, api: RuntimeApi, connection: _Connection) -> None:
        super().__init__(connection)
        self._api = api

    def end(self, trailers: dict[str, str]) -> None:
        self._api.next(self.connection)


class _Refusal(_Body):
    def __init__(self, connection: _Connection, status: int, error_type: str, message: str):
        super().__init__(connection)
        self._reply = (status, error_type, message)

    def end(self, trailers: dict[str, str]) -> None:
        self.connection.reply_error(*self._reply)


class _StateRefusal(_Body):
    def __init__(self, connection: _Connection, state: str, target: str) -> None:
        super().__init__(connection)
        self._transition = (state, target)

    def end(self, trailers: dict[str, str]) -> None:
        self.connection.reply_state_error(*self._transition)


class _NotFound(_Body):
    def end(self, trailers: dict[str, str]) -> None:
        self.connection.reply(404, b"404 page not found\n", content_type=b"text/plain")


class _MethodRefusal(_Body):
    def end(self, trailers: dict[str, str]) -> None:
        self.connection.reply(405, b"", content_type=b"text/plain")


class _Collected(_Body):
    """A body kept in memory up to `limit` bytes; past it, counted and dropped."""

    limit = BUFFERED_LIMIT_BYTES

    def __init__(self, api: RuntimeApi, connection: _Connection, request_id: str = "") -> None:
        super().__init__(connection)
        self.api = api
        self.answers = request_id or None
        self.buffer = bytearray()
        self.size = 0

    def data(self, data: bytes) -> None:
        self.size += len(data)
        if self.size <= self.limit:
            self.buffer += data


class _BufferedBody(_Collected):
    def end(self, trailers: dict[str, str]) -> None:
        assert self.answers is not None
        if self.size > self.limit:
            self.connection.reply_error(
                413,
                "RequestEntityTooLarge",
                f"Exceeded maximum allowed payload size ({self.limit} bytes).",
            )
            self.api.answer(self.answers, _too_large(self.size, self.limit), ok=False)
            return
        self.connection.reply(202, b'{"status":"OK"}')
        self.api.answer(self.answers, bytes(self.buffer), ok=True)


class _ErrorBody(_Collected):
    def end(self, trailers: dict[str, str]) -> None:
        assert self.answers is not None
        error_type = self.connection.header(ERROR_TYPE) or ""
        self.connection.reply(202, b'{"status":"OK"}')
        self.api.answer(self.answers, _error_payload(error_type, bytes(self.buffer)), ok=False)


class _InitErrorBody(_Collected):
    def end(self, trailers: dict[str, str]) -> None:
        error_type = self.connection.header(ERROR_TYPE) or ""
        self.connection.reply(202, b'{"status":"OK"}')
        self.api.init_failed(_error_payload(error_type, bytes(self.buffer)))


class _InvalidMode(_Collected):
    def __init__(self, api: RuntimeApi, connection: _Connection, request_id: str, mode: str):
        super().__init__(api, connection, request_id)
        self._mode = mode

    def end(self, trailers: dict[str, str]) -> None:
        assert self.answers is not None
        self.connection.reply_error(
            400, "InvalidFunctionResponseMode", "Invalid function response mode"
        )
        message = f"Invalid Lambda-Runtime-Function-Response-Mode {self._mode!r}: use streaming"
        self.api.answer(
            self.answers, error_json("Runtime.InvalidResponseModeHeader", message), ok=False
        )


class _StreamedBody(_Body):
    def __init__(self, api: RuntimeApi, connection: _Connection, request_id: str) -> None:
        super().__init__(connection)
        self._api = api
        self.answers = request_id
        self._size = 0

    def data(self, data: bytes) -> None:
        self._size += len(data)
        if self._size <= STREAM_LIMIT_BYTES:
            self._api.stream_chunk(self.connection, self.answers or "", data)

    def end(self, trailers: dict[str, str]) -> None:
        request_id = self.answers or ""
        if self._size > STREAM_LIMIT_BYTES:
            self.connection.reply_error(
                413,
                "RequestEntityTooLarge",
                f"Exceeded maximum allowed payload size ({STREAM_LIMIT_BYTES} bytes).",
            )
            self._api.answer(request_id, _too_large(self._size, STREAM_LIMIT_BYTES), ok=False)
            return
        self.connection.reply(202, b'{"status":"OK"}')
        error_type = trailers.get(ERROR_TYPE)
        if error_type is None:
            self._api.answer(request_id, b"", ok=True)
            return
        body = trailers.get(ERROR_BODY, "")
        try:
            decoded = base64.b64decode(body, validate=True)
        except binascii.Error:
            decoded = body.encode()
        self._api.answer(request_id, _error_payload(error_type, decoded), ok=False)


def _too_large(size: int, limit: int) -> bytes:
    return error_json(
        "Function.ResponseSizeTooLarge",
        f"Response payload size ({size} bytes) exceeded maximum allowed payload size "
        f"({limit} bytes).",
    )


def _error_payload(error_type: str, body: bytes) -> bytes:
    """What Invoke returns for an error the runtime reported: its body as posted (the error
    JSON), or, if it posted none, a minimal one of the type it named."""
    if body.strip():
        return body
    return error_json(error_type or "Runtime.Unknown", "")
