"""EventBridge event patterns: AWS's documented examples, matching and not, and AWS's refusals."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stratus.errors import InvalidPattern, Validation
from stratus.patterns.eventbridge import event_pattern_matches, parse_event_pattern

# The EC2 event of EventBridge's user guide ("Amazon EventBridge event patterns").
EC2: dict[str, Any] = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "111122223333",
    "time": "2017-12-22T18:43:48Z",
    "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"},
}

# The event of AWS's matching library's README, used by the content-filtering examples.
RULER: dict[str, Any] = {
    "version": "0",
    "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "012345679012",
    "time": "2017-10-02T16:24:49Z",
    "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
    "detail": {
        "c-count": 5,
        "d-count": 3,
        "x-limit": 301.8,
        "source-ip": "10.0.0.33",
        "instance-id": "i-000000aaaaaa00000",
        "state": "running",
    },
}


def detail(**fields: Any) -> dict[str, Any]:
    return {"detail": fields}


def matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    return parse_event_pattern(json.dumps(pattern)).matches(event)


MATCHING: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    # name, pattern, event, matches
    ("guide: EC2 termination", {"source": ["aws.ec2"], "detail-type": [
        "EC2 Instance State-change Notification"], "detail": {"state": ["terminated"]}}, EC2, True),
    ("guide: other state", {"detail": {"state": ["running"]}}, EC2, False),
    ("any value of the list", {"detail": {"state": ["initializing", "terminated"]}}, EC2, True),
    ("absent field", {"detail": {"nope": ["x"]}}, EC2, False),
    ("event array intersects", {"resources": [
        "arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0", "x"]}, EC2, True),
    ("event array disjoint", {"resources": ["x", "y"]}, EC2, False),
    ("strings are case sensitive", {"source": ["AWS.EC2"]}, EC2, False),
    ("numbers compare numerically", {"detail": {"x-limit": [3.018e2]}}, RULER, True),
    ("integer equals float", detail(n=[300]), detail(n=300.0), True),
    ("number is not its string", detail(n=[300]), detail(n="300"), False),
    ("string is not its number", detail(n=["300"]), detail(n=300), False),
    ("null matches null", detail(n=[None]), detail(n=None), True),
    ("null does not match absent", detail(n=[None]), detail(m=1), False),
    ("empty string", detail(n=[""]), detail(n=""), True),
    ("true is not 1", detail(n=[True]), detail(n=1), False),
    ("false matches false", detail(n=[False]), detail(n=False), True),
    ("large account numbers compare exactly", {"account": [123456789012]},
     {"account": 123456789012}, True),
    ("IPv6 spellings", detail(ip=["2001:db8::1"]), detail(ip="2001:0db8:0:0:0:0:0:1"), True),
    # prefix
    ("prefix", {"time": [{"prefix": "2017-10-02"}]}, RULER, True),
    ("prefix other", {"time": [{"prefix": "2017-10-03"}]}, RULER, False),
    ("prefix needs a string", detail(n=[{"prefix": "1"}]), detail(n=12), False),
    ("prefix ignore case", detail(service=[{"prefix": {"equals-ignore-case": "EventB"}}]),
     detail(service="eventbridge"), True),
    ("prefix ignore case other", detail(service=[{"prefix": {"equals-ignore-case": "EventB"}}]),
     detail(service="ebridge"), False),
    # suffix
    ("suffix", {"source": [{"suffix": "ec2"}]}, RULER, True),
    ("suffix png", detail(FileName=[{"suffix": ".png"}]), detail(FileName="a.PNG"), False),
    ("suffix ignore case", detail(FileName=[{"suffix": {"equals-ignore-case": ".png"}}]),
     detail(FileName="a.PNG"), True),
    # equals-ignore-case
    ("equals-ignore-case", {"source": [{"equals-ignore-case": "AWS.EC2"}]}, RULER, True),
    ("equals-ignore-case other", {"source": [{"equals-ignore-case": "aws.ec"}]}, RULER, False),
    # wildcard
    ("wildcard", detail(name=[{"wildcard": "Simple*Service"}]),
     detail(name="SimpleNotificationService"), True),
    ("wildcard empty run", detail(name=[{"wildcard": "Simple*Service"}]),
     detail(name="SimpleService"), True),
    ("wildcard other", detail(name=[{"wildcard": "Simple*Service"}]),
     detail(name="SimpleServices"), False),
    ("wildcard path", detail(path=[{"wildcard": "dir/*.png"}]), detail(path="dir/a/b.png"), True),
    ("wildcard escaped star", detail(v=[{"wildcard": "a\\*b"}]), detail(v="a*b"), True),
    ("wildcard escaped star is literal", detail(v=[{"wildcard": "a\\*b"}]), detail(v="axb"), False),
    ("wildcard escaped backslash", detail(v=[{"wildcard": "a\\\\*"}]), detail(v="a\\zz"), True),
    ("wildcard without star is exact", detail(v=[{"wildcard": "abc"}]), detail(v="abcd"), False),
    # anything-but
    ("anything-but string", detail(state=[{"anything-but": "initializing"}]), RULER, True),
    ("anything-but same string", detail(state=[{"anything-but": "running"}]), RULER, False),
    ("anything-but number", detail(**{"x-limit": [{"anything-but": 123}]}), RULER, True),
    ("anything-but number same", detail(**{"x-limit": [{"anything-but": 301.8}]}), RULER, False),
    ("anything-but list", detail(state=[{"anything-but": ["stopped", "overloaded"]}]),
     RULER, True),
    ("anything-but list hit", detail(state=[{"anything-but": ["stopped", "running"]}]),
     RULER, False),
    ("anything-but numbers", detail(**{"x-limit": [{"anything-but": [100, 200, 300]}]}),
     RULER, True),
    ("anything-but prefix", detail(state=[{"anything-but": {"prefix": "init"}}]), RULER, True),
    ("anything-but prefix hit", detail(state=[{"anything-but": {"prefix": "run"}}]),
     RULER, False),
    ("anything-but suffix", detail(FileName=[{"anything-but": {"suffix": ".png"}}]),
     detail(FileName="a.jpg"), True),
    ("anything-but suffix hit", detail(FileName=[{"anything-but": {"suffix": ".png"}}]),
     detail(FileName="a.png"), False),
    ("anything-but ignore case", detail(state=[
        {"anything-but": {"equals-ignore-case": "RUNNING"}}]), RULER, False),
    ("anything-but ignore case list", detail(state=[
        {"anything-but": {"equals-ignore-case": ["x", "Y"]}}]), detail(state="y"), False),
    ("anything-but wildcard", detail(FilePath=[{"anything-but": {"wildcard": "*/lib/*"}}]),
     detail(FilePath="/usr/bin/x"), True),
    ("anything-but wildcard hit", detail(FilePath=[{"anything-but": {"wildcard": "*/lib/*"}}]),
     detail(FilePath="/usr/lib/x"), False),
    ("anything-but absent field", detail(other=[{"anything-but": "x"}]), RULER, False),
    ("anything-but other type", detail(n=[{"anything-but": "5"}]), detail(n=5), True),
    ("anything-but array: one element differs", detail(s=[{"anything-but": "a"}]),
     detail(s=["a", "b"]), True),
    ("anything-but array: all excluded", detail(s=[{"anything-but": ["a", "b"]}]),
     detail(s=["a", "b"]), False),
    # numeric
    ("numeric range", detail(**{"c-count": [{"numeric": [">", 0, "<=", 5]}]}), RULER, True),
    ("numeric below", detail(**{"d-count": [{"numeric": ["<", 10]}]}), RULER, True),
    ("numeric equals", detail(**{"x-limit": [{"numeric": ["=", 3.018e2]}]}), RULER, True),
    ("numeric open top", detail(n=[{"numeric": [">", 0, "<", 5]}]), detail(n=5), False),
    ("numeric closed bottom", detail(n=[{"numeric": [">=", 5]}]), detail(n=5), True),
    ("numeric open bottom", detail(n=[{"numeric": [">", 5]}]), detail(n=5), False),
    ("numeric <=", detail(n=[{"numeric": ["<=", 5]}]), detail(n=5.0), True),
    ("numeric on a string", detail(n=[{"numeric": [">", 0]}]), detail(n="5"), False),
    ("numeric six decimals", detail(n=[{"numeric": ["=", 1.0]}]), detail(n=1.0000001), True),
    ("numeric outside the domain", detail(n=[{"numeric": [">", 0]}]), detail(n=6e9), False),
    ("numeric on a boolean", detail(n=[{"numeric": [">", 0]}]), detail(n=True), False),
    # cidr
    ("cidr", detail(**{"source-ip": [{"cidr": "10.0.0.0/24"}]}), RULER, True),
    ("cidr outside", detail(**{"source-ip": [{"cidr": "10.0.1.0/24"}]}), RULER, False),
    ("cidr ipv6", detail(ip=[{"cidr": "2001:db8::/32"}]), detail(ip="2001:db8::ff00:42"), True),
    ("cidr ipv6 vs ipv4", detail(ip=[{"cidr": "2001:db8::/32"}]), detail(ip="10.0.0.1"), False),
    ("cidr not an address", detail(ip=[{"cidr": "10.0.0.0/8"}]), detail(ip="ten"), False),
    # exists
    ("exists true", detail(**{"c-count": [{"exists": True}]}), RULER, True),
    ("exists false, present", detail(**{"c-count": [{"exists": False}]}), RULER, False),
    ("guide: exists false, absent", detail(**{"c-count": [{"exists": False}]}),
     detail(state=["initializing", "running"]), True),
    ("guide: exists false, not a leaf",
     detail(**{"c-count": [{"exists": False}]}),
     detail(state=["initializing", "running"], **{"c-count": {"c1": 100}}), True),
    ("exists true, not a leaf", detail(c=[{"exists": True}]), detail(c={"c1": 100}), False),
    ("exists true on null", detail(c=[{"exists": True}]), detail(c=None), True),
    ("exists true on an array", detail(c=[{"exists": True}]), detail(c=[1]), True),
    ("exists true on an empty array", detail(c=[{"exists": True}]), detail(c=[]), False),
    ("exists false without the parent", {"detail": {"c": [{"exists": False}]}},
     {"source": "x"}, True),
    ("exists true without the parent", {"detail": {"c": [{"exists": True}]}},
     {"source": "x"}, False),
    ("exists in an array of objects", {"items": {"id": [{"exists": True}]}},
     {"items": [{"x": 1}, {"id": 2}]}, True),
    # $or
    ("$or first", {"source": ["aws.cloudwatch"], "$or": [
        {"metricName": ["CPUUtilization", "ReadLatency"]},
        {"namespace": ["AWS/EC2", "AWS/ES"]}]},
     {"source": "aws.cloudwatch", "metricName": "ReadLatency"}, True),
    ("$or second", {"source": ["aws.cloudwatch"], "$or": [
        {"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]},
     {"source": "aws.cloudwatch", "namespace": "AWS/EC2"}, True),
    ("$or neither", {"source": ["aws.cloudwatch"], "$or": [
        {"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]},
     {"source": "aws.cloudwatch", "namespace": "AWS/ES"}, False),
    ("$or and outer field", {"source": ["aws.cloudwatch"], "$or": [
        {"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]},
     {"source": "aws.ec2", "namespace": "AWS/EC2"}, False),
    ("$or with and inside", {"$or": [{"a": ["1"]}, {"b": ["2"], "c": ["3"]}]},
     {"b": "2", "c": "3"}, True),
    ("$or with and inside, half", {"$or": [{"a": ["1"]}, {"b": ["2"], "c": ["3"]}]},
     {"b": "2"}, False),
    ("nested $or", {"$or": [{"a": ["1"]}, {"b": ["2"], "$or": [{"c": [1234]}, {"d": [1000]}]}]},
     {"b": "2", "d": 1000}, True),
    ("parallel $or in detail", {"$or": [{"m": ["x"]}, {"n": ["y"]}], "detail": {"$or": [
        {"source": ["s"]}, {"detail-type": ["t"]}]}},
     {"n": "y", "detail": {"detail-type": "t"}}, True),
    # nesting and arrays
    ("nested objects", {"detail": {"a": {"b": ["c"]}}}, {"detail": {"a": {"b": "c"}}}, True),
    ("pattern object on a scalar", {"detail": {"a": {"b": ["c"]}}}, {"detail": {"a": "c"}}, False),
    ("array of objects", {"employees": {"firstName": ["Anna"]}},
     {"employees": [{"firstName": "John"}, {"firstName": "Anna"}]}, True),
    ("array consistency", {"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}},
     {"employees": [{"firstName": "Anna", "lastName": "Smith"},
                    {"firstName": "Peter", "lastName": "Jones"}]}, False),
    ("same element", {"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}},
     {"employees": [{"firstName": "Anna", "lastName": "Smith"}]}, True),
    ("multi-level arrays", {"employees": {"firstName": ["Peter"]}},
     {"employees": [[{"firstName": "John"}], [{"firstName": "Peter"}]]}, True),
    ("nested scalar arrays", detail(v=["x"]), detail(v=[["a"], ["x"]]), True),
    ("matchers combine as or", detail(v=["a", {"prefix": "b"}]), detail(v="bee"), True),
    ("absent or value", detail(v=["a", {"exists": False}]), detail(w=1), True),
]


@pytest.mark.parametrize(
    ("pattern", "event", "expected"),
    [pytest.param(p, e, x, id=name) for name, p, e, x in MATCHING],
)
def test_matching(pattern: dict[str, Any], event: dict[str, Any], expected: bool) -> None:
    """Each pattern matches (or not) its event as EventBridge does."""
    result = matches(pattern, event)

    assert result is expected


def test_complex_example_of_the_guide() -> None:
    """The user guide's combined example matches the library's sample event."""
    pattern = {
        "time": [{"prefix": "2017-10-02"}],
        "detail": {
            "state": [{"anything-but": "initializing"}],
            "c-count": [{"numeric": [">", 0, "<=", 5]}],
            "d-count": [{"numeric": ["<", 10]}],
            "x-limit": [{"anything-but": [100, 200, 300]}],
            "source-ip": [{"cidr": "10.0.0.0/8"}],
        },
    }

    assert matches(pattern, RULER)
    assert not matches(pattern, {**RULER, "detail": {**RULER["detail"], "d-count": 10}})


INVALID: list[tuple[str, str]] = [
    # pattern text, AWS's reason
    ('["a"]', "Filter is not an object"),
    ("{}", "Empty objects are not allowed"),
    ('{"source": ["aws.health"], "detail": {}}', "Empty objects are not allowed"),
    ('{"slug": "some-pipeline"}', '"slug" must be an object or an array'),
    ('{"a": 5}', '"a" must be an object or an array'),
    ('{"a": []}', "Empty arrays are not allowed"),
    ('{"a": [["x"]]}', "Match value must be String, number, true, false, or null"),
    ('{"a": [{}]}', "Match expression name not found"),
    ('{"a": [{"contains": "x"}]}', "Unrecognized match type contains"),
    ('{"a": [{"prefix": "x", "suffix": "y"}]}', "Only one key allowed in match expression"),
    ('{"a": [{"prefix": 5}]}', "prefix match pattern must be a string"),
    ('{"a": [{"prefix": {"equals-ignore-case": 5}}]}', "prefix match pattern must be a string"),
    ('{"a": [{"suffix": null}]}', "suffix match pattern must be a string"),
    ('{"a": [{"equals-ignore-case": ["x"]}]}', "equals-ignore-case match pattern must be a string"),
    ('{"a": [{"wildcard": 1}]}', "wildcard match pattern must be a string"),
    ('{"a": [{"wildcard": "a**b"}]}', "Consecutive wildcard characters at pos 2"),
    ('{"a": [{"wildcard": "a\\\\b"}]}', "Invalid escape character at pos 1"),
    ('{"a": [{"exists": "true"}]}', "exists match pattern must be either true or false."),
    ('{"a": [{"cidr": 10}]}', "prefix match pattern must be a string"),
    ('{"a": [{"cidr": "10.0.0.1"}]}', "Malformed CIDR, one '/' required: 10.0.0.1"),
    ('{"a": [{"cidr": "10.0.0.0/33"}]}', "Invalid CIDR: 10.0.0.0/33"),
    ('{"a": [{"numeric": 5}]}', "Value of numeric must be an array."),
    ('{"a": [{"numeric": []}]}', "Invalid member in numeric match: ]"),
    ('{"a": [{"numeric": [5]}]}', "Invalid member in numeric match: 5"),
    ('{"a": [{"numeric": ["!=", 5]}]}', "Unrecognized numeric range operator: !="),
    ('{"a": [{"numeric": [">", "5"]}]}', "Value of > must be numeric"),
    ('{"a": [{"numeric": ["=", true]}]}', "Value of = must be numeric"),
    ('{"a": [{"numeric": ["=", 5, "<", 6]}]}', "Too many elements in numeric expression"),
    ('{"a": [{"numeric": [">", 5, 6]}]}', "Bad value in numeric range: 6"),
    ('{"a": [{"numeric": [">", 5, ">", 6]}]}', "Bad numeric range operator: >"),
    ('{"a": [{"numeric": [">", 5, "<"]}]}', "Value of < must be numeric"),
    ('{"a": [{"numeric": [">", 5, "<", 6, 7]}]}', "Too many terms in numeric range expression"),
    ('{"a": [{"numeric": [">", 6, "<", 5]}]}', "Bottom must be less than top"),
    ('{"a": [{"numeric": [">", 6e9]}]}', "Value must be between -5.0E9 and 5.0E9, inclusive"),
    ('{"a": [{"numeric": [">", 1], "x": 1}]}', "Too many elements in numeric expression"),
    ('{"a": [{"anything-but": null}]}',
     "Value of anything-but must be an array or single string/number value."),
    ('{"a": [{"anything-but": ["a", 1]}]}',
     "Inside anything but list, either all values are number or string, "
     "mixed type is not supported"),
    ('{"a": [{"anything-but": []}]}',
     "Inside anything but list, either all values are number or string, "
     "mixed type is not supported"),
    ('{"a": [{"anything-but": [true]}]}',
     "Inside anything but list, start|null|boolean is not supported."),
    ('{"a": [{"anything-but": {}}]}', "Anything-But expression name not found"),
    ('{"a": [{"anything-but": {"numeric": [">", 1]}}]}',
     "Unsupported anything-but pattern: numeric"),
    ('{"a": [{"anything-but": {"prefix": ""}}]}', "Null prefix/suffix not allowed"),
    ('{"a": [{"anything-but": {"suffix": 1}}]}', "prefix/suffix match pattern must be a string"),
    ('{"a": [{"anything-but": {"equals-ignore-case": [1]}}]}',
     "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."),
    ('{"a": [{"anything-but": {"wildcard": "**"}}]}', "Consecutive wildcard characters at pos 1"),
    ('{"a": [{"anything-but": [1e10]}]}', "Value must be between -5.0E9 and 5.0E9, inclusive"),
    ('{"$or": {"a": ["b"]}}', "It must be an Array followed with $or."),
    ('{"$or": [{"a": ["b"]}]}', "There must have at least 2 Objects in $or relationship."),
    ('{"$or": [{"a": ["b"]}, "c"]}', "Only JSON object is allowed in array of $or relationship."),
    ('{"$or": [{"numeric": [123]}, {"prefix": ["abc"]}]}',
     "numeric is Ruler reserved fieldName which cannot be used inside $or."),
    ('{"$or": [{"a": ["b"]}, {}]}', "Empty objects are not allowed"),
]


@pytest.mark.parametrize(("pattern", "reason"), INVALID)
def test_invalid_patterns(pattern: str, reason: str) -> None:
    """A pattern AWS refuses is an InvalidPatternException with AWS's reason."""
    with pytest.raises(InvalidPattern) as caught:
        parse_event_pattern(pattern)

    assert caught.value.message == f"Event pattern is not valid. Reason: {reason}"


