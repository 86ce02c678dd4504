"""CloudWatch Logs filter patterns, against the examples of AWS's "Filter pattern syntax"
pages (terms, JSON, space-delimited)."""

import pytest

from stratus.observe.filter_patterns import InvalidFilterPattern, compile

ACCESS_LOG = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 1534'
JSON_EVENT = (
    '{"eventType": "UpdateTrail", "sourceIPAddress": "123.123.123.123", "arrayKey": '
    '["value", "another value"], "objectList": [{"name": "a", "id": 1}, {"name": "b", '
    '"id": 2}], "SomeObject": null, "cmd": "UpdateTrail", "bandwidth": 75, "latency": 50, '
    '"flag": true, "nested": {"level": "ERROR"}}'
)


def matches(pattern: str, message: str) -> bool:
    return compile(pattern).matches(message)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("", True),
        ("ERROR", True),
        ("error", False),  # case-sensitive
        ("nomatchxyz", False),
        ("ERROR ARGUMENTS", True),
        ("ERROR Exception", False),  # every term must occur
        ('"Exiting with"', False),
        ('"ERROR ARGUMENTS"', False),  # a phrase must occur as written
        ('"[ERROR] ARGUMENTS"', True),
        ("?ERROR ?WARN", True),
        ("?WARN ?Exception", False),
        ("ERROR -ARGUMENTS", False),
        ("ERROR -Exiting", True),
        ("%ERR[A-Z]+%", True),
        ("%err[a-z]+%", False),
    ],
)
def test_terms(pattern, expected):
    assert matches(pattern, "[ERROR] ARGUMENTS:1 missing") is expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ('{ $.eventType = "UpdateTrail" }', True),
        ("{ $.eventType = UpdateTrail }", True),
        ('{ $.eventType = "Update*" }', True),
        ('{ $.eventType = "*Trail" }', True),
        ('{ $.eventType = "Delete*" }', False),
        ('{ $.eventType != "UpdateTrail" }', False),
        ("{ $.sourceIPAddress != 123.123.* }", False),
        ("{ $.arrayKey[0] = value }", True),
        ('{ $.arrayKey[1] = "another value" }', True),
        ('{ $.arrayKey[2] = "x" }', False),
        ("{ $.objectList[1].id = 2 }", True),
        ("{ $.objectList[1].id = 1 }", False),
        ("{ $.bandwidth > 75 }", False),
        ("{ $.bandwidth >= 75 }", True),
        ("{ $.latency < 100 }", True),
        ("{ $.latency <= 49.5 }", False),
        ("{ $.bandwidth = 75.0 }", True),
        ("{ $.SomeObject IS NULL }", True),
        ("{ $.latency IS NULL }", False),
        ("{ $.SomeOtherObject NOT EXISTS }", True),
        ("{ $.latency NOT EXISTS }", False),
        ("{ $.latency EXISTS }", True),
        ("{ $.flag IS TRUE }", True),
        ("{ $.flag IS FALSE }", False),
        ('{ $.nested.level = "ERROR" }', True),
        ('{ $.nested.level = "error" }', False),
        ('{ $.eventType = "UpdateTrail" && $.bandwidth > 100 }', False),
        ('{ $.eventType = "UpdateTrail" || $.bandwidth > 100 }', True),
        ('{ ($.latency > 100 || $.bandwidth = 75) && $.cmd = "UpdateTrail" }', True),
        ('{ $.latency > 100 || ($.bandwidth = 75 && $.cmd = "Other") }', False),
        ("{ $.cmd = %Update% }", True),
        ("{ $.objectList[*].name = b }", True),
    ],
)
def test_json(pattern, expected):
    assert matches(pattern, JSON_EVENT) is expected


def test_json_patterns_never_match_text():
    assert not matches('{ $.level = "ERROR" }', "ERROR level")
    assert not matches("{ $.missing NOT EXISTS }", "not json")


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("[ip, user, username, timestamp, request, status_code, bytes]", True),
        ("[ip, user, username, timestamp, request, status_code]", False),  # field count
        ("[ip, user, username, timestamp, request, status_code = 404, bytes]", True),
        ("[ip, user, username, timestamp, request, status_code = 4*, bytes]", True),
        ("[ip, user, username, timestamp, request, status_code = 200, bytes]", False),
        ("[..., status_code = 404, bytes]", True),
        ("[..., status_code >= 400 && status_code < 500, bytes > 1000]", True),
        ("[..., status_code = 500 || status_code = 404, bytes]", True),
        ("[ip = 127.0.0.1, ...]", True),
        ("[ip = 10.*, ...]", False),
        ("[ip, user, username = frank, ...]", True),
        ('[..., request = "*GET*", status_code, bytes]', True),
        ("[ip, ..., bytes < 1000]", False),
    ],
)
def test_space_delimited(pattern, expected):
    assert matches(pattern, ACCESS_LOG) is expected


def test_space_delimited_extracts_fields_by_name_and_position():
    found = compile("[ip, user, username, timestamp, request, status_code, bytes]").match(
        ACCESS_LOG
    )

    assert found is not None
    assert found["timestamp"] == "10/Oct/2000:13:25:15 -0700"
    assert found["request"] == "GET /apache_pb.gif HTTP/1.0"
    assert found["$6"] == "404"
    assert found["bytes"] == "1534"


@pytest.mark.parametrize(
    "pattern",
    [
        "{ $.level = }",
        "{ $.level = ERROR",
        "{ level = ERROR }",
        '{ $.level > "ERROR" }',
        "{ $.a = 1 } trailing",
        "[a, b",
        "[a, ..., b, ...]",
        "[a = ]",
        '"unclosed',
        "%(unclosed%",
    ],
)
def test_unreadable_patterns_are_refused(pattern):
    with pytest.raises(InvalidFilterPattern):
        compile(pattern)
