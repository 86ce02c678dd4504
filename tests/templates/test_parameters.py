"""Template parameters: types, defaults, UsePreviousValue, constraints, pseudo parameters."""

from __future__ import annotations

from typing import Any

import pytest

from stratus.errors import Invalid
from stratus.templates.parameters import no_echo, pseudo_parameters, resolve_parameters


@pytest.mark.parametrize(
    ("definition", "given", "expected"),
    [
        ({"Type": "String"}, "x", "x"),
        ({"Type": "String", "Default": "d"}, None, "d"),
        ({"Type": "String", "Default": ""}, None, ""),
        ({"Type": "Number", "Default": 5}, None, "5"),  # Ref of a Number is text
        ({"Type": "Number"}, "-1.5e3", "-1.5e3"),
        ({"Type": "String", "Default": True}, None, "true"),
        ({"Type": "CommaDelimitedList"}, "a, b ,c", ["a", "b", "c"]),
        ({"Type": "CommaDelimitedList", "Default": ["x", "y"]}, None, ["x", "y"]),
        ({"Type": "CommaDelimitedList"}, "", []),
        ({"Type": "List<Number>"}, "80,443", ["80", "443"]),
        ({"Type": "AWS::EC2::KeyPair::KeyName"}, "my-key", "my-key"),
        ({"Type": "AWS::SSM::Parameter::Name"}, "/app/x", "/app/x"),
        ({"Type": "List<AWS::EC2::Subnet::Id>"}, "subnet-1,subnet-2", ["subnet-1", "subnet-2"]),
        ({"Type": "String", "AllowedValues": ["dev", "prod"]}, "prod", "prod"),
        ({"Type": "Number", "AllowedValues": [1, 2]}, "2", "2"),
        (
            {"Type": "String", "AllowedPattern": "[a-z]+", "MinLength": 2, "MaxLength": 4},
            "abc",
            "abc",
        ),
        ({"Type": "Number", "MinValue": 1, "MaxValue": 10}, "10", "10"),
    ],
)
def test_values(definition: dict[str, Any], given: str | None, expected: Any) -> None:
    """Given values and defaults resolve to text, or lists of text for list types."""
    values = resolve_parameters({"P": definition}, {} if given is None else {"P": given})

    assert values == {"P": expected}


@pytest.mark.parametrize(
    ("definition", "given", "message"),
    [
        (
            {"Type": "String", "AllowedValues": ["dev", "prod"]},
            "qa",
            "Parameter 'P' must be one of AllowedValues [dev, prod] (got 'qa')",
        ),
        (
            {"Type": "CommaDelimitedList", "AllowedValues": ["a", "b"]},
            "a,z",
            "Parameter 'P' must be one of AllowedValues",
        ),
        (
            {"Type": "String", "AllowedPattern": "[a-z]+"},
            "ABC",
            "Parameter 'P' must match pattern [a-z]+",
        ),
        (
            {
                "Type": "String",
                "AllowedPattern": "[a-z]+",
                "ConstraintDescription": "lowercase letters only",
            },
            "ABC",
            "Parameter 'P' failed to satisfy constraint: lowercase letters only",
        ),
        (
            {"Type": "String", "MinLength": 3},
            "ab",
            "Parameter 'P' must contain at least 3 characters",
        ),
        (
            {"Type": "String", "MaxLength": 1},
            "ab",
            "Parameter 'P' must contain at most 1 characters",
        ),
        ({"Type": "Number"}, "ten", "Parameter 'P' must be a number"),
        ({"Type": "Number"}, "nan", "Parameter 'P' must be a number"),
        ({"Type": "Number", "MinValue": 5}, "4", "Parameter 'P' must be a number not less than 5"),
        (
            {"Type": "Number", "MaxValue": 5},
            "6",
            "Parameter 'P' must be a number not greater than 5",
        ),
        ({"Type": "List<Number>"}, "1,x", "Parameter 'P' must be a number (got 'x')"),
        ({"Type": "Strin"}, "x", "Template format error: Unrecognized parameter type: Strin"),
        ({"Default": "x"}, "x", "Every Parameters object must contain a Type member."),
        ({"Type": "String", "Defualt": "x"}, "x", "Invalid template parameter property 'Defualt'"),
        ({"Type": "String", "AllowedPattern": "("}, "x", "invalid AllowedPattern"),
    ],
)
def test_constraint_errors(definition: dict[str, Any], given: str, message: str) -> None:
    """A value breaking a constraint is refused in AWS's words (ConstraintDescription first)."""
    with pytest.raises(Invalid) as caught:
        resolve_parameters({"P": definition}, {"P": given})

    assert message in caught.value.message


def test_missing_and_unknown() -> None:
    """Every parameter without a default needs a value; unknown names are refused."""
    declared = {
        "A": {"Type": "String"},
        "B": {"Type": "Number"},
        "C": {"Type": "String", "Default": "c"},
    }

    with pytest.raises(Invalid) as missing:
        resolve_parameters(declared, {})
    with pytest.raises(Invalid) as unknown:
        resolve_parameters(declared, {"A": "a", "Z": "z"})

    assert missing.value.message == "Parameters: [A, B] must have values"
    assert unknown.value.message == "Parameters: [Z] do not exist in the template"


def test_use_previous_value() -> None:
    """None means UsePreviousValue: the previous deployment's value, not the default."""
    declared = {"A": {"Type": "String", "Default": "d"}, "B": {"Type": "String"}}

    values = resolve_parameters(declared, {"A": None, "B": "new"}, {"A": "old", "B": "older"})

    assert values == {"A": "old", "B": "new"}
    with pytest.raises(Invalid, match="Cannot specify usePreviousValue"):
        resolve_parameters(declared, {"B": None})


def test_no_echo() -> None:
    """NoEcho parameters are named, whether NoEcho is a boolean or text."""
    declared = {
        "A": {"Type": "String", "NoEcho": True},
        "B": {"Type": "String", "NoEcho": "true"},
        "C": {"Type": "String"},
    }

    assert no_echo(declared) == {"A", "B"}


@pytest.mark.parametrize(
    ("region", "partition", "suffix"),
    [
        ("us-east-1", "aws", "amazonaws.com"),
        ("cn-north-1", "aws-cn", "amazonaws.com.cn"),
        ("us-gov-west-1", "aws-us-gov", "amazonaws.com"),
    ],
)
def test_pseudo_parameters(region: str, partition: str, suffix: str) -> None:
    """The pseudo parameters follow the region's partition."""
    pseudo = pseudo_parameters(
        region=region, account_id="123456789012", stack_name="s", stack_id="id"
    )

    assert pseudo == {
        "AWS::AccountId": "123456789012",
        "AWS::NotificationARNs": [],
        "AWS::Partition": partition,
        "AWS::Region": region,
        "AWS::StackId": "id",
        "AWS::StackName": "s",
        "AWS::URLSuffix": suffix,
    }
