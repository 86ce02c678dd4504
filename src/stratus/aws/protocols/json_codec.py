"""Members to and from JSON values, by the model: the body codec of json 1.0/1.1 and rest-json.

    blob        base64 text
    timestamp   epoch seconds (a number; ISO 8601 text is accepted on input)
    structure   an object keyed by each member's wire name (`locationName`, if any)
    document    any JSON, as it is

Input: a value of the wrong JSON type is Malformed (AWS's SerializationException); members the
model does not name are dropped, as AWS ignores them. Output: members the model does not name
pass through (the adapter knows what its clients read); values that need no conversion (no
blob, timestamp or renamed member anywhere below) are not walked at all.

Speed: every request of every JSON API goes through here, so each shape is compiled once into
a closure (a reader, a writer) that knows its members, wire names and types, instead of asking
the model about every value. A closure builds its members' closures on its first call, which
also ends the recursion of shapes that contain themselves (DynamoDB's AttributeValue). Where a
value is (a path like `entries.3.member.messageBody`) is only spelled out when it is wrong:
the error collects its path on the way out.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import orjson
from botocore.model import ListShape, MapShape, Shape, StructureShape

from stratus.errors import Malformed

from . import validate
from .timestamps import parse_time, utc

Reader = Callable[[Any], Any]
Writer = Callable[[Any], Any]


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
    try:
        return reader(shape)(value)
    except _Wrong as wrong:
        path = [where] if where else []
        path.extend(reversed(wrong.path))
        raise _not_of_type(wrong.value, ".".join(path), wrong.kind) from None


def to_json(shape: Shape, value: Any) -> Any:
    """Output members as JSON values: blobs base64, datetimes epoch seconds."""
    write = writer(shape)
    return value if write is None else write(value)


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


# ---- readers ----------------------------------------------------------------------------


class _Wrong(Exception):
    """A value not of its shape's JSON type; `path` grows from the value up (reversed)."""

    def __init__(self, value: Any, kind: str) -> None:
        self.value, self.kind = value, kind
        self.path: list[str] = []


def reader(shape: Shape) -> Reader:
    """The shape's compiled reader (raises _Wrong; `from_json` names where)."""
    cached = _READERS.get(id(shape))
    if cached is None:
        cached = _READERS[id(shape)] = (shape, _compile_reader(shape))
    return cached[1]


def _compile_reader(shape: Shape) -> Reader:
    kind = shape.type_name
    if kind == "blob":
        return _read_blob
    if kind == "timestamp":
        return _read_time
    if shape.metadata.get("document"):
        return _as_it_is
    if isinstance(shape, StructureShape):
        return _structure_reader(shape)
    if isinstance(shape, ListShape):
        return _list_reader(shape)
    if isinstance(shape, MapShape):
        return _map_reader(shape)
    return _SCALAR_READERS.get(kind, _as_it_is)


def _structure_reader(shape: StructureShape) -> Reader:
    plan: dict[str, tuple[str, Reader, str]] | None = None

    def read(value: Any) -> dict[str, Any]:
        nonlocal plan
        if not isinstance(value, dict):
            raise _Wrong(value, "structure")
        if plan is None:
            plan = {
                key: (name, reader(member), validate.member_path("", name))
                for key, (name, member) in body_members(shape).items()
            }
        found = {}
        for key, item in value.items():
            entry = plan.get(key)
            if entry is not None and item is not None:
                try:
                    found[entry[0]] = entry[1](item)
                except _Wrong as wrong:
                    wrong.path.append(entry[2])
                    raise
        return found

    return read


def _list_reader(shape: ListShape) -> Reader:
    item_reader: Reader | None = None

    def read(value: Any) -> list[Any]:
        nonlocal item_reader
        if not isinstance(value, list):
            raise _Wrong(value, "list")
        if item_reader is None:
            item_reader = reader(shape.member)
        found = []
        for i, item in enumerate(value, 1):
            try:
                found.append(item_reader(item))
            except _Wrong as wrong:
                wrong.path.append(f"{i}.member")
                raise
        return found

    return read


