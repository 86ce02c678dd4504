"""IAM policy evaluation for resource policies ("Policy evaluation logic" and "IAM JSON
policy elements: Condition operators" in the IAM User Guide), pure.

    evaluate(policy, request) -> "Deny" | "Allow" | None

An explicit Deny wins over any Allow; None is the implicit deny (no statement applies). A
statement applies when its Principal/NotPrincipal, Action/NotAction, Resource/NotResource
and every Condition match. Principals: "*" (or {"AWS": "*"}) matches everyone, an
anonymous caller included; an ARN or account id matches that caller only. Wildcards `*` and
`?` in actions (case-insensitive) and resources. Conditions: every operator block and every
key in it must hold, any of a key's values may match; the String, Numeric, Date, Bool,
Binary, IpAddress, Arn and Null operators, with `...IfExists` and the `ForAnyValue:` /
`ForAllValues:` set prefixes. A key missing from the request fails a condition, except
under a negated operator (StringNotEquals, NotIpAddress...) and `IfExists`, which hold,
and `Null`, which asks exactly that. Condition keys are case-insensitive.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

Effect = Literal["Allow", "Deny"]


@dataclass(frozen=True, slots=True)
class Request:
    action: str  # "execute-api:Invoke"
    resource: str  # the resource's ARN
    principal: str | None = None  # the caller's ARN; None: anonymous
    account: str | None = None  # the caller's account
    context: Mapping[str, str | Sequence[str]] = field(default_factory=dict)  # condition keys
    service: str | None = None  # a service principal calling ("s3.amazonaws.com"), if any


def evaluate(policy: Mapping[str, Any], request: Request) -> Effect | None:
    """ "Deny" if a statement denies, else "Allow" if one allows, else None."""
    allowed = False
    context = {k.lower(): v for k, v in request.context.items()}
    for statement in _list(policy.get("Statement")):
        if not isinstance(statement, Mapping) or not _applies(statement, request, context):
            continue
        if statement.get("Effect") == "Deny":
            return "Deny"
        allowed = allowed or statement.get("Effect") == "Allow"
    return "Allow" if allowed else None


def admits(*effects: Effect | None) -> bool:
    """Whether a request passes several policies of one account (identity and resource
    policies): no explicit Deny, and at least one Allow."""
    return "Deny" not in effects and "Allow" in effects


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


@functools.lru_cache(maxsize=1024)
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    text = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(text, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _like(pattern: str, value: str, ignore_case: bool = False) -> bool:
    return _wildcard(pattern, ignore_case).fullmatch(value) is not None


def _applies(statement: Mapping[str, Any], request: Request, context: Mapping[str, Any]) -> bool:
    if "Principal" in statement and not _principal(statement["Principal"], request):
        return False
    if "NotPrincipal" in statement and _principal(statement["NotPrincipal"], request):
        return False
    if not _either(statement, "Action", request.action, ignore_case=True):
        return False
    if not _either(statement, "Resource", request.resource, ignore_case=False):
        return False
    conditions = statement.get("Condition") or {}
    return all(
        _condition(operator, key, values, context)
        for operator, block in conditions.items()
        if isinstance(block, Mapping)
        for key, values in block.items()
    )


def _either(statement: Mapping[str, Any], name: str, value: str, *, ignore_case: bool) -> bool:
    if name in statement:
        return any(_like(str(p), value, ignore_case) for p in _list(statement[name]))
    if f"Not{name}" in statement:
        return not any(_like(str(p), value, ignore_case) for p in _list(statement[f"Not{name}"]))
    return False


def _principal(principal: Any, request: Request) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    for kind, values in principal.items():
        for value in _list(values):
            if value == "*":
                return True
            if kind == "Service" and request.service is not None and value == request.service:
                return True
            if kind != "AWS" or request.principal is None:
                continue
            if value in (request.principal, request.account):
                return True
            if value == f"arn:aws:iam::{request.account}:root":
                return True
    return False


# -- conditions ---------------------------------------------------------------------------------
def _condition(operator: str, key: str, wanted: Any, context: Mapping[str, Any]) -> bool:
    quantifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists")
    name = name.removesuffix("IfExists")
    present = context.get(key.lower())
    wanted_values = [str(v).lower() if isinstance(v, bool) else str(v) for v in _list(wanted)]
    if name == "Null":
        return (present is None) == (wanted_values[0].lower() == "true")
    if present is None:
        return if_exists or name.startswith(_NEGATED) or quantifier == "ForAllValues"
    test = _OPERATORS.get(name)
    if test is None:
        return False  # an operator IAM does not have matches nothing
    values = [str(v) for v in _list(present)]
    negated = name.startswith(_NEGATED)

    def holds(value: str) -> bool:
        found = any(test(w, value) for w in wanted_values)
        return not found if negated else found

    if quantifier == "ForAllValues":
        return all(holds(v) for v in values)
    return any(holds(v) for v in values)


_NEGATED = ("StringNot", "NumericNot", "DateNot", "NotIp", "ArnNot")


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _numeric(compare: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    def test(wanted: str, value: str) -> bool:
        a, b = _number(value), _number(wanted)
        return a is not None and b is not None and compare(a, b)

    return test


def _moment(text: str) -> float | None:
    """An ISO 8601 date or epoch seconds, as epoch seconds."""
    number = _number(text)
    if number is not None:
        return number
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def _date(compare: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    def test(wanted: str, value: str) -> bool:
        a, b = _moment(value), _moment(wanted)
        return a is not None and b is not None and compare(a, b)

    return test


def _in_network(wanted: str, value: str) -> bool:
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(wanted, strict=False)
    except ValueError:
        return False


def _arn_like(wanted: str, value: str) -> bool:
    # Each of the six colon-separated parts matches on its own, as IAM compares ARNs.
    wanted_parts, value_parts = wanted.split(":", 5), value.split(":", 5)
    if len(wanted_parts) != 6 or len(value_parts) != 6:
        return False
    return all(_like(w, v) for w, v in zip(wanted_parts, value_parts, strict=True))


_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda w, v: w == v,
    "StringNotEquals": lambda w, v: w == v,
    "StringEqualsIgnoreCase": lambda w, v: w.lower() == v.lower(),
    "StringNotEqualsIgnoreCase": lambda w, v: w.lower() == v.lower(),
    "StringLike": _like,
    "StringNotLike": _like,
    "NumericEquals": _numeric(lambda a, b: a == b),
    "NumericNotEquals": _numeric(lambda a, b: a == b),
    "NumericLessThan": _numeric(lambda a, b: a < b),
    "NumericLessThanEquals": _numeric(lambda a, b: a <= b),
    "NumericGreaterThan": _numeric(lambda a, b: a > b),
    "NumericGreaterThanEquals": _numeric(lambda a, b: a >= b),
    "DateEquals": _date(lambda a, b: a == b),
    "DateNotEquals": _date(lambda a, b: a == b),
    "DateLessThan": _date(lambda a, b: a < b),
    "DateLessThanEquals": _date(lambda a, b: a <= b),
    "DateGreaterThan": _date(lambda a, b: a > b),
    "DateGreaterThanEquals": _date(lambda a, b: a >= b),
    "Bool": lambda w, v: w.lower() == v.lower(),
    "BinaryEquals": lambda w, v: w == v,
    "IpAddress": _in_network,
    "NotIpAddress": _in_network,
    "ArnEquals": _arn_like,
    "ArnLike": _arn_like,
    "ArnNotEquals": _arn_like,
    "ArnNotLike": _arn_like,
}
