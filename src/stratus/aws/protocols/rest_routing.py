"""Which operation a REST request (rest-json, rest-xml) is for, from the model's `requestUri`
templates, matched the way AWS matches them:

    /2015-03-31/functions/{FunctionName}/invocations     {Name} is one path segment
    /{Bucket}/{Key+}                                      {Name+} takes the rest of the path
    /2018-10-31/layers?find=LayerVersion                  query literals must be present too

A request matches a template when every segment matches (labels are percent-decoded after
matching, so an encoded `/` stays inside its label). Among the matches, the template with the
most literal segments wins, then the one with the most query literals (ListLayers and
GetLayerVersionByArn share a path; only the latter needs `?find=LayerVersion`), then a
template without a greedy label. A trailing `/` is ignored, as AWS's front ends do.

Templates are indexed by method and segment count, so a request tries only the few that
could match; the Lambda API's Invoke tries about eight.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RouteMatch:
    operation: str
    labels: dict[str, str]


@dataclass(frozen=True, slots=True)
class _Template:
    operation: str
    # Per segment: a literal, or a label name (wrapped in braces; greedy with a trailing +).
    segments: tuple[str, ...]
    query: tuple[tuple[str, str], ...]
    greedy: bool

    @property
    def rank(self) -> tuple[int, int, int]:
        literals = sum(1 for s in self.segments if not s.startswith("{"))
        return (-literals, -len(self.query), int(self.greedy))

    def match(self, segments: list[str], query: Mapping[str, str]) -> dict[str, str] | None:
        labels: dict[str, str] = {}
        for i, expected in enumerate(self.segments):
            if expected.startswith("{"):
                if expected.endswith("+}"):
                    labels[expected[1:-2]] = urllib.parse.unquote("/".join(segments[i:]))
                    break
                if not segments[i]:
                    return None
                labels[expected[1:-1]] = urllib.parse.unquote(segments[i])
            elif segments[i] != expected:
                return None
        for key, value in self.query:
            if query.get(key) != value:
                return None
        return labels


class Router:
    """Operation names by (method, request URI template)."""

    def __init__(self, routes: Iterable[tuple[str, str, str]]) -> None:
        """`routes`: (operation, HTTP method, requestUri template) for every operation."""
        self._exact: dict[tuple[str, int], list[_Template]] = {}
        self._greedy: dict[str, list[_Template]] = {}
        for operation, method, uri in routes:
            template = _parse(operation, uri)
            if template.greedy:
                self._greedy.setdefault(method, []).append(template)
            else:
                key = (method, len(template.segments))
                self._exact.setdefault(key, []).append(template)
        for templates in (*self._exact.values(), *self._greedy.values()):
            templates.sort(key=lambda t: t.rank)

    def match(self, method: str, raw_path: str, query: Mapping[str, str]) -> RouteMatch | None:
        """The operation for a request; `raw_path` still percent-encoded."""
        segments = _segments(raw_path)
        for template in self._exact.get((method, len(segments)), ()):
            labels = template.match(segments, query)
            if labels is not None:
                return RouteMatch(template.operation, labels)
        best: _Template | None = None
        found: dict[str, str] | None = None
        for template in self._greedy.get(method, ()):
            if len(segments) >= len(template.segments):
                labels = template.match(segments, query)
                if labels is not None and (best is None or template.rank < best.rank):
                    best, found = template, labels
        return None if best is None or found is None else RouteMatch(best.operation, found)


def _segments(path: str) -> list[str]:
    trimmed = path.strip("/")
    return trimmed.split("/") if trimmed else []


def _parse(operation: str, uri: str) -> _Template:
    path, _, query = uri.partition("?")
    segments = tuple(_segments(path))
    literals = tuple(
        (key, value) for key, value in urllib.parse.parse_qsl(query, keep_blank_values=True)
    )
    greedy = bool(segments) and segments[-1].endswith("+}")
    return _Template(operation, segments, literals, greedy)
