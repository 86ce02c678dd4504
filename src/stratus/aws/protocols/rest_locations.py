"""The members of a REST request or answer that travel outside the body (rest-json and
rest-xml alike), placed by each member's `location` in the model:

    uri           /{Bucket}/{Key+}      a label of the request URI (rest_routing.py matches)
    querystring   ?max-keys=10          repeated keys for lists; a map takes every other key
    header        x-amz-acl: private    lists comma-separated; timestamps RFC 822 by default;
                                        `jsonvalue` strings as base64 JSON
    headers       x-amz-meta-color: red  a map of every header under a prefix
    statusCode                           (answers) the HTTP status

Text is typed by the member's shape (integers, booleans true/false, timestamps), and text
that is not its type is a Validation error naming the member. Members with no location travel
in the body, whose codec is the protocol's (JSON or XML).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

import orjson
from botocore.model import ListShape, MapShape, Shape, StructureShape
from starlette.datastructures import Headers

from . import validate
from .timestamps import format_time
from .xml_codec import scalar

# Where each location's timestamps are written unless the shape says otherwise.
_TIME_FORMATS = {
    "header": "rfc822",
    "headers": "rfc822",
    "querystring": "iso8601",
    "uri": "iso8601",
}


def parse_located(
    shape: StructureShape,
    labels: Mapping[str, str],
    query: Mapping[str, list[str]],
    headers: Headers,
) -> dict[str, Any]:
    """The members of `shape` found in the URI labels, query string and headers."""
    params: dict[str, Any] = {}
    bound_keys = {
        m.serialization.get("name", n)
        for n, m in shape.members.items()
        if m.serialization.get("location") == "querystring"
    }
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        if location is None:
            continue
        wire = member.serialization.get("name", name)
        where = validate.member_path("", name)
        value: Any = None
        if location == "uri" and wire in labels:
            value = _text(member, labels[wire], where, location)
        elif location == "querystring":
            value = _from_query(member, wire, query, bound_keys, where)
        elif location == "header" and wire in headers:
            value = _from_header(member, headers[wire], where)
        elif location == "headers" and isinstance(member, MapShape):
            prefix = wire.lower()
            found = {k[len(prefix) :]: v for k, v in headers.items() if k.startswith(prefix)}
            value = found or None
        if value is not None:
            params[name] = value
    return params


def render_located(
    shape: StructureShape, output: Mapping[str, Any]
) -> tuple[int | None, dict[str, str]]:
    """The status (a `statusCode` member, if any) and headers of an answer's members."""
    status: int | None = None
    headers: dict[str, str] = {}
    for name, member in shape.members.items():
        value = output.get(name)
        location = member.serialization.get("location")
        if value is None or location is None:
            continue
        wire = member.serialization.get("name", name)
        if location == "statusCode":
            status = int(value)
        elif location == "header":
            headers[wire] = header_text(member, value)
        elif location == "headers":
            for key, item in value.items():
                headers[f"{wire}{key}"] = str(item)
    return status, headers


def header_text(shape: Shape, value: Any) -> str:
    kind = shape.type_name
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp":
        return format_time(value, shape.serialization.get("timestampFormat", "rfc822"))
    if isinstance(shape, ListShape):
        return ",".join(header_text(shape.member, v) for v in value)
    if kind == "string" and shape.serialization.get("jsonvalue"):
        return base64.b64encode(orjson.dumps(value)).decode()
    if kind == "blob":
        return base64.b64encode(value).decode()
    return str(value)


def _text(member: Shape, raw: str, where: str, location: str) -> Any:
    return scalar(member, raw, where, _TIME_FORMATS[location])


def _from_query(
    member: Shape, wire: str, query: Mapping[str, list[str]], bound: set[str], where: str
) -> Any:
    if isinstance(member, MapShape):  # every key no other member names
        found = {
            k: (v if isinstance(member.value, ListShape) else v[0])
            for k, v in query.items()
            if k not in bound
        }
        return found or None
    raw = query.get(wire)
    if not raw:
        return None
    if isinstance(member, ListShape):
        return [
            _text(member.member, item, f"{where}.{i}.member", "querystring")
            for i, item in enumerate(raw, 1)
        ]
    return _text(member, raw[0], where, "querystring")


def _from_header(member: Shape, raw: str, where: str) -> Any:
    if isinstance(member, ListShape):
        items = [item.strip() for item in raw.split(",")] if raw.strip() else []
        return [
            _text(member.member, item, f"{where}.{i}.member", "header")
            for i, item in enumerate(items, 1)
        ]
    if member.type_name == "string" and member.serialization.get("jsonvalue"):
        try:
            return orjson.loads(base64.b64decode(raw, validate=True))
        except (binascii.Error, orjson.JSONDecodeError) as exc:
            raise validate.not_of_type(raw, where, "base64 JSON") from exc
    return _text(member, raw, where, "header")
