"""Attribute values: DynamoDB's rules for them, their sizes and their order.

A value is the wire's one-key mapping, kept as it came (`{"S": "x"}`, `{"N": "1.5"}`,
`{"B": b"..."}`, `{"SS": [...]}`, `{"L": [...]}`, `{"M": {...}}`, `{"BOOL": true}`,
`{"NULL": true}`): items go back to clients in the form they came, so no conversion is paid
on the way in or out beyond what the rules need.

Numbers are decimals of up to 38 significant digits in AWS's range (1E-130 to
9.9999999999999999999999999999999999999E+125, either sign); they are stored normalised as
AWS answers them ("1.50" comes back "1.5", "1E+2" as "100").
"""

from __future__ import annotations

import decimal
import functools
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .errors import TableValidation, invalid_parameters

Value = dict[str, Any]
Item = dict[str, Value]

TYPES = frozenset({"S", "N", "B", "SS", "NS", "BS", "M", "L", "BOOL", "NULL"})
SCALARS = frozenset({"S", "N", "B"})
SETS = {"SS": "S", "NS": "N", "BS": "B"}
MAX_ITEM_BYTES = 400 * 1024
MAX_DEPTH = 32

_CONTEXT = decimal.Context(
    prec=38,
    Emin=-130,
    Emax=125,
    traps=[decimal.InvalidOperation, decimal.Overflow, decimal.Inexact],
)
_MAX = Decimal("9.9999999999999999999999999999999999999E+125")
_MIN = Decimal("1E-130")


def type_of(value: Mapping[str, Any]) -> str:
    """The one data type a value holds."""
    if len(value) != 1:
        if not value:
            raise TableValidation(
                "Supplied AttributeValue is empty, must contain exactly one of the supported "
                "datatypes"
            )
        raise TableValidation(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly "
            "one of the supported datatypes"
        )
    (kind,) = value
    return kind


def number(text: str) -> Decimal:
    """A Number's value; AWS's errors for text out of its precision or range."""
    try:
        value = Decimal(text.strip())
    except decimal.InvalidOperation:
        raise TableValidation("A value provided cannot be converted into a number") from None
    if not value.is_finite() or text.strip() != text or not text:
        raise TableValidation("A value provided cannot be converted into a number")
    if len("".join(map(str, value.as_tuple().digits)).strip("0")) > 38:
        raise TableValidation("Attempting to store more than 38 significant digits in a Number")
    magnitude = abs(value)
    if magnitude > _MAX:
        raise TableValidation(
            "Number overflow. Attempting to store a number with magnitude larger than "
            "supported range"
        )
    if magnitude and magnitude < _MIN:
        raise TableValidation(
            "Number underflow. Attempting to store a number with magnitude smaller than "
            "supported range"
        )
    return value


def number_text(value: Decimal) -> str:
    """A number as DynamoDB answers it: no exponent, no trailing zeros, no -0."""
    if not value:
        return "0"
    return format(value.normalize(_CONTEXT), "f")


def add(a: str, b: str, sign: int = 1) -> str:
    """a + b (or a - b) within DynamoDB's precision; past it is AWS's error."""
    x, y = number(a), number(b)
    try:
        result = _CONTEXT.add(x, y) if sign > 0 else _CONTEXT.subtract(x, y)
    except decimal.Inexact:
        raise TableValidation(
            "Attempting to store more than 38 significant digits in a Number"
        ) from None
    except decimal.DecimalException:
        raise TableValidation(
            "Number overflow. Attempting to store a number with magnitude larger than "
            "supported range"
        ) from None
    text = number_text(result)
    number(text)
    return text


_SET_NAMES = {"SS": "string", "NS": "number", "BS": "binary"}


def clean(value: Value, depth: int = 0) -> Value:
    """The value checked by AWS's rules, numbers normalised (returns a new value only where
    something changed)."""
    if depth > MAX_DEPTH:
        raise TableValidation("Nesting Levels have exceeded supported limits")
    kind = type_of(value)
    inner = value[kind]
    if kind == "N":
        return {"N": number_text(number(_text(inner)))}
    if kind in ("S", "B"):
        return value
    if kind in SETS:
        if not inner:
            raise invalid_parameters(f"An {_SET_NAMES[kind]} set  may not be empty")
        members = [number_text(number(_text(v))) for v in inner] if kind == "NS" else inner
        if len(set(members)) != len(members):
            shown = ", ".join(str(v) for v in inner)
            raise invalid_parameters(f"Input collection [{shown}] contains duplicates.")
        return {kind: members} if kind == "NS" else value
    if kind == "L":
        return {"L": [clean(v, depth + 1) for v in inner]}
    if kind == "M":
        return {"M": {k: clean(v, depth + 1) for k, v in inner.items()}}
    if kind in ("BOOL", "NULL"):
        if kind == "NULL" and inner is not True:
            raise invalid_parameters("Null attribute value types must have the value of true")
        return value
    raise TableValidation(f"Supplied AttributeValue has an unknown datatype: {kind}")


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TableValidation("A value provided cannot be converted into a number")
    return value


