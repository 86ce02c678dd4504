"""items.py, table-tested: what ItemReader makes of an object's bytes, how ItemBatcher
groups items, and the ResultWriter's file names and manifest."""

from __future__ import annotations

import json

import pytest

from stratus.workflows import items
from stratus.workflows.failure import StatesFailure


@pytest.mark.parametrize(
    ("kind", "data", "config", "expected"),
    [
        ("JSON", b'[1, "a", {"b": null}]', {}, [1, "a", {"b": None}]),
        ("JSONL", b'{"a":1}\r\n\r\n[2]\n"x"', {}, [{"a": 1}, [2], "x"]),
        ("CSV", b"a,b\n1,2\n\n3\n", {}, [{"a": "1", "b": "2"}, {"a": "3", "b": ""}]),
        ("CSV", b'a;b\n"x;y";z\n', {"CSVDelimiter": "SEMICOLON"}, [{"a": "x;y", "b": "z"}]),
        (
            "CSV",
            b"1\t2\n",
            {"CSVHeaderLocation": "GIVEN", "CSVHeaders": ["p", "q"], "CSVDelimiter": "TAB"},
            [{"p": "1", "q": "2"}],
        ),
        ("CSV", b"\xef\xbb\xbfh\nv\n", {}, [{"h": "v"}]),  # a byte-order mark is no header
        ("CSV", b"", {}, []),
    ],
)
def test_objects_parse_into_items(kind, data, config, expected):
    assert items.parse(kind, data, config) == expected


@pytest.mark.parametrize(
    ("kind", "data", "config", "why"),
    [
        ("JSON", b'{"a": 1}', {}, "must contain an array"),
        ("JSON", b"[1,", {}, "not valid JSON"),
        ("JSONL", b"1\n{oops\n", {}, "Line 2"),
        ("CSV", b"a\n1,2\n", {}, "CSV headers"),
        ("CSV", b"1\n", {"CSVHeaderLocation": "GIVEN"}, "CSVHeaders"),
        ("JSON", b"\xff\xfe", {}, "UTF-8"),
        ("XML", b"<a/>", {}, "not supported"),
    ],
)
def test_unreadable_objects_are_item_reader_failed(kind, data, config, why):
    with pytest.raises(StatesFailure) as failed:
        items.parse(kind, data, config)

    assert failed.value.error == "States.ItemReaderFailed"
    assert why in failed.value.cause


def test_batches_close_at_the_item_count_or_the_byte_bound():
    by_count = items.batches([1, 2, 3, 4, 5], 2, None, {"job": 1})
    by_bytes = items.batches(["aaaa", "bbbb", "cccc"], None, 24, None)
    huge = items.batches(["x" * 50, "y"], None, 30, None)

    assert by_count == [
        ({"BatchInput": {"job": 1}, "Items": [1, 2]}, 2),
        ({"BatchInput": {"job": 1}, "Items": [3, 4]}, 2),
        ({"BatchInput": {"job": 1}, "Items": [5]}, 1),
    ]
    assert [body["Items"] for body, _ in by_bytes] == [["aaaa"], ["bbbb"], ["cccc"]]
    assert all(len(json.dumps(b, separators=(",", ":"))) <= 24 for b, _ in by_bytes)
    assert [count for _, count in huge] == [1, 1]  # too large alone: alone
    assert items.batches([], 3, None, None) == []


def test_result_files_and_their_manifest():
    groups = {"SUCCEEDED": [{"o": 1}], "FAILED": [], "PENDING": [{"p": 2}]}
    files = items.result_files("out/", "run-1", groups, "JSON")
    lines = items.result_files("", "run-1", groups, "JSONL")
    key, body = items.manifest("bkt", "arn:mr", "out/", "run-1", files)

    assert [k for k, _ in files] == ["out/run-1/SUCCEEDED_0.json", "out/run-1/PENDING_0.json"]
    assert json.loads(files[0][1]) == [{"o": 1}]
    assert lines[0] == ("run-1/SUCCEEDED_0.jsonl", b'{"o":1}\n')
    assert key == "out/run-1/manifest.json"
    assert json.loads(body) == {
        "DestinationBucket": "bkt",
        "MapRunArn": "arn:mr",
        "ResultFiles": {
            "FAILED": [],
            "PENDING": [{"Key": "out/run-1/PENDING_0.json", "Size": len(files[1][1])}],
            "SUCCEEDED": [{"Key": "out/run-1/SUCCEEDED_0.json", "Size": len(files[0][1])}],
        },
    }


def test_flatten_splices_array_outputs():
    assert items.transform([[1, 2], 3, [], [[4]]], "FLATTEN") == [1, 2, 3, [4]]
    assert items.transform([[1, 2], 3], "COMPACT") == [[1, 2], 3]