@pytest.mark.parametrize("text", ["", "{", "{'a': ['b']}", '{"a": [NaN]}', '{"a": [1]} x'])
def test_not_json(text: str) -> None:
    """Text that is not JSON is an invalid pattern, not a crash."""
    with pytest.raises(InvalidPattern, match=r"^Event pattern is not valid\. Reason: "):
        parse_event_pattern(text)


def test_too_many_wildcards() -> None:
    """AWS refuses a field whose wildcards make matching too expensive."""
    pattern = json.dumps({"a": [{"wildcard": "*a" * 101}]})

    with pytest.raises(InvalidPattern, match="Rule is too complex"):
        parse_event_pattern(pattern)


def test_pattern_length_limit() -> None:
    """A pattern longer than 4,096 characters is refused as PutRule's model refuses it."""
    pattern = json.dumps({"a": ["x" * 4100]})

    with pytest.raises(Validation, match="less than or equal to 4096"):
        parse_event_pattern(pattern)


def test_test_event_pattern() -> None:
    """TestEventPattern answers whether an event, as JSON text, matches a pattern."""
    assert event_pattern_matches('{"source": ["aws.ec2"]}', json.dumps(EC2))
    assert not event_pattern_matches('{"source": ["aws.s3"]}', json.dumps(EC2))


