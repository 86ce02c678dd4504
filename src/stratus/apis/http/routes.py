"""Route keys and route selection, as API Gateway HTTP APIs do it.

A route key is `"<METHOD> <path>"` or `"$default"`:

    GET /pets/{id}        a path variable matches exactly one non-empty segment
    ANY /pets/{proxy+}    a greedy variable, last only, matches one or more segments
    $default              the catch-all, chosen only when nothing else matches

Selection (AWS, "Routing API requests"): the most specific match wins,
1. a full match of route and method, 2. a match with a greedy path variable, 3. `$default`.
Within those tiers we order (AWS does not spell these out; they follow its examples):

- a non-greedy route: compare segments left to right, a literal beats a variable
  (`GET /pets/dog/1` over `GET /pets/dog/{id}`);
- a greedy route: the longer prefix before the greedy variable first, then as above;
- for the same path, an explicit method beats `ANY` (ANY "matches all methods that you
  haven't defined for a resource").

Matching is case-sensitive and done on the raw (still percent-encoded) path; the values of
path variables are percent-decoded, since API Gateway decodes URL-encoded parameters before
passing them on. Pure logic: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from stratus.errors import Validation

DEFAULT = "$default"
ANY = "ANY"
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", ANY})
_VARIABLE = re.compile(r"\{([A-Za-z0-9._:-]+)(\+?)\}")


@dataclass(frozen=True, slots=True)
class Segment:
    """One `/`-separated part of a route path: a literal, or a (greedy) variable."""

    text: str  # the literal, or the variable's name
    variable: bool = False
    greedy: bool = False


@dataclass(frozen=True, slots=True)
class RouteKey:
    """A parsed route key. `method` and `segments` are empty for `$default`."""

    key: str
    method: str = ""
    segments: tuple[Segment, ...] = ()

    @property
    def is_default(self) -> bool:
        return self.key == DEFAULT

    @property
    def greedy(self) -> bool:
        return bool(self.segments) and self.segments[-1].greedy

    @property
    def path(self) -> str:
        """The resource path as written (`/pets/{id}`); `$default` for the default route."""
        return self.key.split(" ", 1)[1] if self.method else self.key

    @classmethod
    def parse(cls, key: str) -> RouteKey:
        if key == DEFAULT:
            return cls(key)
        method, _, path = key.partition(" ")
        if method not in METHODS or not path.startswith("/"):
            raise Validation(
                f"Invalid route key {key!r}: write '<METHOD> /path' (e.g. 'GET /pets/{{id}}') "
                f"with METHOD one of {', '.join(sorted(METHODS))}, or '$default'"
            )
        segments = () if path == "/" else tuple(_segment(key, s) for s in path[1:].split("/"))
        if any(s.greedy for s in segments[:-1]):
            raise Validation(f"Invalid route key {key!r}: a greedy variable must come last")
        names = [s.text for s in segments if s.variable]
        if len(names) != len(set(names)):
            raise Validation(f"Invalid route key {key!r}: a path variable is named twice")
        return cls(key, method, segments)


def _segment(key: str, text: str) -> Segment:
    if not text:
        raise Validation(f"Invalid route key {key!r}: empty path segment")
    found = _VARIABLE.fullmatch(text)
    if found:
        return Segment(found.group(1), variable=True, greedy=bool(found.group(2)))
    if "{" in text or "}" in text:
        raise Validation(f"Invalid route key {key!r}: {text!r} is not '{{name}}' or '{{name+}}'")
    return Segment(text)


@dataclass(frozen=True, slots=True)
class Match:
    route: RouteKey
    path_parameters: Mapping[str, str]


def match_route(routes: Iterable[RouteKey], method: str, path: str) -> Match | None:
    """The route API Gateway would pick for `method path`, or None (HTTP APIs: 404)."""
    parts = [] if path in ("", "/") else path.removeprefix("/").split("/")
    best: tuple[tuple[object, ...], Match] | None = None
    default: RouteKey | None = None
    for route in routes:
        if route.is_default:
            default = route
            continue
        if route.method not in (method, ANY):
            continue
        params = _bind(route.segments, parts)
        if params is None:
            continue
        rank = _rank(route)
        if best is None or rank < best[0]:
            best = (rank, Match(route, params))
    if best is not None:
        return best[1]
    return Match(default, {}) if default is not None else None


def _bind(segments: tuple[Segment, ...], parts: list[str]) -> dict[str, str] | None:
    """Path variables bound by matching `parts` against `segments`, or None."""
    greedy = bool(segments) and segments[-1].greedy
    fixed = segments[:-1] if greedy else segments
    if len(parts) < len(fixed) + greedy or (not greedy and len(parts) != len(fixed)):
        return None
    params: dict[str, str] = {}
    for segment, part in zip(fixed, parts, strict=False):
        if not segment.variable:
            if part != segment.text:
                return None
        elif not part:
            return None
        else:
            params[segment.text] = unquote(part)
    if greedy:
        rest = parts[len(fixed) :]
        if not any(rest):
            return None
        params[segments[-1].text] = unquote("/".join(rest))
    return params


def _rank(route: RouteKey) -> tuple[object, ...]:
    """Smaller is more specific."""
    greedy = route.greedy
    prefix = route.segments[:-1] if greedy else route.segments
    return (
        greedy,
        -len(prefix) if greedy else 0,
        tuple(s.variable for s in prefix),
        route.method == ANY,
    )
