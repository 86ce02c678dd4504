"""The one request pipeline of the gateway's three front doors: HTTP APIs (http_api.py),
REST APIs (rest.py) and function URLs (function_urls.py).

Per request, whatever the door (`wait_serve`):

    header quota: request line + header values over 10,240 bytes    the door's 431
    the door's own steps (resolve, route, authorize, ...), which
      read the body with `wait_body`: over the door's payload limit   the door's 413, the
      (declared or counted while it streams, sized or chunked)        moment the limit passes
    the integration (`wait_invoke`): the function runs in the
      request's task; past the integration's timeout a timer sends    the door's 503 / 504
      the late answer at once from a task of the request's group,
      and the function's own answer is then dropped
    Lambda refusing the call (a StratusError)                         the door's `refused`
    everything answered through one `Reply`: sent once, with the
      door's request-id header, its extra headers and CORS

The invocation outlives a late answer, as on AWS: leaving the request's TaskGroup waits for
it (cancelling it would strand its environment, which the invoker cannot take back
mid-invocation).

Header quota: API Gateway refuses a request whose request line and header values add up to
more than 10,240 bytes ("Total combined size of request line and header values", HTTP API
and REST API quotas). What it answers is not documented; Stratus answers 431 Request Header
Fields Too Large with each door's own JSON body. Function URLs have no documented figure:
they get the same one rather than passing any size through. The request line is counted as
AWS would see it (`GET /path?query HTTP/1.1`, the path inside the API or URL, without
Stratus's `/_aws/...` prefix). The HTTP server (uvicorn with httptools) has no header limit
of its own, so a request gets this 431 however big its headers are, once they have arrived.

Connection timeouts: uvicorn offers one, `timeout_keep_alive` (an idle keep-alive connection
is closed after 5 s); it has no timeout for a client slow to send its headers or body, so
such a client holds its connection until it finishes or goes away.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass

from starlette.types import Receive, Scope, Send

from stratus.apis.shape import function_of
from stratus.errors import StratusError
from stratus.functions.names import FunctionRef, parse_reference
from stratus.functions.service import FunctionService
from stratus.gateway.responses import Flavor, HttpResponse, http_response
from stratus.runtime.spec import InvokeResult
from stratus.runtime.streaming import ResponseStream

log = logging.getLogger(__name__)
HEADER_LIMIT = 10_240  # bytes: the request line plus the header values
Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Door:
    """What differs between the front doors: their limits, answers and headers."""

    name: str  # for the log
    request_id_header: bytes  # b"apigw-requestid" (HTTP APIs), b"x-amzn-requestid"
    payload_limit: int  # bytes of request body
    too_large: HttpResponse  # the body is over payload_limit
    headers_too_large: HttpResponse  # over HEADER_LIMIT
    internal: HttpResponse  # a refusal `refusals` does not name
    # Lambda's refusals (Throttled, TooLarge...) and the answer for each.
    refusals: tuple[tuple[type[StratusError], HttpResponse], ...] = ()
    # Response headers the gateway sets itself, so the function's are dropped.
    dropped: Collection[str] = ("content-length",)

    def refused(self, exc: StratusError) -> HttpResponse:
        """The answer when Lambda refuses the call (or the API is gone mid-request)."""
        for kind, response in self.refusals:
            if isinstance(exc, kind):
                return response
        log.warning("%s: the request failed: %s: %s", self.name, type(exc).__name__, exc.message)
        return self.internal


class BodyTooLarge(Exception):
    """The request body is over the door's limit (`wait_serve` answers the door's 413)."""


@dataclass(slots=True, eq=False)
class Reply:
    """The one answer to a request, sent once: by the request's task, or by `send_soon`
    (the integration timeout's answer) from a task of the request's group."""

    door: Door
    send: Send
    request_id: str
    tasks: asyncio.TaskGroup  # the request's: invocations outlive the answer in it
    headers: Headers = ()  # added to every answer (REST APIs: x-amz-apigw-id)
    # Applied to every answer once the API's CORS configuration is known.
    cors: Callable[[HttpResponse], HttpResponse] | None = None
    sent: bool = False

    def send_soon(self, response: HttpResponse) -> None:
        self.tasks.create_task(self.wait_send(response))

    async def wait_send(self, response: HttpResponse) -> None:
        """Send a whole answer, with Content-Length."""
        if self.sent:
            return
        self.sent = True
        if self.cors is not None:
            response = self.cors(response)
        headers = self.encode(response.headers)
        headers.append((b"content-length", b"%d" % len(response.body)))
        start = {"type": "http.response.start", "status": response.status, "headers": headers}
        await self.send(start)
        await self.send({"type": "http.response.body", "body": response.body})

    async def wait_send_head(self, status: int, headers: Headers) -> None:
        """Start a streamed answer (chunked transfer); `wait_send_chunk` sends its body."""
        self.sent = True
        response = HttpResponse(status, headers, b"")
        if self.cors is not None:
            response = self.cors(response)
        start = {"type": "http.response.start", "status": response.status}
        await self.send(start | {"headers": self.encode(response.headers)})

    async def wait_send_chunk(self, chunk: bytes, *, more: bool = True) -> None:
        await self.send({"type": "http.response.body", "body": chunk, "more_body": more})

    def encode(self, headers: Headers) -> list[tuple[bytes, bytes]]:
        """Headers for the ASGI server: names lower-cased, values in latin-1 (others as
        `?`), the door's dropped ones left out, its own added, the request id last."""
        dropped = self.door.dropped
        encoded = [
            (name.encode("latin-1"), v.encode("latin-1", "replace"))
            for k, v in (*headers, *self.headers)
            if (name := k.lower()) not in dropped
        ]
        encoded.append((self.door.request_id_header, self.request_id.encode()))
        return encoded


Answer = Callable[[Reply], Awaitable[HttpResponse | None]]


async def wait_serve(
    door: Door,
    scope: Scope,
    send: Send,
    path: str,
    answer: Answer,
    *,
    request_id: str,
    headers: Headers = (),
) -> None:
    """Serve one request addressed to `door`: `path` is the raw path inside the API or URL;
    `answer` runs the door's own steps and returns the answer, or None once it has sent
    one itself (a stream)."""
    async with asyncio.TaskGroup() as tasks:
        reply = Reply(door, send, request_id, tasks, headers)
        if headers_too_large(scope, path):
            await reply.wait_send(door.headers_too_large)
            return
        try:
            response = await answer(reply)
        except BodyTooLarge:
            response = door.too_large
        except StratusError as exc:
            response = door.refused(exc)
        if response is not None:
            await reply.wait_send(response)


def decoded_headers(scope: Scope) -> Headers:
    """The request's headers as text (latin-1, as HTTP/1.1 carries them), in order."""
    return tuple([(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]])


def host_of(scope: Scope) -> bytes:
    """The Host header's raw value (b"" without one)."""
    for name, value in scope["headers"]:
        if name == b"host":
            return value  # type: ignore[no-any-return]
    return b""


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


async def wait_body(scope: Scope, receive: Receive, reply: Reply) -> bytes:
    """The request body; raises BodyTooLarge as soon as it is (or declares to be) over the
    door's limit, before the rest is read."""
    limit = reply.door.payload_limit
    declared = next((v for k, v in scope["headers"] if k == b"content-length"), b"0")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def wait_invoke(
    functions: FunctionService,
    function: FunctionRef,
    payload: bytes,
    reply: Reply,
    *,
    timeout_ms: int | None = None,
    late: HttpResponse | None = None,
    request_id: str | None = None,
    stream: ResponseStream | None = None,
) -> InvokeResult:
    """Invoke `function` with the event the gateway serialized (`payload`); past
    `timeout_ms`, `late` goes to the client at once and the function's answer is dropped.
    The function runs in this task, not one of its own: a task per request is a measurable
    cost (bench/gateway.py)."""
    with answered_late(reply, timeout_ms, late):
        # The payload is JSON orjson just wrote: not parsed again to prove it (the public
        # Invoke still checks; the size limit still applies).
        return await functions.invoke(
            function, payload, trusted_json=True, request_id=request_id, stream=stream
        )


class answered_late:
    """Past `timeout_ms` inside the block, `late` goes to the client at once (from a task of
    the request's group); the work in the block runs on and its answer is dropped. A class,
    not @contextmanager: every gateway invocation enters one, and a generator's set-up cost
    ~2 us of the loop per request (bench/gateway_cpu.py)."""

    __slots__ = ("_timer",)

    def __init__(self, reply: Reply, timeout_ms: int | None, late: HttpResponse | None) -> None:
        self._timer = (
            None
            if timeout_ms is None or late is None
            else asyncio.get_running_loop().call_later(timeout_ms / 1000, reply.send_soon, late)
        )

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()


def mapped(flavor: Flavor, result: InvokeResult, *, binary: bool = True) -> HttpResponse:
    """The function's result as the HTTP answer `flavor` gives (responses.py)."""
    return http_response(
        flavor, result.payload, function_error=bool(result.function_error), binary=binary
    )


async def wait_bounded_invoke(
    functions: FunctionService, uri: str, payload: bytes, reply: Reply, within: float
) -> InvokeResult | None:
    """An authorizer's invocation: the result, or None when Lambda refused the call or it
    took over `within` seconds. It runs as a task of the request's group, so a late one is
    waited for but not stopped, as for integrations."""
    call = reply.tasks.create_task(_wait_invoke_or_none(functions, function_ref(uri), payload))
    done, _ = await asyncio.wait({call}, timeout=within)
    return call.result() if done else None


async def _wait_invoke_or_none(
    functions: FunctionService, function: FunctionRef, payload: bytes
) -> InvokeResult | None:
    try:
        return await functions.invoke(function, payload, trusted_json=True)
    except StratusError:  # a value: raised in the request's task group it would cancel it
        return None


def lets_gateway_invoke(
    functions: FunctionService, function: FunctionRef, source: str, kind: str, api_id: str
) -> bool:
    """Whether API Gateway may invoke `function` for `source` (a route's or method's ARN):
    its resource policy must say so (FunctionService.lets_trigger); when it does not, the
    log says why the client got an error (`kind` "HTTP API", "REST API"...)."""
    if functions.lets_trigger(function, "apigateway.amazonaws.com", source):
        return True
    log.warning(
        "%s %s: %s's resource policy does not let apigateway.amazonaws.com invoke it for %s "
        "(AddPermission; SAM adds one per event): answered as an error, as on AWS",
        kind, api_id, function.name, source,
    )  # fmt: skip
    return False


@functools.lru_cache(maxsize=256)
def function_ref(uri: str) -> FunctionRef:
    """The function an integration or authorizer URI calls, parsed once per URI rather than
    per request (two regex matches; a bad URI raises, and lru_cache keeps no exceptions)."""
    return parse_reference(function_of(uri))
