"""Creation order: a resource after everything it refers to (Ref, Fn::GetAtt, Fn::Sub) and
everything it DependsOn. Deletion is the reverse of creation.

Deterministic: among resources that are ready at the same time, template order wins, so the
same template deploys in the same order every time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stratus.errors import Invalid

from .references import depends_on, references


def dependencies(
    resources: Mapping[str, Mapping[str, Any]], conditions: Mapping[str, bool] | None = None
) -> dict[str, list[str]]:
    """Each resource's dependencies among `resources` (names outside them are parameters, or
    resources left out by a condition: check_references reports those)."""
    graph: dict[str, list[str]] = {}
    for logical_id, resource in resources.items():
        explicit = depends_on(logical_id, resource)
        unknown = [name for name in explicit if name not in resources]
        if unknown:
            raise Invalid(
                f"Template format error: Unresolved resource dependencies [{', '.join(unknown)}] "
                f"in the Resources block of the template (DependsOn of {logical_id})"
            )
        found = references(resource.get("Properties"), conditions=conditions)
        implicit = [name for name in resources if name in found and name != logical_id]
        graph[logical_id] = list(dict.fromkeys([*explicit, *implicit]))
        if logical_id in explicit or logical_id in found:
            raise Invalid(f"Circular dependency between resources: [{logical_id}]")
    return graph


def creation_order(
    resources: Mapping[str, Mapping[str, Any]], conditions: Mapping[str, bool] | None = None
) -> list[str]:
    """The logical ids, each after its dependencies; template order among peers."""
    graph = dependencies(resources, conditions)
    order: list[str] = []
    done: set[str] = set()
    waiting = list(graph)
    while waiting:
        ready = [name for name in waiting if all(d in done for d in graph[name])]
        if not ready:
            raise Invalid(
                f"Circular dependency between resources: [{', '.join(_cycle(graph, waiting))}]"
            )
        # One at a time, first in template order, so that a resource becoming ready early
        # does not jump ahead of an earlier peer.
        order.append(ready[0])
        done.add(ready[0])
        waiting.remove(ready[0])
    return order


def deletion_order(
    resources: Mapping[str, Mapping[str, Any]], conditions: Mapping[str, bool] | None = None
) -> list[str]:
    return list(reversed(creation_order(resources, conditions)))


def _cycle(graph: Mapping[str, list[str]], waiting: list[str]) -> list[str]:
    """The resources on one cycle among `waiting`, in template order."""
    stuck = set(waiting)
    path: list[str] = []
    name = waiting[0]
    while name not in path:
        path.append(name)
        name = next(d for d in graph[name] if d in stuck)
    on_cycle = set(path[path.index(name) :])
    return [n for n in waiting if n in on_cycle]
