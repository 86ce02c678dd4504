"""API Gateway's mapping templates: Velocity (VTL) with the variables API Gateway gives
("Variables for data transformations for API Gateway"), rendered by `airspeed`.

    $input.body            the payload as text
    $input.json('$.a')     the JSONPath selection as JSON text
    $input.path('$.a')     the selection as an object a template can walk ($x.name, #foreach)
    $input.params()        {"path": {...}, "querystring": {...}, "header": {...}}
    $input.params('n')     that parameter: path, then query string, then header
    $util                  escapeJavaScript, parseJson, urlEncode, urlDecode, base64Encode,
                           base64Decode
    $context, $stageVariables   what the gateway knows (the proxy event's requestContext
                           fields, flat as API Gateway names them); `$context.responseOverride`
                           and `$context.requestOverride` collect what a template sets

Values reach the template in Java's clothes, as Velocity on AWS sees them: maps answer
`keySet()`/`containsKey()`/`size()`, lists `size()`/`get()`, strings Java's String methods,
booleans print `true`/`false`, and a missing value prints nothing. JSONPath is Jayway's,
as API Gateway runs it (the States Language's implementation, workflows/jsonpath.py).
"""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote_plus, unquote_plus

import airspeed  # type: ignore[import-untyped]
import orjson

from stratus.workflows.jsonpath import PathError, PathNotFound, select


class TemplateFailed(Exception):
    """The template cannot be read or failed while rendering (API Gateway answers 500)."""


class Nothing:
    """A missing or null value: false in `#if`, printed as nothing."""

    def __bool__(self) -> bool:
        return False

    def __str__(self) -> str:
        return ""

    def __eq__(self, other: object) -> bool:
        return other is None or isinstance(other, Nothing)

    def __hash__(self) -> int:
        return 0


NOTHING = Nothing()


class JavaBool:
    def __init__(self, value: bool) -> None:
        self.value = value

    def __bool__(self) -> bool:
        return self.value

    def __str__(self) -> str:
        return "true" if self.value else "false"

    def __eq__(self, other: object) -> bool:
        return bool(other) == self.value if isinstance(other, bool | JavaBool) else False

    def __hash__(self) -> int:
        return hash(self.value)


class JavaString(str):
    """A str with java.lang.String's methods templates call."""

    def length(self) -> int:
        return len(self)

    def isEmpty(self) -> bool:
        return not self

    def contains(self, part: object) -> bool:
        return str(part) in self

    def startsWith(self, prefix: object) -> bool:
        return self.startswith(str(prefix))

    def endsWith(self, suffix: object) -> bool:
        return self.endswith(str(suffix))

    def equals(self, other: object) -> bool:
        return self == other

    def equalsIgnoreCase(self, other: object) -> bool:
        return self.lower() == str(other).lower()

    def toLowerCase(self) -> JavaString:
        return JavaString(self.lower())

    def toUpperCase(self) -> JavaString:
        return JavaString(self.upper())

    def trim(self) -> JavaString:
        return JavaString(self.strip())

    def indexOf(self, part: object) -> int:
        return self.find(str(part))

    def substring(self, start: int, end: int | None = None) -> JavaString:
        return JavaString(self[start:end])

    def replaceAll(self, pattern: str, replacement: str) -> JavaString:
        return JavaString(re.sub(pattern, _java_replacement(replacement), self))

    def matches(self, pattern: str) -> bool:
        return re.fullmatch(pattern, self) is not None

    def split(self, pattern: str | None = None, limit: int = -1) -> JavaList:  # type: ignore[override]
        parts = re.split(pattern, self, maxsplit=max(limit - 1, 0)) if pattern else str.split(self)
        return JavaList(JavaString(p) for p in parts)


class JavaList(list[Any]):
    def size(self) -> int:
        return len(self)

    def isEmpty(self) -> bool:
        return not self

    def get(self, index: int) -> Any:
        return self[index]

    def contains(self, value: object) -> bool:
        return value in self

    def __str__(self) -> str:
        return "[" + ", ".join(str(v) for v in self) + "]"


