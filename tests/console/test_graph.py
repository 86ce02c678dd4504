"""The layered layout: every state drawn once, nothing overlapping, edges joining the boxes
they name, loops drawn as loops, Parallel and Map states holding their branches."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from stratus.console.graph import END, START, Layout, Node, layout, rule_text

MACHINE: dict[str, Any] = {
    "StartAt": "Check",
    "States": {
        "Check": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.n", "NumericGreaterThan": 0, "Next": "Fan"}],
            "Default": "Refuse",
        },
        "Refuse": {"Type": "Fail", "Error": "NotPositive"},
        "Fan": {
            "Type": "Parallel",
            "Next": "Each",
            "Branches": [
                {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}},
                {
                    "StartAt": "B",
                    "States": {
                        "B": {
                            "Type": "Task",
                            "Resource": "arn:aws:states:::lambda:invoke",
                            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}],
                            "End": True,
                        },
                        "C": {"Type": "Pass", "End": True},
                    },
                },
            ],
        },
        "Each": {
            "Type": "Map",
            "ItemProcessor": {
                "StartAt": "Nap",
                "States": {"Nap": {"Type": "Wait", "Seconds": 5, "End": True}},
            },
            "Next": "Again",
        },
        "Again": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.again", "BooleanEquals": True, "Next": "Check"}],
            "Default": "Done",
        },
        "Done": {"Type": "Succeed"},
    },
}


def by_name(drawn: Layout) -> dict[str, Node]:
    return {node.name: node for node in drawn.nodes}


def inside(inner: Node | Any, outer: Node | Any) -> bool:
    return (
        outer.x <= inner.x
        and inner.x + inner.w <= outer.x + outer.w
        and outer.y <= inner.y
        and inner.y + inner.h <= outer.y + outer.h
    )


def overlap(a: Node, b: Node) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def test_every_state_is_drawn_once_inside_the_picture():
    drawn = layout(MACHINE)

    names = [node.name for node in drawn.nodes]
    assert sorted(names) == sorted(
        [START, END, "Check", "Refuse", "Fan", "A", "B", "C", "Each", "Nap", "Again", "Done"]
    )
    assert all(n.x >= 0 and n.y >= 0 for n in drawn.nodes)
    assert all(n.x + n.w <= drawn.width and n.y + n.h <= drawn.height for n in drawn.nodes)


def test_boxes_of_one_machine_never_overlap_and_branches_sit_inside_their_state():
    nodes = by_name(layout(MACHINE))
    top = [nodes[n] for n in (START, END, "Check", "Refuse", "Fan", "Each", "Again", "Done")]

    assert not [(a.name, b.name) for a, b in itertools.combinations(top, 2) if overlap(a, b)]
    assert all(inside(nodes[n], nodes["Fan"]) for n in ("A", "B", "C"))
    assert inside(nodes["Nap"], nodes["Each"])
    assert nodes["Fan"].container
    assert nodes["Each"].container
    assert not nodes["A"].container
    assert not overlap(nodes["A"], nodes["B"])


def test_frames_hold_each_branch():
    drawn = layout(MACHINE)
    nodes = by_name(drawn)
    frames = [f for f in drawn.frames if f.owner == "Fan"]

    assert [f.label for f in frames] == ["Branch 1", "Branch 2"]
    assert inside(nodes["A"], frames[0])
    assert inside(nodes["C"], frames[1])
    assert [f.label for f in drawn.frames if f.owner == "Each"] == ["Each item"]


def test_edges_go_downwards_from_box_to_box_and_loops_go_back_up():
    drawn = layout(MACHINE)
    nodes = by_name(drawn)
    edges = {(e.source, e.target): e for e in drawn.edges}

    assert set(edges) == {
        (START, "Check"),
        ("Check", "Fan"),
        ("Check", "Refuse"),
        ("Refuse", END),
        ("Fan", "Each"),
        ("B", "C"),
        ("Each", "Again"),
        ("Again", "Check"),
        ("Again", "Done"),
        ("Done", END),
    }
    for (source, target), edge in edges.items():
        if edge.loop:
            continue
        (x0, y0), (x1, y1) = edge.points[0], edge.points[-1]
        assert (x0, y0) == (nodes[source].cx, nodes[source].y + nodes[source].h)
        assert (x1, y1) == (nodes[target].cx, nodes[target].y)
        assert all(b[1] >= a[1] for a, b in itertools.pairwise(edge.points))
    loop = edges[("Again", "Check")]
    assert loop.loop
    assert loop.label == "$.again == true"
    assert loop.points[1][0] > max(n.x + n.w for n in drawn.nodes)
    assert edges[("Check", "Refuse")].label == "Default"
    assert edges[("B", "C")].kind == "catch"
    assert edges[("B", "C")].label == "catch States.ALL"


def test_a_long_chain_is_one_straight_column():
    states = {f"S{i}": {"Type": "Pass", "Next": f"S{i + 1}"} for i in range(300)}
    states["S300"] = {"Type": "Succeed"}

    drawn = layout({"StartAt": "S0", "States": states})

    xs = {round(n.cx, 3) for n in drawn.nodes}
    assert len(xs) == 1
    assert len(drawn.nodes) == 303


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        ({"Variable": "$.n", "NumericGreaterThan": 0}, "$.n > 0"),
        ({"Variable": "$.s", "StringEquals": "go"}, "$.s == 'go'"),
        ({"Variable": "$.a", "NumericLessThanEqualsPath": "$.b"}, "$.a <= $.b"),
        ({"Variable": "$.x", "IsPresent": False}, "$.x not present"),
        ({"Not": {"Variable": "$.ok", "BooleanEquals": True}}, "not $.ok == true"),
        (
            {"And": [{"Variable": "$.a", "NumericEquals": 1}, {"Variable": "$.b", "IsNull": True}]},
            "($.a == 1 and $.b null)",
        ),
        ({"Condition": "{% $states.input.n > 3 %}"}, "$states.input.n > 3"),
        ({"Variable": "$.name", "StringMatches": "log-*.txt"}, "$.name matches 'log-*.txt'"),
        (
            {"Variable": "$.very.long.path.name", "StringEquals": "abcdefghij"},
            "$.very.long.path.name == 'abc…",
        ),
    ],
)
def test_choice_rules_read_as_short_conditions(rule, text):
    assert rule_text(rule) == text


def test_a_definition_with_odd_parts_still_draws():
    drawn = layout({"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "Nowhere"}}})

    assert {n.name for n in drawn.nodes} == {START, END, "X"}
    assert {(e.source, e.target) for e in drawn.edges} == {(START, "X")}
