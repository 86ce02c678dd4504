"""Function URLs' data plane: a request to a URL becomes one invocation of its function.

Two addresses reach the URL with url-id `abcdefghijklmnopqrstuvwxyz012345` on the main port:

    Host: abcdefghijklmnopqrstuvwxyz012345.lambda-url.localhost[:port]    GET /any/path
    http://127.0.0.1:4566/_aws/lambda-url/abcdefghijklmnopqrstuvwxyz012345/any/path

Anything else passes through untouched. Per request: FunctionUrls.resolve (function, alias,
config) -> events.function_url_event -> FunctionService.invoke (the config's qualifier) ->
responses.http_response(Flavor.FUNCTION_URL) (payload 2.0's mapping and inference), with the
config's CORS. What the client sees on failure:

    unknown url-id (or an AWS_IAM config)     403 {"Message":"Forbidden"}
    request line and header values over       431 {"Message":"Request Header Fields Too Large"}
    10,240 bytes (asgi.py)
    event over Lambda's 6 MB invoke limit     413 {"Message":"Request Entity Too Large"}
    function throttled                        429 {"Message":"Rate Exceeded."}
    function error, unreadable output,        502 Internal Server Error (text/plain)
    Lambda refusing the call

CORS (when the config has `Cors`): a preflight (OPTIONS with Origin and
Access-Control-Request-Method) is answered here without invoking the function; other
responses to an allowed Origin get Access-Control-Allow-Origin/-Expose-Headers/
-Allow-Credentials, and the function's own Access-Control-* headers are replaced.

InvokeMode RESPONSE_STREAM: the function's chunks go to the client as they come (chunked
transfer). A streaming runtime that answers with content type
`application/vnd.awslambda.http-integration-response` sends a JSON prelude ({statusCode,
headers, cookies}) and eight NUL bytes before the body, as Lambda's streaming helpers do;
any other content type is streamed as the body of a 200. A function that does not stream
(the built-in Python runtime) is answered as in BUFFERED mode.

Every answer carries `x-amzn-RequestId` (the event's requestContext.requestId).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

import orjson

from stratus.errors import StratusError, Throttled, TooLarge
from stratus.functions.service import SYNC_PAYLOAD_LIMIT, FunctionService
from stratus.functions.urls import URL_ID_LENGTH, UrlTarget
from stratus.gateway import asgi
from stratus.gateway import cors as gateway_cors
from stratus.gateway.asgi import Send, headers_too_large, wait_body
from stratus.gateway.events import HttpRequest, function_url_event
from stratus.gateway.responses import (
    Flavor,
    HttpResponse,
    http_response,
    internal_error,
    valid_header,
)
from stratus.runtime.spec import InvokeResult

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PATH_PREFIX = "/_aws/lambda-url/"
HTTP_INTEGRATION = "application/vnd.awslambda.http-integration-response"
_PRELUDE_END = b"\0" * 8
_JSON = (("Content-Type", "application/json"),)
FORBIDDEN = HttpResponse(403, _JSON, b'{"Message":"Forbidden"}')
TOO_LARGE = HttpResponse(413, _JSON, b'{"Message":"Request Entity Too Large"}')
HEADERS_TOO_LARGE = HttpResponse(431, _JSON, b'{"Message":"Request Header Fields Too Large"}')
THROTTLED = HttpResponse(429, _JSON, b'{"Message":"Rate Exceeded."}')


class FunctionUrlGateway:
    """ASGI middleware: answers requests addressed to a function URL, passes on the rest."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        address = address_of(scope) if scope["type"] == "http" else None
        if address is None:
            await self.app(scope, receive, send)
            return
        url_id, path = address
        request_id = str(uuid.uuid4())
        if headers_too_large(scope, path):
            await wait_send(send, HEADERS_TOO_LARGE, request_id)
            return
        functions: FunctionService = scope["app"].state.services.functions
        target = await functions.urls.resolve(url_id)
        if target is None or target.config.AuthType != "NONE":
            await wait_send(send, FORBIDDEN, request_id)
            return
        body = await wait_body(scope, receive, SYNC_PAYLOAD_LIMIT)
        if body is None:
            await wait_send(send, TOO_LARGE, request_id)
            return
        request = HttpRequest(
            method=scope["method"],
            path=path,
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]),
            body=body,
            source_ip=(scope.get("client") or ("127.0.0.1", 0))[0],
            stage="$default",
            api_id=url_id,
            domain_name=f"{url_id}.lambda-url.localhost",
            request_id=request_id,
            time=datetime.now(UTC),
            protocol=f"HTTP/{scope.get('http_version', '1.1')}",
        )
        cors = target.config.Cors
        origin = gateway_cors.origin_of(request.headers)
        if cors is not None and gateway_cors.is_preflight(request.method, request.headers):
            await wait_send(send, gateway_cors.preflight(cors, origin, status=200), request_id)
            return
        added = gateway_cors.response_headers(cors, origin) if cors is not None else None
        payload = orjson.dumps(function_url_event(request))
        if target.config.InvokeMode == "RESPONSE_STREAM":
            await _wait_stream(functions, target, payload, send, request_id, added)
            return
        try:
            result = await functions.invoke(target.ref, payload, request_id=request_id)
        except StratusError as exc:
            response = failure(exc)
        else:
            response = http_response(
                Flavor.FUNCTION_URL, result.payload, function_error=bool(result.function_error)
            )
        await wait_send(send, with_cors(response, added), request_id)


