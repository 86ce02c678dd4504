"""Compile a pattern (parsed JSON) into a Rule, refusing what AWS refuses, in AWS's words.

EventBridge, SNS filter policies and Lambda filter criteria share this language; a
`Dialect` carries where they differ (the numeric domain; whether a malformed `$or` is an
error or an ordinary field name). The reasons are those AWS's matching library gives
("Empty arrays are not allowed", "Unrecognized match type foo", ...); each service wraps
them in its own error ("Event pattern is not valid. Reason: ...").

    pattern   := { field: [value | {operator: argument}, ...] | pattern, ...,
                  "$or": [pattern, pattern, ...] }
    operator  := prefix | suffix | equals-ignore-case | wildcard | anything-but | numeric
               | exists | cidr
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from stratus.patterns import matchers as m
from stratus.patterns.rule import Rule
from stratus.patterns.wildcard import (
    MAX_WILDCARDS_PER_FIELD,
    TOO_COMPLEX,
    WildcardError,
    compile_wildcard,
)

OR = "$or"
RESERVED = frozenset(
    {"anything-but", "exists", "prefix", "suffix", "equals-ignore-case", "numeric", "cidr",
     "wildcard"}
)  # fmt: skip
_COMPARISONS = ("=", "<", "<=", ">", ">=")


class PatternError(ValueError):
    """A pattern AWS would refuse; str(error) is AWS's reason."""


@dataclass(frozen=True, slots=True)
class Dialect:
    domain: m.NumericDomain
    limit_text: str  # the domain's limit as AWS prints it, e.g. "5.0E9"
    # SNS treats a "$or" that is not an array of ≥ 2 objects as an ordinary field name;
    # EventBridge refuses it.
    lenient_or: bool = False


def parse_json(text: str) -> object:
    """JSON as AWS reads it: NaN and Infinity are not JSON."""
    return json.loads(text, parse_constant=_refuse_constant)


def _refuse_constant(name: str) -> object:
    raise ValueError(f"Non-standard token '{name}'")


def compile_rule(document: object, dialect: Dialect) -> Rule:
    if not isinstance(document, dict):
        raise PatternError("Filter is not an object")
    return _object(document, dialect, inside_or=False)


def _object(document: Mapping[str, object], dialect: Dialect, inside_or: bool) -> Rule:
    if not document:
        raise PatternError("Empty objects are not allowed")
    leaves: list[tuple[str, tuple[m.Matcher, ...]]] = []
    nested: list[tuple[str, Rule]] = []
    any_of: list[tuple[Rule, ...]] = []
    for name, value in document.items():
        if name == OR and _is_or(value, dialect):
            assert isinstance(value, list)
            any_of.append(tuple(_object(branch, dialect, inside_or=True) for branch in value))
            continue
        if inside_or and name in RESERVED:
            raise PatternError(
                f"{name} is Ruler reserved fieldName which cannot be used inside {OR}."
            )
        if isinstance(value, dict):
            nested.append((name, _object(value, dialect, inside_or)))
        elif isinstance(value, list):
            leaves.append((name, _values(value, dialect)))
        else:
            raise PatternError(f'"{name}" must be an object or an array')
    return Rule(tuple(leaves), tuple(nested), tuple(any_of))


def _is_or(value: object, dialect: Dialect) -> bool:
    if dialect.lenient_or:
        return (
            isinstance(value, list)
            and len(value) >= 2
            and all(isinstance(branch, dict) for branch in value)
            and not any(RESERVED.intersection(branch) for branch in value)
        )
    if not isinstance(value, list):
        raise PatternError(f"It must be an Array followed with {OR}.")
    if not all(isinstance(branch, dict) for branch in value):
        raise PatternError(f"Only JSON object is allowed in array of {OR} relationship.")
    if len(value) < 2:
        raise PatternError(f"There must have at least 2 Objects in {OR} relationship.")
    return True


def _values(values: list[object], dialect: Dialect) -> tuple[m.Matcher, ...]:
    if not values:
        raise PatternError("Empty arrays are not allowed")
    compiled = tuple(_value(value, dialect) for value in values)
    stars = sum(_stars(matcher) for matcher in compiled)
    if stars > MAX_WILDCARDS_PER_FIELD:
        raise PatternError(TOO_COMPLEX)
    return compiled


