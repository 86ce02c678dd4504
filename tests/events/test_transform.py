"""Target input: Input, InputPath and InputTransformer with AWS's documented examples."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stratus.errors import Validation
from stratus.events.jsonpath import MISSING, JsonPathError, parse_path
from stratus.events.transform import RuleContext, parse_target_input

# The EC2 event of the input transformation guide.
EVENT: dict[str, Any] = {
    "version": "0",
    "id": "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "123456789012",
    "time": "2015-11-11T21:29:54Z",
    "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
    "detail": {"instance-id": "i-0123456789", "state": "RUNNING", "tags": {"a/b": [1, 2]}},
}
CONTEXT = RuleContext("my-rule", "arn:aws:events:us-east-1:123456789012:rule/my-rule",
                      "2015-11-11T21:29:55Z")
PATHS = {"instance": "$.detail.instance-id", "state": "$.detail.state"}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$", EVENT),
        ("$.detail-type", "EC2 Instance State-change Notification"),
        ("$.detail.instance-id", "i-0123456789"),
        ("$.resources[0]", "arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"),
        ("$.resources[1]", MISSING),
        ("$.detail.tags.a/b[1]", 2),
        ("$.detail.tags.*", [[1, 2]]),
        ("$.detail.tags.a/b[*]", [1, 2]),
        ("$.nope", MISSING),
        ("$.detail.nope.deeper", MISSING),
    ],
)
def test_json_paths(path: str, expected: object) -> None:
    """The JSONPath subset EventBridge accepts reaches what it names."""
    assert parse_path(path).select(EVENT) == expected


@pytest.mark.parametrize("path", ["detail", "$detail", "$['detail']", "$.a..b", "$.a[?(@.x)]",
                                  "$.a[-1]", "$.a b"])
def test_json_paths_refused(path: str) -> None:
    """Bracket names, filters, recursion and negative indices are not EventBridge's syntax."""
    with pytest.raises(JsonPathError):
        parse_path(path)


TEMPLATES = [
    ('"instance <instance> is in <state>"', '"instance i-0123456789 is in RUNNING"'),
    ("instance <instance> is in <state>", "instance i-0123456789 is in RUNNING"),
    # The guide's examples: JSON output is minified.
    ('{\n  "instance" : <instance>,\n  "state": <state>\n}',
     '{"instance":"i-0123456789","state":"RUNNING"}'),
    ('{"instance" : <instance>, "state": "<state>", '
     '"instanceStatus": "instance \\"<instance>\\" is in <state>"}',
     '{"instance":"i-0123456789","state":"RUNNING",'
     '"instanceStatus":"instance \\"i-0123456789\\" is in RUNNING"}'),
    ('{"instance" : <instance>, "state": [ 9, <state>, true ], "Transformed" : "Yes"}',
     '{"instance":"i-0123456789","state":[9,"RUNNING",true],"Transformed":"Yes"}'),
    ('"instance \\"<instance>\\" is in <state>"', '"instance \\"i-0123456789\\" is in RUNNING"'),
    ('"<aws.events.rule-name> triggered"', '"my-rule triggered"'),
    ('{"rule": <aws.events.rule-name>, "arn": "<aws.events.rule-arn>"}',
     '{"rule":"my-rule","arn":"arn:aws:events:us-east-1:123456789012:rule/my-rule"}'),
    ('{"at": "<aws.events.event.ingestion-time>"}', '{"at":"2015-11-11T21:29:55Z"}'),
    ('{"missing": <nope>, "text": "[<nope>]"}', '{"missing":null,"text":"[]"}'),
    ('{"tags": <tags>}', '{"tags":{"a/b":[1,2]}}'),
    ('{"broken": <instance>', '{"broken": "i-0123456789"'),
    ('"Detail is <tags>"', '"Detail is {a/b:[1,2]}"'),
    ("<unknown> stays", "<unknown> stays"),
]


@pytest.mark.parametrize(("template", "expected"), TEMPLATES)
def test_input_templates(template: str, expected: str) -> None:
    """Placeholders are replaced by AWS's quoting rules for string and JSON templates."""
    target = parse_target_input(transformer={
        "InputPathsMap": {**PATHS, "tags": "$.detail.tags", "nope": "$.detail.nope"},
        "InputTemplate": template,
    })

    assert target.render(EVENT, CONTEXT) == expected


def test_whole_event_variables() -> None:
    """<aws.events.event> is the event without detail; <aws.events.event.json> all of it."""
    target = parse_target_input(transformer={
        "InputTemplate": '{"e": <aws.events.event>, "j": <aws.events.event.json>}'})

    rendered = json.loads(target.render(EVENT, CONTEXT))

    assert rendered["j"] == EVENT
    assert rendered["e"] == {key: v for key, v in EVENT.items() if key != "detail"}


def test_input_kinds() -> None:
    """No setting sends the event; Input a constant; InputPath a part of the event."""
    assert json.loads(parse_target_input().render(EVENT, CONTEXT)) == EVENT
    assert parse_target_input(constant='{"a": 1}').render(EVENT, CONTEXT) == '{"a": 1}'
    assert parse_target_input(path="$.detail.state").render(EVENT, CONTEXT) == '"RUNNING"'
    assert parse_target_input(path="$.nope").render(EVENT, CONTEXT) == "null"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"constant": "{}", "path": "$"}, "Only one of Input, InputPath, or InputTransformer"),
        ({"constant": "{nope"}, "Input must be valid JSON"),
        ({"path": "detail"}, "InputPath"),
        ({"transformer": {"InputPathsMap": {"a": "$"}}}, "InputTemplate"),
        ({"transformer": {"InputTemplate": ""}}, "InputTemplate"),
        ({"transformer": {"InputTemplate": "x", "InputPathsMap": {"a.b": "$"}}}, "key"),
        ({"transformer": {"InputTemplate": "x", "InputPathsMap": {"a": "$[0"}}},
         r"InputPathsMap\[a\]"),
        ({"transformer": {"InputTemplate": "x",
                          "InputPathsMap": {f"k{i}": "$" for i in range(101)}}}, "at most 100"),
    ],
)
def test_refused_settings(settings: dict[str, Any], message: str) -> None:
    """PutTargets refuses bad input settings with a ValidationException."""
    with pytest.raises(Validation, match=message):
        parse_target_input(**settings)
