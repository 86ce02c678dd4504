"""JSON Schema draft 4 as API Gateway applies it to REST request bodies: the draft's
formats checked, and each failure told in the words of the Java validator API Gateway
runs, which its execution logs and `$context.error.validationErrorString` show:

    [object has missing required properties (["email"])]
    [string "nope" is not a valid email address, instance type (integer) does not match
     any allowed primitive type (allowed: ["string"])]

The string is the list of messages in brackets, joined by ", ", without the instance's
path; a body that is not JSON is `[Unknown error parsing request body]`.

Formats: draft 4's own (date-time, email, hostname, ipv4, ipv6, uri, regex) are asserted,
as API Gateway does (an invalid address fails validation); any other format is an
annotation only. date-time is RFC 3339 with a `T` and an offset (`Z` or `+hh:mm`).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import jsonschema
import orjson
from jsonschema.exceptions import ValidationError
from referencing.exceptions import Unresolvable

NOT_JSON = "Unknown error parsing request body"
DATE_FORMATS = "[yyyy-MM-dd'T'HH:mm:ssZ, yyyy-MM-dd'T'HH:mm:ss.[0-9]{1,12}Z]"

FORMATS = jsonschema.FormatChecker(formats=())

_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,12})?(?:Z|[+-]\d{2}:\d{2})"
)
_EMAIL = re.compile(r"[^\s@<>()\[\],;:\\\"]+@[^\s@<>()\[\],;:\\\"]+")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
# What java.net.URI refuses anywhere in a URI: spaces, controls, these, a bad escape.
_URI_ILLEGAL = re.compile(r"[\x00-\x20\x7f\"<>\\^`{|}]|%(?![0-9A-Fa-f]{2})")


def _format(name: str) -> Callable[[Callable[[str], bool]], Callable[[object], bool]]:
    """Registers a check of strings (a format says nothing of other types)."""

    def register(check: Callable[[str], bool]) -> Callable[[object], bool]:
        def checker(value: object) -> bool:
            return not isinstance(value, str) or check(value)

        FORMATS.checks(name)(checker)
        return checker

    return register


@_format("date-time")
def _is_date_time(value: str) -> bool:
    found = _DATE_TIME.fullmatch(value)
    if found is None:
        return False
    year, month, day, hour, minute, second = (int(part) for part in found.groups())
    try:
        datetime(year, month, day, hour, minute, second)
    except ValueError:
        return False
    return True


@_format("email")
def _is_email(value: str) -> bool:
    return _EMAIL.fullmatch(value) is not None


@_format("hostname")
def _is_hostname(value: str) -> bool:
    labels = value.removesuffix(".").split(".")
    return (
        len(value) <= 255
        and all(_LABEL.fullmatch(label) for label in labels)
        and not labels[-1][0].isdigit()
    )


@_format("ipv4")
def _is_ipv4(value: str) -> bool:
    return _parses(ipaddress.IPv4Address, value)


@_format("ipv6")
def _is_ipv6(value: str) -> bool:
    return "%" not in value and _parses(ipaddress.IPv6Address, value)


@_format("uri")
def _is_uri(value: str) -> bool:
    if _URI_ILLEGAL.search(value):
        return False
    before, colon, _ = re.split(r"([/?#])", value, maxsplit=1)[0].partition(":")
    return not colon or _SCHEME.fullmatch(before) is not None


@_format("regex")
def _is_regex(value: str) -> bool:
    return _parses(re.compile, value)


def _parses(parse: Callable[[str], object], value: str) -> bool:
    try:
        parse(value)
    except (ValueError, re.error):
        return False
    return True


def validation_error_string(messages: Iterable[str]) -> str:
    return f"[{', '.join(messages)}]"


def failures(validator: jsonschema.Draft4Validator, document: Any) -> list[str]:
    """What is wrong with `document`, one message per failure, the document's own
    failures before its members' (members in key order), each told once."""
    errors = sorted(validator.iter_errors(document), key=lambda e: tuple(e.absolute_path))
    seen: set[tuple[tuple[Any, ...], str]] = set()
    told: list[str] = []
    for error in errors:
        for message in _messages(validator, error):
            key = (tuple(error.absolute_path), message)
            if key not in seen:
                seen.add(key)
                told.append(message)
    return told


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _number(value: Any) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _messages(validator: jsonschema.Draft4Validator, error: ValidationError) -> list[str]:
    keyword: Any = error.validator
    expected: Any = error.validator_value
    found: Any = error.instance
    schema: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    match keyword:
        case "required":
            missing = sorted(name for name in expected if name not in found)
            return [f"object has missing required properties ({_json(missing)})"]
        case "dependencies":
            return [
                f'property "{name}" of object has missing property dependencies (schema '
                f"requires {_json(needs)}; missing: {_json([n for n in needs if n not in found])})"
                for name, needs in expected.items()
                if name in found and isinstance(needs, list) and set(needs) - set(found)
            ]
        case "additionalProperties":
            known, patterns = schema.get("properties", {}), schema.get("patternProperties", {})
            extra = [
                name
                for name in sorted(found)
                if name not in known and not any(re.search(p, name) for p in patterns)
            ]
            not_allowed = "object instance has properties which are not allowed by the schema"
            return [f"{not_allowed}: {_json(extra)}"]
        case "oneOf":
            matched = _matched(validator, expected, found, error)
            return [
                f"instance failed to match exactly one schema (matched {matched} out of "
                f"{len(expected)})"
            ]
    return [_message(keyword, expected, found, schema) or error.message]


