"""A browser upload's POST policy, as S3's "Creating a POST policy" describes it: base64 of

    {"expiration": "2026-12-08T12:00:00.000Z",
     "conditions": [{"bucket": "photos"},                  exact match
                    ["eq", "$key", "uploads/a.jpg"],       exact match
                    ["starts-with", "$key", "uploads/"],   prefix ("" matches anything)
                    ["content-length-range", 1, 10485760]]}

Pure: the form's fields (names lower-cased) are checked against it here; the file's size,
known only as it streams, against `size_range`. Every field must be named by a condition,
except the signature, the policy, the file and x-ignore-* fields. A violation is 403
AccessDenied "Invalid according to Policy: …", as S3 words it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .errors import AccessDenied, InvalidPolicyDocument

# Fields no condition needs to name (SigV4's signature, SigV2's key and signature).
_EXEMPT = frozenset({"x-amz-signature", "signature", "awsaccesskeyid", "file", "policy"})


@dataclass(frozen=True, slots=True)
class PostPolicy:
    expiration: datetime
    conditions: tuple[Any, ...]


def parse(encoded: str) -> PostPolicy:
    try:
        document = json.loads(base64.b64decode(encoded.encode(), validate=True))
    except (binascii.Error, ValueError) as exc:
        raise InvalidPolicyDocument("Invalid Policy: Invalid JSON.") from exc
    if not isinstance(document, dict):
        raise InvalidPolicyDocument("Invalid Policy: Invalid JSON.")
    if "expiration" not in document:
        raise InvalidPolicyDocument("Invalid Policy: Policy missing expiration.")
    conditions = document.get("conditions")
    if not isinstance(conditions, list):
        raise InvalidPolicyDocument("Invalid Policy: Policy missing conditions.")
    try:
        text = str(document["expiration"]).replace("Z", "+00:00")
        expiration = datetime.fromisoformat(text).astimezone(UTC)
    except ValueError as exc:
        raise InvalidPolicyDocument("Invalid Policy: Invalid 'expiration' value.") from exc
    for condition in conditions:
        _check_shape(condition)
    return PostPolicy(expiration, tuple(conditions))


def _check_shape(condition: Any) -> None:
    if isinstance(condition, dict) and len(condition) == 1:
        return
    if isinstance(condition, list) and len(condition) == 3:
        op = str(condition[0]).lower()
        if op == "content-length-range" and all(isinstance(n, int) for n in condition[1:]):
            return
        if op in ("eq", "starts-with") and str(condition[1]).startswith("$"):
            return
    raise InvalidPolicyDocument(f"Invalid Policy: Invalid Condition: {json.dumps(condition)}")


def check(policy: PostPolicy, bucket: str, fields: Mapping[str, str], now: float) -> None:
    """The policy's expiration, conditions and coverage of `fields` (lower-cased names)."""
    if now > policy.expiration.timestamp():
        raise _denied("Policy expired.")
    named: set[str] = set()
    for condition in policy.conditions:
        if isinstance(condition, dict):
            [(name, want)] = condition.items()
            name = name.lower()
            got = bucket if name == "bucket" else fields.get(name, "")
            if got != str(want):
                raise _denied(f"Policy Condition failed: {json.dumps(['eq', '$' + name, want])}")
        elif str(condition[0]).lower() != "content-length-range":
            name = str(condition[1])[1:].lower()
            got = bucket if name == "bucket" else fields.get(name, "")
            if not _holds(str(condition[0]).lower(), name, got, str(condition[2])):
                raise _denied(f"Policy Condition failed: {json.dumps(condition)}")
        else:
            continue
        named.add(name)
    extra = [f for f in fields if f not in named and f not in _EXEMPT and not _ignored(f)]
    if extra:
        raise _denied(f"Extra input fields: {', '.join(extra)}")


def _holds(op: str, name: str, got: str, want: str) -> bool:
    if op == "eq":
        return got == want
    if name == "content-type":  # each of a comma-separated list must start with it
        return all(part.strip().startswith(want) for part in got.split(","))
    return got.startswith(want)


def _ignored(name: str) -> bool:
    return name.startswith("x-ignore-")


def size_range(policy: PostPolicy | None) -> tuple[int, int | None]:
    """The file's allowed sizes in bytes: (minimum, maximum or None)."""
    low, high = 0, None
    for condition in policy.conditions if policy else ():
        if isinstance(condition, list) and str(condition[0]).lower() == "content-length-range":
            low, high = int(condition[1]), int(condition[2])
    return low, high


def _denied(reason: str) -> AccessDenied:
    return AccessDenied(f"Invalid according to Policy: {reason}")


__all__ = ["PostPolicy", "check", "parse", "size_range"]