def address_of(scope: Scope) -> tuple[str, str] | None:
    """(url-id, raw path) when the request is addressed to a function URL."""
    path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
    host = next((v for k, v in scope["headers"] if k == b"host"), b"").decode("latin-1").lower()
    name, _, port = host.partition(":")
    url_id, _, domain = name.partition(".")
    if domain == "lambda-url.localhost" and _is_url_id(url_id) and (not port or port.isdigit()):
        return url_id, path
    if path.startswith(PATH_PREFIX):
        url_id, _, rest = path[len(PATH_PREFIX) :].partition("/")
        if _is_url_id(url_id):
            return url_id, f"/{rest}"
    return None


def _is_url_id(value: str) -> bool:
    return len(value) == URL_ID_LENGTH and value.isascii() and value.isalnum() and value.islower()


def failure(exc: StratusError) -> HttpResponse:
    """What the client gets when Lambda refuses the call."""
    if isinstance(exc, Throttled):
        return THROTTLED
    if isinstance(exc, TooLarge):
        return TOO_LARGE
    return internal_error(Flavor.FUNCTION_URL)


def with_cors(response: HttpResponse, added: tuple[tuple[str, str], ...] | None) -> HttpResponse:
    """`response` with the config's CORS headers instead of the function's (None: no Cors)."""
    return response if added is None else gateway_cors.replace_headers(response, added)


# -- sending ---------------------------------------------------------------------------------
# The function's framing headers are dropped: a whole answer gets Content-Length, a streamed
# one chunked transfer, both from the server.
_DROPPED = ("content-length", "transfer-encoding")


async def wait_send(send: Send, response: HttpResponse, request_id: str) -> None:
    await asgi.wait_send(send, response, _request_id(request_id), _DROPPED)


def _encode(headers: tuple[tuple[str, str], ...], request_id: str) -> list[tuple[bytes, bytes]]:
    return asgi.encode_headers(headers, _request_id(request_id), _DROPPED)


def _request_id(request_id: str) -> tuple[bytes, bytes]:
    return (b"x-amzn-requestid", request_id.encode())


# -- RESPONSE_STREAM -------------------------------------------------------------------------
async def _wait_stream(
    functions: FunctionService,
    target: UrlTarget,
    payload: bytes,
    send: Send,
    request_id: str,
    added: tuple[tuple[str, str], ...] | None,
) -> None:
    stream = _UrlStream(send, request_id, added)
    try:
        result = await functions.invoke(target.ref, payload, request_id=request_id, stream=stream)
    except StratusError as exc:
        if stream.started:
            await stream.wait_end()
        else:
            await wait_send(send, with_cors(failure(exc), added), request_id)
        return
    await stream.wait_finish(result)


class _UrlStream:
    """The invocation's ResponseStream: the function's chunks become the HTTP body."""

    def __init__(
        self, send: Send, request_id: str, added: tuple[tuple[str, str], ...] | None
    ) -> None:
        self._send = send
        self._request_id = request_id
        self._added = added
        self.started = False  # the function began streaming
        self._head_sent = False
        self._prelude: bytearray | None = None  # collecting the http-integration prelude

    async def wait_start(self, content_type: str, executed_version: str) -> None:
        if self.started:
            return
        self.started = True
        if content_type.split(";", 1)[0].strip().lower() == HTTP_INTEGRATION:
            self._prelude = bytearray()
            return
        await self._wait_head(200, (("Content-Type", content_type),))

    async def wait_write(self, chunk: bytes) -> None:
        if self._prelude is not None:
            self._prelude += chunk
            head, found, rest = bytes(self._prelude).partition(_PRELUDE_END)
            if not found:
                return
            self._prelude = None
            await self._wait_prelude(head)
            chunk = rest
        if chunk:
            await self._send({"type": "http.response.body", "body": chunk, "more_body": True})

    async def wait_finish(self, result: InvokeResult) -> None:
        if not self.started:  # a buffered result: mapped as in BUFFERED mode
            response = http_response(
                Flavor.FUNCTION_URL, result.payload, function_error=bool(result.function_error)
            )
            await wait_send(self._send, with_cors(response, self._added), self._request_id)
            return
        if self._prelude is not None:  # the stream ended inside its prelude
            prelude, self._prelude = bytes(self._prelude), None
            await self._wait_prelude(prelude)
        await self.wait_end()

    async def wait_end(self) -> None:
        if not self._head_sent:
            await self._wait_head(502, (("Content-Type", "text/plain"),))
        await self._send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _wait_prelude(self, prelude: bytes) -> None:
        try:
            meta = orjson.loads(prelude or b"{}")
            status = int(meta.get("statusCode", 200))
            if not 200 <= status <= 599:
                raise ValueError(f"status {status}")
            headers = [(str(k), str(v)) for k, v in (meta.get("headers") or {}).items()]
            headers += [("Set-Cookie", str(c)) for c in meta.get("cookies") or ()]
            if not all(valid_header(k, v) for k, v in headers):
                raise ValueError("a header HTTP cannot carry")
        except (orjson.JSONDecodeError, AttributeError, TypeError, ValueError):
            status, headers = 502, [("Content-Type", "text/plain")]
        await self._wait_head(status, tuple(headers))

    async def _wait_head(self, status: int, headers: tuple[tuple[str, str], ...]) -> None:
        self._head_sent = True
        response = with_cors(HttpResponse(status, headers, b""), self._added)
        await self._send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": _encode(response.headers, self._request_id),
            }
        )
