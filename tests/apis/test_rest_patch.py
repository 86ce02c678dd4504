"""Patch operations (stratus.apis.rest_patch): each rule kind, and the errors."""

from __future__ import annotations

import pytest

from stratus.apis.rest_patch import (
    SET,
    apply_patch,
    boolean,
    entry,
    escape,
    field,
    integer,
    item,
    member,
    unescape,
)
from stratus.apis.rest_requests import PatchOperation
from stratus.errors import Invalid

RULES = (
    field("/name", ops=SET),
    field("/description"),
    field("/enabled", boolean, ops=SET),
    field("/throttle/burstLimit", integer),
    entry("/variables"),
    member("/binaryMediaTypes"),
    item("/stages", key=str),
)
DOC = {
    "name": "a",
    "description": "d",
    "enabled": False,
    "variables": {"x": "1"},
    "binaryMediaTypes": ["image/png"],
    "stages": ["api/prod"],
}


GONE = object()  # in expected changes: the member is removed


def op(kind: str, path: str, value: str | None = None) -> PatchOperation:
    return PatchOperation(op=kind, path=path, value=value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("operations", "changes"),
    [
        ([op("replace", "/name", "b")], {"name": "b"}),
        ([op("remove", "/description")], {"description": GONE}),
        ([op("replace", "/enabled", "TRUE")], {"enabled": True}),
        ([op("replace", "/throttle/burstLimit", "7")], {"throttle": {"burstLimit": 7}}),
        ([op("add", "/variables/y", "2")], {"variables": {"x": "1", "y": "2"}}),
        ([op("replace", "/variables/x", "9")], {"variables": {"x": "9"}}),
        ([op("remove", "/variables/x")], {"variables": None}),
        (
            [op("add", "/binaryMediaTypes/image~1gif")],
            {"binaryMediaTypes": ["image/png", "image/gif"]},
        ),
        ([op("add", "/binaryMediaTypes/image~1png")], {}),  # already there: no duplicate
        ([op("remove", "/binaryMediaTypes/image~1png")], {"binaryMediaTypes": []}),
        (
            [op("replace", "/binaryMediaTypes/image~1png", "*/*")],
            {"binaryMediaTypes": ["*/*"]},
        ),
        ([op("add", "/stages", "api/dev")], {"stages": ["api/prod", "api/dev"]}),
        ([op("remove", "/stages", "api/prod")], {"stages": []}),
        # in order, each seeing the one before
        ([op("replace", "/name", "b"), op("replace", "/name", "c")], {"name": "c"}),
    ],
)
def test_apply(operations, changes):
    """Each rule kind changes the document as API Gateway's patch paths do."""
    found = apply_patch(DOC, operations, RULES)

    expected = {k: v for k, v in (DOC | changes).items() if v is not GONE}
    assert found == expected
    assert DOC["variables"] == {"x": "1"}  # the input is left alone


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        (op("replace", "/nope", "x"), "Invalid patch path '/nope' specified for op 'replace'"),
        (op("remove", "/name"), "Invalid patch path '/name' specified for op 'remove'"),
        (op("move", "/name", "x"), "specified for op 'move'. Must be one of: []"),
        (op("replace", "name", "x"), "a path starts with '/'"),
        (op("replace", "/name"), "'replace' on '/name' needs a value"),
        (op("replace", "/enabled", "yes"), "Invalid value 'yes' for '/enabled'"),
        (op("replace", "/throttle/burstLimit", "1.5"), "Invalid value '1.5'"),
        (op("remove", "/variables/nope"), "Cannot remove 'nope' from /variables"),
        (op("remove", "/binaryMediaTypes/text~1html"), "'text/html' is not in /binaryMediaTypes"),
        (op("remove", "/stages", "api/dev"), "Cannot remove 'api/dev' from /stages"),
        (op("replace", "/variables", "x"), "Invalid patch path '/variables'"),
    ],
)
def test_refusals(operation, message):
    """A path no rule takes, a wrong op, a bad value: BadRequestException naming it."""
    with pytest.raises(Invalid) as caught:
        apply_patch(DOC, [operation], RULES)

    assert message in caught.value.message


def test_refusal_lists_the_paths_the_op_takes():
    """The error says which paths the op accepts, as API Gateway does."""
    with pytest.raises(Invalid) as caught:
        apply_patch(DOC, [op("replace", "/nope", "x")], RULES)

    assert "/name" in caught.value.message
    assert "/variables/*" in caught.value.message


@pytest.mark.parametrize(
    ("raw", "decoded"), [("a~1b", "a/b"), ("a~0b", "a~b"), ("~01", "~1"), ("plain", "plain")]
)
def test_json_pointer_escapes(raw, decoded):
    """`~1` is `/` and `~0` is `~` (RFC 6901), and escaping is its inverse."""
    assert unescape(raw) == decoded
    assert unescape(escape(decoded)) == decoded
