"""CloudWatch Logs filter patterns: the syntax FilterLogEvents, metric filters, subscription
filters and the live tail share. `compile(pattern)` turns one into a `Pattern` whose
`match(message)` answers None (no match) or the values it extracted.

Three forms, told apart by the first character (after blanks):

    (empty)                       every event
    ERROR "out of memory" -debug  terms: every term must occur (case-sensitive substring),
    ?ERROR ?WARN                  `?` terms: at least one must occur; `-` terms: none may;
    %ab+c%                        a term between % is a regular expression
    { $.level = "ERROR" && ($.latency > 500 || $.user.id NOT EXISTS) }
                                  JSON: the message must be a JSON value; selectors `$.a.b[0]`;
                                  = != on strings (`*` is a wildcard, %re% a regex), the six
                                  comparisons on numbers, IS TRUE / FALSE / NULL, EXISTS and
                                  NOT EXISTS; && binds tighter than ||; parentheses group
    [ip, user, ..., status = 4*, bytes > 1000]
                                  space-delimited: the message split on spaces ("…" and […]
                                  stay one field); `...` stands for any number of fields;
                                  named fields may carry conditions joined by && and ||

An unreadable pattern raises InvalidPattern with AWS's message, "Invalid filter pattern".
Written here rather than with a parser library: the grammar is small, and AWS's edge rules
(unquoted JSON values, the ellipsis) read more plainly as code than as a grammar.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from stratus.errors import Invalid

Values = dict[str, str]
_Test = Callable[[str], "Values | None"]
_MISSING = object()


class InvalidFilterPattern(Invalid):
    """AWS answers it as InvalidParameterException: 'Invalid filter pattern'."""


@dataclass(frozen=True, slots=True)
class Pattern:
    text: str
    _test: _Test

    def match(self, message: str) -> Values | None:
        return self._test(message)

    def matches(self, message: str) -> bool:
        return self._test(message) is not None


def compile(pattern: str | None) -> Pattern:
    text = (pattern or "").strip()
    if not text:
        return Pattern(text, lambda message: {})
    try:
        if text.startswith("{"):
            return Pattern(text, _json_pattern(text))
        if text.startswith("["):
            return Pattern(text, _delimited_pattern(text))
        return Pattern(text, _term_pattern(text))
    except (_Refused, re.error) as exc:
        raise InvalidFilterPattern(f"Invalid filter pattern: {exc}") from exc


class _Refused(Exception):
    pass


# --- terms ------------------------------------------------------------------------------


_TERM = re.compile(r'\s*([?-]?)("(?:[^"\\]|\\.)*"|%(?:[^%\\]|\\.)+%|[^\s"]+)')


def _term_pattern(text: str) -> _Test:
    required: list[Callable[[str], bool]] = []
    optional: list[Callable[[str], bool]] = []
    excluded: list[Callable[[str], bool]] = []
    position = 0
    while position < len(text):
        found = _TERM.match(text, position)
        if not found:
            if text[position:].strip():
                raise _Refused(f"cannot read {text[position:]!r}")
            break
        position = found.end()
        sign, word = found.groups()
        {"": required, "?": optional, "-": excluded}[sign].append(_term(word))

    def test(message: str) -> Values | None:
        if not all(t(message) for t in required):
            return None
        if optional and not any(t(message) for t in optional):
            return None
        if any(t(message) for t in excluded):
            return None
        return {}

    return test


def _term(word: str) -> Callable[[str], bool]:
    if word.startswith('"'):
        phrase = _unquote(word)
        return lambda message: phrase in message
    if len(word) > 2 and word.startswith("%") and word.endswith("%"):
        regex = re.compile(word[1:-1])
        return lambda message: regex.search(message) is not None
    return lambda message: word in message


def _unquote(quoted: str) -> str:
    return re.sub(r"\\(.)", r"\1", quoted[1:-1])


# --- JSON -------------------------------------------------------------------------------

_JSON_TOKEN = re.compile(
    r"""\s*(?:
        (?P<op>&&|\|\||!=|<=|>=|=|<|>|\(|\)|\{|\})
      | (?P<selector>\$(?:\.[A-Za-z0-9_@\-]+|\.\*|\[\d+\]|\[\*\])*)
      | (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<regex>%(?:[^%\\]|\\.)+%)
      | (?P<word>[^\s()&|=!<>{}"]+)
    )""",
    re.VERBOSE,
)


class _Tokens:
    """A token list with one-token lookahead; each token is (kind, text)."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self._tokens = tokens
        self._at = 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        at = self._at + offset
        return self._tokens[at] if at < len(self._tokens) else ("end", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self._at += 1
        return token

    def expect(self, text: str) -> None:
        _, found = self.take()
        if found != text:
            raise _Refused(f"expected {text!r}, found {found or 'the end'!r}")

    def keyword(self, *words: str) -> bool:
        """True (and consumed) when the next tokens are these words, any case."""
        for offset, word in enumerate(words):
            kind, found = self.peek(offset)
            if kind != "word" or found.upper() != word:
                return False
        self._at += len(words)
        return True


def _tokenize(text: str, regex: re.Pattern[str]) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        if not text[position:].strip():
            break
        found = regex.match(text, position)
        if not found or found.end() == position:
            raise _Refused(f"cannot read {text[position:]!r}")
        position = found.end()
        kind = found.lastgroup or ""
        tokens.append((kind, found.group(kind)))
    return tokens


def _json_pattern(text: str) -> _Test:
    tokens = _Tokens(_tokenize(text, _JSON_TOKEN))
    tokens.expect("{")
    condition = _or(tokens, _json_comparison)
    tokens.expect("}")
    if tokens.peek()[0] != "end":
        raise _Refused(f"unexpected {tokens.peek()[1]!r} after the closing brace")

    def test(message: str) -> Values | None:
        if not message.lstrip().startswith(("{", "[")):
            return None  # not JSON; cheaper than letting json.loads fail
        try:
            document = json.loads(message)
        except ValueError:
            return None
        return {} if condition(document) else None

    return test


_Condition = Callable[[object], bool]


def _or(tokens: _Tokens, leaf: Callable[[_Tokens], _Condition]) -> _Condition:
    parts = [_and(tokens, leaf)]
    while tokens.peek()[1] == "||":
        tokens.take()
        parts.append(_and(tokens, leaf))
    return parts[0] if len(parts) == 1 else lambda value: any(p(value) for p in parts)


def _and(tokens: _Tokens, leaf: Callable[[_Tokens], _Condition]) -> _Condition:
    parts = [_group(tokens, leaf)]
    while tokens.peek()[1] == "&&":
        tokens.take()
        parts.append(_group(tokens, leaf))
    return parts[0] if len(parts) == 1 else lambda value: all(p(value) for p in parts)


def _group(tokens: _Tokens, leaf: Callable[[_Tokens], _Condition]) -> _Condition:
    if tokens.peek()[1] == "(":
        tokens.take()
        inner = _or(tokens, leaf)
        tokens.expect(")")
        return inner
    return leaf(tokens)


def _json_comparison(tokens: _Tokens) -> _Condition:
    kind, selector = tokens.take()
    if kind != "selector":
        raise _Refused(f"expected a selector such as $.field, found {selector or 'the end'!r}")
    path = _path(selector)
    if tokens.keyword("IS", "NULL"):
        return lambda doc: any(v is None for v in _select(doc, path))
    if tokens.keyword("IS", "TRUE"):
        return lambda doc: any(v is True for v in _select(doc, path))
    if tokens.keyword("IS", "FALSE"):
        return lambda doc: any(v is False for v in _select(doc, path))
    if tokens.keyword("NOT", "EXISTS"):
        return lambda doc: not any(v is not _MISSING for v in _select(doc, path))
    if tokens.keyword("EXISTS"):
        return lambda doc: any(v is not _MISSING for v in _select(doc, path))
    operator = tokens.take()[1]
    compare = _comparison(operator, tokens.take())
    return lambda doc: any(v is not _MISSING and compare(v) for v in _select(doc, path))


def _comparison(operator: str, operand: tuple[str, str]) -> Callable[[object], bool]:
    """A test of one JSON value (or one delimited field, as a string) against the operand."""
    if operator not in ("=", "!=", "<", ">", "<=", ">="):
        raise _Refused(f"expected a comparison operator, found {operator or 'the end'!r}")
    kind, text = operand
    if kind not in ("string", "regex", "word", "selector"):
        raise _Refused(f"expected a value after {operator}, found {text or 'the end'!r}")
    number = _number(text) if kind == "word" else None
    if number is not None:
        return _numeric(operator, number)
    if operator not in ("=", "!="):
        raise _Refused(f"{operator} compares numbers only, not {text!r}")
    if kind == "regex":
        regex = re.compile(text[1:-1])
        equal: Callable[[str], bool] = lambda s: regex.search(s) is not None  # noqa: E731
    else:
        wanted = _unquote(text) if kind == "string" else text
        wildcard = re.compile("^" + ".*".join(map(re.escape, wanted.split("*"))) + "$", re.S)
        equal = lambda s: wildcard.match(s) is not None  # noqa: E731
    negate = operator == "!="
    return lambda value: _as_text(value) is not None and equal(str(_as_text(value))) != negate


def _as_text(value: object) -> str | None:
    """A JSON scalar as the text string comparisons see (objects and arrays never match)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float | str):
        return str(value)
    return None


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _numeric(operator: str, number: float) -> Callable[[object], bool]:
    compare: Callable[[float], bool] = {
        "=": lambda v: v == number,
        "!=": lambda v: v != number,
        "<": lambda v: v < number,
        ">": lambda v: v > number,
        "<=": lambda v: v <= number,
        ">=": lambda v: v >= number,
    }[operator]

    def test(value: object) -> bool:
        if isinstance(value, bool):
            return False
        if isinstance(value, int | float):
            return compare(float(value))
        if isinstance(value, str):
            parsed = _number(value)
            return parsed is not None and compare(parsed)
        return False

    return test


def json_value(message: str, selector: str) -> object | None:
    """The value `$.a.b[0]` selects in a JSON message (the first, through wildcards); None
    when the message is not JSON or the selector reaches nothing (a metric filter's
    metricValue and dimensions)."""
    if not message.lstrip().startswith(("{", "[")):
        return None
    try:
        document = json.loads(message)
    except ValueError:
        return None
    found = _select(document, _path(selector))[0]
    return None if found is _MISSING else found


def _path(selector: str) -> list[str | int | None]:
    """`$.a.b[0][*]` as ["a", "b", 0, None]; None is a wildcard over every member."""
    steps: list[str | int | None] = []
    for name, index in re.findall(r"\.([A-Za-z0-9_@\-]+|\*)|\[(\d+|\*)\]", selector):
        if name:
            steps.append(None if name == "*" else name)
        else:
            steps.append(None if index == "*" else int(index))
    return steps


def _select(document: object, path: list[str | int | None]) -> list[object]:
    """Every value the path reaches (more than one through wildcards); [_MISSING] if none."""
    current: list[object] = [document]
    for step in path:
        reached: list[object] = []
        for value in current:
            if step is None and isinstance(value, dict):
                reached.extend(value.values())
            elif step is None and isinstance(value, list):
                reached.extend(value)
            elif isinstance(step, str) and isinstance(value, dict):
                reached.extend([value[step]] if step in value else [])
            elif isinstance(step, int) and isinstance(value, list):
                reached.extend(value[step : step + 1])
        current = reached
    return current or [_MISSING]


# --- space-delimited --------------------------------------------------------------------

_DELIMITED_TOKEN = re.compile(
    r"""\s*(?:
        (?P<op>&&|\|\||!=|<=|>=|=|<|>|\(|\)|\[|\]|,)
      | (?P<ellipsis>\.\.\.)
      | (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<regex>%(?:[^%\\]|\\.)+%)
      | (?P<word>[^\s()&|=!<>\[\],"]+)
    )""",
    re.VERBOSE,
)
_FIELD = re.compile(r'"(?:[^"\\]|\\.)*"|\[[^\]]*\]|\S+')


@dataclass(frozen=True, slots=True)
class _Slot:
    name: str | None  # None: the ellipsis
    condition: Callable[[dict[str, str]], bool] | None


def _delimited_pattern(text: str) -> _Test:
    tokens = _Tokens(_tokenize(text, _DELIMITED_TOKEN))
    tokens.expect("[")
    slots: list[_Slot] = []
    while True:
        slots.append(_slot(tokens))
        separator = tokens.take()[1]
        if separator == "]":
            break
        if separator != ",":
            raise _Refused(f"expected ',' or ']', found {separator or 'the end'!r}")
    if tokens.peek()[0] != "end":
        raise _Refused(f"unexpected {tokens.peek()[1]!r} after the closing bracket")
    if sum(slot.name is None for slot in slots) > 1:
        raise _Refused("at most one ellipsis (...) per pattern")

    def test(message: str) -> Values | None:
        fields = [_strip_field(f) for f in _FIELD.findall(message)]
        named = _assign(slots, fields)
        if named is None:
            return None
        if not all(s.condition(named) for s in slots if s.condition is not None):
            return None
        return named

    return test


def _slot(tokens: _Tokens) -> _Slot:
    kind, text = tokens.take()
    if kind == "ellipsis":
        return _Slot(None, None)
    if kind != "word":
        raise _Refused(f"expected a field name, found {text or 'the end'!r}")
    if tokens.peek()[1] in (",", "]"):
        return _Slot(text, None)
    return _Slot(text, _field_condition(tokens, text))


def _field_condition(tokens: _Tokens, name: str) -> Callable[[dict[str, str]], bool]:
    """`status = 404 || status >= 500`: conditions on the slot's own field."""

    def leaf(tokens: _Tokens) -> _Condition:
        kind, field = tokens.peek()
        if kind == "word" and tokens.peek(1)[1] in ("=", "!=", "<", ">", "<=", ">="):
            tokens.take()  # a repeated field name: `status >= 400 && status < 500`
            if field != name:
                raise _Refused(f"a condition in the {name!r} slot names {field!r}")
        operator = tokens.take()[1]
        return _comparison(operator, tokens.take())

    condition = _or(tokens, leaf)
    return lambda named: condition(named[name])


def _assign(slots: list[_Slot], fields: list[str]) -> dict[str, str] | None:
    """The message's fields by slot name and by position ($1, $2 …), or None when the count
    does not fit the pattern."""
    ellipsis = next((i for i, s in enumerate(slots) if s.name is None), None)
    if ellipsis is None:
        if len(fields) != len(slots):
            return None
        pairs = list(zip(slots, fields, strict=True))
        positions = list(range(len(fields)))
    else:
        before, after = slots[:ellipsis], slots[ellipsis + 1 :]
        if len(fields) < len(before) + len(after):
            return None
        tail = fields[len(fields) - len(after) :] if after else []
        pairs = list(zip(before, fields, strict=False)) + list(zip(after, tail, strict=True))
        positions = list(range(len(before))) + list(range(len(fields) - len(after), len(fields)))
    named: dict[str, str] = {}
    for (slot, value), position in zip(pairs, positions, strict=True):
        named[f"${position + 1}"] = value
        if slot.name is not None:
            named[slot.name] = value
    return named


def _strip_field(field: str) -> str:
    if len(field) >= 2 and field[0] == '"' and field[-1] == '"':
        return field[1:-1]
    if len(field) >= 2 and field[0] == "[" and field[-1] == "]":
        return field[1:-1]
    return field
