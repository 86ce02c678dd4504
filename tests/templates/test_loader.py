"""Template text to dict: JSON and YAML, short tags, CloudFormation's YAML 1.1 quirks, errors."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from stratus.errors import Invalid
from stratus.templates.loader import DuplicateKey, load_template


def _value(yaml_value: str) -> Any:
    body = f"Resources:\n  R:\n    Type: T\n    Properties:\n      V: {yaml_value}\n"
    return load_template(body)["Resources"]["R"]["Properties"]["V"]


@pytest.mark.parametrize(
    ("yaml_value", "expected"),
    [
        ("!Ref Bucket", {"Ref": "Bucket"}),
        ("!Condition IsProd", {"Condition": "IsProd"}),
        ("!Sub 'arn:${AWS::Partition}:s3:::${B}'", {"Fn::Sub": "arn:${AWS::Partition}:s3:::${B}"}),
        ("!Sub ['${x}-y', {x: !Ref P}]", {"Fn::Sub": ["${x}-y", {"x": {"Ref": "P"}}]}),
        ("!GetAtt Fn.Arn", {"Fn::GetAtt": ["Fn", "Arn"]}),
        ("!GetAtt Db.Endpoint.Address", {"Fn::GetAtt": ["Db", "Endpoint.Address"]}),
        ("!GetAtt [Fn, Arn]", {"Fn::GetAtt": ["Fn", "Arn"]}),
        ("!If [C, !Ref 'AWS::NoValue', x]", {"Fn::If": ["C", {"Ref": "AWS::NoValue"}, "x"]}),
        ("!Equals [!Ref Env, prod]", {"Fn::Equals": [{"Ref": "Env"}, "prod"]}),
        (
            "!And [!Condition A, !Not [!Condition B]]",
            {"Fn::And": [{"Condition": "A"}, {"Fn::Not": [{"Condition": "B"}]}]},
        ),
        ("!Or [!Condition A, !Condition B]", {"Fn::Or": [{"Condition": "A"}, {"Condition": "B"}]}),
        ("!Join [',', [a, b]]", {"Fn::Join": [",", ["a", "b"]]}),
        ("!Select [0, !GetAZs '']", {"Fn::Select": [0, {"Fn::GetAZs": ""}]}),
        ("!Split [',', 'a,b']", {"Fn::Split": [",", "a,b"]}),
        ("!FindInMap [M, k1, k2]", {"Fn::FindInMap": ["M", "k1", "k2"]}),
        ("!Base64 123", {"Fn::Base64": "123"}),
        ("!Cidr ['10.0.0.0/16', 4, 8]", {"Fn::Cidr": ["10.0.0.0/16", 4, 8]}),
        ("!ImportValue Shared-Vpc", {"Fn::ImportValue": "Shared-Vpc"}),
        (
            "!Transform {Name: 'AWS::Include', Parameters: {Location: s3://b/k}}",
            {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://b/k"}}},
        ),
        # CloudFormation reads YAML 1.1: these are booleans and octal there too.
        ("yes", True),
        ("off", False),
        ("010", 8),
        ("'yes'", "yes"),
        # ... but dates stay text.
        ("2010-09-09", "2010-09-09"),
        ("2001-12-14t21:59:43.10-05:00", "2001-12-14t21:59:43.10-05:00"),
        ("1.5", 1.5),
    ],
)
def test_yaml_values(yaml_value: str, expected: Any) -> None:
    """Short tags become the long form; scalars follow CloudFormation's YAML reading."""
    value = _value(yaml_value)

    assert value == expected


def test_json_and_bytes() -> None:
    """JSON bodies load as they are; bytes are UTF-8 (a BOM is allowed)."""
    body = '{"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"N": 1}}}}'

    assert load_template(body)["Resources"]["Q"]["Properties"] == {"N": 1}
    assert (
        load_template(b"\xef\xbb\xbf" + body.encode())["Resources"]["Q"]["Type"]
        == "AWS::SQS::Queue"
    )


