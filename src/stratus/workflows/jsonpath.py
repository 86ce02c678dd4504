"""JSONPath as the States Language uses it (AWS runs Jayway's JSONPath).

    $            the document
    .name ['n']  a member            [2] [-1]   an element   (.['n'] .[2]: Jayway's dot-bracket)
    .* [*]       every member        [1:3:1]    a slice
    ['a','b']    a union             [0,2]
    ..name       recursive descent   [?(@.price < 10 && @.tag == 'x')]  a filter
    .length()    an array's length (Jayway's function)

A *definite* path (members and elements only) names one value, and a missing value is an
error (`PathNotFound`). Any other path selects a list, possibly empty, as Jayway does.
*Reference paths* (ResultPath, the `...Path` choice variables, `InputPath` on AWS accepts
any path) are definite paths; `set_reference` writes through one, creating objects on the
way, as ResultPath does.

Parsing is done once per distinct text (`parse` is cached), evaluation is pure.

About 500 lines: a parser and its evaluator, which belong together.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class PathError(ValueError):
    """The text is not a JSONPath."""


class PathNotFound(LookupError):
    """A definite path named a value the document does not have."""


@dataclass(frozen=True, slots=True)
class Key:
    name: str


@dataclass(frozen=True, slots=True)
class Index:
    index: int


@dataclass(frozen=True, slots=True)
class Wildcard:
    pass


@dataclass(frozen=True, slots=True)
class Slice:
    start: int | None
    end: int | None
    step: int | None


@dataclass(frozen=True, slots=True)
class Union:
    members: tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Descend:
    """`..` followed by a selector: that selector at every depth, the start included."""

    then: Segment


@dataclass(frozen=True, slots=True)
class Filter:
    test: Callable[[Any, Any], bool]  # (candidate, document) -> keep?
    text: str


@dataclass(frozen=True, slots=True)
class Length:
    pass


Segment = Key | Index | Wildcard | Slice | Union | Descend | Filter | Length


@dataclass(frozen=True, slots=True)
class Path:
    text: str
    segments: tuple[Segment, ...]

    @property
    def definite(self) -> bool:
        return all(isinstance(s, Key | Index | Length) for s in self.segments)

    def select(self, document: Any) -> Any:
        """The value a definite path names, else the list of every match."""
        if self.definite:
            return _definite(self, document)
        found = [document]
        for segment in self.segments:
            found = [out for value in found for out in _step(segment, value, document)]
        return found


_NAME = re.compile(r"[^.\[\]\s()'\"]+")  # AWS accepts most characters in dotted names
_NUMBER = re.compile(r"-?\d+")


@functools.lru_cache(maxsize=4096)
def parse(text: str) -> Path:
    if not isinstance(text, str) or not text.startswith("$"):
        raise PathError(f"The path {text!r} must start with '$'")
    parser = _Parser(text, 1)
    segments = parser.segments()
    return Path(text, tuple(segments))


def is_path(text: str) -> bool:
    try:
        parse(text)
    except PathError:
        return False
    return True


def is_reference_path(text: str) -> bool:
    """A definite path: what ResultPath and the `...Path` fields accept."""
    try:
        path = parse(text)
    except PathError:
        return False
    return all(isinstance(s, Key | Index) for s in path.segments)


def select(text: str, document: Any) -> Any:
    return parse(text).select(document)


def set_reference(text: str, document: Any, value: Any) -> Any:
    """`document` with `value` placed at the reference path (a new top when it is `$`).

    Objects missing on the way are created; a step through a scalar, or into an array
    element that does not exist, is a PathNotFound (States.ResultPathMatchFailure).
    """
    path = parse(text)
    if not all(isinstance(s, Key | Index) for s in path.segments):
        raise PathError(f"{text!r} is not a reference path")
    if not path.segments:
        return value
    return _placed(path.segments, document, value, text)


def _placed(segments: tuple[Segment, ...], node: Any, value: Any, text: str) -> Any:
    head, rest = segments[0], segments[1:]
    if isinstance(head, Key):
        if node is None:
            node = {}
        if not isinstance(node, dict):
            raise PathNotFound(f"Unable to apply ResultPath {text!r}: not an object on the way")
        copy = dict(node)
        copy[head.name] = value if not rest else _placed(rest, node.get(head.name), value, text)
        return copy
    assert isinstance(head, Index)
    if not isinstance(node, list) or not -len(node) <= head.index < len(node):
        raise PathNotFound(f"Unable to apply ResultPath {text!r}: no such array element")
    items = list(node)
    items[head.index] = value if not rest else _placed(rest, node[head.index], value, text)
    return items


def _definite(path: Path, document: Any) -> Any:
    value = document
    for segment in path.segments:
        if isinstance(segment, Key) and isinstance(value, dict) and segment.name in value:
            value = value[segment.name]
        elif (
            isinstance(segment, Index)
            and isinstance(value, list)
            and -len(value) <= segment.index < len(value)
        ):
            value = value[segment.index]
        elif isinstance(segment, Length) and isinstance(value, list | dict | str):
            value = len(value)
        else:
            raise PathNotFound(f"No results for path: {path.text}")
    return value


def _step(segment: Segment, value: Any, document: Any) -> list[Any]:
    if isinstance(segment, Key):
        return [value[segment.name]] if isinstance(value, dict) and segment.name in value else []
    if isinstance(segment, Index):
        ok = isinstance(value, list) and -len(value) <= segment.index < len(value)
        return [value[segment.index]] if ok else []
    if isinstance(segment, Wildcard):
        return _children(value)
    if isinstance(segment, Slice):
        return value[segment.start : segment.end : segment.step] if isinstance(value, list) else []
    if isinstance(segment, Union):
        out: list[Any] = []
        for member in segment.members:
            out.extend(
                _step(Key(member) if isinstance(member, str) else Index(member), value, document)
            )
        return out
    if isinstance(segment, Descend):
        return [hit for node in _descendants(value) for hit in _step(segment.then, node, document)]
    if isinstance(segment, Filter):
        return [c for c in _children(value) if segment.test(c, document)]
    assert isinstance(segment, Length)
    return [len(value)] if isinstance(value, list | dict | str) else []


def _children(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return list(value)
    return []


def _descendants(value: Any) -> list[Any]:
    out = [value]
    for child in _children(value):
        out.extend(_descendants(child))
    return out


class _Parser:
    """Recursive descent over the path text; `pos` moves forward only."""

    def __init__(self, text: str, pos: int) -> None:
        self.text, self.pos = text, pos

    def fail(self, why: str) -> PathError:
        return PathError(f"Invalid path {self.text!r}: {why} at character {self.pos}")

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def segments(self, stop: str = "") -> list[Segment]:
        out: list[Segment] = []
        while self.pos < len(self.text) and self.peek() not in stop:
            if self.peek(2) == "..":
                self.pos += 2
                if self.peek() == "*":
                    self.pos += 1
                    out.append(Descend(Wildcard()))
                elif self.peek() == "[":
                    # $..[0], $..['a']: the bracket applied at every depth, like $..a.
                    out.append(Descend(self.bracket()))
                else:
                    out.append(Descend(Key(self.name())))
            elif self.peek() == ".":
                self.pos += 1
                if self.peek() == "*":
                    self.pos += 1
                    out.append(Wildcard())
                elif self.text.startswith("length()", self.pos):
                    self.pos += len("length()")
                    out.append(Length())
                elif self.peek() == "[":
                    # Jayway reads a dot as a bare separator, so `$.[0]` is `$[0]`; AWS's
                    # own docs write `$.abc.['def ghi']`, and published samples `$.[0]`.
                    out.append(self.bracket())
                else:
                    out.append(Key(self.name()))
            elif self.peek() == "[":
                out.append(self.bracket())
            else:
                raise self.fail("expected '.' or '['")
        return out

    def name(self) -> str:
        match = _NAME.match(self.text, self.pos)
        if not match:
            raise self.fail("expected a name")
        self.pos = match.end()
        return match.group()

    def bracket(self) -> Segment:
        self.pos += 1  # [
        self.space()
        if self.peek() == "*":
            self.pos += 1
            segment: Segment = Wildcard()
        elif self.peek(2) == "?(":
            self.pos += 2
            start = self.pos
            test = self.or_expr()
            self.space()
            self.expect(")")
            segment = Filter(test, self.text[start : self.pos - 1])
        else:
            segment = self.members()
        self.space()
        self.expect("]")
        return segment

    def members(self) -> Segment:
        if self.peek() in "'\"":
            names: list[str | int] = [self.string()]
            while self.space() or self.peek() == ",":
                self.pos += 1
                self.space()
                names.append(self.string())
            return Key(str(names[0])) if len(names) == 1 else Union(tuple(names))
        parts: list[int | None] = []
        colons = 0
        current: int | None = None
        indexes: list[str | int] = []
        while self.peek() not in ("]", ""):
            self.space()
            if self.peek() == ":":
                parts.append(current)
                current = None
                colons += 1
                self.pos += 1
            elif self.peek() == ",":
                if current is None:
                    raise self.fail("expected an index")
                indexes.append(current)
                current = None
                self.pos += 1
            else:
                current = self.integer()
            self.space()
        if colons:
            parts.append(current)
            if colons > 2:
                raise self.fail("too many ':' in a slice")
            parts += [None] * (3 - len(parts))
            if parts[2] == 0:
                raise self.fail("a slice's step cannot be 0")
            return Slice(parts[0], parts[1], parts[2])
        if current is None:
            raise self.fail("expected an index, a name or '*'")
        if indexes:
            return Union((*indexes, current))
        return Index(current)

    def integer(self) -> int:
        match = _NUMBER.match(self.text, self.pos)
        if not match:
            raise self.fail("expected an integer")
        self.pos = match.end()
        return int(match.group())

    def string(self) -> str:
        quote = self.peek()
        if quote not in "'\"" or not quote:
            raise self.fail("expected a quoted name")
        self.pos += 1
        out = []
        while self.peek() != quote:
            if not self.peek():
                raise self.fail("unterminated string")
            if self.peek() == "\\":
                self.pos += 1
            out.append(self.peek())
            self.pos += 1
        self.pos += 1
        return "".join(out)

    def space(self) -> bool:
        while self.peek() == " ":
            self.pos += 1
        return False

    def expect(self, text: str) -> None:
        if not self.text.startswith(text, self.pos):
            raise self.fail(f"expected {text!r}")
        self.pos += len(text)

    # Filter expressions: or -> and -> unary -> comparison -> operand.

    def or_expr(self) -> Callable[[Any, Any], bool]:
        left = self.and_expr()
        self.space()
        while self.peek(2) == "||":
            self.pos += 2
            right = self.and_expr()
            left = _either(left, right)
            self.space()
        return left

    def and_expr(self) -> Callable[[Any, Any], bool]:
        left = self.unary()
        self.space()
        while self.peek(2) == "&&":
            self.pos += 2
            right = self.unary()
            left = _both(left, right)
            self.space()
        return left

    def unary(self) -> Callable[[Any, Any], bool]:
        self.space()
        if self.peek() == "!" and self.peek(2) != "!=":
            self.pos += 1
            inner = self.unary()
            return lambda c, d: not inner(c, d)
        if self.peek() == "(":
            self.pos += 1
            inner = self.or_expr()
            self.space()
            self.expect(")")
            return inner
        return self.comparison()

    def comparison(self) -> Callable[[Any, Any], bool]:
        left = self.operand()
        self.space()
        for op in ("==", "!=", "<=", ">=", "<", ">", "=~"):
            if self.text.startswith(op, self.pos):
                self.pos += len(op)
                self.space()
                right = self.operand()
                return _compare(op, left, right)
        return lambda c, d: left(c, d) is not _MISSING  # existence test: [?(@.isbn)]

    def operand(self) -> Callable[[Any, Any], Any]:
        self.space()
        char = self.peek()
        if char in ("@", "$"):
            start = self.pos
            self.pos += 1
            sub = self.segments(stop=" )=!<>&|,")
            text = self.text[start : self.pos]
            relative = char == "@"
            inner = Path("$" + text[1:], tuple(sub))
            return lambda c, d: _lookup(inner, c if relative else d)
        if char in "'\"":
            value: Any = self.string()
        elif char == "/":
            end = self.text.index("/", self.pos + 1)
            value = re.compile(self.text[self.pos + 1 : end])
            self.pos = end + 1
        else:
            match = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?|true|false|null").match(
                self.text, self.pos
            )
            if not match:
                raise self.fail("expected a value in the filter")
            self.pos = match.end()
            token = match.group()
            value = {"true": True, "false": False, "null": None}.get(token, token)
            if isinstance(value, str):
                value = float(token) if match.group(1) or match.group(2) else int(token)
        return lambda c, d: value


_MISSING = object()


def _lookup(path: Path, node: Any) -> Any:
    try:
        return _definite(path, node) if path.definite else path.select(node)
    except PathNotFound:
        return _MISSING


def _either(
    a: Callable[[Any, Any], bool], b: Callable[[Any, Any], bool]
) -> Callable[[Any, Any], bool]:
    return lambda c, d: a(c, d) or b(c, d)


def _both(
    a: Callable[[Any, Any], bool], b: Callable[[Any, Any], bool]
) -> Callable[[Any, Any], bool]:
    return lambda c, d: a(c, d) and b(c, d)


def _compare(
    op: str, left: Callable[[Any, Any], Any], right: Callable[[Any, Any], Any]
) -> Callable[[Any, Any], bool]:
    def test(c: Any, d: Any) -> bool:
        a, b = left(c, d), right(c, d)
        if a is _MISSING or b is _MISSING:
            return False
        if op == "=~":
            return isinstance(a, str) and isinstance(b, re.Pattern) and b.fullmatch(a) is not None
        if op == "==":
            return _same(a, b)
        if op == "!=":
            return not _same(a, b)
        comparable = (isinstance(a, str) and isinstance(b, str)) or (_number(a) and _number(b))
        if not comparable:
            return False
        return bool({"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op])

    return test


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(a: Any, b: Any) -> bool:
    # JSON equality: true is not 1.
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)
