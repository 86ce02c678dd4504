"""AWS::Include: template snippets pulled in from artifact storage before any other transform.

    Properties:                          Resources:
      Fn::Transform:                       Bucket: {...}
        Name: AWS::Include                 Fn::Transform: {Name: AWS::Include, Parameters: ...}
        Parameters:
          Location: s3://stratus-artifacts/snippet.yaml

`Fn::Transform` alone in a mapping is replaced by the snippet; beside other keys, the snippet
(a mapping) is merged into them. At the top level, `Transform: {Name: AWS::Include, ...}` (or
such an item of a Transform list) merges the snippet's sections into the template. Snippets are
JSON or YAML with short tags, and may include further snippets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from stratus.errors import Invalid, StratusError

from . import loader

INCLUDE = "AWS::Include"
MAX_SNIPPET_BYTES = 1024 * 1024  # a template's limit read from S3, as CloudFormation's
_MAX_DEPTH = 8  # snippets including snippets; a loop would recurse forever

Read = Callable[[str], bytes]


def expand_includes(template: dict[str, Any], read: Read) -> dict[str, Any]:
    """The template with every AWS::Include replaced by its snippet."""
    top = template.get("Transform")
    has_include = _mentions(template) or any(_is_include(t) for t in _items(top))
    template = _top_level(template, read)
    template = _expand(template, read, 0, "")
    if has_include:
        loader.check_shape(template, allow_include=False)
    return template


def _mentions(value: Any) -> bool:
    if isinstance(value, dict):
        return "Fn::Transform" in value or any(_mentions(v) for v in value.values())
    if isinstance(value, list):
        return any(_mentions(v) for v in value)
    return False


def _is_include(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get("Name") == INCLUDE


def _items(transform: Any) -> list[Any]:
    return transform if isinstance(transform, list) else [transform]


def _top_level(template: dict[str, Any], read: Read) -> dict[str, Any]:
    declared = template.get("Transform")
    items = _items(declared)
    includes = [t for t in items if _is_include(t)]
    if not includes:
        return template
    result = {k: v for k, v in template.items() if k != "Transform"}
    rest = [t for t in items if t is not None and not _is_include(t)]
    if rest:
        result["Transform"] = rest if isinstance(declared, list) else rest[0]
    for include in includes:
        snippet = _snippet(include, read, "Transform")
        if not isinstance(snippet, dict):
            raise Invalid(
                "Transform AWS::Include failed with: a top-level snippet must be a mapping of "
                "template sections"
            )
        for section, content in snippet.items():
            if isinstance(content, dict) and isinstance(result.get(section), dict):
                result[section] = {**result[section], **content}
            else:
                result[section] = content
    return result


def _expand(value: Any, read: Read, depth: int, where: str) -> Any:
    if isinstance(value, list):
        return [_expand(item, read, depth, f"{where}/{i}") for i, item in enumerate(value)]
    if not isinstance(value, dict):
        return value
    if "Fn::Transform" in value:
        if depth >= _MAX_DEPTH:
            raise Invalid(
                f"Transform AWS::Include failed with: snippets nest more than {_MAX_DEPTH} deep "
                f"(at {where}); does a snippet include itself?"
            )
        snippet = _expand(_snippet(value["Fn::Transform"], read, where), read, depth + 1, where)
        rest = {k: v for k, v in value.items() if k != "Fn::Transform"}
        if not rest:
            return snippet
        if not isinstance(snippet, dict):
            raise Invalid(
                f"Transform AWS::Include failed with: the snippet at {where} sits beside other "
                "keys, so it must be a mapping"
            )
        value = {**rest, **snippet}
    return {k: _expand(v, read, depth, f"{where}/{k}" if where else k) for k, v in value.items()}


def _snippet(transform: Any, read: Read, where: str) -> Any:
    name = transform.get("Name") if isinstance(transform, Mapping) else None
    if name != INCLUDE:
        raise Invalid(
            f"Template error: transform {name} is not supported (at {where}); Stratus expands "
            "AWS::Include in Fn::Transform (macros are not supported)"
        )
    parameters = transform.get("Parameters")
    location = parameters.get("Location") if isinstance(parameters, Mapping) else None
    if not isinstance(location, str) or not location:
        raise Invalid(
            f"Transform AWS::Include failed with: Parameters.Location must be the snippet's "
            f"s3:// location (at {where})"
        )
    try:
        body = read(location)
    except (StratusError, OSError, KeyError, ValueError) as exc:
        detail = getattr(exc, "message", None) or str(exc)
        raise Invalid(
            f"Transform AWS::Include failed with: cannot read {location} (at {where}): "
            f"{detail.rstrip('.')}. "
            "Upload the snippet first (`stratus package` uploads local Locations)"
        ) from exc
    try:
        return loader.parse(body.decode("utf-8-sig"))
    except (Invalid, UnicodeDecodeError) as exc:
        detail = getattr(exc, "message", None) or str(exc)
        raise Invalid(f"Transform AWS::Include failed with: snippet {location}: {detail}") from exc
