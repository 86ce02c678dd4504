"""Choice rules: every operator, type tests, wildcards, And/Or/Not, missing variables."""

import pytest

from stratus.workflows import choice
from stratus.workflows.failure import RUNTIME, StatesFailure
from stratus.workflows.payloads import Scope

INPUT = {
    "s": "apple",
    "n": 5,
    "f": 2.5,
    "b": True,
    "z": None,
    "t": "2024-01-02T03:04:05Z",
    "t2": "2024-01-02T04:04:05+01:00",  # the same instant as t
    "other": {"s": "banana", "n": 7, "b": True, "t": "2025-01-01T00:00:00.123456789Z"},
    "file": "log-2024.txt",
    "star": "a*b",
}


def holds(rule):
    return choice.matches(rule, Scope(INPUT, {"Execution": {"Name": "run-1"}}, {"limit": 6}))


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"Variable": "$.s", "StringEquals": "apple"}, True),
        ({"Variable": "$.s", "StringEquals": "pear"}, False),
        ({"Variable": "$.n", "StringEquals": "5"}, False),  # wrong type: false, not an error
        ({"Variable": "$.s", "StringLessThan": "banana"}, True),
        ({"Variable": "$.s", "StringGreaterThan": "banana"}, False),
        ({"Variable": "$.s", "StringLessThanEquals": "apple"}, True),
        ({"Variable": "$.s", "StringGreaterThanEquals": "apple"}, True),
        ({"Variable": "$.s", "StringEqualsPath": "$.other.s"}, False),
        ({"Variable": "$.s", "StringLessThanPath": "$.other.s"}, True),
        ({"Variable": "$.n", "NumericEquals": 5}, True),
        ({"Variable": "$.n", "NumericEquals": 5.0}, True),
        ({"Variable": "$.f", "NumericLessThan": 3}, True),
        ({"Variable": "$.n", "NumericGreaterThan": 5}, False),
        ({"Variable": "$.n", "NumericGreaterThanEquals": 5}, True),
        ({"Variable": "$.n", "NumericLessThanEquals": 4}, False),
        ({"Variable": "$.n", "NumericLessThanPath": "$.other.n"}, True),
        ({"Variable": "$.n", "NumericLessThanPath": "$limit"}, True),
        ({"Variable": "$.b", "NumericEquals": 1}, False),  # a boolean is not a number
        ({"Variable": "$.b", "BooleanEquals": True}, True),
        ({"Variable": "$.b", "BooleanEqualsPath": "$.other.b"}, True),
        ({"Variable": "$.t", "TimestampEquals": "2024-01-02T03:04:05Z"}, True),
        ({"Variable": "$.t", "TimestampEqualsPath": "$.t2"}, True),
        ({"Variable": "$.t", "TimestampLessThanPath": "$.other.t"}, True),
        ({"Variable": "$.t", "TimestampGreaterThan": "2024-01-02T03:04:04.999Z"}, True),
        ({"Variable": "$.t", "TimestampLessThanEquals": "2024-01-02T03:04:05Z"}, True),
        ({"Variable": "$.t", "TimestampGreaterThanEquals": "2030-01-01T00:00:00Z"}, False),
        ({"Variable": "$.s", "TimestampEquals": "2024-01-02T03:04:05Z"}, False),
        ({"Variable": "$.file", "StringMatches": "log-*.txt"}, True),
        ({"Variable": "$.file", "StringMatches": "*.csv"}, False),
        ({"Variable": "$.star", "StringMatches": "a\\*b"}, True),
        ({"Variable": "$.s", "StringMatches": "a\\*b"}, False),
        ({"Variable": "$.s", "StringMatches": "*"}, True),
        ({"Variable": "$$.Execution.Name", "StringEquals": "run-1"}, True),
        ({"Variable": "$limit", "NumericEquals": 6}, True),
    ],
)
def test_comparisons(rule, expected):
    assert holds(rule) is expected


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"Variable": "$.z", "IsNull": True}, True),
        ({"Variable": "$.s", "IsNull": True}, False),
        ({"Variable": "$.s", "IsNull": False}, True),
        ({"Variable": "$.nope", "IsPresent": False}, True),
        ({"Variable": "$.s", "IsPresent": True}, True),
        ({"Variable": "$.nope", "IsPresent": True}, False),
        ({"Variable": "$.f", "IsNumeric": True}, True),
        ({"Variable": "$.b", "IsNumeric": True}, False),
        ({"Variable": "$.s", "IsString": True}, True),
        ({"Variable": "$.b", "IsBoolean": True}, True),
        ({"Variable": "$.t", "IsTimestamp": True}, True),
        ({"Variable": "$.s", "IsTimestamp": True}, False),
        ({"Variable": "$.other.t", "IsTimestamp": True}, True),
    ],
)
def test_type_tests(rule, expected):
    assert holds(rule) is expected


def test_and_or_not_combine_rules():
    yes = {"Variable": "$.n", "NumericEquals": 5}
    no = {"Variable": "$.n", "NumericEquals": 6}

    assert holds({"And": [yes, yes]}) is True
    assert holds({"And": [yes, no]}) is False
    assert holds({"Or": [no, yes]}) is True
    assert holds({"Or": [no, no]}) is False
    assert holds({"Not": no}) is True
    assert holds({"Not": {"And": [yes, {"Not": no}]}}) is False


def test_or_stops_at_the_first_true_rule():
    """A missing variable after a true alternative is never read (AWS short-circuits)."""
    rule = {"Or": [{"Variable": "$.n", "NumericEquals": 5}, {"Variable": "$.nope", "IsNull": True}]}

    assert holds(rule) is True


@pytest.mark.parametrize(
    "rule",
    [
        {"Variable": "$.nope", "StringEquals": "x"},
        {"Variable": "$.nope", "IsNull": True},
        {"Variable": "$.s", "StringEqualsPath": "$.nope"},
    ],
)
def test_a_missing_variable_is_a_runtime_error(rule):
    with pytest.raises(StatesFailure) as caught:
        holds(rule)

    assert caught.value.error == RUNTIME
    assert "Invalid path" in caught.value.cause