MISSING_FIELD = [json.dumps({k: v for k, v in EC2.items() if k != field})
                 for field in ("id", "account", "source", "time", "region", "resources",
                               "detail-type")]


@pytest.mark.parametrize("event", ["not json", "[1]", '"x"', *MISSING_FIELD])
def test_test_event_pattern_needs_an_event(event: str) -> None:
    """TestEventPattern refuses an event that is not an object with every mandatory field."""
    with pytest.raises(InvalidPattern, match=r"^Parameter Event is not valid\.$"):
        event_pattern_matches('{"a": ["b"]}', event)


texts = st.text(max_size=8)
numbers = st.integers(min_value=-10**6, max_value=10**6)


@given(prefix=texts, value=texts)
def test_prefix_is_startswith(prefix: str, value: str) -> None:
    """prefix matches exactly the strings that start with it."""
    result = matches(detail(v=[{"prefix": prefix}]), detail(v=value))

    assert result is value.startswith(prefix)


@given(excluded=texts, value=texts)
def test_anything_but_is_the_complement(excluded: str, value: str) -> None:
    """anything-but matches exactly where the exact value does not."""
    exact = matches(detail(v=[excluded]), detail(v=value))
    other = matches(detail(v=[{"anything-but": excluded}]), detail(v=value))

    assert other is not exact


@given(low=numbers, high=numbers, value=numbers)
def test_numeric_range_is_the_interval(low: int, high: int, value: int) -> None:
    """A closed-open numeric range holds exactly the numbers in [low, high)."""
    if low >= high:
        return
    pattern = detail(v=[{"numeric": [">=", low, "<", high]}])

    assert matches(pattern, detail(v=value)) is (low <= value < high)


@given(st.text(alphabet="ab*", max_size=6).filter(lambda t: "**" not in t), texts)
def test_wildcard_agrees_with_fnmatch(wildcard: str, value: str) -> None:
    """A wildcard without escapes matches as a shell glob of stars does."""
    import fnmatch
    import re

    expected = re.fullmatch(fnmatch.translate(wildcard), value, re.DOTALL) is not None
    if "[" in value or "?" in value:
        return

    assert matches(detail(v=[{"wildcard": wildcard}]), detail(v=value)) is expected
