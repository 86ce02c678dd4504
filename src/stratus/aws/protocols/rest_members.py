"""Where each member of a REST request and answer travels (rest-json and rest-xml alike):

    location uri          a label of the request URI            {FunctionName}, {Key+}
    location querystring  a query parameter; a map takes all the others
    location header       a header; lists comma-separated
    location headers      every header with the member's prefix (a map)
    location statusCode   the answer's HTTP status
    payload               the one member that is the whole body: a blob or string raw, a
                          structure in the protocol's body format
    (none)                a member of the body document (JSON for rest-json)

Text is typed by the member's shape (xml_codec.scalar; timestamps ISO 8601 in the URI and
query, RFC 822 in headers, unless the shape names its format). A `Plan` sorts one operation's
members by location once, so a request reads only what its operation has; the body's own
format is the protocol's `BodyCodec`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import orjson
from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape
from starlette.responses import Response

from . import validate, xml_codec
from .timestamps import format_time, parse_time


class BodyCodec(Protocol):
    """A protocol's body format: members of a structure from a body, and back."""

    media_type: str

    def parse(self, shape: Shape, body: bytes, where: str) -> Any: ...

    def render(self, shape: Shape | None, value: Any) -> bytes: ...


@dataclass(frozen=True, slots=True)
class _Member:
    name: str
    key: str  # the label, query key or header name (lower case) it travels under
    shape: Shape


class Plan:
    """Where each input and output member of one operation travels, sorted out once."""

    def __init__(self, operation: OperationModel, codec: BodyCodec) -> None:
        self.operation = operation
        self.codec = codec
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
            value = self._payload_in(self.payload, body)
            if value is not None:
                params[self.payload.name] = value
        elif self.body_shape is not None and body:
            params.update(self.codec.parse(self.body_shape, body, ""))
        return {k: v for k, v in params.items() if v is not None}

    def _payload_in(self, member: _Member, body: bytes) -> Any:
        kind = member.shape.type_name
        if kind == "blob":
            return body
        if not body:
            return None
        if kind == "string":
            return body.decode("utf-8", "replace")
        return self.codec.parse(member.shape, body, validate.member_path("", member.name))

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
                body = b"" if value is None else self.codec.render(self.out_payload.shape, value)
                media_type = self.codec.media_type
            else:
                body = value.encode() if isinstance(value, str) else (value or b"")
        else:
            located = {m.name for m in (*self.out_headers, *self.out_prefixed)}
            if self.status_member is not None:
                located.add(self.status_member.name)
            shape = self.operation.output_shape
            document = {k: v for k, v in output.items() if k not in located and v is not None}
            no_content = status == 204 or (shape is None and not document)
            body = b"" if no_content else self.codec.render(shape, document)
            media_type = self.codec.media_type
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
