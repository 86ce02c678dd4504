"""Reading, writing and projecting document paths (a.b[1].c) in items."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import TableValidation
from ..values import Item, Value
from .nodes import Path

INVALID_FOR_UPDATE = "The document path provided in the update expression is invalid for update"


def get(item: Item, path: Path) -> Value | None:
    """The value at `path`, or None when any step is missing or of another kind."""
    elements = path.elements
    found: Value | None = item.get(elements[0])  # type: ignore[arg-type]
    for element in elements[1:]:
        if found is None:
            return None
        if isinstance(element, int):
            inner = found.get("L")
            found = inner[element] if inner is not None and element < len(inner) else None
        else:
            inner_map = found.get("M")
            found = inner_map.get(element) if inner_map is not None else None
    return found


def _container(item: Item, path: Path) -> Any:
    """The map's contents (dict) or the list holding the last element of `path`."""
    holder: Any = item
    for element in path.elements[:-1]:
        if not _has(holder, element):
            raise TableValidation(INVALID_FOR_UPDATE)
        value = holder[element]
        if "M" in value:
            holder = value["M"]
        elif "L" in value:
            holder = value["L"]
        else:
            raise TableValidation(INVALID_FOR_UPDATE)
    return holder


def _has(holder: Any, element: str | int) -> bool:
    if isinstance(holder, dict):
        return isinstance(element, str) and element in holder
    return isinstance(element, int) and element < len(holder)


def put(item: Item, path: Path, value: Value) -> None:
    """SET: write `value` at `path`; an index past a list's end appends."""
    holder = _container(item, path)
    last = path.elements[-1]
    if isinstance(holder, dict) != isinstance(last, str):
        raise TableValidation(INVALID_FOR_UPDATE)
    if isinstance(holder, dict) or (isinstance(last, int) and last < len(holder)):
        holder[last] = value
    else:
        holder.append(value)


def remove_all(item: Item, paths: Iterable[Path]) -> None:
    """REMOVE: list elements by their indexes before any removal (largest first, so earlier
    removals do not shift later ones); missing paths are no-ops."""
    ordered = sorted(
        paths,
        key=lambda p: p.elements[-1] if isinstance(p.elements[-1], int) else -1,
        reverse=True,
    )
    for path in ordered:
        try:
            holder = _container(item, path)
        except TableValidation:
            continue
        last = path.elements[-1]
        if isinstance(holder, dict) and isinstance(last, str):
            holder.pop(last, None)
        elif isinstance(holder, list) and isinstance(last, int) and last < len(holder):
            del holder[last]


def project(item: Item, paths: Iterable[Path]) -> Item:
    """The parts of `item` the paths name, nested as in the item; list elements keep their
    order and close up (as DynamoDB answers a projection of a[2], a[0])."""
    result: dict[str | int, Any] = {}
    for path in paths:
        value = get(item, path)
        if value is not None:
            _place(result, path.elements, value)
    return {str(k): _compact(v) for k, v in result.items()}


def _place(result: dict[str | int, Any], elements: tuple[str | int, ...], value: Value) -> None:
    """Copy `value` into `result` at `elements`. Partial containers are {"M": {name: ...}}
    and {"L": {index: ...}} (a dict, not a list) until _compact makes the lists."""
    holder = result
    for i, element in enumerate(elements[:-1]):
        kind = "L" if isinstance(elements[i + 1], int) else "M"
        holder = holder.setdefault(element, {kind: {}})[kind]
    holder[elements[-1]] = value


def _compact(value: Value) -> Value:
    kind, inner = next(iter(value.items()))
    if kind == "L" and isinstance(inner, dict):
        return {"L": [_compact(v) for _, v in sorted(inner.items())]}
    if kind == "M":
        return {"M": {k: _compact(v) for k, v in inner.items()}}
    return value
