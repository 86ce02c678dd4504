"""The parameter mappings of HTTP APIs' AWS service integrations (apis/http/subtypes.py):
how a value splits into static text and references."""

from __future__ import annotations

import pytest

from stratus.apis.http.subtypes import Reference, parts


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("static", ["static"]),
        ("$request.body", [Reference("body", "")]),
        ("$request.body.order.items[0]", [Reference("body", "$.order.items[0]")]),
        (
            "com.mycompany.$request.path.source",
            ["com.mycompany.", Reference("path", "source")],
        ),
        (
            "$request.header.X-Tag,$request.querystring.q!",
            [Reference("header", "X-Tag"), ",", Reference("querystring", "q"), "!"],
        ),
        (
            "$context.identity.sourceIp/$stageVariables.colour",
            [Reference("context", "identity.sourceIp"), "/", Reference("stageVariables", "colour")],
        ),
        ("$request.cookie.a", ["$request.cookie.a"]),
    ],
)
def test_values_split_into_text_and_references(value, expected):
    assert list(parts(value)) == expected
