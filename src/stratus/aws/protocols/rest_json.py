"""The rest-json protocol (Lambda, API Gateway, Scheduler…), driven by botocore's model.

Request: the operation is found by method and URI (rest_routing.py); each input member says
where it travels:

    POST /2015-03-31/functions/{FunctionName}/invocations?Qualifier=1     location uri, querystring
    X-Amz-Invocation-Type: Event                                          location header
    X-Amz-Meta-Color: red                                                 headers (a prefix map)
    <body>        a JSON object of the members with no location, or, when the input names a
                  `payload` member, that member alone: a blob/string as the raw body, a
                  structure as its JSON

  Text locations are typed by their shape: integers, booleans (true/false), timestamps
  (ISO 8601 in the query, RFC 822 in headers, unless the shape says otherwise), lists (query
  keys repeated, header values comma-separated). In JSON, blobs are base64 and timestamps
  epoch seconds. The members are checked against the model (validate.py) before the handler.

Answer: output members go back the same ways; `location: statusCode` sets the status, else
the operation's `responseCode`. `x-amzn-RequestId` on every answer.

Error: the error's status, `x-amzn-ErrorType: <code>`, body {"Type": "User"|"Service",
"message": …} (`Message` for the codes AWS capitalises), and `Retry-After` when throttled.
botocore reads the code from the header and raises the client's exception of that name.

Bodies are read under a limit chosen per operation (and request headers): a body, sized or
chunked, is refused with RequestTooLargeException (413) the moment it passes the limit, so
an oversized upload never sits in memory.

Per operation the locations are sorted once (`Plan`), so the hot path (Lambda's Invoke) reads
a few headers and the body and does no model walking.
"""

from __future__ import annotations

import urllib.parse
import uuid
from collections.abc import Callable
from typing import Any

import orjson
from botocore.model import Shape
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send

from stratus.errors import (
    Malformed,
    StratusError,
    Throttled,
    TooLarge,
    UnknownOperation,
    UnsupportedMediaType,
    Validation,
)

from . import json_codec, validate
from .adapter import Api, Call, handler_of
from .body import wait_body
from .errors import ErrorTable, WireError, wire_error
from .models import service_model
from .rest_members import Plan
from .rest_routing import RouteMatch, Router

# (limit in bytes, what the message calls the operation) for an operation and its headers.
BodyLimit = Callable[[str, Headers], tuple[int, str]]

# Errors every rest-json API shares, where its own table names nothing more specific.
ERRORS: ErrorTable = {
    Validation: WireError("ValidationException", 400),
    Malformed: WireError("SerializationException", 400),
    TooLarge: WireError("RequestTooLargeException", 413),
    UnsupportedMediaType: WireError("UnsupportedMediaTypeException", 415),
    Throttled: WireError("TooManyRequestsException", 429),
    UnknownOperation: WireError("UnknownOperationException", 404),
    StratusError: WireError("ServiceException", 500),
}
# How many routed requests and validated inputs are remembered (each set is then forgotten).
_MEMO_SIZE = 4096
Query = dict[str, list[str]]

# AWS spells the message key with a capital M for these (botocore accepts either).
_CAPITAL_MESSAGE = ("ResourceNotFoundException",)


