"""A compiled pattern and how it matches a JSON document.

    Rule
    ├── leaves   field name → matchers      "state": ["running", {"prefix": "stop"}]
    ├── nested   field name → Rule          "detail": { ... }
    └── any_of   one tuple of Rules per $or "$or": [{...}, {...}]

A rule matches an object when every leaf field matches, every nested rule matches the
field's value and, for every `$or`, at least one alternative matches the same object.

Arrays are "crushed" as AWS does: a leaf field's values are all the scalars of the array
(nested arrays flattened), and a nested rule matches an array when it matches one of its
objects. Because one object must satisfy the whole nested rule, two fields never match from
different elements of the same array (AWS's "array-consistent" matching).

A nested rule meets a missing field, a scalar or an array without objects as an empty
object: only `exists: false` (or anything else that matches absence) can match there, as
in AWS, where `{"detail": {"x": [{"exists": false}]}}` matches an event with no `detail`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from stratus.patterns.matchers import Matcher

_EMPTY: Mapping[str, object] = {}


@dataclass(frozen=True, slots=True)
class Rule:
    leaves: tuple[tuple[str, tuple[Matcher, ...]], ...] = ()
    nested: tuple[tuple[str, Rule], ...] = ()
    any_of: tuple[tuple[Rule, ...], ...] = ()

    def matches(self, document: Mapping[str, object]) -> bool:
        for name, matchers in self.leaves:
            leaves = list(leaf_values(document.get(name)) if name in document else ())
            if not any(matcher.matches_leaves(leaves) for matcher in matchers):
                return False
        for name, rule in self.nested:
            if not rule.matches_value(document.get(name)):
                return False
        return all(any(rule.matches(document) for rule in group) for group in self.any_of)

    def matches_value(self, value: object) -> bool:
        """This rule against a field's value, whatever its type."""
        if isinstance(value, Mapping):
            return self.matches(value)
        objects = list(_objects(value)) if isinstance(value, list) else []
        if not objects:
            return self.matches(_EMPTY)
        return any(self.matches(item) for item in objects)


def leaf_values(value: object) -> Iterator[object]:
    """The scalars a field holds: itself, or those of its (nested) array; objects hold none."""
    if isinstance(value, list):
        for item in value:
            yield from leaf_values(item)
    elif not isinstance(value, Mapping):
        yield value


def _objects(values: list[object]) -> Iterator[Mapping[str, object]]:
    for item in values:
        if isinstance(item, list):
            yield from _objects(item)
        elif isinstance(item, Mapping):
            yield item
