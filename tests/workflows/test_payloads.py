"""Payload templates and paths: `.$` keys, the context object, variables, and their errors."""

import pytest

from stratus.workflows import payloads
from stratus.workflows.failure import (
    INTRINSIC_FAILURE,
    RESULT_PATH_MATCH_FAILURE,
    RUNTIME,
    StatesFailure,
)

SCOPE = payloads.Scope(
    {"a": {"b": 1}, "l": [1, 2]},
    {"Execution": {"Id": "arn:x", "Input": {"first": True}}, "Map": {"Item": {"Index": 3}}},
    {"myVar": {"deep": "v"}, "n": 5},
)


def test_templates_copy_literals_and_evaluate_dollar_keys_at_any_depth():
    template = {
        "lit": "$.not-a-path",
        "x.$": "$.a.b",
        "nested": {"ctx.$": "$$.Execution.Id", "list": [{"i.$": "$$.Map.Item.Index"}, 7]},
        "var.$": "$myVar.deep",
        "whole.$": "$n",
        "fn.$": "States.ArrayLength($.l)",
        "all.$": "$.l[*]",
    }

    assert payloads.render(template, SCOPE) == {
        "lit": "$.not-a-path",
        "x": 1,
        "nested": {"ctx": "arn:x", "list": [{"i": 3}, 7]},
        "var": "v",
        "whole": 5,
        "fn": 2,
        "all": [1, 2],
    }


@pytest.mark.parametrize(
    ("template", "error"),
    [
        ({"x.$": "$.missing"}, RUNTIME),
        ({"x.$": "$$.Execution.Nope"}, RUNTIME),
        ({"x.$": "$undefinedVar"}, RUNTIME),
        ({"x.$": "States.ArrayLength($.missing)"}, RUNTIME),
        ({"x.$": "States.ArrayLength($.a)"}, INTRINSIC_FAILURE),
        ({"x.$": 5}, RUNTIME),
    ],
)
def test_template_failures_name_the_states_error(template, error):
    """A path that matches nothing is States.Runtime, as AWS's service raises it (its docs
    name States.ParameterPathFailure); bad intrinsic arguments are IntrinsicFailure."""
    with pytest.raises(StatesFailure) as caught:
        payloads.render(template, SCOPE)

    assert caught.value.error == error
    assert "x.$" in caught.value.cause or error == INTRINSIC_FAILURE


def test_input_and_output_paths():
    assert payloads.apply_input_path("$.a", SCOPE) == {"b": 1}
    assert payloads.apply_input_path(None, SCOPE) == {}
    assert payloads.apply_output_path("$.b", {"b": 2}, SCOPE) == 2
    with pytest.raises(StatesFailure) as caught:
        payloads.apply_input_path("$.zzz", SCOPE)
    assert caught.value.error == RUNTIME


def test_result_path_errors_are_result_path_match_failures():
    with pytest.raises(StatesFailure) as caught:
        payloads.apply_result_path("$.a.b.c", {"a": {"b": 1}}, "r")

    assert caught.value.error == RESULT_PATH_MATCH_FAILURE