def clean_item(item: Mapping[str, Value]) -> Item:
    return {name: clean(value) for name, value in item.items()}


# ---- sizes (as AWS bills and limits them) ------------------------------------------------


def size_of(value: Value) -> int:
    """A value's size in bytes as AWS counts it: strings as UTF-8, numbers about one byte per
    two significant digits plus one, lists and maps 3 bytes plus one per element."""
    kind, inner = next(iter(value.items()))
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return _number_size(inner)
    if kind == "B":
        return len(inner)
    if kind == "SS":
        return sum(len(v.encode()) for v in inner)
    if kind == "NS":
        return sum(_number_size(v) for v in inner)
    if kind == "BS":
        return sum(len(v) for v in inner)
    if kind == "L":
        return 3 + sum(1 + size_of(v) for v in inner)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + size_of(v) for k, v in inner.items())
    return 1  # BOOL, NULL


def _number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").strip("0")
    return (len(digits) + 1) // 2 + 1


def item_size(item: Mapping[str, Value]) -> int:
    return sum(len(name.encode()) + size_of(value) for name, value in item.items())


def check_size(item: Mapping[str, Value]) -> int:
    size = item_size(item)
    if size > MAX_ITEM_BYTES:
        raise TableValidation("Item size has exceeded the maximum allowed size")
    return size


# ---- order ----------------------------------------------------------------------------


def sort_bytes(kind: str, inner: Any) -> bytes:
    """A key value as bytes whose bytewise order is DynamoDB's order of the values: strings
    by their UTF-8 bytes, binary as it is, numbers by magnitude (sign, exponent, digits)."""
    if kind == "S":
        return str(inner).encode()
    if kind == "B":
        return bytes(inner)
    return _number_key(str(inner))


@functools.lru_cache(maxsize=4096)
def _number_key(text: str) -> bytes:
    # Numeric keys repeat (sort keys, counters): every GetItem and PutItem encodes one.
    return number_bytes(Decimal(text))


def number_bytes(value: Decimal) -> bytes:
    """Negative < zero < positive; within a sign, by exponent then digits. Negative numbers
    invert every byte (and end in 0xFF) so that larger magnitudes sort first."""
    if not value:
        return b"\x02"
    sign, digits, exponent = value.normalize(_CONTEXT).as_tuple()
    assert isinstance(exponent, int)
    adjusted = exponent + len(digits) - 1 + 130  # 0..255 in AWS's range
    body = bytes([adjusted]) + bytes(d + 1 for d in digits)
    if sign:
        return b"\x01" + bytes(255 - b for b in body) + b"\xff"
    return b"\x03" + body


def compare(a: Value, b: Value) -> int | None:
    """-1, 0 or 1 for two scalars of one type (N, S, B); None when they are not comparable."""
    (ka, va), (kb, vb) = next(iter(a.items())), next(iter(b.items()))
    if ka != kb or ka not in SCALARS:
        return None
    if ka == "N":
        x, y = Decimal(va), Decimal(vb)
        return (x > y) - (x < y)
    if ka == "S":
        return (str(va) > str(vb)) - (str(va) < str(vb))  # code points order as UTF-8 bytes
    return (bytes(va) > bytes(vb)) - (bytes(va) < bytes(vb))


def equal(a: Value, b: Value) -> bool:
    """DynamoDB's equality: same type and value; numbers by value; sets unordered."""
    (ka, va), (kb, vb) = next(iter(a.items())), next(iter(b.items()))
    if ka != kb:
        return False
    if ka == "N":
        return Decimal(va) == Decimal(vb)
    if ka == "NS":
        return {Decimal(v) for v in va} == {Decimal(v) for v in vb}
    if ka in ("SS", "BS"):
        return set(va) == set(vb)
    if ka == "L":
        return len(va) == len(vb) and all(equal(x, y) for x, y in zip(va, vb, strict=True))
    if ka == "M":
        return va.keys() == vb.keys() and all(equal(va[k], vb[k]) for k in va)
    return bool(va == vb)
