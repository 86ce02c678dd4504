"""cfn-lint's E rules on expanded templates, one line per problem; warnings left out."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from stratus.templates.lint import lint
from stratus.templates.loader import load_template
from stratus.templates.sam import expand

FUNCTION: dict[str, Any] = {
    "Parameters": {"Unused": {"Type": "String", "Default": "x"}},  # W2001, a warning only
    "Resources": {
        "Fn": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Code": {"S3Bucket": "stratus-artifacts", "S3Key": "fn.zip"},
                "Handler": "app.handler",
                "Runtime": "python3.12",
                "Role": "arn:aws:iam::123456789012:role/fn",
            },
        }
    },
}


def _with(**properties: Any) -> dict[str, Any]:
    template = copy.deepcopy(FUNCTION)
    template["Resources"]["Fn"]["Properties"].update(properties)
    return template


def test_clean_templates_have_no_errors() -> None:
    """A valid function, and a SAM app with s3://stratus-artifacts code, lint clean."""
    sam = load_template(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      CodeUri: s3://stratus-artifacts/abc123\n"
        "      Handler: app.handler\n"
        "      Runtime: python3.12\n"
        "      AutoPublishAlias: live\n"
        "      Events:\n"
        "        Get: {Type: HttpApi, Properties: {Path: /, Method: get}}\n"
    )
    expanded = expand(sam, {}, region="us-east-1", account_id="123456789012", stack_name="app")

    assert lint(FUNCTION) == []
    assert lint(expanded) == []


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        (
            {"MemorySize": "abc"},
            "[E3012] Resources/Fn/Properties/MemorySize: 'abc' is not of type 'integer'",
        ),
        (
            {"Timeot": 3},
            "[E3002] Resources/Fn/Properties/Timeot: Additional properties are not allowed "
            "('Timeot' was unexpected. Did you mean 'Timeout'?)",
        ),
        (
            {"Layers": [{"Ref": "Nope"}]},
            "[E1020] Resources/Fn/Properties/Layers/0/Ref: 'Nope' is not one of",
        ),
    ],
)
def test_errors(properties: dict[str, Any], expected: str) -> None:
    """Each error is "[rule] path: message"."""
    problems = lint(_with(**properties))

    assert len(problems) == 1
    assert problems[0].startswith(expected)


def test_date_dependent_runtime_deprecation_is_not_an_error() -> None:
    """E2531 (runtime creation disabled on AWS) depends on the date; Stratus leaves it out."""
    problems = lint(_with(Runtime="python3.7"))

    assert problems == []
