"""Which resource and method of a REST API a request reaches (API Gateway v1's rules).

A resource's path is a chain of path parts from the root "/":

    /pets/dog        literals match themselves (case-sensitive, on the raw path)
    /pets/{id}       a variable matches exactly one non-empty segment
    /{proxy+}        a greedy variable, last only, matches one or more segments

`match_resource(resources, method, path)` considers the resources that have the request's
method or `ANY`, and picks the most specific: segment by segment from the left, a literal
beats a variable, a variable beats a greedy one (a resource has at most one variable child,
so this is the tree walk with backtracking: `/pets/dog` before `/pets/{id}`, `/pets/{id}/toys`
before `/{proxy+}`); on that resource the exact method beats `ANY`. Assumptions where AWS's
documentation is silent:

- a resource that matches the path but has neither the method nor ANY does not take the
  request, so a less specific one (typically `/{proxy+}` ANY) may;
- the root is matched by "/" only: `/{proxy+}` needs at least one segment, as on AWS.

As AWS does (its recorded events, e.g. LocalStack's snapshot tests against AWS): trailing
slashes are ignored (`/pets/` is `/pets`, `/a/b/` gives `{proxy+}` the value `a/b`), and so
are slashes repeated after the stage (`/prod//pets` reaches `/pets`, as users of AWS report),
and variable values are passed as the client wrote them, still percent-encoded (`a%2Bb`
stays `a%2Bb`; REST APIs, unlike HTTP APIs, do not decode path parameters). None is API
Gateway's 403 "Missing Authentication Token". Pure logic: no I/O.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import NamedTuple

from .model import Method, Resource

ANY = "ANY"
_LITERAL, _VARIABLE, _GREEDY = 0, 1, 2


class ResourceMatch(NamedTuple):
    resource: Resource
    method: Method
    path_parameters: Mapping[str, str]


@functools.lru_cache(maxsize=4096)
def _pattern(path: str) -> tuple[tuple[int, str], ...]:
    """A resource path as (kind, literal or variable name) per segment."""
    parts: list[tuple[int, str]] = []
    for part in [] if path == "/" else path[1:].split("/"):
        if part.startswith("{") and part.endswith("+}"):
            parts.append((_GREEDY, part[1:-2]))
        elif part.startswith("{") and part.endswith("}"):
            parts.append((_VARIABLE, part[1:-1]))
        else:
            parts.append((_LITERAL, part))
    return tuple(parts)


def match_resource(resources: Iterable[Resource], method: str, path: str) -> ResourceMatch | None:
    """The resource and method API Gateway would pick for `method path`, or None."""
    # Leading and trailing slashes are ignored: `{stage}//pets` (a base URL ending in "/"
    # plus "/pets") is `/pets`.
    path = path.strip("/")
    segments = path.split("/") if path else []
    best: tuple[tuple[int, ...], ResourceMatch] | None = None
    for resource in resources:
        methods = resource.resourceMethods
        if not methods:
            continue
        chosen = methods.get(method) or methods.get(ANY)
        if chosen is None:
            continue
        pattern = _pattern(resource.path)
        params = _bind(pattern, segments)
        if params is None:
            continue
        # Segment kinds from the left; the method only tells equal paths apart.
        rank = (*(kind for kind, _ in pattern), chosen.httpMethod == ANY)
        if best is None or rank < best[0]:
            best = (rank, ResourceMatch(resource, chosen, params))
    return best[1] if best else None


def _bind(pattern: tuple[tuple[int, str], ...], segments: list[str]) -> dict[str, str] | None:
    greedy = bool(pattern) and pattern[-1][0] == _GREEDY
    fixed = pattern[:-1] if greedy else pattern
    if len(segments) < len(fixed) + greedy or (not greedy and len(segments) != len(fixed)):
        return None
    params: dict[str, str] = {}
    for (kind, text), segment in zip(fixed, segments, strict=False):
        if kind == _LITERAL:
            if segment != text:
                return None
        elif not segment:
            return None
        else:
            params[text] = segment
    if greedy:
        rest = segments[len(fixed) :]
        if not any(rest):
            return None
        params[pattern[-1][1]] = "/".join(rest)
    return params


# match_kept's answers: (the resources they were found in, the answer), by the resources'
# identity, the method and the path. The entry keeps its tuple alive, so the id is not reused
# while it is kept; clients choose the paths, so the entries are bounded.
_KEPT: dict[tuple[int, str, str], tuple[tuple[Resource, ...], ResourceMatch | None]] = {}
_KEPT_LIMIT = 1024


def match_kept(resources: tuple[Resource, ...], method: str, path: str) -> ResourceMatch | None:
    """match_resource's answer, kept per resources tuple (a deployed stage's tuple serves
    every request to it: the gateway matches each request's path once, not per request).
    The kept path parameters are read-only, since every later request shares them."""
    key = (id(resources), method, path)
    kept = _KEPT.get(key)
    if kept is not None and kept[0] is resources:
        return kept[1]
    found = match_resource(resources, method, path)
    if found is not None:
        found = found._replace(path_parameters=MappingProxyType(dict(found.path_parameters)))
    if len(_KEPT) >= _KEPT_LIMIT:
        _KEPT.clear()
    _KEPT[key] = (resources, found)
    return found
