"""The layered (Sugiyama) placement of boxes joined by edges, top to bottom; small enough
to own rather than vendor a library:

1. loops (a Choice sending work back) are found by depth-first search and left out of the
   layering, then drawn as arcs on the right;
2. each box sits one layer below its lowest predecessor (longest path);
3. an edge longer than one layer passes through a dummy point on each layer it crosses, so
   it bends around boxes instead of through them;
4. each layer is ordered by the mean position of its neighbours (sweeps down and up,
   keeping the order with the fewest crossings);
5. each box is pulled towards the mean of its neighbours' centres, kept a gap apart: the
   mean of a left-first and a right-first packing, so neither side is favoured;
6. boxes are top-aligned in their layer, so edges bend in the gaps between layers.

Pure: ids, sizes and links in; corners and edge points out (graph.py says what they are).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

GAP_X, GAP_Y = 30.0, 48.0
DUMMY_W = 14.0
LOOP_GAP = 14.0
SWEEPS, NUDGES = 6, 10


@dataclass(frozen=True, slots=True)
class Link:
    """An edge before placement."""

    source: str
    target: str
    label: str
    kind: str  # next | choice | default | catch: a catch pulls boxes less (see _centres)


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    target: str
    points: tuple[tuple[float, float], ...]
    label: str = ""
    kind: str = "next"  # next | choice | default | catch
    loop: bool = False  # goes back up: drawn as an arc on the right


def place(
    ids: list[str],
    links: list[Link],
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


def _loops(ids: list[str], links: list[Link]) -> tuple[set[int], list[str]]:
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


def _layers(order: list[str], forward: list[Link]) -> dict[str, int]:
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
