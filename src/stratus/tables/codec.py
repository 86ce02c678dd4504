"""Items to and from the bytes of their row: JSON, binary values as base64 text.

Most items hold no binary value; their bytes are read back by orjson alone. Only an item
whose JSON names a B or BS member is walked to turn base64 back into bytes.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson

from .values import Item, Value


def encode_bytes(value: object) -> str:
    """orjson's hook: binary values as base64 text."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    raise TypeError(f"cannot store {type(value).__name__} in an item")


def dumps(item: Item) -> bytes:
    return orjson.dumps(item, default=encode_bytes)


def loads(blob: bytes) -> Item:
    item: Item = orjson.loads(blob)
    if b'"B' in blob:
        return {name: binary(value) for name, value in item.items()}
    return item


def binary(value: Value) -> Value:
    """A value read from JSON with its base64 text made bytes again (B and BS)."""
    kind, inner = next(iter(value.items()))
    if kind == "B":
        return {"B": base64.b64decode(inner)}
    if kind == "BS":
        return {"BS": [base64.b64decode(v) for v in inner]}
    if kind == "L":
        return {"L": [binary(v) for v in inner]}
    if kind == "M":
        return {"M": {k: binary(v) for k, v in inner.items()}}
    return value


def copy(value: Any) -> Any:
    """A deep copy of a value (lists and dicts; strings, bytes and bools are immutable)."""
    if isinstance(value, dict):
        return {k: copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy(v) for v in value]
    return value
