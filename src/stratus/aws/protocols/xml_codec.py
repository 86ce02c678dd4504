"""Members to and from XML, by the model: the body codec of the query protocol's answers and
of rest-xml (S3) requests and answers.

    structure   <Tag><Member>…</Member>…</Tag>; members named by `locationName`; an
                `xmlAttribute` member is an attribute of its parent, an `xmlNamespace` an xmlns
    list        <Tag><member>…</member></Tag>, the item tag from the member's locationName;
                flattened: the items repeat in place of <Tag>, each named for the list
    map         <Tag><entry><key/><value/></entry></Tag>; flattened: <Tag><key/><value/></Tag>
                repeated
    scalars     text: booleans true/false, timestamps ISO 8601 (or the shape's
                timestampFormat), blobs base64

Output members the model does not name are an adapter's bug (TypeError), never sent. Text is
escaped for XML 1.0, which cannot carry most control characters even as references: those
become U+FFFD.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree

from botocore.model import ListShape, MapShape, Shape, StructureShape

from stratus.errors import Malformed

from . import validate
from .timestamps import format_time, parse_time

# --- members -> XML ----------------------------------------------------------------------


def render_members(
    parts: list[str], shape: StructureShape, value: Mapping[str, Any], body_only: bool = False
) -> None:
    """The member elements of a structure; `body_only` leaves out members that travel in
    headers, the status line or the URI (rest-xml)."""
    members = shape.members
    unknown = value.keys() - members.keys()
    if unknown:  # a wire adapter's mistake; AWS would never send these
        raise TypeError(f"{shape.name} has no member(s) {sorted(unknown)}")
    for name, member in members.items():
        member_value = value.get(name)
        if member_value is None or member.serialization.get("xmlAttribute"):
            continue
        if body_only and "location" in member.serialization:
            continue
        render(parts, member, member_value, member.serialization.get("name", name))


def render(parts: list[str], shape: Shape, value: Any, tag: str) -> None:
    flattened = shape.serialization.get("flattened")
    if isinstance(shape, StructureShape):
        parts.append(
            open_tag(tag, shape.serialization.get("xmlNamespace"), attributes(shape, value))
        )
        render_members(parts, shape, value)
        parts.append(f"</{tag}>")
    elif isinstance(shape, ListShape):
        member = shape.member
        if flattened:
            for item in value:
                render(parts, member, item, member.serialization.get("name", tag))
        else:
            parts.append(f"<{tag}>")
            for item in value:
                render(parts, member, item, member.serialization.get("name", "member"))
            parts.append(f"</{tag}>")
    elif isinstance(shape, MapShape):
        key_tag = shape.key.serialization.get("name", "key")
        value_tag = shape.value.serialization.get("name", "value")
        if not flattened:
            parts.append(f"<{tag}>")
        for k, v in value.items():
            parts.append(f"<{tag}>" if flattened else "<entry>")
            render(parts, shape.key, k, key_tag)
            render(parts, shape.value, v, value_tag)
            parts.append(f"</{tag}>" if flattened else "</entry>")
        if not flattened:
            parts.append(f"</{tag}>")
    else:
        parts.append(f"<{tag}>{escape(text(shape, value))}</{tag}>")


def text(shape: Shape, value: Any, time_format: str = "iso8601") -> str:
    """A scalar as wire text (not yet escaped): booleans true/false, blobs base64, timestamps
    in the shape's `timestampFormat`, else `time_format`."""
    kind = shape.type_name
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp":
        return format_time(value, shape.serialization.get("timestampFormat", time_format))
    if kind == "blob":
        return base64.b64encode(value).decode()
    if kind in ("integer", "long"):
        return str(int(value))
    if kind in ("float", "double"):
        return repr(float(value))
    return str(value)


# XML 1.0 cannot carry most control characters even as references; a parser would also turn
# a literal CR into LF, so it goes as a reference.
_ESCAPES = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord("\r"): "&#xD;"} | {
    c: "\ufffd" for c in [*range(0x20), 0xFFFE, 0xFFFF] if c not in (0x9, 0xA, 0xD)
}


# In an attribute the quote ends the value, and a parser turns tabs and line ends into spaces.
_ATTRIBUTE_ESCAPES = _ESCAPES | {ord('"'): "&quot;", ord("\n"): "&#xA;", ord("\t"): "&#x9;"}


def escape(raw: str) -> str:
    return raw.translate(_ESCAPES)


def escape_attribute(raw: str) -> str:
    return raw.translate(_ATTRIBUTE_ESCAPES)


def encode(parts: list[str]) -> bytes:
    # Lone surrogates cannot be UTF-8; they become '?' rather than a 500.
    return "".join(parts).encode("utf-8", "replace")


def open_tag(tag: str, namespace: object = None, attributes: str = "") -> str:
    """`<tag>` declaring `namespace`, a model's or shape's `xmlNamespace`: a URI, or
    {"uri": …} with an optional "prefix" (S3's Grantee declares xmlns:xsi)."""
    return f"<{tag}{_xmlns(namespace)}{attributes}>"


