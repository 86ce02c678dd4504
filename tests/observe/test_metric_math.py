"""Metric math's arithmetic, a table of cases (observe/metric_math.py is pure)."""

from __future__ import annotations

import pytest

from stratus.errors import Invalid
from stratus.observe.metric_math import evaluate

SERIES = {"a": {0: 1.0, 60: 2.0, 120: 0.0}, "b": {60: 4.0, 120: 5.0}}


@pytest.mark.parametrize(
    ("expression", "points"),
    [
        ("a + b", {60: 6.0, 120: 5.0}),
        ("b / a", {60: 2.0}),  # (a is 0 at 120: left out)
        ("-a * 2 + 1", {0: -1.0, 60: -3.0, 120: 1.0}),
        ("SUM([a, b])", {0: 1.0, 60: 6.0, 120: 5.0}),
        ("MAX(METRICS())", {0: 1.0, 60: 4.0, 120: 5.0}),
        ("AVG([a, b, 3])", {0: 1.0, 60: 3.0, 120: 2.5}),
        ("FILL(b, 0)", {0: 0.0, 60: 4.0, 120: 5.0}),
        ("ABS(a - 3)", {0: 2.0, 60: 1.0, 120: 3.0}),
    ],
)
def test_expressions(expression: str, points: dict[int, float]) -> None:
    assert evaluate(expression, SERIES, ["a", "b"]) == points


@pytest.mark.parametrize(
    ("expression", "why"),
    [
        ("a +", "does not parse"),
        ("c * 2", "c is not the Id of an earlier query"),
        ("2 * 3", "at least one metric"),
        ("RATE(a)", "the function RATE"),
        ("a ** 2", "not 'a ** 2'"),
        ("[a, b]", "a list is only an argument"),
    ],
)
def test_what_is_refused(expression: str, why: str) -> None:
    with pytest.raises(Invalid) as refused:
        evaluate(expression, SERIES, ["a", "b"])

    assert why in refused.value.message
