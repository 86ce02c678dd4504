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

Each structure's members are sorted by location once (`Located`, kept per shape), so a
request looks up only the members its operation has: Lambda's Invoke, on the hot path, reads
a label, a query key and five headers.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from botocore.model import ListShape, MapShape, Shape, StructureShape

from . import validate
from .xml_codec import scalar, text


@dataclass(frozen=True, slots=True)
class _Member:
    name: str
    wire: str  # the label or query key; for headers, the name (or prefix) in lower case
    shape: Shape
    where: str  # how validation messages name it


class Located:
    """One structure's members outside the body, sorted by location."""

    def __init__(self, shape: StructureShape) -> None:
        by_location: dict[str, list[_Member]] = {}
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            if location is None:
                continue
            wire = member.serialization.get("name", name)
            if location in ("header", "headers"):
                wire = wire.lower()
            item = _Member(name, wire, member, validate.member_path("", name))
            by_location.setdefault(location, []).append(item)
        self.uri = by_location.get("uri", [])
        self.querystring = by_location.get("querystring", [])
        self.header = by_location.get("header", [])
        self.prefixed = [m for m in by_location.get("headers", []) if isinstance(m.shape, MapShape)]
        self.status = by_location.get("statusCode", [])
        self._bound_keys = {m.wire for m in self.querystring}

    def parse(
        self, labels: Mapping[str, str], query: Mapping[str, list[str]], headers: Mapping[str, str]
    ) -> dict[str, Any]:
        """The members found in the URI labels, query string and headers (looked up by
        lower-case name: a Starlette `Headers`, or a plain dict of lower-case names)."""
        params: dict[str, Any] = {}
        for m in self.uri:
            if m.wire in labels:
                params[m.name] = scalar(m.shape, labels[m.wire], m.where, "iso8601")
        for m in self.querystring:
            value = _from_query(m, query, self._bound_keys)
            if value is not None:
                params[m.name] = value
        for m in self.header:
            raw = headers.get(m.wire)
            if raw is not None:
                params[m.name] = _from_header(m, raw)
        for m in self.prefixed:
            found = {k[len(m.wire) :]: v for k, v in headers.items() if k.startswith(m.wire)}
            if found:
                params[m.name] = found
        return params

    def render(self, output: Mapping[str, Any]) -> tuple[int | None, dict[str, str]]:
        """The status (a `statusCode` member, if any) and headers of an answer's members."""
        status: int | None = None
        answer: dict[str, str] = {}
        for m in self.status:
            if output.get(m.name) is not None:
                status = int(output[m.name])
        for m in self.header:
            value = output.get(m.name)
            if value is not None:
                answer[m.wire] = header_text(m.shape, value)
        for m in self.prefixed:
            for key, item in (output.get(m.name) or {}).items():
                answer[f"{m.wire}{key}"] = str(item)
        return status, answer


def located(shape: StructureShape) -> Located:
    """`Located` for a shape, sorted once and kept with the shape (so its id stays its own)."""
    known = _LOCATED.get(id(shape))
    if known is None:
        known = _LOCATED[id(shape)] = (shape, Located(shape))
    return known[1]


_LOCATED: dict[int, tuple[StructureShape, Located]] = {}


def parse_located(
    shape: StructureShape,
    labels: Mapping[str, str],
    query: Mapping[str, list[str]],
    headers: Mapping[str, str],
) -> dict[str, Any]:
    """The members of `shape` found in the URI labels, query string and headers."""
    return located(shape).parse(labels, query, headers)


def render_located(
    shape: StructureShape, output: Mapping[str, Any]
) -> tuple[int | None, dict[str, str]]:
    """The status (a `statusCode` member, if any) and headers of an answer's members."""
    return located(shape).render(output)


def header_text(shape: Shape, value: Any) -> str:
    if isinstance(shape, ListShape):
        return ",".join(header_text(shape.member, v) for v in value)
    if shape.type_name == "string" and shape.serialization.get("jsonvalue"):
        return base64.b64encode(orjson.dumps(value)).decode()
    return text(shape, value, "rfc822")


def _from_query(m: _Member, query: Mapping[str, list[str]], bound: set[str]) -> Any:
    shape = m.shape
    if isinstance(shape, MapShape):  # every key no other member names
        found = {
            k: (v if isinstance(shape.value, ListShape) else v[0])
            for k, v in query.items()
            if k not in bound
        }
        return found or None
    raw = query.get(m.wire)
    if not raw:
        return None
    if isinstance(shape, ListShape):
        return [
            scalar(shape.member, item, f"{m.where}.{i}.member", "iso8601")
            for i, item in enumerate(raw, 1)
        ]
    return scalar(shape, raw[0], m.where, "iso8601")


def _from_header(m: _Member, raw: str) -> Any:
    shape = m.shape
    if isinstance(shape, ListShape):
        items = [item.strip() for item in raw.split(",")] if raw.strip() else []
        return [
            scalar(shape.member, item, f"{m.where}.{i}.member", "rfc822")
            for i, item in enumerate(items, 1)
        ]
    if shape.type_name == "string" and shape.serialization.get("jsonvalue"):
        try:
            return orjson.loads(base64.b64decode(raw, validate=True))
        except (binascii.Error, orjson.JSONDecodeError) as exc:
            raise validate.not_of_type(raw, m.where, "base64 JSON") from exc
    return scalar(shape, raw, m.where, "rfc822")