def _value(value: object, dialect: Dialect) -> m.Matcher:
    if isinstance(value, dict):
        return _expression(value, dialect)
    if isinstance(value, str):
        return m.ExactString(value, m.address_or_none(value))
    if value is None or isinstance(value, bool):
        return m.ExactLiteral(value)
    if m.is_number(value):
        assert isinstance(value, int | float | Decimal)
        return m.ExactNumber.of(value, dialect.domain)
    raise PatternError("Match value must be String, number, true, false, or null")


def _expression(expression: Mapping[str, object], dialect: Dialect) -> m.Matcher:
    if not expression:
        raise PatternError("Match expression name not found")
    kind, argument = next(iter(expression.items()))
    compile_operator = _OPERATORS.get(kind)
    if compile_operator is None:
        raise PatternError(f"Unrecognized match type {kind}")
    matcher = compile_operator(argument, dialect)
    if len(expression) > 1:
        if kind in ("numeric", "anything-but"):
            raise PatternError("Too many elements in numeric expression")
        raise PatternError("Only one key allowed in match expression")
    return matcher


def _text_operand(kind: str, argument: object) -> tuple[str, bool]:
    """prefix/suffix take a string, or {"equals-ignore-case": string}; (text, ignore_case)."""
    if isinstance(argument, str):
        return argument, False
    if isinstance(argument, dict) and list(argument) == ["equals-ignore-case"]:
        text = argument["equals-ignore-case"]
        if isinstance(text, str):
            return text, True
    raise PatternError(f"{kind} match pattern must be a string")


def _prefix(argument: object, dialect: Dialect) -> m.Matcher:
    return m.Prefix(*_text_operand("prefix", argument))


def _suffix(argument: object, dialect: Dialect) -> m.Matcher:
    return m.Suffix(*_text_operand("suffix", argument))


def _string(argument: object, kind: str) -> str:
    if not isinstance(argument, str):
        raise PatternError(f"{kind} match pattern must be a string")
    return argument


def _equals_ignore_case(argument: object, dialect: Dialect) -> m.Matcher:
    return m.EqualsIgnoreCase(_string(argument, "equals-ignore-case"))


def _wildcard(argument: object, dialect: Dialect) -> m.Matcher:
    return _compiled_wildcard(_string(argument, "wildcard"))


def _compiled_wildcard(text: str) -> m.Wildcard:
    try:
        regex, stars = compile_wildcard(text)
    except WildcardError as exc:
        raise PatternError(str(exc)) from exc
    return m.Wildcard(text, regex, stars)


def _exists(argument: object, dialect: Dialect) -> m.Matcher:
    if not isinstance(argument, bool):
        raise PatternError("exists match pattern must be either true or false.")
    return m.Exists(argument)


def _cidr(argument: object, dialect: Dialect) -> m.Matcher:
    text = _string(argument, "prefix")  # sic: AWS names prefix here
    if text.count("/") != 1:
        raise PatternError(f"Malformed CIDR, one '/' required: {text}")
    try:
        return m.Cidr(ipaddress.ip_network(text, strict=False))
    except ValueError as exc:
        raise PatternError(f"Invalid CIDR: {text}") from exc


def _numeric(argument: object, dialect: Dialect) -> m.Matcher:
    if not isinstance(argument, list):
        raise PatternError("Value of numeric must be an array.")
    if not argument or not isinstance(argument[0], str):
        raise PatternError(f"Invalid member in numeric match: {_token(argument, 0)}")
    operator = argument[0]
    if operator not in _COMPARISONS:
        raise PatternError(f"Unrecognized numeric range operator: {operator}")
    value = _bound(argument, 1, operator, dialect)
    if operator in ("=", "<", "<="):
        if len(argument) > 2:
            raise PatternError("Too many elements in numeric expression")
        if operator == "=":
            return m.Numeric(value, False, value, False, dialect.domain)
        return m.Numeric(None, False, value, operator == "<", dialect.domain)
    if len(argument) == 2:
        return m.Numeric(value, operator == ">", None, False, dialect.domain)
    upper_operator = argument[2]
    if not isinstance(upper_operator, str):
        raise PatternError(f"Bad value in numeric range: {_token(argument, 2)}")
    if upper_operator not in ("<", "<="):
        raise PatternError(f"Bad numeric range operator: {upper_operator}")
    top = _bound(argument, 3, upper_operator, dialect)
    if len(argument) > 4:
        raise PatternError("Too many terms in numeric range expression")
    if value >= top:
        raise PatternError("Bottom must be less than top")
    return m.Numeric(value, operator == ">", top, upper_operator == "<", dialect.domain)


