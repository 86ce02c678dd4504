"""Lambda Invoke's fast path: the request a warm caller repeats, answered in a few steps.

A synchronous Invoke from boto3 passes the function URL and HTTP API gateways' address
checks, the signature middleware, Starlette's router and the S3 route's check before the
rest-json layer sees it, and the generic answer is a Starlette Response: together about a
third of the event loop's CPU per warm invoke (docs/design.md, issue 15). This middleware,
outermost, takes only the requests none of those would have touched:

    POST /2015-03-31/functions/{FunctionName}/invocations     and no query, or Qualifier alone
    Host: 127.0.0.1 | localhost | [::1]  (any port)           the server's own names: never a
                                         function URL, an HTTP API, a custom domain or a bucket
    not signed for S3                    (S3's path-style requests could use any path)
    X-Amz-Invocation-Type absent or RequestResponse   (Event and DryRun answer otherwise)

and it is added only when signatures are not checked (server.py), so every caller is the
account's root user. Everything else passes on untouched (a request repeating a header
name too). What it takes is served as the generic path serves it (RestJson.wait_output):
the same body limit and reader, the members read as the model places them (all of Invoke's
header members are plain strings, so each is its header's text), the same checks, handler
and error rendering. Only the walk through the generic layout, the routing and the
rendering of the answer are short-cut; an output it does not know is rendered the generic way.
`tests/aws/test_fast_invoke.py` holds its answers to the generic path's, bad requests included.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from stratus import ids
from stratus.errors import StratusError

from .lambda_api import body_limit
from .protocols.adapter import Call, Output, handler_of
from .protocols.body import wait_body
from .protocols.rest_json import Plan, RestJson, error_response
from .s3_requests import s3_authorization

OPERATION = "Invoke"
_PATH = re.compile(rb"/2015-03-31/functions/([^/?]+)/invocations")
_QUALIFIER = re.compile(rb"Qualifier=([A-Za-z0-9$_-]+)")
_OWN_HOSTS = frozenset({b"127.0.0.1", b"localhost", b"[::1]"})
# Invoke's output members that travel as headers, in the model's order (as Plan.render
# writes them), with their names on the wire.
_HEADERS = (
    ("FunctionError", b"x-amz-function-error"),
    ("LogResult", b"x-amz-log-result"),
    ("ExecutedVersion", b"x-amz-executed-version"),
)
_KNOWN_OUTPUT = frozenset({"Payload", *(name for name, _ in _HEADERS)})


@dataclass(frozen=True, slots=True)
class InvokeRequest:
    """A request the fast path takes: its FunctionName label (decoded), its Qualifier, and
    its headers by name (each name once)."""

    name: str
    qualifier: str | None
    headers: dict[bytes, bytes]


class FastInvoke:
    """ASGI middleware: answers the synchronous Invokes described above, passes on the rest."""

    def __init__(self, app: ASGIApp, served: RestJson) -> None:
        self.app = app
        self.served = served  # the Lambda API (aws/app.py's LAMBDA)
        self.plan = served.plan(OPERATION)
        self.handler = handler_of(served.api, served.model, OPERATION)
        self.header_members = string_headers(self.plan)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = addressed(scope)
        if request is None:
            await self.app(scope, receive, send)
            return
        try:
            output, request_id = await self._wait_output(scope, receive, request)
        except StratusError as exc:
            await error_response(exc, self.served.api.errors)(scope, receive, send)
            return
        answer = rendered(output, request_id)
        if answer is None:  # not the output of a plain synchronous invoke
            if not isinstance(output, Response):
                output = self.served.render(OPERATION, output, request_id)
            await output(scope, receive, send)
            return
        headers, body = answer
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _wait_output(
        self, scope: Scope, receive: Receive, request: InvokeRequest
    ) -> tuple[Output, str]:
        """RestJson.wait_output for Invoke, with the members read straight from the request."""
        headers = Headers(raw=scope["headers"])
        limit, what = body_limit(OPERATION, headers)
        body = await wait_body(receive, headers, limit, what)
        params: dict[str, Any] = {"FunctionName": request.name}  # Plan.parse's order
        if request.qualifier is not None:
            params["Qualifier"] = request.qualifier
        for wire, member in self.header_members:
            raw = request.headers.get(wire)
            if raw is not None:
                params[member] = raw.decode("latin-1")
        params["Payload"] = body
        self.served.check(self.plan, params)
        call = Call.of(scope, headers, ids.uuid4())
        return await self.handler(call, params), call.request_id


def string_headers(plan: Plan) -> tuple[tuple[bytes, str], ...]:
    """(header name, member) of the operation's header members, which must all be plain
    strings: the text of a string member's header is its value (rest_locations.py)."""
    located = plan.located_in
    assert located is not None
    assert not located.prefixed
    for m in located.header:
        plain = m.shape.type_name == "string" and not m.shape.serialization.get("jsonvalue")
        assert plain, f"{m.name} is not a plain string: the fast path cannot read it"
    return tuple((m.wire.encode("latin-1"), m.name) for m in located.header)


def addressed(scope: Scope) -> InvokeRequest | None:
    """The request, when the fast path takes it; None for any other."""
    if scope["type"] != "http" or scope["method"] != "POST":
        return None
    path = _PATH.fullmatch(scope.get("raw_path") or scope["path"].encode())
    if path is None:
        return None
    qualifier = None
    raw_query: bytes = scope.get("query_string", b"")
    if raw_query:
        found = _QUALIFIER.fullmatch(raw_query)
        if found is None:
            return None
        qualifier = found[1].decode()
    headers = dict(scope["headers"])
    if len(headers) != len(scope["headers"]):  # a name repeated: left to the generic path
        return None
    if _host_name(headers.get(b"host", b"")) not in _OWN_HOSTS:
        return None
    if headers.get(b"x-amz-invocation-type", b"RequestResponse") != b"RequestResponse":
        return None
    if s3_authorization(headers.get(b"authorization", b"")):
        return None
    name = urllib.parse.unquote(path[1].decode("latin-1"))
    return InvokeRequest(name, qualifier, headers)


def _host_name(host: bytes) -> bytes:
    """The Host header's name, without its port, in lower case."""
    if host.startswith(b"["):  # an IPv6 address: [::1]:4566
        return host.partition(b"]")[0].lower() + b"]"
    return host.partition(b":")[0].lower()


def rendered(output: Any, request_id: str) -> tuple[list[tuple[bytes, bytes]], bytes] | None:
    """A synchronous invoke's answer (headers, body) exactly as Plan.render and Starlette's
    Response write it; None for any output other than that one shape."""
    if not isinstance(output, Mapping) or not _KNOWN_OUTPUT.issuperset(output):
        return None
    body = output.get("Payload")
    if not isinstance(body, bytes):
        return None
    headers = [(b"x-amzn-requestid", request_id.encode("latin-1"))]
    for name, wire in _HEADERS:
        value = output.get(name)
        if value is not None:
            if not isinstance(value, str):
                return None
            headers.append((wire, value.encode("latin-1")))
    headers.append((b"content-length", str(len(body)).encode("latin-1")))
    if body:
        headers.append((b"content-type", b"application/json"))
    return headers, body
