"""AWS::Include: snippets from artifact storage, in place, merged, at the top level."""

from __future__ import annotations

import pytest

from stratus.errors import Invalid, NotFound
from stratus.templates.include import expand_includes
from stratus.templates.loader import load_template

TOP = b"Resources:\n  Topic: {Type: AWS::SNS::Topic}\nOutputs:\n  T: {Value: !Ref Topic}\n"
INCLUDE = "Fn::Transform: {Name: AWS::Include, Parameters: {Location: s3://stratus-artifacts/%s}}\n"
SNIPPETS = {
    "s3://stratus-artifacts/props.yaml": b"BucketName: !Sub '${AWS::StackName}-data'\n",
    "s3://stratus-artifacts/list.json": b'["a", "b"]',
    "s3://stratus-artifacts/resources.yaml": b"Queue: {Type: AWS::SQS::Queue}\n",
    "s3://stratus-artifacts/top.yaml": TOP,
    "s3://stratus-artifacts/nested.yaml": (INCLUDE % "list.json").encode(),
    "s3://stratus-artifacts/loop.yaml": (INCLUDE % "loop.yaml").encode(),
    "s3://stratus-artifacts/bad.yaml": b"a: [\n",
}


def _read(location: str) -> bytes:
    if location not in SNIPPETS:
        raise NotFound(f"NoSuchKey: {location}")
    return SNIPPETS[location]


def _include(location: str) -> str:
    return f"{{'Fn::Transform': {{Name: 'AWS::Include', Parameters: {{Location: '{location}'}}}}}}"


def test_snippet_replaces_the_value() -> None:
    """Fn::Transform alone in a mapping becomes the snippet, short tags in long form."""
    template = load_template(
        "Resources:\n"
        f"  B: {{Type: AWS::S3::Bucket, Properties: {_include('s3://stratus-artifacts/props.yaml')}}}\n"
        f"  C: {{Type: T, Properties: {{Items: {_include('s3://stratus-artifacts/nested.yaml')}}}}}\n"
    )

    expanded = expand_includes(template, _read)

    assert expanded["Resources"]["B"]["Properties"] == {
        "BucketName": {"Fn::Sub": "${AWS::StackName}-data"}
    }
    assert expanded["Resources"]["C"]["Properties"] == {"Items": ["a", "b"]}


def test_snippet_merges_beside_other_keys() -> None:
    """Beside other keys, the snippet's keys join them."""
    template = {
        "Resources": {
            "B": {"Type": "AWS::S3::Bucket"},
            "Fn::Transform": {
                "Name": "AWS::Include",
                "Parameters": {"Location": "s3://stratus-artifacts/resources.yaml"},
            },
        }
    }

    expanded = expand_includes(template, _read)

    assert expanded["Resources"] == {
        "B": {"Type": "AWS::S3::Bucket"},
        "Queue": {"Type": "AWS::SQS::Queue"},
    }


def test_top_level_include() -> None:
    """A top-level Transform include merges sections; other transforms stay."""
    template = load_template(
        "Transform:\n"
        "  - Name: AWS::Include\n"
        "    Parameters: {Location: s3://stratus-artifacts/top.yaml}\n"
        "  - AWS::Serverless-2016-10-31\n"
        "Resources:\n  B: {Type: AWS::S3::Bucket}\n"
    )

    expanded = expand_includes(template, _read)

    assert expanded["Transform"] == ["AWS::Serverless-2016-10-31"]
    assert set(expanded["Resources"]) == {"B", "Topic"}
    assert expanded["Outputs"] == {"T": {"Value": {"Ref": "Topic"}}}


def test_template_without_includes_is_unchanged() -> None:
    """No include, no change."""
    template = {
        "Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"X": [1, {"Ref": "Y"}]}}}
    }

    assert expand_includes(template, _read) == template


@pytest.mark.parametrize(
    ("location", "message"),
    [
        (
            "s3://stratus-artifacts/missing.yaml",
            "cannot read s3://stratus-artifacts/missing.yaml (at Resources/B/Properties): "
            "NoSuchKey",
        ),
        (
            "s3://stratus-artifacts/bad.yaml",
            "snippet s3://stratus-artifacts/bad.yaml: Template format error: YAML not well-formed.",
        ),
        ("s3://stratus-artifacts/loop.yaml", "snippets nest more than 8 deep"),
    ],
)
def test_include_errors(location: str, message: str) -> None:
    """An unreadable, malformed or looping snippet is a ValidationError naming it."""
    template = {
        "Resources": {
            "B": {
                "Type": "T",
                "Properties": {
                    "Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": location}}
                },
            }
        }
    }

    with pytest.raises(Invalid) as caught:
        expand_includes(template, _read)

    assert "Transform AWS::Include failed with:" in caught.value.message
    assert message in caught.value.message


def test_macros_and_missing_resources() -> None:
    """Other Fn::Transform macros are refused; the result still needs Resources."""
    macro = {
        "Resources": {"B": {"Type": "T", "Properties": {"Fn::Transform": {"Name": "MyMacro"}}}}
    }
    empty = {
        "Transform": {
            "Name": "AWS::Include",
            "Parameters": {"Location": "s3://stratus-artifacts/props.yaml"},
        }
    }

    with pytest.raises(Invalid, match="transform MyMacro is not supported"):
        expand_includes(macro, _read)
    with pytest.raises(Invalid, match="Invalid template property or properties \\[BucketName\\]"):
        expand_includes(empty, _read)
