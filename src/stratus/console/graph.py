"""A state machine's definition laid out as a picture: boxes in layers, top to bottom.

The classic layered layout (Sugiyama's), small enough to own rather than vendor a library:

1. edges from the definition: Next, each Choice rule and its Default, each Catch, and (at
   the top level) Start -> StartAt and every End, Succeed or Fail -> End;
2. loops (a Choice sending work back) are found by depth-first search and left out of the
   layering, then drawn as arcs on the right;
3. each state sits one layer below its lowest predecessor (longest path);
4. an edge longer than one layer passes through a dummy point on each layer it crosses, so
   it bends around boxes instead of through them;
5. each layer is ordered by the mean position of its neighbours (sweeps down and up,
   keeping the order with the fewest crossings);
6. each box is pulled towards the mean of its neighbours' centres, kept a gap apart: the
   mean of a left-first and a right-first packing, so neither side is favoured.

Parallel and Map states are boxes holding their branches (the iterator) laid out the
same way first, each in a frame. Coordinates are absolute pixels from the top left. The
layout reads only StartAt/States/Type/Next/End/Choices/Default/Catch/Branches/
ItemProcessor(Iterator), so any definition CreateStateMachine accepted can be drawn.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

# The markers' ids. A state may be named so too; it would then share a marker's box.
START, END = "__start__", "__end__"

NODE_H = 58.0
MARKER_W, MARKER_H = 76.0, 28.0
MIN_W, MAX_W = 132.0, 280.0
NAME_CHAR_W, DETAIL_CHAR_W = 7.6, 6.3  # 13 px bold and 11 px text in the page's font
GAP_X, GAP_Y = 30.0, 48.0
DUMMY_W = 14.0
PAD, HEADER = 12.0, 34.0  # inside a Parallel/Map box: its edge, its title bar
LANE_GAP, LANE_PAD, LANE_LABEL = 14.0, 10.0, 20.0
MARGIN = 16.0
LOOP_GAP = 14.0
SWEEPS, NUDGES = 6, 10


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
class Edge:
    source: str
    target: str
    points: tuple[tuple[float, float], ...]
    label: str = ""
    kind: str = "next"  # next | choice | default | catch
    loop: bool = False  # goes back up: drawn as an arc on the right


@dataclass(frozen=True, slots=True)
class Layout:
    width: float
    height: float
    nodes: tuple[Node, ...]
    frames: tuple[Frame, ...]
    edges: tuple[Edge, ...]


@dataclass(frozen=True, slots=True)
class _Link:
    source: str
    target: str
    label: str
    kind: str


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
    placed, edges = _place(ids, links, sizes, pinned_last=END if top else None)
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


def _links(states: Mapping[str, Mapping[str, Any]], start_at: str, top: bool) -> list[_Link]:
    links: list[_Link] = []
    if top and start_at in states:
        links.append(_Link(START, start_at, "", "next"))
    for name, state in states.items():
        choices = state.get("Choices")
        if isinstance(choices, list):
            for index, rule in enumerate(choices):
                if isinstance(rule, Mapping) and "Next" in rule:
                    label = rule_text(rule) or f"rule {index + 1}"
                    links.append(_Link(name, str(rule["Next"]), label, "choice"))
        if "Default" in state:
            links.append(_Link(name, str(state["Default"]), "Default", "default"))
        if "Next" in state:
            links.append(_Link(name, str(state["Next"]), "", "next"))
        catchers = state.get("Catch")
        if isinstance(catchers, list):
            for catcher in catchers:
                if isinstance(catcher, Mapping) and "Next" in catcher:
                    errors = catcher.get("ErrorEquals") or []
                    label = "catch " + ", ".join(str(e) for e in errors)
                    links.append(_Link(name, str(catcher["Next"]), label, "catch"))
        ends = state.get("End") is True or state.get("Type") in ("Succeed", "Fail")
        if top and ends:
            links.append(_Link(name, END, "", "next"))
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


# -- the layered placement -----------------------------------------------------------------


def _place(
    ids: list[str],
    links: list[_Link],
    sizes: Mapping[str, tuple[float, float]],
    pinned_last: str | None,
) -> tuple[dict[str, tuple[float, float]], list[Edge]]:
    """Top-left corners of each id, and the edges' points (in the same coordinates)."""
    if not ids:
        return {}, []
    back, order = _loops(ids, links)
    forward = [link for i, link in enumerate(links) if i not in back]
    layer = _layers(order, forward)
    if pinned_last is not None and pinned_last in layer:
        others = [v for k, v in layer.items() if k != pinned_last]
        layer[pinned_last] = max(others, default=-1) + 1
    layers: list[list[str]] = [[] for _ in range(max(layer.values()) + 1)]
    for node in order:
        layers[layer[node]].append(node)
    widths = {node: sizes[node][0] for node in ids}
    chains: dict[int, list[str]] = {}  # a long edge's dummies, top to bottom
    pairs: list[tuple[str, str]] = []  # adjacent-layer links, dummies included
    weak: set[tuple[str, str]] = set()  # those of Catch edges: the error path
    for index, link in enumerate(forward):
        if layer[link.target] <= layer[link.source]:
            continue  # (a self loop or a same-layer edge cannot be forward; kept safe)
        path = [link.source]
        for depth in range(layer[link.source] + 1, layer[link.target]):
            dummy = f"\0{index}:{depth}"
            widths[dummy] = DUMMY_W
            layers[depth].append(dummy)
            path.append(dummy)
        chains[index] = path[1:]
        path.append(link.target)
        pairs.extend(itertools.pairwise(path))
        if link.kind == "catch":
            weak.update(itertools.pairwise(path))
    layers = _ordered(layers, pairs)
    centres = _centres(layers, pairs, widths, weak)
    band = [max((sizes[n][1] for n in row if n in sizes), default=0.0) for row in layers]
    tops = list(itertools.accumulate([0.0] + [b + GAP_Y for b in band[:-1]]))
    where: dict[str, int] = {n: i for i, row in enumerate(layers) for n in row}
    # Top-aligned in their layer: every edge then bends in the gap between two layers, not
    # across a tall Parallel or Map box beside a short state.
    corner = {node: (centres[node] - sizes[node][0] / 2, tops[where[node]]) for node in ids}

    def box(node: str) -> tuple[float, float, float, float]:
        x, y = corner[node]
        return x, y, sizes[node][0], sizes[node][1]

    edges: list[Edge] = []
    for index, link in enumerate(forward):
        if index not in chains:
            continue
        sx, sy, sw, sh = box(link.source)
        tx, ty, tw, _ = box(link.target)
        points = [(sx + sw / 2, sy + sh)]
        bottom = tops[where[link.source]] + band[where[link.source]]
        if sy + sh < bottom:  # straight down to the bottom of its layer first
            points.append((sx + sw / 2, bottom))
        for dummy in chains[index]:
            depth = where[dummy]
            points += [(centres[dummy], tops[depth]), (centres[dummy], tops[depth] + band[depth])]
        points.append((tx + tw / 2, ty))
        edges.append(Edge(link.source, link.target, tuple(points), link.label, link.kind))
    right = max(x + w for x, _, w, _ in map(box, ids))
    for offset, index in enumerate(sorted(back)):
        link = links[index]
        sx, sy, sw, sh = box(link.source)
        tx, ty, tw, th = box(link.target)
        lane = right + LOOP_GAP * (offset + 1)
        points = [
            (sx + sw, sy + sh / 2 + 6),
            (lane, sy + sh / 2 + 6),
            (lane, ty + th / 2 - 6),
            (tx + tw, ty + th / 2 - 6),
        ]
        edges.append(Edge(link.source, link.target, tuple(points), link.label, link.kind, True))
    return corner, edges


