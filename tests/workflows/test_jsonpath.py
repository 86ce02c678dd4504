"""JSONPath as AWS's states read it: definite paths name a value, others select lists."""

import pytest

from stratus.workflows import jsonpath

DOC = {
    "a": {"b": [10, 20, 30], "c": "x"},
    "store": {
        "book": [
            {"title": "A", "price": 8, "tag": "x"},
            {"title": "B", "price": 12, "tag": "y"},
            {"title": "C", "price": 5, "tag": "x", "isbn": "1"},
        ]
    },
    "odd key": 1,
    "t": True,
    "n": None,
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$", DOC),
        ("$.a.c", "x"),
        ("$.a.b[1]", 20),
        ("$.a.b[-1]", 30),
        ("$['odd key']", 1),
        ("$.a['b'][0]", 10),
        ("$.n", None),
        ("$.t", True),
        ("$.a.b.length()", 3),
        ("$.a.b.[1]", 20),
        ("$.['odd key']", 1),
        ("$.a.['b'].[0]", 10),
    ],
)
def test_definite_paths_name_one_value(path, expected):
    """A path of members and elements returns the value itself."""
    assert jsonpath.select(path, DOC) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$.a.b[*]", [10, 20, 30]),
        ("$.a.b[0:2]", [10, 20]),
        ("$.a.b[::2]", [10, 30]),
        ("$.a.b[0,2]", [10, 30]),
        ("$.store.book[*].title", ["A", "B", "C"]),
        ("$..title", ["A", "B", "C"]),
        ("$.store.book[?(@.price < 10)].title", ["A", "C"]),
        ("$.store.book[?(@.price >= 8 && @.tag == 'x')].title", ["A"]),
        ("$.store.book[?(@.tag == 'y' || @.price == 5)].title", ["B", "C"]),
        ("$.store.book[?(@.isbn)].title", ["C"]),
        ("$.store.book[?(!(@.tag == 'x'))].title", ["B"]),
        ("$.store.book[?(@.title =~ /[AB]/)].price", [8, 12]),
        ("$.nothing[*]", []),
        ("$['a','odd key']", [DOC["a"], 1]),
        ("$.a.b.[*]", [10, 20, 30]),
        ("$.a.b.[0:2]", [10, 20]),
        ("$..['title']", ["A", "B", "C"]),
        ("$..book[1].title", ["B"]),
        ("$..[0]", [10, DOC["store"]["book"][0]]),
    ],
)
def test_indefinite_paths_select_lists(path, expected):
    """Wildcards, slices, unions, descent and filters give every match, in order."""
    assert jsonpath.select(path, DOC) == expected


def test_descent_into_a_bracket_starts_at_the_top_like_descent_into_a_name():
    """`$..['a']` is `$..a`, and `$..[0]` indexes the top array too (Jayway's scan)."""
    doc = {"a": {"a": 1}}

    assert jsonpath.select("$..['a']", doc) == jsonpath.select("$..a", doc) == [{"a": 1}, 1]
    assert jsonpath.select("$..[0]", [[1, 2], [3]]) == [[1, 2], 1, 3]


@pytest.mark.parametrize("path", ["$.missing", "$.a.b[7]", "$.a.c.d", "$.a.b.x"])
def test_a_missing_definite_value_is_not_found(path):
    """A definite path naming nothing raises, so states can fail with the right error."""
    with pytest.raises(jsonpath.PathNotFound):
        jsonpath.select(path, DOC)


@pytest.mark.parametrize(
    "text", ["a.b", "", "$.", "$..", "$...a", "$.[", "$[", "$[1:2:0]", "$.a[?(@.x <)]", "$$$x y"]
)
def test_malformed_paths_are_rejected(text):
    """Text that is not a path is a PathError (a definition error, found at validation)."""
    with pytest.raises(jsonpath.PathError):
        jsonpath.parse(text)


@pytest.mark.parametrize(
    ("path", "is_reference"),
    [
        ("$", True),
        ("$.a.b", True),
        ("$['x'][0]", True),
        ("$.[0]", True),
        ("$.abc.['def ghi']", True),
        ("$.a[*]", False),
        ("$.a.[*]", False),
        ("$..a", False),
    ],
)
def test_reference_paths_are_the_definite_ones(path, is_reference):
    """AWS's "Reference Paths": members and elements only, in dot or bracket notation."""
    assert jsonpath.is_reference_path(path) is is_reference


@pytest.mark.parametrize(
    ("path", "document", "expected"),
    [
        ("$", {"a": 1}, "R"),
        ("$.r", {"a": 1}, {"a": 1, "r": "R"}),
        ("$.x.y.z", {"a": 1}, {"a": 1, "x": {"y": {"z": "R"}}}),
        ("$.a", {"a": 1}, {"a": "R"}),
        ("$.l[1]", {"l": [0, 1]}, {"l": [0, "R"]}),
        ("$.l.[1]", {"l": [0, 1]}, {"l": [0, "R"]}),
    ],
)
def test_set_reference_places_a_value_and_creates_objects_on_the_way(path, document, expected):
    """ResultPath semantics: the input is kept, the result is placed; nothing is mutated."""
    before = repr(document)

    assert jsonpath.set_reference(path, document, "R") == expected
    assert repr(document) == before


@pytest.mark.parametrize(
    ("path", "document"), [("$.a.b", {"a": 1}), ("$.l[5]", {"l": []}), ("$.l[0]", {"l": 3})]
)
def test_set_reference_through_a_scalar_or_past_an_array_fails(path, document):
    with pytest.raises(jsonpath.PathNotFound):
        jsonpath.set_reference(path, document, "R")


def test_filters_compare_json_types_strictly():
    """true is not 1, and strings do not compare with numbers."""
    doc = {"l": [{"v": True}, {"v": 1}, {"v": "1"}]}

    assert jsonpath.select("$.l[?(@.v == 1)]", doc) == [{"v": 1}]
    assert jsonpath.select("$.l[?(@.v == true)]", doc) == [{"v": True}]
    assert jsonpath.select("$.l[?(@.v > 0)]", doc) == [{"v": 1}]
