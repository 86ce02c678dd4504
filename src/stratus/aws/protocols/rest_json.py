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

Per operation the locations are sorted once (`_Plan`), so the hot path (Lambda's Invoke) reads
a few headers and the body and does no model walking.
"""

from __future__ import annotations

import base64
import binascii
import urllib.parse
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape
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

from . import json_codec, validate, xml_codec
from .adapter import Api, Call, handler_of
from .body import wait_body
from .errors import ErrorTable, WireError, wire_error
from .models import service_model
from .rest_routing import RouteMatch, Router
from .timestamps import format_time, parse_time

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
        self._plans: dict[str, _Plan] = {}

    def route(self) -> BaseRoute:
        """A Starlette route answering every request that names one of the model's operations."""
        return _Route(self)

    def plan(self, operation: str) -> _Plan:
        plan = self._plans.get(operation)
        if plan is None:
            plan = self._plans[operation] = _Plan(self.model.operation_model(operation))
        return plan

    def _check(self, plan: _Plan, params: dict[str, Any]) -> None:
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


# --- one operation's wire layout --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Member:
    name: str
    key: str  # the label, query key or header name (lower case) it travels under
    shape: Shape


class _Plan:
    """Where each input and output member of one operation travels, sorted out once."""

    def __init__(self, operation: OperationModel) -> None:
        self.operation = operation
        inputs = _locations(operation.input_shape)
        self.uri: list[_Member] = inputs.get("uri", [])
        self.querystring: list[_Member] = inputs.get("querystring", [])
        self.header: list[_Member] = inputs.get("header", [])
        self.prefixed: list[_Member] = inputs.get("headers", [])
        self.payload: _Member | None = _payload(operation.input_shape)
        self.body_shape = operation.input_shape if inputs.get("") else None
        self.reads_body = self.payload is not None or self.body_shape is not None
        outputs = _locations(operation.output_shape)
        self.status_member = next(iter(outputs.get("statusCode", [])), None)
        self.out_headers: list[_Member] = outputs.get("header", [])
        self.out_prefixed: list[_Member] = outputs.get("headers", [])
        self.out_payload: _Member | None = _payload(operation.output_shape)
        self.out_body: list[_Member] = outputs.get("", [])
        self.status = int(operation.http.get("responseCode", 200))
        self._header_paths = tuple(f" at '{validate.member_path('', m.name)}'" for m in self.header)
        # Inputs of scalars that passed the model's checks; a blob payload without
        # constraints (Invoke's) cannot fail them, so it is left out of the key.
        self.passed: set[tuple[tuple[str, Any], ...]] = set()
        payload = self.payload
        free = payload is not None and not _constrained(payload.shape)
        self._unkeyed = payload.name if payload is not None and free else None

    def memo_key(self, params: dict[str, Any]) -> tuple[tuple[str, Any], ...] | None:
        """`params` as a key of `passed`, or None when a value is not a small scalar."""
        key = tuple(item for item in params.items() if item[0] != self._unkeyed)
        if all(type(v) in _SCALARS for _, v in key):
            return key
        return None

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
        params: dict[str, Any] = {}
        for member in self.uri:
            if member.key in labels:
                params[member.name] = _from_text(member, labels[member.key], "iso8601")
        for member in self.querystring:
            if member.shape.type_name == "map":
                params[member.name] = _query_map(member, query, self.querystring)
            elif member.key in query:
                values = query[member.key]
                params[member.name] = (
                    [_from_text(_item(member), v, "iso8601") for v in values]
                    if member.shape.type_name == "list"
                    else _from_text(member, values[0], "iso8601")
                )
        for member in self.header:
            value = headers.get(member.key)
            if value is not None:
                params[member.name] = _from_header(member, value)
        for member in self.prefixed:
            found = {
                k[len(member.key) :]: v for k, v in headers.items() if k.startswith(member.key)
            }
            if found:
                params[member.name] = found
        if self.payload is not None:
            value = _payload_in(self.payload, body)
            if value is not None:
                params[self.payload.name] = value
        elif self.body_shape is not None and body:
            document = json_codec.loads(body)
            if not isinstance(document, dict):
                raise Malformed("Could not parse request body into json: expected an object")
            params.update(json_codec.from_json(self.body_shape, document))
        return {k: v for k, v in params.items() if v is not None}

    def render(
        self, output: Mapping[str, Any] | None, request_id: str, media_type: str
    ) -> Response:
        output = output or {}
        headers = {"x-amzn-RequestId": request_id}
        for member in self.out_headers:
            value = output.get(member.name)
            if value is not None:
                headers[member.key] = _header_text(member.shape, value)
        for member in self.out_prefixed:
            for k, v in (output.get(member.name) or {}).items():
                headers[f"{member.key}{k}"] = str(v)
        status = self.status
        if self.status_member is not None and output.get(self.status_member.name) is not None:
            status = int(output[self.status_member.name])
        if self.out_payload is not None:
            value = output.get(self.out_payload.name)
            if self.out_payload.shape.type_name == "structure":
                body = (
                    b""
                    if value is None
                    else orjson.dumps(json_codec.to_json(self.out_payload.shape, value))
                )
                media_type = "application/json"
            else:
                body = value.encode() if isinstance(value, str) else (value or b"")
        else:
            located = {m.name for m in (*self.out_headers, *self.out_prefixed)}
            if self.status_member is not None:
                located.add(self.status_member.name)
            shape = self.operation.output_shape
            document = {k: v for k, v in output.items() if k not in located and v is not None}
            if shape is not None:
                document = json_codec.to_json(shape, document)
            body = b"" if status == 204 else orjson.dumps(document)
            media_type = "application/json"
        return Response(body, status, headers, media_type=media_type if body else None)


_SCALARS = frozenset({str, int, bool, float})


def _constrained(shape: Shape) -> bool:
    return any(bound in shape.metadata for bound in ("min", "max"))


def _locations(shape: StructureShape | None) -> dict[str, list[_Member]]:
    found: dict[str, list[_Member]] = {}
    if shape is None:
        return found
    payload = shape.serialization.get("payload")
    for name, member in shape.members.items():
        if name == payload:
            continue
        location = member.serialization.get("location", "")
        key = member.serialization.get("name", name)
        if location in ("header", "headers"):
            key = key.lower()
        found.setdefault(location, []).append(_Member(name, key, member))
    return found


def _payload(shape: StructureShape | None) -> _Member | None:
    name = shape.serialization.get("payload") if shape is not None else None
    if shape is None or name is None:
        return None
    return _Member(name, name, shape.members[name])


def _item(member: _Member) -> _Member:
    """A list member's item, travelling under the list's name."""
    assert isinstance(member.shape, ListShape)
    return _Member(member.name, member.key, member.shape.member)


def _query_map(
    member: _Member, query: Mapping[str, list[str]], named: list[_Member]
) -> dict[str, Any] | None:
    """A querystring map takes every key no other member names."""
    taken = {m.key for m in named if m is not member}
    assert isinstance(member.shape, MapShape)
    lists = member.shape.value.type_name == "list"
    found = {k: (v if lists else v[0]) for k, v in query.items() if k not in taken}
    return found or None


# --- text (uri, query, headers) ---------------------------------------------------------


def _from_text(member: _Member, raw: str, time_format: str) -> Any:
    """Text from the URI, query string or a header, typed; timestamps default to
    `time_format` (ISO 8601 in the URI and query, RFC 822 in headers)."""
    shape = member.shape
    if shape.type_name == "string":
        return raw
    where = validate.member_path("", member.name)
    if shape.type_name != "timestamp":
        return xml_codec.scalar(shape, raw, where)
    try:
        return parse_time(raw, shape.serialization.get("timestampFormat", time_format))
    except ValueError as exc:
        raise validate.not_of_type(raw, where, "timestamp") from exc


def _from_header(member: _Member, raw: str) -> Any:
    shape = member.shape
    if shape.type_name == "list":
        return [_from_text(_item(member), v.strip(), "rfc822") for v in raw.split(",")]
    if shape.type_name == "string" and shape.serialization.get("jsonvalue"):
        try:
            return orjson.loads(base64.b64decode(raw))
        except (ValueError, binascii.Error) as exc:
            raise validate.not_of_type(raw, validate.member_path("", member.name), "json") from exc
    return _from_text(member, raw, "rfc822")


def _header_text(shape: Shape, value: Any) -> str:
    kind = shape.type_name
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp" and isinstance(value, datetime):
        form = shape.serialization.get("timestampFormat", "rfc822")
        return format_time(value, form)
    if isinstance(shape, ListShape):
        return ",".join(_header_text(shape.member, v) for v in value)
    if kind == "string" and shape.serialization.get("jsonvalue"):
        return base64.b64encode(orjson.dumps(value)).decode()
    return str(value)


# --- bodies -------------------------------------------------------------------------------


def _payload_in(member: _Member, body: bytes) -> Any:
    kind = member.shape.type_name
    if kind == "blob":
        return body
    if not body:
        return None
    if kind == "string":
        return body.decode("utf-8", "replace")
    document = json_codec.loads(body)
    return json_codec.from_json(member.shape, document, validate.member_path("", member.name))
