"""Which operation a REST request (rest-json, rest-xml) is for, from the model's `requestUri`
templates, matched the way AWS matches them:

    /2015-03-31/functions/{FunctionName}/invocations     {Name} is one path segment
    /{Bucket}/{Key+}                                      {Name+} takes the rest of the path
    /2018-10-31/layers?find=LayerVersion                  query literals must be present too

A request matches a template when every segment matches (labels are percent-decoded after
matching, so an encoded `/` stays inside its label). Among the matches, the template with the
most literal segments wins, then the one with the most query literals (ListLayers and
GetLayerVersionByArn share a path; only the latter needs `?find=LayerVersion`), then the one
needing the most (operations sharing a method and URI are told apart by their required
header and query members: S3's CopyObject is a PUT /{Bucket}/{Key+} with x-amz-copy-source,
UploadPart one with ?partNumber=&uploadId=), then a template without a greedy label. A
deprecated operation yields its address to its successor. A trailing `/` is ignored, as
AWS's front ends do, except by a greedy label, which takes it (S3's key "photos/" is not
"photos").

Templates are indexed by method and segment count, so a request tries only the few that
could match; the Lambda API's Invoke tries about eight.
"""

from __future__ import annotations

import urllib.parse
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from botocore.model import OperationModel, ServiceModel, StructureShape
from starlette.types import Scope

# What a template needs present besides its path: (lower-case header names, query keys).
Needs = tuple[tuple[str, ...], tuple[str, ...]]


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
    needs: Needs = ((), ())

    @property
    def rank(self) -> tuple[int, int, int, int]:
        literals = sum(1 for s in self.segments if not s.startswith("{"))
        needed = len(self.needs[0]) + len(self.needs[1])
        return (-literals, -len(self.query), -needed, int(self.greedy))

    def match(
        self, segments: list[str], query: Mapping[str, str], headers: Mapping[str, str]
    ) -> dict[str, str] | None:
        labels: dict[str, str] = {}
        for i, expected in enumerate(self.segments):
            if expected.startswith("{"):
                if expected.endswith("+}"):
                    rest = "/".join(segments[i:])
                    if not rest:
                        return None
                    labels[expected[1:-2]] = urllib.parse.unquote(rest)
                    break
                if not segments[i]:
                    return None
                labels[expected[1:-1]] = urllib.parse.unquote(segments[i])
            elif segments[i] != expected:
                return None
        for key, value in self.query:
            if query.get(key) != value:
                return None
        header_names, query_keys = self.needs
        if any(n not in headers for n in header_names) or any(k not in query for k in query_keys):
            return None
        return labels


class Router:
    """Operation names by (method, request URI template)."""

    def __init__(
        self, routes: Iterable[tuple[str, str, str]], needs: Mapping[str, Needs] | None = None
    ) -> None:
        """`routes`: (operation, HTTP method, requestUri template) for every operation;
        `needs`: for operations that share their method and URI with another, the headers
        and query keys that tell them apart."""
        self._exact: dict[tuple[str, int], list[_Template]] = {}
        self._greedy: dict[str, list[_Template]] = {}
        # Whether a request's headers can change which operation it is.
        self.reads_headers = any(headers for headers, _ in (needs or {}).values())
        for operation, method, uri in routes:
            template = _parse(operation, uri, (needs or {}).get(operation, ((), ())))
            if template.greedy:
                self._greedy.setdefault(method, []).append(template)
            else:
                key = (method, len(template.segments))
                self._exact.setdefault(key, []).append(template)
        for templates in (*self._exact.values(), *self._greedy.values()):
            templates.sort(key=lambda t: t.rank)

    @classmethod
    def for_model(cls, model: ServiceModel) -> Router:
        """The router of every operation of a REST API's model."""
        operations = [model.operation_model(name) for name in model.operation_names]
        current = {_address(op) for op in operations if op.http and not op.deprecated}
        served = [
            op for op in operations if op.http and not (op.deprecated and _address(op) in current)
        ]
        shared = Counter(_address(op) for op in served)
        return cls(
            ((op.name, *_address(op)) for op in served),
            {op.name: _needs(op) for op in served if shared[_address(op)] > 1},
        )

    def match(
        self,
        method: str,
        raw_path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str] | None = None,
    ) -> RouteMatch | None:
        """The operation for a request; `raw_path` still percent-encoded, `headers` looked
        up by lower-case name (Starlette's Headers)."""
        headers = headers if headers is not None else {}
        segments = _segments(raw_path)
        for template in self._exact.get((method, len(segments)), ()):
            labels = template.match(segments, query, headers)
            if labels is not None:
                return RouteMatch(template.operation, labels)
        whole = raw_path.removeprefix("/").split("/")  # a greedy label keeps a trailing /
        best: _Template | None = None
        found: dict[str, str] | None = None
        for template in self._greedy.get(method, ()):
            if len(whole) >= len(template.segments):
                labels = template.match(whole, query, headers)
                if labels is not None and (best is None or template.rank < best.rank):
                    best, found = template, labels
        return None if best is None or found is None else RouteMatch(best.operation, found)


def _segments(path: str) -> list[str]:
    # One trailing "/" is not a segment (`/bucket/` is the bucket), but more are: S3's key
    # "/" is `/bucket//`, which must not read as the bucket.
    trimmed = path.removeprefix("/").removesuffix("/")
    return trimmed.split("/") if trimmed else []


def _address(operation: OperationModel) -> tuple[str, str]:
    return operation.http["method"], operation.http["requestUri"]


def _needs(operation: OperationModel) -> Needs:
    """The required header and query members of an operation, by wire name."""
    shape = operation.input_shape
    if not isinstance(shape, StructureShape):
        return (), ()
    required = [(n, shape.members[n].serialization) for n in shape.required_members]
    headers = tuple(s.get("name", n).lower() for n, s in required if s.get("location") == "header")
    keys = tuple(s.get("name", n) for n, s in required if s.get("location") == "querystring")
    return headers, keys


def _parse(operation: str, uri: str, needs: Needs = ((), ())) -> _Template:
    path, _, query = uri.partition("?")
    segments = tuple(_segments(path))
    literals = tuple(
        (key, value) for key, value in urllib.parse.parse_qsl(query, keep_blank_values=True)
    )
    greedy = bool(segments) and segments[-1].endswith("+}")
    return _Template(operation, segments, literals, greedy, needs)


def raw_path(scope: Scope) -> str:
    """The request's path as sent (percent-encoded), which routing matches."""
    raw = scope.get("raw_path")
    return raw.decode("latin-1").partition("?")[0] if raw else str(scope["path"])


def query_of(scope: Scope) -> dict[str, list[str]]:
    """The request's query parameters, each with all its values in order."""
    raw: bytes = scope.get("query_string", b"")
    return urllib.parse.parse_qs(raw.decode("latin-1"), keep_blank_values=True) if raw else {}
