"""Template text (JSON or YAML) to a plain dict, the way CloudFormation reads it.

- JSON first, then YAML, as CloudFormation validates: a body that starts with `{` and is not
  JSON (nor YAML) is reported as a JSON error, anything else as a YAML error.
- YAML short tags become the long form: `!Ref X` -> `{"Ref": "X"}`, `!Condition C` ->
  `{"Condition": "C"}`, `!GetAtt A.B.C` -> `{"Fn::GetAtt": ["A", "B.C"]}`, every other `!Name v`
  -> `{"Fn::Name": v}` (unknown ones are reported by the evaluator, which knows where they are).
- YAML 1.1 like CloudFormation: `yes/no/on/off` are booleans and `010` is octal (CloudFormation
  does the same; quote them to keep strings), but timestamps stay strings, so
  `AWSTemplateFormatVersion: 2010-09-09` works unquoted. Mapping keys are always strings.
- Duplicate keys are an error, as CloudFormation has them. A client reading a local file
  passes `on_duplicate` to read it as `sam deploy` does instead: PyYAML (and json.loads)
  keep the last one, and SAM CLI sends CloudFormation the template re-dumped, so the
  duplicate never reaches it. Aliases are expanded, as `sam deploy` /
  `aws cloudformation package` do client-side, with a size guard.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from stratus.errors import Invalid

SECTIONS = (
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Rules",
    "Mappings",
    "Conditions",
    "Transform",
    "Resources",
    "Outputs",
    "Hooks",
    "Globals",  # SAM's; the SAM transform folds it into the resources
)
_UNPREFIXED = ("Ref", "Condition")
_MAX_NODES = 250_000  # aliases can nest into a "billion laughs"; no real template is near this

if TYPE_CHECKING:
    _BaseLoader = yaml.SafeLoader
else:  # libyaml's loader where PyYAML was built with it: same interface, several times faster
    _BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class DuplicateKey:
    """A key written twice in one mapping; lines and column are 1-based (None in JSON, whose
    reader does not say where)."""

    key: str
    line: int | None = None
    column: int | None = None
    first_line: int | None = None

    def describe(self) -> str:
        if self.line is None:
            return f"Duplicate key '{self.key}' in a JSON object"
        return (
            f"Duplicate key '{self.key}' (line {self.line}, column {self.column}; "
            f"first on line {self.first_line})"
        )


# Told of each duplicate key, which is then kept with its last value (SAM CLI's reading).
OnDuplicate = Callable[[DuplicateKey], None]


def load_template(text: str | bytes, *, on_duplicate: OnDuplicate | None = None) -> dict[str, Any]:
    """The template as a dict in long form; Invalid when it is not a template. A duplicate
    key is Invalid too, unless `on_duplicate` is given (see the module doc)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise Invalid(
                "Template format error: the template is not UTF-8 text "
                f"(byte {exc.start}); save it as UTF-8"
            ) from exc
    template: dict[str, Any] = parse(text, on_duplicate)  # check_shape proves the annotation
    check_shape(template)
    return template


def check_shape(template: Any, *, allow_include: bool = True) -> None:
    """The top level: a mapping of known sections with at least one resource.

    A top-level `Transform: {Name: AWS::Include}` may bring the Resources in, so with
    `allow_include` such a template is checked again after the include is expanded.
    """
    if not isinstance(template, dict):
        raise Invalid(
            "Template format error: the template must be a JSON object or a YAML mapping "
            "with a Resources section"
        )
    unknown = [key for key in template if key not in SECTIONS]
    if unknown:
        raise Invalid(
            "Template format error: Invalid template property or properties "
            f"[{', '.join(unknown)}]; "
            f"the top-level sections are {', '.join(SECTIONS)}"
        )
    if allow_include and _has_top_level_include(template.get("Transform")):
        return
    resources = template.get("Resources")
    if not resources:
        raise Invalid("Template format error: At least one Resources member must be defined.")
    if not isinstance(resources, dict):
        raise Invalid(
            "Template format error: Resources must be a mapping of logical ids to resources"
        )
    for logical_id, resource in resources.items():
        if str(logical_id).startswith("Fn::ForEach::"):
            continue  # AWS::LanguageExtensions' loop; the expanded resources are checked
        if allow_include and logical_id == "Fn::Transform":
            continue  # an AWS::Include merging resources in: checked again once expanded
        if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
            raise Invalid(
                f"Template format error: [/Resources/{logical_id}] Every Resources object must "
                "contain a Type member."
            )


