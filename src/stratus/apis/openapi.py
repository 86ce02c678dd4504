"""OpenAPI documents as API Gateway reads them: what HTTP APIs (http/openapi.py) and REST APIs
(rest/openapi.py) share before each reads the document its own way.

- `load_document`: a dict (CloudFormation's `Body`), or JSON or YAML text (ImportApi,
  ImportRestApi, PutRestApi), UTF-8 only.
- `Document.resolve`: local `$ref`s (`#/a/b`, JSON pointers with `~1` and `~0`), followed
  through chains; a reference to another file, to nothing, or round in a circle is an error.
- `Document.base_path` and `path_prefix`: the base path (Swagger 2's `basePath`; in OpenAPI 3
  the first `basePath` server variable, else the first server URL's path) and what the
  `basepath` import parameter makes of it: ignore, prepend, or split (drop its first
  segment, taken to be a stage name) ("Set the OpenAPI basePath property").
- `substitute`: `${AWS::Region}`, `${AWS::AccountId}`, `${AWS::Partition}` ("AWS variables
  for OpenAPI import"; HTTP APIs substitute them, REST API imports keep the text).

Every error is BadRequestException "Invalid OpenAPI input: ..." naming the place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import orjson
import yaml

from stratus.errors import Invalid

BASE_PATH_MODES = ("ignore", "prepend", "split")
_AWS_VARIABLE = re.compile(r"\$\{(AWS::(?:Region|AccountId|Partition))\}")


class InvalidDocument(Invalid):
    def __init__(self, message: str) -> None:
        super().__init__(f"Invalid OpenAPI input: {message}")


def load_document(body: str | bytes | Mapping[str, Any], *, expected: str) -> dict[str, Any]:
    """The document as a dict; `expected` names what the caller reads (for the message)."""
    if isinstance(body, Mapping):
        document: object = dict(body)
    else:
        try:
            text = body.decode() if isinstance(body, bytes) else body
        except UnicodeDecodeError as exc:
            raise InvalidDocument("the body is not UTF-8 text") from exc
        try:
            document = orjson.loads(text)
        except orjson.JSONDecodeError:
            try:
                document = yaml.safe_load(text)
            except yaml.YAMLError as exc:
                problem = str(exc).replace("\n", " ")
                raise InvalidDocument(f"the body is neither JSON nor YAML ({problem})") from exc
    if not isinstance(document, dict):
        raise InvalidDocument(f"the document must be a JSON or YAML object; give {expected}")
    return document


def titled(body: Any, title: object) -> Any:
    """The document with `info.title` set to `title` (when there is one): a template's Name
    names an imported API, so SAM's Body with an empty `info` imports once the Name is applied,
    as on AWS."""
    if not title:
        return body
    document = load_document(body, expected="an OpenAPI document")
    info = document.get("info")
    document["info"] = {**(info if isinstance(info, dict) else {}), "title": str(title)}
    return document


def check_basepath(mode: str | None) -> str:
    """The `basepath` import parameter (None: ignore)."""
    mode = mode or "ignore"
    if mode not in BASE_PATH_MODES:
        raise Invalid(f"Invalid basepath {mode!r}: use ignore, prepend or split")
    return mode


def mapping(value: object, where: str, *, required: bool = False) -> dict[str, Any]:
    """`value` as an object; None is an empty one unless `required`."""
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise InvalidDocument(f"{where} must be an object")
    return value


def substitute(text: str, variables: Mapping[str, str]) -> str:
    """`text` with `${AWS::Region}`-style variables replaced from `variables`."""
    return _AWS_VARIABLE.sub(lambda m: variables[m.group(1)], text)


class Document:
    """One document being read."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc

    def at(self, *keys: str) -> Any:
        """What the keys lead to, or None where one is missing."""
        found: Any = self.doc
        for key in keys:
            found = found.get(key) if isinstance(found, dict) else None
        return found

    def resolve(self, node: object, where: str) -> Any:
        """`node`, or what its local `$ref` names, followed through."""
        seen: set[str] = set()
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#/"):
                raise InvalidDocument(
                    f"{where}: cannot follow $ref {ref!r}: only references inside the document "
                    "(#/...) are supported"
                )
            if ref in seen:
                raise InvalidDocument(f"{where}: circular $ref {ref!r}")
            seen.add(ref)
            node = self.doc
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(node, dict) or part not in node:
                    raise InvalidDocument(
                        f"{where} refers to {ref}, which the document does not define "
                        "(the $ref points at nothing)"
                    )
                node = node[part]
        return node

    def base_path(self) -> str:
        """The document's base path, `/a/b` or empty."""
        if "swagger" in self.doc:
            return _clean(str(self.doc.get("basePath") or ""))
        raw = self.doc.get("servers")
        servers = [s for s in raw if isinstance(s, dict)] if isinstance(raw, list) else []
        for server in servers:
            variables = server.get("variables")
            if isinstance(variables, dict) and isinstance(variables.get("basePath"), dict):
                return _clean(str(variables["basePath"].get("default", "")))
        for server in servers:
            url, variables = server.get("url"), server.get("variables")
            if not isinstance(url, str):
                continue
            for name, variable in (variables if isinstance(variables, dict) else {}).items():
                if isinstance(variable, dict):
                    url = url.replace(f"{{{name}}}", str(variable.get("default", "")))
            path = _clean(urlsplit(url).path)
            if path:
                return path
        return ""

    def path_prefix(self, mode: str) -> str:
        """What goes before every path for basepath `mode` (see check_basepath)."""
        if mode == "prepend":
            return self.base_path()
        if mode == "split":  # the first segment is taken as a stage name: drop it
            return _clean("/".join(self.base_path().split("/")[2:]))
        return ""


def _clean(path: str) -> str:
    parts = [p for p in path.split("/") if p]
    return "/" + "/".join(parts) if parts else ""