def _edge_xs(edges: Sequence[Edge]) -> list[float]:
    """How far right edges and their labels reach (svg.py starts a label 6 px right of
    the arrow's tip, or of a loop's lane)."""
    xs = [x for edge in edges for x, _ in edge.points]
    return xs + [
        (e.points[1] if e.loop else e.points[-1])[0] + 6 + len(e.label) * DETAIL_CHAR_W
        for e in edges
        if e.label
    ]


def _loops(ids: list[str], links: list[_Link]) -> tuple[set[int], list[str]]:
    """The links that go back (to a state on the current depth-first path) and the ids in
    reverse post-order: a topological order of what remains."""
    out: dict[str, list[int]] = {node: [] for node in ids}
    for index, link in enumerate(links):
        out[link.source].append(index)
    back: set[int] = set()
    done: set[str] = set()
    on_path: set[str] = set()
    post: list[str] = []
    for root in ids:
        if root in done:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        on_path.add(root)
        done.add(root)
        while stack:
            node, at = stack[-1]
            if at == len(out[node]):
                stack.pop()
                on_path.discard(node)
                post.append(node)
                continue
            stack[-1] = (node, at + 1)
            index = out[node][at]
            target = links[index].target
            if target in on_path:
                back.add(index)
            elif target not in done:
                done.add(target)
                on_path.add(target)
                stack.append((target, 0))
    return back, post[::-1]


