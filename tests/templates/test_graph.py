"""Creation order from references and DependsOn; cycles and unknown targets refused."""

from __future__ import annotations

from typing import Any

import pytest

from stratus.errors import Invalid
from stratus.templates.graph import creation_order, deletion_order


def _r(depends_on: Any = None, **properties: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {"Type": "T", "Properties": properties}
    if depends_on is not None:
        resource["DependsOn"] = depends_on
    return resource


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ({"A": _r(), "B": _r(), "C": _r()}, ["A", "B", "C"]),
        ({"Fn": _r(Role={"Fn::GetAtt": ["Role", "Arn"]}), "Role": _r()}, ["Role", "Fn"]),
        (
            {
                "Alias": _r(V={"Fn::GetAtt": "Version.Version"}),
                "Version": _r(F={"Ref": "Fn"}),
                "Fn": _r(),
            },
            ["Fn", "Version", "Alias"],
        ),
        ({"Api": _r(Body={"Fn::Sub": "${Fn.Arn}"}), "Fn": _r()}, ["Fn", "Api"]),
        ({"A": _r(depends_on="B"), "B": _r()}, ["B", "A"]),
        ({"A": _r(depends_on=["C", "B"]), "B": _r(), "C": _r()}, ["B", "C", "A"]),
        # Template order among peers, even when a later one becomes ready first.
        ({"X": _r(depends_on="Z"), "Y": _r(), "Z": _r()}, ["Y", "Z", "X"]),
        # Parameters and pseudo parameters are not resources.
        ({"A": _r(N={"Ref": "Param"}, R={"Ref": "AWS::Region"})}, ["A"]),
    ],
)
def test_creation_order(resources: dict[str, Any], expected: list[str]) -> None:
    """Every resource after what it refers to; otherwise in template order."""
    order = creation_order(resources)

    assert order == expected
    assert deletion_order(resources) == list(reversed(expected))


def test_order_with_conditions() -> None:
    """With conditions known, the branch not taken adds no dependency."""
    resources = {"A": _r(X={"Fn::If": ["C", {"Ref": "B"}, "none"]}), "B": _r()}

    assert creation_order(resources) == ["B", "A"]
    assert creation_order(resources, conditions={"C": False}) == ["A", "B"]


@pytest.mark.parametrize(
    ("resources", "message"),
    [
        (
            {"A": _r(X={"Ref": "B"}), "B": _r(X={"Ref": "A"})},
            "Circular dependency between resources: [A, B]",
        ),
        (
            {
                "Z": _r(),
                "A": _r(X={"Ref": "C"}),
                "B": _r(X={"Fn::GetAtt": ["A", "Arn"]}),
                "C": _r(depends_on="B"),
                "D": _r(depends_on="A"),
            },
            "Circular dependency between resources: [A, B, C]",
        ),
        ({"A": _r(X={"Ref": "A"})}, "Circular dependency between resources: [A]"),
        (
            {"A": _r(depends_on="Nope")},
            "Unresolved resource dependencies [Nope] in the Resources block of the template "
            "(DependsOn of A)",
        ),
        (
            {"A": _r(depends_on=[{"Ref": "B"}]), "B": _r()},
            "DependsOn of resource A must be a logical id",
        ),
    ],
)
def test_order_errors(resources: dict[str, Any], message: str) -> None:
    """Cycles name the resources on them; DependsOn must name resources."""
    with pytest.raises(Invalid) as caught:
        creation_order(resources)

    assert caught.value.message == message or message in caught.value.message
