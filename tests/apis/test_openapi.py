"""The OpenAPI loader HTTP and REST APIs share (stratus.apis.openapi), as tables of cases."""

from __future__ import annotations

import pytest

from stratus.apis.openapi import Document, check_basepath, load_document, substitute
from stratus.errors import Invalid


@pytest.mark.parametrize(
    "body",
    [{"openapi": "3.0.1"}, '{"openapi": "3.0.1"}', b'{"openapi": "3.0.1"}', "openapi: 3.0.1\n"],
)
def test_load_document(body):
    """A dict, JSON text or bytes, and YAML text load into the same document."""
    found = load_document(body, expected="a document")

    assert found == {"openapi": "3.0.1"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\xff\xfe", "not UTF-8"),
        ("a: [b", "neither JSON nor YAML"),
        ("[1, 2]", "must be a JSON or YAML object; give a document"),
    ],
)
def test_load_document_refuses(body, message):
    """What cannot be a document is a Invalid saying why."""
    with pytest.raises(Invalid) as caught:
        load_document(body, expected="a document")

    assert caught.value.message.startswith("Invalid OpenAPI input: ")
    assert message in caught.value.message


DOC = {
    "components": {
        "a": {"$ref": "#/components/b"},
        "b": {"$ref": "#/components/c~1d"},
        "c/d": {"found": True},
        "loop": {"$ref": "#/components/loop2"},
        "loop2": {"$ref": "#/components/loop"},
    }
}


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        ({"$ref": "#/components/a"}, {"found": True}),  # a chain, with ~1 for "/"
        ({"plain": 1}, {"plain": 1}),
        ([1], [1]),
    ],
)
def test_resolve(node, expected):
    """Local $refs are followed through to what they name."""
    found = Document(DOC).resolve(node, "here")

    assert found == expected


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("other.yaml#/x", "cannot follow $ref"),
        ("#/components/nothing", "which the document does not define"),
        ("#/components/loop", "circular $ref"),
    ],
)
def test_resolve_refuses(ref, message):
    """Another file, nothing, or a circle: a Invalid naming the place."""
    with pytest.raises(Invalid) as caught:
        Document(DOC).resolve({"$ref": ref}, "paths./p")

    assert message in caught.value.message
    assert "paths./p" in caught.value.message


@pytest.mark.parametrize(
    ("doc", "base"),
    [
        ({"swagger": "2.0", "basePath": "/v1/api/"}, "/v1/api"),
        ({"swagger": "2.0"}, ""),
        ({"openapi": "3.0.1", "servers": [{"url": "https://x.example/v2/p"}]}, "/v2/p"),
        (
            {
                "openapi": "3.0.1",
                "servers": [
                    {"url": "https://x.example/ignored"},
                    {"url": "/{basePath}", "variables": {"basePath": {"default": "/s/t"}}},
                ],
            },
            "/s/t",  # a basePath variable wins over any URL's path
        ),
        (
            {
                "openapi": "3.0.1",
                "servers": [{"url": "/{v}/x", "variables": {"v": {"default": "q"}}}],
            },
            "/q/x",
        ),
        ({"openapi": "3.0.1", "servers": "nope"}, ""),
    ],
)
def test_base_path(doc, base):
    """Swagger 2's basePath; in OpenAPI 3 a basePath server variable, else a server URL's path."""
    found = Document(doc).base_path()

    assert found == base


@pytest.mark.parametrize(
    ("mode", "prefix"), [("ignore", ""), ("prepend", "/stage/api"), ("split", "/api")]
)
def test_path_prefix(mode, prefix):
    """basepath ignore, prepend, or split (the first segment is a stage's name)."""
    found = Document({"swagger": "2.0", "basePath": "/stage/api"}).path_prefix(check_basepath(mode))

    assert found == prefix


def test_unknown_basepath_mode():
    """Only ignore, prepend and split are modes; None is ignore."""
    assert check_basepath(None) == "ignore"
    with pytest.raises(Invalid, match="use ignore, prepend or split"):
        check_basepath("strip")


def test_substitute():
    """AWS's variables are replaced; other ${...} text is left alone."""
    found = substitute(
        "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${stageVariables.f}",
        {"AWS::Partition": "aws", "AWS::Region": "eu-west-1", "AWS::AccountId": "123456789012"},
    )

    assert found == "arn:aws:lambda:eu-west-1:123456789012:function:${stageVariables.f}"
