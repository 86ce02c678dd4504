"""Members to and from JSON values, by the model: the body codec of json 1.0/1.1 and rest-json.

    blob        base64 text
    timestamp   epoch seconds (a number; ISO 8601 text is accepted on input)
    structure   an object keyed by each member's wire name (`locationName`, if any)
    document    any JSON, as it is

Input: a value of the wrong JSON type is Malformed (AWS's SerializationException); members the
model does not name are dropped, as AWS ignores them. Output: members the model does not name
pass through (the adapter knows what its clients read); values that need no conversion (no
blob, timestamp or renamed member anywhere below) are not walked at all.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson
from botocore.model import ListShape, MapShape, Shape, StructureShape

from stratus.errors import Malformed

from . import validate
from .timestamps import parse_time, utc

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
    "boolean": (bool,),
    "list": (list,),
    "map": (dict,),
    "structure": (dict,),
}


def loads(body: bytes) -> Any:
    """A JSON document; an empty body is an empty object."""
    if not body.strip():
        return {}
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise Malformed(f"Could not parse request body into json: {exc}") from exc


def from_json(shape: Shape, value: Any, where: str = "") -> Any:
    """A JSON value typed by its shape: blobs decoded, timestamps made datetimes."""
    kind = shape.type_name
    if kind == "blob":
        return _blob(value, where)
    if kind == "timestamp":
        return _time(value, where)
    if shape.metadata.get("document") or kind not in _JSON_TYPES:
        return value
    if not _of_json_type(value, _JSON_TYPES[kind]):
        raise _not_of_type(value, where, kind)
    if isinstance(shape, StructureShape):
        found = {}
        members = body_members(shape)
        for key, v in value.items():
            member = members.get(key)
            if member is not None and v is not None:
                name, member_shape = member
                found[name] = from_json(member_shape, v, validate.member_path(where, name))
        return found
    if isinstance(shape, ListShape):
        return [from_json(shape.member, v, f"{where}.{i}.member") for i, v in enumerate(value, 1)]
    if isinstance(shape, MapShape):
        return {k: from_json(shape.value, v, f"{where}.{k}") for k, v in value.items()}
    return value


def to_json(shape: Shape, value: Any) -> Any:
    """Output members as JSON values: blobs base64, datetimes epoch seconds."""
    if not _needs_conversion(shape, ()):
        return value
    if shape.type_name == "blob" and isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if shape.type_name == "timestamp" and isinstance(value, datetime):
        return utc(value).timestamp()
    if isinstance(shape, StructureShape) and isinstance(value, Mapping):
        members = shape.members
        return {
            wire_name(members[k], k) if k in members else k: (
                to_json(members[k], v) if k in members else v
            )
            for k, v in value.items()
        }
    if isinstance(shape, ListShape) and isinstance(value, list):
        return [to_json(shape.member, v) for v in value]
    if isinstance(shape, MapShape) and isinstance(value, Mapping):
        return {k: to_json(shape.value, v) for k, v in value.items()}
    return value


def wire_name(member: Shape, name: str) -> str:
    return str(member.serialization.get("name", name))


def body_members(shape: StructureShape) -> dict[str, tuple[str, Shape]]:
    """A structure's body members by the name they have in JSON (REST members with a
    location travel elsewhere)."""
    cached = _BODY_MEMBERS.get(id(shape))
    if cached is None:
        by_key = {
            wire_name(m, name): (name, m)
            for name, m in shape.members.items()
            if "location" not in m.serialization
        }
        cached = _BODY_MEMBERS[id(shape)] = (shape, by_key)
    return cached[1]


def _of_json_type(value: object, expected: tuple[type, ...]) -> bool:
    # JSON's true/false are Python ints too; only a boolean member takes them.
    return isinstance(value, expected) and (bool in expected or not isinstance(value, bool))


def _blob(value: Any, where: str) -> bytes:
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error:
            pass
    raise _not_of_type(value, where, "base64 blob")


def _time(value: Any, where: str) -> datetime:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return utc(value)
    if isinstance(value, str):
        try:
            return parse_time(value)
        except ValueError:
            pass
    raise _not_of_type(value, where, "timestamp")


def _not_of_type(value: Any, where: str, kind: str) -> Malformed:
    return Malformed(
        f"Could not parse request body into json: Value '{validate.shown_value(value)}' at "
        f"'{where}' is not a valid {kind}"
    )


# Per shape, kept with the shape (so its id is not reused while cached). Models are loaded
# once per process, so these stay as small as the shapes served.
_BODY_MEMBERS: dict[int, tuple[Shape, dict[str, tuple[str, Shape]]]] = {}
_CONVERSION: dict[int, tuple[Shape, bool]] = {}


def _needs_conversion(shape: Shape, seen: tuple[str, ...]) -> bool:
    """Whether a value of this shape can hold a blob, a timestamp or a member with another
    name in JSON (else it goes out as it is)."""
    known = _CONVERSION.get(id(shape))
    if known is not None:
        return known[1]
    if shape.type_name in ("blob", "timestamp"):
        needed = True
    elif shape.name in seen:
        return False
    elif isinstance(shape, StructureShape):
        members = shape.members
        needed = any(wire_name(m, name) != name for name, m in members.items()) or any(
            _needs_conversion(c, (*seen, shape.name)) for c in members.values()
        )
    elif isinstance(shape, ListShape):
        needed = _needs_conversion(shape.member, (*seen, shape.name))
    elif isinstance(shape, MapShape):
        needed = _needs_conversion(shape.value, (*seen, shape.name))
    else:
        needed = False
    _CONVERSION[id(shape)] = (shape, needed)
    return needed
