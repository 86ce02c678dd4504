"""A state machine's definition laid out as a picture: boxes in layers, top to bottom.

This module reads the definition: edges from Next, each Choice rule (labelled with its
condition) and its Default, each Catch, and (at the top level) Start -> StartAt and every
End, Succeed or Fail -> End; each box's size and words. layers.py places them. Parallel
and Map states are boxes holding their branches (the iterator) laid out the same way
first, each in a frame. Coordinates are absolute pixels from the top left. The layout
reads only StartAt/States/Type/Next/End/Choices/Default/Catch/Branches/
ItemProcessor(Iterator), so any definition CreateStateMachine accepted can be drawn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .layers import Edge, Link, place

# The markers' ids. A state may be named so too; it would then share a marker's box.
START, END = "__start__", "__end__"

NODE_H = 58.0
MARKER_W, MARKER_H = 76.0, 28.0
MIN_W, MAX_W = 132.0, 280.0
NAME_CHAR_W, DETAIL_CHAR_W = 7.6, 6.3  # 13 px bold and 11 px text in the page's font
PAD, HEADER = 12.0, 34.0  # inside a Parallel/Map box: its edge, its title bar
LANE_GAP, LANE_PAD, LANE_LABEL = 14.0, 10.0, 20.0
MARGIN = 16.0


@dataclass(frozen=True, slots=True)
class Node:
    """A drawn state (or the Start/End marker): its box, top-left corner."""

    name: str
    type: str  # Task, Choice, ..., Parallel, Map; Start or End for the markers
    x: float
    y: float
    w: float
    h: float
    detail: str = ""  # a short second line: "lambda:invoke", "5 s"
    container: bool = False  # Parallel or Map: its frames are drawn inside

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


@dataclass(frozen=True, slots=True)
class Frame:
    """A Parallel branch or a Map's iterator, framed inside its state's box."""

    owner: str
    label: str
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True, slots=True)
class Layout:
    width: float
    height: float
    nodes: tuple[Node, ...]
    frames: tuple[Frame, ...]
    edges: tuple[Edge, ...]


@dataclass(frozen=True, slots=True)
class _Drawing:
    """A machine's layout in its own coordinates, before its parent places it."""

    w: float
    h: float
    nodes: tuple[Node, ...] = ()
    frames: tuple[Frame, ...] = ()
    edges: tuple[Edge, ...] = ()

    def shifted(self, dx: float, dy: float) -> _Drawing:
        return _Drawing(
            self.w,
            self.h,
            tuple(replace(n, x=n.x + dx, y=n.y + dy) for n in self.nodes),
            tuple(replace(f, x=f.x + dx, y=f.y + dy) for f in self.frames),
            tuple(
                replace(e, points=tuple((x + dx, y + dy) for x, y in e.points)) for e in self.edges
            ),
        )


def layout(definition: Mapping[str, Any]) -> Layout:
    """The whole picture of a definition (parsed JSON)."""
    drawing = _machine(definition, top=True).shifted(MARGIN, MARGIN)
    return Layout(
        drawing.w + 2 * MARGIN,
        drawing.h + 2 * MARGIN,
        drawing.nodes,
        drawing.frames,
        drawing.edges,
    )


# -- one machine ---------------------------------------------------------------------------


