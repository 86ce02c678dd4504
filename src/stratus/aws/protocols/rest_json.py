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
chunked, is refused with 413 (the API's name for TooLarge) the moment it passes the limit, so
an oversized upload never sits in memory.

Per operation the layout is sorted once (`Plan`, over rest_locations.py), so the hot path
(Lambda's Invoke) reads a few headers and its body and walks no model; the router's answer for
a repeated request line, and a repeated set of scalar inputs having passed the model's checks,
are remembered (a bounded number of each).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson
from botocore.model import OperationModel, Shape, StructureShape
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send

from stratus import ids
from stratus.errors import (
    Malformed,
    StratusError,
    Throttled,
    Validation,
)

from . import json_codec, validate
from .adapter import Api, Call, Output, handler_of
from .body import wait_body
from .errors import REST_JSON_ERRORS, ErrorTable, wire_error
from .models import service_model
from .rest_locations import located
from .rest_routing import RouteMatch, Router, query_of, raw_path

# (limit in bytes, what the message calls the operation) for an operation and its headers.
BodyLimit = Callable[[str, Headers], tuple[int, str]]

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
        self.router = Router.for_model(model)
        self._plans: dict[str, Plan] = {}

    def route(self) -> BaseRoute:
        """A Starlette route answering every request that names one of the model's operations."""
        return _Route(self)

    def plan(self, operation: str) -> Plan:
        plan = self._plans.get(operation)
        if plan is None:
            plan = self._plans[operation] = Plan(self.model.operation_model(operation))
        return plan

    def check(self, plan: Plan, params: dict[str, Any]) -> None:
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
        output, request_id = await self.wait_output(
            scope, receive, operation, found.labels, scope["stratus.query"]
        )
        if isinstance(output, Response):
            return output
        return self.render(operation, output, request_id)

    async def wait_output(
        self,
        scope: Scope,
        receive: Receive,
        operation: str,
        labels: Mapping[str, str],
        query: Mapping[str, list[str]],
    ) -> tuple[Output, str]:
        """The handler's output for a request to `operation` (its body read under the
        operation's limit, its members parsed and checked), and the request's id."""
        headers = Headers(scope=scope)
        handler = handler_of(self.api, self.model, operation)
        plan = self.plan(operation)
        limit, what = self._body_limit(operation, headers)
        body = await wait_body(receive, headers, limit, what) if plan.reads_body else b""
        # A plain dict: each header member is one lookup (Headers.get scans them all).
        header_map = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        params = plan.parse(labels, query, header_map, body)
        self.check(plan, params)
        call = Call.of(scope, headers, ids.uuid4())
        return await handler(call, params), call.request_id

    def render(self, operation: str, output: Mapping[str, Any] | None, request_id: str) -> Response:
        """The answer carrying an operation's output members."""
        return self.plan(operation).render(output, request_id, self._payload_media_type)


class _Route(BaseRoute):
    def __init__(self, served: RestJson) -> None:
        self.served = served
        # Requests repeat their method, path and query (a warm Invoke always does); what the
        # router found for each is kept, a bounded number of them.
        self._found: dict[tuple[str, str, bytes], tuple[RouteMatch | None, Query]] = {}

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        router = self.served.router
        key = (scope["method"], raw_path(scope), scope.get("query_string", b""))
        known = None if router.reads_headers else self._found.get(key)
        if known is None:
            query = query_of(scope)
            last = {k: v[-1] for k, v in query.items()}
            known = (router.match(key[0], key[1], last, Headers(scope=scope)), query)
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
    wire = wire_error(exc, api_errors, REST_JSON_ERRORS)
    key = "Message" if wire.code in _CAPITAL_MESSAGE else "message"
    kind = "User" if wire.sender else "Service"
    headers = {"x-amzn-ErrorType": wire.code, "x-amzn-RequestId": ids.uuid4()}
    if isinstance(exc, Throttled):
        headers["Retry-After"] = "1"
    body = {"Type": kind, key: exc.message} | {k: v for k, v in exc.extra.items() if k != "Type"}
    return Response(orjson.dumps(body), wire.status, headers, media_type="application/json")


class Plan:
    """One operation's wire layout, sorted out once: which members travel outside the body
    (rest_locations.Located), which one is the payload, whether there is a JSON body."""

    def __init__(self, operation: OperationModel) -> None:
        self.operation = operation
        shape, out = operation.input_shape, operation.output_shape
        self.located_in = located(shape) if isinstance(shape, StructureShape) else None
        self.located_out = located(out) if isinstance(out, StructureShape) else None
        self.payload = _payload(shape)
        self.out_payload = _payload(out)
        self.body_shape = shape if self.payload is None and _has_body(shape) else None
        self.reads_body = self.payload is not None or self.body_shape is not None
        self.status = int(operation.http.get("responseCode", 200))
        headers = self.located_in.header if self.located_in is not None else []
        self._header_paths = tuple(f" at '{m.where}'" for m in headers)
        # Inputs of scalars that passed the model's checks; a blob payload without
        # constraints (Invoke's) cannot fail them, so it is left out of the key.
        self.passed: set[tuple[tuple[str, Any], ...]] = set()
        free = self.payload is not None and not _constrained(self.payload[1])
        self._unkeyed = self.payload[0] if self.payload is not None and free else None

    def memo_key(self, params: dict[str, Any]) -> tuple[tuple[str, Any], ...] | None:
        """`params` as a key of `passed`, or None when a value is not a small scalar."""
        key = tuple(item for item in params.items() if item[0] != self._unkeyed)
        return key if all(type(v) in _SCALARS for _, v in key) else None

    def names_a_header(self, message: str) -> bool:
        """Whether a validation message is about a header member."""
        return any(where in message for where in self._header_paths)

    def parse(
        self,
        labels: Mapping[str, str],
        query: Mapping[str, list[str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> dict[str, Any]:
        """The input members of a request: its URI labels, query, headers (lower-case
        names) and body."""
        params = {} if self.located_in is None else self.located_in.parse(labels, query, headers)
        if self.payload is not None:
            name, shape = self.payload
            value = _payload_in(shape, body, name)
            if value is not None:
                params[name] = value
        elif self.body_shape is not None and body:
            document = json_codec.loads(body)
            if not isinstance(document, dict):
                raise Malformed("Could not parse request body into json: expected an object")
            params.update(json_codec.from_json(self.body_shape, document))
        return params

    def render(
        self, output: Mapping[str, Any] | None, request_id: str, media_type: str
    ) -> Response:
        output = output or {}
        status: int | None = None
        headers = {"x-amzn-RequestId": request_id}
        if self.located_out is not None:
            status, located_headers = self.located_out.render(output)
            headers.update(located_headers)
        status = status or self.status
        if self.out_payload is not None:
            name, shape = self.out_payload
            value = output.get(name)
            if shape.type_name == "structure":
                body = b"" if value is None else orjson.dumps(json_codec.to_json(shape, value))
                media_type = "application/json"
            else:
                body = value.encode() if isinstance(value, str) else (value or b"")
        else:
            out = self.operation.output_shape
            document = {k: v for k, v in output.items() if v is not None and _in_body(out, k)}
            body = b"" if status == 204 else orjson.dumps(_to_json(out, document))
            media_type = "application/json"
        return Response(body, status, headers, media_type=media_type if body else None)


_SCALARS = frozenset({str, int, bool, float})


def _payload(shape: Shape | None) -> tuple[str, Shape] | None:
    name = shape.serialization.get("payload") if isinstance(shape, StructureShape) else None
    if not isinstance(shape, StructureShape) or name is None:
        return None
    return name, shape.members[name]


def _has_body(shape: Shape | None) -> bool:
    return isinstance(shape, StructureShape) and any(
        "location" not in m.serialization for m in shape.members.values()
    )


def _in_body(shape: Shape | None, name: str) -> bool:
    """Whether an output member goes in the JSON body (members the model does not name do:
    the adapter knows what its clients read)."""
    if not isinstance(shape, StructureShape) or name not in shape.members:
        return True
    return "location" not in shape.members[name].serialization


def _to_json(shape: Shape | None, document: dict[str, Any]) -> Any:
    return document if shape is None else json_codec.to_json(shape, document)


def _constrained(shape: Shape) -> bool:
    return any(bound in shape.metadata for bound in ("min", "max"))


def _payload_in(shape: Shape, body: bytes, name: str) -> Any:
    """The payload member from the body: a blob as it is, a string decoded, a structure
    from its JSON."""
    if shape.type_name == "blob":
        return body
    if not body:
        return None
    if shape.type_name == "string":
        return body.decode("utf-8", "replace")
    return json_codec.from_json(shape, json_codec.loads(body), validate.member_path("", name))