def _map_reader(shape: MapShape) -> Reader:
    value_reader: Reader | None = None

    def read(value: Any) -> dict[str, Any]:
        nonlocal value_reader
        if not isinstance(value, dict):
            raise _Wrong(value, "map")
        if value_reader is None:
            value_reader = reader(shape.value)
        found = {}
        for key, item in value.items():
            try:
                found[key] = value_reader(item)
            except _Wrong as wrong:
                wrong.path.append(key)
                raise
        return found

    return read


def _read_string(value: Any) -> Any:
    if isinstance(value, str):
        return value
    raise _Wrong(value, "string")


def _reads_integer(kind: str) -> Reader:
    def read(value: Any) -> Any:
        # JSON's true/false are Python ints too; only a boolean member takes them.
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _Wrong(value, kind)

    return read


def _reads_number(kind: str) -> Reader:
    def read(value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        raise _Wrong(value, kind)

    return read


def _read_boolean(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    raise _Wrong(value, "boolean")


def _as_it_is(value: Any) -> Any:
    return value


def _read_blob(value: Any) -> bytes:
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error:
            pass
    raise _Wrong(value, "base64 blob")


def _read_time(value: Any) -> datetime:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return utc(value)
    if isinstance(value, str):
        try:
            return parse_time(value)
        except ValueError:
            pass
    raise _Wrong(value, "timestamp")


_SCALAR_READERS: dict[str, Reader] = {
    "string": _read_string,
    "integer": _reads_integer("integer"),
    "long": _reads_integer("long"),
    "float": _reads_number("float"),
    "double": _reads_number("double"),
    "boolean": _read_boolean,
}


def _not_of_type(value: Any, where: str, kind: str) -> Malformed:
    return Malformed(
        f"Could not parse request body into json: Value '{validate.shown_value(value)}' at "
        f"'{where}' is not a valid {kind}"
    )


# ---- writers ----------------------------------------------------------------------------


def writer(shape: Shape) -> Writer | None:
    """The shape's compiled writer; None when its values go out as they are."""
    cached = _WRITERS.get(id(shape))
    if cached is None:
        write = _compile_writer(shape) if _needs_conversion(shape, ()) else None
        cached = _WRITERS[id(shape)] = (shape, write)
    return cached[1]


def _compile_writer(shape: Shape) -> Writer | None:
    if shape.type_name == "blob":
        return _write_blob
    if shape.type_name == "timestamp":
        return _write_time
    if isinstance(shape, StructureShape):
        return _structure_writer(shape)
    if isinstance(shape, ListShape | MapShape):
        return _collection_writer(shape)
    return None


def _structure_writer(shape: StructureShape) -> Writer:
    plan: dict[str, tuple[str, Writer | None]] | None = None

    def write(value: Any) -> Any:
        nonlocal plan
        if not isinstance(value, Mapping):
            return value
        if plan is None:
            plan = {name: (wire_name(m, name), writer(m)) for name, m in shape.members.items()}
        found = {}
        for key, item in value.items():
            entry = plan.get(key)
            if entry is None:
                found[key] = item
            else:
                found[entry[0]] = item if entry[1] is None else entry[1](item)
        return found

    return write


def _collection_writer(shape: ListShape | MapShape) -> Writer:
    items: list[Writer | None] = []

    def write(value: Any) -> Any:
        if not items:
            items.append(writer(shape.member if isinstance(shape, ListShape) else shape.value))
        each = items[0]
        if each is None:
            return value
        if isinstance(shape, ListShape):
            return [each(v) for v in value] if isinstance(value, list) else value
        return {k: each(v) for k, v in value.items()} if isinstance(value, Mapping) else value

    return write


def _write_blob(value: Any) -> Any:
    return base64.b64encode(value).decode() if isinstance(value, bytes | bytearray) else value


def _write_time(value: Any) -> Any:
    return utc(value).timestamp() if isinstance(value, datetime) else value


# Per shape, kept with the shape (so its id is not reused while cached). Models are loaded
# once per process, so these stay as small as the shapes served.
_BODY_MEMBERS: dict[int, tuple[Shape, dict[str, tuple[str, Shape]]]] = {}
_READERS: dict[int, tuple[Shape, Reader]] = {}
_WRITERS: dict[int, tuple[Shape, Writer | None]] = {}
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