def _xmlns(declared: object) -> str:
    if isinstance(declared, str):
        return f' xmlns="{escape_attribute(declared)}"'
    if isinstance(declared, dict) and isinstance(declared.get("uri"), str):
        prefix = declared.get("prefix")
        name = f"xmlns:{prefix}" if isinstance(prefix, str) and prefix else "xmlns"
        return f' {name}="{escape_attribute(declared["uri"])}"'
    return ""


def attributes(shape: StructureShape, value: Mapping[str, Any]) -> str:
    """The `xmlAttribute` members of a structure, as the attributes of its element."""
    found = []
    for name, member in shape.members.items():
        if member.serialization.get("xmlAttribute") and value.get(name) is not None:
            attribute = member.serialization.get("name", name)
            found.append(f' {attribute}="{escape_attribute(text(member, value[name]))}"')
    return "".join(found)


# --- XML -> members ----------------------------------------------------------------------


def loads(body: bytes) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise Malformed(
            "The XML you provided was not well-formed or did not validate against our "
            f"published schema ({exc})"
        ) from exc


def parse(shape: Shape, element: ElementTree.Element, where: str = "") -> Any:
    """The value of `element` typed by `shape` (the element is the shape's own tag)."""
    if isinstance(shape, StructureShape):
        return _parse_structure(shape, element, where)
    if isinstance(shape, ListShape):
        return _parse_items(shape, list(element), where)
    if isinstance(shape, MapShape):
        return _parse_entries(shape, list(element), where)
    return scalar(shape, element.text or "", where)


def _parse_structure(shape: StructureShape, element: ElementTree.Element, where: str) -> Any:
    children: dict[str, list[ElementTree.Element]] = {}
    for child in element:
        children.setdefault(_local(child.tag), []).append(child)
    parsed: dict[str, Any] = {}
    for name, member in shape.members.items():
        tag = member.serialization.get("name", name)
        path = validate.member_path(where, name)
        if member.serialization.get("xmlAttribute"):
            raw = _attribute(element, tag)
            if raw is not None:
                parsed[name] = scalar(member, raw, path)
            continue
        found = children.get(tag)
        if isinstance(member, ListShape) and member.serialization.get("flattened"):
            item_tag = member.member.serialization.get("name", tag)
            if children.get(item_tag):
                parsed[name] = _parse_items(member, children[item_tag], path, flattened=True)
        elif isinstance(member, MapShape) and member.serialization.get("flattened"):
            if found:
                parsed[name] = _parse_entries(member, found, path, flattened=True)
        elif found:
            parsed[name] = parse(member, found[0], path)
    return parsed


def _parse_items(
    shape: ListShape, items: list[ElementTree.Element], where: str, flattened: bool = False
) -> list[Any]:
    if not flattened:
        tag = shape.member.serialization.get("name", "member")
        items = [item for item in items if _local(item.tag) == tag]
    return [parse(shape.member, item, f"{where}.{i}.member") for i, item in enumerate(items, 1)]


def _parse_entries(
    shape: MapShape, entries: list[ElementTree.Element], where: str, flattened: bool = False
) -> dict[Any, Any]:
    key_tag = shape.key.serialization.get("name", "key")
    value_tag = shape.value.serialization.get("name", "value")
    parsed = {}
    for i, entry in enumerate(entries, 1):
        if not flattened and _local(entry.tag) != "entry":
            continue
        parts = {_local(child.tag): child for child in entry}
        if key_tag in parts and value_tag in parts:
            k = parse(shape.key, parts[key_tag], f"{where}.{i}.key")
            parsed[k] = parse(shape.value, parts[value_tag], f"{where}.{i}.value")
    return parsed


_INTEGER = re.compile(r"[+-]?[0-9]+")


def scalar(shape: Shape, raw: str, where: str, time_format: str = "iso8601") -> Any:
    """Wire text as the shape's type; Validation naming the member when it is not one.
    Timestamps are in the shape's `timestampFormat`, else `time_format`."""
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            if not _INTEGER.fullmatch(raw.strip()):
                raise ValueError(raw)
            return int(raw)
        if kind in ("float", "double"):
            return float(raw)
        if kind == "boolean":
            if raw.strip().lower() not in ("true", "false"):
                raise ValueError(raw)
            return raw.strip().lower() == "true"
        if kind == "timestamp":
            form = shape.serialization.get("timestampFormat", time_format)
            return parse_time(raw.strip(), form)
        if kind == "blob":
            return base64.b64decode(raw, validate=True)
    except (ValueError, binascii.Error, OverflowError) as exc:
        raise validate.not_of_type(raw, where, kind) from exc
    return raw


def _local(tag: str) -> str:
    """A tag without its namespace ({uri}Tag -> Tag)."""
    return tag.rpartition("}")[2]


def _attribute(element: ElementTree.Element, name: str) -> str | None:
    # xsi:type and the like arrive namespaced; the model names them by their prefixed name.
    local = name.rpartition(":")[2]
    for key, value in element.attrib.items():
        if key == name or _local(key) == local:
            return value
    return None
