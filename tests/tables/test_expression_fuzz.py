"""Bad input is a precise error, never a crash: any text, as any kind of expression, either
parses (and then evaluates or applies against an item) or is a TableValidation."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from stratus.tables.errors import TableValidation
from stratus.tables.expressions import conditions, paths, updates
from stratus.tables.expressions.parser import Parser

PIECES = [
    "a", "b", "c", "#n", "#x", ":v", ":s", ":l", ":ss", ":m", "=", "<>", "<", "<=", ">", ">=",
    "(", ")", ",", ".", "[0]", "[3]", "[", "]", "+", "-", "AND", "OR", "NOT", "BETWEEN",
    "IN", "SET", "REMOVE", "ADD", "DELETE", "size", "attribute_exists", "attribute_not_exists",
    "attribute_type", "begins_with", "contains", "if_not_exists", "list_append", "status",
    "1", "$", " ",
]  # fmt: skip
VALUES: dict[str, Any] = {
    ":v": {"N": "1"},
    ":s": {"S": "x"},
    ":l": {"L": [{"N": "2"}]},
    ":ss": {"SS": ["x"]},
    ":m": {"M": {"k": {"BOOL": True}}},
}
ITEM: dict[str, Any] = {
    "a": {"N": "5"},
    "b": {"L": [{"S": "x"}, {"M": {"c": {"N": "1"}}}]},
    "c": {"M": {"d": {"SS": ["x", "y"]}}},
}
texts = st.lists(st.sampled_from(PIECES), min_size=1, max_size=14).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(texts)
def test_any_condition_parses_or_is_refused(text: str) -> None:
    try:
        condition = Parser({"#n": "a", "#x": "b"}, VALUES).condition(text)
    except TableValidation:
        return
    conditions.holds(condition, ITEM)


@settings(max_examples=400, deadline=None)
@given(texts)
def test_any_update_parses_and_applies_or_is_refused(text: str) -> None:
    try:
        update = Parser({"#n": "a", "#x": "b"}, VALUES).update(text)
        updates.check_operands(update)
        updates.apply(update, ITEM)
    except TableValidation:
        return


@settings(max_examples=200, deadline=None)
@given(texts)
def test_any_projection_parses_or_is_refused(text: str) -> None:
    try:
        chosen = Parser({"#n": "a", "#x": "b"}).projection(text)
    except TableValidation:
        return
    paths.project(ITEM, chosen)
