"""A Layout drawn as inline SVG, the page's script then colours it.

Each state is a focusable group the script finds by its name:

    <g class="state" data-state="Charge" data-type="Task" tabindex="0" role="button" ...>
      <rect class="box"/> <text class="name">Charge</text>
      <text class="kind">Task · lambda:invoke</text> <text class="status"></text>
    </g>

and each edge names its ends (`data-from`, `data-to`), so a taken transition can be marked.
The status line is text, so a state's fate reads without colour. Every name and label is
escaped here; nothing else writes markup from a definition.
"""

from __future__ import annotations

from html import escape

from .graph import DETAIL_CHAR_W, END, NAME_CHAR_W, START, Frame, Layout, Node
from .layers import Edge


def svg(layout: Layout, label: str) -> str:
    width, height = round(layout.width), round(layout.height)
    containers = [n for n in layout.nodes if n.container]
    plain = [n for n in layout.nodes if not n.container]
    return "\n".join(
        [
            f'<svg class="graph" xmlns="http://www.w3.org/2000/svg" width="{width}"'
            f' height="{height}" viewBox="0 0 {width} {height}" role="group"'
            f' aria-label="{escape(label)}">',
            _DEFS,
            *(_container(n) for n in containers),
            *(_frame(f) for f in layout.frames),
            *(_edge(e) for e in layout.edges),
            *(_node(n) for n in plain),
            "</svg>",
        ]
    )


_DEFS = (
    "<defs>"
    '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9"'
    ' markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
    '<path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker>'
    '<marker id="arrow-taken" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9"'
    ' markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
    '<path d="M0,0 L10,5 L0,10 z" class="arrowhead taken"/></marker>'
    "</defs>"
)


def _fit(text: str, width: float, char_w: float) -> str:
    room = max(4, int((width - 16) / char_w))
    return text if len(text) <= room else text[: room - 1] + "…"


def _attributes(node: Node) -> str:
    name = escape(node.name)
    return (
        f'data-state="{name}" data-type="{escape(node.type)}" tabindex="0" role="button"'
        f' aria-label="{name}, {escape(node.type)} state"'
    )


def _node(node: Node) -> str:
    x, y, w, h = (round(v, 1) for v in (node.x, node.y, node.w, node.h))
    cx = round(node.cx, 1)
    if node.name in (START, END):
        return (
            f'<g class="marker" data-state="{node.name}">'
            f'<rect class="box" x="{x}" y="{y}" width="{w}" height="{h}" rx="{h / 2}"/>'
            f'<text class="name" x="{cx}" y="{y + h / 2 + 4}">{node.type}</text></g>'
        )
    kind = f"{node.type} · {node.detail}" if node.detail else node.type
    return (
        f'<g class="state" {_attributes(node)}><title>{escape(node.name)} ({escape(kind)})'
        f"</title>"
        f'<rect class="box" x="{x}" y="{y}" width="{w}" height="{h}" rx="8"/>'
        f'<text class="name" x="{cx}" y="{y + 21}">{escape(_fit(node.name, w, NAME_CHAR_W))}'
        f"</text>"
        f'<text class="kind" x="{cx}" y="{y + 37}">{escape(_fit(kind, w, DETAIL_CHAR_W))}</text>'
        f'<text class="status" x="{cx}" y="{y + 51}"></text></g>'
    )


def _container(node: Node) -> str:
    x, y, w, h = (round(v, 1) for v in (node.x, node.y, node.w, node.h))
    kind = f"{node.type} · {node.detail}" if node.detail else node.type
    return (
        f'<g class="state container" {_attributes(node)}><title>{escape(node.name)}'
        f" ({escape(kind)})</title>"
        f'<rect class="box" x="{x}" y="{y}" width="{w}" height="{h}" rx="10"/>'
        f'<text class="title" x="{x + 12}" y="{y + 22}"><tspan class="name">'
        f'{escape(node.name)}</tspan><tspan class="kind" dx="8">{escape(kind)}</tspan></text>'
        f'<text class="status" x="{round(x + w - 12, 1)}" y="{y + 22}"></text></g>'
    )


def _frame(frame: Frame) -> str:
    x, y, w, h = (round(v, 1) for v in (frame.x, frame.y, frame.w, frame.h))
    return (
        f'<g class="lane" data-owner="{escape(frame.owner)}">'
        f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6"/>'
        f'<text x="{x + 8}" y="{y + 14}">{escape(frame.label)}</text></g>'
    )


def _edge(edge: Edge) -> str:
    label = ""
    if edge.label:
        lx, ly = _label_at(edge)
        label = f'<text class="label" x="{lx}" y="{ly}">{escape(edge.label)}</text>'
    return (
        f'<g class="edge" data-from="{escape(edge.source)}" data-to="{escape(edge.target)}"'
        f' data-kind="{edge.kind}"><path d="{path(edge)}" marker-end="url(#arrow)"/>'
        f"{label}</g>"
    )


def path(edge: Edge) -> str:
    """Straight where vertical, a smooth S-bend (vertical at both ends) where it moves
    sideways between layers; a loop is drawn with square corners along its lane."""
    (x0, y0), *rest = edge.points
    parts = [f"M{x0:.1f},{y0:.1f}"]
    for x1, y1 in rest:
        if edge.loop or abs(x1 - x0) < 0.5:
            parts.append(f"L{x1:.1f},{y1:.1f}")
        else:
            middle = (y0 + y1) / 2
            parts.append(f"C{x0:.1f},{middle:.1f} {x1:.1f},{middle:.1f} {x1:.1f},{y1:.1f}")
        x0, y0 = x1, y1
    return " ".join(parts)


def _label_at(edge: Edge) -> tuple[float, float]:
    """Where an edge's label starts (labels run rightwards from there)."""
    points = edge.points
    if edge.loop:  # beside the lane, halfway up
        (lane, y_low), (_, y_high) = points[1], points[2]
        return round(lane + 4, 1), round((y_low + y_high) / 2, 1)
    # Just above the arrow's tip, to its right: targets differ where sources are shared (a
    # Choice's rules all leave from one point), and the line there is vertical, so it never
    # runs through the words.
    x, y = points[-1]
    return round(x + 6, 1), round(y - 8, 1)
