"""The expression parser and evaluator: the tricky parts, as tables of cases."""

from __future__ import annotations

from typing import Any

import pytest

from stratus.tables.errors import TableValidation
from stratus.tables.expressions import conditions, paths, updates
from stratus.tables.expressions.parser import Parser

ITEM: dict[str, Any] = {
    "n": {"N": "5"},
    "s": {"S": "hello"},
    "b": {"B": b"\x01\x02"},
    "l": {"L": [{"N": "1"}, {"S": "two"}, {"M": {"x": {"N": "3"}}}]},
    "m": {"M": {"a": {"M": {"b": {"S": "deep"}}}}},
    "ss": {"SS": ["x", "y"]},
    "ns": {"NS": ["1", "2"]},
    "t": {"BOOL": True},
}
VALUES: dict[str, Any] = {
    ":one": {"N": "1"},
    ":five": {"N": "5"},
    ":ten": {"N": "10"},
    ":he": {"S": "he"},
    ":x": {"S": "x"},
    ":deep": {"S": "deep"},
    ":N": {"S": "N"},
    ":two": {"S": "two"},
    ":b1": {"B": b"\x01"},
    ":five_text": {"S": "5"},
}


def holds(text: str) -> bool:
    parser = Parser({"#n": "n"}, VALUES)
    return conditions.holds(parser.condition(text), ITEM)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("n = :five", True),
        ("n <> :five", False),
        ("n = :five_text", False),  # another type is never equal
        ("n < :five_text", False),  # nor ordered
        ("absent <> :one", True),
        ("absent = :one", False),
        ("n BETWEEN :one AND :ten", True),
        ("n IN (:one, :ten)", False),
        ("#n IN (:one, :five)", True),
        ("begins_with(s, :he) AND begins_with(b, :b1)", True),
        ("contains(ss, :x) AND contains(l, :two) AND contains(s, :he)", True),
        ("size(l) = :one OR size(s) = :five", True),
        ("size(n) = :one", False),  # numbers have no size
        ("m.a.b = :deep AND l[2].x > :one", True),
        ("l[9] = :one", False),
        ("attribute_type(n, :N) AND NOT attribute_exists(nope)", True),
        ("NOT n = :five OR (n = :five AND s = :x)", False),
        ("n = :one OR n = :five AND s = :x", False),  # AND binds tighter than OR
        ("(n = :one OR n = :five) AND NOT s = :x", True),
    ],
)
def test_conditions(text: str, expected: bool) -> None:
    assert holds(text) is expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("n = ", 'Syntax error; token: "<EOF>", near: "= "'),
        ("n == :one", 'Syntax error; token: "=", near: "== :one"'),
        ("size = :one", "Attribute name is a reserved keyword; reserved keyword: size"),
        ("#zz = :one", "attribute name: #zz"),
        ("n = :nope", "attribute value: :nope"),
        ("nofunc(n)", "Invalid function name; function: nofunc"),
        ("begins_with(s, :one)", "operator or function: begins_with, operand type: N"),
        ("n BETWEEN :ten AND :one", "requires upper bound to be greater than or equal"),
        ("attribute_exists(:one)", "requires a document path"),
    ],
)
def test_condition_errors(text: str, message: str) -> None:
    with pytest.raises(TableValidation) as exc:
        Parser({"#n": "n"}, VALUES).condition(text)

    assert message in exc.value.message
    assert exc.value.message.startswith("Invalid ConditionExpression: ")


def update(text: str, item: dict[str, Any] | None = None) -> dict[str, Any]:
    parsed = Parser({}, VALUES | {":list": {"L": [{"N": "9"}]}, ":set": {"SS": ["z"]}}).update(text)
    return updates.apply(parsed, item if item is not None else ITEM)


def test_set_reads_the_item_before_the_update() -> None:
    """SET a = b, b = a swaps."""
    swapped = update("SET n = s, s = n")

    assert swapped["n"] == {"S": "hello"}
    assert swapped["s"] == {"N": "5"}


def test_remove_list_indexes_of_the_original_list() -> None:
    """REMOVE l[0], l[2] removes the elements those indexes had before the update."""
    assert update("REMOVE l[0], l[2]")["l"] == {"L": [{"S": "two"}]}


def test_set_past_a_lists_end_appends() -> None:
    assert update("SET l[10] = :one")["l"]["L"][-1] == {"N": "1"}


def test_arithmetic_and_functions() -> None:
    result = update(
        "SET n = n + :ten, c = if_not_exists(c, :one) - :ten, l = list_append(:list, l)"
    )

    assert result["n"] == {"N": "15"}
    assert result["c"] == {"N": "-9"}
    assert result["l"]["L"][0] == {"N": "9"}


def test_add_and_delete_sets() -> None:
    result = update("ADD ss :set DELETE absent :set")

    assert sorted(result["ss"]["SS"]) == ["x", "y", "z"]
    assert "absent" not in result


def test_deleting_every_member_removes_the_set() -> None:
    parsed = Parser({}, {":both": {"SS": ["x", "y"]}}).update("DELETE ss :both")

    assert "ss" not in updates.apply(parsed, ITEM)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SET s = s + :one", "An operand in the update expression has an incorrect data type"),
        ("SET x = nope", "refers to an attribute that does not exist in the item"),
        ("SET nope.a = :one", "The document path provided in the update expression is invalid"),
        ("ADD s :one", "An operand in the update expression has an incorrect data type"),
    ],
)
def test_update_errors_from_the_item(text: str, message: str) -> None:
    with pytest.raises(TableValidation) as exc:
        update(text)

    assert message in exc.value.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SET a = :one, a = :one", "Two document paths overlap"),
        ("SET a.b = :one REMOVE a[0]", "Two document paths conflict"),
        ("REMOVE a SET b = :one REMOVE c", 'The "REMOVE" section can only be used once'),
        ("SET a = size(b)", "The function is not allowed in an update expression; function: size"),
        ("", "The expression can not be empty"),
        ("SET a :one", 'Syntax error; token: ":one"'),
    ],
)
def test_update_errors_from_the_text(text: str, message: str) -> None:
    with pytest.raises(TableValidation) as exc:
        Parser({}, VALUES).update(text)

    assert message in exc.value.message


def test_unused_placeholders_are_refused() -> None:
    parser = Parser({"#a": "a", "#b": "b"}, {":v": {"N": "1"}})
    parser.update("SET #a = :v")

    with pytest.raises(TableValidation) as exc:
        parser.check_unused()

    assert exc.value.message == (
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}"
    )


def test_projection_of_nested_paths() -> None:
    projected = paths.project(ITEM, Parser().projection("l[2].x, l[0], m.a.b, nope"))

    assert projected == {
        "l": {"L": [{"N": "1"}, {"M": {"x": {"N": "3"}}}]},
        "m": {"M": {"a": {"M": {"b": {"S": "deep"}}}}},
    }
