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
account's root user. Everything else passes on untouched. What it takes is served by the
same steps as the generic path (RestJson.wait_output: body limit, parse and checks from the
model, the same handler, the same error rendering); only the routing and the rendering of
the answer are short-cut, and an output it does not know is rendered the generic way.
`tests/aws/test_fast_invoke.py` holds its answers to the generic path's, bad requests included.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from stratus.errors import StratusError

from .protocols.rest_json import RestJson, error_response
from .s3_requests import signed_for_s3

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

Address = tuple[dict[str, str], dict[str, list[str]]]  # (URI labels, query)


class FastInvoke:
    """ASGI middleware: answers the synchronous Invokes described above, passes on the rest."""

    def __init__(self, app: ASGIApp, served: RestJson) -> None:
        self.app = app
        self.served = served  # the Lambda API (aws/app.py's LAMBDA)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        address = addressed(scope)
        if address is None:
            await self.app(scope, receive, send)
            return
        labels, query = address
        served = self.served
        try:
            output, request_id = await served.wait_output(scope, receive, OPERATION, labels, query)
        except StratusError as exc:
            await error_response(exc, served.api.errors)(scope, receive, send)
            return
        answer = rendered(output, request_id)
        if answer is None:  # not the output of a plain synchronous invoke
            if not isinstance(output, Response):
                output = served.render(OPERATION, output, request_id)
            await output(scope, receive, send)
            return
        headers, body = answer
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def addressed(scope: Scope) -> Address | None:
    """The URI labels and query of a request the fast path takes; None for any other."""
    if scope["type"] != "http" or scope["method"] != "POST":
        return None
    path = _PATH.fullmatch(scope.get("raw_path") or scope["path"].encode())
    if path is None:
        return None
    query: dict[str, list[str]] = {}
    raw_query: bytes = scope.get("query_string", b"")
    if raw_query:
        qualifier = _QUALIFIER.fullmatch(raw_query)
        if qualifier is None:
            return None
        query["Qualifier"] = [qualifier[1].decode()]
    host = b""
    for key, value in scope["headers"]:
        if key == b"host":
            host = value
        elif key == b"x-amz-invocation-type" and value != b"RequestResponse":
            return None
    if _host_name(host) not in _OWN_HOSTS or signed_for_s3(scope):
        return None
    name = urllib.parse.unquote(path[1].decode("latin-1"))
    return {"FunctionName": name}, query


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
