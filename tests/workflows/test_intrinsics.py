"""Intrinsic functions: AWS's documented examples, argument errors as States.IntrinsicFailure."""

import re

import pytest

from stratus.workflows import intrinsics, jsonpath
from stratus.workflows.failure import INTRINSIC_FAILURE, StatesFailure

INPUT = {
    "name": "Arnav",
    "nums": [1, 2, 3, 4, 5, 6, 7, 8, 9],
    "dups": [1, 2, 3, 3, 3, 3, 3, 3, 4],
    "escaped": '{"foo": "bar"}',
    "unescaped": {"foo": "bar"},
    "csv": "1,2,3,4,5",
    "mixed": "This.is+a,test=string",
    "j1": {"a": {"a1": 1, "a2": 2}, "b": 2},
    "j2": {"a": {"a3": 1, "a4": 2}, "c": 3},
}


def run(text, document=INPUT):
    return intrinsics.evaluate(text, lambda path: jsonpath.select(path, document))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("States.Format('Hello, my name is {}.', $.name)", "Hello, my name is Arnav."),
        ("States.Format('{} and {}', 1, true)", "1 and true"),
        ("States.Format('{} is null', null)", "null is null"),
        ("States.Format('literal \\{\\} and \\'quoted\\' {}', 'x')", "literal {} and 'quoted' x"),
        ("States.StringToJson($.escaped)", {"foo": "bar"}),
        ("States.JsonToString($.unescaped)", '{"foo":"bar"}'),
        ("States.Array('Foo', 2020, $.unescaped, null)", ["Foo", 2020, {"foo": "bar"}, None]),
        ("States.Array()", []),
        ("States.ArrayPartition($.nums, 4)", [[1, 2, 3, 4], [5, 6, 7, 8], [9]]),
        ("States.ArrayContains($.nums, 5)", True),
        ("States.ArrayContains($.nums, 10)", False),
        ("States.ArrayRange(1, 9, 2)", [1, 3, 5, 7, 9]),
        ("States.ArrayRange(5, 1, -2)", [5, 3, 1]),
        ("States.ArrayGetItem($.nums, 5)", 6),
        ("States.ArrayLength($.nums)", 9),
        ("States.ArrayUnique($.dups)", [1, 2, 3, 4]),
        ("States.Base64Encode('Data to encode')", "RGF0YSB0byBlbmNvZGU="),
        ("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')", "Data to encode"),
        ("States.Hash('input data', 'SHA-1')", "aaff4a450a104cd177d28d18d74485e8cae074b7"),
        (
            "States.JsonMerge($.j1, $.j2, false)",
            {"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3},
        ),
        ("States.MathAdd(111, -1)", 110),
        ("States.StringSplit($.csv, ',')", ["1", "2", "3", "4", "5"]),
        ("States.StringSplit($.mixed, '.+,=')", ["This", "is", "a", "test", "string"]),
        ("States.ArrayLength(States.StringSplit($.csv, ','))", 5),
        (
            "States.Format('{}-{}', States.ArrayGetItem($.nums, 0), States.MathAdd(1, 2))",
            "1-3",
        ),
    ],
)
def test_documented_results(text, expected):
    assert run(text) == expected


def test_math_random_stays_in_range_and_a_seed_repeats():
    """Start is inclusive, end exclusive; the same seed gives the same number."""
    values = {run("States.MathRandom(1, 4)") for _ in range(200)}

    assert values <= {1, 2, 3}
    assert run("States.MathRandom(1, 999, 7)") == run("States.MathRandom(1, 999, 7)")


def test_uuid_is_a_version_4_uuid():
    value = run("States.UUID()")

    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", value
    )


def test_hash_supports_every_documented_algorithm():
    lengths = {"MD5": 32, "SHA-1": 40, "SHA-256": 64, "SHA-384": 96, "SHA-512": 128}

    for algorithm, length in lengths.items():
        assert len(run(f"States.Hash('x', '{algorithm}')")) == length


@pytest.mark.parametrize(
    "text",
    [
        "States.Format('{} {}', 'only one')",
        "States.Format('{}', $.unescaped)",
        "States.StringToJson('not json')",
        "States.ArrayPartition($.nums, 0)",
        "States.ArrayPartition($.name, 2)",
        "States.ArrayRange(1, 2000, 1)",
        "States.ArrayRange(1, 5, 0)",
        "States.ArrayGetItem($.nums, 9)",
        "States.ArrayGetItem($.nums, 1.5)",
        "States.ArrayLength($.name)",
        "States.Base64Decode('***')",
        "States.Hash('x', 'SHA-3')",
        "States.JsonMerge($.j1, $.j2, true)",
        "States.JsonMerge($.j1, $.nums, false)",
        "States.MathRandom(5, 5)",
        "States.MathAdd(2147483647, 1.5)",
        "States.MathAdd(9999999999, 1)",
        "States.StringSplit(1, ',')",
        "States.UUID(1)",
        "States.ArrayLength()",
    ],
)
def test_bad_arguments_are_intrinsic_failures(text):
    """Wrong types, counts and ranges fail the state with States.IntrinsicFailure."""
    with pytest.raises(StatesFailure) as caught:
        run(text)

    assert caught.value.error == INTRINSIC_FAILURE
    assert caught.value.cause


def test_inputs_over_ten_thousand_characters_are_refused():
    big = {"s": "x" * 10_001}

    with pytest.raises(StatesFailure, match="10000"):
        run("States.Base64Encode($.s)", big)
    with pytest.raises(StatesFailure, match="10000"):
        run("States.Hash($.s, 'MD5')", big)


@pytest.mark.parametrize(
    "text",
    [
        "States.Nope(1)",
        "States.Format('x'",
        "States.Format('x') trailing",
        "States.Array(1 2)",
        "States.Format('unterminated)",
        "States.Format('\\q')",
        "Foo.Bar()",
    ],
)
def test_malformed_calls_are_syntax_errors(text):
    with pytest.raises(intrinsics.IntrinsicSyntaxError):
        intrinsics.parse(text)


def test_nesting_beyond_ten_functions_is_refused():
    text = "States.ArrayLength(" * 10 + "States.Array()" + ")" * 10

    with pytest.raises(intrinsics.IntrinsicSyntaxError, match="nested"):
        intrinsics.parse(text)
    assert intrinsics.parse("States.ArrayLength(" * 9 + "States.Array()" + ")" * 9)


def test_paths_in_arguments_can_hold_brackets_commas_and_filters():
    doc = {"l": [{"k": "a,b"}, {"k": "c"}]}

    assert run("States.ArrayLength($.l[?(@.k == 'c')])", doc) == 1
    assert run("States.StringSplit($.l[0]['k'], ',')", doc) == ["a", "b"]