def _has_top_level_include(transform: Any) -> bool:
    items = transform if isinstance(transform, list) else [transform]
    return any(isinstance(t, Mapping) and t.get("Name") == "AWS::Include" for t in items)


def parse(text: str, on_duplicate: OnDuplicate | None = None) -> Any:
    """Any JSON or YAML document (a template, or a snippet AWS::Include brings in)."""

    def json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        return _json_object(pairs, on_duplicate)

    try:
        return json.loads(text, object_pairs_hook=json_object)
    except json.JSONDecodeError as json_error:
        try:
            return _load_yaml(text, on_duplicate)
        except Invalid:
            if text.lstrip().startswith("{"):
                raise Invalid(
                    f"Template format error: JSON not well-formed. (line {json_error.lineno}, "
                    f"column {json_error.colno}): {json_error.msg}"
                ) from json_error
            raise


def _json_object(pairs: list[tuple[str, Any]], on_duplicate: OnDuplicate | None) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            if on_duplicate is None:
                raise Invalid(
                    "Template format error: JSON not well-formed. "
                    f"Duplicate key '{key}'; keep one of them"
                )
            on_duplicate(DuplicateKey(key))
        result[key] = value
    return result


def _load_yaml(text: str, on_duplicate: OnDuplicate | None = None) -> Any:
    loader = _Loader(text)
    loader.on_duplicate = on_duplicate
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        raise Invalid(_yaml_message(exc)) from exc
    except yaml.YAMLError as exc:
        raise Invalid(f"Template format error: YAML not well-formed. {exc}") from exc
    finally:
        loader.dispose()
    if "&" in text or "*" in text:
        _check_size(data)
    return data


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
    problem = exc.problem or exc.context or ""
    return f"Template format error: YAML not well-formed.{where}" + (
        f": {problem}" if problem else ""
    )


def _check_size(data: Any) -> None:
    count, stack = 0, [data]
    while stack:
        item = stack.pop()
        count += 1
        if count > _MAX_NODES:
            raise Invalid(
                "Template format error: YAML aliases expand to more than "
                f"{_MAX_NODES} values; write the repeated parts out"
            )
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


class _Loader(_BaseLoader):
    on_duplicate: OnDuplicate | None = None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: dict[str, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = _key(self.construct_object(key_node, deep=True))
            if key in seen:
                mark = key_node.start_mark
                duplicate = DuplicateKey(
                    key, mark.line + 1, mark.column + 1, seen[key].start_mark.line + 1
                )
                if self.on_duplicate is None:
                    raise Invalid(
                        "Template format error: YAML not well-formed. "
                        f"{duplicate.describe()}; keep one of them"
                    )
                self.on_duplicate(duplicate)  # the dict below keeps the last value
            seen[key] = key_node
        self.flatten_mapping(node)
        pairs = [
            (self.construct_object(k, deep=True), self.construct_object(v, deep=deep))
            for k, v in node.value
        ]
        mapping: dict[Hashable, Any] = {_key(k): v for k, v in pairs}
        return mapping

    def construct_tag(self, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
        name = tag_suffix if tag_suffix in _UNPREFIXED else f"Fn::{tag_suffix}"
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = self.construct_scalar(node)
            if name == "Fn::GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = self.construct_sequence(node, deep=True)
        else:  # YAML has no fourth kind of node
            assert isinstance(node, yaml.MappingNode)
            value = self.construct_mapping(node, deep=True)
        return {name: value}


def _key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, dict | list):
        raise Invalid("Template format error: YAML not well-formed. A mapping key must be a scalar")
    return str(key)


def _timestamp_as_string(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    return loader.construct_scalar(node)


def _short_tag(loader: _Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    return loader.construct_tag(suffix, node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_string)


def _mapping(loader: _Loader, node: yaml.MappingNode) -> dict[Hashable, Any]:
    return loader.construct_mapping(node)


_Loader.add_constructor("tag:yaml.org,2002:map", _mapping)
_Loader.add_multi_constructor("!", _short_tag)
