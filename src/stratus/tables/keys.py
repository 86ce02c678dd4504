"""An item's or a Key parameter's key attributes checked against the table: present, of the
declared type, not empty, within AWS's sizes; and the encoded key they make."""

from __future__ import annotations

from collections.abc import Mapping

from .errors import TableValidation, invalid_parameters
from .model import Table
from .values import Item, Value, sort_bytes

MAX_HASH_BYTES = 2048
MAX_RANGE_BYTES = 1024
NO_MATCH = "The provided key element does not match the schema"


def of_item(table: Table, item: Item) -> tuple[bytes, bytes]:
    """PutItem's rules for the key (and index keys) an item carries; its encoded key."""
    for name in table.key.names():
        value = item.get(name)
        if value is None:
            raise invalid_parameters(f"Missing the key {name} in the item")
        _check_type(name, value, table.attributes[name])
        _check_not_empty(name, value)
    for index in table.indexes:
        for name in index.key.names():
            value = item.get(name)
            if value is None or name in table.key.names():
                continue
            expected = table.attributes[name]
            actual = next(iter(value))
            if actual != expected:
                raise invalid_parameters(
                    f"Type mismatch for Index Key {name} Expected: {expected} Actual: {actual} "
                    f"IndexName: {index.name}"
                )
            if not value[actual]:
                raise TableValidation(
                    "One or more parameter values are not valid. A value specified for a "
                    "secondary index key is not supported. The AttributeValue for a key "
                    f"attribute cannot contain an empty {_noun(actual)} value. IndexName: "
                    f"{index.name}, IndexKey: {name}"
                )
    return _encoded(table, item)


def of_key(table: Table, key: Mapping[str, Value]) -> tuple[bytes, bytes]:
    """A Key parameter: exactly the table's key attributes, of their types."""
    names = table.key.names()
    if len(key) != len(names) or any(n not in key for n in names):
        raise TableValidation(NO_MATCH)
    for name in names:
        value = key[name]
        if len(value) != 1 or next(iter(value)) != table.attributes[name]:
            raise TableValidation(NO_MATCH)
        _check_not_empty(name, value)
    return _encoded(table, key)


def _encoded(table: Table, item: Mapping[str, Value]) -> tuple[bytes, bytes]:
    hashed = item[table.key.hash]
    kind = table.attributes[table.key.hash]
    pk = sort_bytes(kind, hashed[kind])
    if len(pk) > MAX_HASH_BYTES and kind != "N":
        raise invalid_parameters(
            f"Size of hashkey has exceeded the maximum size limit of{MAX_HASH_BYTES} bytes"
        )
    if table.key.range is None:
        return pk, b""
    range_kind = table.attributes[table.key.range]
    sk = sort_bytes(range_kind, item[table.key.range][range_kind])
    if len(sk) > MAX_RANGE_BYTES and range_kind != "N":
        raise invalid_parameters(
            f"Aggregated size of all range keys has exceeded the size limit of {MAX_RANGE_BYTES} "
            "bytes"
        )
    return pk, sk


def _check_type(name: str, value: Value, expected: str) -> None:
    actual = next(iter(value))
    if actual != expected:
        raise invalid_parameters(
            f"Type mismatch for key {name} expected: {expected} actual: {actual}"
        )


def _check_not_empty(name: str, value: Value) -> None:
    kind, inner = next(iter(value.items()))
    if kind in ("S", "B") and not inner:
        raise TableValidation(
            "One or more parameter values are not valid. The AttributeValue for a key "
            f"attribute cannot contain an empty {_noun(kind)} value. Key: {name}"
        )


def _noun(kind: str) -> str:
    return "string" if kind == "S" else "binary"


def key_attributes(table: Table, item: Item) -> Item:
    """The item's table key attributes alone (a LastEvaluatedKey, a deleted item's key)."""
    return {n: item[n] for n in table.key.names()}
