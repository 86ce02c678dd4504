"""Message rules that need no store: AWS's allowed characters, message attributes, sizes,
and the MD5 digests SDKs check every answer against.

MD5OfMessageAttributes is AWS's digest over the attributes sorted by name, each encoded as

    u32 len(name) | name | u32 len(type) | type | 1 (String, Number) or 2 (Binary)
    | u32 len(value) | value                                  (big-endian lengths, UTF-8)

botocore recomputes it on every SendMessage and ReceiveMessage answer and raises
MD5 errors when it differs, so it must be exact.
"""

from __future__ import annotations

import hashlib
import re
import string
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from .errors import InvalidContents, InvalidParameter
from .model import MessageAttribute

MAX_ATTRIBUTES = 10
MAX_NAME = 256
_NAME = re.compile(r"[A-Za-z0-9_.\-]+")
_TYPES = ("String", "Number", "Binary")
# XML 1.0's Char production, which is what AWS allows in bodies and string values.
_NOT_ALLOWED = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ID_CHARS = frozenset(string.ascii_letters + string.digits + string.punctuation)
MAX_ID = 128


def check_text(text: str, where: str) -> None:
    """AWS's allowed characters: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD |
    #x10000-#x10FFFF."""
    bad = _NOT_ALLOWED.search(text)
    if bad:
        raise InvalidContents(
            f"Invalid binary character '#x{ord(bad.group()):X}' was found in the {where}, the "
            "set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD "
            "| #x10000 to #x10FFFF"
        )


def check_attributes(attributes: Mapping[str, MessageAttribute]) -> None:
    if len(attributes) > MAX_ATTRIBUTES:
        raise InvalidParameter(
            f"Number of message attributes [{len(attributes)}] exceeds the allowed maximum "
            f"[{MAX_ATTRIBUTES}]."
        )
    for name, value in attributes.items():
        _check_name(name)
        _check_value(name, value)


def _check_name(name: str) -> None:
    lowered = name.lower()
    if (
        not name
        or len(name) > MAX_NAME
        or not _NAME.fullmatch(name)
        or lowered.startswith(("aws.", "amazon."))
        or name.startswith(".")
        or name.endswith(".")
        or ".." in name
    ):
        raise InvalidParameter(
            f"Message (user) attribute name '{name}' is invalid: use up to 256 of A-Z, a-z, "
            "0-9, '_', '-' and '.', without a leading, trailing or repeated period, and not "
            "starting with 'AWS.' or 'Amazon.'."
        )


def _check_value(name: str, value: MessageAttribute) -> None:
    kind = value.DataType.split(".", 1)[0]
    if kind not in _TYPES or len(value.DataType) > MAX_NAME:
        raise InvalidParameter(
            f"The type of message (user) attribute '{name}' is invalid. You must use only the "
            "following supported type prefixes: Binary, Number, String."
        )
    binary = kind == "Binary"
    present = value.BinaryValue if binary else value.StringValue
    other = value.StringValue if binary else value.BinaryValue
    if not present:
        raise InvalidParameter(
            f"Message (user) attribute '{name}' must contain a non-empty message attribute "
            f"value for message attribute type '{kind}'."
        )
    if other is not None:
        raise InvalidParameter(
            f"Message (user) attribute '{name}' has a value of another type than its DataType "
            f"'{value.DataType}'."
        )
    if kind == "String":
        check_text(value.StringValue or "", f"message attribute '{name}'")
    elif kind == "Number":
        _check_number(name, value.StringValue or "")


def _check_number(name: str, text: str) -> None:
    """Up to 38 significant digits, from -10^126 to 10^126 (magnitudes down to 10^-128)."""
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        number = Decimal("NaN")
    digits = len(number.normalize().as_tuple().digits) if number.is_finite() else 0
    if (
        not number.is_finite()
        or digits > 38
        or abs(number) > Decimal("1e126")
        or (number != 0 and abs(number) < Decimal("1e-128"))
    ):
        raise InvalidParameter(
            f"Can't cast the value of message (user) attribute '{name}' to a number."
        )


def check_id(value: str, parameter: str) -> None:
    """MessageGroupId and MessageDeduplicationId: 1-128 of letters, digits, punctuation."""
    if not value or len(value) > MAX_ID or not set(value) <= _ID_CHARS:
        raise InvalidParameter(
            f"Value {value} for parameter {parameter} is invalid. Reason: {parameter} can only "
            "include alphanumeric and punctuation characters. 1 to 128 in length."
        )


def size(body: str, attributes: Mapping[str, MessageAttribute]) -> int:
    """A message's size as AWS counts it against MaximumMessageSize: the body plus each
    attribute's name, type and value, in bytes."""
    total = len(body.encode())
    for name, value in attributes.items():
        total += len(name.encode()) + len(value.DataType.encode()) + len(value.value_bytes())
    return total


def md5_of_body(body: str) -> str:
    return hashlib.md5(body.encode(), usedforsecurity=False).hexdigest()


def md5_of_attributes(attributes: Mapping[str, MessageAttribute]) -> str | None:
    if not attributes:
        return None
    digest = hashlib.md5(usedforsecurity=False)
    for name in sorted(attributes):
        value = attributes[name]
        digest.update(_framed(name.encode()))
        digest.update(_framed(value.DataType.encode()))
        digest.update(b"\x02" if value.is_binary else b"\x01")
        digest.update(_framed(value.value_bytes()))
    return digest.hexdigest()


def _framed(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def select(
    attributes: Mapping[str, MessageAttribute], wanted: tuple[str, ...]
) -> dict[str, MessageAttribute]:
    """The attributes a ReceiveMessage asked for: names, "All", ".*" or "prefix.*"."""
    if not wanted or not attributes:
        return {}
    if "All" in wanted or ".*" in wanted:
        return dict(attributes)
    prefixes = tuple(w[:-2] for w in wanted if w.endswith(".*"))
    return {
        name: value
        for name, value in attributes.items()
        if name in wanted or (prefixes and name.startswith(prefixes))
    }
