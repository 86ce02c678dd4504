"""The JSONPath subset EventBridge evaluates in a target's InputPath and InputPathsMap.

    path  := "$" step*
    step  := "." name | "." "*" | "[" digits "]" | "[" "*" "]"
    name  := one or more of  A-Z a-z 0-9 _ - /

AWS documents exactly this: dot notation, dashes, underscores, alphanumerics, forward
slashes, array indices and wildcards; bracket notation for names is refused. A general
JSONPath library accepts far more (filters, slices, quoted names) and jsonpath-ng refuses
the slashes AWS allows, so this evaluator is our own and small.

A path without wildcards selects one value or nothing; with a wildcard it selects the list of
everything it reaches (object members in order, array elements), which may be empty.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

_STEP = re.compile(r"\.(?P<name>[A-Za-z0-9_\-/]+)|\.(?P<star>\*)|\[(?P<index>\d+|\*)\]")


class _Wildcard:
    def __repr__(self) -> str:
        return "*"


WILDCARD: Final = _Wildcard()
Step = str | int | _Wildcard


class JsonPathError(ValueError):
    pass


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


@dataclass(frozen=True, slots=True)
class JsonPath:
    text: str
    steps: tuple[Step, ...]

    @property
    def selects_many(self) -> bool:
        return any(step is WILDCARD for step in self.steps)

    def select(self, document: object) -> object:
        """The value the path reaches, a list of them for a wildcard path, or MISSING."""
        nodes = [document]
        for step in self.steps:
            nodes = [child for node in nodes for child in _children(node, step)]
        if self.selects_many:
            return nodes
        return nodes[0] if nodes else MISSING


def parse_path(text: str) -> JsonPath:
    if not text.startswith("$"):
        raise JsonPathError(f"{text!r} is not a JSON path: it must start with '$'")
    steps: list[Step] = []
    position = 1
    while position < len(text):
        found = _STEP.match(text, position)
        if found is None:
            raise JsonPathError(
                f"{text!r} is not a JSON path EventBridge accepts (dot notation, array "
                f"indices and * only) at character {position + 1}"
            )
        name, star, index = found.group("name", "star", "index")
        if name is not None:
            steps.append(name)
        elif star is not None or index == "*":
            steps.append(WILDCARD)
        else:
            steps.append(int(index))
        position = found.end()
    return JsonPath(text, tuple(steps))


def _children(node: object, step: Step) -> list[object]:
    if step is WILDCARD:
        if isinstance(node, Mapping):
            return list(node.values())
        return list(node) if isinstance(node, list) else []
    if isinstance(step, int):
        return [node[step]] if isinstance(node, list) and step < len(node) else []
    if isinstance(node, Mapping) and step in node:
        return [node[step]]
    return []
