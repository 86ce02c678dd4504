"""Function URLs' data plane: a request to a URL becomes one invocation of its function.

Two addresses reach the URL with url-id `abcdefghijklmnopqrstuvwxyz012345` on the main port:

    Host: abcdefghijklmnopqrstuvwxyz012345.lambda-url.localhost[:port]    GET /any/path
    http://127.0.0.1:4566/_aws/lambda-url/abcdefghijklmnopqrstuvwxyz012345/any/path

Anything else passes through untouched. Per request: FunctionUrls.resolve (function, alias,
config) -> events.function_url_event -> FunctionService.invoke (the config's qualifier) ->
responses.http_response(Flavor.FUNCTION_URL) (payload 2.0's mapping and inference), with the
config's CORS. What the client sees on failure:

    unknown url-id; AWS_IAM: unsigned, a bad   403 {"Message":"Forbidden"}
    signature, or lambda:InvokeFunctionUrl
    not allowed (iam_auth.py); NONE with
    signatures checked and no policy allowing
    everyone
    request line and header values over       431 {"Message":"Request Header Fields Too Large"}
    10,240 bytes (pipeline.py)
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

Every answer carries `x-amzn-RequestId` (the event's requestContext.requestId). Limits and
the sending are pipeline.py's, shared with HTTP and REST APIs; a function URL has no
integration timeout of its own (the function's timeout is the limit).
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Literal

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from stratus import ids
from stratus.errors import StratusError, Throttled, TooLarge
from stratus.functions.service import SYNC_PAYLOAD_LIMIT, FunctionService
from stratus.functions.urls import URL_ID_LENGTH, UrlTarget
from stratus.gateway import cors as gateway_cors
from stratus.gateway.events import HttpRequest, function_url_event
from stratus.gateway.iam_auth import signer, wait_authorized
from stratus.gateway.pipeline import (
    Door,
    Reply,
    decoded_headers,
    host_of,
    mapped,
    wait_body,
    wait_invoke,
    wait_serve,
)
from stratus.gateway.responses import (
    Flavor,
    HttpResponse,
    internal_error,
    valid_header,
)
from stratus.iam.model import Identity
from stratus.iam.sigv4 import Refused
from stratus.policies import Request

PATH_PREFIX = "/_aws/lambda-url/"
_PATH_PREFIX = PATH_PREFIX.encode()
_HOST_SUFFIX = b".lambda-url.localhost"  # in every Host naming a URL (lower-cased)
HTTP_INTEGRATION = "application/vnd.awslambda.http-integration-response"
_PRELUDE_END = b"\0" * 8
_JSON = (("Content-Type", "application/json"),)
FORBIDDEN = HttpResponse(403, _JSON, b'{"Message":"Forbidden"}')
TOO_LARGE = HttpResponse(413, _JSON, b'{"Message":"Request Entity Too Large"}')
HEADERS_TOO_LARGE = HttpResponse(431, _JSON, b'{"Message":"Request Header Fields Too Large"}')
THROTTLED = HttpResponse(429, _JSON, b'{"Message":"Rate Exceeded."}')


# The function's framing headers are dropped: a whole answer gets Content-Length, a streamed
# one chunked transfer, both from the server.
DOOR = Door(
    "function URL", b"x-amzn-requestid", SYNC_PAYLOAD_LIMIT, TOO_LARGE, HEADERS_TOO_LARGE,
    internal_error(Flavor.FUNCTION_URL), ((Throttled, THROTTLED), (TooLarge, TOO_LARGE)),
    dropped=("content-length", "transfer-encoding"),
)  # fmt: skip


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
        functions: FunctionService = scope["app"].state.services.functions
        answer = functools.partial(wait_answer, functions, scope, receive, url_id, path)
        await wait_serve(DOOR, scope, send, path, answer, request_id=ids.uuid4())


async def wait_answer(
    functions: FunctionService,
    scope: Scope,
    receive: Receive,
    url_id: str,
    path: str,
    reply: Reply,
) -> HttpResponse | None:
    """The answer to one request to a function URL, or None once it has been streamed."""
    target = await functions.urls.resolve(url_id)
    if target is None:
        return FORBIDDEN
    body = await wait_body(scope, receive, reply)
    request = HttpRequest(
        method=scope["method"],
        path=path,
        query=scope.get("query_string", b"").decode("latin-1"),
        headers=decoded_headers(scope),
        body=body,
        source_ip=(scope.get("client") or ("127.0.0.1", 0))[0],
        stage="$default",
        api_id=url_id,
        domain_name=f"{url_id}.lambda-url.localhost",
        request_id=reply.request_id,
        time=datetime.now(UTC),
        protocol=f"HTTP/{scope.get('http_version', '1.1')}",
    )
    cors = target.config.Cors
    origin = gateway_cors.origin_of(request.headers)
    if cors is not None and gateway_cors.is_preflight(request.method, request.headers):
        return gateway_cors.preflight(cors, origin, status=200)  # unsigned, as browsers send
    caller = await _wait_caller(scope, functions, target, body)
    if caller is None:
        return FORBIDDEN
    if cors is not None:  # the config's CORS headers replace the function's
        added = gateway_cors.response_headers(cors, origin)
        reply.cors = functools.partial(gateway_cors.replace_headers, added=added)
    payload = orjson.dumps(function_url_event(request, caller))
    if target.config.InvokeMode == "RESPONSE_STREAM":
        return await _wait_stream(functions, target, payload, reply)
    result = await wait_invoke(functions, target.ref, payload, reply, request_id=reply.request_id)
    return mapped(Flavor.FUNCTION_URL, result)


async def _wait_caller(
    scope: Scope, functions: FunctionService, target: UrlTarget, body: bytes
) -> Identity | Literal["anonymous"] | None:
    """Who calls: the signer under AWS_IAM (iam_auth.py), anonymous under NONE; None when
    refused. `lambda:InvokeFunctionUrl` must be allowed by the caller's policies or the
    function's; with signatures checked, a NONE URL needs the function's policy to allow
    everyone (`"Principal": "*"` with lambda:FunctionUrlAuthType NONE, which SAM adds and
    the console adds for you), as on AWS."""
    services = scope["app"].state.services
    auth_type = target.config.AuthType
    arn = functions.arn(target.ref.name, target.ref.qualifier)
    context = {"lambda:FunctionUrlAuthType": auth_type}
    if auth_type == "NONE":
        if not services.settings.verify_signatures:
            return "anonymous"
        asked = Request("lambda:InvokeFunctionUrl", arn, context=context)
        return "anonymous" if functions.policies.decide(arn, asked) == "Allow" else None
    caller = signer(services, scope, body)
    if isinstance(caller, Refused):
        return None
    asked = Request("lambda:InvokeFunctionUrl", arn, caller.arn, caller.account, context)
    resource = functions.policies.decide(arn, asked)
    allowed = await wait_authorized(
        services, caller, "lambda:InvokeFunctionUrl", arn, resource, context=context
    )
    return caller if allowed else None


def address_of(scope: Scope) -> tuple[str, str] | None:
    """(url-id, raw path) when the request is addressed to a function URL. Every request to
    the server asks, so the bytes are tested before anything is decoded."""
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
    host = host_of(scope).lower()
    if _HOST_SUFFIX in host:
        name, _, port = host.decode("latin-1").partition(":")
        url_id, _, domain = name.partition(".")
        if domain == "lambda-url.localhost" and _is_url_id(url_id) and (not port or port.isdigit()):
            return url_id, raw_path.decode("latin-1")
    if raw_path.startswith(_PATH_PREFIX):
        url_id, _, rest = raw_path[len(_PATH_PREFIX) :].decode("latin-1").partition("/")
        if _is_url_id(url_id):
            return url_id, f"/{rest}"
    return None


def _is_url_id(value: str) -> bool:
    return len(value) == URL_ID_LENGTH and value.isascii() and value.isalnum() and value.islower()


# -- RESPONSE_STREAM -------------------------------------------------------------------------
async def _wait_stream(
    functions: FunctionService, target: UrlTarget, payload: bytes, reply: Reply
) -> HttpResponse | None:
    """Invoke with a ResponseStream: None once the answer has been streamed, else the answer
    to send (a function that did not stream, or Lambda refusing the call before it did)."""
    stream = _UrlStream(reply)
    try:
        result = await wait_invoke(
            functions, target.ref, payload, reply, request_id=reply.request_id, stream=stream
        )
    except StratusError:
        if not stream.started:
            raise  # the door's answer for a refusal
        await stream.wait_end()
        return None
    if not stream.started:  # a buffered result: mapped as in BUFFERED mode
        return mapped(Flavor.FUNCTION_URL, result)
    await stream.wait_finish()
    return None


class _UrlStream:
    """The invocation's ResponseStream: the function's chunks become the HTTP body."""

    def __init__(self, reply: Reply) -> None:
        self._reply = reply
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
            await self._reply.wait_send_chunk(chunk)

    async def wait_finish(self) -> None:
        if self._prelude is not None:  # the stream ended inside its prelude
            prelude, self._prelude = bytes(self._prelude), None
            await self._wait_prelude(prelude)
        await self.wait_end()

    async def wait_end(self) -> None:
        if not self._head_sent:
            await self._wait_head(502, (("Content-Type", "text/plain"),))
        await self._reply.wait_send_chunk(b"", more=False)

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
        await self._reply.wait_send_head(status, headers)
