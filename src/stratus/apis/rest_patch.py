"""Patch operations: the Update* calls of REST APIs send `patchOperations`, not new values.

    {"op": "replace", "path": "/name", "value": "pets"}
    {"op": "add",     "path": "/binaryMediaTypes/image~1png"}        (the item is in the path)
    {"op": "remove",  "path": "/variables/color"}                    (a map's key)
    {"op": "add",     "path": "/stages", "value": "abc123defg/prod"} (the item is the value)

Paths are JSON Pointers (RFC 6901): `/` inside a key or item is written `~1`, `~` is `~0`.
Values always travel as strings; each rule converts them (`"true"`, `"29000"`, `"1.5"`).

Each Update* call has a table of `Rule`s, the paths it accepts: a path nobody accepts, an
op a path does not take, or a value that does not convert is a BadRequestException naming
the path and what is allowed, as API Gateway does. `apply_patch` works on a copy of the
shape's JSON (`Shape.wire()`), which the caller validates again through the shape, so a
patch can never store what the Create call would have refused. Pure: no I/O.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from stratus.errors import Invalid

from .rest_requests import PatchOperation

Doc = dict[str, Any]
Apply = Callable[[Doc, PatchOperation, list[str]], None]
SET = frozenset({"add", "replace"})
ALL = frozenset({"add", "replace", "remove"})


@dataclass(frozen=True, slots=True)
class Rule:
    """A path the update accepts: `template` segments, `*` standing for any one segment
    (handed to `apply` decoded), and the ops it takes."""

    template: tuple[str, ...]
    ops: frozenset[str]
    apply: Apply

    @property
    def text(self) -> str:
        return "/" + "/".join(self.template)

    def bind(self, segments: list[str]) -> list[str] | None:
        if len(segments) != len(self.template):
            return None
        captured = []
        for want, got in zip(self.template, segments, strict=True):
            if want == "*":
                captured.append(unescape(got))
            elif want != got:
                return None
        return captured


def unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def apply_patch(doc: Doc, operations: Sequence[PatchOperation], rules: Sequence[Rule]) -> Doc:
    """`doc` changed by `operations` in order; `doc` itself is left alone."""
    changed = copy.deepcopy(doc)
    for operation in operations:
        if not operation.path.startswith("/"):
            raise Invalid(f"Invalid patch path {operation.path!r}: a path starts with '/'")
        segments = operation.path[1:].split("/")
        for rule in rules:
            captured = rule.bind(segments)
            if captured is not None and operation.op in rule.ops:
                rule.apply(changed, operation, captured)
                break
        else:
            allowed = sorted({r.text for r in rules if operation.op in r.ops})
            raise Invalid(
                f"Invalid patch path '{operation.path}' specified for op '{operation.op}'. "
                f"Must be one of: [{', '.join(allowed)}]"
            )
    return changed


# -- value conversions -------------------------------------------------------------------------
def text(value: str) -> str:
    return value


def boolean(value: str) -> bool:
    if value.lower() not in ("true", "false"):
        raise ValueError("expected true or false")
    return value.lower() == "true"


def integer(value: str) -> int:
    return int(value)


def number(value: str) -> float:
    return float(value)


def converted(operation: PatchOperation, convert: Callable[[str], Any]) -> Any:
    if operation.value is None:
        raise Invalid(
            f"Invalid patch operation: '{operation.op}' on '{operation.path}' needs a value"
        )
    try:
        return convert(operation.value)
    except ValueError as exc:
        raise Invalid(f"Invalid value '{operation.value}' for '{operation.path}': {exc}") from None


# -- rule kinds --------------------------------------------------------------------------------
def field(path: str, convert: Callable[[str], Any] = text, ops: frozenset[str] = ALL) -> Rule:
    """A member (or a member of a member, `/throttle/rateLimit`): add or replace sets it,
    remove clears it."""
    names = tuple(path[1:].split("/"))

    def apply(doc: Doc, operation: PatchOperation, _: list[str]) -> None:
        *parents, name = names
        target = _parent(doc, parents)
        if operation.op == "remove":
            target.pop(name, None)
        else:
            target[name] = converted(operation, convert)

    return Rule(names, ops, apply)


def entry(path: str, convert: Callable[[str], Any] = text, ops: frozenset[str] = ALL) -> Rule:
    """A key of a map member (`/variables/<key>`): add or replace sets it, remove deletes it."""
    name = path[1:]

    def apply(doc: Doc, operation: PatchOperation, captured: list[str]) -> None:
        found = dict(doc.get(name) or {})
        if operation.op == "remove":
            if captured[0] not in found:
                raise Invalid(f"Cannot remove '{captured[0]}' from {path}: it is not there")
            del found[captured[0]]
        else:
            found[captured[0]] = converted(operation, convert)
        doc[name] = found or None

    return Rule((*path[1:].split("/"), "*"), ops, apply)


def member(path: str, ops: frozenset[str] = ALL) -> Rule:
    """An item of a list member named in the path (`/binaryMediaTypes/image~1png`): add puts
    it in, remove takes it out, replace swaps it for the value."""
    names = tuple(path[1:].split("/"))

    def apply(doc: Doc, operation: PatchOperation, captured: list[str]) -> None:
        *parents, name = names
        target = _parent(doc, parents)
        items = list(target.get(name) or [])
        item = captured[0]
        if operation.op == "add":
            if item not in items:
                items.append(item)
        elif item not in items:
            raise Invalid(f"Invalid patch path '{operation.path}': {item!r} is not in {path}")
        elif operation.op == "remove":
            items.remove(item)
        else:
            items[items.index(item)] = converted(operation, text)
        target[name] = items

    return Rule((*names, "*"), ops, apply)


def item(
    path: str,
    parse: Callable[[str], Any] = text,
    key: Callable[[Any], Any] = repr,
    member: str | None = None,
) -> Rule:
    """An item of a list member given as the value (`/stages` + "api/stage"): add puts it in
    (once), remove takes it out; `key` says when two items are the same one, `member` names
    the list when the path does not (ApiKey's `/stages` is its `stageKeys`)."""
    name = member or path[1:]

    def apply(doc: Doc, operation: PatchOperation, _: list[str]) -> None:
        value = converted(operation, parse)
        items = list(doc.get(name) or [])
        same = [i for i, found in enumerate(items) if key(found) == key(value)]
        if operation.op == "add" and not same:
            items.append(value)
        elif operation.op == "remove":
            if not same:
                raise Invalid(f"Cannot remove {operation.value!r} from {path}: it is not there")
            del items[same[0]]
        doc[name] = items

    return Rule((path[1:],), frozenset({"add", "remove"}), apply)


def _parent(doc: Doc, names: Sequence[str]) -> Doc:
    """The object holding a nested member, made (empty) where missing."""
    for name in names:
        if not isinstance(doc.get(name), dict):
            doc[name] = {}
        doc = doc[name]
    return doc