def test_keys_are_strings_and_format_version_unquoted() -> None:
    """Keys that YAML reads as numbers or booleans are strings, as in the JSON form."""
    body = textwrap.dedent(
        """\
        AWSTemplateFormatVersion: 2010-09-09
        Mappings:
          Ports:
            80: {yes: http}
        Resources:
          R: {Type: T}
        """
    )

    template = load_template(body)

    assert template["AWSTemplateFormatVersion"] == "2010-09-09"
    assert template["Mappings"] == {"Ports": {"80": {"true": "http"}}}


def test_aliases_are_expanded() -> None:
    """Anchors and merge keys work, as `sam deploy` resolves them before CloudFormation."""
    body = textwrap.dedent(
        """\
        Resources:
          A: &fn {Type: T, Properties: {Memory: 128}}
          B:
            <<: *fn
            Properties: {Memory: 256}
        """
    )

    resources = load_template(body)["Resources"]

    assert resources["A"] == {"Type": "T", "Properties": {"Memory": 128}}
    assert resources["B"] == {"Type": "T", "Properties": {"Memory": 256}}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "Resources:\n  A:\n    Type: T\n   Properties: x\n",
            "Template format error: YAML not well-formed. (line 4, column",
        ),
        (
            '{"Resources": {"A": ',
            "Template format error: JSON not well-formed. (line 1, column 21)",
        ),
        (
            "Resources:\n  A: {Type: T}\n  A: {Type: U}\n",
            "Duplicate key 'A' (line 3, column 3; first on line 2)",
        ),
        ('{"Resources": {"A": {"Type": "T"}, "A": {"Type": "T"}}}', "Duplicate key 'A'"),
        (
            "Description: no resources\n",
            "Template format error: At least one Resources member must be defined.",
        ),
        ("Resources: {}\n", "At least one Resources member must be defined."),
        (
            "Resources:\n  A: {Properties: {}}\n",
            "[/Resources/A] Every Resources object must contain a Type member.",
        ),
        ("Resource:\n  A: {Type: T}\n", "Invalid template property or properties [Resource]"),
        ("- a\n- b\n", "must be a JSON object or a YAML mapping"),
        ("a: &a [*a]\n", "Template format error"),
        (b"Resources: \xff\n", "not UTF-8"),
    ],
)
def test_errors(body: str | bytes, message: str) -> None:
    """Each bad template is one ValidationError in CloudFormation's words, saying where."""
    with pytest.raises(Invalid) as caught:
        load_template(body)

    assert message in caught.value.message


def test_alias_bomb_is_refused() -> None:
    """Nested aliases that would expand to millions of values are refused, not walked."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    body = (
        "Metadata:\n" + "\n".join("  " + line for line in lines) + "\nResources:\n  R: {Type: T}\n"
    )

    with pytest.raises(Invalid) as caught:
        load_template(body)

    assert "aliases expand" in caught.value.message


def test_top_level_include_may_bring_resources() -> None:
    """A top-level AWS::Include transform may supply Resources, so they are not required yet."""
    body = "Transform: {Name: 'AWS::Include', Parameters: {Location: 's3://b/k'}}\n"

    assert load_template(body)["Transform"]["Name"] == "AWS::Include"


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (
            "Resources:\n  A: {Type: T}\n  A: {Type: U}\n",
            "Duplicate key 'A' (line 3, column 3; first on line 2)",
        ),
        (
            '{"Resources": {"A": {"Type": "T"}, "A": {"Type": "U"}}}',
            "Duplicate key 'A' in a JSON object",
        ),
    ],
)
def test_on_duplicate_reads_as_sam_cli_does(body: str, said: str) -> None:
    """With `on_duplicate` (the CLI reading a local file), the last value wins and each
    duplicate is reported instead of refused."""
    duplicates: list[DuplicateKey] = []

    template = load_template(body, on_duplicate=duplicates.append)

    assert template["Resources"] == {"A": {"Type": "U"}}
    assert [d.describe() for d in duplicates] == [said]