def _states(doc: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    states = doc.get("States")
    if not isinstance(states, Mapping):
        return {}
    return {str(k): v for k, v in states.items() if isinstance(v, Mapping)}


def _machine(doc: Mapping[str, Any], top: bool) -> _Drawing:
    states = _states(doc)
    insides = {name: _insides(state) for name, state in states.items()}
    sizes = {name: _size(name, state, insides[name]) for name, state in states.items()}
    if top:
        sizes[START] = sizes[END] = (MARKER_W, MARKER_H)
    ids = ([START] if top else []) + list(states) + ([END] if top else [])
    links = _links(states, str(doc.get("StartAt", "")), top)
    placed, edges = place(ids, links, sizes, pinned_last=END if top else None)
    nodes: list[Node] = []
    frames: list[Frame] = []
    inner_edges: list[Edge] = []
    for name, (x, y) in placed.items():
        w, h = sizes[name]
        if name in (START, END) and top:
            nodes.append(Node(name, "Start" if name == START else "End", x, y, w, h))
            continue
        state = states[name]
        lanes = insides[name]
        nodes.append(
            Node(name, str(state.get("Type", "")), x, y, w, h, _detail(state), bool(lanes))
        )
        for frame, drawing in _lanes(name, state, lanes, x, y, w):
            frames.append(frame)
            nodes.extend(drawing.nodes)
            frames.extend(drawing.frames)
            inner_edges.extend(drawing.edges)
    width = max([x + sizes[n][0] for n, (x, _) in placed.items()] + _edge_xs(edges) + [0.0])
    height = max([y + sizes[n][1] for n, (_, y) in placed.items()] + [0.0])
    return _Drawing(width, height, tuple(nodes), tuple(frames), tuple(edges + inner_edges))


def _insides(state: Mapping[str, Any]) -> list[_Drawing]:
    if state.get("Type") == "Parallel":
        branches = state.get("Branches")
        if isinstance(branches, list):
            return [_machine(b, top=False) for b in branches if isinstance(b, Mapping)]
    if state.get("Type") == "Map":
        body = state.get("ItemProcessor") or state.get("Iterator")
        if isinstance(body, Mapping):
            return [_machine(body, top=False)]
    return []


def _size(name: str, state: Mapping[str, Any], lanes: Sequence[_Drawing]) -> tuple[float, float]:
    detail = f"{state.get('Type', '')} · {_detail(state)}"
    text_w = max(len(name) * NAME_CHAR_W, len(detail) * DETAIL_CHAR_W) + 28
    if not lanes:
        return min(max(text_w, MIN_W), MAX_W), NODE_H
    inside_w = sum(d.w + 2 * LANE_PAD for d in lanes) + LANE_GAP * (len(lanes) - 1)
    inside_h = max(d.h for d in lanes) + LANE_LABEL + LANE_PAD
    title_w = (len(name) + len(str(state.get("Type", "")))) * NAME_CHAR_W + 120
    return max(inside_w + 2 * PAD, title_w, MIN_W), HEADER + inside_h + PAD


def _lanes(
    name: str, state: Mapping[str, Any], lanes: Sequence[_Drawing], x: float, y: float, w: float
) -> list[tuple[Frame, _Drawing]]:
    """Each branch framed inside its box, side by side, centred; the frames share a height."""
    inside_w = sum(d.w + 2 * LANE_PAD for d in lanes) + LANE_GAP * (len(lanes) - 1)
    lane_h = max((d.h for d in lanes), default=0.0) + LANE_LABEL + LANE_PAD
    left = x + (w - inside_w) / 2
    placed = []
    for index, drawing in enumerate(lanes):
        frame_w = drawing.w + 2 * LANE_PAD
        label = f"Branch {index + 1}" if state.get("Type") == "Parallel" else "Each item"
        frame = Frame(name, label, left, y + HEADER, frame_w, lane_h)
        placed.append((frame, drawing.shifted(left + LANE_PAD, y + HEADER + LANE_LABEL)))
        left += frame_w + LANE_GAP
    return placed


def _detail(state: Mapping[str, Any]) -> str:
    """What a box says under its name, besides its type."""
    kind = state.get("Type")
    if kind == "Task":
        resource = str(state.get("Resource", ""))
        if resource.startswith("arn:aws:states:::"):
            return resource.removeprefix("arn:aws:states:::")
        for marker in (":function:", ":activity:"):
            if marker in resource:
                return f"{marker.strip(':')} {resource.split(marker, 1)[1]}"
        return resource.rsplit(":", 1)[-1]
    if kind == "Wait":
        for field in ("Seconds", "Timestamp", "SecondsPath", "TimestampPath"):
            if field in state:
                value = state[field]
                return f"{value} s" if field == "Seconds" else f"{field} {value}"
    if kind == "Map" and "MaxConcurrency" in state:
        return f"MaxConcurrency {state['MaxConcurrency']}"
    return ""


# -- edges from the definition -------------------------------------------------------------


def _links(states: Mapping[str, Mapping[str, Any]], start_at: str, top: bool) -> list[Link]:
    links: list[Link] = []
    if top and start_at in states:
        links.append(Link(START, start_at, "", "next"))
    for name, state in states.items():
        choices = state.get("Choices")
        if isinstance(choices, list):
            for index, rule in enumerate(choices):
                if isinstance(rule, Mapping) and "Next" in rule:
                    label = rule_text(rule) or f"rule {index + 1}"
                    links.append(Link(name, str(rule["Next"]), label, "choice"))
        if "Default" in state:
            links.append(Link(name, str(state["Default"]), "Default", "default"))
        if "Next" in state:
            links.append(Link(name, str(state["Next"]), "", "next"))
        catchers = state.get("Catch")
        if isinstance(catchers, list):
            for catcher in catchers:
                if isinstance(catcher, Mapping) and "Next" in catcher:
                    errors = catcher.get("ErrorEquals") or []
                    label = "catch " + ", ".join(str(e) for e in errors)
                    links.append(Link(name, str(catcher["Next"]), label, "catch"))
        ends = state.get("End") is True or state.get("Type") in ("Succeed", "Fail")
        if top and ends:
            links.append(Link(name, END, "", "next"))
    known = set(states) | ({START, END} if top else set())
    return [link for link in links if link.target in known]


# Longest first: "NumericLessThanEquals" ends with "Equals" too.
_OPERATORS = {
    "LessThanEquals": "<=",
    "GreaterThanEquals": ">=",
    "LessThan": "<",
    "GreaterThan": ">",
    "Equals": "==",
    "Matches": "matches",
}
RULE_TEXT_MAX = 30


def rule_text(rule: Mapping[str, Any]) -> str:
    """A Choice rule in a few characters: `$.n > 0`, `not(...)`, JSONata's condition."""
    text = _rule(rule)
    return text if len(text) <= RULE_TEXT_MAX else text[: RULE_TEXT_MAX - 1] + "…"


def _rule(rule: Mapping[str, Any]) -> str:
    if "Condition" in rule:
        return str(rule["Condition"]).removeprefix("{%").removesuffix("%}").strip()
    for joint in ("And", "Or"):
        parts = rule.get(joint)
        if isinstance(parts, list):
            inner = f" {joint.lower()} ".join(_rule(p) for p in parts if isinstance(p, Mapping))
            return f"({inner})"
    if isinstance(rule.get("Not"), Mapping):
        return f"not {_rule(rule['Not'])}"
    variable = str(rule.get("Variable", ""))
    for key, value in rule.items():
        if key in ("Variable", "Next", "Comment", "Assign", "Output"):
            continue
        if key.startswith("Is"):
            return f"{variable} {key[2:].lower() if value else 'not ' + key[2:].lower()}"
        for suffix, symbol in _OPERATORS.items():
            core = key.removesuffix("Path")
            if core.endswith(suffix) and core != suffix:
                shown = value if key.endswith("Path") else _literal(value)
                return f"{variable} {symbol} {shown}"
    return ""


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"'{value}'" if isinstance(value, str) else str(value)


def _edge_xs(edges: Sequence[Edge]) -> list[float]:
    """How far right edges and their labels reach (svg.py starts a label 6 px right of
    the arrow's tip, or of a loop's lane)."""
    xs = [x for edge in edges for x, _ in edge.points]
    return xs + [
        (e.points[1] if e.loop else e.points[-1])[0] + 6 + len(e.label) * DETAIL_CHAR_W
        for e in edges
        if e.label
    ]