class RestJson:
    """One rest-json API served from its model: routes requests to its adapter's handlers."""

    def __init__(
        self,
        api: Api,
        body_limit: BodyLimit,
        *,
        header_error: Callable[[str], StratusError] | None = None,
        service_checked: frozenset[str] = frozenset(),
        payload_media_type: str = "application/octet-stream",
    ) -> None:
        """`header_error`: the error this API answers for header members that break the
        model's constraints (else ValidationException, as for the rest).
        `payload_media_type`: the Content-Type of an answer whose payload is a blob.
        `service_checked`: input members the model does not check, because the service checks
        them itself in the words (and limits) its clients already rely on."""
        self.api = api
        self.model = model = service_model(api.name)
        self._body_limit = body_limit
        self._header_error = header_error
        self._service_checked = service_checked
        self._payload_media_type = payload_media_type
        self.router = Router(
            (name, op.http["method"], op.http["requestUri"])
            for name in model.operation_names
            if (op := model.operation_model(name)).http
        )
        self._plans: dict[str, Plan] = {}

    def route(self) -> BaseRoute:
        """A Starlette route answering every request that names one of the model's operations."""
        return _Route(self)

    def plan(self, operation: str) -> Plan:
        plan = self._plans.get(operation)
        if plan is None:
            operation_model = self.model.operation_model(operation)
            plan = self._plans[operation] = Plan(operation_model, JSON_BODY)
        return plan

    def _check(self, plan: Plan, params: dict[str, Any]) -> None:
        """The model's constraints (those the service does not check itself); a set of
        scalar inputs seen to pass once is not checked again (Invoke repeats its own)."""
        key = plan.memo_key(params)
        if key is not None and key in plan.passed:
            return
        if self._service_checked.intersection(params):
            params = {k: v for k, v in params.items() if k not in self._service_checked}
        try:
            validate.check(plan.operation.input_shape, params)
        except Validation as exc:
            if self._header_error is not None and plan.names_a_header(exc.message):
                raise self._header_error(exc.message) from None
            raise
        if key is not None:
            if len(plan.passed) >= _MEMO_SIZE:
                plan.passed.clear()
            plan.passed.add(key)

    async def wait_answer(self, scope: Scope, receive: Receive, found: RouteMatch) -> Response:
        """The answer to the request `scope` that the router matched to `found`."""
        operation = found.operation
        headers = Headers(scope=scope)
        handler = handler_of(self.api, self.model, operation)
        plan = self.plan(operation)
        limit, what = self._body_limit(operation, headers)
        body = await wait_body(receive, headers, limit, what) if plan.reads_body else b""
        # A plain dict: each header member is one lookup (Headers.get scans them all).
        header_map = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        params = plan.parse(found.labels, scope["stratus.query"], header_map, body)
        self._check(plan, params)
        call = Call.of(scope, headers, str(uuid.uuid4()))
        output = await handler(call, params)
        if isinstance(output, Response):
            return output
        return plan.render(output, call.request_id, self._payload_media_type)


class _Route(BaseRoute):
    def __init__(self, served: RestJson) -> None:
        self.served = served
        # Requests repeat their method, path and query (a warm Invoke always does); what the
        # router found for each is kept, a bounded number of them.
        self._found: dict[tuple[str, str, bytes], tuple[RouteMatch | None, Query]] = {}

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        key = (scope["method"], _raw_path(scope), scope.get("query_string", b""))
        known = self._found.get(key)
        if known is None:
            query = _query(scope)
            last = {k: v[-1] for k, v in query.items()}
            known = (self.served.router.match(key[0], key[1], last), query)
            if len(self._found) >= _MEMO_SIZE:
                self._found.clear()
            self._found[key] = known
        found, query = known
        if found is None:
            return Match.NONE, {}
        return Match.FULL, {"stratus.route": found, "stratus.query": query}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            response = await self.served.wait_answer(scope, receive, scope["stratus.route"])
        except StratusError as exc:
            response = error_response(exc, self.served.api.errors)
        await response(scope, receive, send)


def error_response(exc: StratusError, api_errors: ErrorTable) -> Response:
    """`exc` in rest-json's error shape, with the code and status the API's table gives it."""
    wire = wire_error(exc, api_errors, ERRORS)
    key = "Message" if wire.code in _CAPITAL_MESSAGE else "message"
    kind = "User" if wire.sender else "Service"
    headers = {"x-amzn-ErrorType": wire.code, "x-amzn-RequestId": str(uuid.uuid4())}
    if isinstance(exc, Throttled):
        headers["Retry-After"] = "1"
    body = {"Type": kind, key: exc.message} | {k: v for k, v in exc.extra.items() if k != "Type"}
    return Response(orjson.dumps(body), wire.status, headers, media_type="application/json")


def _raw_path(scope: Scope) -> str:
    raw = scope.get("raw_path")
    return raw.decode("latin-1").partition("?")[0] if raw else str(scope["path"])


def _query(scope: Scope) -> dict[str, list[str]]:
    raw = scope.get("query_string", b"")
    if not raw:
        return {}
    return urllib.parse.parse_qs(raw.decode("latin-1"), keep_blank_values=True)


class _JsonBody:
    """rest-json's body: a JSON object of the members (json_codec)."""

    media_type = "application/json"

    def parse(self, shape: Shape, body: bytes, where: str) -> Any:
        document = json_codec.loads(body)
        if shape.type_name == "structure" and not isinstance(document, dict):
            raise Malformed("Could not parse request body into json: expected an object")
        return json_codec.from_json(shape, document, where)

    def render(self, shape: Shape | None, value: Any) -> bytes:
        return orjson.dumps(value if shape is None else json_codec.to_json(shape, value))


JSON_BODY = _JsonBody()