def _layers(order: list[str], forward: list[_Link]) -> dict[str, int]:
    preds: dict[str, list[str]] = {node: [] for node in order}
    for link in forward:
        preds[link.target].append(link.source)
    layer: dict[str, int] = {}
    for node in order:
        layer[node] = max((layer[p] + 1 for p in preds[node] if p in layer), default=0)
    return layer


def _ordered(layers: list[list[str]], pairs: list[tuple[str, str]]) -> list[list[str]]:
    """Barycentre sweeps; the order with the fewest crossings wins."""
    preds: dict[str, list[str]] = {}
    succs: dict[str, list[str]] = {}
    for a, b in pairs:
        succs.setdefault(a, []).append(b)
        preds.setdefault(b, []).append(a)
    best = [row[:] for row in layers]
    fewest = _crossings(best, pairs)
    current = [row[:] for row in layers]
    for sweep in range(SWEEPS):
        down = sweep % 2 == 0
        indices = range(1, len(current)) if down else range(len(current) - 2, -1, -1)
        for i in indices:
            near = current[i - 1] if down else current[i + 1]
            position = {n: p for p, n in enumerate(near)}
            links = preds if down else succs

            def key(
                item: tuple[int, str],
                position: dict[str, int] = position,
                links: dict[str, list[str]] = links,
            ) -> float:
                own, node = item
                seen = [position[n] for n in links.get(node, []) if n in position]
                return sum(seen) / len(seen) if seen else float(own)

            current[i] = [n for _, n in sorted(enumerate(current[i]), key=key)]
        crossings = _crossings(current, pairs)
        if crossings < fewest:
            best, fewest = [row[:] for row in current], crossings
    return best


def _crossings(layers: list[list[str]], pairs: list[tuple[str, str]]) -> int:
    position = {n: p for row in layers for p, n in enumerate(row)}
    by_layer: dict[int, list[tuple[int, int]]] = {}
    depth = {n: i for i, row in enumerate(layers) for n in row}
    for a, b in pairs:
        by_layer.setdefault(depth[a], []).append((position[a], position[b]))
    count = 0
    for segments in by_layer.values():
        for (a1, b1), (a2, b2) in itertools.combinations(segments, 2):
            count += (a1 - a2) * (b1 - b2) < 0
    return count


def _centres(
    layers: list[list[str]],
    pairs: list[tuple[str, str]],
    widths: Mapping[str, float],
    weak: set[tuple[str, str]],
) -> dict[str, float]:
    """x of each box's centre: pulled towards its neighbours, never overlapping. Catch
    edges pull only a box that has no other neighbours, so the main path stays straight
    and the error paths bend around it."""
    strong: dict[str, list[str]] = {}
    other: dict[str, list[str]] = {}
    for a, b in pairs:
        into = other if (a, b) in weak else strong
        into.setdefault(a, []).append(b)
        into.setdefault(b, []).append(a)
    neighbours = {n: strong.get(n) or other.get(n, []) for row in layers for n in row}
    centre: dict[str, float] = {}
    for row in layers:
        left = 0.0
        for node in row:
            centre[node] = left + widths[node] / 2
            left += widths[node] + GAP_X
    widest = max(sum(widths[n] for n in row) + GAP_X * (len(row) - 1) for row in layers)
    for row in layers:  # start each layer centred under the widest
        used = sum(widths[n] for n in row) + GAP_X * (len(row) - 1)
        for node in row:
            centre[node] += (widest - used) / 2
    for _ in range(NUDGES):
        for row in layers:
            wanted = [
                sum(centre[n] for n in neighbours[node]) / len(neighbours[node])
                if neighbours.get(node)
                else centre[node]
                for node in row
            ]
            for node, x in zip(row, _packed(row, wanted, widths), strict=True):
                centre[node] = x
    least = min(centre[n] - widths[n] / 2 for row in layers for n in row)
    return {node: x - least for node, x in centre.items()}


def _packed(row: list[str], wanted: list[float], widths: Mapping[str, float]) -> list[float]:
    """As near `wanted` as the order and the gaps allow: the mean of packing from the left
    and packing from the right (both keep the gaps, so their mean does too)."""
    gap = [(widths[a] + widths[b]) / 2 + GAP_X for a, b in itertools.pairwise(row)]
    left = wanted[:]
    for i in range(1, len(row)):
        left[i] = max(wanted[i], left[i - 1] + gap[i - 1])
    right = wanted[:]
    for i in range(len(row) - 2, -1, -1):
        right[i] = min(wanted[i], right[i + 1] - gap[i])
    return [(a + b) / 2 for a, b in zip(left, right, strict=True)]
