"""The intrinsic functions of JSONPath states: `States.Format('{} {}', $.a, 'b')` and kin.

    call      := 'States.' Name '(' [arg {',' arg}] ')'
    arg       := call | 'string' | number | true | false | null | path
    path      := $... (the effective input) | $$... (the context object) | $name... (a variable)

Strings are single-quoted; a backslash escapes `'`, `{`, `}` and itself. Parsing happens
once per text (cached); a bad call is a definition error (`IntrinsicSyntaxError`), caught at
validation. Evaluation failures (wrong argument types, out-of-range values) raise
`States.IntrinsicFailure` with a message naming the function, as on AWS.

About 460 lines: eighteen small functions and their parser, which belong together.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import random
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stratus.workflows.failure import StatesFailure, intrinsic_failure

MAX_NESTING = 10  # AWS: "you can nest up to 10 intrinsic functions within a field"
MAX_TEXT = 10_000  # Base64Encode/Decode and Hash inputs, in characters
MAX_RANGE = 1_000  # ArrayRange's result, in items
INT32 = (-(2**31), 2**31 - 1)  # MathAdd and MathRandom work on 32-bit integers


class IntrinsicSyntaxError(ValueError):
    """The text is not a well-formed intrinsic function call."""


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Arg, ...]


@dataclass(frozen=True, slots=True)
class PathArg:
    text: str


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any


Arg = Call | PathArg | Literal
Resolver = Callable[[str], Any]  # path text -> value (raises a StatesFailure if absent)


def looks_intrinsic(text: str) -> bool:
    return text.startswith("States.")


@functools.lru_cache(maxsize=2048)
def parse(text: str) -> Call:
    parser = _Parser(text)
    call = parser.call(depth=1)
    parser.space()
    if parser.pos != len(text):
        raise parser.fail("unexpected text after the call")
    return call


def evaluate(text: str, resolve: Resolver) -> Any:
    """The value of the call in `text`, its paths read through `resolve`."""
    try:
        call = parse(text)
    except IntrinsicSyntaxError as exc:
        raise intrinsic_failure(str(exc)) from exc
    return _evaluate(call, resolve)


def _evaluate(call: Call, resolve: Resolver) -> Any:
    args = [_value(arg, resolve) for arg in call.args]
    function = FUNCTIONS.get(call.name)
    if function is None:
        raise intrinsic_failure(f"The function {call.name} is not a States intrinsic function")
    return function(call.name, args)


def _value(arg: Arg, resolve: Resolver) -> Any:
    if isinstance(arg, Call):
        return _evaluate(arg, resolve)
    if isinstance(arg, PathArg):
        return resolve(arg.text)
    return arg.value


# --- the functions: each takes its own name (for messages) and its evaluated arguments.


def _arity(name: str, args: list[Any], low: int, high: int | None = None) -> None:
    high = low if high is None else high
    if not low <= len(args) <= high:
        wanted = str(low) if low == high else f"{low} to {high}"
        raise intrinsic_failure(
            f"Invalid arguments in {name}: expected {wanted} argument(s), received {len(args)}"
        )


def _integer(name: str, value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise intrinsic_failure(f"Invalid arguments in {name}: the {what} must be an integer")
    return int(value)


def _string(name: str, value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise intrinsic_failure(f"Invalid arguments in {name}: the {what} must be a string")
    return value


def _array(name: str, value: Any, what: str = "first argument") -> list[Any]:
    if not isinstance(value, list):
        raise intrinsic_failure(f"Invalid arguments in {name}: the {what} must be an array")
    return value


def _format(name: str, args: list[Any]) -> str:
    if not args:
        raise intrinsic_failure(f"Invalid arguments in {name}: a template string is required")
    template = _string(name, args[0], "first argument")
    values = args[1:]
    pieces = template.split("\x00{}\x00")  # placeholders were marked by the parser
    if len(pieces) - 1 != len(values):
        raise intrinsic_failure(
            f"Invalid arguments in {name}: the template has {len(pieces) - 1} placeholder(s) "
            f"but {len(values)} value(s) were given"
        )
    out = [pieces[0]]
    for value, piece in zip(values, pieces[1:], strict=True):
        if isinstance(value, dict | list):
            raise intrinsic_failure(
                f"Invalid arguments in {name}: values must be strings, numbers, booleans or null"
            )
        out.append(value if isinstance(value, str) else json.dumps(value))
        out.append(piece)
    return "".join(out)


def _string_to_json(name: str, args: list[Any]) -> Any:
    _arity(name, args, 1)
    text = _string(name, args[0], "argument")
    try:
        return json.loads(text) if text.strip() else None
    except json.JSONDecodeError as exc:
        raise intrinsic_failure(
            f"Invalid arguments in {name}: the string is not JSON ({exc.msg})"
        ) from exc


def _json_to_string(name: str, args: list[Any]) -> str:
    _arity(name, args, 1)
    return json.dumps(args[0], separators=(",", ":"), ensure_ascii=False)


def _array_fn(name: str, args: list[Any]) -> list[Any]:
    return list(args)


def _array_partition(name: str, args: list[Any]) -> list[list[Any]]:
    _arity(name, args, 2)
    items = _array(name, args[0])
    size = _integer(name, args[1], "chunk size")
    if size <= 0:
        raise intrinsic_failure(
            f"Invalid arguments in {name}: the chunk size must be greater than 0"
        )
    return [items[i : i + size] for i in range(0, len(items), size)]


def _array_contains(name: str, args: list[Any]) -> bool:
    _arity(name, args, 2)
    return any(_json_equal(item, args[1]) for item in _array(name, args[0]))


def _array_range(name: str, args: list[Any]) -> list[int]:
    _arity(name, args, 3)
    start, end, step = (
        _integer(name, a, w) for a, w in zip(args, ("start", "end", "step"), strict=True)
    )
    if step == 0:
        raise intrinsic_failure(f"Invalid arguments in {name}: the step cannot be 0")
    out = list(range(start, end + (1 if step > 0 else -1), step))
    if len(out) > MAX_RANGE:
        raise intrinsic_failure(
            f"Invalid arguments in {name}: the result would have {len(out)} items; at most "
            f"{MAX_RANGE} are allowed"
        )
    return out


def _array_get_item(name: str, args: list[Any]) -> Any:
    _arity(name, args, 2)
    items = _array(name, args[0])
    index = _integer(name, args[1], "index")
    if not 0 <= index < len(items):
        raise intrinsic_failure(
            f"Invalid arguments in {name}: the index {index} is out of bounds for an array of "
            f"{len(items)}"
        )
    return items[index]


def _array_length(name: str, args: list[Any]) -> int:
    _arity(name, args, 1)
    return len(_array(name, args[0]))


def _array_unique(name: str, args: list[Any]) -> list[Any]:
    _arity(name, args, 1)
    out: list[Any] = []
    for item in _array(name, args[0]):
        if not any(_json_equal(item, seen) for seen in out):
            out.append(item)
    return out


def _base64_encode(name: str, args: list[Any]) -> str:
    _arity(name, args, 1)
    text = _bounded(name, _string(name, args[0], "argument"))
    return base64.b64encode(text.encode()).decode()


def _base64_decode(name: str, args: list[Any]) -> str:
    _arity(name, args, 1)
    text = _bounded(name, _string(name, args[0], "argument"))
    try:
        return base64.b64decode(text, validate=True).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise intrinsic_failure(
            f"Invalid arguments in {name}: the value is not Base64-encoded text"
        ) from exc


_HASHES = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}


def _hash(name: str, args: list[Any]) -> str:
    _arity(name, args, 2)
    data = args[0] if isinstance(args[0], str) else json.dumps(args[0], separators=(",", ":"))
    algorithm = _string(name, args[1], "algorithm")
    if algorithm not in _HASHES:
        raise intrinsic_failure(
            f"Invalid arguments in {name}: the algorithm must be one of {', '.join(_HASHES)}"
        )
    return hashlib.new(_HASHES[algorithm], _bounded(name, data).encode()).hexdigest()


def _json_merge(name: str, args: list[Any]) -> dict[str, Any]:
    _arity(name, args, 3)
    left, right, deep = args
    if not isinstance(left, dict) or not isinstance(right, dict):
        raise intrinsic_failure(
            f"Invalid arguments in {name}: the first two arguments must be objects"
        )
    if deep is not False:
        # AWS supports shallow merges only: the third argument must be false.
        raise intrinsic_failure(
            f"Invalid arguments in {name}: only shallow merges are supported (false)"
        )
    return {**left, **right}


def _math_random(name: str, args: list[Any]) -> int:
    _arity(name, args, 2, 3)
    start = _int32(name, args[0], "start")
    end = _int32(name, args[1], "end")
    if start >= end:
        raise intrinsic_failure(f"Invalid arguments in {name}: start must be less than end")
    chooser = random.Random(_integer(name, args[2], "seed")) if len(args) == 3 else random
    return chooser.randrange(start, end)  # start inclusive, end exclusive, as AWS documents


def _math_add(name: str, args: list[Any]) -> int:
    _arity(name, args, 2)
    total = _int32(name, args[0], "first argument") + _int32(name, args[1], "second argument")
    return total


def _string_split(name: str, args: list[Any]) -> list[str]:
    _arity(name, args, 2)
    text = _string(name, args[0], "first argument")
    delimiters = _string(name, args[1], "delimiter")
    if not delimiters:
        return [text]
    # Each character of the delimiter splits, and empty pieces are dropped (Java's
    # StringTokenizer, which AWS's examples match: "a.b+c" split by ".+" is [a, b, c]).
    return [p for p in re.split("[" + re.escape(delimiters) + "]", text) if p]


def _uuid(name: str, args: list[Any]) -> str:
    _arity(name, args, 0)
    return str(uuid.uuid4())


def _int32(name: str, value: Any, what: str) -> int:
    number = _integer(name, value, what)
    if not INT32[0] <= number <= INT32[1]:
        raise intrinsic_failure(
            f"Invalid arguments in {name}: the {what} is outside the 32-bit integer range"
        )
    return number


def _bounded(name: str, text: str) -> str:
    if len(text) > MAX_TEXT:
        raise intrinsic_failure(
            f"Invalid arguments in {name}: the input has {len(text)} characters; at most "
            f"{MAX_TEXT} are allowed"
        )
    return text


def _json_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


FUNCTIONS: dict[str, Callable[[str, list[Any]], Any]] = {
    "States.Format": _format,
    "States.StringToJson": _string_to_json,
    "States.JsonToString": _json_to_string,
    "States.Array": _array_fn,
    "States.ArrayPartition": _array_partition,
    "States.ArrayContains": _array_contains,
    "States.ArrayRange": _array_range,
    "States.ArrayGetItem": _array_get_item,
    "States.ArrayLength": _array_length,
    "States.ArrayUnique": _array_unique,
    "States.Base64Encode": _base64_encode,
    "States.Base64Decode": _base64_decode,
    "States.Hash": _hash,
    "States.JsonMerge": _json_merge,
    "States.MathRandom": _math_random,
    "States.MathAdd": _math_add,
    "States.StringSplit": _string_split,
    "States.UUID": _uuid,
}


class _Parser:
    def __init__(self, text: str) -> None:
        self.text, self.pos = text, 0

    def fail(self, why: str) -> IntrinsicSyntaxError:
        return IntrinsicSyntaxError(
            f"Invalid intrinsic function {self.text!r}: {why} at character {self.pos}"
        )

    def space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\n":
            self.pos += 1

    def call(self, depth: int) -> Call:
        if depth > MAX_NESTING:
            raise self.fail(f"more than {MAX_NESTING} nested functions")
        match = re.compile(r"States\.[A-Za-z0-9]+").match(self.text, self.pos)
        if not match:
            raise self.fail("expected States.<Function>")
        name = match.group()
        if name not in FUNCTIONS:
            raise self.fail(f"{name} is not an intrinsic function")
        self.pos = match.end()
        self.space()
        if self.text[self.pos : self.pos + 1] != "(":
            raise self.fail("expected '('")
        self.pos += 1
        args: list[Arg] = []
        self.space()
        if self.text[self.pos : self.pos + 1] == ")":
            self.pos += 1
            return Call(name, ())
        while True:
            self.space()
            args.append(self.arg(depth, template=name == "States.Format" and not args))
            self.space()
            char = self.text[self.pos : self.pos + 1]
            self.pos += 1
            if char == ")":
                return Call(name, tuple(args))
            if char != ",":
                self.pos -= 1
                raise self.fail("expected ',' or ')'")

    def arg(self, depth: int, template: bool) -> Arg:
        rest = self.text[self.pos :]
        if rest.startswith("States."):
            return self.call(depth + 1)
        if rest.startswith("'"):
            return Literal(self.string(template))
        if rest.startswith("$"):
            start = self.pos
            quote = ""
            depth_brackets = 0
            while self.pos < len(self.text):
                char = self.text[self.pos]
                if quote:
                    quote = "" if char == quote else quote
                elif char in "'\"" and depth_brackets:
                    quote = char
                elif char == "[":
                    depth_brackets += 1
                elif char == "]":
                    depth_brackets -= 1
                elif char in ",) " and not depth_brackets:
                    break
                self.pos += 1
            return PathArg(self.text[start : self.pos])
        match = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?|true|false|null").match(
            self.text, self.pos
        )
        if not match:
            raise self.fail("expected a string, a number, a boolean, null, a path or a function")
        self.pos = match.end()
        token = match.group()
        if token in ("true", "false", "null"):
            return Literal({"true": True, "false": False, "null": None}[token])
        return Literal(float(token) if match.group(1) or match.group(2) else int(token))

    def string(self, template: bool) -> str:
        self.pos += 1
        out: list[str] = []
        while True:
            if self.pos >= len(self.text):
                raise self.fail("unterminated string")
            char = self.text[self.pos]
            if char == "\\":
                nxt = self.text[self.pos + 1 : self.pos + 2]
                if nxt not in ("'", "{", "}", "\\"):
                    raise self.fail("only \\' \\{ \\} and \\\\ may be escaped")
                out.append(nxt)
                self.pos += 2
                continue
            if char == "'":
                self.pos += 1
                return "".join(out)
            if template and self.text.startswith("{}", self.pos):
                # Mark unescaped placeholders so an escaped \{\} stays literal text.
                out.append("\x00{}\x00")
                self.pos += 2
                continue
            out.append(char)
            self.pos += 1


def failure_of(exc: Exception) -> StatesFailure:
    """Any error from evaluating an intrinsic, as the States error it is."""
    return exc if isinstance(exc, StatesFailure) else intrinsic_failure(str(exc))