def _bound(argument: list[object], index: int, operator: str, dialect: Dialect) -> Decimal:
    if index >= len(argument) or not m.is_number(argument[index]):
        raise PatternError(f"Value of {operator} must be numeric")
    return _comparable(argument[index], dialect)


def _comparable(number: object, dialect: Dialect) -> Decimal:
    comparable = dialect.domain.comparable(number)
    if comparable is None:
        limit = dialect.limit_text
        raise PatternError(f"Value must be between -{limit} and {limit}, inclusive")
    return comparable


def _anything_but(argument: object, dialect: Dialect) -> m.Matcher:
    if isinstance(argument, dict):
        return m.AnythingBut(_anything_but_operator(argument))
    if isinstance(argument, list):
        return m.AnythingBut(m.AnyOf(_anything_but_list(argument, dialect)))
    if isinstance(argument, str):
        return m.AnythingBut(m.ExactString(argument))
    if m.is_number(argument):
        return m.AnythingBut(_exact_number(argument, dialect))
    raise PatternError("Value of anything-but must be an array or single string/number value.")


def _anything_but_list(values: list[object], dialect: Dialect) -> tuple[m.Matcher, ...]:
    if any(not isinstance(value, str) and not m.is_number(value) for value in values):
        raise PatternError("Inside anything but list, start|null|boolean is not supported.")
    strings = [value for value in values if isinstance(value, str)]
    if not values or (strings and len(strings) != len(values)):
        raise PatternError(
            "Inside anything but list, either all values are number or string, "
            "mixed type is not supported"
        )
    if strings:
        return tuple(m.ExactString(text) for text in strings)
    return tuple(_exact_number(value, dialect) for value in values)


def _exact_number(number: object, dialect: Dialect) -> m.ExactNumber:
    _comparable(number, dialect)  # AWS refuses anything-but numbers outside the domain
    assert isinstance(number, int | float | Decimal)
    return m.ExactNumber.of(number, dialect.domain)


def _anything_but_operator(argument: Mapping[str, object]) -> m.Matcher:
    if not argument:
        raise PatternError("Anything-But expression name not found")
    kind, operand = next(iter(argument.items()))
    inner: m.Matcher
    if kind in ("prefix", "suffix"):
        if not isinstance(operand, str):
            raise PatternError("prefix/suffix match pattern must be a string")
        if not operand:
            raise PatternError("Null prefix/suffix not allowed")
        inner = m.Prefix(operand) if kind == "prefix" else m.Suffix(operand)
    elif kind == "equals-ignore-case":
        texts = _strings(operand, "anything-but/equals-ignore-case")
        inner = m.AnyOf(tuple(m.EqualsIgnoreCase(text) for text in texts))
    elif kind == "wildcard":
        inner = m.AnyOf(tuple(_compiled_wildcard(text) for text in _strings(operand, kind)))
    else:
        raise PatternError(f"Unsupported anything-but pattern: {kind}")
    if len(argument) > 1:
        raise PatternError("Only one key allowed in match expression")
    return inner


def _strings(operand: object, where: str) -> list[str]:
    values = operand if isinstance(operand, list) else [operand]
    if not all(isinstance(value, str) for value in values):
        raise PatternError(f"Inside {where} list, number|start|null|boolean is not supported.")
    return [value for value in values if isinstance(value, str)]


def _stars(matcher: m.Matcher) -> int:
    if isinstance(matcher, m.Wildcard):
        return matcher.stars
    if isinstance(matcher, m.AnythingBut):
        return _stars(matcher.inner)
    if isinstance(matcher, m.AnyOf):
        return sum(_stars(member) for member in matcher.members)
    return 0


def _token(values: list[object], index: int) -> str:
    """The JSON token AWS names in its message: the value, or `]` past the end."""
    if index >= len(values):
        return "]"
    value = values[index]
    return value if isinstance(value, str) else json.dumps(value)


_OPERATORS: dict[str, Callable[[object, Dialect], m.Matcher]] = {
    "prefix": _prefix,
    "suffix": _suffix,
    "equals-ignore-case": _equals_ignore_case,
    "wildcard": _wildcard,
    "anything-but": _anything_but,
    "numeric": _numeric,
    "exists": _exists,
    "cidr": _cidr,
}
