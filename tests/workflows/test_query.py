"""JSONata expressions as Step Functions evaluates them: $states, variables, AWS's functions."""

import re

import pytest

from stratus.workflows import query
from stratus.workflows.failure import QUERY_EVALUATION_ERROR, StatesFailure

STATES = {
    "input": {"a": 2, "items": [3, 1, 2], "name": "x", "none": None},
    "context": {"Execution": {"Name": "e1"}},
}


def ev(text, variables=None):
    return query.evaluate(text, STATES, variables or {})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{% $states.input.a * 3 %}", 6),
        ("{% $states.input.a / 4 %}", 0.5),
        ("{% $sum($states.input.items) %}", 6),
        ("{% $sort($states.input.items) %}", [1, 2, 3]),
        ("{% 'Hello ' & $states.input.name %}", "Hello x"),
        ("{% $states.context.Execution.Name %}", "e1"),
        ("{% $states.input.none %}", None),
        ("{% {'k': $states.input.none} %}", {"k": None}),
        ("{% $count($states.input.items) > 2 %}", True),
        ("{% $partition([1,2,3,4,5,6,7,8,9], 4) %}", [[1, 2, 3, 4], [5, 6, 7, 8], [9]]),
        ("{% $range(0, 10, 2) %}", [0, 2, 4, 6, 8, 10]),
        ("{% $hash('input data', 'SHA-1') %}", "aaff4a450a104cd177d28d18d74485e8cae074b7"),
        ("{% $parse('{\"k\": [1, null]}') %}", {"k": [1, None]}),
        ("{% $limit + 1 %}", 7),
        ("{% $obj.inner %}", "v"),
    ],
)
def test_expressions(text, expected):
    assert ev(text, {"limit": 6, "obj": {"inner": "v"}}) == expected


def test_whole_numbers_come_back_as_integers():
    value = ev("{% 3.0 * 2 %}")

    assert value == 6
    assert isinstance(value, int)


def test_random_with_a_seed_repeats_and_uuid_is_v4():
    assert ev("{% $random(42) %}") == ev("{% $random(42) %}")
    assert 0 <= ev("{% $random() %}") < 1
    assert re.fullmatch(r"[0-9a-f-]{36}", ev("{% $uuid() %}"))


def test_render_walks_objects_and_arrays():
    template = {
        "x": "{% $states.input.a %}",
        "l": ["{% 1 + 1 %}", "plain"],
        "n": {"deep": "{% true %}"},
    }

    assert query.render(template, STATES, {}) == {"x": 2, "l": [2, "plain"], "n": {"deep": True}}


@pytest.mark.parametrize(
    "text",
    [
        "{% $states.input.missing %}",  # undefined: JSON cannot hold it
        "{% $number('x') %}",
        "{% $eval('1') %}",  # AWS removes $eval
        "{% 1 + %}",
        "{% $partition([1], 0) %}",
        "{% $range(1, 5000, 1) %}",
        "{% $hash('x', 'SHA-3') %}",
        "{% $parse('nope') %}",
    ],
)
def test_failures_are_query_evaluation_errors(text):
    with pytest.raises(StatesFailure) as caught:
        ev(text)

    assert caught.value.error == QUERY_EVALUATION_ERROR


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("{% 1 %}", True),
        ("{%1%}", True),
        (" {% 1 %}", False),
        ("{% 1 %} ", False),
        ("{%", False),
        (1, False),
    ],
)
def test_only_whole_strings_in_delimiters_are_expressions(value, expected):
    assert query.is_expression(value) is expected


def test_syntax_errors_are_reported_without_evaluating():
    assert query.syntax_error("{% 1 + %}")
    assert query.syntax_error("{% $states.input %}") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{% $string(1/3) %}", "0.333333333333333"),  # JavaScript's 15 significant digits
        ("{% $string(0.1 + 0.2) %}", "0.3"),
        ("{% $string(1e21) %}", "1e+21"),
        ("{% $string({'y': null}) %}", '{"y":null}'),
        ("{% $round(2.5) %}", 2),  # round half to even, as jsonata-js
        ("{% $type(null) %}", "null"),
        ("{% $fromMillis(0) %}", "1970-01-01T00:00:00.000Z"),
        ("{% $toMillis('2024-01-01T00:00:00Z') %}", 1704067200000),
        ("{% $formatNumber(1234.5, '#,##0.00') %}", "1,234.50"),
        ("{% [1, 2, 3][$ > 1] %}", [2, 3]),
        ("{% {'k': $states.input.missing} %}", {}),  # undefined members vanish
        ("{% $states.input.items ~> $map(function($v) { $v + 1 }) %}", [4, 2, 3]),
    ],
)
def test_results_match_jsonata_js(text, expected):
    """What AWS's engine (jsonata-js) gives, checked on the library we run."""
    assert ev(text) == expected