class JavaMap(dict[str, Any]):
    def size(self) -> int:
        return len(self)

    def isEmpty(self) -> bool:
        return not self

    def keySet(self) -> JavaList:
        return JavaList(self.keys())

    def values(self) -> JavaList:  # type: ignore[override]
        return JavaList(dict.values(self))

    def containsKey(self, key: object) -> bool:
        return key in self

    def get(self, key: str, default: Any = NOTHING) -> Any:
        return dict.get(self, key, default)

    def put(self, key: str, value: Any) -> None:
        self[key] = value

    def __str__(self) -> str:
        return "{" + ", ".join(f"{k}={v}" for k, v in self.items()) + "}"


def java(value: Any) -> Any:
    """A JSON value as Velocity on AWS sees it."""
    if value is None:
        return NOTHING
    if isinstance(value, bool):
        return JavaBool(value)
    if isinstance(value, str):
        return JavaString(value)
    if isinstance(value, dict):
        return JavaMap({k: java(v) for k, v in value.items()})
    if isinstance(value, list):
        return JavaList(java(v) for v in value)
    return value


def _java_replacement(replacement: str) -> str:
    """Java's `$1` group references in Python's `\\1` form."""
    return re.sub(r"\$(\d+)", r"\\\1", replacement.replace("\\", "\\\\"))


def plain(value: Any) -> Any:
    """What a template's value is as JSON (for `$util` and overrides)."""
    if isinstance(value, Nothing):
        return None
    if isinstance(value, JavaBool):
        return value.value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


class Input:
    """`$input`: the payload (request or integration response) and the request's
    parameters."""

    def __init__(self, body: str, params: Mapping[str, Mapping[str, str]]) -> None:
        self.body = JavaString(body)
        self._params = params
        self._document: Any = None
        self._parsed = False

    def _json(self) -> Any:
        if not self._parsed:
            self._parsed = True
            try:
                self._document = orjson.loads(str(self.body)) if self.body.strip() else {}
            except orjson.JSONDecodeError:
                # A body that is not JSON reads as a string (API Gateway's JSONPath then
                # finds only `$`).
                self._document = str(self.body)
        return self._document

    def _select(self, path: object) -> Any:
        try:
            return select(str(path), self._json())
        except PathNotFound:
            return None
        except PathError as exc:
            raise TemplateFailed(f"Invalid JSONPath {path!r}: {exc}") from exc

    def json(self, path: object) -> str:
        found = self._select(path)
        return "" if found is None else orjson.dumps(found).decode()

    def path(self, path: object) -> Any:
        return java(self._select(path))

    def params(self, name: object = None) -> Any:
        if name is None:
            return JavaMap({k: JavaMap(v) for k, v in self._params.items()})
        for kind in ("path", "querystring", "header"):
            found = self._params.get(kind, {})
            if kind == "header":
                found = {k.lower(): v for k, v in found.items()}
                if str(name).lower() in found:
                    return JavaString(found[str(name).lower()])
            elif str(name) in found:
                return JavaString(found[str(name)])
        return JavaString("")


class Util:
    """`$util`."""

    def escapeJavaScript(self, value: object) -> str:
        # JSON string escaping with single quotes escaped too, as AWS's (Java's
        # StringEscapeUtils.escapeEcmaScript) does.
        text = orjson.dumps(str(plain(value) if not isinstance(value, str) else value)).decode()
        return text[1:-1].replace("'", "\\'")

    def parseJson(self, value: object) -> Any:
        try:
            return java(orjson.loads(str(value)))
        except orjson.JSONDecodeError as exc:
            raise TemplateFailed(f"$util.parseJson: not JSON: {exc}") from exc

    def urlEncode(self, value: object) -> str:
        return quote_plus(str(value), safe="*")

    def urlDecode(self, value: object) -> str:
        return unquote_plus(str(value))

    def base64Encode(self, value: object) -> str:
        return base64.b64encode(str(value).encode()).decode()

    def base64Decode(self, value: object) -> str:
        try:
            return base64.b64decode(str(value)).decode("utf-8", errors="replace")
        except ValueError as exc:
            raise TemplateFailed(f"$util.base64Decode: not base64: {exc}") from exc


