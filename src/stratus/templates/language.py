"""The AWS::LanguageExtensions transform: Fn::ForEach loops expanded, and DeletionPolicy /
UpdateReplacePolicy taken from parameters. Fn::Length and Fn::ToJsonString are intrinsics
(intrinsics.py) and resolve with the rest.

    Fn::ForEach::<Name>: [Identifier, Collection, {OutputKey: Fragment}]

repeats the fragment once per item of the collection (a list, or a Ref to a list parameter),
in any map of the template (Resources, Outputs, Conditions, properties), nested loops
included. In the copies, `${Identifier}` in the output key and `&{Identifier}` (the item
without its non-alphanumeric characters) become the item; so do `Ref: Identifier` and
`${Identifier}` within Fn::Sub. It runs before the SAM transform, as AWS runs the transforms
in the order the template lists them when LanguageExtensions comes first.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from stratus.errors import Invalid

FOR_EACH = "Fn::ForEach::"
_POLICIES = ("Delete", "Retain", "RetainExceptOnDelete", "Snapshot")
_NOT_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9]")


def expand(template: dict[str, Any], parameters: Mapping[str, Any]) -> dict[str, Any]:
    expanded: dict[str, Any] = _walk(copy.deepcopy(template), parameters, "")
    for logical_id, definition in (expanded.get("Resources") or {}).items():
        if isinstance(definition, dict):
            for policy in ("DeletionPolicy", "UpdateReplacePolicy"):
                if policy in definition:
                    definition[policy] = _policy(definition[policy], parameters, logical_id, policy)
    return expanded


def _walk(value: Any, parameters: Mapping[str, Any], where: str) -> Any:
    if isinstance(value, list):
        return [_walk(item, parameters, f"{where}/{i}") for i, item in enumerate(value)]
    if not isinstance(value, dict):
        return value
    result: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(key, str) and key.startswith(FOR_EACH):
            for out_key, fragment in _loop(key, item, parameters, f"{where}/{key}"):
                if out_key in result or out_key in value:
                    raise Invalid(
                        f"Template format error: {key} generates {out_key}, which already "
                        f"exists{_at(where)}"
                    )
                result[out_key] = fragment
            continue
        result[key] = _walk(item, parameters, f"{where}/{key}")
    return result


def _loop(
    key: str, arguments: Any, parameters: Mapping[str, Any], where: str
) -> list[tuple[str, Any]]:
    if not (isinstance(arguments, list) and len(arguments) == 3):
        raise Invalid(
            f"Template format error: {key} takes [Identifier, Collection, OutputTemplate]"
            f"{_at(where)}"
        )
    identifier, collection, output = arguments
    if not isinstance(identifier, str) or not identifier:
        raise Invalid(f"Template format error: {key}'s identifier must be a string{_at(where)}")
    items = _collection(collection, parameters, key, where)
    if not isinstance(output, dict):
        raise Invalid(f"Template format error: {key}'s output must be a map{_at(where)}")
    generated = []
    for item in items:
        for out_key, fragment in output.items():
            made = _substitute(fragment, identifier, item)
            made = _walk(made, parameters, where)  # nested loops see this item
            generated.append((_key(str(out_key), identifier, item), made))
    return generated


def _collection(value: Any, parameters: Mapping[str, Any], key: str, where: str) -> list[str]:
    if isinstance(value, dict) and set(value) == {"Ref"}:
        value = parameters.get(str(value["Ref"]))
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",")]
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise Invalid(
            f"Template format error: {key}'s collection must be a list of strings or a Ref to "
            f"a list parameter{_at(where)}"
        )
    return [str(v) for v in value]


def _key(template: str, identifier: str, item: str) -> str:
    return template.replace("${" + identifier + "}", item).replace(
        "&{" + identifier + "}", _NOT_ALPHANUMERIC.sub("", item)
    )


def _substitute(value: Any, identifier: str, item: str) -> Any:
    if isinstance(value, list):
        return [_substitute(v, identifier, item) for v in value]
    if not isinstance(value, dict):
        return value
    if value == {"Ref": identifier}:
        return item
    if set(value) == {"Fn::Sub"}:
        return {"Fn::Sub": _sub_argument(value["Fn::Sub"], identifier, item)}
    return {
        (_key(k, identifier, item) if isinstance(k, str) else k): _substitute(v, identifier, item)
        for k, v in value.items()
    }


def _sub_argument(argument: Any, identifier: str, item: str) -> Any:
    if isinstance(argument, str):
        return _key(argument, identifier, item)
    if isinstance(argument, list) and argument and isinstance(argument[0], str):
        rest = [_substitute(v, identifier, item) for v in argument[1:]]
        return [_key(argument[0], identifier, item), *rest]
    return _substitute(argument, identifier, item)


def _policy(value: Any, parameters: Mapping[str, Any], logical_id: str, name: str) -> str:
    if isinstance(value, dict) and set(value) == {"Ref"}:
        value = parameters.get(str(value["Ref"]))
    if value not in _POLICIES:
        raise Invalid(
            f"Template format error: {name} of {logical_id} must be one of "
            f"{', '.join(_POLICIES)} (or a Ref to a parameter holding one), not {value!r}"
        )
    return str(value)


def _at(where: str) -> str:
    return f" (at {where.lstrip('/')})" if where else ""
