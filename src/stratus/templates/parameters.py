"""Template parameters: the values a stack is deployed with, checked as CloudFormation checks them.

A resolved value is a string, or a list of strings for list types: CloudFormation validates a
Number as a number but `Ref` gives the text ("8888"), and List<Number> gives ["80", "20"].
Values come from the caller, else (UsePreviousValue) the previous deployment, else Default.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from stratus.errors import Invalid

PSEUDO = (
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
)
_PROPERTIES = {
    "AllowedPattern",
    "AllowedValues",
    "ConstraintDescription",
    "Default",
    "Description",
    "MaxLength",
    "MaxValue",
    "MinLength",
    "MinValue",
    "NoEcho",
    "Type",
}
_LIST_TYPES = ("CommaDelimitedList", "List<Number>")
SSM_TYPE = "AWS::SSM::Parameter::Value<"  # ...<String>, <List<String>>, <AWS::EC2::...>
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def pseudo_parameters(
    *, region: str, account_id: str, stack_name: str, stack_id: str
) -> dict[str, Any]:
    """What `Ref: AWS::...` gives (AWS::NoValue is the evaluator's: it removes, it has no value)."""
    china = region.startswith("cn-")
    partition = "aws-cn" if china else "aws-us-gov" if region.startswith("us-gov-") else "aws"
    return {
        "AWS::AccountId": account_id,
        "AWS::NotificationARNs": [],
        "AWS::Partition": partition,
        "AWS::Region": region,
        "AWS::StackId": stack_id,
        "AWS::StackName": stack_name,
        "AWS::URLSuffix": "amazonaws.com.cn" if china else "amazonaws.com",
    }


def no_echo(declared: Mapping[str, Any]) -> frozenset[str]:
    """The parameters DescribeStacks shows as `****`."""
    return frozenset(
        key
        for key, d in declared.items()
        if isinstance(d, Mapping) and str(d.get("NoEcho", "")).lower() == "true"
    )


def resolve_parameters(
    declared: Mapping[str, Any],
    given: Mapping[str, str | None],
    previous: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Each declared parameter's value; `given[key] is None` means UsePreviousValue."""
    unknown = [key for key in given if key not in declared]
    if unknown:
        raise Invalid(f"Parameters: [{', '.join(unknown)}] do not exist in the template")
    values: dict[str, Any] = {}
    missing = []
    for key, definition in declared.items():
        kind = _check_definition(key, definition)
        text = _text_value(key, definition, given, previous or {})
        if text is None:
            missing.append(key)
            continue
        values[key] = _typed(key, kind, definition, text)
    if missing:
        raise Invalid(f"Parameters: [{', '.join(missing)}] must have values")
    return values


def _check_definition(key: str, definition: Any) -> str:
    if not isinstance(definition, Mapping) or not isinstance(definition.get("Type"), str):
        raise Invalid(
            f"Template format error: Every Parameters object must contain a Type member. "
            f"(parameter {key})"
        )
    extra = sorted(set(definition) - _PROPERTIES)
    if extra:
        raise Invalid(
            f"Invalid template parameter property '{extra[0]}' (parameter {key}); the properties "
            f"are {', '.join(sorted(_PROPERTIES))}"
        )
    kind: str = definition["Type"]
    if kind.startswith(SSM_TYPE):
        return kind  # the value is a parameter's name; plan.py looks it up
    if kind in ("String", "Number", *_LIST_TYPES) or _is_aws_type(kind):
        return kind
    raise Invalid(
        f"Template format error: Unrecognized parameter type: {kind} (parameter {key}); use "
        "String, Number, List<Number>, CommaDelimitedList or an AWS-specific type"
    )


def _is_aws_type(kind: str) -> bool:
    inner = kind[5:-1] if kind.startswith("List<") and kind.endswith(">") else kind
    return inner.startswith("AWS::")


def ssm_names(
    declared: Mapping[str, Any], given: Mapping[str, str | None], previous: Mapping[str, str]
) -> dict[str, str]:
    """{template parameter: Parameter Store name} of the SSM-typed parameters."""
    names = {}
    for key, definition in declared.items():
        if isinstance(definition, Mapping) and str(definition.get("Type", "")).startswith(SSM_TYPE):
            text = _text_value(key, definition, given, previous)
            if text is not None:
                names[key] = text
    return names


def ssm_value(key: str, kind: str, name: str, found: Mapping[str, str]) -> Any:
    """The value of an SSM-typed parameter, from the Parameter Store values `found`."""
    if name not in found:
        raise Invalid(
            f"Unable to fetch parameters [{name}] from parameter store for this account "
            f"(parameter {key}); create it with `aws ssm put-parameter --name {name} ...`"
        )
    value = found[name]
    inner = kind[len(SSM_TYPE) : -1]
    if inner.startswith("List<") or inner == "CommaDelimitedList":
        return [item.strip() for item in value.split(",")]
    return value


def _is_list(kind: str) -> bool:
    return kind in _LIST_TYPES or kind.startswith("List<")


def _text_value(
    key: str,
    definition: Mapping[str, Any],
    given: Mapping[str, str | None],
    previous: Mapping[str, str],
) -> str | None:
    if key in given:
        value = given[key]
        if value is not None:
            return value
        if key not in previous:
            raise Invalid(
                f"Invalid input for parameter key {key}. Cannot specify usePreviousValue as true "
                "for a parameter key not in the previous template; give it a value"
            )
        return previous[key]
    default = definition.get("Default")
    if default is None:
        return None
    if isinstance(default, list):  # a YAML list default for a list type
        return ",".join(_scalar_text(d) for d in default)
    return _scalar_text(default)


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _typed(key: str, kind: str, definition: Mapping[str, Any], text: str) -> Any:
    if not _is_list(kind):
        _check_item(key, kind, definition, text)
        return text
    items = [item.strip() for item in text.split(",")] if text else []
    for item in items:
        _check_item(key, "Number" if kind == "List<Number>" else "String", definition, item)
    return items


def _check_item(key: str, kind: str, definition: Mapping[str, Any], value: str) -> None:
    described = definition.get("ConstraintDescription")

    def fail(message: str) -> Invalid:
        if described:
            return Invalid(
                f"Parameter '{key}' failed to satisfy constraint: {described} "
                f"({message}; got '{value}')"
            )
        return Invalid(f"Parameter '{key}' {message} (got '{value}')")

    allowed = definition.get("AllowedValues")
    if allowed is not None and value not in [_scalar_text(a) for a in allowed]:
        listed = ", ".join(_scalar_text(a) for a in allowed)
        raise fail(f"must be one of AllowedValues [{listed}]")
    if kind == "Number":
        number = _number(value)
        if number is None:
            raise fail("must be a number")
        if "MinValue" in definition and number < float(definition["MinValue"]):
            raise fail(f"must be a number not less than {definition['MinValue']}")
        if "MaxValue" in definition and number > float(definition["MaxValue"]):
            raise fail(f"must be a number not greater than {definition['MaxValue']}")
        return
    pattern = definition.get("AllowedPattern")
    if pattern is not None and not _matches(key, str(pattern), value):
        raise fail(f"must match pattern {pattern}")
    if "MinLength" in definition and len(value) < int(definition["MinLength"]):
        raise fail(f"must contain at least {definition['MinLength']} characters")
    if "MaxLength" in definition and len(value) > int(definition["MaxLength"]):
        raise fail(f"must contain at most {definition['MaxLength']} characters")


def _matches(key: str, pattern: str, value: str) -> bool:
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error as exc:
        raise Invalid(f"Parameter '{key}' has an invalid AllowedPattern {pattern}: {exc}") from exc


def _number(value: str) -> float | None:
    # float() alone would take "nan", "inf" and "1_000", which CloudFormation refuses.
    if not _NUMBER.fullmatch(value.strip()):
        return None
    return float(value)