def _matched(
    validator: jsonschema.Draft4Validator, schemas: list[Any], found: Any, error: ValidationError
) -> int:
    if error.context:  # none of them matched (each one's failures are the context)
        return 0
    try:
        return sum(validator.evolve(schema=s).is_valid(found) for s in schemas)
    except Unresolvable:
        return 2


# keyword: (its draft 4 exclusive flag, the side it wants, the side it refuses)
_BOUNDS = {
    "minimum": ("exclusiveMinimum", "greater", "lower"),
    "maximum": ("exclusiveMaximum", "lower", "greater"),
}


def _message(keyword: str, expected: Any, found: Any, schema: dict[str, Any]) -> str | None:
    """The message for a failure of `keyword` (None: jsonschema's own)."""
    size = len(found) if isinstance(found, str | list | dict) else 0
    limit, value = _number(expected), _number(found)
    match keyword:
        case "type":
            allowed = _json(sorted([expected] if isinstance(expected, str) else expected))
            return (
                f"instance type ({_type(found)}) does not match any allowed primitive type "
                f"(allowed: {allowed})"
            )
        case "enum":
            return (
                f"instance value ({_json(found)}) not found in enum "
                f"(possible values: {_json(expected)})"
            )
        case "minLength":
            return f'string "{found}" is too short (length: {size}, required minimum: {limit})'
        case "maxLength":
            return f'string "{found}" is too long (length: {size}, maximum allowed: {limit})'
        case "pattern":
            return f'ECMA 262 regex "{expected}" does not match input string "{found}"'
        case "format":
            return _format_message(expected, found)
        case "minimum" | "maximum":
            exclusive, inside, outside = _BOUNDS[keyword]
            required = f"than the required {keyword}"
            if schema.get(exclusive) and found == expected:
                return f"numeric instance is not strictly {inside} {required} {limit}"
            return f"numeric instance is {outside} {required} ({keyword}: {limit}, found: {value})"
        case "multipleOf":
            return f"remainder of division is not zero ({value} / {limit})"
        case "minItems":
            return (
                f"array is too short: must have at least {limit} elements but instance has "
                f"{size} elements"
            )
        case "maxItems":
            return (
                f"array is too long: must have at most {limit} elements but instance has "
                f"{size} elements"
            )
        case "uniqueItems":
            return "array must not contain duplicate elements"
        case "additionalItems":
            return (
                f"schema only allows {len(schema.get('items', []))} elements in array but "
                f"instance has {size} elements"
            )
        case "minProperties":
            return (
                f"object has too few properties (found {size} but schema requires at least {limit})"
            )
        case "maxProperties":
            return (
                f"object has too many properties (found {size} but schema requires at most {limit})"
            )
        case "anyOf":
            return f"instance failed to match at least one required schema among {len(expected)}"
        case "not":
            return "instance matched a schema which it should not have"
    return None


def _format_message(name: str, found: str) -> str | None:
    match name:
        case "date-time":
            return f'string "{found}" is invalid against requested date format(s) {DATE_FORMATS}'
        case "email":
            return f'string "{found}" is not a valid email address'
        case "hostname":
            return f'string "{found}" is not a valid hostname'
        case "ipv4":
            return f'string "{found}" is not a valid IPv4 address'
        case "ipv6":
            return f'string "{found}" is not a valid IPv6 address'
        case "uri":
            return f'string "{found}" is not a valid URI'
        case "regex":
            return f'string "{found}" is not a valid ECMA 262 regular expression'
    return None