def _unescape_unicode(match: re.Match[str]) -> str:
    return chr(int(match.group(1), 16))


class _SingleQuoted(airspeed.StringLiteral):  # type: ignore[misc]
    r"""A 'literal' as Velocity 1.7 reads it: every character as written, `''` for a quote.

    airspeed reads backslash escapes in literals (its `'\\'` is one backslash, its `'\d'`
    does not parse); Velocity has none, and templates rely on that: in
    `.replaceAll("\\'", "'")` Java's regex must see `\\'` (a backslash, then a quote)."""

    STRING = re.compile(r"'((?:[^']|'')*)'", re.S)

    def parse(self) -> None:
        (raw,) = self.identity_match(self.STRING)
        self.value = raw.replace("''", "'")


class _DoubleQuoted(airspeed.InterpolatedStringLiteral):  # type: ignore[misc]
    r"""A "literal" as Velocity 1.7 reads it: `\uXXXX` is the only escape, `""` a quote,
    and it is rendered as a template only when it holds a `$` or `#` (so a trailing
    backslash stays)."""

    STRING = re.compile(r'"((?:[^"]|"")*)"', re.S)
    UNICODE = re.compile(r"\\u([0-9a-fA-F]{4})")

    def parse(self) -> None:
        (raw,) = self.identity_match(self.STRING)
        self.value = self.UNICODE.sub(_unescape_unicode, raw).replace('""', '"')
        interpolated = "$" in raw or "#" in raw
        self.block = airspeed.Block(self.filename, self.value, 0) if interpolated else None

    def calculate(self, namespace: Any, loader: Any) -> Any:
        if self.block is None:
            return self.value
        return super().calculate(namespace, loader)


# airspeed's grammar looks its literal classes up by module name, so Velocity's rules go in
# there (airspeed is ours alone: nothing else in the process renders with it).
airspeed.StringLiteral = _SingleQuoted
airspeed.InterpolatedStringLiteral = _DoubleQuoted


@functools.lru_cache(maxsize=512)
def _compiled(text: str) -> Any:
    template = airspeed.Template(text)
    try:
        template.ensure_compiled()
    except airspeed.TemplateSyntaxError as exc:
        raise TemplateFailed(f"the mapping template cannot be read: {exc}") from exc
    return template


def render(
    text: str,
    *,
    body: str,
    params: Mapping[str, Mapping[str, str]],
    context: dict[str, Any],
    stage_variables: Mapping[str, str],
) -> str:
    """The template rendered; `context` gains what the template set in its overrides."""
    template = _compiled(text)
    namespace = {
        "input": Input(body, params),
        "util": Util(),
        "context": context,
        "stageVariables": JavaMap({k: JavaString(v) for k, v in stage_variables.items()}),
    }
    try:
        return str(template.merge(namespace))
    except airspeed.TemplateError as exc:
        cause = exc.__cause__
        if isinstance(cause, TemplateFailed):
            raise cause from None
        raise TemplateFailed(f"the mapping template failed: {exc}") from exc


def overrides(context: Mapping[str, Any], which: str) -> Iterator[tuple[str, Any]]:
    """The (name, value) pairs a template set under `$context.<which>` (e.g.
    responseOverride: `status`, `header.X`)."""
    found = context.get(which) or {}
    for name, value in found.items():
        if isinstance(value, dict):
            for inner, inner_value in value.items():
                yield f"{name}.{inner}", plain(inner_value)
        else:
            yield name, plain(value)
